// Package ui is Keyward's console: a Bubble Tea program over a Store.
//
// New builds one console (a tea.Model) for one terminal; Run runs it on
// the local terminal. The SSH server runs one New per session with that
// session's renderer and output.
package ui

import (
	"context"
	"io"
	"log/slog"
	"time"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"keyward/model"
	"keyward/storage"
)

// DefaultBaseURL is where the gateway listens unless told otherwise.
const DefaultBaseURL = "http://127.0.0.1:8080/v1"

// Config is what the console needs from its caller.
type Config struct {
	Store    storage.Store
	Actor    string // recorded in the audit log for every change made here
	Operator string // shown in the header when not empty (SSH sessions)
	BaseURL  string // the gateway's base URL for the set-up panel
	// Renderer builds styles; nil means lipgloss.DefaultRenderer(). Each SSH
	// session passes its own.
	Renderer *lipgloss.Renderer
	// Output receives OSC 52 copy sequences: the local terminal or the SSH
	// session. nil turns OSC 52 off; Run draws on it (nil: standard output).
	Output io.Writer
	// Input is what Run reads keys from; nil means standard input. The
	// SSH server passes the session to its own program instead.
	Input io.Reader
	// SystemClipboard enables the system clipboard (false over SSH).
	SystemClipboard bool
	// Environ is the terminal side's environment ("KEY=value"), read for
	// TMUX, STY and TERM to wrap or skip OSC 52. Run fills it from the
	// process; an SSH session may pass the client's.
	Environ []string
	// Context ends the console's wait for store changes when it is done
	// (an SSH session's context); nil means never.
	Context context.Context
	// Logger receives what the console does (never a key); nil discards.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Location is the time zone dates are shown in; nil means time.Local.
	Location *time.Location
}

// screen is which screen has the keys.
type screen int

// The console's screens. Each has one update and one view method.
const (
	screenTable screen = iota
	screenFilter
	screenForm
	screenDiscard
	screenDelete
	screenCreated
	screenSetup
	screenDetail
	screenCatalog
	screenCatalogAdd
	screenCatalogRemove
	screenPrice
	screenHelp
)

// The smallest terminal the console draws in, and the size it assumes
// when the terminal reports none.
const (
	minWidth  = 40
	minHeight = 10

	fallbackWidth  = 80
	fallbackHeight = 24
)

// Model is one console. Create it with New; it implements tea.Model.
type Model struct {
	cfg    Config
	path   string // the database file, for the header
	st     styles
	keys   keyMaps
	help   help.Model
	state  screen
	back   screen // where help returns to
	width  int
	height int

	list    tokenList
	loaded  bool
	loading bool
	again   bool // another reload was asked for while one ran
	filter  textinput.Model
	query   string // the filter text the view was last asked for
	seq     uint64 // bumped on every filter change
	reveal  uint64 // ID of the token whose key is shown, 0 for none
	status  statusLine
	catalog []model.CatalogModel

	form    *tokenForm
	target  model.Token // the token a panel or question is about
	since   uint64      // loads issued up to when target was shown
	loads   uint64      // token loads issued so far
	gone    map[uint64]deleteState
	tail    answerTail
	panel   panelState
	spend   []model.DaySpend
	cat     catalogState
	price   *priceForm
	helpTop int

	sub    <-chan struct{}
	cancel func()
	done   <-chan struct{}
}

// New builds a console over cfg.Store, which must not be nil, and
// subscribes to its changes. Quitting, the end of cfg.Context, or Close
// ends the subscription.
func New(cfg Config) *Model {
	cfg = withDefaults(cfg)
	st := newStyles(cfg.Renderer)
	m := &Model{cfg: cfg, path: cfg.Store.Path(), st: st, keys: newKeyMaps(),
		help: st.newHelp(), gone: map[uint64]deleteState{}}
	m.filter = newInput(st, "name or key", filterLimit)
	m.filter.Prompt = "Filter: "
	if cfg.Context != nil {
		m.done = cfg.Context.Done()
	}
	m.sub, m.cancel = cfg.Store.Subscribe()
	return m
}

func withDefaults(cfg Config) Config {
	if cfg.Renderer == nil {
		cfg.Renderer = lipgloss.DefaultRenderer()
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Location == nil {
		cfg.Location = time.Local
	}
	return cfg
}

// newInput makes a one-line text input drawn with the session's styles.
// The placeholder is shown in parentheses, so that without colour it
// cannot be taken for typed text.
func newInput(st styles, placeholder string, limit int) textinput.Model {
	in := textinput.New()
	st.styleInput(&in)
	in.Prompt = ""
	in.Placeholder = "(" + placeholder + ")"
	in.CharLimit = limit
	_ = in.Cursor.SetMode(cursor.CursorStatic) // a steady cursor needs no command
	return in
}

// Close ends the store subscription. It is safe to call more than once.
func (m *Model) Close() {
	if m.cancel != nil {
		m.cancel()
		m.cancel = nil
	}
}

// Init loads the tokens and the catalog and starts listening for changes.
func (m *Model) Init() tea.Cmd {
	m.loading = true
	m.settle()
	return tea.Batch(m.loadCmd(), loadCatalogCmd(m.cfg.Store),
		waitChangeCmd(m.sub, m.done, m.cancel))
}

// Update handles one message, then settles what the next View reads
// (enabled keys, scroll positions), so that View changes nothing.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	cmd := m.update(msg)
	m.settle()
	return m, cmd
}

