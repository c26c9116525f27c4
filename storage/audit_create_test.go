package storage

import (
	"testing"

	"keyward/model"
)

// TestCreateEventShowsQuotaOnlyWhenItMeansSomething checks the fields a
// create event records: a limited token its quota, an unlimited one none
// (a "$0.00" would read as a token that cannot spend), unless it was
// given a limit to keep for when it becomes limited.
func TestCreateEventShowsQuotaOnlyWhenItMeansSomething(t *testing.T) {
	db := openTest(t)
	cases := []struct {
		spec      model.Spec
		wantQuota string // "" for no quota field
	}{
		{model.Spec{Name: "limited", Limit: 5 * model.Dollar}, "$5.00"},
		{model.Spec{Name: "free", Unlimited: true}, ""},
		{model.Spec{Name: "kept", Unlimited: true, Limit: 7 * model.Dollar}, "$7.00"},
	}
	for _, c := range cases {
		tok, err := db.Create("ann", c.spec)
		if err != nil {
			t.Fatal(err)
		}
		evs, err := db.Audit(AuditFilter{TokenID: tok.ID})
		if err != nil || len(evs) != 1 {
			t.Fatalf("%s: events %+v, %v", c.spec.Name, evs, err)
		}
		got := ""
		for _, f := range evs[0].Changes {
			if f.Field == model.FieldLimit {
				got = f.New
			}
		}
		if got != c.wantQuota {
			t.Errorf("%s: quota field %q, want %q (fields %+v)", c.spec.Name, got,
				c.wantQuota, evs[0].Changes)
		}
	}
}
