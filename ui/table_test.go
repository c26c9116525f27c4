package ui

import (
	"fmt"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"keyward/keys"
	"keyward/model"
	"keyward/storage"
)

// seed creates n limited tokens named tok-00.. in st; List returns them
// newest first.
func seed(t testing.TB, st storage.Store, n int) []model.Token {
	t.Helper()
	out := make([]model.Token, n)
	for i := range out {
		out[i] = mustCreate(t, st, model.Spec{Name: fmt.Sprintf("tok-%02d", i),
			Limit: 10 * model.Dollar})
	}
	return out
}

func selectedName(h *harness) string {
	t, ok := h.m.list.selected()
	if !ok {
		return ""
	}
	return t.Name
}

func TestEmptyState(t *testing.T) {
	h := newHarness(t, openStore(t), 80, 24)
	v := h.view()
	for _, want := range []string{"No tokens yet: press n to create one", "0 tokens",
		"Keyward", "n new"} {
		if !strings.Contains(v, want) {
			t.Errorf("empty view lacks %q:\n%s", want, v)
		}
	}
	h.press("e", "t", "d", "c", "r", "s", "enter") // nothing to act on: no-ops
	if h.m.state != screenTable {
		t.Errorf("keys on an empty table changed the screen to %d", h.m.state)
	}
}

func TestMovement(t *testing.T) {
	st := openStore(t)
	seed(t, st, 30) // newest first: tok-29 ... tok-00
	h := newHarness(t, st, 80, 12)
	page := h.m.tableRows(h.m.bodyHeight())
	steps := []struct {
		keys []string
		want string
	}{
		{nil, "tok-29"},
		{[]string{"down"}, "tok-28"},
		{[]string{"j", "j"}, "tok-26"},
		{[]string{"up"}, "tok-27"},
		{[]string{"k"}, "tok-28"},
		{[]string{"G"}, "tok-00"},
		{[]string{"g"}, "tok-29"},
		{[]string{"end"}, "tok-00"},
		{[]string{"home"}, "tok-29"},
		{[]string{"pgdown"}, fmt.Sprintf("tok-%02d", 29-page)},
		{[]string{"pgup"}, "tok-29"},
		{[]string{"up"}, "tok-29"}, // clamped at the top
	}
	for _, s := range steps {
		h.press(s.keys...)
		if got := selectedName(h); got != s.want {
			t.Fatalf("after %v the selection is %q, want %q", s.keys, got, s.want)
		}
	}
	h.press("G")
	if !strings.Contains(h.view(), "> tok-00") {
		t.Errorf("the last row is not scrolled into view:\n%s", h.view())
	}
}

func TestKeysArrivingTogether(t *testing.T) {
	st := openStore(t)
	seed(t, st, 5)
	h := newHarness(t, st, 80, 24)
	h.send(keyMsg("jj")) // two presses read at once
	if got := selectedName(h); got != "tok-02" {
		t.Errorf("\"jj\" in one read selects %q, want tok-02", got)
	}
	h.send(keyMsg("rn")) // reveal, then a new token
	if h.m.state != screenForm {
		t.Fatalf("\"rn\" in one read did not open the form")
	}
	h.send(keyMsg("ab"))
	if got := h.m.form.name.Value(); got != "ab" {
		t.Errorf("text arriving together in a field: %q", got)
	}
}

func TestMouseWheelAndClick(t *testing.T) {
	st := openStore(t)
	seed(t, st, 5)
	h := newHarness(t, st, 80, 24)
	wheel := func(b tea.MouseButton) {
		h.send(tea.MouseMsg{Button: b, Action: tea.MouseActionPress})
	}
	wheel(tea.MouseButtonWheelDown)
	wheel(tea.MouseButtonWheelDown)
	if got := selectedName(h); got != "tok-02" {
		t.Errorf("wheel down twice selects %q, want tok-02", got)
	}
	wheel(tea.MouseButtonWheelUp)
	if got := selectedName(h); got != "tok-03" {
		t.Errorf("wheel up selects %q, want tok-03", got)
	}
	h.send(tea.MouseMsg{Button: tea.MouseButtonLeft, Action: tea.MouseActionPress, Y: 2})
	if got := selectedName(h); got != "tok-04" {
		t.Errorf("a click on the first row selects %q, want tok-04", got)
	}
}

