package model

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestCleanName(t *testing.T) {
	cases := []struct {
		in, want string
		ok       bool
	}{
		{"prod", "prod", true},
		{"  padded  ", "padded", true},
		{"café crème", "café crème", true},
		{"日本語のトークン", "日本語のトークン", true},
		{"🚀 launch 👨‍👩‍👧", "🚀 launch 👨‍👩‍👧", true},
		{"a-b_c.d/e:f (g) [h] #1 $2 ✓", "a-b_c.d/e:f (g) [h] #1 $2 ✓", true},
		{strings.Repeat("x", 64), strings.Repeat("x", 64), true},
		{strings.Repeat("é", 64), strings.Repeat("é", 64), true},
		{strings.Repeat("🙂", 64), strings.Repeat("🙂", 64), true},
		{strings.Repeat("x", 65), "", false},
		{strings.Repeat("界", 65), "", false},
		{"", "", false},
		{"   ", "", false},
		{"\u200b", "", false},              // zero-width space only
		{"\u200b\ufeff \u2060", "", false}, // invisible only
		{"red\x1b[31m", "", false},         // ESC: colour change
		{"\x1b]0;title\x07", "", false},    // OSC title change
		{"up\x1b[A", "", false},            // cursor up
		{"csi\u009b31m", "", false},        // C1 CSI
		{"nel\u0085x", "", false},          // C1 NEL
		{"tab\tname", "", false},
		{"new\nline", "", false},
		{"trailing newline\n", "", false},
		{"cr\rname", "", false},
		{"del\x7f", "", false},
		{"bell\a", "", false},
		{"bidi \u202eevil", "", false},
		{"isolate \u2067x\u2069", "", false},
		{"mark \u200f", "", false},
		{"line\u2028sep", "", false},
		{"para\u2029sep", "", false},
		{"bad \xff utf8", "", false},
	}
	for _, c := range cases {
		got, err := CleanName(c.in)
		if c.ok {
			if err != nil || got != c.want {
				t.Errorf("CleanName(%q) = %q, %v; want %q", c.in, got, err, c.want)
			}
			continue
		}
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != FieldName || !errors.Is(err, ErrInvalid) {
			t.Errorf("CleanName(%q) = %q, %v; want a name FieldError", c.in, got, err)
			continue
		}
		if strings.ContainsAny(fe.Reason, "\x1b\u009b\u202e") {
			t.Errorf("CleanName(%q): the reason %q carries the control character", c.in,
				fe.Reason)
		}
	}
}

func TestCleanModel(t *testing.T) {
	long := strings.Repeat("m", 128)
	cases := []struct {
		in, want string
		ok       bool
	}{
		{"gpt-5", "gpt-5", true},
		{" claude-sonnet-4-5 ", "claude-sonnet-4-5", true},
		{"meta-llama/Llama-3.3-70B-Instruct", "meta-llama/Llama-3.3-70B-Instruct", true},
		{"models/gemini-2.5-pro@001:latest", "models/gemini-2.5-pro@001:latest", true},
		{"qwen3-235b-a22b", "qwen3-235b-a22b", true},
		{long, long, true},
		{long + "m", "", false},
		{"", "", false},
		{"gpt 5", "", false},
		{"gpt\u00a05", "", false},
		{"gpt\t5", "", false},
		{"gpt-5\x1b[2J", "", false},
		{"gpt\u202e5", "", false},
		{"gpt\u200b5", "", false},
		{"bad\xff", "", false},
	}
	for _, c := range cases {
		got, err := CleanModel(c.in)
		if c.ok != (err == nil) || got != c.want {
			t.Errorf("CleanModel(%q) = %q, %v; want %q ok=%t", c.in, got, err, c.want, c.ok)
		}
		var fe *FieldError
		if err != nil && (!errors.As(err, &fe) || fe.Field != FieldModel) {
			t.Errorf("CleanModel(%q) error %v is not a model FieldError", c.in, err)
		}
	}
}

func TestCleanModels(t *testing.T) {
	got, err := CleanModels([]string{" b ", "a", "b", "a", "c"})
	if err != nil || strings.Join(got, ",") != "b,a,c" {
		t.Errorf("CleanModels = %v, %v; want b,a,c in first order", got, err)
	}
	if got, err := CleanModels(nil); got != nil || err != nil {
		t.Errorf("CleanModels(nil) = %v, %v", got, err)
	}
	if got, err := CleanModels([]string{}); got != nil || err != nil {
		t.Errorf("CleanModels(empty) = %v, %v; want nil (every model)", got, err)
	}
	_, err = CleanModels([]string{"ok", "not ok"})
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Field != FieldModels {
		t.Errorf("bad model in a list: %v; want a models FieldError", err)
	}
	many := make([]string, 0, MaxModels+1)
	for i := range MaxModels + 1 {
		many = append(many, fmt.Sprintf("model-%d", i))
	}
	if got, err := CleanModels(many[:MaxModels]); err != nil || len(got) != MaxModels {
		t.Errorf("%d models: %d, %v; want all accepted", MaxModels, len(got), err)
	}
	if _, err := CleanModels(many); !errors.As(err, &fe) || fe.Field != FieldModels {
		t.Errorf("%d models: %v; want a models FieldError", len(many), err)
	}
	dups := make([]string, 5000)
	for i := range dups {
		dups[i] = "same"
	}
	if got, err := CleanModels(dups); err != nil || len(got) != 1 {
		t.Errorf("5000 duplicates: %v, %v; want one model", len(got), err)
	}
}

func TestCheckLimit(t *testing.T) {
	for _, c := range []struct {
		m  Money
		ok bool
	}{{0, true}, {1, true}, {MaxMoney, true}, {MaxMoney + 1, false}, {-1, false}} {
		err := CheckLimit(c.m)
		if (err == nil) != c.ok {
			t.Errorf("CheckLimit(%d) = %v", c.m, err)
		}
		var fe *FieldError
		if err != nil && (!errors.As(err, &fe) || fe.Field != FieldLimit) {
			t.Errorf("CheckLimit(%d) error %v is not a quota FieldError", c.m, err)
		}
	}
}

// TestModelErrorsAreWords: a refused model name is explained in words,
// without Go escape sequences, and without echoing the character.
func TestModelErrorsAreWords(t *testing.T) {
	for _, name := range []string{"💇🏻\u200d♀️", "gpt\u200b4o", "a\x1b[31mb"} {
		_, err := CleanModel(name)
		if err == nil {
			t.Fatalf("CleanModel(%+q) accepted", name)
		}
		msg := err.Error()
		if strings.Contains(msg, `\u`) || strings.Contains(msg, `\U`) ||
			strings.Contains(msg, `\x`) || strings.ContainsRune(msg, 0x1b) {
			t.Errorf("CleanModel(%+q): message has escapes or raw controls: %q", name, msg)
		}
		if !strings.Contains(msg, "plain text") {
			t.Errorf("CleanModel(%+q): message %q does not say what to do", name, msg)
		}
	}
}
