package ui

import (
	"errors"

	tea "github.com/charmbracelet/bubbletea"

	"keyward/model"
	"keyward/storage"
)

// deleteState is where a delete made here stands.
type deleteState int

const (
	// deletePending: asked for, not yet done; loads that still hold the
	// token are older than the delete and are dropped.
	deletePending deleteState = iota
	// deleteDone: done; a load that started before it may still hold the
	// token and is dropped and made again.
	deleteDone
)

// handleResult handles the typed results of commands, whatever screen is
// on top. It reports whether msg was one.
func (m *Model) handleResult(msg tea.Msg) (tea.Cmd, bool) {
	switch msg := msg.(type) {
	case tokensLoadedMsg:
		return m.onTokensLoaded(msg), true
	case filteredMsg:
		m.onFiltered(msg)
	case storeChangedMsg:
		return tea.Batch(m.reload(), loadCatalogCmd(m.cfg.Store),
			waitChangeCmd(m.sub, m.done, m.cancel)), true
	case storeGoneMsg:
		m.sub = nil
	case catalogLoadedMsg:
		m.onCatalogLoaded(msg)
	case tokenSavedMsg:
		return m.onSaved(msg), true
	case formReloadedMsg:
		m.onFormReloaded(msg)
	case enabledMsg:
		return m.onEnabled(msg), true
	case deletedMsg:
		return m.onDeleted(msg), true
	case spendLoadedMsg:
		m.onSpend(msg)
	case catalogChangedMsg:
		return m.onCatalogChanged(msg), true
	case copiedMsg:
		m.onCopied(msg)
	default:
		return nil, false
	}
	return nil, true
}

// loadCmd lists the tokens, numbering the load.
func (m *Model) loadCmd() tea.Cmd {
	m.loads++
	return loadTokensCmd(m.cfg.Store, m.query, m.loads)
}

// reload lists the tokens again, or marks that it must once the load in
// flight is done.
func (m *Model) reload() tea.Cmd {
	if m.loading {
		m.again = true
		return nil
	}
	m.loading = true
	return m.loadCmd()
}

// onTokensLoaded installs a fresh list, keeping the selection by ID and
// the filter. A list that still holds a token deleted here is older than
// the delete and is not shown.
func (m *Model) onTokensLoaded(msg tokensLoadedMsg) tea.Cmd {
	m.loading = false
	var cmds []tea.Cmd
	switch {
	case msg.err != nil:
		m.setError(msg.err)
	case holds(msg.rows, m.gone):
		m.again = m.again || !m.anyPending()
	default:
		clear(m.gone)
		m.loaded = true
		m.list.replace(msg.rows, msg.view)
		m.afterMove()
		m.refreshTarget(msg.seq)
		if msg.query != m.query {
			cmds = append(cmds, m.refilter())
		}
	}
	if m.again {
		m.again = false
		cmds = append(cmds, m.reload())
	}
	return tea.Batch(cmds...)
}

// anyPending reports whether a delete made here is still running.
func (m *Model) anyPending() bool {
	for _, s := range m.gone {
		if s == deletePending {
			return true
		}
	}
	return false
}

// dropRow takes token id off the table at once, ahead of the store.
func (m *Model) dropRow(id uint64) {
	if rows, view, ok := m.list.without(id); ok {
		m.list.replace(rows, view)
		m.afterMove()
	}
}

// refilterBig filters again in the background when the rows were
// replaced while a background filter may have been running.
func (m *Model) refilterBig() tea.Cmd {
	if len(m.list.all) <= syncFilterMax || !m.filterActive() {
		return nil
	}
	return m.refilter()
}

func (m *Model) onEnabled(msg enabledMsg) tea.Cmd {
	if msg.err != nil {
		m.setError(msg.err)
		return nil
	}
	verb := "Disabled "
	if msg.tok.Enabled {
		verb = "Enabled "
	}
	m.setNamed(verb, msg.tok.Name, "")
	m.cfg.Logger.Info("token "+verb, "id", msg.tok.ID, "actor", m.cfg.Actor)
	return m.reload()
}

// onDeleted finishes a delete: the row is already off the table; if the
// store refused, the reload brings it back, selected.
func (m *Model) onDeleted(msg deletedMsg) tea.Cmd {
	if msg.err != nil && !errors.Is(msg.err, storage.ErrNotFound) {
		delete(m.gone, msg.id)
		m.list.selID = msg.id
		m.setError(msg.err)
		return m.reload()
	}
	m.gone[msg.id] = deleteDone
	m.setNamed("Deleted ", msg.name, "")
	m.cfg.Logger.Info("token deleted", "id", msg.id, "actor", m.cfg.Actor)
	return m.reload()
}

// watched is the token the screen on top (or under the help) shows: a
// panel, the delete question, an edit form.
func (m *Model) watched() (model.Token, bool) {
	s := m.state
	if s == screenHelp {
		s = m.back
	}
	switch s {
	case screenCreated, screenSetup, screenDetail, screenDelete:
		return m.target, m.target.ID != 0
	case screenForm, screenDiscard:
		if m.form != nil && m.form.editing() {
			return m.form.orig, true
		}
	}
	return model.Token{}, false
}

// refreshTarget keeps the token a screen shows up to date after load seq.
// When a load made after the screen opened no longer holds it, another
// session deleted it: the screen says so and gives way to the table.
func (m *Model) refreshTarget(seq uint64) {
	for i := range m.list.all {
		if m.list.all[i].tok.ID == m.target.ID {
			m.target = m.list.all[i].tok
			break
		}
	}
	t, ok := m.watched()
	if !ok || seq <= m.since || m.list.has(t.ID) {
		return
	}
	m.form = nil
	m.state = screenTable
	m.setNamed("", t.Name, " was deleted elsewhere")
}

// setTarget makes t the token the screens on top are about.
func (m *Model) setTarget(t model.Token) {
	m.target, m.since = t, m.loads
}
