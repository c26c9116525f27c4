package ui

import (
	"errors"
	"fmt"
	"os"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
)

// Run runs the console full-screen on the local terminal until the user
// quits: alternate screen, mouse wheel, the system clipboard, and OSC 52
// to standard output. A crash restores the terminal and comes back as an
// error that says so.
func Run(cfg Config) (err error) {
	if cfg.Store == nil {
		return errors.New("ui.Run: no store to show; open the database first")
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("the console stopped on an internal error (%v); "+
				"what was saved before is safe; please report this", r)
		}
	}()
	cfg = localDefaults(cfg)
	m := New(cfg)
	defer m.Close()
	p := tea.NewProgram(m, tea.WithAltScreen(), tea.WithMouseCellMotion(),
		tea.WithOutput(os.Stdout), tea.WithInput(os.Stdin))
	_, err = p.Run()
	switch {
	case errors.Is(err, tea.ErrProgramPanic):
		return fmt.Errorf("the console stopped on an internal error; the details "+
			"are above; what was saved before is safe; please report this: %w", err)
	case err != nil:
		return fmt.Errorf("run the console: %w", err)
	}
	return nil
}

// localDefaults fills what the local terminal provides.
func localDefaults(cfg Config) Config {
	if cfg.Renderer == nil {
		cfg.Renderer = lipgloss.DefaultRenderer()
	}
	// Ask the terminal for its background now: once Bubble Tea reads the
	// input, the answer would arrive as keystrokes.
	cfg.Renderer.HasDarkBackground()
	if cfg.Output == nil {
		cfg.Output = os.Stdout
	}
	if cfg.Environ == nil {
		cfg.Environ = os.Environ()
	}
	cfg.SystemClipboard = true
	return cfg
}
