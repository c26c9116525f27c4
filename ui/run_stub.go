// Package ui is Keyward's console: a Bubble Tea program over a Store.
package ui

import (
	"errors"
	"io"

	"github.com/charmbracelet/lipgloss"

	"keyward/storage"
)

// Config is what the console needs from its caller.
type Config struct {
	Store    storage.Store
	Actor    string // recorded in the audit log for every change made here
	Operator string // shown in the header when not empty (SSH sessions)
	BaseURL  string // the gateway's base URL for the set-up panel
	// Renderer builds styles; nil means lipgloss.DefaultRenderer(). Each SSH
	// session passes its own.
	Renderer *lipgloss.Renderer
	// Output receives OSC 52 copy sequences: the local terminal or the SSH
	// session.
	Output io.Writer
	// SystemClipboard enables the system clipboard (false over SSH).
	SystemClipboard bool
}

// Run runs the console full-screen until the user quits. STUB.
func Run(cfg Config) error { return errors.New("ui.Run: not implemented yet") }
