package ui

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"

	"keyward/model"
	"keyward/storage"
)

// hairdo is the name that broke tmux: two cells for lipgloss, five for a
// terminal that adds up its runes.
const hairdo = "💇🏻‍♀️"

// emojiPath shows a database path with emoji in the header.
type emojiPath struct{ storage.Store }

func (emojiPath) Path() string { return "/home/" + hairdo + "/データ/keyward.db" }

// emojiConfig puts emoji in every text the console shows that a person
// chose: the path, the operator, the base URL.
func emojiConfig(st storage.Store, out io.Writer) Config {
	cfg := testConfig(st, out)
	cfg.Store = emojiPath{st}
	cfg.Operator = hairdo + "👨‍👩‍👧‍👦-admin"
	cfg.BaseURL = "http://例え.テスト/" + hairdo + "/v1"
	return cfg
}

// longHairdo is a name of 60 runes that is all joiner sequences.
var longHairdo = strings.Repeat(hairdo, 12)

// emojiStore holds tokens and catalog models named with emoji.
func emojiStore(t *testing.T) *storage.DB {
	t.Helper()
	st := openStore(t)
	for _, n := range []string{"ci " + hairdo + " runner", "👨‍👩‍👧‍👦 family ops", hairdo,
		longHairdo} {
		mustCreate(t, st, model.Spec{Name: n, Limit: 5 * model.Dollar,
			Models: []string{"模型-🔑👍🏻-mini"}})
	}
	if err := st.AddModels("x", "模型-🔑👍🏻-mini", strings.Repeat("🔑", 40)); err != nil {
		t.Fatal(err)
	}
	return st
}

// TestEmojiNamesFitEveryScreen draws every screen with emoji names,
// filter text, model names, path and base URL, and checks that every line
// fits the terminal both as lipgloss counts and as tmux does.
func TestEmojiNamesFitEveryScreen(t *testing.T) {
	st := emojiStore(t)
	for _, sz := range [][2]int{{40, 10}, {100, 30}} {
		w, hh := sz[0], sz[1]
		out := &bytes.Buffer{}
		h := harnessWith(t, emojiConfig(st, out), out, w, hh)
		check := func(name string) {
			t.Helper()
			checkFits(t, h.view(), w, hh)
			if t.Failed() {
				t.Fatalf("screen %s at %dx%d:\n%s", name, w, hh, h.view())
			}
		}
		visitScreens(t, h, check)
		h.press("esc", "G")
		check("long name selected")
		h.press("c")
		check("copied")
		h.press("d")
		check("delete question")
		h.press("n", "enter")
		check("details")
		h.press("s")
		check("set-up")
		h.press("e")
		check("edit form")
		h.press("tab", "tab")
		h.typeText("🔑")
		check("models with emoji")
		h.press("esc", "y", "/")
		h.typeText(hairdo + hairdo + hairdo + hairdo)
		check("filter with emoji")
		h.press("enter")
		check("filter kept")
		h.send(deletedMsg{id: 1, name: longHairdo, err: fmt.Errorf("delete %q: %w",
			shortName(longHairdo), storage.ErrReadOnly)})
		check("error about a long name")
	}
}

// footerText is the footer's message as one line.
func footerText(h *harness) string {
	return ansi.Strip(strings.Join(h.m.statusLines(), " "))
}

// TestCopyFooterCutsNameNotOutcome: with a long name, the footer still
// says everything about the copy; the name gives way.
func TestCopyFooterCutsNameNotOutcome(t *testing.T) {
	st := openStore(t)
	mustCreate(t, st, model.Spec{Name: longHairdo, Unlimited: true})
	msg := copiedMsg{what: "the key of", name: longHairdo, tmux: true, systemOn: true,
		systemErr: errors.New("No clipboard utilities available"), oscOn: true}
	cases := []struct {
		w, h  int
		wants []string
	}{
		{80, 24, []string{"Sent the key of '", "' to the terminal (OSC 52; in tmux " +
			"set -g set-clipboard on); no system clipboard (install xclip, xsel or " +
			"wl-clipboard)"}},
		{40, 10, []string{"Sent the key of '", "' via OSC 52 (tmux: set-clipboard on); " +
			"no xclip, xsel or wl-clipboard"}},
	}
	for _, c := range cases {
		h := newHarness(t, st, c.w, c.h)
		h.send(msg)
		got := footerText(h)
		for _, want := range c.wants {
			if !strings.Contains(got, want) {
				t.Errorf("%dx%d: footer %q lacks %q", c.w, c.h, got, want)
			}
		}
		if c.w == 40 && (strings.Contains(got, longHairdo) ||
			!strings.Contains(got, ellipsis+"'")) {
			t.Errorf("%dx%d: the name was not cut: %q", c.w, c.h, got)
		}
		checkFits(t, h.view(), c.w, c.h)
	}
}

