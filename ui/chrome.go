package ui

import (
	"errors"
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"

	"keyward/keys"
	"keyward/model"
	"keyward/storage"
)

// maxStatusLines is how many lines the footer's message may wrap to.
const maxStatusLines = 3

// minNameCells is the least room a name keeps in the footer before the
// rest of the message is cut instead.
const minNameCells = 6

// bodyHeight is what is left between the header and the footer.
func (m *Model) bodyHeight() int {
	return m.height - 1 - len(m.statusLines()) - 1
}

// productName heads every screen.
const productName = "Keyward"

func joinLines(lines []string) string { return strings.Join(lines, "\n") }

// viewTooSmall asks for a bigger terminal, within whatever room there is.
func (m *Model) viewTooSmall() string {
	msg := fmt.Sprintf("Terminal too small: %dx%d. Keyward needs at least %dx%d.",
		m.width, m.height, minWidth, minHeight)
	lines := wrap(msg, max(1, m.width))
	return joinLines(clampLines(lines, max(1, m.width), max(1, min(len(lines), m.height))))
}

// viewHeader is the top line: product, database, count, filter, operator.
// The path gives way first, from its start, then the rest is cut.
func (m *Model) viewHeader() string {
	sep := m.st.HeaderDim.Render(" · ")
	right := []string{m.countText()}
	if f := m.filterLabel(); f != "" {
		right = append(right, "filter "+f)
	}
	if m.cfg.Operator != "" {
		right = append(right, "operator "+truncate(printable(m.cfg.Operator), 24))
	}
	tail := sep + strings.Join(right, sep)
	title := m.st.Title.Render(productName)
	room := m.width - safeCells(title) - safeCells(tail) - safeCells(sep)
	if room < 8 {
		return truncate(title+tail, m.width)
	}
	path := truncateLeft(printable(m.path), room)
	return title + sep + m.st.HeaderDim.Render(path) + tail
}

// countText is "12 tokens", or "3 of 120" while a filter is active.
func (m *Model) countText() string {
	total := len(m.list.all)
	if !m.loaded {
		return "loading…"
	}
	if m.filterActive() {
		return fmt.Sprintf("%d of %d", len(m.list.view), total)
	}
	if total == 1 {
		return "1 token"
	}
	return fmt.Sprintf("%d tokens", total)
}

// filterLabel is the active filter as shown in the header, quoted and
// cut to 24 cells; a pasted key is masked there.
func (m *Model) filterLabel() string {
	q := strings.TrimSpace(m.query)
	if q == "" {
		return ""
	}
	if keys.LooksValid(q) {
		q = keys.Mask(q)
	}
	return `"` + truncate(printable(q), 24) + `"`
}

// statusLines are the footer's message, or the filter line while the
// filter is being typed. A message wraps to a few lines so that it can be
// read whole; a long name in it is cut before the rest is.
// A key revealed on the table that its Key column cannot show whole
// comes first, so that it is always on screen in full.
func (m *Model) statusLines() []string {
	key := m.revealStatus()
	if m.state == screenFilter {
		return append(key, m.filterLine())
	}
	if len(key) == 0 {
		return m.messageLines(m.statusLimit())
	}
	if m.status == (statusLine{}) {
		return key
	}
	return append(key, m.messageLines(max(1, m.statusLimit()-len(key)))...)
}

// filterLine is the filter being typed, with a pasted key masked.
func (m *Model) filterLine() string {
	if v := strings.TrimSpace(m.filter.Value()); keys.LooksValid(v) {
		// a pasted key is data to search with, not something to show
		return truncate(m.filter.Prompt+keys.Mask(v)+
			m.st.Faint.Render(" (a key, masked)"), m.width)
	}
	return m.inputView(&m.filter, m.width)
}

// messageLines is the footer's message in at most limit lines.
func (m *Model) messageLines(limit int) []string {
	style := m.st.Success
	if m.status.isErr {
		style = m.st.Error
	}
	lines := m.status.lines(m.width, limit)
	for i, l := range lines {
		lines[i] = style.Render(l)
	}
	return lines
}

// statusLimit is how many lines the message may take.
func (m *Model) statusLimit() int { return maxStatusLines }

// statusLine is the footer's result or error: before + 'name' + after.
// The name is kept apart so that a long one is cut, not the outcome; short,
// when set, says the same as after in fewer words, for narrow terminals.
type statusLine struct {
	before, name, after, short string
	isErr                      bool
}

