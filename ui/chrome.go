package ui

import (
	"errors"
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/x/ansi"

	"keyward/keys"
	"keyward/model"
	"keyward/storage"
)

// maxStatusLines is how many lines an error may wrap to in the footer.
const maxStatusLines = 3

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
func (m *Model) viewHeader() string {
	sep := m.st.HeaderDim.Render(" · ")
	right := []string{m.countText()}
	if f := m.filterLabel(); f != "" {
		right = append(right, "filter "+f)
	}
	if m.cfg.Operator != "" {
		right = append(right, "operator "+printable(m.cfg.Operator))
	}
	tail := sep + strings.Join(right, sep)
	title := m.st.Title.Render(productName)
	room := m.width - cells(title) - cells(tail) - cells(sep)
	path := m.path
	if room < 8 {
		return truncate(title+tail, m.width)
	}
	if cells(path) > room {
		path = ansi.TruncateLeft(path, cells(path)-room+1, ellipsis)
	}
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

// filterLabel is the active filter as shown in the header; a pasted key
// is masked there.
func (m *Model) filterLabel() string {
	q := strings.TrimSpace(m.query)
	if q == "" {
		return ""
	}
	if keys.LooksValid(q) {
		q = keys.Mask(q)
	}
	return fmt.Sprintf("%q", truncate(printable(q), 24))
}

// statusLines are the footer's result line, or the filter line while the
// filter is being typed. An error wraps to a few lines so that it can be
// read whole.
func (m *Model) statusLines() []string {
	if m.state == screenFilter {
		if v := strings.TrimSpace(m.filter.Value()); keys.LooksValid(v) {
			// a pasted key is data to search with, not something to show
			return []string{m.filter.Prompt + keys.Mask(v) +
				m.st.Faint.Render(" (a key, masked)")}
		}
		return []string{m.filter.View()}
	}
	if !m.status.isErr {
		return []string{m.st.Success.Render(truncate(m.status.text, m.width))}
	}
	lines := wrap("Error: "+m.status.text, m.width)
	limit := min(maxStatusLines, max(1, m.height-minHeight+1))
	if len(lines) > limit {
		lines = lines[:limit]
		lines[limit-1] = truncate(lines[limit-1]+" "+ellipsis, m.width)
	}
	for i, l := range lines {
		lines[i] = m.st.Error.Render(l)
	}
	return lines
}

// viewHelpLine is the short help of the screen on top.
func (m *Model) viewHelpLine() string {
	return m.help.ShortHelpView(m.currentKeys().ShortHelp())
}

// currentKeys returns the key map of the screen on top, its bindings
// enabled or disabled for what applies now.
func (m *Model) currentKeys() help.KeyMap {
	return m.keysFor(m.state)
}

func (m *Model) keysFor(s screen) help.KeyMap {
	switch s {
	case screenFilter:
		return m.keys.filter
	case screenForm:
		m.syncFormKeys()
		return m.keys.form
	case screenDiscard, screenDelete, screenCatalogRemove:
		return m.keys.confirm
	case screenCreated, screenSetup, screenDetail:
		m.syncPanelKeys(s)
		return m.keys.panel
	case screenCatalog:
		m.syncCatalogKeys()
		return m.keys.catalog
	case screenCatalogAdd, screenPrice:
		return m.keys.input
	case screenHelp:
		return m.keys.help
	default:
		m.syncTableKeys()
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