// pickerStore has models whose names contain each other.
func pickerStore(t *testing.T) *storage.DB {
	t.Helper()
	st := openStore(t)
	if err := st.AddModels("x", "gpt-5-nano", "gpt-5-mini", "gpt-5"); err != nil {
		t.Fatal(err)
	}
	return st
}

// TestPickerCursorFollowsFilter: typing moves the cursor to the name
// typed, else the first match; it never stays where it was.
func TestPickerCursorFollowsFilter(t *testing.T) {
	h := newHarness(t, pickerStore(t), 80, 30)
	h.press("n")
	h.typeText("agent")
	h.press("tab", "tab", "down", "down", "down", "down")
	h.typeText("gpt-5")
	p := &h.m.form.picker
	if it := p.items[p.cursor]; it.name != "gpt-5" {
		t.Fatalf("after typing gpt-5 the cursor is on %q", it.name)
	}
	h.press("space")
	if got := p.chosen(); !slices.Equal(got, []string{"gpt-5"}) {
		t.Errorf("space ticked %v, want gpt-5", got)
	}
	for range 5 {
		h.press("backspace")
	}
	h.press("down", "down")
	h.typeText("NANO")
	if p.cursor != 0 || p.items[0].name == "gpt-5" {
		t.Errorf("after typing NANO the cursor is on %d, want the first match", p.cursor)
	}
}

// TestPickerEnterNeverToggles: Enter on the models saves, as its label
// says, whatever the cursor is on; a typed name that is not listed is
// added instead, as the label then says.
func TestPickerEnterNeverToggles(t *testing.T) {
	st := pickerStore(t)
	tok := mustCreate(t, st, model.Spec{Name: "agent", Unlimited: true,
		Models: []string{"gpt-5"}})
	h := newHarness(t, st, 80, 30)
	h.press("e", "tab", "tab")
	h.typeText("gpt-5")
	if !strings.Contains(h.view(), "enter save") {
		t.Errorf("the footer does not say enter saves:\n%s", h.view())
	}
	h.press("enter")
	got, _ := st.Get(tok.ID)
	if h.m.state == screenForm || !slices.Equal(got.Models, []string{"gpt-5"}) {
		t.Fatalf("enter: screen %d, models %v, want saved with gpt-5", h.m.state, got.Models)
	}
	h.press("e", "tab", "tab", "down", "down")
	h.press("enter")
	if got, _ := st.Get(tok.ID); !slices.Equal(got.Models, []string{"gpt-5"}) {
		t.Errorf("enter with the cursor moved changed the models to %v", got.Models)
	}
	h.press("e", "tab", "tab")
	h.typeText("my-model")
	if !strings.Contains(h.view(), "enter add model") {
		t.Errorf("the footer does not say enter adds:\n%s", h.view())
	}
	h.press("enter")
	if h.m.state != screenForm ||
		!slices.Equal(h.m.form.picker.chosen(), []string{"gpt-5", "my-model"}) {
		t.Fatalf("enter on a new name: screen %d, ticked %v", h.m.state,
			h.m.form.picker.chosen())
	}
	h.press("enter")
	if got, _ := st.Get(tok.ID); !slices.Equal(got.Models, []string{"gpt-5", "my-model"}) {
		t.Errorf("saved %v", got.Models)
	}
}

