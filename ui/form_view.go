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

// viewForm draws the token form within h lines, scrolled as Update left
// it.
func (m *Model) viewForm(h int) []string {
	if m.form == nil {
		return nil
	}
	lines, focus := m.formLayout(h)
	out, _ := window(lines, h, m.form.top, focus)
	return out
}

// formLayout is every line of the form laid out for a body of h lines,
// and which line holds the focus.
func (m *Model) formLayout(h int) ([]string, int) {
	f := m.form
	var l formLines
	m.formHead(&l)
	m.formName(&l)
	m.formQuota(&l)
	rest := h - len(l.lines) - 3 - len(m.fieldError(f.errs[fieldModels]))
	m.formModels(&l, max(3, rest))
	return l.lines, l.focus
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
	l.add(m.label("Name", f.focus == fieldName), "    "+m.inputView(&f.name, m.width-4))
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
			"    $ "+m.inputView(&f.quota, m.width-6))
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
		l.add("    " + m.inputView(&f.picker.query, m.width-4))
	}
	items, cur := f.picker.viewList(m.st, listH, m.width, focused)
	if focused {
		l.focus = len(l.lines) + cur
	}
	l.add(items...)
	l.add(m.fieldError(f.errs[fieldModels])...)
	l.add(m.fieldError(f.picker.err)...)
}
