package cli

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"keyward/model"
)

func TestAudit(t *testing.T) {
	st := openStore(t)
	for _, args := range [][]string{
		{"tokens", "create", "--name", "ci", "--quota", "10"},
		{"tokens", "create", "--name", "other"},
		{"tokens", "edit", "ci", "--quota", "20"},
		{"tokens", "disable", "ci"},
		{"models", "add", "zz-audit"},
		{"tokens", "delete", "other", "--yes"},
	} {
		expect(t, run(t, st, args...), exitOK, "")
	}
	table := run(t, st, "audit")
	expect(t, table, exitOK, "")
	lines := strings.Split(strings.TrimSuffix(table.stdout, "\n"), "\n")
	if len(lines) != 7 || !strings.HasPrefix(lines[0], "TIME") {
		t.Fatalf("audit table:\n%s", table.stdout)
	}
	for _, want := range []string{"delete     'other' (ID 2)", "model.add", "zz-audit",
		"quota: $10.00 → $20.00", "enabled: yes → no", "alice"} {
		if !strings.Contains(table.stdout, want) {
			t.Errorf("audit table lacks %q:\n%s", want, table.stdout)
		}
	}
	if strings.Contains(table.stdout, "sk-") {
		t.Error("the audit table shows a key")
	}
}

func TestAuditFilters(t *testing.T) {
	st := openStore(t)
	ci := mustCreate(t, st, model.Spec{Name: "ci"})
	mustCreate(t, st, model.Spec{Name: "other"})
	if _, err := st.SetEnabled(testActor, ci.ID, false); err != nil {
		t.Fatal(err)
	}
	gone := mustCreate(t, st, model.Spec{Name: "gone"})
	if err := st.Delete(testActor, gone.ID); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args    []string
		actions []model.Action
	}{
		{[]string{"--token", "ci"}, []model.Action{model.ActionDisable, model.ActionCreate}},
		{[]string{"--token", "1", "--limit", "1"}, []model.Action{model.ActionDisable}},
		{[]string{"--token", "3"}, []model.Action{model.ActionDelete, model.ActionCreate}},
		{[]string{"--limit", "2"}, []model.Action{model.ActionDelete, model.ActionCreate}},
	}
	for _, tc := range tests {
		r := run(t, st, append([]string{"audit", "--json"}, tc.args...)...)
		expect(t, r, exitOK, "")
		var got []eventJSON
		if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
			t.Fatalf("%v: not JSON: %v", tc.args, err)
		}
		var actions []model.Action
		for _, e := range got {
			actions = append(actions, model.Action(e.Action))
			if _, err := time.Parse(time.RFC3339, e.Time); err != nil || e.Changes == nil {
				t.Errorf("%v: time %q (%v), changes %v", tc.args, e.Time, err, e.Changes)
			}
		}
		if strings.Join(toStrings(actions), ",") != strings.Join(toStrings(tc.actions), ",") {
			t.Errorf("%v: actions %v, want %v", tc.args, actions, tc.actions)
		}
	}
}

func toStrings(actions []model.Action) []string {
	out := make([]string, len(actions))
	for i, a := range actions {
		out[i] = string(a)
	}
	return out
}

func TestAuditErrors(t *testing.T) {
	st := openStore(t)
	mustCreate(t, st, model.Spec{Name: "twin"})
	mustCreate(t, st, model.Spec{Name: "twin"})
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--limit", "-1"}, exitUsage, "--limit must be 0 or more, not -1"},
		{[]string{"--limit", "many"}, exitUsage, `invalid value "many" for flag --limit`},
		{[]string{"--token", ""}, exitUsage, "--token needs a token ID or name"},
		{[]string{"--token", "nobody"}, exitFail, `no token has the ID or name "nobody"`},
		{[]string{"--token", "twin"}, exitFail, "(IDs 1, 2)"},
		{[]string{"extra"}, exitUsage, `unexpected argument "extra"`},
	}
	for _, tc := range tests {
		r := run(t, st, append([]string{"audit"}, tc.args...)...)
		expect(t, r, tc.code, tc.want)
		if r.stdout != "" {
			t.Errorf("%v: stdout %q", tc.args, r.stdout)
		}
	}
}

func TestAuditEmptyAndLimitZero(t *testing.T) {
	st := openStore(t)
	r := run(t, st, "audit", "--token", "42")
	if r.code != exitOK || r.stdout != "" || r.stderr != "No audit events.\n" {
		t.Errorf("empty audit: %+v", r)
	}
	for i := 0; i < defaultAuditLimit+5; i++ {
		if err := st.AddModels(testActor, "m"+strings.Repeat("x", i%3)+string(rune('a'+i%26))+
			strings.Repeat("y", i/26)); err != nil {
			t.Fatal(err)
		}
	}
	var all, def []eventJSON
	_ = json.Unmarshal([]byte(run(t, st, "audit", "--json", "--limit", "0").stdout), &all)
	_ = json.Unmarshal([]byte(run(t, st, "audit", "--json").stdout), &def)
	if len(def) != defaultAuditLimit || len(all) < defaultAuditLimit+1 {
		t.Errorf("default limit gave %d events, --limit 0 gave %d", len(def), len(all))
	}
}