// TestDeleteAnsweredWithWord: "yes" typed in one read answers the question
// whole; its "e" and "s" never open the form or type into it.
func TestDeleteAnsweredWithWord(t *testing.T) {
	for _, keys := range [][]string{{"yes"}, {"y", "e", "s"}, {"Y", "es", "enter"}} {
		st := openStore(t)
		toks := seed(t, st, 3)
		h := newHarness(t, st, 80, 24)
		h.press("d")
		h.press(keys...)
		if h.m.state != screenTable || h.m.form != nil {
			t.Fatalf("%q: screen %d after answering", keys, h.m.state)
		}
		if _, err := st.Get(toks[2].ID); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("%q did not delete: %v", keys, err)
		}
		if !strings.Contains(footerText(h), "Deleted 'tok-02'") {
			t.Errorf("%q: footer %q", keys, footerText(h))
		}
		h.press("e")
		if h.m.state != screenForm || h.m.form.orig.Name != "tok-01" {
			t.Errorf("%q: a later e does not edit the next token", keys)
		}
	}
	st := openStore(t)
	seed(t, st, 2)
	h := newHarness(t, st, 80, 24)
	h.press("d", "yep")
	if h.m.state != screenDelete {
		t.Errorf("another word answered the question")
	}
	h.press("no")
	if toks, _ := st.List(); h.m.state != screenTable || len(toks) != 2 {
		t.Errorf("\"no\" in one read: screen %d, %d tokens", h.m.state, len(toks))
	}
}

// failingDelete refuses every delete.
type failingDelete struct{ storage.Store }

func (failingDelete) Delete(string, uint64) error { return storage.ErrReadOnly }

// TestDeleteIsOptimistic: the row leaves the table when the answer is
// given, before the store is done; it comes back if the store refuses.
func TestDeleteIsOptimistic(t *testing.T) {
	st := openStore(t)
	seed(t, st, 3)
	h := newHarness(t, failingDelete{st}, 80, 24)
	h.press("d")
	_, cmd := h.m.Update(keyMsg("y"))
	if h.m.list.has(h.m.target.ID) || strings.Contains(h.view(), "tok-02 ") {
		t.Fatalf("the row is still on the table while the delete runs:\n%s", h.view())
	}
	if got := selectedName(h); got != "tok-01" {
		t.Errorf("selection %q, want the next row", got)
	}
	h.run(cmd)
	if got := selectedName(h); got != "tok-02" || !h.m.status.isErr {
		t.Errorf("after a refused delete: selected %q, status %+v", got, h.m.status)
	}
	// a list loaded before the delete was done is not shown
	h = newHarness(t, st, 80, 24)
	old := loadTokensCmd(st, "", 99)()
	h.press("d")
	_, cmd = h.m.Update(keyMsg("y"))
	h.send(old)
	if strings.Contains(h.view(), "tok-02 ") {
		t.Errorf("a stale list brought the row back:\n%s", h.view())
	}
	h.run(cmd)
	if strings.Contains(h.view(), "tok-02 ") || len(h.m.list.all) != 2 {
		t.Errorf("after the delete:\n%s", h.view())
	}
}

// TestDeletedElsewhereClosesScreens: a panel, question or form about a
// token another session deleted says so and gives way to the table.
func TestDeletedElsewhereClosesScreens(t *testing.T) {
	for _, open := range [][]string{{"s"}, {"enter"}, {"e"}, {"d"}, {"s", "?"}} {
		st := openStore(t)
		toks := seed(t, st, 2)
		h := newHarness(t, st, 80, 24)
		h.press(open...)
		if err := st.Delete("other", toks[1].ID); err != nil {
			t.Fatal(err)
		}
		h.send(storeChangedMsg{})
		if h.m.state != screenTable || h.m.form != nil {
			t.Errorf("%v: screen %d after the token was deleted elsewhere", open, h.m.state)
		}
		if got := footerText(h); !strings.Contains(got, "'tok-01' was deleted elsewhere") {
			t.Errorf("%v: footer %q", open, got)
		}
	}
	// the new-key panel is not closed by a list loaded before it was made
	st := openStore(t)
	h := newHarness(t, st, 80, 24)
	h.press("n")
	h.typeText("fresh")
	h.press("ctrl+s")
	h.send(tokensLoadedMsg{seq: h.m.since})
	if h.m.state != screenCreated {
		t.Errorf("an older list closed the new key's panel")
	}
	tok := onlyToken(t, st)
	if err := st.Delete("other", tok.ID); err != nil {
		t.Fatal(err)
	}
	h.send(storeChangedMsg{})
	if h.m.state != screenTable {
		t.Errorf("the new-key panel stays on a deleted token")
	}
}

