package ui

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	"github.com/mattn/go-runewidth"

	"keyward/model"
)

// checkFits fails when a line of v is wider than w cells under either
// way of counting (lipgloss's grapheme clusters, a wcwidth terminal's
// runes), with cursor moves honoured, or v has more than h lines. It
// measures on its own, not with the code under test.
func checkFits(t testing.TB, v string, w, h int) {
	t.Helper()
	lines := strings.Split(v, "\n")
	if len(lines) > h {
		t.Errorf("%dx%d: %d lines", w, h, len(lines))
	}
	for i, l := range lines {
		for _, wc := range []bool{false, true} {
			if got := reach(l, wc); got > w {
				t.Errorf("%dx%d: line %d reaches cell %d (wcwidth %v): %q", w, h, i,
					got, wc, l)
			}
		}
	}
}

// chaMove matches an absolute cursor move: CSI n G.
var chaMove = regexp.MustCompile(`^\x1b\[([0-9]+)G$`)

// testRuneWidth is how a wcwidth terminal such as tmux draws one rune.
func testRuneWidth(r rune) int {
	if r == 0x200D || r == 0xFE0F {
		return 0
	}
	c := runewidth.Condition{}
	return c.RuneWidth(r)
}

// walk calls fn for each escape sequence and grapheme cluster of line,
// with its width as lipgloss counts it and as a wcwidth terminal does.
func walk(line string, fn func(text string, esc bool, lg, wc int)) {
	var state byte
	for len(line) > 0 {
		seq, lg, n, next := ansi.DecodeSequence(line, state, nil)
		state = next
		esc := lg == 0 && (seq[0] < 0x20 || seq[0] == 0x7f)
		wc := 0
		for _, r := range seq {
			wc += testRuneWidth(r)
		}
		fn(seq, esc, lg, wc)
		line = line[n:]
	}
}

// onScreen draws line as a terminal would, counting widths like lipgloss
// or (wc) like a wcwidth terminal: cursor moves pad or overwrite, other
// escape sequences vanish. It returns each character with its cells.
func onScreen(line string, wc bool) []cell {
	var out []cell
	col := 0
	walk(line, func(text string, esc bool, lg, wcw int) {
		if esc {
			if m := chaMove.FindStringSubmatch(text); m != nil {
				col, _ = strconv.Atoi(m[1])
				col--
			}
			return
		}
		w := lg
		if wc {
			w = wcw
		}
		// a move back overwrites what was drawn there
		for len(out) > 0 && out[len(out)-1].end > col {
			out = out[:len(out)-1]
		}
		out = append(out, cell{text: text, start: col, end: col + w})
		col += w
	})
	return out
}

// cell is one character on screen, from start up to end.
type cell struct {
	text       string
	start, end int
}

// reach is the rightmost cell a line touches when drawn.
func reach(line string, wc bool) int {
	n := 0
	for _, c := range onScreen(line, wc) {
		n = max(n, c.end)
	}
	return n
}

// textAt is what the screen shows from cell from on, as a plain string.
func textAt(cells []cell, from int) string {
	var b strings.Builder
	for _, c := range cells {
		if c.start >= from {
			b.WriteString(c.text)
		}
	}
	return b.String()
}

// mixedStore holds names of every width: CJK, emoji with modifiers and
// joiners, long names, and every status.
func mixedNames() []model.Spec {
	return []model.Spec{
		{Name: "ci-runner", Limit: 50 * model.Dollar, Models: []string{"gpt-4o"}},
		{Name: "日本語🔑", Unlimited: true},
		{Name: "💇🏻‍♀️ops", Limit: 5 * model.Dollar},
		{Name: strings.Repeat("long-name-", 6) + "end", Limit: 1_234_567 * model.Dollar},
		{Name: "Ünïcödé Ωmega", Limit: model.Dollar},
		{Name: "🇺🇦 flag 👨‍👩‍👧‍👦 family", Unlimited: true},
	}
}

