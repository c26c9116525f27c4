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
	m.sizePriceInputs()
	m.state = screenPrice
	return p.inputs[0].Focus()
}

func (m *Model) sizePriceInputs() {
	if m.price == nil {
		return
	}
	for i := range m.price.inputs {
		m.price.inputs[i].Width = max(8, m.width-8)
		m.price.inputs[i].SetCursor(m.price.inputs[i].Position())
	}
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
		case km.String() == "enter" && p.focus < priceCached:
			return p.setFocus(p.focus + 1)
		case key.Matches(km, k.Save):
			return m.savePrice()
		}
	}
	cmd, e := moneyKey(&p.inputs[p.focus], km, priceLimit, "price")
	p.errs[p.focus] = e
	return cmd
}

// moneyKey edits an amount field: typed keys must be digits, separators or
// "$"; a paste is taken only when the field then holds a valid amount. It
// returns the message to show under the field, if any.
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
	kept, refused := splitAmountChars(text)
	cmd, _ := insertText(in, kept, limit)
	if refused != "" && !km.Paste {
		return cmd, fmt.Sprintf("%s: %q is not part of an amount; type digits and "+
			"one decimal point, such as 12.50", field, refused)
	}
	return cmd, ""
}

// splitAmountChars keeps the characters an amount can hold (digits,
// separators, a dollar sign) and returns the others apart.
func splitAmountChars(text string) (kept, refused string) {
	var k, r strings.Builder
	for _, c := range text {
		if strings.ContainsRune("0123456789.,$", c) {
			k.WriteRune(c)
		} else {
			r.WriteRune(c)
		}
	}
	return k.String(), r.String()
}

// savePrice checks the three amounts and saves them.
func (m *Model) savePrice() tea.Cmd {
	p := m.price
	var vals [priceFields]model.Money
	p.errs = [priceFields]string{}
	for i := range p.inputs {
		v := strings.TrimSpace(p.inputs[i].Value())
		if v == "" && i == priceCached {
			continue
		}
		amt, err := model.ParseMoney(v)
		if err != nil {
			p.errs[i] = "price: " + err.Error()
			continue
		}
		vals[i] = amt
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
			"    $ "+p.inputs[i].View())
		lines = append(lines, m.fieldError(p.errs[i])...)
	}
	out, _ := window(lines, h, 0, focusLine+1)
	return out
}
