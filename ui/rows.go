package ui

import "keyward/model"

// row is one token with its search text computed once per load.
type row struct {
	tok   model.Token
	lower string // the name folded by model.FoldName, for the filter
}

// buildRows wraps tokens for the table. It runs in a command, never in
// Update, because with many tokens lower-casing takes a while.
func buildRows(toks []model.Token) []row {
	rows := make([]row, len(toks))
	for i, t := range toks {
		rows[i] = row{tok: t, lower: model.FoldName(t.Name)}
	}
	return rows
}

// matchRows returns the indexes of the rows that match query, in order.
// Empty text matches every row.
func matchRows(rows []row, query string) []int {
	m := model.NewMatcher(query)
	if m.MatchesAll() {
		out := make([]int, len(rows))
		for i := range out {
			out[i] = i
		}
		return out
	}
	out := make([]int, 0, 64)
	for i := range rows {
		if m.MatchFolded(rows[i].lower, rows[i].tok.Key) {
			out = append(out, i)
		}
	}
	return out
}

// tokenList is the table's data: every row, the filtered view over them
// (indexes into all), and the cursor. all is replaced, never changed in
// place, so a background filter may keep reading an older slice.
type tokenList struct {
	all    []row
	view   []int
	gen    uint64 // bumped whenever all is replaced
	cursor int    // index into view
	offset int    // first view index on screen
	selID  uint64 // the selected token's ID, kept across reloads
}

// selected returns the token under the cursor.
func (l *tokenList) selected() (model.Token, bool) {
	if l.cursor < 0 || l.cursor >= len(l.view) {
		return model.Token{}, false
	}
	return l.all[l.view[l.cursor]].tok, true
}

// has reports whether token id is among the rows.
func (l *tokenList) has(id uint64) bool {
	for i := range l.all {
		if l.all[i].tok.ID == id {
			return true
		}
	}
	return false
}

// at returns the row shown at view index i.
func (l *tokenList) at(i int) *row { return &l.all[l.view[i]] }

// without returns the rows and view with the token id left out; the view
// holds indexes into all, in order.
func (l *tokenList) without(id uint64) ([]row, []int, bool) {
	at := -1
	for i := range l.all {
		if l.all[i].tok.ID == id {
			at = i
			break
		}
	}
	if at < 0 {
		return nil, nil, false
	}
	rows := make([]row, 0, len(l.all)-1)
	rows = append(append(rows, l.all[:at]...), l.all[at+1:]...)
	view := make([]int, 0, len(l.view))
	for _, v := range l.view {
		switch {
		case v < at:
			view = append(view, v)
		case v > at:
			view = append(view, v-1)
		}
	}
	return rows, view, true
}

// holds reports whether any row is one of ids.
func holds(rows []row, ids map[uint64]deleteState) bool {
	if len(ids) == 0 {
		return false
	}
	for i := range rows {
		if _, ok := ids[rows[i].tok.ID]; ok {
			return true
		}
	}
	return false
}

// replace installs new rows and their view, keeping the selection by ID.
func (l *tokenList) replace(rows []row, view []int) {
	l.all = rows
	l.gen++
	l.setView(view)
}

// setView installs a new view, keeping the selected token if it is still
// shown, else the same screen position, clamped. A view with no rows
// keeps the selected token's ID, so that it is selected again when the
// filter that hid it is cleared.
func (l *tokenList) setView(view []int) {
	l.view = view
	if len(view) == 0 {
		l.cursor, l.offset = 0, 0
		return
	}
	idx := -1
	if l.selID != 0 {
		for i, v := range view {
			if l.all[v].tok.ID == l.selID {
				idx = i
				break
			}
		}
	}
	if idx < 0 {
		idx = l.cursor
	}
	l.moveTo(idx)
}

// moveTo puts the cursor on view index i, clamped to the view.
func (l *tokenList) moveTo(i int) {
	l.cursor = max(0, min(i, len(l.view)-1))
	l.selID = 0
	if t, ok := l.selected(); ok {
		l.selID = t.ID
	}
}

// scroll keeps the cursor within the visible window of height rows.
func (l *tokenList) scroll(height int) { l.offset = l.offsetFor(height) }

// offsetFor is the first row shown in a window of height rows that holds
// the cursor, moved as little as possible from the current offset.
func (l *tokenList) offsetFor(height int) int {
	return windowTop(len(l.view), max(1, height), l.offset, l.cursor)
}