// visitScreens opens every screen in turn, calling visit on each.
func visitScreens(t *testing.T, h *harness, visit func(name string)) {
	t.Helper()
	steps := []struct {
		name string
		keys []string
		want screen
	}{
		{"table", nil, screenTable},
		{"revealed", []string{"r"}, screenTable},
		{"filter", []string{"/", "c"}, screenFilter},
		{"filter-kept", []string{"enter"}, screenTable},
		{"form", []string{"esc", "n"}, screenForm},
		{"form-error", []string{"ctrl+s"}, screenForm},
		{"form-quota", []string{"tab", "space", "tab"}, screenForm},
		{"form-models", []string{"tab"}, screenForm},
		{"discard", []string{"g", "esc"}, screenDiscard},
		{"edit", []string{"y", "down", "up", "e"}, screenForm},
		{"delete", []string{"esc", "d"}, screenDelete},
		{"setup", []string{"n", "s"}, screenSetup},
		{"setup-revealed", []string{"r", "down"}, screenSetup},
		{"detail", []string{"esc", "enter"}, screenDetail},
		{"help", []string{"?"}, screenHelp},
		{"catalog", []string{"esc", "esc", "m"}, screenCatalog},
		{"catalog-add", []string{"a"}, screenCatalogAdd},
		{"catalog-remove", []string{"esc", "d"}, screenCatalogRemove},
		{"price", []string{"n", "p"}, screenPrice},
		{"price-error", []string{"x", "enter", "enter", "enter"}, screenPrice},
		{"created", []string{"esc", "esc", "n"}, screenCreated},
	}
	for _, s := range steps {
		h.press(s.keys...)
		if s.name == "created" {
			h.typeText("brand-new")
			h.press("ctrl+s")
		}
		if h.m.state != s.want {
			t.Fatalf("step %s reached screen %d, want %d", s.name, h.m.state, s.want)
		}
		visit(s.name)
	}
}

func TestEveryScreenFitsEverySize(t *testing.T) {
	st := openStore(t)
	for _, s := range mixedNames() {
		mustCreate(t, st, s)
	}
	var sizes [][2]int
	for w := 40; w <= 200; w += 7 {
		for h := 10; h <= 60; h += 5 {
			sizes = append(sizes, [2]int{w, h})
		}
	}
	sizes = append(sizes, [2]int{40, 10}, [2]int{41, 11}, [2]int{200, 60}, [2]int{80, 24})
	for _, sz := range sizes {
		h := newHarness(t, st, sz[0], sz[1])
		visitScreens(t, h, func(name string) {
			checkFits(t, h.view(), sz[0], sz[1])
			if t.Failed() {
				t.Fatalf("screen %s at %dx%d:\n%s", name, sz[0], sz[1], h.view())
			}
		})
		// resizing reflows at once
		h.send(tea.WindowSizeMsg{Width: sz[0] + 13, Height: sz[1] + 3})
		checkFits(t, h.view(), sz[0]+13, sz[1]+3)
	}
}

// TestColumnsAlignWithWideCharacters draws every row as a terminal that
// counts like lipgloss and as one that counts like tmux would: in both,
// Status starts at its column, the name keeps its ellipsis when cut, and
// a gap stays before Status.
func TestColumnsAlignWithWideCharacters(t *testing.T) {
	st := openStore(t)
	specs := append(mixedNames(), model.Spec{Name: strings.Repeat("💇🏻‍♀️", 12),
		Unlimited: true})
	for _, s := range specs {
		mustCreate(t, st, s)
	}
	for _, w := range []int{40, 60, 80, 100, 120, 200} {
		h := newHarness(t, st, w, 24)
		c := tableColumns(w)
		want := markerW + c.name + c.gap // where Status starts
		for i := 0; i < len(h.m.list.view); i++ {
			tok := h.m.list.at(i).tok
			line := h.m.tokenRow(c, tok, i == h.m.list.cursor)
			for _, wc := range []bool{false, true} {
				cells := onScreen(line, wc)
				status := tok.Status().String()
				if got := textAt(cells, want); !strings.HasPrefix(got, status) {
					t.Errorf("width %d (wcwidth %v) row %q: at cell %d %q, want %s",
						w, wc, tok.Name, want, got, status)
				}
				name := textBetween(cells, markerW, want)
				if end := nameEnd(cells, want); end > markerW+c.name {
					t.Errorf("width %d (wcwidth %v): name %q ends at %d, past %d",
						w, wc, name, end, markerW+c.name)
				}
				if safeCells(tok.Name) > c.name && !strings.Contains(name, ellipsis) {
					t.Errorf("width %d: cut name %q lost its ellipsis", w, name)
				}
			}
			checkFits(t, line, w, 1)
		}
	}
}

// textBetween is what the screen shows in cells [from, to).
func textBetween(cells []cell, from, to int) string {
	var b strings.Builder
	for _, c := range cells {
		if c.start >= from && c.start < to {
			b.WriteString(c.text)
		}
	}
	return b.String()
}

