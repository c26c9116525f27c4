package ui

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"keyward/model"
)

// catalogState is the model catalog screen: a list, a line to add names,
// and the name a question is about.
type catalogState struct {
	cursor int
	top    int
	add    textinput.Model
	err    string
	target string
}

// addLimit caps the add line: several names, separated by spaces.
const addLimit = 1024

func (m *Model) openCatalog() tea.Cmd {
	m.reveal = 0
	m.open(screenCatalog)
	m.cat.err = ""
	return loadCatalogCmd(m.cfg.Store)
}

func (m *Model) onCatalogLoaded(msg catalogLoadedMsg) {
	if msg.err != nil {
		m.setError(msg.err)
		return
	}
	m.catalog = msg.models
	m.cat.cursor = max(0, min(m.cat.cursor, len(m.catalog)-1))
	if m.form != nil {
		for _, c := range msg.models {
			m.form.picker.addName(c.Name)
		}
		m.form.picker.refresh()
	}
}

func (m *Model) onCatalogChanged(msg catalogChangedMsg) tea.Cmd {
	if msg.err != nil {
		m.setError(msg.err)
	} else {
		m.setNamed(msg.before, msg.name, msg.after)
		m.cfg.Logger.Info("catalog changed", "what", msg.before+msg.name+msg.after,
			"actor", m.cfg.Actor)
	}
	return loadCatalogCmd(m.cfg.Store)
}

// selectedModel is the catalog entry under the cursor.
func (m *Model) selectedModel() (model.CatalogModel, bool) {
	if m.cat.cursor < 0 || m.cat.cursor >= len(m.catalog) {
		return model.CatalogModel{}, false
	}
	return m.catalog[m.cat.cursor], true
}

func (m *Model) updateCatalog(msg tea.Msg) tea.Cmd {
	km, ok := msg.(tea.KeyMsg)
	if !ok || km.Paste {
		return nil
	}
	k := &m.keys.catalog
	m.syncCatalogKeys()
	cm, _ := m.selectedModel()
	switch {
	case m.catalogMove(km, k):
	case key.Matches(km, k.Add):
		return m.startCatalogAdd()
	case key.Matches(km, k.Remove):
		m.cat.target = cm.Name
		m.open(screenCatalogRemove)
	case key.Matches(km, k.Price):
		return m.openPrice(cm)
	case key.Matches(km, k.ClearPrice):
		return setPriceCmd(m.cfg.Store, m.cfg.Actor, cm.Name, nil)
	case key.Matches(km, k.Back):
		m.state = screenTable
	case key.Matches(km, k.Help):
		m.openHelp()
	case key.Matches(km, k.Quit):
		return m.quit()
	}
	return nil
}

// catalogMove moves the catalog cursor; it reports whether km was a
// movement key.
func (m *Model) catalogMove(km tea.KeyMsg, k *catalogKeys) bool {
	to := m.cat.cursor
	switch {
	case key.Matches(km, k.Up):
		to--
	case key.Matches(km, k.Down):
		to++
	case key.Matches(km, k.Home):
		to = 0
	case key.Matches(km, k.End):
		to = len(m.catalog) - 1
	default:
		return false
	}
	m.cat.cursor = max(0, min(to, len(m.catalog)-1))
	return true
}

func (m *Model) syncCatalogKeys() {
	k := &m.keys.catalog
	cm, ok := m.selectedModel()
	for _, b := range []*key.Binding{&k.Up, &k.Down, &k.Home, &k.End, &k.Remove,
		&k.Price} {
		b.SetEnabled(ok)
	}
	k.ClearPrice.SetEnabled(ok && cm.Price != nil)
}

func (m *Model) startCatalogAdd() tea.Cmd {
	m.cat.add = newInput(m.st, "model names, separated by spaces", addLimit)
	m.cat.add.Prompt = "Add: "
	m.cat.err = ""
	m.open(screenCatalogAdd)
	return m.cat.add.Focus()
}

// updateCatalogAdd edits the add line; Enter adds every name on it.
func (m *Model) updateCatalogAdd(msg tea.Msg) tea.Cmd {
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		return nil
	}
	k := m.keys.input
	switch {
	case km.Paste:
		cmd, _ := insertText(&m.cat.add, oneLine(string(km.Runes)), addLimit)
		return cmd
	case key.Matches(km, k.Cancel):
		m.state = screenCatalog
		return nil
	case key.Matches(km, k.Enter), key.Matches(km, k.Save):
		return m.addCatalogNames()
	}
	cmd, _ := editInput(&m.cat.add, km, addLimit)
	m.cat.err = ""
	return cmd
}

