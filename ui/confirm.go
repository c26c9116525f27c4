package ui

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"keyward/model"
)

// tailWindow is how long after a question was answered with "y" or "n"
// the rest of the word ("es", "o") and an Enter are taken as part of the
// answer rather than as commands.
const tailWindow = 500 * time.Millisecond

// answerTail is what is left of the word that answered a question.
type answerTail struct {
	rest string // the letters still expected, lower case
	on   bool   // an Enter or the letters in rest are still swallowed
	at   time.Time
}

// swallow reports whether km finishes the answer's word (or is the
// Enter after it) and so must not act on the screen below.
func (t *answerTail) swallow(km tea.KeyMsg, now time.Time) bool {
	if !t.on {
		return false
	}
	if km.Paste || now.Sub(t.at) > tailWindow {
		t.on = false
		return false
	}
	switch km.Type {
	case tea.KeyEnter:
		t.on = false
		return true
	case tea.KeyRunes:
		s := strings.ToLower(string(km.Runes))
		if t.rest != "" && strings.HasPrefix(t.rest, s) {
			t.rest = t.rest[len(s):]
			return true
		}
	}
	t.on = false
	return false
}

// answer reads a yes/no key: y or "yes" is yes; n, "no", Enter and Esc
// are no. Pasted text answers nothing; other keys, and other words typed
// in one read, are ignored.
func (m *Model) answer(msg tea.Msg) (yes, done bool) {
	km, ok := msg.(tea.KeyMsg)
	if !ok || km.Paste {
		return false, false
	}
	word := ""
	if km.Type == tea.KeyRunes {
		word = strings.ToLower(string(km.Runes))
	}
	switch {
	case len(km.Runes) > 1 && km.Type == tea.KeyRunes:
		if word != "yes" && word != "no" {
			return false, false
		}
		yes = word == "yes"
	case key.Matches(km, m.keys.confirm.Yes):
		yes = true
	case key.Matches(km, m.keys.confirm.No):
	default:
		return false, false
	}
	m.tail = answerTail{at: m.cfg.Now(), on: word != ""}
	switch word {
	case "y":
		m.tail.rest = "es"
	case "n":
		m.tail.rest = "o"
	}
	return yes, true
}

// question draws a yes/no question above what it is about.
func (m *Model) question(text string, below []string) []string {
	lines := []string{""}
	for _, l := range wrap(text, m.width-2) {
		lines = append(lines, "  "+m.st.Warn.Render(l))
	}
	lines = append(lines, "  "+m.st.Label.Render("y")+" yes   "+
		m.st.Label.Render("n")+" no (default)", "")
	return append(lines, below...)
}

// askDelete asks whether to delete t.
func (m *Model) askDelete(t model.Token) {
	m.setTarget(t)
	m.open(screenDelete)
}

func (m *Model) deleteQuestion() string {
	return fmt.Sprintf("Delete '%s'? This cannot be undone.",
		truncate(printable(m.target.Name), max(8, m.width/2)))
}

// updateDelete answers the delete question. Yes takes the row off the
// table at once, so that no key can act on the token any more; it comes
// back if the store refuses.
func (m *Model) updateDelete(msg tea.Msg) tea.Cmd {
	yes, done := m.answer(msg)
	if !done {
		return nil
	}
	m.state = screenTable
	t := m.target
	if !yes {
		m.setNamed("Kept ", t.Name, "")
		return nil
	}
	m.gone[t.ID] = deletePending
	m.dropRow(t.ID)
	m.setNamed("Deleting ", t.Name, "…")
	return tea.Batch(deleteCmd(m.cfg.Store, m.cfg.Actor, t.ID, t.Name), m.refilterBig())
}

// deleteHead is the question's lines above the table.
func (m *Model) deleteHead() []string { return m.question(m.deleteQuestion(), nil) }

func (m *Model) viewDelete(h int) []string {
	return m.question(m.deleteQuestion(), m.viewTable(m.tableHeight(h)))
}

// askDiscard asks whether to drop what was typed in the form.
func (m *Model) askDiscard() {
	m.open(screenDiscard)
}

func (m *Model) updateDiscard(msg tea.Msg) tea.Cmd {
	yes, done := m.answer(msg)
	if !done {
		return nil
	}
	if !yes {
		m.state = screenForm
		return nil
	}
	m.form = nil
	m.state = screenTable
	m.setStatus("Discarded the changes")
	return nil
}

const discardQuestion = "Discard what you typed?"

func (m *Model) viewDiscard(h int) []string {
	return m.question(discardQuestion, m.viewForm(m.formHeight(h)))
}
