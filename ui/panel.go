package ui

import (
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"keyward/keys"
	"keyward/model"
)

// panelState is the scroll position and reveal switch of the read-only
// screens: the new key, the set-up panel and the token details.
type panelState struct {
	revealed bool
	top      int
}

// openPanel shows screen s about token t.
func (m *Model) openPanel(s screen, t model.Token) {
	m.reveal = 0
	m.setTarget(t)
	m.panel = panelState{}
	m.open(s)
}

// openDetail shows t's details and loads its daily spend.
func (m *Model) openDetail(t model.Token) tea.Cmd {
	m.openPanel(screenDetail, t)
	m.spend = nil
	return spendCmd(m.cfg.Store, t.ID, m.cfg.Now())
}

// panelKey returns the key of the panel's token as shown: masked unless
// revealed.
func (m *Model) panelKey() string {
	if m.panel.revealed {
		return m.target.Key
	}
	return keys.Mask(m.target.Key)
}

func (m *Model) updatePanel(msg tea.Msg) tea.Cmd {
	km, ok := msg.(tea.KeyMsg)
	if !ok || km.Paste {
		return nil
	}
	k := &m.keys.panel
	m.syncPanelKeys(m.state)
	t := m.target
	switch {
	case key.Matches(km, k.Up), key.Matches(km, k.Down):
		m.scrollPanel(key.Matches(km, k.Down))
	case key.Matches(km, k.Copy):
		return m.copyText(t.Key, "the key of", t.Name)
	case key.Matches(km, k.CopyJSON), key.Matches(km, k.CopyEnv),
		key.Matches(km, k.CopyCurl):
		return m.copySetup(km)
	case key.Matches(km, k.Reveal):
		m.panel.revealed = !m.panel.revealed
	case key.Matches(km, k.Edit):
		return m.openEdit(t)
	case key.Matches(km, k.Setup):
		m.openPanel(screenSetup, t)
	case key.Matches(km, k.Back):
		m.state = screenTable
	case key.Matches(km, k.Help):
		m.openHelp()
	case key.Matches(km, k.Quit):
		return m.quit()
	}
	return nil
}

// scrollPanel moves the panel one line; settle keeps it in range.
func (m *Model) scrollPanel(down bool) {
	if down {
		m.panel.top++
		return
	}
	m.panel.top = max(0, m.panel.top-1)
}

// syncPanelKeys enables what applies to screen s.
func (m *Model) syncPanelKeys(s screen) {
	k := &m.keys.panel
	setup := s == screenSetup
	k.CopyJSON.SetEnabled(setup)
	k.CopyEnv.SetEnabled(setup)
	k.CopyCurl.SetEnabled(setup)
	k.Setup.SetEnabled(!setup)
	k.Reveal.SetHelp("r", "reveal")
	if m.panel.revealed {
		k.Reveal.SetHelp("r", "mask")
	}
}

// panelLines is the content of the panel on top.
func (m *Model) panelLines() []string {
	switch m.state {
	case screenCreated:
		return m.createdLines()
	case screenSetup:
		return m.setupLines()
	}
	return m.detailLines()
}

// viewPanel draws the panel on top in h lines, scrolled as Update left
// it.
func (m *Model) viewPanel(h int) []string {
	out, _ := window(m.panelLines(), h, m.panel.top, -1)
	return out
}

func (m *Model) createdLines() []string {
	t := m.target
	lines := []string{m.st.Title.Render(truncate("New key for '"+printable(t.Name)+"'",
		m.width)), "", "Its key:"}
	lines = append(lines, wrap(m.panelKey(), m.width-2)...)
	lines = append(lines, "")
	return append(lines, wrap("Press c to copy it. It stays available: "+
		"r reveals it on the table, s shows how to set up a client, e edits it.",
		m.width)...)
}
