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
	m.state = screenHelp
}

func (m *Model) updateHelp(msg tea.Msg) tea.Cmd {
	km, ok := msg.(tea.KeyMsg)
	if !ok || km.Paste {
		return nil
	}
	switch {
	case key.Matches(km, m.keys.help.Close):
		m.state = m.back
	case key.Matches(km, m.keys.help.Quit):
		return m.quit()
	case km.String() == "up" || km.String() == "k":
		m.helpTop = max(0, m.helpTop-1)
	case km.String() == "down" || km.String() == "j":
		m.helpTop++
	}
	return nil
}

// viewFullHelp lays the bindings out in columns when they fit, else in
// one column that scrolls.
func (m *Model) viewFullHelp(h int) []string {
	groups := m.keysFor(m.back).FullHelp()
	title := m.st.Title.Render("Keys") + m.st.Faint.Render("  (?/esc closes)")
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
	m.helpTop = max(0, min(m.helpTop, len(lines)-h))
	out, _ := window(lines, h, m.helpTop, -1)
	return out
}

func maxCells(lines []string) int {
	w := 0
	for _, l := range lines {
		w = max(w, cells(l))
	}
	return w
}
