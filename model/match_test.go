package model_test

import (
	"slices"
	"testing"

	"keyward/keys"
	"keyward/model"
)

// matchTokens are two tokens with fixed keys for the filter tests.
func matchTokens(t *testing.T) []model.Token {
	t.Helper()
	var toks []model.Token
	for i, name := range []string{"CI-Runner", "Laptop"} {
		key, err := keys.Generate()
		if err != nil {
			t.Fatal(err)
		}
		toks = append(toks, model.Token{ID: uint64(i + 1), Name: name, Key: key})
	}
	return toks
}

func TestMatcher(t *testing.T) {
	toks := matchTokens(t)
	ciKey := toks[0].Key
	tests := []struct {
		name, query string
		want        []uint64
	}{
		{"blank keeps all", "  ", []uint64{1, 2}},
		{"name any case", "runner", []uint64{1}},
		{"name upper case", "LAP", []uint64{2}},
		{"spaces trimmed", "  laptop ", []uint64{2}},
		{"key fragment", ciKey[20:26], []uint64{1}},
		{"short text is not looked for in keys", ciKey[20:23], nil},
		{"masked key as keys.Mask writes it", keys.Mask(ciKey), []uint64{1}},
		{"full key", ciKey, []uint64{1}},
		{"bare mask matches nothing", "sk-****", nil},
		{"no match", "nothing-here", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []uint64
			for _, tok := range model.Filter(toks, tc.query) {
				got = append(got, tok.ID)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("Filter(%q) = IDs %v, want %v", keys.Mask(tc.query), got, tc.want)
			}
		})
	}
}

// TestMatchFoldedAgreesWithMatch checks the console's fast path against
// Match for every query of the table above.
func TestMatchFoldedAgreesWithMatch(t *testing.T) {
	toks := matchTokens(t)
	for _, q := range []string{"", "ci", "RUN", toks[1].Key[10:16], keys.Mask(toks[1].Key)} {
		m := model.NewMatcher(q)
		for _, tok := range toks {
			if m.Match(tok) != m.MatchFolded(model.FoldName(tok.Name), tok.Key) {
				t.Errorf("query %q, token %d: Match and MatchFolded disagree", keys.Mask(q), tok.ID)
			}
		}
	}
}

func TestQuotaText(t *testing.T) {
	tests := []struct {
		tok  model.Token
		want string
	}{
		{model.Token{Unlimited: true, Used: 320 * model.Cent}, "Unlimited · $3.20 used"},
		{model.Token{Limit: 1250 * model.Cent, Used: 500 * model.Cent}, "$7.50 / $12.50"},
		{model.Token{Limit: model.Dollar, Used: 2 * model.Dollar}, "$0.00 / $1.00"},
	}
	for _, tc := range tests {
		if got := tc.tok.QuotaText(); got != tc.want {
			t.Errorf("QuotaText() = %q, want %q", got, tc.want)
		}
	}
}
