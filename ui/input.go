package ui

import (
	"strings"

	"github.com/charmbracelet/bubbles/textinput"
	"github.com/rivo/uniseg"
)

// Text inputs keep their text and cursor in a bubbles textinput, which
// handles the editing keys; the console draws them itself so that they
// fit their room under both width counts (see layout.go) and show the
// cursor and the placeholder without colour too.

// cursorMark is the text cursor drawn as a character when the terminal
// shows no attributes (NO_COLOR, TERM=dumb), where reverse video is
// invisible.
const cursorMark = "▏"

// inputView draws in within w cells: its prompt, then its text around
// the cursor, or its placeholder (faint, in parentheses) when empty. It
// changes nothing.
func (m *Model) inputView(in *textinput.Model, w int) string {
	prompt := m.st.Label.Render(in.Prompt)
	room := w - safeCells(in.Prompt)
	if room < 2 {
		return truncate(prompt, w)
	}
	if in.Value() == "" {
		return prompt + m.placeholderView(in, room)
	}
	if !in.Focused() {
		return prompt + truncate(in.Value(), room)
	}
	return prompt + m.textView(in.Value(), in.Position(), room)
}

// placeholderView draws the placeholder in room cells, after the cursor
// when the input has the focus.
func (m *Model) placeholderView(in *textinput.Model, room int) string {
	text := in.Placeholder
	if !in.Focused() {
		return m.st.Faint.Render(truncate(text, room))
	}
	if m.st.ascii {
		return cursorMark + m.st.Faint.Render(truncate(text, room-1))
	}
	first, rest, _, _ := uniseg.FirstGraphemeClusterInString(text, -1)
	return m.st.Cursor.Render(first) +
		m.st.Faint.Render(truncate(rest, room-safeCells(first)))
}

// textView draws value with the cursor on rune pos, showing as much
// around the cursor as fits in room cells.
func (m *Model) textView(value string, pos, room int) string {
	gs, cur := graphemesAround(value, pos)
	under := " " // the cursor at the end stands on an empty cell
	if cur < len(gs) {
		under = gs[cur]
	}
	cursor := m.cursorCell(under, cur == len(gs))
	lo, hi := visibleRange(gs, cur, room-safeCells(cursor))
	after := ""
	if cur < len(gs) {
		after = strings.Join(gs[cur+1:hi], "")
	}
	return strings.Join(gs[lo:cur], "") + cursor + after
}

// cursorCell draws the cursor on the character under it; at the end of
// the text, on an empty cell.
func (m *Model) cursorCell(under string, atEnd bool) string {
	switch {
	case !m.st.ascii:
		return m.st.Cursor.Render(under)
	case atEnd:
		return cursorMark
	}
	return cursorMark + under
}

// graphemesAround splits value into characters and returns which one
// holds rune pos (len when pos is at the end).
func graphemesAround(value string, pos int) ([]string, int) {
	var gs []string
	cur, runes := -1, 0
	g := uniseg.NewGraphemes(value)
	for g.Next() {
		n := len(g.Runes())
		if cur < 0 && pos < runes+n {
			cur = len(gs)
		}
		gs = append(gs, g.Str())
		runes += n
	}
	if cur < 0 {
		cur = len(gs)
	}
	return gs, cur
}

// visibleRange picks the characters around index cur (which is shown
// apart) that fit in room cells: up to two thirds of the room before the
// cursor, then what follows it, then more before it.
func visibleRange(gs []string, cur, room int) (lo, hi int) {
	lo, hi = cur, min(cur+1, len(gs))
	var used widths
	grow := func(i int, limit int) bool {
		w := used.plus(measure(gs[i]))
		if !w.fitsIn(limit) {
			return false
		}
		used = w
		return true
	}
	for lo > 0 && grow(lo-1, room*2/3) {
		lo--
	}
	for hi < len(gs) && grow(hi, room) {
		hi++
	}
	for lo > 0 && grow(lo-1, room) {
		lo--
	}
	return lo, hi
}
