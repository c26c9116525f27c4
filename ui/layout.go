package ui

import (
	"strings"
	"unicode"

	"github.com/charmbracelet/x/ansi"
	"github.com/mattn/go-runewidth"
)

// Widths are measured in terminal cells, never in bytes or runes, and in
// two ways at once, because terminals disagree about emoji sequences:
// lipgloss (ansi.StringWidth) counts a grapheme cluster such as "💇🏻‍♀️" as
// two cells, while wcwidth-style terminals such as tmux add up the runes
// (here four or five cells). Every piece of text placed in a line is cut to
// its budget under the wider of the two counts (safeCells), so the line
// fits under either.

const ellipsis = "…"

// Code points that join or restyle an emoji; they take no cell of their own.
const (
	zeroWidthJoiner   = 0x200D
	variationSelect16 = 0xFE0F
)

// cells is the width of s as lipgloss measures it, escape sequences
// ignored. Layout math uses it where a cursor move realigns the columns.
func cells(s string) int { return ansi.StringWidth(s) }

// runeCells is the width of r as a wcwidth-style terminal draws it on its
// own: East Asian wide characters and emoji take two cells, joiners and
// variation selectors none.
func runeCells(r rune) int {
	if r == zeroWidthJoiner || r == variationSelect16 {
		return 0
	}
	c := runewidth.Condition{StrictEmojiNeutral: true}
	return c.RuneWidth(r)
}

// widths is the width of a piece of text under both counts.
type widths struct{ lg, wc int }

func (w widths) max() int { return max(w.lg, w.wc) }

func (w widths) plus(o widths) widths { return widths{w.lg + o.lg, w.wc + o.wc} }

// fitsIn reports whether w fits in n cells under both counts.
func (w widths) fitsIn(n int) bool { return w.lg <= n && w.wc <= n }

// piece is one printable grapheme cluster or one escape sequence of a
// string.
type piece struct {
	text string
	esc  bool
	w    widths
}

// eachPiece walks s, escape sequences and grapheme clusters in order, and
// stops when fn returns false.
func eachPiece(s string, fn func(p piece) bool) {
	var state byte
	for len(s) > 0 {
		seq, lg, n, next := ansi.DecodeSequence(s, state, nil)
		state = next
		if n <= 0 {
			return
		}
		p := piece{text: seq, w: widths{lg: lg}}
		if c := seq[0]; lg == 0 && (c < 0x20 || c == 0x7f) {
			p.esc = true
		} else {
			for _, r := range seq {
				p.w.wc += runeCells(r)
			}
		}
		if !fn(p) {
			return
		}
		s = s[n:]
	}
}

// isASCII reports whether s holds only ASCII bytes.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// measure is the width of s under both counts, escape sequences ignored.
func measure(s string) widths {
	if isASCII(s) {
		n := ansi.StringWidth(s)
		return widths{n, n}
	}
	var w widths
	eachPiece(s, func(p piece) bool {
		w = w.plus(p.w)
		return true
	})
	return w
}

// safeCells is the width of s under the wider of the two counts: what s
// may take on any terminal.
func safeCells(s string) int { return measure(s).max() }

// truncate shortens s to at most w cells under both counts, ending in an
// ellipsis when cut. Escape sequences are kept, so styles still close.
func truncate(s string, w int) string {
	if w <= 0 {
		return ""
	}
	if measure(s).fitsIn(w) {
		return s
	}
	var b strings.Builder
	budget, used, cut := w-cells(ellipsis), widths{}, false
	eachPiece(s, func(p piece) bool {
		switch {
		case p.esc:
			b.WriteString(p.text)
		case cut:
		case used.plus(p.w).fitsIn(budget):
			used = used.plus(p.w)
			b.WriteString(p.text)
		default:
			cut = true
			b.WriteString(ellipsis)
		}
		return true
	})
	return b.String()
}

// truncateLeft keeps the end of plain text s within w cells, starting
// with an ellipsis when cut: for paths, whose end matters most.
func truncateLeft(s string, w int) string {
	total := measure(s)
	if total.fitsIn(w) {
		return s
	}
	if w <= 0 {
		return ""
	}
	budget, rest, end := w-cells(ellipsis), total, 0
	eachPiece(s, func(p piece) bool {
		end += len(p.text)
		rest = widths{rest.lg - p.w.lg, rest.wc - p.w.wc}
		return !rest.fitsIn(budget)
	})
	return ellipsis + s[end:]
}

// fit truncates s to w cells and pads it with spaces to at most w under
// both counts. Where the counts differ, the next column starts with a
// cursor move (see joinCols).
func fit(s string, w int) string {
	s = truncate(s, w)
	if pad := w - safeCells(s); pad > 0 {
		s += strings.Repeat(" ", pad)
	}
	return s
}

