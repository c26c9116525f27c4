package ui

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"

	"keyward/keys"
	"keyward/model"
)

// TestHelpCloseKeysNeverQuit: in any help, q, ?, esc and f1 close the
// help and return to the screen below, which keeps its state (a form its
// typed text); only ctrl+c quits from there.
func TestHelpCloseKeysNeverQuit(t *testing.T) {
	st := openStore(t)
	seed(t, st, 2)
	cases := []struct {
		open []string
		help string
		back screen
	}{
		{[]string{"n"}, "f1", screenForm},
		{nil, "?", screenTable},
		{[]string{"s"}, "?", screenSetup},
		{[]string{"m"}, "?", screenCatalog},
	}
	for _, c := range cases {
		for _, closeKey := range []string{"q", "?", "esc", "f1"} {
			h := newHarness(t, st, 80, 24)
			h.press(c.open...)
			if c.back == screenForm {
				h.typeText("half-typed")
			}
			h.press(c.help)
			if h.m.state != screenHelp {
				t.Fatalf("%v then %s: screen %d, not the help", c.open, c.help, h.m.state)
			}
			if foot := ansi.Strip(h.m.viewHelpLine()); !strings.HasSuffix(foot, "esc close") {
				t.Errorf("help footer %q does not end with \"esc close\"", foot)
			}
			_, cmd := h.m.Update(keyMsg(closeKey))
			h.run(cmd)
			if quitCmd(cmd) || h.m.state != c.back {
				t.Errorf("%v, help, %s: quit %v, screen %d, want %d", c.open, closeKey,
					quitCmd(cmd), h.m.state, c.back)
			}
			if c.back == screenForm && h.m.form.name.Value() != "half-typed" {
				t.Errorf("the form lost its text: %q", h.m.form.name.Value())
			}
		}
		h := newHarness(t, st, 80, 24)
		h.press(c.open...)
		h.press(c.help)
		if _, cmd := h.m.Update(keyMsg("ctrl+c")); !quitCmd(cmd) {
			t.Errorf("ctrl+c in the help over %v does not quit", c.open)
		}
	}
}

// TestNameLimitKeepsWholeClusters: a name cut to model.MaxNameLen runes
// keeps whole grapheme clusters, whether the text is pasted, arrives in
// one read or is typed one rune at a time; the other limited inputs
// (filter, catalog add line) cut the same way.
func TestNameLimitKeepsWholeClusters(t *testing.T) {
	text := strings.Repeat(hairdo, 16) // 5 runes each: 80 runes
	want := strings.Repeat(hairdo, 12) // 60 runes; a 13th would make 65
	send := map[string]func(h *harness){
		"paste": func(h *harness) { h.paste(text) },
		"read":  func(h *harness) { h.send(keyMsg(text)) },
		"typed": func(h *harness) { h.typeText(text) },
	}
	for how, do := range send {
		st := openStore(t)
		h := newHarness(t, st, 80, 24)
		h.press("n")
		do(h)
		if got := h.m.form.name.Value(); got != want {
			t.Errorf("%s: name %q (%d runes), want 12 whole %q", how, got,
				utf8.RuneCountInString(got), hairdo)
		}
		if h.m.form.errs[fieldName] == "" {
			t.Errorf("%s: no word under the name about the cut", how)
		}
	}
	h := newHarness(t, openStore(t), 80, 24)
	h.press("/")
	h.typeText(strings.Repeat("x", filterLimit-4) + hairdo)
	if got := h.m.filter.Value(); got != strings.Repeat("x", filterLimit-4) {
		t.Errorf("filter kept a broken character: %q", got[filterLimit-4:])
	}
}

// TestRevealedKeyShowsWhole: a revealed key is on screen in full, in its
// row where the Key column can be widened to it (Name gives way first),
// else on the footer; every line still fits, and the key masks again
// when the cursor leaves the row or a form opens.
func TestRevealedKeyShowsWhole(t *testing.T) {
	st := openStore(t)
	mustCreate(t, st, model.Spec{Name: "alpha-team-long-name-here", Unlimited: true})
	toks := seed(t, st, 2)
	for _, c := range []struct {
		w     int
		inRow bool
	}{{100, true}, {86, true}, {85, false}, {60, false}, {40, false}} {
		h := newHarness(t, st, c.w, 16)
		h.press("r")
		sel, _ := h.m.list.selected()
		lines := strings.Split(stable(h.view()), "\n")
		row, footer := -1, -1
		for i, l := range lines {
			if safeCells(l) > c.w {
				t.Errorf("width %d: line %d is %d cells wide", c.w, i, safeCells(l))
			}
			switch {
			case strings.HasPrefix(l, "> ") && strings.Contains(l, sel.Key):
				row = i
			case strings.Contains(l, sel.Key):
				footer = i
			}
		}
		if c.inRow && (row < 0 || footer >= 0) {
			t.Errorf("width %d: the key %s is not whole in its row only:\n%s", c.w,
				keys.Mask(sel.Key), strings.Join(lines, "\n"))
		}
		// at 40 columns the 51-cell key takes two lines of the footer
		whole := footer >= 0 || c.w < 51 && strings.Contains(strings.Join(lines, ""), sel.Key)
		if !c.inRow && (!whole || !strings.Contains(h.view(), "Key of '")) {
			t.Errorf("width %d: the key %s is not whole on the footer:\n%s", c.w,
				keys.Mask(sel.Key), strings.Join(lines, "\n"))
		}
		if c.inRow && row >= 0 && !strings.Contains(lines[row], "Enabled") {
			t.Errorf("width %d: the row lost its status: %q", c.w, lines[row])
		}
		h.press("down")
		noKeys(t, h.view(), append(toks, sel)...)
		h.press("up", "r", "n")
		noKeys(t, h.view(), append(toks, sel)...)
	}
}

// TestCatalogNameBeforePrices: on a narrow terminal the price columns
// narrow and go (Cached first) before a model name is cut: at 40x10 a
// 16-character name shows whole, with its input price.
func TestCatalogNameBeforePrices(t *testing.T) {
	st := openStore(t)
	const name = "claude-3-5-haiku"
	cached := 8 * model.Dollar / 100
	price := &model.Price{Input: 80 * model.Dollar / 100, Output: 4 * model.Dollar,
		CachedInput: &cached}
	if err := st.SetPrice("x", name, price); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		w, h   int
		heads  []string
		absent []string
	}{
		{40, 10, []string{"Model", "Input", "Output"}, []string{"Cached"}},
		{80, 24, []string{"Model", "Input", "Output", "Cached"}, nil},
	} {
		h := newHarness(t, st, c.w, c.h)
		h.press("m")
		v := stable(h.view())
		if !strings.Contains(v, "> "+name+" ") || !strings.Contains(v, "$0.8") {
			t.Errorf("%dx%d: %q or its price is not shown whole:\n%s", c.w, c.h, name, v)
		}
		for _, head := range c.heads {
			if !strings.Contains(v, head) {
				t.Errorf("%dx%d: no %s column:\n%s", c.w, c.h, head, v)
			}
		}
		for _, head := range c.absent {
			if strings.Contains(v, head) {
				t.Errorf("%dx%d: %s kept before the name:\n%s", c.w, c.h, head, v)
			}
		}
		for _, l := range strings.Split(v, "\n") {
			if safeCells(l) > c.w {
				t.Errorf("%dx%d: line %q is too wide", c.w, c.h, l)
			}
		}
	}
}
