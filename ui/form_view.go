package ui

import "fmt"

// formLines collects the form's lines and remembers which one holds the
// focus, so that a short terminal can scroll to it.
type formLines struct {
	lines []string
	focus int
}

func (l *formLines) add(s ...string) { l.lines = append(l.lines, s...) }

func (l *formLines) mark() { l.focus = len(l.lines) }

// label draws a field's name, marked with ">" when it has the focus.
func (m *Model) label(text string, focused bool) string {
	if focused {
		return m.st.Focused.Render(selMarker + text)
	}
	return "  " + m.st.Label.Render(text)
}

// fieldError draws a validation message under its field, in words.
func (m *Model) fieldError(e string) []string {
	if e == "" {
		return nil
	}
	var out []string
	for _, l := range wrap("! "+e, m.width-4) {
		out = append(out, "    "+m.st.Error.Render(l))
	}
	return out
}

// viewForm draws the token form within h lines.
func (m *Model) viewForm(h int) []string {
	f := m.form
	if f == nil {
		return nil
	}
	var l formLines
	m.formHead(&l)
	m.formName(&l)
	m.formQuota(&l)
	rest := h - len(l.lines) - 3 - len(m.fieldError(f.errs[fieldModels]))
	m.formModels(&l, max(3, rest))
	out, top := window(l.lines, h, f.top, l.focus)
	f.top = top
	return out
}

func (m *Model) formHead(l *formLines) {
	f := m.form
	title := "New token"
	if f.editing() {
		title = fmt.Sprintf("Edit '%s'", printable(f.orig.Name))
	}
	if f.saving {
		title += " — saving…"
	}
	l.add(m.st.Title.Render(truncate(title, m.width)))
	if f.notice == "" {
		return
	}
	for _, s := range wrap(f.notice, m.width-2) {
		l.add("  " + m.st.Warn.Render(s))
	}
}

func (m *Model) formName(l *formLines) {
	f := m.form
	if f.focus == fieldName {
		l.mark()
	}
	l.add(m.label("Name", f.focus == fieldName), "    "+f.name.View())
	l.add(m.fieldError(f.errs[fieldName])...)
}

func (m *Model) formQuota(l *formLines) {
	f := m.form
	box := "[ ]"
	if f.unlimited {
		box = "[x]"
	}
	if f.focus == fieldUnlimited {
		l.mark()
	}
	l.add(m.label("Quota", f.focus == fieldUnlimited) + "  " + box +
		" Unlimited" + m.st.Faint.Render(" (space toggles)"))
	if !f.unlimited {
		if f.focus == fieldQuota {
			l.mark()
		}
		l.add(m.label("Quota limit in dollars", f.focus == fieldQuota),
			"    $ "+f.quota.View())
		l.add(m.fieldError(f.errs[fieldQuota])...)
	}
	if f.editing() {
		l.add(m.st.Faint.Render("  Used so far: " + f.orig.Used.Format() + " (read only)"))
	}
}

func (m *Model) formModels(l *formLines, listH int) {
	f := m.form
	focused := f.focus == fieldModels
	l.add(m.label("Models", focused) + "  " + truncate(f.picker.summary(), m.width/2))
	if focused {
		l.add("    " + f.picker.query.View())
	}
	items, cur := f.picker.viewList(m.st, listH, focused)
	if focused {
		l.focus = len(l.lines) + cur
	}
	l.add(items...)
	l.add(m.fieldError(f.errs[fieldModels])...)
	l.add(m.fieldError(f.picker.err)...)
}

// sizeInputs fits the form's text inputs to the terminal.
func (m *Model) sizeInputs() {
	if m.form == nil {
		return
	}
	for _, in := range m.form.inputs() {
		in.Width = max(4, m.width-8-len(in.Prompt))
		in.SetCursor(in.Position())
	}
}
