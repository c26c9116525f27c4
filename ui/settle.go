package ui

// settle brings what View reads up to date after every Update: which
// bindings are enabled and where each scrolled screen starts. View then
// only draws.
func (m *Model) settle() {
	m.syncKeys()
	if m.width < minWidth || m.height < minHeight {
		return
	}
	bh := m.bodyHeight()
	m.list.scroll(m.tableRows(m.tableHeight(bh)))
	if m.form != nil {
		h := m.formHeight(bh)
		lines, focus := m.formLayout(h)
		m.form.top = windowTop(len(lines), h, m.form.top, focus)
	}
	switch m.state {
	case screenCreated, screenSetup, screenDetail:
		m.panel.top = windowTop(len(m.panelLines()), bh, m.panel.top, -1)
	case screenCatalog, screenCatalogAdd, screenCatalogRemove:
		n := m.catalogRows(bh)
		m.cat.top = windowTop(len(m.catalog), n, m.cat.top, m.cat.cursor)
	case screenHelp:
		m.helpTop = windowTop(len(m.helpLines(bh)), bh, m.helpTop, -1)
	}
}

// syncKeys enables, on every key map, the bindings that apply now.
func (m *Model) syncKeys() {
	m.syncTableKeys()
	m.syncFormKeys()
	m.syncPanelKeys(m.panelScreen())
	m.syncCatalogKeys()
	m.syncInputKeys()
}

// panelScreen is the panel on top, or under the help.
func (m *Model) panelScreen() screen {
	if m.state == screenHelp {
		return m.back
	}
	return m.state
}

// tableHeight is the height the token table gets in a body of h lines:
// less under the delete question.
func (m *Model) tableHeight(h int) int {
	if m.state == screenDelete {
		return max(2, h-len(m.deleteHead()))
	}
	return h
}

// formHeight is the height the form gets in a body of h lines: less
// under the discard question.
func (m *Model) formHeight(h int) int {
	if m.state == screenDiscard {
		return max(2, h-len(m.question(discardQuestion, nil)))
	}
	return h
}
