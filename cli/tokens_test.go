package cli

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"keyward/keys"
	"keyward/model"
)

func TestTokensCreate(t *testing.T) {
	tests := []struct {
		name      string
		args      []string
		unlimited bool
		limit     model.Money
		models    []string
	}{
		{"default is unlimited", []string{"--name", "ci"}, true, 0, nil},
		{"quota", []string{"--name", "ci", "--quota", "12.50"}, false, 1250 * model.Cent, nil},
		{"dollar sign quota", []string{"--name=ci", "--quota=$1,000"}, false, 1000 * model.Dollar, nil},
		{"unlimited flag", []string{"--unlimited", "--name", "ci"}, true, 0, nil},
		{"models", []string{"--name", "ci", "--models", "gpt-4o, llama3", "--models", "qwen"},
			true, 0, []string{"gpt-4o", "llama3", "qwen"}},
		{"trimmed name", []string{"--name", "  ci  "}, true, 0, nil},
		{"unlimited=false with quota", []string{"--name", "ci", "--unlimited=false",
			"--quota", "3"}, false, 3 * model.Dollar, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := openStore(t)
			r := run(t, st, append([]string{"tokens", "create"}, tc.args...)...)
			expect(t, r, exitOK, "")
			key := strings.TrimSuffix(r.stdout, "\n")
			if strings.Contains(key, "\n") || !keys.LooksValid(key) {
				t.Fatalf("stdout %q is not one key alone on its line", maskAll(r.stdout))
			}
			tok, err := st.FindByKey(key)
			if err != nil {
				t.Fatalf("printed key %s finds no token: %v", keys.Mask(key), err)
			}
			if tok.Name != "ci" || tok.Unlimited != tc.unlimited || tok.Limit != tc.limit ||
				!slices.Equal(tok.Models, tc.models) || !tok.Enabled {
				t.Errorf("stored %+v", tok.Name)
			}
			if ev := lastEvent(t, st); ev.Actor != testActor || ev.Action != model.ActionCreate {
				t.Errorf("audit event %s by %q, want create by %q", ev.Action, ev.Actor, testActor)
			}
		})
	}
}

func TestTokensCreateJSON(t *testing.T) {
	st := openStore(t)
	r := run(t, st, "tokens", "create", "--name", "ci", "--quota", "5", "--json")
	expect(t, r, exitOK, "")
	var got map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("stdout is not JSON: %v", err)
	}
	key, _ := got["key"].(string)
	if !keys.LooksValid(key) {
		t.Errorf("key field %q is not a key", keys.Mask(key))
	}
	if got["limit_usd"] != "5.00" || got["remaining_usd"] != "5.00" || got["name"] != "ci" {
		t.Errorf("limit %v remaining %v name %v", got["limit_usd"], got["remaining_usd"],
			got["name"])
	}
	if got["key_masked"] != keys.Mask(key) {
		t.Errorf("key_masked %v, want %s", got["key_masked"], keys.Mask(key))
	}
}

func TestTokensCreateInteractiveNote(t *testing.T) {
	st := openStore(t)
	r := runWith(t, st, runOpts{interactive: true}, "tokens", "create", "--name", "ci")
	if r.code != exitOK || !strings.Contains(r.stderr, "Created 'ci' (ID 1)") {
		t.Errorf("exit %d, stderr %q", r.code, maskAll(r.stderr))
	}
	if strings.Contains(r.stderr, keys.Prefix) && !strings.Contains(r.stderr, "sk-****") {
		t.Errorf("the note repeats the key: %q", maskAll(r.stderr))
	}
}

func TestTokensCreateErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no name", []string{}, exitUsage, "--name is required"},
		{"quota and unlimited", []string{"--name", "a", "--quota", "1", "--unlimited"},
			exitUsage, "--quota and --unlimited cannot be used together"},
		{"letters in quota", []string{"--name", "a", "--quota", "12abc"}, exitUsage,
			`--quota "12abc" is not a valid amount: it contains 'a'`},
		{"negative quota", []string{"--name", "a", "--quota", "-1"}, exitUsage, "negative"},
		{"decimal comma", []string{"--name", "a", "--quota", "1,5"}, exitUsage, "decimal comma"},
		{"doubled dollar sign quoted as typed", []string{"--name", "a", "--quota", "$$5"},
			exitUsage, `--quota "$$5" is not a valid amount: it contains '$'`},
		{"unlimited=false without quota", []string{"--name", "a", "--unlimited=false"},
			exitUsage, "--unlimited=false needs --quota USD"},
		{"quota and unlimited=true", []string{"--name", "a", "--quota", "1",
			"--unlimited=true"}, exitUsage, "--quota and --unlimited cannot be used together"},
		{"empty name", []string{"--name", "  "}, exitFail, "--name must not be empty"},
		{"long name", []string{"--name", strings.Repeat("x", 65)}, exitFail,
			"--name is 65 characters; the most is 64"},
		{"escape in name", []string{"--name", "a\x1b[31m"}, exitFail,
			"--name contains the control character U+001B"},
		{"space in model", []string{"--name", "a", "--models", "gpt 4"}, exitFail,
			`--models "gpt 4" contains a space`},
		{"empty model", []string{"--name", "a", "--models", "a,,b"}, exitFail,
			"--models must not be empty"},
		{"unknown flag", []string{"--name", "a", "--colour"}, exitUsage,
			"unknown flag --colour; run 'keyward tokens create --help' for usage"},
		{"global flag after command", []string{"--name", "a", "--db", "x"}, exitUsage,
			"--db is a global flag; put it before the command"},
		{"flag without value", []string{"--name"}, exitUsage, "flag needs a value: --name"},
		{"extra argument", []string{"--name", "a", "b"}, exitUsage,
			`unexpected argument "b"; this command takes none`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := openStore(t)
			r := run(t, st, append([]string{"tokens", "create"}, tc.args...)...)
			expect(t, r, tc.code, tc.want)
			if r.stdout != "" {
				t.Errorf("stdout %q, want nothing", maskAll(r.stdout))
			}
			if n := tokenCount(t, st); n != 0 {
				t.Errorf("%d tokens stored after a failed create", n)
			}
		})
	}
}

func TestTokensShow(t *testing.T) {
	st := openStore(t)
	tok := mustCreate(t, st, model.Spec{Name: "ci", Limit: 10 * model.Dollar,
		Models: []string{"gpt-4o"}})
	masked := run(t, st, "tokens", "show", "ci")
	expect(t, masked, exitOK, "")
	for _, want := range []string{"Name:     ci", "Status:   Enabled", keys.Mask(tok.Key),
		"$10.00 left of $10.00 ($0.00 used)", "Models:   gpt-4o"} {
		if !strings.Contains(masked.stdout, want) {
			t.Errorf("show lacks %q:\n%s", want, maskAll(masked.stdout))
		}
	}
	if strings.Contains(masked.stdout, tok.Key) {
		t.Error("show without --reveal prints the full key")
	}
	revealed := run(t, st, "tokens", "show", "1", "--reveal")
	if !strings.Contains(revealed.stdout, "Key:      "+tok.Key+"\n") {
		t.Errorf("show --reveal lacks the key:\n%s", maskAll(revealed.stdout))
	}
}

func TestTokensShowJSON(t *testing.T) {
	st := openStore(t)
	tok := mustCreate(t, st, model.Spec{Name: "ci", Unlimited: true})
	for _, reveal := range []bool{false, true} {
		args := []string{"tokens", "show", "--json", "ci"}
		if reveal {
			args = append(args, "--reveal")
		}
		r := run(t, st, args...)
		expect(t, r, exitOK, "")
		var got tokenJSON
		if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
			t.Fatalf("not JSON: %v", err)
		}
		if (got.Key == tok.Key) != reveal || (!reveal && got.Key != "") {
			t.Errorf("reveal=%v: key field %q", reveal, keys.Mask(got.Key))
		}
		if got.LimitUSD != nil || got.RemainingUSD != nil || got.Models == nil {
			t.Errorf("unlimited token: limit %v remaining %v models %v",
				got.LimitUSD, got.RemainingUSD, got.Models)
		}
	}
}

