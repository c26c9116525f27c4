package ui

import (
	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/textinput"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

// styles holds every style the console draws with. It is built from one
// lipgloss.Renderer so that each SSH session renders with its own client's
// colour profile. Colour only ever adds to words and markers: with NO_COLOR
// or TERM=dumb the renderer drops it and nothing is lost.
type styles struct {
	Title     lipgloss.Style
	HeaderDim lipgloss.Style
	ColHead   lipgloss.Style
	Selected  lipgloss.Style
	Faint     lipgloss.Style
	Enabled   lipgloss.Style
	Disabled  lipgloss.Style
	Exhausted lipgloss.Style
	Label     lipgloss.Style
	Focused   lipgloss.Style
	Error     lipgloss.Style
	Success   lipgloss.Style
	Warn      lipgloss.Style
	Key       lipgloss.Style
	Bar       lipgloss.Style
	Plain     lipgloss.Style
	Cursor    lipgloss.Style
	Help      help.Styles
	// ascii is set when the renderer draws no colour and no attributes
	// (NO_COLOR, TERM=dumb): reverse video then shows nothing, so the text
	// cursor is drawn as a character instead.
	ascii bool
}

// newStyles builds the console's styles from r.
func newStyles(r *lipgloss.Renderer) styles {
	accent := lipgloss.AdaptiveColor{Light: "#5A3FC0", Dark: "#A78BFA"}
	dim := lipgloss.AdaptiveColor{Light: "#6B6B6B", Dark: "#9A9A9A"}
	green := lipgloss.AdaptiveColor{Light: "#1B7F3B", Dark: "#4ADE80"}
	red := lipgloss.AdaptiveColor{Light: "#B42318", Dark: "#F87171"}
	amber := lipgloss.AdaptiveColor{Light: "#9A5B00", Dark: "#FBBF24"}
	s := styles{
		Title:     r.NewStyle().Bold(true).Foreground(accent),
		HeaderDim: r.NewStyle().Foreground(dim),
		ColHead:   r.NewStyle().Bold(true).Underline(true),
		Selected:  r.NewStyle().Reverse(true).Bold(true),
		Faint:     r.NewStyle().Foreground(dim),
		Enabled:   r.NewStyle().Foreground(green),
		Disabled:  r.NewStyle().Foreground(dim),
		Exhausted: r.NewStyle().Foreground(amber),
		Label:     r.NewStyle().Bold(true),
		Focused:   r.NewStyle().Bold(true).Foreground(accent),
		Error:     r.NewStyle().Foreground(red),
		Success:   r.NewStyle().Foreground(green),
		Warn:      r.NewStyle().Foreground(amber),
		Key:       r.NewStyle().Foreground(accent),
		Bar:       r.NewStyle().Foreground(accent),
		Plain:     r.NewStyle(),
		Cursor:    r.NewStyle().Reverse(true),
		ascii:     r.ColorProfile() == termenv.Ascii,
	}
	s.Help = help.Styles{
		Ellipsis:       r.NewStyle().Foreground(dim),
		ShortKey:       r.NewStyle().Bold(true),
		ShortDesc:      r.NewStyle().Foreground(dim),
		ShortSeparator: r.NewStyle().Foreground(dim),
		FullKey:        r.NewStyle().Bold(true),
		FullDesc:       r.NewStyle().Foreground(dim),
		FullSeparator:  r.NewStyle().Foreground(dim),
	}
	return s
}

// styleInput points every style of a text input at the session's renderer
// (bubbles defaults use the process-wide one) and makes the cursor steady,
// which keeps frames still over SSH and in tests.
func (s styles) styleInput(in *textinput.Model) {
	in.PromptStyle = s.Label
	in.TextStyle = s.Plain
	in.PlaceholderStyle = s.Faint
	in.CompletionStyle = s.Faint
	in.Cursor.Style = s.Selected
	in.Cursor.TextStyle = s.Plain
}

// newHelp returns a help view drawn with the session's styles.
func (s styles) newHelp() help.Model {
	h := help.New()
	h.Styles = s.Help
	h.ShortSeparator = " · "
	return h
}
