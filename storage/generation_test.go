package storage

import (
	"slices"
	"testing"

	"keyward/model"
)

// TestGeneration checks that every configuration change raises the
// generation before its method returns, and that charges do not.
func TestGeneration(t *testing.T) {
	db := openTest(t)
	tok := mustCreate(t, db, "gen")
	steps := []struct {
		name   string
		do     func() error
		raises bool
	}{
		{"disable", func() error {
			_, err := db.SetEnabled("t", tok.ID, false)
			return err
		}, true},
		{"price", func() error { return db.SetPrice("t", "m", &model.Price{Input: 1}) }, true},
		{"charge", func() error { _, err := db.Charge(tok.ID, 5); return err }, false},
		{"charge batch", func() error {
			return db.ChargeBatch([]Charge{{TokenID: tok.ID, Amount: 5}})
		}, false},
		{"create", func() error {
			_, err := db.Create("t", model.Spec{Name: "b"})
			return err
		}, true},
		{"delete", func() error { return db.Delete("t", tok.ID) }, true},
		{"read", func() error { _, err := db.List(); return err }, false},
	}
	for _, s := range steps {
		before := db.Generation()
		if err := s.do(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if raised := db.Generation() > before; raised != s.raises {
			t.Errorf("%s: generation %d -> %d, want raised %v", s.name, before,
				db.Generation(), s.raises)
		}
	}
}

// TestChargeBatchDropped reports the tokens whose charges were dropped
// because they had been deleted, once each, and charges the others.
func TestChargeBatchDropped(t *testing.T) {
	db := openTest(t)
	keep := mustCreate(t, db, "keep")
	gone := mustCreate(t, db, "gone")
	if err := db.Delete("t", gone.ID); err != nil {
		t.Fatal(err)
	}
	dropped, err := db.ChargeBatchDropped([]Charge{
		{TokenID: gone.ID, Amount: 3}, {TokenID: keep.ID, Amount: 7},
		{TokenID: gone.ID, Amount: 4}, {TokenID: 999, Amount: 1},
		{TokenID: 998, Amount: 0}, // a zero amount is skipped, not reported
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []uint64{gone.ID, 999}; !slices.Equal(dropped, want) {
		t.Errorf("dropped %v, want %v", dropped, want)
	}
	got, err := db.Get(keep.ID)
	if err != nil || got.Used != 7 {
		t.Errorf("kept token Used %d (%v), want 7", got.Used, err)
	}
}
