package ui

import (
	"strings"
	"testing"
)

func TestZZProbe(t *testing.T) {
	in := strings.Repeat("💇🏻‍♀️", 16)
	for _, mode := range []string{"paste", "type", "runes"} {
		st := openStore(t)
		h := newHarness(t, st, 80, 24)
		h.press("n")
		switch mode {
		case "paste":
			h.paste(in)
		case "type":
			h.typeText(in)
		case "runes":
			h.send(keyMsg(in))
		}
		t.Logf("%s: %q", mode, h.m.form.name.Value())
	}
}
