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
// It reports whether any of the text had to be left out. What is kept
// ends on a grapheme cluster boundary of the text as it then reads: when
// the first rune left out would have joined the character before the
// cursor (a skin tone, a joiner or a variation selector typed one rune at
// a time), that unfinished character goes too, rather than staying as a
// broken piece.
func insertText(in *textinput.Model, text string, limit int) (tea.Cmd, bool) {
	value := []rune(in.Value())
	pos := min(in.Position(), len(value))
	head, tail := string(value[:pos]), string(value[pos:])
	budget := limit - utf8.RuneCountInString(tail)
	kept := fitRunes(head+text, max(0, budget))
	if !strings.HasPrefix(kept, head) {
		in.SetValue(kept + tail)
		in.SetCursor(utf8.RuneCountInString(kept))
		return nil, true
	}
	add := kept[len(head):]
	if add == "" {
		return nil, text != ""
	}
	var cmd tea.Cmd
	*in, cmd = in.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(add)})
	return cmd, add != text
}

// editInput sends a key to in: typed or pasted text goes in through
// insertText (whole characters, within limit runes), other keys edit or
// move as the text input does. It reports whether text was left out.
func editInput(in *textinput.Model, km tea.KeyMsg, limit int) (tea.Cmd, bool) {
	if text, ok := typedText(km); ok {
		return insertText(in, text, limit)
	}
	var cmd tea.Cmd
	*in, cmd = in.Update(km)
	return cmd, false
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
