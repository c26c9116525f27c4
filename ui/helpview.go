package ui

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// openHelp shows every key of the screen on top.
func (m *Model) openHelp() {
	m.back = m.state
	m.helpTop = 0
	m.open(screenHelp)
}

func (m *Model) updateHelp(msg tea.Msg) tea.Cmd {
	km, ok := msg.(tea.KeyMsg)
	if !ok || km.Paste {
		return nil
	}
	k := m.keys.help
	switch {
	case key.Matches(km, k.Close):
		m.state = m.back
	case key.Matches(km, k.Up):
		m.helpTop = max(0, m.helpTop-1)
	case key.Matches(km, k.Down):
		m.helpTop++
	}
	return nil
}

// helpLines lays the bindings of the screen under the help out in
// columns when they fit in h lines, else in one column to scroll.
func (m *Model) helpLines(h int) []string {
	groups := m.keysFor(m.back).FullHelp()
	title := m.st.Title.Render("Keys") + m.st.Faint.Render("  (esc, q or ? closes)")
	lines := []string{title, ""}
	full := strings.Split(m.help.FullHelpView(groups), "\n")
	if maxCells(full) <= m.width && len(full)+2 <= h {
		return append(lines, full...)
	}
	for _, g := range groups {
		for _, b := range g {
			if !b.Enabled() {
				continue
			}
			lines = append(lines, m.st.Help.FullKey.Render(fit(b.Help().Key, 12))+
				m.st.Help.FullDesc.Render(b.Help().Desc))
		}
	}
	return lines
}

// viewFullHelp draws the help in h lines, scrolled as Update left it.
func (m *Model) viewFullHelp(h int) []string {
	out, _ := window(m.helpLines(h), h, m.helpTop, -1)
	return out
}

func maxCells(lines []string) int {
	w := 0
	for _, l := range lines {
		w = max(w, safeCells(l))
	}
	return w
}
