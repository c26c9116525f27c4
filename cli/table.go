package cli

import (
	"io"
	"strings"
	"unicode"

	"github.com/charmbracelet/x/ansi"
)

// table collects rows and writes them with columns aligned in terminal
// cells, so CJK and emoji names keep the columns straight.
type table struct {
	rows [][]string
}

// add appends a row; every cell is made safe to print first.
func (t *table) add(cells ...string) {
	row := make([]string, len(cells))
	for i, c := range cells {
		row[i] = printable(c)
	}
	t.rows = append(t.rows, row)
}

// write prints the rows, separating columns by two spaces and leaving no
// trailing spaces.
func (t *table) write(w io.Writer) error {
	widths := t.widths()
	var b, line strings.Builder
	for _, row := range t.rows {
		line.Reset()
		for i, cell := range row {
			line.WriteString(cell)
			pad := widths[i] - ansi.StringWidth(cell) + 2
			line.WriteString(strings.Repeat(" ", pad))
		}
		b.WriteString(strings.TrimRight(line.String(), " ") + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// widths measures each column in terminal cells.
func (t *table) widths() []int {
	var widths []int
	for _, row := range t.rows {
		for i, cell := range row {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], ansi.StringWidth(cell))
		}
	}
	return widths
}

// printable replaces control characters and bidirectional overrides with
// U+FFFD, so that text from the store (an actor name, say) can never move
// the cursor or recolour the terminal.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) {
			return unicode.ReplacementChar
		}
		return r
	}, s)
}

// truncate shortens s to at most width cells, ending with an ellipsis.
func truncate(s string, width int) string {
	return ansi.Truncate(s, width, "…")
}
