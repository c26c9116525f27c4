package ui

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/term"
)

// ErrNoTerminal is returned by Run when its input or output is not a
// terminal: the console would fail half-way into the alternate screen, or
// run where nobody sees it.
var ErrNoTerminal = errors.New("the console needs a terminal; for scripts use " +
	"`keyward tokens list` (see keyward help)")

// Run runs the console full-screen on the local terminal until the user
// quits: alternate screen, mouse wheel, the system clipboard, and OSC 52
// to the output. A crash restores the terminal and comes back as an
// error that says so; every error comes back after the terminal is
// restored, for the caller to print.
func Run(cfg Config) (err error) {
	if cfg.Store == nil {
		return errors.New("ui.Run: no store to show; open the database first")
	}
	cfg = localDefaults(cfg)
	in, inOK := cfg.Input.(*os.File)
	out, outOK := cfg.Output.(*os.File)
	if !inOK || !outOK || !term.IsTerminal(in.Fd()) || !term.IsTerminal(out.Fd()) {
		return ErrNoTerminal
	}
	// Ask the terminal for its background now: once Bubble Tea reads the
	// input, the answer would arrive as keystrokes.
	cfg.Renderer.HasDarkBackground()
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("the console stopped on an internal error (%v); "+
				"what was saved before is safe; please report this", r)
		}
	}()
	saved, stateErr := term.GetState(in.Fd())
	m := New(cfg)
	defer m.Close()
	p := tea.NewProgram(m, tea.WithAltScreen(), tea.WithMouseCellMotion(),
		tea.WithOutput(out), tea.WithInput(in))
	_, err = p.Run()
	switch {
	case errors.Is(err, tea.ErrProgramPanic):
		return fmt.Errorf("the console stopped on an internal error; the details "+
			"are above; what was saved before is safe; please report this: %w", err)
	case errors.Is(err, tea.ErrProgramKilled):
		return fmt.Errorf("run the console: %w", err)
	case err != nil:
		// Bubble Tea returns some start-up errors without undoing what it
		// had already done to the terminal.
		if stateErr == nil {
			restoreTerminal(out, in.Fd(), saved)
		}
		return fmt.Errorf("run the console: %w", err)
	}
	return nil
}

// restoreTerminal leaves the alternate screen, mouse and paste modes,
// shows the cursor and puts the terminal's line settings back.
func restoreTerminal(out io.Writer, fd uintptr, saved *term.State) {
	// let a frame already queued be drawn first, so it lands on the
	// alternate screen that is about to go
	time.Sleep(50 * time.Millisecond)
	_, _ = io.WriteString(out, "\x1b[?1002l\x1b[?1003l\x1b[?1006l\x1b[?2004l"+
		"\x1b[?25h\x1b[?1049l")
	_ = term.Restore(fd, saved) // best effort: the terminal may be gone
}

// localDefaults fills what the local terminal provides.
func localDefaults(cfg Config) Config {
	if cfg.Renderer == nil {
		cfg.Renderer = lipgloss.DefaultRenderer()
	}
	if cfg.Output == nil {
		cfg.Output = os.Stdout
	}
	if cfg.Input == nil {
		cfg.Input = os.Stdin
	}
	if cfg.Environ == nil {
		cfg.Environ = os.Environ()
	}
	cfg.SystemClipboard = true
	return cfg
}