func (m *Model) addCatalogNames() tea.Cmd {
	names := strings.FieldsFunc(m.cat.add.Value(), func(r rune) bool {
		return r == ' ' || r == ','
	})
	if len(names) == 0 {
		m.cat.err = model.FieldModel + ": type at least one model name"
		return nil
	}
	clean, err := model.CleanModels(names)
	if err != nil {
		m.cat.err = err.Error()
		return nil
	}
	m.state = screenCatalog
	return addModelsCmd(m.cfg.Store, m.cfg.Actor, clean)
}

func (m *Model) updateCatalogRemove(msg tea.Msg) tea.Cmd {
	yes, done := m.answer(msg)
	if !done {
		return nil
	}
	m.state = screenCatalog
	if !yes {
		return nil
	}
	return removeModelCmd(m.cfg.Store, m.cfg.Actor, m.cat.target)
}

// priceText shows a per-million amount exactly.
func priceText(amount model.Money) string { return "$" + amount.Input() }

// priceTexts are the catalog's three price columns: "—" when no price
// is set, and "= input" for a cached-input price that follows the input
// price.
func priceTexts(p *model.Price) []string {
	if p == nil {
		return []string{"—", "—", "—"}
	}
	cached := "= input"
	if p.CachedInput != nil {
		cached = priceText(*p.CachedInput)
	}
	return []string{priceText(p.Input), priceText(p.Output), cached}
}

// catalogHead is what the catalog screen shows above its table.
func (m *Model) catalogHead() []string {
	title := m.st.Title.Render("Model catalog") + m.st.Faint.Render(
		"  prices in dollars per million tokens")
	lines := []string{title}
	switch m.state {
	case screenCatalogAdd:
		lines = append(lines, m.inputView(&m.cat.add, m.width))
		lines = append(lines, m.fieldError(m.cat.err)...)
	case screenCatalogRemove:
		lines = append(lines, m.question("Remove '"+truncate(printable(m.cat.target),
			max(8, m.width/2))+"' from the catalog? Allowlists that name it keep it.",
			nil)...)
	}
	return lines
}

func (m *Model) viewCatalog(h int) []string {
	head := m.catalogHead()
	return append(head, m.catalogTable(h-len(head))...)
}

// catalogRows is how many models the catalog shows in a body of h lines.
func (m *Model) catalogRows(h int) int {
	return max(1, h-len(m.catalogHead())-1)
}

// catalogPriceW is the width of a price column when there is room.
const catalogPriceW = 10

// catalogMinNameW is the least room a model name keeps: the price
// columns narrow, then go (Cached first, then Output, then Input), before
// the name is cut shorter.
const catalogMinNameW = 18

// catalogCols is the catalog's column widths and how many price columns
// (Input, Output, Cached, in that order) are shown.
type catalogCols struct {
	name, price, prices int
}

// catalogLayout shares the width among the name and the price columns.
func (m *Model) catalogLayout() catalogCols {
	room := m.width - markerW
	c := catalogCols{price: catalogPriceW, prices: 3}
	if room-3*(c.price+1) < catalogMinNameW {
		c.price = m.widestPrice()
	}
	for c.prices > 0 && room-c.prices*(c.price+1) < catalogMinNameW {
		c.prices--
	}
	c.name = max(1, min(48, room-c.prices*(c.price+1)))
	return c
}

// widestPrice is the width the price columns need: their heads and every
// price shown, at most catalogPriceW.
func (m *Model) widestPrice() int {
	w := len("Output")
	for _, c := range m.catalog {
		for _, p := range priceTexts(c.Price) {
			w = max(w, safeCells(p))
		}
	}
	return min(w, catalogPriceW)
}

// catalogRow lays out a name and the prices that fit after the row
// marker.
func catalogRow(c catalogCols, name string, prices []string) string {
	cols := []string{fit(name, c.name)}
	widths := []int{c.name}
	for _, p := range prices[:c.prices] {
		cols = append(cols, fitRight(p, c.price))
		widths = append(widths, c.price)
	}
	return joinCols(cols, widths, 1)
}

// catalogTable draws the catalog's names and prices in h lines.
func (m *Model) catalogTable(h int) []string {
	if len(m.catalog) == 0 {
		return wrap("The catalog is empty: press a to add model names.", m.width)
	}
	cols := m.catalogLayout()
	lines := []string{m.st.ColHead.Render("  " + catalogRow(cols, "Model",
		[]string{"Input", "Output", "Cached"}))}
	n := max(1, h-1)
	top := windowTop(len(m.catalog), n, m.cat.top, m.cat.cursor)
	for i := top; i < min(len(m.catalog), top+n); i++ {
		c := m.catalog[i]
		text := catalogRow(cols, printable(c.Name), priceTexts(c.Price))
		if i == m.cat.cursor && m.state == screenCatalog {
			lines = append(lines, m.st.Selected.Render(selMarker+text))
			continue
		}
		lines = append(lines, "  "+text)
	}
	return lines
}