// fitRight truncates s to w cells and pads it on the left to w.
func fitRight(s string, w int) string {
	s = truncate(s, w)
	if pad := w - safeCells(s); pad > 0 {
		s = strings.Repeat(" ", pad) + s
	}
	return s
}

// firstFit returns the first candidate that fits in w cells, else the
// last one truncated.
func firstFit(w int, candidates ...string) string {
	for _, c := range candidates {
		if safeCells(c) <= w {
			return c
		}
	}
	return truncate(candidates[len(candidates)-1], w)
}

// wrap breaks plain text s into lines of at most w cells under both
// counts, at spaces where it can and anywhere when a word is longer than
// w. A line's leading spaces (indentation) are kept.
func wrap(s string, w int) []string {
	if w <= 0 {
		return nil
	}
	var out []string
	for _, line := range strings.Split(s, "\n") {
		out = append(out, wrapLine(line, w)...)
	}
	return out
}

// wrapLine wraps one line of plain text; see wrap.
func wrapLine(s string, w int) []string {
	if measure(s).fitsIn(w) {
		return []string{s}
	}
	var lines []string
	var cur strings.Builder
	var curW widths
	pending, first := "", true
	flush := func() {
		lines = append(lines, strings.TrimRight(cur.String(), " "))
		cur.Reset()
		curW = widths{}
	}
	for _, tok := range splitSpaces(s) {
		if tok[0] == ' ' {
			if first {
				cur.WriteString(tok[:min(len(tok), w-1)])
				curW = measure(cur.String())
			} else {
				pending = tok
			}
			first = false
			continue
		}
		first = false
		tw := measure(tok)
		if curW.plus(measure(pending)).plus(tw).fitsIn(w) {
			cur.WriteString(pending + tok)
			curW = curW.plus(measure(pending)).plus(tw)
			pending = ""
			continue
		}
		if strings.TrimSpace(cur.String()) != "" {
			flush()
		}
		pending = ""
		for _, chunk := range splitAt(tok, w-curW.max(), w) {
			if cur.Len() > 0 && !curW.plus(measure(chunk)).fitsIn(w) {
				flush()
			}
			cur.WriteString(chunk)
			curW = curW.plus(measure(chunk))
		}
	}
	if cur.Len() > 0 {
		flush()
	}
	return lines
}

// splitSpaces splits s into runs of spaces and runs of other text.
func splitSpaces(s string) []string {
	var out []string
	start := 0
	for i := 1; i <= len(s); i++ {
		if i == len(s) || (s[i] == ' ') != (s[start] == ' ') {
			out = append(out, s[start:i])
			start = i
		}
	}
	return out
}

// splitAt cuts s into a chunk of at most first cells and then chunks of
// at most rest cells, under both counts, never inside a character.
func splitAt(s string, first, rest int) []string {
	var out []string
	var cur strings.Builder
	var curW widths
	limit := max(1, first)
	eachPiece(s, func(p piece) bool {
		if cur.Len() > 0 && !curW.plus(p.w).fitsIn(limit) {
			out = append(out, cur.String())
			cur.Reset()
			curW, limit = widths{}, max(1, rest)
		}
		cur.WriteString(p.text)
		curW = curW.plus(p.w)
		return true
	})
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}

// clampLines makes every line at most w cells under both counts and the
// block exactly h lines, cutting or padding at the bottom.
func clampLines(lines []string, w, h int) []string {
	out := make([]string, 0, h)
	for _, l := range lines {
		if len(out) == h {
			break
		}
		out = append(out, truncate(l, w))
	}
	for len(out) < h {
		out = append(out, "")
	}
	return out
}

// window returns at most h lines of lines, starting near top but moved so
// that line focus is shown, and the top it used.
func window(lines []string, h, top, focus int) ([]string, int) {
	top = windowTop(len(lines), h, top, focus)
	return lines[top:min(len(lines), top+max(0, h))], top
}

// windowTop is where a window of h lines over n lines starts, near top
// but moved so that line focus (when not negative) is inside.
func windowTop(n, h, top, focus int) int {
	if n <= h {
		return 0
	}
	if focus >= 0 {
		top = min(top, focus)
		if focus >= top+h {
			top = focus - h + 1
		}
	}
	return max(0, min(top, n-h))
}

// printable replaces characters that could act on a terminal with U+FFFD.
// Stored names are already checked; this guards what is drawn anyway.
func printable(s string) string {
	clean := true
	for _, r := range s {
		if unicode.IsControl(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return '\uFFFD'
		}
		return r
	}, s)
}
