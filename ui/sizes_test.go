package ui

import (
	"fmt"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"keyward/model"
)

// checkFits fails when a line of v is wider than w cells or v has more
// than h lines.
func checkFits(t testing.TB, v string, w, h int) {
	t.Helper()
	lines := strings.Split(v, "\n")
	if len(lines) > h {
		t.Errorf("%dx%d: %d lines", w, h, len(lines))
	}
	for i, l := range lines {
		if got := ansi.StringWidth(l); got > w {
			t.Errorf("%dx%d: line %d is %d cells: %q", w, h, i, got, l)
		}
	}
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
		{"edit", []string{"y", "e"}, screenForm},
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

func TestColumnsAlignWithWideCharacters(t *testing.T) {
	st := openStore(t)
	for _, s := range mixedNames() {
		mustCreate(t, st, s)
	}
	for _, w := range []int{40, 60, 80, 100, 120, 200} {
		h := newHarness(t, st, w, 24)
		c := tableColumns(w)
		want := markerW + c.name + c.gap // where Status starts
		for i := 0; i < len(h.m.list.view); i++ {
			line := h.m.tokenRow(c, h.m.list.at(i).tok, i == h.m.list.cursor)
			plain := ansi.Strip(line)
			status := h.m.list.at(i).tok.Status().String()
			idx := strings.Index(plain, status)
			if got := ansi.StringWidth(plain[:idx]); got != want {
				t.Errorf("width %d row %q: status at cell %d, want %d", w,
					h.m.list.at(i).tok.Name, got, want)
			}
			if got := ansi.StringWidth(plain); got > w {
				t.Errorf("width %d: row is %d cells", w, got)
			}
		}
	}
}

func TestTruncationKeepsCharactersWhole(t *testing.T) {
	for _, s := range []string{"日本語🔑日本語", "💇🏻‍♀️💇🏻‍♀️💇🏻‍♀️ops", "🇺🇦🇺🇦🇺🇦"} {
		for w := 1; w < 12; w++ {
			got := fit(s, w)
			if ansi.StringWidth(got) != w {
				t.Errorf("fit(%q, %d) = %q is %d cells", s, w, got, ansi.StringWidth(got))
			}
			if strings.ContainsRune(got, '\uFFFD') {
				t.Errorf("fit(%q, %d) broke a character: %q", s, w, got)
			}
		}
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
	plain := m.tokenRow(c, model.Token{Name: "ascii", Limit: 1, Enabled: true,
		Key: "sk-0123456789"}, false)
	if strings.Contains(plain, "\x1b[") {
		t.Errorf("an ASCII row has cursor moves: %q", plain)
	}
}
