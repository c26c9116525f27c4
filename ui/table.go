package ui

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"keyward/keys"
	"keyward/model"
)

// Table geometry, in cells.
const (
	markerW       = 2
	statusW       = 9  // "Exhausted"
	keyW          = 11 // "sk-****abcd"
	createdW      = 22 // len(createdLayout)
	barW          = 5
	createdLayout = model.TimeLayout
	selMarker     = "> "
)

// columns are the table's column widths; 0 hides a column.
type columns struct {
	gap, name, status, quota, key, created int
}

// widths lists the widths of the columns shown, left to right.
func (c columns) widths() []int {
	all := []int{c.name, c.status, c.quota, c.key, c.created}
	return slices.DeleteFunc(all, func(w int) bool { return w == 0 })
}

// tableColumns shares width among the columns: Status, Key and Created are
// fixed; Created goes first and Key next when room is short; Name and
// Remaining share the rest.
func tableColumns(width int) columns {
	c := columns{gap: 1, status: statusW}
	if width >= 100 {
		c.gap = 2
	}
	avail := width - markerW - c.status - c.gap
	switch {
	case avail-2*c.gap-keyW-createdW >= 30:
		c.key, c.created = keyW, createdW
		avail -= 2*c.gap + keyW + createdW
	case avail-c.gap-keyW >= 24:
		c.key = keyW
		avail -= c.gap + keyW
	}
	rest := avail - c.gap
	c.quota = max(9, min(28, rest*5/9))
	c.name = min(rest-c.quota, 48)
	return c
}

// minRevealNameW is the least room Name keeps when a revealed key widens
// the Key column.
const minRevealNameW = 12

// revealColumns widens the Key column of c to kw cells, for a revealed
// key shown whole: width comes from Name first (down to minRevealNameW),
// then Created goes (what it frees beyond the need goes back to Name),
// then Remaining shrinks (down to 9). It reports false, and changes
// nothing, when the terminal is too narrow for that.
func revealColumns(c columns, kw int) (columns, bool) {
	orig := c
	need := kw - c.key
	if c.key == 0 {
		need += c.gap
	}
	take := func(w *int, least int) {
		n := max(0, min(need, *w-least))
		*w -= n
		need -= n
	}
	take(&c.name, minRevealNameW)
	if need > 0 && c.created > 0 {
		need -= c.created + c.gap
		c.created = 0
		c.name += max(0, -need)
		need = max(0, need)
	}
	take(&c.quota, 9)
	if need > 0 {
		return orig, false
	}
	c.key = kw
	return c, true
}

// tableLayout is the table's columns for the terminal's width. When the
// selected row's key is revealed, Key is as wide as the key where the
// width allows; whole reports whether the key shows whole in its column
// (else the footer shows it, see revealStatus).
func (m *Model) tableLayout() (c columns, whole bool) {
	c = tableColumns(m.width)
	t, ok := m.list.selected()
	if !ok || !m.revealed(t) {
		return c, false
	}
	return revealColumns(c, cells(t.Key))
}

// tableRows is how many token rows fit in a body of height h.
func (m *Model) tableRows(h int) int {
	return max(1, h-1)
}

// viewTable draws the column heads and the visible rows.
func (m *Model) viewTable(h int) []string {
	if msg := m.emptyText(); msg != "" {
		return append([]string{""}, wrap(msg, m.width)...)
	}
	c, _ := m.tableLayout()
	n := m.tableRows(h)
	off := m.list.offsetFor(n)
	lines := make([]string, 0, h)
	lines = append(lines, m.st.ColHead.Render(m.headRow(c)))
	end := min(len(m.list.view), off+n)
	for i := off; i < end; i++ {
		lines = append(lines, m.tokenRow(c, m.list.at(i).tok, i == m.list.cursor))
	}
	for len(lines) < n+1 {
		lines = append(lines, "")
	}
	return lines
}

// emptyText explains an empty table, or is "" when there are rows.
func (m *Model) emptyText() string {
	switch {
	case !m.loaded:
		return "Loading tokens…"
	case len(m.list.all) == 0:
		return "No tokens yet: press n to create one"
	case len(m.list.view) == 0:
		return "No token matches " + m.filterLabel() + ". Press Esc to clear the filter."
	}
	return ""
}