func TestFilterByName(t *testing.T) {
	st := openStore(t)
	for _, n := range []string{"CI-Runner", "laptop", "ci-batch", "日本語🔑"} {
		mustCreate(t, st, model.Spec{Name: n, Unlimited: true})
	}
	h := newHarness(t, st, 80, 24)
	h.press("/")
	h.typeText("ci")
	if got := len(h.m.list.view); got != 2 {
		t.Fatalf("filter \"ci\" shows %d rows, want 2", got)
	}
	if v := h.view(); !strings.Contains(v, "2 of 4") || !strings.Contains(v, `filter "ci"`) {
		t.Errorf("header lacks the count or the filter:\n%s", v)
	}
	h.press("enter")
	if h.m.state != screenTable || h.m.query != "ci" {
		t.Fatalf("enter should keep the filter: state %d query %q", h.m.state, h.m.query)
	}
	h.press("/", "backspace", "backspace")
	h.typeText("日本")
	if got := selectedName(h); got != "日本語🔑" || len(h.m.list.view) != 1 {
		t.Errorf("filter by CJK selects %q of %d rows", got, len(h.m.list.view))
	}
	h.press("esc")
	if h.m.query != "" || len(h.m.list.view) != 4 || h.m.state != screenTable {
		t.Errorf("esc should clear the filter: query %q, %d rows", h.m.query,
			len(h.m.list.view))
	}
	if !strings.Contains(h.view(), "4 tokens") {
		t.Errorf("header should say 4 tokens:\n%s", h.view())
	}
}

func TestFilterNoMatch(t *testing.T) {
	st := openStore(t)
	seed(t, st, 3)
	h := newHarness(t, st, 80, 24)
	h.press("/")
	h.typeText("zzz")
	h.press("enter")
	v := h.view()
	if !strings.Contains(v, `No token matches "zzz"`) || !strings.Contains(v, "0 of 3") {
		t.Errorf("no-match view:\n%s", v)
	}
	h.press("e", "d", "t") // no row: nothing happens
	if h.m.state != screenTable {
		t.Errorf("actions with no row changed the screen to %d", h.m.state)
	}
	h.press("esc")
	if len(h.m.list.view) != 3 {
		t.Errorf("esc on the table should clear the filter")
	}
}

func TestFilterByKey(t *testing.T) {
	st := openStore(t)
	toks := seed(t, st, 5)
	want := toks[2]
	cases := []struct {
		name, text string
		paste      bool
	}{
		{"pasted full key", want.Key, true},
		{"pasted key with newline", want.Key + "\n", true},
		{"part of the key", want.Key[20:30], true},
		{"masked key", keys.Mask(want.Key), true},
		{"typed last four", want.Key[len(want.Key)-4:], false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, st, 80, 24)
			h.press("/")
			if c.paste {
				h.paste(c.text)
			} else {
				h.typeText(c.text)
			}
			if h.m.state != screenFilter {
				t.Fatalf("a paste must not leave the filter line (state %d)", h.m.state)
			}
			if got := selectedName(h); got != want.Name {
				t.Errorf("filter by %s selects %q, want %q", c.name, got, want.Name)
			}
			if strings.Contains(h.view(), want.Key) {
				t.Errorf("the header shows the pasted key in full")
			}
		})
	}
}

func TestPasteOnTableStartsFilter(t *testing.T) {
	st := openStore(t)
	toks := seed(t, st, 3)
	h := newHarness(t, st, 80, 24)
	h.paste(toks[0].Key + "\n")
	if h.m.state != screenFilter || selectedName(h) != toks[0].Name {
		t.Errorf("pasting a key on the table: state %d, selected %q", h.m.state,
			selectedName(h))
	}
}

func TestSelectionKeptAcrossReload(t *testing.T) {
	st := openStore(t)
	seed(t, st, 5)
	h := newHarness(t, st, 80, 24)
	h.press("down", "down") // tok-02
	mustCreate(t, st, model.Spec{Name: "newer", Unlimited: true})
	h.send(storeChangedMsg{})
	if got := selectedName(h); got != "tok-02" {
		t.Errorf("after a reload the selection is %q, want tok-02", got)
	}
	h.press("/")
	h.typeText("tok-0")
	h.press("enter")
	h.send(storeChangedMsg{})
	if h.m.query != "tok-0" || len(h.m.list.view) != 5 {
		t.Errorf("a reload lost the filter: %q, %d rows", h.m.query, len(h.m.list.view))
	}
}

