package ui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"keyward/model"
)

// pickItem is one line of the model multi-select: a model name, or the
// offer to add the typed name.
type pickItem struct {
	name string
	add  bool
}

// modelPicker is the multi-select over the model catalog: typing filters,
// space ticks, and a typed name that is not listed can be added.
type modelPicker struct {
	names  []string // catalog names, then names added here, in order
	known  map[string]bool
	ticked map[string]bool
	added  []string // names not in the catalog, to add to it on save
	query  textinput.Model
	items  []pickItem
	cursor int
	err    string
}

func newPicker(st styles, catalog []model.CatalogModel, chosen []string) modelPicker {
	p := modelPicker{known: map[string]bool{}, ticked: map[string]bool{}}
	for _, c := range catalog {
		p.addName(c.Name)
	}
	for _, n := range chosen {
		p.addName(n)
		p.ticked[n] = true
	}
	p.query = newInput(st, "type to filter or add", model.MaxModelLen)
	p.query.Prompt = "Find: "
	p.refresh()
	return p
}

func (p *modelPicker) addName(n string) {
	if !p.known[n] {
		p.known[n] = true
		p.names = append(p.names, n)
	}
}

// refresh lists the names matching the typed text, then offers to add the
// text itself when no name equals it.
func (p *modelPicker) refresh() {
	q := strings.TrimSpace(p.query.Value())
	lq := strings.ToLower(q)
	p.items = p.items[:0]
	for _, n := range p.names {
		if strings.Contains(strings.ToLower(n), lq) {
			p.items = append(p.items, pickItem{name: n})
		}
	}
	if q != "" && !p.known[q] {
		p.items = append(p.items, pickItem{name: q, add: true})
	}
	p.cursor = max(0, min(p.cursor, len(p.items)-1))
}

// bestMatch puts the cursor on the name equal to the typed text, else on
// the first row: after the text changes, the old position means nothing.
func (p *modelPicker) bestMatch() {
	q := strings.TrimSpace(p.query.Value())
	p.cursor = 0
	for i, it := range p.items {
		if !it.add && it.name == q {
			p.cursor = i
			return
		}
	}
	for i, it := range p.items {
		if !it.add && strings.EqualFold(it.name, q) {
			p.cursor = i
			return
		}
	}
}

// offersAdd reports whether the typed text is a model name not listed,
// which Enter then adds.
func (p *modelPicker) offersAdd() bool {
	q := strings.TrimSpace(p.query.Value())
	return q != "" && !p.known[q]
}

// addTyped adds the typed name, ticked, as the "[+] add" row would.
func (p *modelPicker) addTyped() {
	for i, it := range p.items {
		if it.add {
			p.cursor = i
			p.toggle()
			return
		}
	}
}

// chosen returns the ticked names in list order; none means all models.
func (p *modelPicker) chosen() []string {
	var out []string
	for _, n := range p.names {
		if p.ticked[n] {
			out = append(out, n)
		}
	}
	return out
}

// toggle ticks or unticks the item under the cursor, adding a new name
// first when that is the item.
func (p *modelPicker) toggle() {
	p.err = ""
	if p.cursor >= len(p.items) {
		return
	}
	it := p.items[p.cursor]
	if !it.add {
		p.ticked[it.name] = !p.ticked[it.name]
		return
	}
	name, err := model.CleanModel(it.name)
	if err != nil {
		p.err = err.Error()
		return
	}
	p.addName(name)
	p.added = append(p.added, name)
	p.ticked[name] = true
	p.query.SetValue("")
	p.refresh()
	p.cursor = len(p.items) - 1
}

func (p *modelPicker) move(d int) {
	p.cursor = max(0, min(p.cursor+d, len(p.items)-1))
}

// update edits the typed text; pasted text goes there too, as data. When
// the text changes, the cursor goes to the best match.
func (p *modelPicker) update(msg tea.KeyMsg) tea.Cmd {
	p.err = ""
	before := p.query.Value()
	var cmd tea.Cmd
	if text, ok := typedText(msg); ok {
		var cut bool
		cmd, cut = insertText(&p.query, strings.TrimSpace(text), model.MaxModelLen)
		if cut {
			p.err = fmt.Sprintf("model: the most is %d characters", model.MaxModelLen)
		}
	} else {
		p.query, cmd = p.query.Update(msg)
	}
	p.refresh()
	if p.query.Value() != before {
		p.bestMatch()
	}
	return cmd
}

// summary is the allowlist in words.
func (p *modelPicker) summary() string {
	c := p.chosen()
	switch len(c) {
	case 0:
		return model.AllModelsLabel
	case 1:
		return "1 ticked: " + c[0]
	}
	return fmt.Sprintf("%d ticked: %s", len(c), strings.Join(c, ", "))
}

// viewList draws up to h items; it returns the lines and which line holds
// the cursor.
func (p *modelPicker) viewList(st styles, h, w int, focused bool) ([]string, int) {
	if len(p.items) == 0 {
		return []string{st.Faint.Render("    (the catalog is empty: type a model name)")}, 0
	}
	top := max(0, min(p.cursor-h+1, len(p.items)-h))
	top = max(0, min(top, p.cursor))
	end := min(len(p.items), top+max(1, h))
	lines := make([]string, 0, end-top)
	for i := top; i < end; i++ {
		lines = append(lines, p.itemLine(st, i, focused && i == p.cursor, w))
	}
	return lines, p.cursor - top
}

func (p *modelPicker) itemLine(st styles, i int, cur bool, w int) string {
	it := p.items[i]
	box := "[ ] "
	if p.ticked[it.name] {
		box = "[x] "
	}
	text := box + truncate(printable(it.name), w-10)
	if it.add {
		text = `[+] add "` + truncate(printable(it.name), w-30) + `" (space or enter)`
	}
	if cur {
		return st.Selected.Render("  " + selMarker + text)
	}
	return "    " + text
}