func TestTokenAddressing(t *testing.T) {
	st := openStore(t)
	mustCreate(t, st, model.Spec{Name: "twin"})                  // ID 1
	mustCreate(t, st, model.Spec{Name: "twin"})                  // ID 2
	numeric := mustCreate(t, st, model.Spec{Name: "77"})         // ID 3
	mustCreate(t, st, model.Spec{Name: "1"})                     // ID 4: clashes with ID 1
	mustCreate(t, st, model.Spec{Name: "05"})                    // ID 5: its own name
	mustCreate(t, st, model.Spec{Name: "02"})                    // ID 6: clashes with ID 2
	mustCreate(t, st, model.Spec{Name: "id:9"})                  // ID 7
	keyed := mustCreate(t, st, model.Spec{Name: "by-key"})       // ID 8
	mustCreate(t, st, model.Spec{Name: strings.Repeat("a", 64)}) // ID 9
	tests := []struct {
		ref, wantName string
		code          int
		wantErr       string
	}{
		{"2", "twin", exitOK, ""},
		{"77", "77", exitOK, ""},
		{"05", "05", exitOK, ""}, // ID 5 is the token named "05" itself
		{"id:1", "twin", exitOK, ""},
		{"name:1", "1", exitOK, ""},
		{"name:02", "02", exitOK, ""},
		{"id:2", "twin", exitOK, ""},
		{"name:id:9", "id:9", exitOK, ""},
		{"id:9", strings.Repeat("a", 64), exitOK, ""},
		{keyed.Key, "by-key", exitOK, ""},
		{"1", "", exitFail, `"1" is the ID of 'twin' (ID 1) and the name of '1' (ID 4); ` +
			"write id:1 or name:1 to say which"},
		{"02", "", exitFail, `"02" is the ID of 'twin' (ID 2) and the name of '02' (ID 6)`},
		{"twin", "", exitFail, `2 tokens are named "twin" (IDs 1, 2); use the ID instead`},
		{"nobody", "", exitFail, `no token has the ID or name "nobody"`},
		{"99", "", exitFail, `no token has the ID or name "99"`},
		{"TWIN", "", exitFail, `no token has the ID or name "TWIN"`},
		{"id:99", "", exitFail, "no token has the ID 99"},
		{"name:nobody", "", exitFail, `no token has the name "nobody"`},
		{"id:x", "", exitUsage, `"id:x" is not a token ID; write a number after id:`},
		{"id:0", "", exitUsage, "is not a token ID"},
		{"name:", "", exitUsage, "name: needs the token's name after it"},
	}
	for _, tc := range tests {
		r := run(t, st, "tokens", "show", tc.ref, "--json")
		expect(t, r, tc.code, tc.wantErr)
		if tc.code != exitOK {
			continue
		}
		var got tokenJSON
		if err := json.Unmarshal([]byte(r.stdout), &got); err != nil || got.Name != tc.wantName {
			t.Errorf("%s: got %q (%v), want %q", keys.Mask(tc.ref), got.Name, err, tc.wantName)
		}
	}
	if numeric.ID != 3 || keyed.ID != 8 {
		t.Fatalf("tokens have IDs %d and %d, test assumes 3 and 8", numeric.ID, keyed.ID)
	}
}

// TestAmbiguousReferenceChangesNothing: every command that takes a
// reference refuses the ambiguous one before changing anything.
func TestAmbiguousReferenceChangesNothing(t *testing.T) {
	st := openStore(t)
	mustCreate(t, st, model.Spec{Name: "first"}) // ID 1
	mustCreate(t, st, model.Spec{Name: "1"})     // ID 2
	for _, args := range [][]string{
		{"tokens", "disable", "1"}, {"tokens", "delete", "1", "--yes"},
		{"tokens", "edit", "1", "--name", "x"}, {"audit", "--token", "1"},
	} {
		before := auditCount(t, st)
		r := run(t, st, args...)
		expect(t, r, exitFail, "write id:1 or name:1 to say which")
		if auditCount(t, st) != before || tokenCount(t, st) != 2 {
			t.Errorf("%v changed the store", args)
		}
	}
	r := run(t, st, "tokens", "disable", "name:1")
	expect(t, r, exitOK, "")
	if tok, _ := st.Get(2); tok.Enabled || r.stdout != "Disabled '1' (ID 2).\n" {
		t.Errorf("disable name:1: enabled %v, stdout %q", tok.Enabled, r.stdout)
	}
}

func TestTokensShowUsage(t *testing.T) {
	st := openStore(t)
	expect(t, run(t, st, "tokens", "show"), exitUsage, "missing a token ID or name")
	expect(t, run(t, st, "tokens", "show", "a", "b"), exitUsage,
		`unexpected argument "b"; this command takes a token ID or name only`)
}

func TestEnableDisable(t *testing.T) {
	st := openStore(t)
	tok := mustCreate(t, st, model.Spec{Name: "ci"})
	steps := []struct {
		args    []string
		out     string
		enabled bool
		audited bool
	}{
		{[]string{"disable", "ci"}, "Disabled 'ci' (ID 1).\n", false, true},
		{[]string{"disable", "1"}, "'ci' (ID 1) is already disabled.\n", false, false},
		{[]string{"enable", "ci"}, "Enabled 'ci' (ID 1).\n", true, true},
		{[]string{"enable", "ci"}, "'ci' (ID 1) is already enabled.\n", true, false},
	}
	for _, s := range steps {
		before := auditCount(t, st)
		r := run(t, st, append([]string{"tokens"}, s.args...)...)
		expect(t, r, exitOK, "")
		if r.stdout != s.out {
			t.Errorf("%v: stdout %q, want %q", s.args, r.stdout, s.out)
		}
		got, _ := st.Get(tok.ID)
		if got.Enabled != s.enabled {
			t.Errorf("%v: enabled %v", s.args, got.Enabled)
		}
		if added := auditCount(t, st) - before; (added == 1) != s.audited {
			t.Errorf("%v: %d audit events added", s.args, added)
		}
		if s.audited && lastEvent(t, st).Actor != testActor {
			t.Errorf("%v: actor %q", s.args, lastEvent(t, st).Actor)
		}
	}
	expect(t, run(t, st, "tokens", "enable", "ghost"), exitFail, "no token has the ID")
	expect(t, run(t, st, "tokens", "disable"), exitUsage, "missing a token ID or name")
}