// text is the message with the name cut to n cells and the given end.
func (s statusLine) text(n int) string { return s.with(n, s.after) }

func (s statusLine) with(n int, after string) string {
	out := s.before
	if s.isErr {
		out = "Error: " + out
	}
	if s.name != "" {
		out += "'" + truncate(s.name, n) + "'"
	}
	return out + after
}

// lines wraps the message in w cells and at most limit lines, cutting
// the name down first, then saying it shortly, and cutting the end of
// the message last.
func (s statusLine) lines(w, limit int) []string {
	ends := []string{s.after}
	if s.short != "" {
		ends = append(ends, s.short)
	}
	var lines []string
	for _, after := range ends {
		for n := safeCells(s.name); ; n = max(minNameCells, n-max(1, n/4)) {
			lines = wrap(s.with(n, after), w)
			if len(lines) == 0 {
				return []string{""}
			}
			if len(lines) <= limit {
				return lines
			}
			if n <= minNameCells {
				break
			}
		}
	}
	lines = lines[:limit]
	lines[limit-1] = truncate(lines[limit-1]+" "+ellipsis, w)
	return lines
}

// viewHelpLine is the short help of the screen on top.
func (m *Model) viewHelpLine() string {
	k := m.currentKeys()
	var pinned []key.Binding
	if p, ok := k.(pinnedKeyMap); ok {
		pinned = p.Pinned()
	}
	return m.footer(k.ShortHelp(), pinned)
}

// pinnedKeyMap is a key map whose footer always ends with some bindings
// (help, quit, cancel); ShortHelp lists the others, which give way first
// on a narrow terminal.
type pinnedKeyMap interface {
	help.KeyMap
	Pinned() []key.Binding
}

// footer lays the enabled bindings of middle out in order, then the
// pinned ones; when they do not all fit, middle bindings give way from the
// end and "…" stands for them.
func (m *Model) footer(middle, pinned []key.Binding) string {
	sep := m.st.Help.ShortSeparator.Render(" · ")
	items, tail := m.helpItems(middle), m.helpItems(pinned)
	line := strings.Join(append(items, tail...), sep)
	for k := len(items) - 1; k >= 0 && safeCells(line) > m.width; k-- {
		kept := append(append(items[:k:k], m.st.Help.Ellipsis.Render(ellipsis)), tail...)
		line = strings.Join(kept, sep)
	}
	return truncate(line, m.width)
}

// helpItems draws the enabled bindings as "key desc".
func (m *Model) helpItems(bs []key.Binding) []string {
	out := make([]string, 0, len(bs))
	for _, b := range bs {
		if !b.Enabled() {
			continue
		}
		out = append(out, m.st.Help.ShortKey.Render(b.Help().Key)+" "+
			m.st.Help.ShortDesc.Render(b.Help().Desc))
	}
	return out
}

// currentKeys returns the key map of the screen on top.
func (m *Model) currentKeys() help.KeyMap {
	return m.keysFor(m.state)
}

// keysFor returns the key map of screen s; Update keeps its bindings
// enabled or disabled for what applies now.
func (m *Model) keysFor(s screen) help.KeyMap {
	switch s {
	case screenFilter:
		return m.keys.filter
	case screenForm:
		return m.keys.form
	case screenDiscard, screenDelete, screenCatalogRemove:
		return m.keys.confirm
	case screenCreated, screenSetup, screenDetail:
		return m.keys.panel
	case screenCatalog:
		return m.keys.catalog
	case screenCatalogAdd, screenPrice:
		return m.keys.input
	case screenHelp:
		return m.keys.help
	default:
		return m.keys.table
	}
}

// errorText says what went wrong in one sentence, with what to do next
// for the errors a person can act on.
func errorText(err error) string {
	switch {
	case errors.Is(err, storage.ErrConflict):
		return err.Error() + "; reload to see the new values"
	case errors.Is(err, storage.ErrNotFound):
		return err.Error() + "; it may have been deleted elsewhere"
	case errors.Is(err, storage.ErrReadOnly):
		return err.Error() + "; check the file's permissions"
	case errors.Is(err, storage.ErrClosed):
		return err.Error() + "; restart Keyward"
	case errors.Is(err, model.ErrInvalid):
		return err.Error()
	}
	return err.Error()
}
