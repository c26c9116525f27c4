package ui

import (
	"strings"
	"unicode"

	"github.com/charmbracelet/x/ansi"
)

// Widths are measured in terminal cells (ansi.StringWidth counts grapheme
// clusters, so CJK and emoji take two cells), never in bytes or runes.

const ellipsis = "…"

// cells is the width of s in terminal cells, escape sequences ignored.
func cells(s string) int { return ansi.StringWidth(s) }

// truncate shortens s to at most w cells, ending in an ellipsis when cut.
func truncate(s string, w int) string {
	if w <= 0 {
		return ""
	}
	return ansi.Truncate(s, w, ellipsis)
}

// fit truncates s to w cells and pads it with spaces to exactly w.
func fit(s string, w int) string {
	s = truncate(s, w)
	if pad := w - cells(s); pad > 0 {
		s += strings.Repeat(" ", pad)
	}
	return s
}

// fitRight truncates s to w cells and pads it on the left to exactly w.
func fitRight(s string, w int) string {
	s = truncate(s, w)
	if pad := w - cells(s); pad > 0 {
		s = strings.Repeat(" ", pad) + s
	}
	return s
}

// firstFit returns the first candidate that fits in w cells, else the
// last one truncated.
func firstFit(w int, candidates ...string) string {
	for _, c := range candidates {
		if cells(c) <= w {
			return c
		}
	}
	return truncate(candidates[len(candidates)-1], w)
}

// wrap breaks s into lines of at most w cells, at spaces where it can and
// anywhere when a word is longer than w.
func wrap(s string, w int) []string {
	if w <= 0 {
		return nil
	}
	var out []string
	for _, line := range strings.Split(s, "\n") {
		wrapped := ansi.Wrap(line, w, "")
		out = append(out, strings.Split(wrapped, "\n")...)
	}
	return out
}

// clampLines makes every line at most w cells and the block exactly h
// lines, cutting or padding at the bottom.
func clampLines(lines []string, w, h int) []string {
	out := make([]string, 0, h)
	for _, l := range lines {
		if len(out) == h {
			break
		}
		if cells(l) > w {
			l = truncate(l, w)
		}
		out = append(out, l)
	}
	for len(out) < h {
		out = append(out, "")
	}
	return out
}

// window returns at most h lines of lines, starting near top but moved so
// that line focus is shown.
func window(lines []string, h, top, focus int) ([]string, int) {
	if len(lines) <= h {
		return lines, 0
	}
	if focus >= 0 {
		top = min(top, focus)
		if focus >= top+h {
			top = focus - h + 1
		}
	}
	top = max(0, min(top, len(lines)-h))
	return lines[top : top+h], top
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
