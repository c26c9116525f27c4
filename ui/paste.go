package ui

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/rivo/uniseg"
)

// Pasted text is data: it is cleaned to one line and inserted, never read
// as keys, so a pasted newline cannot submit a form or answer a question.

// oneLine turns pasted or typed text into one line: line breaks and tabs
// become spaces, other control characters are dropped, and the spaces a
// trailing newline leaves are trimmed.
func oneLine(s string) string {
	s = strings.TrimRight(s, "\r\n")
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			return ' '
		case unicode.IsControl(r) || isBidi(r):
			return -1
		}
		return r
	}, s)
}

// isBidi reports the bidirectional controls that reorder what is shown.
func isBidi(r rune) bool {
	return r >= 0x202A && r <= 0x202E || r >= 0x2066 && r <= 0x2069 ||
		r == 0x200E || r == 0x200F || r == 0x061C
}

// fitRunes keeps the longest prefix of s made of whole grapheme clusters
// (a flag, a skin-toned emoji, a letter with its accents) whose rune count
// is at most budget. Limits count runes, like the store's validation, but
// a character is never cut in half.
func fitRunes(s string, budget int) string {
	if utf8.RuneCountInString(s) <= budget {
		return s
	}
	n, end := 0, 0
	g := uniseg.NewGraphemes(s)
	for g.Next() {
		n += len(g.Runes())
		if n > budget {
			break
		}
		_, end = g.Positions()
	}
	return s[:end]
}

// insertText types text into in at its cursor, keeping within limit runes.
// It reports whether any of the text had to be left out.
func insertText(in *textinput.Model, text string, limit int) (tea.Cmd, bool) {
	budget := limit - utf8.RuneCountInString(in.Value())
	kept := fitRunes(text, max(0, budget))
	if kept == "" {
		return nil, text != ""
	}
	var cmd tea.Cmd
	*in, cmd = in.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(kept)})
	return cmd, kept != text
}

// typedText returns the text a key message would insert: the runes of a
// typed character or a paste (cleaned to one line), or "" for keys that
// edit or move.
func typedText(msg tea.KeyMsg) (string, bool) {
	switch msg.Type {
	case tea.KeyRunes:
		if msg.Alt {
			return "", false
		}
		return oneLine(string(msg.Runes)), true
	case tea.KeySpace:
		return " ", true
	}
	return "", false
}