// TestStaleFooterCleared: a message belongs to what it reported; a new
// screen or question starts without it.
func TestStaleFooterCleared(t *testing.T) {
	st := openStore(t)
	seed(t, st, 2)
	if err := st.AddModels("x", "zz-model"); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, st, 80, 24)
	h.press("n")
	h.typeText("x")
	h.press("esc", "y")
	if !strings.Contains(footerText(h), "Discarded the changes") {
		t.Fatalf("footer %q", footerText(h))
	}
	h.press("down", "d")
	if got := footerText(h); strings.Contains(got, "Discarded") {
		t.Errorf("the delete question shows %q", got)
	}
	h.press("n", "m", "G", "p")
	h.typeText("1")
	h.press("enter")
	h.typeText("2")
	h.press("enter", "enter")
	if !strings.Contains(footerText(h), "Set the price of 'zz-model'") {
		t.Fatalf("footer %q", footerText(h))
	}
	h.press("d")
	if got := footerText(h); strings.Contains(got, "Set the price") {
		t.Errorf("the remove question shows %q", got)
	}
	h.press("n")
	if got := footerText(h); strings.Contains(got, "Set the price") {
		t.Errorf("after declining, the footer shows %q", got)
	}
}

// TestEscAfterNoMatchRestoresSelection: clearing a filter that matched
// nothing selects the token selected before.
func TestEscAfterNoMatchRestoresSelection(t *testing.T) {
	st := openStore(t)
	seed(t, st, 5)
	h := newHarness(t, st, 80, 24)
	h.press("down", "down", "/")
	h.typeText("zzz")
	if len(h.m.list.view) != 0 {
		t.Fatalf("zzz matched %d rows", len(h.m.list.view))
	}
	h.press("esc")
	if got := selectedName(h); got != "tok-02" {
		t.Errorf("after esc the selection is %q, want tok-02", got)
	}
}

// viewInputs is everything View reads that Update keeps for it.
func viewInputs(m *Model) string {
	top := -1
	if m.form != nil {
		top = m.form.top
	}
	return fmt.Sprintf("%d %d %d %d %d %+v", m.list.offset, top, m.panel.top, m.cat.top,
		m.helpTop, m.keys)
}

// TestViewChangesNothing: drawing any screen leaves the model as it was.
func TestViewChangesNothing(t *testing.T) {
	st := openStore(t)
	seed(t, st, 30)
	for _, sz := range [][2]int{{80, 12}, {40, 10}} {
		h := newHarness(t, st, sz[0], sz[1])
		check := func(name string) {
			before := viewInputs(h.m)
			_ = h.m.View()
			if after := viewInputs(h.m); after != before {
				t.Errorf("%dx%d %s: View changed the model:\n%s\n%s", sz[0], sz[1], name,
					before, after)
			}
		}
		h.press("G")
		check("end of the table")
		h.press("s", "down", "down", "down")
		check("set-up scrolled")
		h.press("esc")
		visitScreens(t, h, check)
		h.press("esc", "esc", "?", "down", "down")
		check("help scrolled")
		h.send(tea.WindowSizeMsg{Width: sz[0] + 7, Height: sz[1] + 5})
		check("resized")
	}
}

