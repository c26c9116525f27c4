package ui

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"

	"keyward/model"
	"keyward/storage"
)

// goldenCase is one screen drawn by a real Bubble Tea program: keys are
// sent once ready appears on the terminal, then the screen must show want.
type goldenCase struct {
	name  string
	data  bool // create the mixed-width tokens first
	ready string
	keys  []tea.Msg
	want  string
}

func typed(s string) []tea.Msg {
	out := make([]tea.Msg, 0, len(s))
	for _, r := range s {
		out = append(out, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
	return out
}

func keysOf(names ...string) []tea.Msg {
	out := make([]tea.Msg, 0, len(names))
	for _, n := range names {
		out = append(out, keyMsg(n))
	}
	return out
}

func concat(parts ...[]tea.Msg) []tea.Msg {
	var out []tea.Msg
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func goldenCases() []goldenCase {
	return []goldenCase{
		{name: "empty", ready: "No tokens yet", want: "No tokens yet"},
		{name: "table", data: true, ready: "ci-runner", want: "ci-runner"},
		{name: "create-error", ready: "No tokens yet",
			keys: keysOf("n", "tab", "space", "tab", "1", "2", "a", "ctrl+s"),
			want: "must not be empty"},
		{name: "models", data: true, ready: "ci-runner",
			keys: concat(keysOf("n"), typed("agent"), keysOf("tab", "tab"), typed("gpt-4"),
				keysOf("space", "down", "space")),
			want: "2 ticked"},
		{name: "delete", data: true, ready: "ci-runner", keys: keysOf("d"),
			want: "n no (default)"},
		{name: "setup", data: true, ready: "ci-runner", keys: keysOf("s"),
			want: "Set up a client"},
		{name: "help", data: true, ready: "ci-runner", keys: keysOf("?"), want: "close"},
	}
}

// TestGolden draws each screen with teatest at 80x24 and 40x10, without
// colour, in UTC, with the random ends of keys replaced. Run with -update
// to rewrite testdata/TestGolden/*.golden after a deliberate change.
func TestGolden(t *testing.T) {
	for _, c := range goldenCases() {
		for _, sz := range [][2]int{{80, 24}, {40, 10}} {
			t.Run(fmt.Sprintf("%s/%dx%d", c.name, sz[0], sz[1]), func(t *testing.T) {
				runGolden(t, c, sz[0], sz[1])
			})
		}
	}
}

func runGolden(t *testing.T, c goldenCase, w, h int) {
	st := openStore(t)
	if c.data {
		createMixed(t, st)
	}
	m := New(testConfig(st, &bytes.Buffer{}))
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(w, h))
	waitFor(t, tm, c.ready)
	for _, k := range c.keys {
		tm.Send(k)
	}
	if len(c.keys) > 0 {
		waitFor(t, tm, c.want)
	}
	if err := tm.Quit(); err != nil {
		t.Fatal(err)
	}
	final := tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second))
	checkFits(t, final.View(), w, h)
	teatest.RequireEqualOutput(t, []byte(stable(final.View())))
}

// waitFor waits until the terminal shows text; the timeout only guards
// against a hang.
func waitFor(t *testing.T, tm *teatest.TestModel, text string) {
	t.Helper()
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		return bytes.Contains(b, []byte(text))
	}, teatest.WithDuration(15*time.Second), teatest.WithCheckInterval(10*time.Millisecond))
}

// createMixed stores tokens with names of every width and every status.
func createMixed(t testing.TB, st storage.Store) {
	t.Helper()
	for _, s := range mixedNames() {
		tok := mustCreate(t, st, s)
		switch tok.Name {
		case "💇🏻‍♀️ops":
			if _, err := st.Charge(tok.ID, 5*model.Dollar); err != nil {
				t.Fatal(err)
			}
		case "Ünïcödé Ωmega":
			if _, err := st.SetEnabled("setup", tok.ID, false); err != nil {
				t.Fatal(err)
			}
		case "日本語🔑":
			if _, err := st.Charge(tok.ID, 320*model.Cent); err != nil {
				t.Fatal(err)
			}
		}
	}
	tok := mustCreate(t, st, model.Spec{Name: "ci-runner", Limit: 20 * model.Dollar})
	if _, err := st.Charge(tok.ID, 7*model.Dollar); err != nil {
		t.Fatal(err)
	}
}
