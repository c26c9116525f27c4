package ui

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/atotto/clipboard"
	"github.com/aymanbagabas/go-osc52/v2"
	tea "github.com/charmbracelet/bubbletea"
)

// clipboardTimeout bounds the system clipboard tool, which can hang (an
// X11 tool with no display, for one).
const clipboardTimeout = 2 * time.Second

// errClipboardTimeout says the clipboard tool did not finish in time.
var errClipboardTimeout = errors.New("the clipboard tool did not answer in time")

// copier copies text to the system clipboard and, with OSC 52, to the
// terminal's clipboard. It holds copies of what it needs from the Config.
type copier struct {
	system bool
	out    io.Writer
	env    []string
	write  func(string) error // the system clipboard; nil means atotto
	wait   time.Duration      // how long to wait for it; 0 means clipboardTimeout
}

func (m *Model) newCopier() copier {
	return copier{system: m.cfg.SystemClipboard, out: m.cfg.Output,
		env: m.cfg.Environ}
}

// copyText copies text in a command; what and name say in the footer
// what was copied ("the key of" 'ci-runner').
func (m *Model) copyText(text, what, name string) tea.Cmd {
	c := m.newCopier()
	return func() tea.Msg {
		msg := c.copy(text, what)
		msg.name = name
		return msg
	}
}

func (c copier) copy(text, what string) copiedMsg {
	msg := copiedMsg{what: what, tmux: getenv(c.env, "TMUX") != ""}
	if c.system {
		msg.systemOn = true
		msg.systemErr = c.systemCopy(text)
	}
	if c.out != nil && getenv(c.env, "TERM") != "dumb" {
		msg.oscOn = true
		msg.oscErr = c.osc52(text)
	}
	return msg
}

// systemCopy runs the clipboard tool, giving up after clipboardTimeout; a
// tool that hangs is left behind rather than hanging the console.
func (c copier) systemCopy(text string) error {
	write := c.write
	if write == nil {
		write = clipboard.WriteAll
	}
	done := make(chan error, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				done <- fmt.Errorf("the clipboard tool failed: %v", r)
			}
		}()
		done <- write(text)
	}()
	wait := c.wait
	if wait <= 0 {
		wait = clipboardTimeout
	}
	select {
	case err := <-done:
		return err
	case <-time.After(wait):
		return errClipboardTimeout
	}
}

// osc52 writes the text as an OSC 52 sequence. Inside tmux it goes as is:
// tmux passes a plain OSC 52 on to the outer terminal (and keeps it as a
// paste buffer) when its set-clipboard option is on, while a passthrough
// wrapping would also need allow-passthrough, which is off by default
// (both seen with tmux 3.3a). GNU screen drops a plain OSC 52 and passes a
// DCS-wrapped one on (seen with screen 4.9.0), so it is wrapped there.
func (c copier) osc52(text string) error {
	seq := osc52.New(text)
	if getenv(c.env, "TMUX") == "" && getenv(c.env, "STY") != "" {
		seq = seq.Screen()
	}
	if _, err := seq.WriteTo(c.out); err != nil {
		return fmt.Errorf("write OSC 52: %w", err)
	}
	return nil
}

// getenv looks name up in a KEY=value list.
func getenv(env []string, name string) string {
	for i := len(env) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(env[i], "="); ok && k == name {
			return v
		}
	}
	return ""
}

// onCopied says in the footer where the text went, by outcome: "Copied"
// only when the system clipboard took it; "Sent ... to the terminal"
// when only OSC 52 went out, which may or may not have reached a
// clipboard; an error when neither worked. It says what did not work and
// how to fix that. The outcome is never cut for a long name: the name is.
func (m *Model) onCopied(msg copiedMsg) {
	name := printable(msg.name)
	switch {
	case msg.systemOn && msg.systemErr == nil:
		m.status = statusLine{before: "Copied " + msg.what + " ", name: name,
			after: ": " + copyParts(msg, false), short: ": " + copyParts(msg, true)}
	case msg.oscOn && msg.oscErr == nil:
		m.status = statusLine{before: "Sent " + msg.what + " ", name: name,
			after: " to the terminal (" + oscNote(msg.tmux, false) + ")" +
				systemNote(msg, false),
			short: " via OSC 52" + oscNote(msg.tmux, true) + systemNote(msg, true)}
	default:
		m.status = statusLine{before: "could not copy " + msg.what + " ",
			name: name, isErr: true,
			after: ": " + copyParts(msg, false) + "; r reveals the key to copy by hand",
			short: ": " + copyParts(msg, true) + "; r reveals the key"}
	}
}

// oscNote says what an OSC 52 sequence needs to reach a clipboard: the
// terminal's consent, or tmux's set-clipboard option.
func oscNote(tmux, short bool) string {
	switch {
	case tmux && short:
		return " (tmux: set-clipboard on)"
	case tmux:
		return "OSC 52; in tmux set -g set-clipboard on"
	case short:
		return ""
	}
	return "OSC 52; the terminal must allow clipboard writes"
}

// systemNote says why the system clipboard took nothing, when it was
// tried; over SSH it is off by design and goes unmentioned.
func systemNote(msg copiedMsg, short bool) string {
	if !msg.systemOn || msg.systemErr == nil {
		return ""
	}
	return "; " + systemFailure(msg.systemErr, short)
}

// copyParts says what each way of copying did, in words; short says it
// in fewer.
func copyParts(msg copiedMsg, short bool) string {
	say := func(long, brief string) string {
		if short {
			return brief
		}
		return long
	}
	var parts []string
	switch {
	case msg.systemOn && msg.systemErr == nil:
		parts = append(parts, say("in the system clipboard", "system clipboard"))
	case msg.systemOn:
		parts = append(parts, systemFailure(msg.systemErr, short))
	}
	switch {
	case msg.oscOn && msg.oscErr == nil && msg.tmux:
		parts = append(parts, say("sent to the terminal (OSC 52; in tmux "+
			"set -g set-clipboard on)", "sent via OSC 52 (tmux: set-clipboard on)"))
	case msg.oscOn && msg.oscErr == nil:
		parts = append(parts, say("sent to the terminal (OSC 52)", "sent via OSC 52"))
	case msg.oscOn:
		parts = append(parts, "OSC 52 failed: "+firstLine(msg.oscErr.Error()))
	case !msg.systemOn:
		parts = append(parts, say("no clipboard here (no system clipboard over SSH, "+
			"and the terminal takes no OSC 52)", "no clipboard here"))
	}
	return strings.Join(parts, "; ")
}

// systemFailure says why the system clipboard took nothing.
func systemFailure(err error, short bool) string {
	switch {
	case errors.Is(err, errClipboardTimeout) && short:
		return "system clipboard timed out"
	case errors.Is(err, errClipboardTimeout):
		return "the system clipboard did not answer in time"
	case strings.Contains(err.Error(), "No clipboard utilities") && short:
		return "no xclip, xsel or wl-clipboard"
	case strings.Contains(err.Error(), "No clipboard utilities"):
		return "no system clipboard (install xclip, xsel or wl-clipboard)"
	}
	return "system clipboard: " + firstLine(err.Error())
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}
