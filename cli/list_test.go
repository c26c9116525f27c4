package cli

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"keyward/keys"
	"keyward/model"
)

func TestTokensListTableAlignsWideNames(t *testing.T) {
	st := openStore(t)
	for _, name := range []string{"ascii", "日本語🔑", "💇🏻‍♀️ops", "ci"} {
		mustCreate(t, st, model.Spec{Name: name, Limit: 3 * model.Dollar})
	}
	disabled := mustCreate(t, st, model.Spec{Name: "off", Unlimited: true})
	if _, err := st.SetEnabled("setup", disabled.ID, false); err != nil {
		t.Fatal(err)
	}
	r := run(t, st, "tokens", "list")
	expect(t, r, exitOK, "")
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if len(lines) != 6 {
		t.Fatalf("%d lines, want header and 5 rows:\n%s", len(lines), r.stdout)
	}
	want := cellColumn(lines[0], "STATUS")
	for _, line := range lines[1:] {
		col := cellColumn(line, "Enabled")
		if col < 0 {
			col = cellColumn(line, "Disabled")
		}
		if col != want {
			t.Errorf("status at cell %d, want %d: %q", col, want, line)
		}
		if strings.HasSuffix(line, " ") {
			t.Errorf("trailing space: %q", line)
		}
	}
	for _, want := range []string{"Disabled", "Unlimited · $0.00 used", "$3.00 / $3.00",
		"All models"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("table lacks %q:\n%s", want, r.stdout)
		}
	}
}

// cellColumn is the terminal cell where word starts in line, or -1.
func cellColumn(line, word string) int {
	i := strings.Index(line, " "+word+" ")
	if i < 0 {
		return -1
	}
	return ansi.StringWidth(line[:i+1])
}

func TestTokensListJSON(t *testing.T) {
	st := openStore(t)
	lim := mustCreate(t, st, model.Spec{Name: "lim", Limit: 1050 * model.Cent,
		Models: []string{"gpt-4o"}})
	if _, err := st.Charge(lim.ID, 25*model.Cent+1); err != nil {
		t.Fatal(err)
	}
	mustCreate(t, st, model.Spec{Name: "unl", Unlimited: true})
	r := run(t, st, "tokens", "list", "--json")
	expect(t, r, exitOK, "")
	var raw []map[string]json.RawMessage
	if err := json.Unmarshal([]byte(r.stdout), &raw); err != nil {
		t.Fatalf("not a JSON array: %v", err)
	}
	fields := []string{"id", "name", "status", "enabled", "unlimited", "limit_usd",
		"used_usd", "remaining_usd", "models", "key_masked", "created_at", "updated_at"}
	for _, obj := range raw {
		for _, f := range fields {
			if _, ok := obj[f]; !ok {
				t.Errorf("object lacks %q", f)
			}
		}
		if _, ok := obj["key"]; ok {
			t.Error("tokens list --json includes the full key")
		}
	}
	var got []tokenJSON
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil || len(got) != 2 {
		t.Fatalf("decode: %v (%d tokens)", err, len(got))
	}
	unl, l := got[0], got[1]
	if unl.Name != "unl" || l.Name != "lim" {
		t.Fatalf("order %q, %q; want newest first", unl.Name, l.Name)
	}
	if *l.LimitUSD != "10.50" || l.UsedUSD != "0.250000001" || *l.RemainingUSD != "10.249999999" {
		t.Errorf("amounts %s %s %s", *l.LimitUSD, l.UsedUSD, *l.RemainingUSD)
	}
	if !slices.Equal(l.Models, []string{"gpt-4o"}) || unl.Models == nil || len(unl.Models) != 0 {
		t.Errorf("models %v and %v", l.Models, unl.Models)
	}
	if l.Status != "enabled" || !l.Enabled || l.KeyMasked != keys.Mask(lim.Key) {
		t.Errorf("status %q enabled %v masked %q", l.Status, l.Enabled, l.KeyMasked)
	}
	if _, err := time.Parse(time.RFC3339, l.CreatedAt); err != nil {
		t.Errorf("created_at %q: %v", l.CreatedAt, err)
	}
}

func TestTokensListFilter(t *testing.T) {
	st := openStore(t)
	ci := mustCreate(t, st, model.Spec{Name: "CI-Runner"})
	mustCreate(t, st, model.Spec{Name: "laptop"})
	tests := []struct {
		filter string
		want   []string
	}{
		{"ci", []string{"CI-Runner"}},
		{"RUN", []string{"CI-Runner"}},
		{ci.Key, []string{"CI-Runner"}},
		{ci.Key[10:20], []string{"CI-Runner"}},
		{keys.Mask(ci.Key), []string{"CI-Runner"}},
		{"a", []string{"laptop"}},
		{"", []string{"laptop", "CI-Runner"}},
	}
	for _, tc := range tests {
		r := run(t, st, "tokens", "list", "--json", "--filter", tc.filter)
		var got []tokenJSON
		if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
			t.Fatalf("not JSON: %v", err)
		}
		var names []string
		for _, g := range got {
			names = append(names, g.Name)
		}
		if !slices.Equal(names, tc.want) {
			t.Errorf("filter %q: %v, want %v", keys.Mask(tc.filter), names, tc.want)
		}
	}
}

func TestTokensListEmpty(t *testing.T) {
	st := openStore(t)
	r := run(t, st, "tokens", "list")
	if r.code != exitOK || r.stdout != "" || !strings.Contains(r.stderr, "No tokens yet") {
		t.Errorf("empty list: %+v", r)
	}
	if r := run(t, st, "tokens", "list", "--json"); r.stdout != "[]\n" {
		t.Errorf("empty JSON list %q, want []", r.stdout)
	}
	mustCreate(t, st, model.Spec{Name: "ci"})
	r = run(t, st, "tokens", "list", "--filter", "zzz")
	if r.code != exitOK || r.stdout != "" || !strings.Contains(r.stderr, `No tokens match "zzz"`) {
		t.Errorf("no match: %+v", r)
	}
}
