package cli

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"keyward/model"
	"keyward/storage"
)

func TestTokensEdit(t *testing.T) {
	st := openStore(t)
	tok := mustCreate(t, st, model.Spec{Name: "ci", Limit: 10 * model.Dollar})
	steps := []struct {
		args      []string
		name      string
		unlimited bool
		limit     model.Money
		models    []string
	}{
		{[]string{"--name", "runner"}, "runner", false, 10 * model.Dollar, nil},
		{[]string{"--quota", "20.5"}, "runner", false, 2050 * model.Cent, nil},
		{[]string{"--unlimited"}, "runner", true, 2050 * model.Cent, nil},
		{[]string{"--limited"}, "runner", false, 2050 * model.Cent, nil},
		{[]string{"--unlimited"}, "runner", true, 2050 * model.Cent, nil},
		{[]string{"--quota", "3"}, "runner", false, 3 * model.Dollar, nil},
		{[]string{"--models", "b,a"}, "runner", false, 3 * model.Dollar, []string{"b", "a"}},
		{[]string{"--all-models"}, "runner", false, 3 * model.Dollar, nil},
	}
	for _, s := range steps {
		r := run(t, st, append([]string{"tokens", "edit", "1"}, s.args...)...)
		expect(t, r, exitOK, "")
		if !strings.HasPrefix(r.stdout, "Updated 'runner' (ID 1).\n") {
			t.Errorf("%v: stdout %q", s.args, r.stdout)
		}
		got, err := st.Get(tok.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != s.name || got.Unlimited != s.unlimited || got.Limit != s.limit ||
			!slices.Equal(got.Models, s.models) {
			t.Errorf("%v: stored %q unlimited=%v limit=%s models=%v", s.args, got.Name,
				got.Unlimited, got.Limit, got.Models)
		}
		if ev := lastEvent(t, st); ev.Actor != testActor || ev.Action != model.ActionUpdate {
			t.Errorf("%v: event %s by %q", s.args, ev.Action, ev.Actor)
		}
	}
}

func TestTokensEditJSON(t *testing.T) {
	st := openStore(t)
	mustCreate(t, st, model.Spec{Name: "ci", Unlimited: true})
	r := run(t, st, "tokens", "edit", "ci", "--quota", "1", "--json")
	expect(t, r, exitOK, "")
	var got tokenJSON
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if got.Unlimited || got.LimitUSD == nil || *got.LimitUSD != "1.00" || got.Key != "" {
		t.Errorf("edited token JSON: %+v", got)
	}
}

func TestTokensEditErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"nothing", []string{"ci"}, exitUsage, "nothing to change"},
		{"no token", []string{"--name", "x"}, exitUsage, "missing a token ID or name"},
		{"unlimited and limited", []string{"ci", "--unlimited", "--limited"}, exitUsage,
			"--unlimited and --limited cannot be used together"},
		{"quota and unlimited", []string{"ci", "--quota", "1", "--unlimited"}, exitUsage,
			"--quota and --unlimited cannot be used together"},
		{"models and all", []string{"ci", "--models", "a", "--all-models"}, exitUsage,
			"--models and --all-models cannot be used together"},
		{"bad quota", []string{"ci", "--quota", "1e3"}, exitUsage,
			`--quota "1e3" is not a valid amount: it uses an exponent`},
		{"empty name", []string{"ci", "--name", ""}, exitFail, "--name must not be empty"},
		{"bad model", []string{"ci", "--models", "a\tb"}, exitFail, "--models"},
		{"unknown token", []string{"nope", "--name", "x"}, exitFail,
			`no token has the ID or name "nope"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := openStore(t)
			mustCreate(t, st, model.Spec{Name: "ci", Limit: model.Dollar})
			before := auditCount(t, st)
			r := run(t, st, append([]string{"tokens", "edit"}, tc.args...)...)
			expect(t, r, tc.code, tc.want)
			if got, _ := st.Get(1); got.Name != "ci" || got.Limit != model.Dollar {
				t.Errorf("token changed: %q %s", got.Name, got.Limit)
			}
			if auditCount(t, st) != before {
				t.Error("a failed edit wrote an audit event")
			}
		})
	}
}

// racingStore changes the token between the command's Get and its
// Update, as another console would.
type racingStore struct {
	storage.Store
	t *testing.T
}

func (s racingStore) Update(actor string, id, version uint64,
	ch model.Changes) (model.Token, error) {
	other := "changed-elsewhere"
	if _, err := s.Store.Update("bob", id, version, model.Changes{Name: &other}); err != nil {
		s.t.Fatalf("racing update: %v", err)
	}
	return s.Store.Update(actor, id, version, ch)
}

func TestTokensEditConflict(t *testing.T) {
	st := openStore(t)
	mustCreate(t, st, model.Spec{Name: "ci", Limit: model.Dollar})
	r := run(t, racingStore{Store: st, t: t}, "tokens", "edit", "ci", "--quota", "9")
	expect(t, r, exitFail, "'ci' (ID 1) was changed by someone else while this command "+
		"ran; nothing was saved, run the command again")
	got, _ := st.Get(1)
	if got.Name != "changed-elsewhere" || got.Limit != model.Dollar {
		t.Errorf("the other change was overwritten: %q %s", got.Name, got.Limit)
	}
}

// deletingStore deletes the token just before the command changes it.
type deletingStore struct {
	storage.Store
	t *testing.T
}

func (s deletingStore) SetEnabled(actor string, id uint64, on bool) (model.Token, error) {
	if err := s.Store.Delete("bob", id); err != nil {
		s.t.Fatalf("racing delete: %v", err)
	}
	return s.Store.SetEnabled(actor, id, on)
}

func TestTokenDeletedMeanwhile(t *testing.T) {
	st := openStore(t)
	mustCreate(t, st, model.Spec{Name: "ci"})
	r := run(t, deletingStore{Store: st, t: t}, "tokens", "disable", "ci")
	expect(t, r, exitFail, "'ci' (ID 1) no longer exists; it was deleted meanwhile")
}
