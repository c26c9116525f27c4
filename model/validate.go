package model

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits on what a token may hold.
const (
	MaxNameLen  = 64   // characters (runes) in a token name
	MaxModelLen = 128  // characters in one model name
	MaxModels   = 1000 // models in one allowlist
)

// Field names a validation error can carry.
const (
	FieldName   = "name"
	FieldLimit  = "quota"
	FieldModels = "models"
	FieldModel  = "model"
)

// ErrInvalid is wrapped by every FieldError.
var ErrInvalid = errors.New("invalid input")

// FieldError says which field is wrong and why, in words a person can act
// on.
type FieldError struct {
	Field  string
	Reason string
}

// Error returns "name: must not be empty" style text.
func (e *FieldError) Error() string { return e.Field + ": " + e.Reason }

// Unwrap lets errors.Is(err, ErrInvalid) match.
func (e *FieldError) Unwrap() error { return ErrInvalid }

func fieldErr(field, format string, a ...any) error {
	return &FieldError{Field: field, Reason: fmt.Sprintf(format, a...)}
}

// CleanName trims a token name and checks it: 1 to 64 characters, no
// control characters or escape sequences, no invisible characters that
// could make it look blank or hide text in it (see firstHidden), and not
// only spaces.
func CleanName(name string) (string, error) {
	if !utf8.ValidString(name) {
		return "", fieldErr(FieldName, "is not valid UTF-8 text")
	}
	if r, ok := firstControl(name); ok {
		return "", fieldErr(FieldName, "contains the control character %U; "+
			"use letters, digits, punctuation, symbols or emoji", r)
	}
	name = strings.TrimSpace(name)
	if r, ok := firstHidden(name); ok {
		return "", fieldErr(FieldName, "contains the invisible character %U, which "+
			"would hide what the name holds; remove it", r)
	}
	n := utf8.RuneCountInString(name)
	switch {
	case n == 0:
		return "", fieldErr(FieldName, "must not be empty")
	case n > MaxNameLen:
		return "", fieldErr(FieldName, "is %d characters; the most is %d", n, MaxNameLen)
	case !hasVisible(name):
		return "", fieldErr(FieldName, "has no visible characters")
	}
	return name, nil
}

// hasVisible reports whether s has a character that shows: not a space
// and not an invisible format character such as U+200B ZERO WIDTH SPACE.
func hasVisible(s string) bool {
	for _, r := range s {
		if !unicode.IsSpace(r) && !unicode.Is(unicode.Cf, r) &&
			!unicode.Is(unicode.Variation_Selector, r) {
			return true
		}
	}
	return false
}

// firstHidden finds the first rune that shows nothing yet is no space, so
// could make a name look blank or hide text inside it: format characters
// (zero-width space, word joiner, byte order mark, soft hyphen, tags,
// invisible operators, interlinear annotations), the other default
// ignorable characters (Hangul fillers, combining grapheme joiner) and
// the braille blank U+2800. The zero-width joiner and non-joiner are
// allowed between two visible non-ASCII characters, where emoji
// sequences and scripts such as Persian and Devanagari need them.
func firstHidden(s string) (rune, bool) {
	runes := []rune(s)
	for i, r := range runes {
		if isJoiner(r) && joinsVisible(runes, i) {
			continue
		}
		if isHidden(r) {
			return r, true
		}
	}
	return 0, false
}

// isHidden reports whether r is invisible without being a space.
func isHidden(r rune) bool {
	return r == brailleBlank || unicode.Is(unicode.Cf, r) ||
		unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r)
}

// brailleBlank is U+2800 BRAILLE PATTERN BLANK, a symbol that shows as a
// space but is not one.
const brailleBlank = 0x2800

// isJoiner reports whether r is U+200C ZERO WIDTH NON-JOINER or U+200D
// ZERO WIDTH JOINER.
func isJoiner(r rune) bool { return r == 0x200C || r == 0x200D }

// joinsVisible reports whether runes[i] sits between two visible non-ASCII
// characters. ASCII text never needs a joiner, so one there only hides.
func joinsVisible(runes []rune, i int) bool {
	if i == 0 || i == len(runes)-1 {
		return false
	}
	for _, r := range []rune{runes[i-1], runes[i+1]} {
		if r < utf8.RuneSelf || unicode.IsSpace(r) || isHidden(r) {
			return false
		}
	}
	return true
}

// firstControl finds the first rune that could move the cursor, change
// colours or otherwise act on a terminal: C0 and C1 controls (ESC and CSI
// among them), DEL, the line and paragraph separators, and bidirectional
// overrides that reorder what is shown.
func firstControl(s string) (rune, bool) {
	for _, r := range s {
		if unicode.IsControl(r) || isBidiControl(r) || r == 0x2028 || r == 0x2029 {
			return r, true
		}
	}
	return 0, false
}

func isBidiControl(r rune) bool {
	return r >= 0x202A && r <= 0x202E || r >= 0x2066 && r <= 0x2069 ||
		r == 0x200E || r == 0x200F || r == 0x061C
}

// CheckLimit checks a quota amount.
func CheckLimit(m Money) error {
	switch {
	case m < 0:
		return fieldErr(FieldLimit, "must be zero or more")
	case m > MaxMoney:
		return fieldErr(FieldLimit, "must be at most %s", MaxMoney.Format())
	}
	return nil
}

// CleanModel trims one model name and checks it: 1 to 128 characters, no
// spaces, no control characters and no invisible characters (format
// characters, fillers, the braille blank; joiners included).
func CleanModel(name string) (string, error) {
	name = strings.TrimSpace(name)
	n := utf8.RuneCountInString(name)
	switch {
	case !utf8.ValidString(name):
		return "", fieldErr(FieldModel, "is not valid UTF-8 text")
	case n == 0:
		return "", fieldErr(FieldModel, "must not be empty")
	case n > MaxModelLen:
		return "", fieldErr(FieldModel, "%.20q… is %d characters; the most is %d",
			name, n, MaxModelLen)
	}
	for _, r := range name {
		if unicode.IsSpace(r) {
			return "", fieldErr(FieldModel, "%q contains a space", name)
		}
		if unicode.IsControl(r) || isBidiControl(r) {
			return "", fieldErr(FieldModel, "contains the control character %U; "+
				"model names are plain text such as gpt-4o", r)
		}
		if isHidden(r) {
			return "", fieldErr(FieldModel, "contains the invisible character %U; "+
				"model names are plain text such as gpt-4o", r)
		}
	}
	return name, nil
}

// CleanModels checks every name in an allowlist, drops duplicates while
// keeping the first order, and caps the list at MaxModels. An empty or nil
// list means every model and is returned as nil.
func CleanModels(models []string) ([]string, error) {
	if len(models) == 0 {
		return nil, nil
	}
	seen := make(map[string]struct{}, len(models))
	out := make([]string, 0, len(models))
	for _, m := range models {
		clean, err := CleanModel(m)
		if err != nil {
			var fe *FieldError
			if errors.As(err, &fe) {
				fe.Field = FieldModels
			}
			return nil, err
		}
		if _, dup := seen[clean]; dup {
			continue
		}
		seen[clean] = struct{}{}
		out = append(out, clean)
	}
	if len(out) > MaxModels {
		return nil, fieldErr(FieldModels, "has %d models; the most is %d",
			len(out), MaxModels)
	}
	return out, nil
}
