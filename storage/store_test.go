package storage

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"keyward/keys"
	"keyward/model"
)

func ptr[T any](v T) *T { return &v }

func TestReopenKeepsEverything(t *testing.T) {
	path := testPath(t)
	db := openAt(t, path)
	a := mustCreate(t, db, "alpha")
	b, err := db.Create("ann", model.Spec{Name: "  béta 🚀 ", Unlimited: true,
		Limit: 3 * model.Dollar, Models: []string{"gpt-5", "claude-sonnet-4-5", "gpt-5"}})
	if err != nil {
		t.Fatal(err)
	}
	if b.Name != "béta 🚀" || !reflect.DeepEqual(b.Models, []string{"gpt-5", "claude-sonnet-4-5"}) {
		t.Fatalf("Create did not normalise the spec: %q %v", b.Name, b.Models)
	}
	_, err = db.Update("ann", a.ID, a.Version, model.Changes{Limit: ptr(7 * model.Dollar)})
	mustDo(t, err)
	if _, err := db.Charge(b.ID, 123_456_789); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SetEnabled("ann", a.ID, false); err != nil {
		t.Fatal(err)
	}
	mustDo(t, db.RemoveModels("ann", "gpt-4o"))
	mustDo(t, db.AddModels("ann", "my-local-model"))
	mustDo(t, db.SetPrice("ann", "gpt-5",
		&model.Price{Input: model.Dollar, Output: 10 * model.Dollar}))

	before := snapshot(t, db)
	mustDo(t, db.Close())
	db2 := openAt(t, path)
	if after := snapshot(t, db2); !reflect.DeepEqual(before, after) {
		t.Errorf("reopened store differs:\nbefore %+v\nafter  %+v", before, after)
	}
}