// update handles one message. Ctrl+C quits from anywhere at once; results
// of store calls are handled whatever the screen; keys go to the screen
// on top.
func (m *Model) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.resize(msg.Width, msg.Height)
		return nil
	case tea.KeyMsg:
		if msg.Type == tea.KeyCtrlC && !msg.Paste {
			return m.quit()
		}
		if m.tail.swallow(msg, m.cfg.Now()) {
			return nil
		}
		// Several characters in one read: a word answers a question as a
		// whole, text goes to a text field, and keys on other screens
		// are handled one by one.
		if msg.Type == tea.KeyRunes && !msg.Paste && len(msg.Runes) > 1 &&
			!m.typing() && !m.asking() {
			return m.splitKeys(msg)
		}
	}
	if cmd, ok := m.handleResult(msg); ok {
		return cmd
	}
	return m.updateScreen(msg)
}

// asking reports whether a yes/no question has the keys.
func (m *Model) asking() bool {
	switch m.state {
	case screenDelete, screenDiscard, screenCatalogRemove:
		return true
	}
	return false
}

// open puts screen s on top. The footer's message belonged to what came
// before, so it is cleared.
func (m *Model) open(s screen) {
	m.state = s
	m.status = statusLine{}
}

// typing reports whether a text field has the keys, so that several
// characters arriving together are text rather than commands.
func (m *Model) typing() bool {
	switch m.state {
	case screenFilter, screenForm, screenCatalogAdd, screenPrice:
		return true
	}
	return false
}

// splitKeys handles keys that arrived in one read (fast typing, a slow
// SSH link, tmux send-keys) one by one, as they were pressed.
func (m *Model) splitKeys(msg tea.KeyMsg) tea.Cmd {
	cmds := make([]tea.Cmd, 0, len(msg.Runes))
	for _, r := range msg.Runes {
		_, cmd := m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
		cmds = append(cmds, cmd)
	}
	return tea.Batch(cmds...)
}

func (m *Model) quit() tea.Cmd {
	m.Close()
	return tea.Quit
}

// updateScreen sends msg to the screen on top.
func (m *Model) updateScreen(msg tea.Msg) tea.Cmd {
	switch m.state {
	case screenFilter:
		return m.updateFilter(msg)
	case screenForm:
		return m.updateForm(msg)
	case screenDiscard:
		return m.updateDiscard(msg)
	case screenDelete:
		return m.updateDelete(msg)
	case screenCreated, screenSetup, screenDetail:
		return m.updatePanel(msg)
	case screenCatalog:
		return m.updateCatalog(msg)
	case screenCatalogAdd:
		return m.updateCatalogAdd(msg)
	case screenCatalogRemove:
		return m.updateCatalogRemove(msg)
	case screenPrice:
		return m.updatePrice(msg)
	case screenHelp:
		return m.updateHelp(msg)
	default:
		return m.updateTable(msg)
	}
}

// View draws the screen on top, every line within the terminal's width.
func (m *Model) View() string {
	if m.width == 0 {
		return "Loading…"
	}
	if m.width < minWidth || m.height < minHeight {
		return m.viewTooSmall()
	}
	bh := m.bodyHeight()
	body := m.viewBody(bh)
	lines := make([]string, 0, m.height)
	lines = append(lines, m.viewHeader())
	lines = append(lines, clampLines(body, m.width, bh)...)
	lines = append(lines, m.statusLines()...)
	lines = append(lines, m.viewHelpLine())
	return joinLines(clampLines(lines, m.width, m.height))
}

// viewBody draws the part between the header and the footer.
func (m *Model) viewBody(h int) []string {
	switch m.state {
	case screenForm:
		return m.viewForm(h)
	case screenDiscard:
		return m.viewDiscard(h)
	case screenDelete:
		return m.viewDelete(h)
	case screenCreated, screenSetup, screenDetail:
		return m.viewPanel(h)
	case screenCatalog, screenCatalogAdd, screenCatalogRemove:
		return m.viewCatalog(h)
	case screenPrice:
		return m.viewPrice(h)
	case screenHelp:
		return m.viewFullHelp(h)
	default:
		return m.viewTable(h)
	}
}

// setStatus shows a result in the footer.
func (m *Model) setStatus(text string) { m.status = statusLine{before: text} }

// setNamed shows a result about a name in the footer: before 'name' after.
func (m *Model) setNamed(before, name, after string) {
	m.status = statusLine{before: before, name: printable(name), after: after}
}

// setError shows an error in the footer and logs it.
func (m *Model) setError(err error) {
	m.status = statusLine{before: errorText(err), isErr: true}
	m.cfg.Logger.Warn("console", "error", err.Error())
}

// resize reflows every screen for a new terminal size.
func (m *Model) resize(w, h int) {
	if w <= 0 || h <= 0 {
		// A terminal that reports no size at all (ssh -tt from a pipe
		// asks for 0x0) gets the classic size rather than no screen.
		w, h = fallbackWidth, fallbackHeight
	}
	m.width, m.height = w, h
	m.help.Width = w
}