func TestCursorAfterDeletingLastRow(t *testing.T) {
	st := openStore(t)
	seed(t, st, 3)
	h := newHarness(t, st, 80, 24)
	h.press("G")
	if selectedName(h) != "tok-00" {
		t.Fatalf("G selects %q", selectedName(h))
	}
	h.press("d", "y")
	if got := selectedName(h); got != "tok-01" {
		t.Errorf("after deleting the last row the selection is %q, want tok-01", got)
	}
	if h.m.list.cursor != len(h.m.list.view)-1 {
		t.Errorf("cursor %d outside %d rows", h.m.list.cursor, len(h.m.list.view))
	}
	h.press("d", "y", "d", "y")
	if _, ok := h.m.list.selected(); ok || h.m.list.cursor != 0 {
		t.Errorf("an empty table still has a selection (cursor %d)", h.m.list.cursor)
	}
	if !strings.Contains(h.view(), "No tokens yet") {
		t.Errorf("empty after deletes:\n%s", h.view())
	}
}

func TestCursorAfterDeleteElsewhere(t *testing.T) {
	st := openStore(t)
	toks := seed(t, st, 3)
	h := newHarness(t, st, 80, 24)
	h.press("G")
	if err := st.Delete("someone", toks[0].ID); err != nil {
		t.Fatal(err)
	}
	h.send(storeChangedMsg{})
	if got := selectedName(h); got != "tok-01" {
		t.Errorf("after another session deleted the row the selection is %q", got)
	}
}

func TestDeleteConfirmation(t *testing.T) {
	st := openStore(t)
	toks := seed(t, st, 2)
	h := newHarness(t, st, 80, 24)
	for _, no := range [][]string{{"enter"}, {"n"}, {"esc"}} {
		h.press("d")
		if v := h.view(); !strings.Contains(v, "Delete 'tok-01'? This cannot be undone.") {
			t.Fatalf("no question:\n%s", v)
		}
		h.press("x") // not an answer: the question stays
		if h.m.state != screenDelete {
			t.Fatalf("an unrelated key answered the question")
		}
		h.press(no...)
		if _, err := st.Get(toks[1].ID); err != nil {
			t.Fatalf("%v deleted the token: %v", no, err)
		}
	}
	h.press("d")
	h.paste("y")
	h.paste("y\n")
	if h.m.state != screenDelete {
		t.Fatalf("a pasted y answered the question")
	}
	h.press("y")
	if _, err := st.Get(toks[1].ID); err == nil {
		t.Fatalf("y did not delete")
	}
	if !strings.Contains(h.view(), "Deleted 'tok-01'") {
		t.Errorf("no result in the footer:\n%s", h.view())
	}
}

func TestToggleEnabled(t *testing.T) {
	st := openStore(t)
	tok := mustCreate(t, st, model.Spec{Name: "ci-runner", Unlimited: true})
	h := newHarness(t, st, 80, 24)
	h.press("t")
	if got, _ := st.Get(tok.ID); got.Enabled {
		t.Fatalf("t did not disable")
	}
	v := h.view()
	if !strings.Contains(v, "Disabled 'ci-runner'") || !strings.Contains(v, "Disabled ") {
		t.Errorf("footer or status column lacks Disabled:\n%s", v)
	}
	if !strings.Contains(v, "t enable") {
		t.Errorf("help should offer to enable:\n%s", v)
	}
	h.press("t")
	if got, _ := st.Get(tok.ID); !got.Enabled {
		t.Fatalf("t did not enable")
	}
	if !strings.Contains(h.view(), "Enabled 'ci-runner'") {
		t.Errorf("footer:\n%s", h.view())
	}
}