func (m *Model) headRow(c columns) string {
	cols := []string{fit("Name", c.name), fit("Status", c.status),
		fit(firstFit(c.quota, "Remaining / Total", "Left / Total", "Left"), c.quota)}
	if c.key > 0 {
		cols = append(cols, fit("Key", c.key))
	}
	if c.created > 0 {
		cols = append(cols, fit("Created", c.created))
	}
	return strings.Repeat(" ", markerW) + joinCols(cols, c.widths(), c.gap)
}

// tokenRow draws one token. The selected row gets a marker as well as
// reverse video, so it shows without colour too.
func (m *Model) tokenRow(c columns, t model.Token, selected bool) string {
	status := fit(t.Status().String(), c.status)
	if !selected {
		status = m.statusStyle(t).Render(status)
	}
	cols := []string{fit(printable(t.Name), c.name), status,
		fit(firstFit(c.quota, quotaTexts(t)...), c.quota)}
	if c.key > 0 {
		cols = append(cols, fit(m.keyText(t, c.key), c.key))
	}
	if c.created > 0 {
		created := t.CreatedAt.In(m.cfg.Location).Format(createdLayout)
		cols = append(cols, fit(created, c.created))
	}
	line := joinCols(cols, c.widths(), c.gap)
	if selected {
		return m.st.Selected.Render(selMarker + line)
	}
	return "  " + line
}

func (m *Model) statusStyle(t model.Token) lipgloss.Style {
	switch t.Status() {
	case model.StatusDisabled:
		return m.st.Disabled
	case model.StatusExhausted:
		return m.st.Exhausted
	}
	return m.st.Enabled
}

// joinCols lays cells out after the row marker at their widths, gap
// apart. Terminals disagree on the width of some emoji sequences (tmux
// counts a skin tone and a gender sign apart), so a cell holding non-ASCII
// text is cut and padded to fit under every count (see fit); after it, an
// erase (ECH) clears what an earlier frame left up to the next column,
// wherever the terminal put the cursor, and an absolute move (CHA) starts
// the next column where it belongs.
func joinCols(cols []string, widths []int, gap int) string {
	var b strings.Builder
	pos, wide := markerW, false
	for i, c := range cols {
		if i > 0 {
			if wide {
				fmt.Fprintf(&b, "\x1b[%dX", widths[i-1]+gap)
			}
			b.WriteString(strings.Repeat(" ", gap))
			pos += gap
			if wide {
				fmt.Fprintf(&b, "\x1b[%dG", pos+1)
			}
		}
		b.WriteString(c)
		pos += widths[i]
		wide = !isASCII(c)
	}
	return b.String()
}

// keyText is the key as a Key column of w cells shows it: masked unless
// revealed and whole in w (a revealed key that does not fit is shown in
// the footer instead, never cut).
func (m *Model) keyText(t model.Token, w int) string {
	if m.revealed(t) && cells(t.Key) <= w {
		return t.Key
	}
	return keys.Mask(t.Key)
}

// quotaTexts are the ways to show a token's quota, longest first.
func quotaTexts(t model.Token) []string {
	if t.Unlimited {
		return []string{t.QuotaText(), "Unlimited · " + t.Used.Format(), "Unlimited", "∞"}
	}
	rem, total, full := t.Remaining().Format(), t.Limit.Format(), t.QuotaText()
	return []string{full + " " + usageBar(t.Used, t.Limit, barW), full,
		rem + "/" + total, rem + " left", rem}
}

// usageBar draws how much of limit is used, in w cells, rounding up so
// that any spend shows. The fraction is for drawing only; money stays
// integral.
func usageBar(used, limit model.Money, w int) string {
	filled := w
	if limit > 0 && used < limit {
		filled = int(math.Ceil(float64(used) / float64(limit) * float64(w)))
	}
	filled = max(0, min(w, filled))
	return strings.Repeat("█", filled) + strings.Repeat("░", w-filled)
}

// updateTable handles keys and the mouse on the token table.
func (m *Model) updateTable(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.MouseMsg:
		m.onMouse(msg)
	case tea.KeyMsg:
		if msg.Paste {
			return m.startFilter(string(msg.Runes))
		}
		return m.tableKey(msg)
	}
	return nil
}