func mustDo(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// state is everything a store shows, for comparing across a reopen.
type state struct {
	Tokens []model.Token
	Models []model.CatalogModel
	Audit  []model.Event
	Spend  [][]model.DaySpend
}

func snapshot(t *testing.T, db *DB) state {
	t.Helper()
	var s state
	var err error
	if s.Tokens, err = db.List(); err != nil {
		t.Fatal(err)
	}
	if s.Models, err = db.Models(); err != nil {
		t.Fatal(err)
	}
	if s.Audit, err = db.Audit(AuditFilter{}); err != nil {
		t.Fatal(err)
	}
	for _, tok := range s.Tokens {
		d, err := db.DailySpend(tok.ID, 3, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		s.Spend = append(s.Spend, d)
	}
	// Times come back in the local zone either way; compare instants.
	for i := range s.Tokens {
		s.Tokens[i].CreatedAt = s.Tokens[i].CreatedAt.UTC()
		s.Tokens[i].UpdatedAt = s.Tokens[i].UpdatedAt.UTC()
	}
	for i := range s.Audit {
		s.Audit[i].Time = s.Audit[i].Time.UTC()
	}
	return s
}

func TestListNewestFirstWithKeys(t *testing.T) {
	db := openTest(t)
	var made []model.Token
	for i := range 5 {
		made = append(made, mustCreate(t, db, fmt.Sprintf("t%d", i)))
	}
	list, err := db.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != len(made) {
		t.Fatalf("List has %d tokens, want %d", len(list), len(made))
	}
	for i, tok := range list {
		want := made[len(made)-1-i]
		if tok.ID != want.ID || tok.Key != want.Key || tok.Name != want.Name {
			t.Errorf("List[%d] = %d %q %s, want %d %q %s", i, tok.ID, tok.Name,
				keys.Mask(tok.Key), want.ID, want.Name, keys.Mask(want.Key))
		}
	}
}

func TestCreateUsesClockAndDefaults(t *testing.T) {
	clock := &fakeClock{t: time.Date(2025, 3, 4, 5, 6, 7, 8, time.UTC)}
	t.Setenv(EnvMasterKey, "")
	db, err := Open(testPath(t), Options{Clock: clock.now})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = db.Close() }()
	tok := mustCreate(t, db, "clocked")
	if !tok.CreatedAt.Equal(clock.t) || !tok.UpdatedAt.Equal(clock.t) {
		t.Errorf("times %v %v, want %v", tok.CreatedAt, tok.UpdatedAt, clock.t)
	}
	if !tok.Enabled || tok.Version != 1 || tok.Used != 0 || tok.Models != nil {
		t.Errorf("new token = %+v", tok)
	}
	clock.t = clock.t.Add(time.Hour)
	up, err := db.Update("me", tok.ID, tok.Version, model.Changes{Name: ptr("renamed")})
	if err != nil {
		t.Fatal(err)
	}
	if !up.UpdatedAt.Equal(clock.t) || !up.CreatedAt.Equal(tok.CreatedAt) {
		t.Errorf("after update: created %v updated %v", up.CreatedAt, up.UpdatedAt)
	}
	got, err := db.Get(tok.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.UpdatedAt.Equal(up.UpdatedAt) || got.Version != up.Version {
		t.Errorf("Get = %+v, Update returned %+v", got, up)
	}
}

func TestUpdateStaleVersionConflicts(t *testing.T) {
	db := openTest(t)
	tok := mustCreate(t, db, "shared")
	first, err := db.Update("a", tok.ID, tok.Version, model.Changes{Name: ptr("by a")})
	if err != nil {
		t.Fatal(err)
	}
	if first.Version != tok.Version+1 {
		t.Fatalf("version %d after update, want %d", first.Version, tok.Version+1)
	}
	_, err = db.Update("b", tok.ID, tok.Version, model.Changes{Name: ptr("by b")})
	if !errors.Is(err, ErrConflict) {
		t.Fatalf("stale update: %v, want ErrConflict", err)
	}
	if !strings.Contains(err.Error(), fmt.Sprint("token ", tok.ID)) {
		t.Errorf("error %q does not name the token", err)
	}
	// A charge is a change too: an edit begun before it conflicts.
	if _, err := db.Charge(tok.ID, model.Cent); err != nil {
		t.Fatal(err)
	}
	_, err = db.Update("a", tok.ID, first.Version, model.Changes{Name: ptr("again")})
	if !errors.Is(err, ErrConflict) {
		t.Fatalf("update after a charge: %v, want ErrConflict", err)
	}
	got, _ := db.Get(tok.ID)
	if got.Name != "by a" {
		t.Errorf("name %q after refused updates", got.Name)
	}
}

func TestUpdateFields(t *testing.T) {
	db := openTest(t)
	tok := mustCreate(t, db, "t")
	tok, err := db.Charge(tok.ID, 3*model.Dollar)
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name string
		ch   model.Changes
		want func(model.Token) bool
	}{
		{"unlimited on keeps limit and used", model.Changes{Unlimited: ptr(true)},
			func(x model.Token) bool {
				return x.Unlimited && x.Limit == 10*model.Dollar && x.Used == 3*model.Dollar
			}},
		{"unlimited off keeps limit and used", model.Changes{Unlimited: ptr(false)},
			func(x model.Token) bool {
				return !x.Unlimited && x.Limit == 10*model.Dollar && x.Used == 3*model.Dollar
			}},
		{"limit", model.Changes{Limit: ptr(2 * model.Dollar)},
			func(x model.Token) bool { return x.Limit == 2*model.Dollar && x.Exhausted() }},
		{"models", model.Changes{Models: &[]string{" o3 ", "o3", "gpt-5"}},
			func(x model.Token) bool {
				return reflect.DeepEqual(x.Models, []string{"o3", "gpt-5"})
			}},
		{"models back to all", model.Changes{Models: &[]string{}},
			func(x model.Token) bool { return x.Models == nil }},
		{"name trimmed", model.Changes{Name: ptr("  名前 ")},
			func(x model.Token) bool { return x.Name == "名前" }},
	}
	for _, s := range steps {
		next, err := db.Update("me", tok.ID, tok.Version, s.ch)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if next.Version != tok.Version+1 || !s.want(next) {
			t.Errorf("%s: got %+v (version was %d)", s.name, next, tok.Version)
		}
		if got, _ := db.Get(tok.ID); !s.want(got) {
			t.Errorf("%s: stored %+v", s.name, got)
		}
		tok = next
	}
	same, err := db.Update("me", tok.ID, tok.Version, model.Changes{Name: ptr(tok.Name)})
	if err != nil || same.Version != tok.Version {
		t.Errorf("no-op update: version %d -> %d, %v", tok.Version, same.Version, err)
	}
}

func TestValidationErrorsNameTheField(t *testing.T) {
	db := openTest(t)
	tok := mustCreate(t, db, "ok")
	long := strings.Repeat("x", 65)
	cases := []struct {
		name  string
		err   error
		field string
	}{
		{"empty name", second(db.Create("me", model.Spec{Name: "  "})), model.FieldName},
		{"escape in name", second(db.Create("me", model.Spec{Name: "a\x1b[31m"})),
			model.FieldName},
		{"65 runes", second(db.Create("me", model.Spec{Name: long})), model.FieldName},
		{"negative limit", second(db.Create("me", model.Spec{Name: "n", Limit: -1})),
			model.FieldLimit},
		{"model with space", second(db.Create("me",
			model.Spec{Name: "n", Models: []string{"gpt 5"}})), model.FieldModels},
		{"update name", second(db.Update("me", tok.ID, tok.Version,
			model.Changes{Name: ptr("\u202Eevil")})), model.FieldName},
		{"update limit", second(db.Update("me", tok.ID, tok.Version,
			model.Changes{Limit: ptr(model.MaxMoney + 1)})), model.FieldLimit},
		{"catalog name", db.AddModels("me", "bad\tname"), model.FieldModel},
		{"price", db.SetPrice("me", "gpt-5", &model.Price{Input: -1}), fieldPrice},
	}
	for _, c := range cases {
		var fe *model.FieldError
		if !errors.Is(c.err, model.ErrInvalid) || !errors.As(c.err, &fe) || fe.Field != c.field {
			t.Errorf("%s: %v; want a FieldError for %q", c.name, c.err, c.field)
		}
	}
	list, _ := db.List()
	if len(list) != 1 {
		t.Errorf("%d tokens after refused creates, want 1", len(list))
	}
}

func second[T any](_ T, err error) error { return err }

func TestSetEnabled(t *testing.T) {
	db := openTest(t)
	tok := mustCreate(t, db, "t")
	off, err := db.SetEnabled("me", tok.ID, false)
	if err != nil || off.Enabled || off.Version != tok.Version+1 {
		t.Fatalf("disable: %+v %v", off, err)
	}
	again, err := db.SetEnabled("me", tok.ID, false)
	if err != nil || again.Version != off.Version {
		t.Errorf("disable twice: version %d -> %d, %v", off.Version, again.Version, err)
	}
	on, err := db.SetEnabled("me", tok.ID, true)
	if err != nil || !on.Enabled {
		t.Errorf("enable: %+v %v", on, err)
	}
	if _, err := db.SetEnabled("me", 999, true); !errors.Is(err, ErrNotFound) {
		t.Errorf("enable missing token: %v", err)
	}
}

func TestDeleteRemovesIndexEntryAndSpend(t *testing.T) {
	db := openTest(t)
	keep := mustCreate(t, db, "keep")
	gone := mustCreate(t, db, "gone")
	if _, err := db.Charge(gone.ID, model.Dollar); err != nil {
		t.Fatal(err)
	}
	mustDo(t, db.Delete("me", gone.ID))
	if _, err := db.Get(gone.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get deleted: %v", err)
	}
	if err := db.Delete("me", gone.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("Delete twice: %v", err)
	}
	err := db.view(func(tx *bolt.Tx) error {
		h := db.KeyHash(gone.Key)
		if tx.Bucket(bucketIndex).Get(h[:]) != nil {
			t.Error("index entry of the deleted key remains")
		}
		if n := tx.Bucket(bucketIndex).Stats().KeyN; n != 1 {
			t.Errorf("index has %d entries, want 1", n)
		}
		k, _ := tx.Bucket(bucketSpend).Cursor().Seek(idBytes(gone.ID))
		if k != nil && bytes.HasPrefix(k, idBytes(gone.ID)) {
			t.Error("daily spend of the deleted token remains")
		}
		return nil
	})
	mustDo(t, err)
	if _, err := db.FindByKey(keep.Key); err != nil {
		t.Errorf("FindByKey of the kept token: %v", err)
	}
}
