package ui

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"keyward/keys"
	"keyward/model"
	"keyward/storage"
)

// testEpoch is the fixed time tests run at, so that goldens are stable.
var testEpoch = time.Date(2025, time.March, 14, 9, 26, 53, 0, time.UTC)

// stepClock ticks one minute per call, from testEpoch.
type stepClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *stepClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.t.IsZero() {
		c.t = testEpoch
	}
	c.t = c.t.Add(time.Minute)
	return c.t
}

// openStore opens a real store in a temporary directory, with the master
// key environment variable unset, closed at the end of the test.
func openStore(t testing.TB) *storage.DB {
	t.Helper()
	t.Setenv(storage.EnvMasterKey, "")
	if err := os.Unsetenv(storage.EnvMasterKey); err != nil {
		t.Fatal(err)
	}
	clock := &stepClock{}
	db, err := storage.Open(filepath.Join(t.TempDir(), "k.db"),
		storage.Options{Clock: clock.now})
	if err != nil {
		t.Fatalf("open the store: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// fixedPath shows a stable database path in goldens.
type fixedPath struct{ storage.Store }

func (fixedPath) Path() string { return "/home/ops/.local/share/keyward/keyward.db" }

// asciiRenderer draws without colour, as goldens and NO_COLOR do.
func asciiRenderer() *lipgloss.Renderer {
	return lipgloss.NewRenderer(io.Discard, termenv.WithProfile(termenv.Ascii))
}

// testConfig is a Config for tests: no colour, UTC, a fixed clock, OSC 52
// into out.
func testConfig(st storage.Store, out io.Writer) Config {
	return Config{Store: fixedPath{st}, Actor: "tester", Renderer: asciiRenderer(),
		Output: out, Environ: []string{"TERM=xterm-256color"}, Location: time.UTC,
		Now: func() time.Time { return testEpoch }}
}

// harness drives a Model by calling Update directly and running the
// commands it returns, in the test's goroutine.
type harness struct {
	t   testing.TB
	m   *Model
	out *bytes.Buffer
	cmd int // commands run, to catch loops
}

// newHarness builds a console of w x h over st, loaded, without the
// change subscription (tests send storeChangedMsg themselves).
func newHarness(t testing.TB, st storage.Store, w, h int) *harness {
	t.Helper()
	out := &bytes.Buffer{}
	return harnessWith(t, testConfig(st, out), out, w, h)
}

// harnessWith is newHarness with a Config of the test's own; OSC 52 goes
// to out.
func harnessWith(t testing.TB, cfg Config, out *bytes.Buffer, w, h int) *harness {
	t.Helper()
	m := New(cfg)
	m.Close()
	m.sub = nil
	hs := &harness{t: t, m: m, out: out}
	hs.send(tea.WindowSizeMsg{Width: w, Height: h})
	hs.run(m.Init())
	return hs
}

// run runs cmd and everything that follows from it.
func (h *harness) run(cmd tea.Cmd) {
	h.t.Helper()
	queue := []tea.Cmd{cmd}
	for len(queue) > 0 {
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		if h.cmd++; h.cmd > 100000 {
			h.t.Fatal("commands keep coming: a loop?")
		}
		switch msg := c().(type) {
		case nil, tea.QuitMsg:
		case tea.BatchMsg:
			queue = append(queue, msg...)
		default:
			_, next := h.m.Update(msg)
			queue = append(queue, next)
		}
	}
}

// send delivers msg and runs what follows.
func (h *harness) send(msg tea.Msg) {
	h.t.Helper()
	_, cmd := h.m.Update(msg)
	h.run(cmd)
}

// press sends named keys: "enter", "esc", "tab", "ctrl+s", or a single
// character.
func (h *harness) press(names ...string) {
	h.t.Helper()
	for _, n := range names {
		h.send(keyMsg(n))
	}
}

// typeText types s one character at a time.
func (h *harness) typeText(s string) {
	h.t.Helper()
	for _, r := range s {
		if r == ' ' {
			h.send(tea.KeyMsg{Type: tea.KeySpace, Runes: []rune{' '}})
			continue
		}
		h.send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
}

// paste sends s as one bracketed paste.
func (h *harness) paste(s string) {
	h.t.Helper()
	h.send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s), Paste: true})
}

// view is the current screen with every line's trailing spaces trimmed.
func (h *harness) view() string { return h.m.View() }

// quitCmd reports whether cmd quits the program.
func quitCmd(cmd tea.Cmd) bool {
	if cmd == nil {
		return false
	}
	_, ok := cmd().(tea.QuitMsg)
	return ok
}

func keyMsg(name string) tea.KeyMsg {
	special := map[string]tea.KeyType{
		"enter": tea.KeyEnter, "esc": tea.KeyEsc, "tab": tea.KeyTab,
		"shift+tab": tea.KeyShiftTab, "up": tea.KeyUp, "down": tea.KeyDown,
		"pgup": tea.KeyPgUp, "pgdown": tea.KeyPgDown, "home": tea.KeyHome,
		"end": tea.KeyEnd, "backspace": tea.KeyBackspace, "ctrl+s": tea.KeyCtrlS,
		"ctrl+c": tea.KeyCtrlC, "ctrl+r": tea.KeyCtrlR, "space": tea.KeySpace,
		"delete": tea.KeyDelete, "f1": tea.KeyF1,
	}
	if k, ok := special[name]; ok {
		if k == tea.KeySpace {
			return tea.KeyMsg{Type: k, Runes: []rune{' '}}
		}
		return tea.KeyMsg{Type: k}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(name)}
}

// mustCreate makes a token in st.
func mustCreate(t testing.TB, st storage.Store, spec model.Spec) model.Token {
	t.Helper()
	tok, err := st.Create("setup", spec)
	if err != nil {
		t.Fatalf("create %q: %v", spec.Name, err)
	}
	return tok
}

// maskRe finds masked keys, whose last four characters are random.
var maskRe = regexp.MustCompile(`sk-\*\*\*\*[0-9A-Za-z]{4}`)

// stable replaces what changes from run to run (the random key endings),
// draws the cursor moves that align the columns as a terminal counting
// like lipgloss would, and trims trailing spaces, for golden files.
func stable(s string) string {
	s = maskRe.ReplaceAllString(s, "sk-****WXYZ")
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(drawLine(l), " ")
	}
	return strings.Join(lines, "\n")
}

// drawLine is line as a terminal counting like lipgloss shows it: cursor
// moves become spaces, other escape sequences vanish.
func drawLine(line string) string {
	var b strings.Builder
	col := 0
	for _, c := range onScreen(line, false) {
		if c.start > col {
			b.WriteString(strings.Repeat(" ", c.start-col))
		}
		b.WriteString(c.text)
		col = c.end
	}
	return b.String()
}

// noKeys fails if s holds a full key; keys.Mask keeps failures readable.
func noKeys(t testing.TB, s string, toks ...model.Token) {
	t.Helper()
	for _, tok := range toks {
		if strings.Contains(s, tok.Key) {
			t.Errorf("full key %s appears where it must not", keys.Mask(tok.Key))
		}
	}
}
