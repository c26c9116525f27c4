package model

import (
	"strings"
	"testing"
)

// FuzzParseMoney checks ParseMoney's invariants on any input: no panic;
// an accepted amount is within [0, MaxMoney]; Input of it parses back
// exactly; Format of a whole-cent amount parses back exactly. Seeds are in
// testdata/fuzz/FuzzParseMoney as well as below.
func FuzzParseMoney(f *testing.F) {
	for _, s := range []string{"12", "12.5", "0.10", "$1,234.56", "0.000000001",
		" 7 ", "-7", "abc", "12abc", "1,5", "1e3", "NaN", "Inf",
		"0.0000000001", "1000000000", "1000000000.01", "", "$", ".", "1,000,000.00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseMoney(s)
		if err != nil {
			if m != 0 {
				t.Errorf("ParseMoney(%q) returned %d with an error", s, m)
			}
			if !strings.HasPrefix(err.Error(), ErrMoney.Error()) {
				t.Errorf("ParseMoney(%q) error %q does not start with %q", s, err, ErrMoney)
			}
			return
		}
		if m < 0 || m > MaxMoney {
			t.Fatalf("ParseMoney(%q) = %d, outside [0, MaxMoney]", s, m)
		}
		if back, err := ParseMoney(m.Input()); err != nil || back != m {
			t.Fatalf("ParseMoney(%q) = %d; its Input %q parses to %d, %v",
				s, m, m.Input(), back, err)
		}
		if m%Cent == 0 {
			if back, err := ParseMoney(m.Format()); err != nil || back != m {
				t.Fatalf("ParseMoney(%q) = %d; its Format %q parses to %d, %v",
					s, m, m.Format(), back, err)
			}
		}
	})
}
