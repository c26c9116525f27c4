package sshd

import (
	"io"
	"strconv"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/ssh"
	"github.com/muesli/termenv"
)

// NewRenderer builds a session's lipgloss renderer without asking the
// client's terminal anything. The colour profile comes from the PTY's
// TERM and the environment the client sent (COLORTERM, NO_COLOR); the
// background is taken as dark unless the client sent a COLORFGBG hint
// saying otherwise.
//
// wish's bubbletea.MakeRenderer instead queries the terminal (OSC 11 and
// DA1) and waits for the answer; a terminal that never answers delays the
// console, and the pending read swallows the first keystroke.
func NewRenderer(sess ssh.Session) *lipgloss.Renderer {
	env := sessionEnv(sess)
	profile := colorProfile(env)
	r := lipgloss.NewRenderer(sess, termenv.WithEnvironment(env),
		termenv.WithProfile(profile), termenv.WithUnsafe())
	r.SetColorProfile(profile)
	r.SetHasDarkBackground(darkBackground(env.Getenv("COLORFGBG")))
	return r
}

// sessionEnv is the environment the client sent, with TERM from its PTY
// request.
func sessionEnv(sess ssh.Session) environ {
	env := environ(sess.Environ())
	if pty, _, ok := sess.Pty(); ok {
		env = append(env, "TERM="+pty.Term)
	}
	return env
}

// colorProfile is what the client's terminal can show, judged from its
// environment alone.
func colorProfile(env environ) termenv.Profile {
	term := env.Getenv("TERM")
	if term == "" || term == "dumb" {
		return termenv.Ascii
	}
	out := termenv.NewOutput(io.Discard, termenv.WithEnvironment(env),
		termenv.WithUnsafe(), termenv.WithProfile(termenv.Ascii))
	return out.EnvColorProfile()
}

// darkBackground reads a COLORFGBG hint ("15;0": foreground 15 on
// background 0). Background colours 0-6 and 8 are dark; anything else
// that parses is light. Without a hint the background is taken as dark,
// the common case for terminals used over SSH.
func darkBackground(colorfgbg string) bool {
	if colorfgbg == "" {
		return true
	}
	fields := strings.Split(colorfgbg, ";")
	bg, err := strconv.Atoi(strings.TrimSpace(fields[len(fields)-1]))
	if err != nil || bg < 0 || bg > 15 {
		return true
	}
	return bg <= 6 || bg == 8
}

// environ is a client's environment as "KEY=value" strings; it
// implements termenv.Environ. The last setting of a name wins.
type environ []string

// Environ implements termenv.Environ.
func (e environ) Environ() []string { return e }

// Getenv implements termenv.Environ.
func (e environ) Getenv(name string) string {
	for i := len(e) - 1; i >= 0; i-- {
		if v, ok := strings.CutPrefix(e[i], name+"="); ok {
			return v
		}
	}
	return ""
}