// nameEnd is where the last character drawn before cell limit ends,
// spaces aside.
func nameEnd(cells []cell, limit int) int {
	end := 0
	for _, c := range cells {
		if c.start < limit && c.text != " " {
			end = max(end, c.end)
		}
	}
	return end
}

func TestTruncationKeepsCharactersWhole(t *testing.T) {
	for _, s := range []string{"日本語🔑日本語", "💇🏻‍♀️💇🏻‍♀️💇🏻‍♀️ops", "🇺🇦🇺🇦🇺🇦"} {
		for w := 1; w < 12; w++ {
			got := fit(s, w)
			if safeCells(got) != w && !(safeCells(got) == w-1 && strings.HasSuffix(got, " ")) {
				t.Errorf("fit(%q, %d) = %q is %d cells", s, w, got, safeCells(got))
			}
			if safeCells(got) > w || ansi.StringWidth(got) > w {
				t.Errorf("fit(%q, %d) = %q is too wide", s, w, got)
			}
			if strings.ContainsRune(got, '\uFFFD') {
				t.Errorf("fit(%q, %d) broke a character: %q", s, w, got)
			}
		}
	}
}

// TestConservativeWidth pins the two counts for the names the tester
// saw break tmux.
func TestConservativeWidth(t *testing.T) {
	cases := []struct {
		s      string
		lg, wc int
	}{
		{"abc", 3, 3},
		{"日本語", 6, 6},
		{"💇🏻‍♀️", 2, 5},
		{"👨‍👩‍👧‍👦", 2, 8},
		{"Ünïcödé", 7, 7},
		{"\x1b[1mbold\x1b[0m", 4, 4},
	}
	for _, c := range cases {
		if got := measure(c.s); got.lg != c.lg || got.wc != c.wc {
			t.Errorf("measure(%q) = %+v, want lg %d wc %d", c.s, got, c.lg, c.wc)
		}
	}
	for w := 1; w <= 12; w++ {
		got := truncate("💇🏻‍♀️💇🏻‍♀️ops-team", w)
		if m := measure(got); !m.fitsIn(w) {
			t.Errorf("truncate to %d gave %q: %+v", w, got, m)
		}
	}
	if got := truncateLeft("/home/💇🏻‍♀️/k.db", 9); safeCells(got) > 9 ||
		!strings.HasSuffix(got, "/k.db") || !strings.HasPrefix(got, ellipsis) {
		t.Errorf("truncateLeft: %q", got)
	}
	long := strings.Repeat("💇🏻‍♀️", 6)
	for _, line := range wrap("Delete '"+long+"'? This cannot be undone.", 12) {
		if safeCells(line) > 12 {
			t.Errorf("wrapped line %q is %d cells", line, safeCells(line))
		}
	}
	if got := wrap("    indented words here", 12); got[0] != "    indented" {
		t.Errorf("wrap lost the indentation: %q", got)
	}
}

func TestColumnsShareWidth(t *testing.T) {
	for w := 40; w <= 200; w++ {
		c := tableColumns(w)
		total := markerW + c.name + c.gap + c.status + c.gap + c.quota
		if c.key > 0 {
			total += c.gap + c.key
		}
		if c.created > 0 {
			total += c.gap + c.created
		}
		if total > w || c.name < 8 || c.quota < 9 {
			t.Errorf("width %d: columns %+v take %d", w, c, total)
		}
		if w >= 80 && c.created == 0 {
			t.Errorf("width %d hides Created", w)
		}
	}
}

func TestAbsoluteMovesAfterWideCells(t *testing.T) {
	c := tableColumns(80)
	m := New(testConfig(openStore(t), nil))
	defer m.Close()
	row := m.tokenRow(c, model.Token{Name: "💇🏻‍♀️ops", Unlimited: true, Enabled: true,
		Key: "sk-0123456789"}, false)
	status := fmt.Sprintf("\x1b[%dG", markerW+c.name+c.gap+1)
	if !strings.Contains(row, status) {
		t.Errorf("no move to the Status column (%q) in %q", status, row)
	}
	// what an earlier frame drew where this terminal put no character
	// is erased before the move
	erase := fmt.Sprintf("\x1b[%dX", c.name+c.gap)
	if !strings.Contains(row, erase+strings.Repeat(" ", c.gap)+status) {
		t.Errorf("no erase (%q) before the move in %q", erase, row)
	}
	plain := m.tokenRow(c, model.Token{Name: "ascii", Limit: 1, Enabled: true,
		Key: "sk-0123456789"}, false)
	if strings.Contains(plain, "\x1b[") {
		t.Errorf("an ASCII row has cursor moves: %q", plain)
	}
}