// TestNoColourCursorAndPlaceholder: without colour the cursor is a
// character and placeholders are in parentheses; with colour the cursor
// is reverse video.
func TestNoColourCursorAndPlaceholder(t *testing.T) {
	h := newHarness(t, openStore(t), 80, 24)
	h.press("n")
	v := h.view()
	if !strings.Contains(v, cursorMark+"(a name people will recognise)") {
		t.Errorf("no visible cursor or no parentheses:\n%s", v)
	}
	h.typeText("ab")
	if !strings.Contains(h.view(), "    ab"+cursorMark+"\n") {
		t.Errorf("no cursor after the text:\n%s", h.view())
	}
	h.send(tea.KeyMsg{Type: tea.KeyLeft})
	if !strings.Contains(h.view(), "    a"+cursorMark+"b\n") {
		t.Errorf("no cursor inside the text:\n%s", h.view())
	}
	h.press("tab", "space")
	if !strings.Contains(h.view(), "$ (dollars, such as 25.00)") {
		t.Errorf("the quota placeholder:\n%s", h.view())
	}

	cfg := testConfig(openStore(t), &bytes.Buffer{})
	cfg.Renderer = lipgloss.NewRenderer(io.Discard)
	cfg.Renderer.SetColorProfile(termenv.TrueColor)
	hc := harnessWith(t, cfg, &bytes.Buffer{}, 80, 24)
	hc.press("n")
	hc.typeText("ab")
	if v := hc.view(); strings.Contains(v, cursorMark) || !strings.Contains(v, "\x1b[7m") {
		t.Errorf("with colour the cursor should be reverse video:\n%q", v[:min(len(v), 600)])
	}
}

// TestFooterKeepsHelpAndQuit: on a narrow terminal the middle hints give
// way, never the help and quit keys.
func TestFooterKeepsHelpAndQuit(t *testing.T) {
	st := openStore(t)
	seed(t, st, 2)
	cases := []struct {
		keys []string
		end  string
	}{
		{nil, "? help · q quit"},
		{[]string{"s"}, "? help · q quit"},
		{[]string{"enter"}, "? help · q quit"},
		{[]string{"m"}, "? help · q quit"},
		{[]string{"?"}, "esc close"},
		{[]string{"n"}, "esc cancel · f1 help"},
		{[]string{"m", "a"}, "esc cancel"},
	}
	for _, c := range cases {
		for _, w := range []int{40, 41, 60, 80, 120} {
			h := newHarness(t, st, w, 24)
			h.press(c.keys...)
			line := ansi.Strip(h.m.viewHelpLine())
			if !strings.HasSuffix(line, c.end) || safeCells(line) > w {
				t.Errorf("%v at %d: footer %q", c.keys, w, line)
			}
		}
	}
	h := newHarness(t, st, 200, 24)
	if line := h.m.viewHelpLine(); strings.Contains(line, ellipsis) {
		t.Errorf("at 200 columns hints were left out: %q", line)
	}
}

// TestKeyHelpIsAccurate: the form's help key works as shown (F1, and ?
// where nothing is typed), and the undocumented x does nothing.
func TestKeyHelpIsAccurate(t *testing.T) {
	st := openStore(t)
	seed(t, st, 2)
	if err := st.AddModels("x", "zz-model"); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, st, 100, 30)
	h.press("n")
	h.send(tea.KeyMsg{Type: tea.KeyF1})
	if h.m.state != screenHelp || h.m.back != screenForm {
		t.Fatalf("f1 on the form: screen %d", h.m.state)
	}
	h.press("esc", "?")
	if h.m.state != screenForm || h.m.form.name.Value() != "?" {
		t.Fatalf("? in the name field should type: %q", h.m.form.name.Value())
	}
	h.press("backspace", "tab")
	if !strings.Contains(h.view(), "?/f1 help") {
		t.Errorf("the switch's footer lacks ?/f1 help:\n%s", h.view())
	}
	h.press("x")
	if h.m.form.unlimited != true {
		t.Errorf("an undocumented x toggled Unlimited")
	}
	h.press("?")
	if h.m.state != screenHelp {
		t.Errorf("? on the switch does not open the help")
	}
}

