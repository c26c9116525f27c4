package gateway

import (
	"strings"
	"unicode/utf8"

	"keyward/keys"
	"keyward/model"
)

// Text a client controls (a path, a model name, a header) may hold a key
// pasted in the wrong place, whole or cut up. maskKeys hides anything
// shaped like one before the text reaches a log line or an error message:
//
//   - a run of 16 or more letters and digits becomes "****" and the run's
//     last 4 characters (a key's body is 48; any 16 in a row are rare in
//     model names and paths, and 4 identify without revealing); only the
//     first such run of a text keeps its last 4, later ones become
//     "****" whole, so a key cut in pieces by spaces shows at most 4;
//   - a word, that is letters, digits and the joiners - _ . % \ together,
//     holding 40 or more letters and digits becomes "****" whole: a key
//     cut up by joiners ("sk-AAAA-BBBB-...", "%41%42...", "\u0041...");
//   - the letters and digits right after "sk-" at the start of a word
//     become "****" however short they are.
//
// A key deliberately cut into pieces under 16 characters by other
// characters (spaces, slashes) is not recognised; only its holder can do
// that, and the holder can leak the key anyway.
const (
	maskRun      = 16 // letters and digits in a row that are masked
	maskWord     = 40 // letters and digits in one joined word that are masked
	maskShown    = 4  // characters of a masked run that stay visible
	maskReplaced = "****"
)

// maxLogText is the most runes of client-chosen text (a path, a model
// name) that a log line or an error message repeats.
const maxLogText = 2 * model.MaxModelLen

// maxErrText is the most runes of an error's text that a log line holds.
const maxErrText = 1024

// safeText makes client-chosen text fit to log or repeat: anything that
// looks like a key is hidden and the text is cut to maxLogText runes.
func safeText(p string) string {
	return cutRunes(maskKeys(p), maxLogText)
}

// safeErr is an error's text, masked and cut, for a log line: an upstream
// error repeats the URL, path and query included.
func safeErr(err error) string {
	if err == nil {
		return ""
	}
	return cutRunes(maskKeys(err.Error()), maxErrText)
}

// cutRunes cuts s to n runes, marking the cut with "…".
func cutRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}

// maskKeys hides every key-shaped part of s (see the rules above).
func maskKeys(s string) string {
	if !hasLongAlnum(s) && !strings.Contains(s, keys.Prefix) {
		return s // the common case: nothing to mask, no allocation
	}
	m := masker{}
	m.b.Grow(len(s))
	for i := 0; i < len(s); {
		if !isJoined(s[i]) {
			m.b.WriteByte(s[i])
			i++
			continue
		}
		j := i
		for j < len(s) && isJoined(s[j]) {
			j++
		}
		m.word(s[i:j])
		i = j
	}
	return m.b.String()
}

// masker writes masked text. shown is set once a masked run has kept its
// last characters: later runs of the same text are masked whole, so
// that a key cut into pieces by spaces or punctuation never shows more
// than maskShown of its characters.
type masker struct {
	b     strings.Builder
	shown bool
}

// hasLongAlnum reports whether s holds a run of maskRun letters and
// digits, or a joined word long enough to be masked.
func hasLongAlnum(s string) bool {
	run, word := 0, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case isAlnum(c):
			run++
			word++
		case isJoiner(c):
			run = 0
		default:
			run, word = 0, 0
		}
		if run >= maskRun || word >= maskWord {
			return true
		}
	}
	return false
}

// word writes one joined word with its key-shaped parts masked.
func (m *masker) word(w string) {
	b := &m.b
	if countAlnum(w) >= maskWord {
		b.WriteString(maskReplaced)
		return
	}
	for i := 0; i < len(w); {
		if !isAlnum(w[i]) {
			b.WriteByte(w[i])
			i++
			continue
		}
		j := i
		for j < len(w) && isAlnum(w[j]) {
			j++
		}
		run := w[i:j]
		switch {
		case j-i >= maskRun && m.shown:
			b.WriteString(maskReplaced)
		case j-i >= maskRun:
			b.WriteString(maskReplaced + run[len(run)-maskShown:])
			m.shown = true
		case afterPrefix(w, i):
			b.WriteString(maskReplaced)
		default:
			b.WriteString(run)
		}
		i = j
	}
}

// afterPrefix reports whether w[i:] follows a key prefix ("sk-") that
// starts the word or follows a joiner.
func afterPrefix(w string, i int) bool {
	start := i - len(keys.Prefix)
	if start < 0 || w[start:i] != keys.Prefix {
		return false
	}
	return start == 0 || !isAlnum(w[start-1])
}

// countAlnum counts the letters and digits of s.
func countAlnum(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if isAlnum(s[i]) {
			n++
		}
	}
	return n
}

// isAlnum reports whether c is in a key's alphabet.
func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z'
}

// isJoiner reports whether c can join the pieces of a cut-up key.
func isJoiner(c byte) bool {
	return c == '-' || c == '_' || c == '.' || c == '%' || c == '\\'
}

// isJoined reports whether c belongs to a joined word.
func isJoined(c byte) bool { return isAlnum(c) || isJoiner(c) }
