package ui

import (
	"fmt"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// answer reads a yes/no key: y is yes; n, Enter and Esc are no. Pasted
// text answers nothing, and other keys are ignored.
func (m *Model) answer(msg tea.Msg) (yes, done bool) {
	km, ok := msg.(tea.KeyMsg)
	if !ok || km.Paste {
		return false, false
	}
	switch {
	case key.Matches(km, m.keys.confirm.Yes):
		return true, true
	case key.Matches(km, m.keys.confirm.No):
		return false, true
	}
	return false, false
}

// question draws a yes/no question above what it is about.
func (m *Model) question(h int, text string, below []string) []string {
	lines := []string{""}
	for _, l := range wrap(text, m.width-2) {
		lines = append(lines, "  "+m.st.Warn.Render(l))
	}
	lines = append(lines, "  "+m.st.Label.Render("y")+" yes   "+
		m.st.Label.Render("n")+" no (default)", "")
	return append(lines, below...)
}

func (m *Model) updateDelete(msg tea.Msg) tea.Cmd {
	yes, done := m.answer(msg)
	if !done {
		return nil
	}
	m.state = screenTable
	if !yes {
		m.setStatus("Kept '" + printable(m.target.Name) + "'")
		return nil
	}
	return deleteCmd(m.cfg.Store, m.cfg.Actor, m.target.ID, m.target.Name)
}

func (m *Model) viewDelete(h int) []string {
	q := fmt.Sprintf("Delete '%s'? This cannot be undone.", printable(m.target.Name))
	head := m.question(h, q, nil)
	return m.question(h, q, m.viewTable(max(2, h-len(head))))
}

func (m *Model) updateDiscard(msg tea.Msg) tea.Cmd {
	yes, done := m.answer(msg)
	if !done {
		return nil
	}
	if !yes {
		m.state = screenForm
		return nil
	}
	m.form = nil
	m.state = screenTable
	m.setStatus("Discarded the changes")
	return nil
}

func (m *Model) viewDiscard(h int) []string {
	head := m.question(h, "Discard what you typed?", nil)
	return m.question(h, "Discard what you typed?", m.viewForm(max(2, h-len(head))))
}