// TestCatalogAndPanelKeysAsShown: the catalog's add line and price form
// say what Enter does; e edits from every panel.
func TestCatalogAndPanelKeysAsShown(t *testing.T) {
	st := openStore(t)
	seed(t, st, 2)
	if err := st.AddModels("x", "zz-model"); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, st, 100, 30)
	h.press("m", "a")
	if v := h.view(); strings.Contains(v, "tab") || !strings.Contains(v, "enter add") {
		t.Errorf("the add line's footer:\n%s", v)
	}
	h.press("esc", "G", "p")
	if v := h.view(); !strings.Contains(v, "enter next field") || !strings.Contains(v,
		"ctrl+s save") {
		t.Errorf("the price form's footer:\n%s", v)
	}
	h.press("enter")
	if h.m.state != screenPrice || h.m.price.focus != priceOutput {
		t.Fatalf("enter should move to the next field")
	}
	h.press("tab")
	if !strings.Contains(h.view(), "enter save") {
		t.Errorf("on the last field enter saves:\n%s", h.view())
	}
	h.press("esc", "esc")

	for _, panel := range [][]string{{"s"}, {"enter"}} {
		h.press(panel...)
		if !h.m.keys.panel.Edit.Enabled() {
			t.Errorf("%v: e edit is not offered", panel)
		}
		h.press("e")
		if h.m.state != screenForm {
			t.Errorf("%v: e does not edit", panel)
		}
		h.press("esc")
	}
	h.press("n")
	h.typeText("brand-new")
	h.press("ctrl+s", "e")
	if h.m.state != screenForm || h.m.form.orig.Name != "brand-new" {
		t.Errorf("e on the new key's panel does not edit the new token")
	}
}

// TestCatalogCachedPrice: an unset cached-input price reads "= input",
// a set one its amount, no price "—".
func TestCatalogCachedPrice(t *testing.T) {
	st := openStore(t)
	if err := st.AddModels("x", "zz-cached", "zz-plain", "zz-none"); err != nil {
		t.Fatal(err)
	}
	half := model.Dollar / 2
	prices := map[string]*model.Price{
		"zz-cached": {Input: 2 * model.Dollar, Output: 8 * model.Dollar, CachedInput: &half},
		"zz-plain":  {Input: 2 * model.Dollar, Output: 8 * model.Dollar},
	}
	for name, p := range prices {
		if err := st.SetPrice("x", name, p); err != nil {
			t.Fatal(err)
		}
	}
	h := newHarness(t, st, 80, 40)
	h.press("m", "G")
	rows := map[string]string{}
	for _, l := range strings.Split(stable(h.view()), "\n") {
		if f := strings.Fields(strings.TrimPrefix(l, ">")); len(f) > 0 &&
			strings.HasPrefix(f[0], "zz-") {
			rows[f[0]] = strings.Join(f[1:], " ")
		}
	}
	want := map[string]string{"zz-cached": "$2 $8 $0.5", "zz-plain": "$2 $8 = input",
		"zz-none": "— — —"}
	for name, w := range want {
		if rows[name] != w {
			t.Errorf("%s: %q, want %q", name, rows[name], w)
		}
	}
}

// TestPriceKeepsTypedText: the price form keeps what is typed, says why
// it is not an amount, and saves nothing until every field is one.
func TestPriceKeepsTypedText(t *testing.T) {
	st := openStore(t)
	if err := st.AddModels("x", "zz-model"); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, st, 80, 24)
	h.press("m", "G", "p")
	h.typeText("1e3")
	p := h.m.price
	if got := p.inputs[priceInput].Value(); got != "1e3" ||
		!strings.Contains(p.errs[priceInput], "uses an exponent") {
		t.Fatalf("typed 1e3: field %q, error %q", got, p.errs[priceInput])
	}
	h.press("tab")
	h.typeText("-7")
	if !strings.Contains(p.errs[priceOutput], "is negative") {
		t.Errorf("typed -7: error %q", p.errs[priceOutput])
	}
	h.press("ctrl+s")
	if h.m.state != screenPrice || catalogEntry(t, st, "zz-model").Price != nil {
		t.Fatalf("invalid prices were saved")
	}
	if p.focus != priceInput {
		t.Errorf("the focus did not go to the first bad field")
	}
	for range 3 {
		h.press("backspace")
	}
	h.typeText("2")
	h.press("tab", "backspace", "backspace")
	h.typeText("8")
	h.press("ctrl+s")
	got := catalogEntry(t, st, "zz-model").Price
	if got == nil || got.Input != 2*model.Dollar || got.Output != 8*model.Dollar ||
		got.CachedInput != nil {
		t.Errorf("saved %+v", got)
	}
}
