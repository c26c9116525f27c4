package model

import (
	"errors"
	"strings"
	"testing"
)

func TestCleanNameRefusesBlankAndHiddenCharacters(t *testing.T) {
	refused := []struct{ name, in string }{
		{"braille blank only", "\u2800"},
		{"braille blank inside", "prod\u2800key"},
		{"hangul choseong filler", "\u115f"},
		{"hangul jungseong filler", "a\u1160b"},
		{"hangul filler", "\u3164\u3164"},
		{"halfwidth hangul filler", "x\uffa0"},
		{"tag characters", "prod\U000E0070\U000E0077\U000E006E"},
		{"cancel tag", "a\U000E007F"},
		{"zero-width space inside", "pr\u200bod"},
		{"word joiner inside", "pr\u2060od"},
		{"byte order mark inside", "pr\ufeffod"},
		{"zero-width non-joiner between ASCII", "pr\u200cod"},
		{"zero-width joiner between ASCII", "pr\u200dod"},
		{"zero-width joiner at the end", "🔑\u200d"},
		{"zero-width joiner at the start", "\u200d🔑"},
		{"zero-width joiner before a space", "🔑\u200d ops"},
		{"soft hyphen", "pr\u00adod"},
		{"combining grapheme joiner", "pr\u034fod"},
		{"mongolian vowel separator", "pr\u180eod"},
		{"invisible times", "a\u2062b"},
		{"interlinear annotation", "a\ufff9hidden\ufffbb"},
	}
	for _, c := range refused {
		got, err := CleanName(c.in)
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != FieldName || !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: CleanName(%+q) = %q, %v; want a name FieldError", c.name, c.in,
				got, err)
			continue
		}
		if !strings.Contains(fe.Reason, "U+") {
			t.Errorf("%s: the reason %q does not say which character", c.name, fe.Reason)
		}
	}
	kept := []string{
		"💇🏻‍♀️ops",      // ZWJ sequence with a skin tone and a variation selector
		"日本語🔑",          // CJK and an emoji
		"❤️‍🔥 team",     // ZWJ after a variation selector
		"👨‍👩‍👧 family",  // several joiners
		"می\u200cخواهم", // Persian: ZWNJ between Arabic letters
		"क्\u200dष",     // Devanagari: ZWJ after a virama
		"1️⃣ first",     // keycap: variation selector after an ASCII digit
		"한글 이름",         // Hangul syllables, not fillers
	}
	for _, in := range kept {
		if got, err := CleanName(in); err != nil || got != in {
			t.Errorf("CleanName(%+q) = %+q, %v; want it kept", in, got, err)
		}
	}
}

func TestCleanModelRefusesBlankCharacters(t *testing.T) {
	for _, in := range []string{"gpt\u2800", "m\u3164", "m\U000E0041", "m\u034f"} {
		if got, err := CleanModel(in); !errors.Is(err, ErrInvalid) {
			t.Errorf("CleanModel(%+q) = %q, %v; want ErrInvalid", in, got, err)
		}
	}
}