func TestStatusWords(t *testing.T) {
	st := openStore(t)
	ex := mustCreate(t, st, model.Spec{Name: "spent", Limit: model.Dollar})
	if _, err := st.Charge(ex.ID, 2*model.Dollar); err != nil {
		t.Fatal(err)
	}
	off := mustCreate(t, st, model.Spec{Name: "off", Unlimited: true})
	if _, err := st.SetEnabled("x", off.ID, false); err != nil {
		t.Fatal(err)
	}
	un := mustCreate(t, st, model.Spec{Name: "free", Unlimited: true})
	if _, err := st.Charge(un.ID, 320*model.Cent); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, st, 120, 24)
	v := h.view()
	for _, want := range []string{"Exhausted", "Disabled", "Enabled",
		"Unlimited · $3.20 used", "$0.00 / $1.00 █████"} {
		if !strings.Contains(v, want) {
			t.Errorf("view lacks %q:\n%s", want, v)
		}
	}
}

func TestRevealMasksWhenLeaving(t *testing.T) {
	st := openStore(t)
	toks := seed(t, st, 2)
	h := newHarness(t, st, 80, 24)
	noKeys(t, h.view(), toks...)
	h.press("r")
	if !strings.Contains(h.view(), toks[1].Key) {
		t.Fatalf("r did not reveal the key")
	}
	h.press("down")
	noKeys(t, h.view(), toks...)
	h.press("up", "r", "e")
	if h.m.reveal != 0 {
		t.Errorf("opening a form left the key revealed")
	}
	h.press("esc")
	noKeys(t, h.view(), toks...)
	h.press("r", "r")
	noKeys(t, h.view(), toks...)
}

func TestQuitKeys(t *testing.T) {
	st := openStore(t)
	seed(t, st, 1)
	h := newHarness(t, st, 80, 24)
	if _, cmd := h.m.Update(keyMsg("q")); !quitCmd(cmd) {
		t.Errorf("q on the table does not quit")
	}
	for _, open := range [][]string{{"n"}, {"/"}, {"d"}, {"s"}, {"m"}, {"?"}} {
		h := newHarness(t, st, 80, 24)
		h.press(open...)
		if _, cmd := h.m.Update(keyMsg("ctrl+c")); !quitCmd(cmd) {
			t.Errorf("ctrl+c after %v does not quit", open)
		}
	}
	h = newHarness(t, st, 80, 24)
	h.press("n")
	if _, cmd := h.m.Update(keyMsg("q")); quitCmd(cmd) {
		t.Errorf("q in the name field quits instead of typing")
	}
}

func TestHelpScreen(t *testing.T) {
	h := newHarness(t, openStore(t), 80, 24)
	h.press("?")
	v := h.view()
	for _, want := range []string{"Keys", "filter", "new", "quit", "models"} {
		if !strings.Contains(v, want) {
			t.Errorf("help lacks %q:\n%s", want, v)
		}
	}
	h.press("?")
	if h.m.state != screenTable {
		t.Errorf("? does not close the help")
	}
}

func TestTooSmall(t *testing.T) {
	st := openStore(t)
	for _, sz := range [][2]int{{39, 10}, {40, 9}, {10, 3}, {1, 1}} {
		h := newHarness(t, st, sz[0], sz[1])
		v := h.view()
		if sz[0] >= 20 && !strings.Contains(v, "Terminal too small") {
			t.Errorf("%dx%d: %q", sz[0], sz[1], v)
		}
		checkFits(t, v, sz[0], sz[1])
	}
	h := newHarness(t, st, 40, 10)
	if strings.Contains(h.view(), "too small") {
		t.Errorf("40x10 is big enough")
	}
}

// TestZeroSizeTerminalGetsClassicSize: a terminal that reports 0x0 (as
// `ssh -tt` from a pipe does) still gets the table, at 80x24.
func TestZeroSizeTerminalGetsClassicSize(t *testing.T) {
	h := newHarness(t, openStore(t), 0, 0)
	view := h.m.View()
	if strings.Contains(view, "Loading") {
		t.Fatalf("the console is still loading at 0x0:\n%s", view)
	}
	lines := strings.Split(view, "\n")
	if len(lines) != fallbackHeight {
		t.Errorf("drew %d lines, want %d", len(lines), fallbackHeight)
	}
	for _, l := range lines {
		if w := ansi.StringWidth(l); w > fallbackWidth {
			t.Errorf("line wider than %d: %q", fallbackWidth, l)
		}
	}
}