func (m *Model) tableKey(msg tea.KeyMsg) tea.Cmd {
	k := &m.keys.table
	m.syncTableKeys()
	if m.moveKey(msg, k) {
		return nil
	}
	t, _ := m.list.selected()
	switch {
	case key.Matches(msg, k.Filter):
		return m.startFilter("")
	case key.Matches(msg, k.ClearFilter):
		return m.clearFilter()
	case key.Matches(msg, k.New):
		return m.openCreate()
	case key.Matches(msg, k.Edit):
		return m.openEdit(t)
	case key.Matches(msg, k.Toggle):
		m.setStatus("")
		return setEnabledCmd(m.cfg.Store, m.cfg.Actor, t, !t.Enabled)
	case key.Matches(msg, k.Reveal):
		m.toggleReveal(t)
	case key.Matches(msg, k.Copy):
		return m.copyText(t.Key, "the key of", t.Name)
	case key.Matches(msg, k.Delete):
		m.askDelete(t)
	case key.Matches(msg, k.Setup):
		m.openPanel(screenSetup, t)
	case key.Matches(msg, k.Detail):
		return m.openDetail(t)
	case key.Matches(msg, k.Catalog):
		return m.openCatalog()
	case key.Matches(msg, k.Help):
		m.openHelp()
	case key.Matches(msg, k.Quit):
		return m.quit()
	}
	return nil
}

// moveKey handles the movement keys; it reports whether msg was one.
func (m *Model) moveKey(msg tea.KeyMsg, k *tableKeys) bool {
	page := m.tableRows(m.bodyHeight())
	switch {
	case key.Matches(msg, k.Up):
		m.moveTo(m.list.cursor - 1)
	case key.Matches(msg, k.Down):
		m.moveTo(m.list.cursor + 1)
	case key.Matches(msg, k.PageUp):
		m.moveTo(m.list.cursor - page)
	case key.Matches(msg, k.PageDown):
		m.moveTo(m.list.cursor + page)
	case key.Matches(msg, k.Home):
		m.moveTo(0)
	case key.Matches(msg, k.End):
		m.moveTo(len(m.list.view) - 1)
	default:
		return false
	}
	return true
}

// onMouse scrolls with the wheel and selects a row on a click.
func (m *Model) onMouse(msg tea.MouseMsg) {
	if msg.Action != tea.MouseActionPress {
		return
	}
	switch msg.Button {
	case tea.MouseButtonWheelUp:
		m.moveTo(m.list.cursor - 1)
	case tea.MouseButtonWheelDown:
		m.moveTo(m.list.cursor + 1)
	case tea.MouseButtonLeft:
		const firstRowY = 2 // header line, then column heads
		if i := msg.Y - firstRowY; i >= 0 && i < m.tableRows(m.bodyHeight()) {
			m.moveTo(m.list.offset + i)
		}
	}
}

// moveTo moves the cursor; a revealed key masks again when its row is
// left.
func (m *Model) moveTo(i int) {
	m.list.moveTo(i)
	m.afterMove()
}

func (m *Model) afterMove() {
	if t, ok := m.list.selected(); !ok || t.ID != m.reveal {
		m.reveal = 0
	}
}

// revealed reports whether t's key is shown in full.
func (m *Model) revealed(t model.Token) bool { return m.reveal != 0 && m.reveal == t.ID }

func (m *Model) toggleReveal(t model.Token) {
	if m.reveal == t.ID {
		m.reveal = 0
		return
	}
	m.reveal = t.ID
}

// syncTableKeys enables the bindings that apply to the table now.
func (m *Model) syncTableKeys() {
	k := &m.keys.table
	t, ok := m.list.selected()
	for _, b := range []*key.Binding{&k.Edit, &k.Toggle, &k.Reveal, &k.Copy,
		&k.Delete, &k.Setup, &k.Detail, &k.Up, &k.Down, &k.PageUp, &k.PageDown,
		&k.Home, &k.End} {
		b.SetEnabled(ok)
	}
	k.ClearFilter.SetEnabled(m.filterActive())
	k.Toggle.SetHelp("t", "disable")
	if ok && !t.Enabled {
		k.Toggle.SetHelp("t", "enable")
	}
	k.Reveal.SetHelp("r", "reveal")
	if ok && m.revealed(t) {
		k.Reveal.SetHelp("r", "hide key")
	}
}

// revealStatus is the footer's line(s) holding the revealed key in full
// when the table's Key column is too narrow for it, else nil.
func (m *Model) revealStatus() []string {
	if m.state != screenTable && m.state != screenFilter {
		return nil
	}
	t, ok := m.list.selected()
	if !ok || !m.revealed(t) {
		return nil
	}
	if _, whole := m.tableLayout(); whole {
		return nil
	}
	s := statusLine{before: "Key of ", name: printable(t.Name), after: ": " + t.Key}
	return s.lines(m.width, maxStatusLines)
}
