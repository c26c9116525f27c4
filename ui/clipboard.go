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

// copyText copies text in a command; what names it in the footer.
func (m *Model) copyText(text, what string) tea.Cmd {
	c := m.newCopier()
	return func() tea.Msg { return c.copy(text, what) }
}

func (c copier) copy(text, what string) copiedMsg {
	msg := copiedMsg{what: what}
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

// osc52 writes the text as an OSC 52 sequence, wrapped for tmux or GNU
// screen when the terminal runs inside one.
func (c copier) osc52(text string) error {
	seq := osc52.New(text)
	switch {
	case getenv(c.env, "TMUX") != "":
		seq = seq.Tmux()
	case getenv(c.env, "STY") != "":
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

// onCopied says in the footer which way of copying worked.
func (m *Model) onCopied(msg copiedMsg) {
	sysOK := msg.systemOn && msg.systemErr == nil
	oscOK := msg.oscOn && msg.oscErr == nil
	what := printable(msg.what)
	switch {
	case sysOK && oscOK:
		m.setStatus("Copied " + what + " to the clipboard (system and OSC 52)")
	case sysOK:
		m.setStatus("Copied " + what + " to the system clipboard")
	case oscOK:
		m.setStatus("Sent " + what + " to the terminal's clipboard (OSC 52)")
	default:
		m.status = statusLine{isErr: true, text: copyFailure(msg)}
	}
}

// copyFailure says plainly that nothing was copied, and how to fix that.
func copyFailure(msg copiedMsg) string {
	why := "no way to copy here"
	if msg.systemErr != nil {
		why = "system clipboard: " + firstLine(msg.systemErr.Error())
	}
	if msg.oscErr != nil {
		why += "; OSC 52: " + firstLine(msg.oscErr.Error())
	}
	return "could not copy (" + why + "). Install xclip, xsel or wl-clipboard, " +
		"or use a terminal with OSC 52 (tmux: set -g set-clipboard on); " +
		"r reveals the key to copy by hand"
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}
