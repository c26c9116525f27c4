package ui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"keyward/model"
)

// The price form's fields.
const (
	priceInput = iota
	priceOutput
	priceCached
	priceFields
)

// priceLimit caps a price field, in runes.
const priceLimit = 24

// priceForm sets a catalog model's price per million tokens.
type priceForm struct {
	name   string
	inputs [priceFields]textinput.Model
	errs   [priceFields]string
	focus  int
}

func priceLabel(i int) string {
	switch i {
	case priceInput:
		return "Input $ per million tokens"
	case priceOutput:
		return "Output $ per million tokens"
	}
	return "Cached input $ per million (empty: same as input)"
}

func (m *Model) openPrice(cm model.CatalogModel) tea.Cmd {
	p := &priceForm{name: cm.Name}
	for i := range p.inputs {
		p.inputs[i] = newInput(m.st, "such as 2.50", priceLimit)
	}
	if cm.Price != nil {
		p.inputs[priceInput].SetValue(cm.Price.Input.Input())
		p.inputs[priceOutput].SetValue(cm.Price.Output.Input())
		if cm.Price.CachedInput != nil {
			p.inputs[priceCached].SetValue(cm.Price.CachedInput.Input())
		}
	}
	m.price = p
	m.open(screenPrice)
	return p.inputs[0].Focus()
}

func (p *priceForm) setFocus(i int) tea.Cmd {
	p.focus = (i + priceFields) % priceFields
	for j := range p.inputs {
		p.inputs[j].Blur()
	}
	return p.inputs[p.focus].Focus()
}

func (m *Model) updatePrice(msg tea.Msg) tea.Cmd {
	km, ok := msg.(tea.KeyMsg)
	if !ok || m.price == nil {
		return nil
	}
	p, k := m.price, m.keys.input
	if !km.Paste {
		switch {
		case key.Matches(km, k.Cancel):
			m.state, m.price = screenCatalog, nil
			return nil
		case key.Matches(km, k.Next):
			return p.setFocus(p.focus + 1)
		case key.Matches(km, k.Prev):
			return p.setFocus(p.focus - 1)
		case key.Matches(km, k.Enter) && p.focus < priceCached:
			return p.setFocus(p.focus + 1)
		case key.Matches(km, k.Enter), key.Matches(km, k.Save):
			return m.savePrice()
		}
	}
	cmd, refused := moneyKey(&p.inputs[p.focus], km, priceLimit, "price")
	p.errs[p.focus] = refused
	if refused == "" {
		p.errs[p.focus] = p.check(p.focus)
	}
	return cmd
}

// check validates price field i: the cached price may be empty (the
// input price then applies); the others must hold an amount.
func (p *priceForm) check(i int) string {
	v := strings.TrimSpace(p.inputs[i].Value())
	if v == "" && i == priceCached {
		return ""
	}
	if _, err := model.ParseMoney(v); err != nil {
		return "price: " + err.Error()
	}
	return ""
}

// moneyKey edits an amount field. Typed text goes in as typed, so that
// what is shown is what was typed, and the caller shows why it is not an
// amount until it is one; a paste is taken only when the field then holds
// a valid amount. It returns the message for a refused paste.
func moneyKey(in *textinput.Model, km tea.KeyMsg, limit int,
	field string) (tea.Cmd, string) {
	text, ok := typedText(km)
	if !ok {
		var cmd tea.Cmd
		*in, cmd = in.Update(km)
		return cmd, ""
	}
	if km.Paste {
		text = strings.TrimSpace(text)
		r := []rune(in.Value())
		after := string(r[:in.Position()]) + text + string(r[in.Position():])
		if _, err := model.ParseMoney(after); err != nil {
			return nil, fmt.Sprintf("Refused the pasted text: %s: %v", field, err)
		}
	}
	cmd, _ := insertText(in, text, limit)
	return cmd, ""
}

// savePrice checks the three amounts and saves them.
func (m *Model) savePrice() tea.Cmd {
	p := m.price
	var vals [priceFields]model.Money
	for i := range p.inputs {
		p.errs[i] = p.check(i)
		vals[i], _ = model.ParseMoney(p.inputs[i].Value()) // checked just above
	}
	for i, e := range p.errs {
		if e != "" {
			return p.setFocus(i)
		}
	}
	price := &model.Price{Input: vals[priceInput], Output: vals[priceOutput]}
	if strings.TrimSpace(p.inputs[priceCached].Value()) != "" {
		cached := vals[priceCached]
		price.CachedInput = &cached
	}
	m.state, m.price = screenCatalog, nil
	return setPriceCmd(m.cfg.Store, m.cfg.Actor, p.name, price)
}

func (m *Model) viewPrice(h int) []string {
	p := m.price
	if p == nil {
		return nil
	}
	lines := []string{m.st.Title.Render(truncate("Price of '"+printable(p.name)+"'",
		m.width))}
	focusLine := 0
	for i := range p.inputs {
		if i == p.focus {
			focusLine = len(lines)
		}
		lines = append(lines, m.label(priceLabel(i), i == p.focus),
			"    $ "+m.inputView(&p.inputs[i], m.width-6))
		lines = append(lines, m.fieldError(p.errs[i])...)
	}
	out, _ := window(lines, h, 0, focusLine+1)
	return out
}

// syncInputKeys enables the bindings of the catalog's add line (one
// field: Enter adds) or of the price form (Enter moves on, and saves on
// the last field).
func (m *Model) syncInputKeys() {
	k := &m.keys.input
	add := m.state == screenCatalogAdd
	k.Next.SetEnabled(!add)
	k.Prev.SetEnabled(!add)
	k.Save.SetEnabled(!add)
	switch {
	case add:
		k.Enter.SetHelp("enter", "add")
	case m.price != nil && m.price.focus == priceCached:
		k.Enter.SetHelp("enter", "save")
	default:
		k.Enter.SetHelp("enter", "next field")
	}
}
