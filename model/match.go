package model

import "strings"

// MinKeyQuery is the shortest filter text that is also looked for inside
// keys: shorter text would match most keys by chance.
const MinKeyQuery = 4

// maskedKeyPrefix starts a masked key as keys.Mask writes it
// ("sk-****abcd"). It is spelled out because model depends on nothing
// else in Keyward; match_test.go checks it against keys.Mask.
const maskedKeyPrefix = "sk-****"

// Matcher is the token filter that the console and the scripts share. A
// token matches when its name contains the text in any case; or, for text
// of MinKeyQuery characters or more without spaces, when its key contains
// the text; or, for a masked key ("sk-****abcd"), when its key ends the
// same way. Blank text matches every token.
type Matcher struct {
	name      string // lower-case text looked for in names
	keyPart   string // text looked for in keys, "" for none
	keySuffix string // last characters of a masked key, "" for none
}

// NewMatcher prepares the filter for query; spaces around it are ignored.
func NewMatcher(query string) Matcher {
	q := strings.TrimSpace(query)
	m := Matcher{name: FoldName(q)}
	switch {
	case strings.HasPrefix(q, maskedKeyPrefix) && len(q) > len(maskedKeyPrefix):
		m.keySuffix = q[len(maskedKeyPrefix):]
	case len(q) >= MinKeyQuery && !strings.ContainsAny(q, " \t"):
		m.keyPart = q
	}
	return m
}

// MatchesAll reports whether the filter is blank and so keeps every token.
func (m *Matcher) MatchesAll() bool { return m.name == "" }

// Match reports whether t passes the filter.
func (m *Matcher) Match(t Token) bool {
	return m.MatchFolded(FoldName(t.Name), t.Key)
}

// MatchFolded is Match for callers that keep each name already folded
// with FoldName, so that filtering many tokens folds no names.
func (m *Matcher) MatchFolded(foldedName, key string) bool {
	if strings.Contains(foldedName, m.name) {
		return true
	}
	if m.keyPart != "" && strings.Contains(key, m.keyPart) {
		return true
	}
	return m.keySuffix != "" && strings.HasSuffix(key, m.keySuffix)
}

// FoldName is a name as the filter compares it: in lower case.
func FoldName(name string) string { return strings.ToLower(name) }

// Filter returns the tokens in toks that match query, in order. Blank
// text returns toks itself.
func Filter(toks []Token, query string) []Token {
	m := NewMatcher(query)
	if m.MatchesAll() {
		return toks
	}
	var out []Token
	for _, t := range toks {
		if m.Match(t) {
			out = append(out, t)
		}
	}
	return out
}
