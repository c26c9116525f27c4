package ui

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// syncFilterMax is the most rows filtered inside Update; larger lists are
// filtered in a command, and a sequence number drops stale results.
const syncFilterMax = 5000

// filterLimit caps the filter text, in runes.
const filterLimit = 200

// filterActive reports whether a filter narrows the table.
func (m *Model) filterActive() bool { return strings.TrimSpace(m.query) != "" }

// startFilter opens the filter line, with text (a paste) added to it.
func (m *Model) startFilter(text string) tea.Cmd {
	m.open(screenFilter)
	m.filter.CursorEnd()
	cmd := m.filter.Focus()
	if text != "" {
		c, _ := insertText(&m.filter, oneLine(text), filterLimit)
		return tea.Batch(cmd, c, m.setQuery(m.filter.Value()))
	}
	return cmd
}

// clearFilter empties the filter and shows every token.
func (m *Model) clearFilter() tea.Cmd {
	m.filter.SetValue("")
	m.filter.Blur()
	m.state = screenTable
	return m.setQuery("")
}

// setQuery filters the table by q, now for small lists and in a command
// for large ones.
func (m *Model) setQuery(q string) tea.Cmd {
	if q == m.query {
		return nil
	}
	m.query = q
	return m.refilter()
}

func (m *Model) refilter() tea.Cmd {
	m.seq++
	if len(m.list.all) <= syncFilterMax {
		m.list.setView(matchRows(m.list.all, m.query))
		m.afterMove()
		return nil
	}
	return filterCmd(m.list.all, m.query, m.seq, m.list.gen)
}

// onFiltered installs a background filter result unless the filter text
// or the rows changed meanwhile.
func (m *Model) onFiltered(msg filteredMsg) {
	if msg.seq != m.seq || msg.gen != m.list.gen {
		return
	}
	m.list.setView(msg.view)
	m.afterMove()
}

// updateFilter edits the filter line; the table narrows as it changes.
func (m *Model) updateFilter(msg tea.Msg) tea.Cmd {
	k := m.keys.filter
	switch msg := msg.(type) {
	case tea.MouseMsg:
		m.onMouse(msg)
		return nil
	case tea.KeyMsg:
		switch {
		case msg.Paste:
			c, _ := insertText(&m.filter, oneLine(string(msg.Runes)), filterLimit)
			return tea.Batch(c, m.setQuery(m.filter.Value()))
		case key.Matches(msg, k.Keep):
			m.filter.Blur()
			m.state = screenTable
			return nil
		case key.Matches(msg, k.Clear):
			return m.clearFilter()
		case key.Matches(msg, k.Up):
			m.moveTo(m.list.cursor - 1)
			return nil
		case key.Matches(msg, k.Down):
			m.moveTo(m.list.cursor + 1)
			return nil
		}
	}
	var cmd tea.Cmd
	if km, ok := msg.(tea.KeyMsg); ok {
		cmd, _ = editInput(&m.filter, km, filterLimit)
	} else {
		m.filter, cmd = m.filter.Update(msg)
	}
	return tea.Batch(cmd, m.setQuery(m.filter.Value()))
}
