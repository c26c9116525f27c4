package sshdtest

import (
	"errors"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	gossh "golang.org/x/crypto/ssh"
)

// Terminal is a client session with a PTY. It records what the server
// draws (stdout and stderr together, as a terminal shows them) and, unless
// opened Silent, answers background-colour and device-attribute queries
// the way a terminal emulator does.
type Terminal struct {
	Session *gossh.Session
	stdin   io.WriteCloser
	screen  *Buffer
	done    chan error
	silent  bool
	queried atomic.Bool
}

// TerminalOptions says how OpenTerminalWith opens a session.
type TerminalOptions struct {
	Width, Height int
	Term          string            // TERM of the PTY; default xterm-256color
	Command       string            // run this instead of the console
	Env           map[string]string // sent before the session starts
	Silent        bool              // never answer terminal queries
}

// OpenTerminal requests a w x h PTY on c and starts the console.
func OpenTerminal(t testing.TB, c *gossh.Client, w, h int) *Terminal {
	t.Helper()
	return OpenTerminalWith(t, c, TerminalOptions{Width: w, Height: h})
}

// OpenTerminalWith opens a session with a PTY as opts says.
func OpenTerminalWith(t testing.TB, c *gossh.Client, opts TerminalOptions) *Terminal {
	t.Helper()
	sess, err := c.NewSession()
	if err != nil {
		t.Fatalf("new session: %v", err)
	}
	t.Cleanup(func() { _ = sess.Close() })
	term := &Terminal{Session: sess, screen: &Buffer{}, done: make(chan error, 1),
		silent: opts.Silent}
	if term.stdin, err = sess.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	out, err := sess.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	sess.Stderr = term.screen
	for k, v := range opts.Env {
		if err := sess.Setenv(k, v); err != nil {
			t.Fatalf("setenv %s: %v", k, err)
		}
	}
	if opts.Term == "" {
		opts.Term = "xterm-256color"
	}
	err = sess.RequestPty(opts.Term, opts.Height, opts.Width, gossh.TerminalModes{})
	if err != nil {
		t.Fatalf("request pty: %v", err)
	}
	if opts.Command != "" {
		err = sess.Start(opts.Command)
	} else {
		err = sess.Shell()
	}
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	go term.read(out)
	go func() { term.done <- sess.Wait() }()
	return term
}

// read copies the server's output and answers terminal queries.
func (term *Terminal) read(out io.Reader) {
	buf := make([]byte, 32*1024)
	for {
		n, err := out.Read(buf)
		chunk := string(buf[:n])
		_, _ = term.screen.Write(buf[:n])
		if strings.Contains(chunk, "\x1b]11;?") {
			term.queried.Store(true)
			if !term.silent {
				_, _ = io.WriteString(term.stdin, "\x1b]11;rgb:0000/0000/0000\x07")
			}
		}
		if strings.Contains(chunk, "\x1b[c") {
			term.queried.Store(true)
			if !term.silent {
				_, _ = io.WriteString(term.stdin, "\x1b[?62;22c")
			}
		}
		if err != nil {
			return
		}
	}
}

// Queried reports whether the server sent a terminal query (background
// colour or device attributes).
func (term *Terminal) Queried() bool { return term.queried.Load() }

// Ended reports whether the session has ended, without waiting; a true
// result keeps the exit status for Wait.
func (term *Terminal) Ended() bool {
	select {
	case err := <-term.done:
		term.done <- err
		return true
	default:
		return false
	}
}

// Raw is every byte drawn so far, escape sequences included.
func (term *Terminal) Raw() string { return term.screen.String() }

// Text is everything drawn so far without escape sequences.
func (term *Terminal) Text() string { return ansi.Strip(term.screen.String()) }

// Mark is the current length of the output, for WaitForAfter.
func (term *Terminal) Mark() int { return len(term.Text()) }

// WaitFor waits until the screen has shown want and returns how long
// that took.
func (term *Terminal) WaitFor(t testing.TB, want string) time.Duration {
	t.Helper()
	return term.WaitForAfter(t, 0, want)
}

// WaitForAfter waits until want is drawn after the output position mark.
func (term *Terminal) WaitForAfter(t testing.TB, mark int, want string) time.Duration {
	t.Helper()
	start := time.Now()
	for time.Since(start) < HangGuard {
		if text := term.Text(); len(text) >= mark && strings.Contains(text[mark:], want) {
			return time.Since(start)
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("screen never showed %q; it shows:\n%s", want, MaskKeys(term.Text()))
	return 0
}

// Send types s.
func (term *Terminal) Send(t testing.TB, s string) {
	t.Helper()
	if _, err := io.WriteString(term.stdin, s); err != nil {
		t.Fatalf("type %q: %v", s, err)
	}
}

// Wait waits for the session to end and returns its exit status (-1 when
// it ended without one).
func (term *Terminal) Wait(t testing.TB) int {
	t.Helper()
	select {
	case err := <-term.done:
		var exit *gossh.ExitError
		switch {
		case err == nil:
			return 0
		case errors.As(err, &exit):
			return exit.ExitStatus()
		default:
			return -1
		}
	case <-time.After(HangGuard):
		t.Fatal("session did not end")
		return -1
	}
}
