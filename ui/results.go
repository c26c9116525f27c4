package ui

import (
	"errors"
	"fmt"

	tea "github.com/charmbracelet/bubbletea"

	"keyward/storage"
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

// reload lists the tokens again, or marks that it must once the load in
// flight is done.
func (m *Model) reload() tea.Cmd {
	if m.loading {
		m.again = true
		return nil
	}
	m.loading = true
	return loadTokensCmd(m.cfg.Store, m.query)
}

// onTokensLoaded installs a fresh list, keeping the selection by ID and
// the filter.
func (m *Model) onTokensLoaded(msg tokensLoadedMsg) tea.Cmd {
	m.loading = false
	var cmds []tea.Cmd
	if msg.err != nil {
		m.setError(msg.err)
	} else {
		m.loaded = true
		m.list.replace(msg.rows, msg.view)
		m.afterMove()
		m.refreshTarget()
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

func (m *Model) onEnabled(msg enabledMsg) tea.Cmd {
	if msg.err != nil {
		m.setError(msg.err)
		return nil
	}
	verb := "Disabled"
	if msg.tok.Enabled {
		verb = "Enabled"
	}
	m.setStatus(fmt.Sprintf("%s '%s'", verb, printable(msg.tok.Name)))
	m.cfg.Logger.Info("token "+verb, "id", msg.tok.ID, "actor", m.cfg.Actor)
	return m.reload()
}

func (m *Model) onDeleted(msg deletedMsg) tea.Cmd {
	if msg.err != nil && !errors.Is(msg.err, storage.ErrNotFound) {
		m.setError(msg.err)
		return m.reload()
	}
	m.setStatus(fmt.Sprintf("Deleted '%s'", printable(msg.name)))
	m.cfg.Logger.Info("token deleted", "id", msg.id, "actor", m.cfg.Actor)
	return m.reload()
}
