package sshd

import (
	"fmt"
	"net"
	"runtime/debug"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/ssh"
	"github.com/charmbracelet/wish"
	"github.com/charmbracelet/wish/activeterm"
	"github.com/charmbracelet/wish/bubbletea"
	"github.com/charmbracelet/wish/logging"
	"github.com/muesli/termenv"

	"keyward/keys"
)

// What a session is told when it is ended from the server's side.
const (
	// ShutdownMessage is what every open session is told when serve stops.
	ShutdownMessage = "keyward serve is shutting down"
	// RemovedMessage is what the sessions of a key removed from the
	// authorized_keys file are told before they are closed.
	RemovedMessage = "your key was removed from authorized_keys"
)

// middleware is the session handler chain, listed innermost first as
// wish.WithMiddleware wants: logging runs first, then admission (identity,
// session cap), commands, the terminal check, and the console.
func (s *Server) middleware() []wish.Middleware {
	return []wish.Middleware{
		s.afterConsole,
		bubbletea.MiddlewareWithProgramHandler(s.newProgram, termenv.Ascii),
		activeterm.Middleware(),
		s.needTerminal,
		s.commands,
		s.admit,
		logging.MiddlewareWithLogger(wishLogger{log: s.log}),
	}
}

// admit confirms the operator, applies the session cap, logs the
// session's start and end, and hands the rest of the chain a
// trackedSession.
func (s *Server) admit(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		remote := remoteHost(sess.RemoteAddr())
		operator, err := operatorOf(sess)
		if err != nil {
			s.log.Warn("ssh session refused", "remote", remote, "err", err)
			s.refuse(sess, err.Error())
			return
		}
		entry, err := s.reg.add(operator, sess.PublicKey())
		if err != nil {
			s.log.Warn("ssh session refused", "operator", operator,
				"remote", remote, "err", err)
			s.refuse(sess, err.Error()+"; try again later")
			return
		}
		ts := newTrackedSession(sess, entry)
		defer s.reg.remove(entry)
		defer ts.end()
		defer s.logSession(ts, operator)()
		defer s.recoverPanic(ts, operator)
		if _, ok := s.keys.find(sess.PublicKey()); !ok {
			s.refuse(ts, RemovedMessage) // removed since the login
			return
		}
		next(ts)
	}
}

// recoverPanic keeps a panic in one session (a command, a console model)
// from taking the whole server down. The panic value is not logged, since
// it could hold a key; the stack has only code locations and addresses.
func (s *Server) recoverPanic(sess ssh.Session, operator string) {
	if r := recover(); r != nil {
		s.log.Error("ssh session panicked", "operator", operator,
			"stack", string(debug.Stack()))
		s.refuse(sess, "internal error; see the serve log")
	}
}

// logSession logs a session's start; the returned func logs its end.
func (s *Server) logSession(sess ssh.Session, operator string) func() {
	remote := remoteHost(sess.RemoteAddr())
	kind, command := sessionKind(sess.Command())
	command = Redact(command)
	start := s.now()
	s.log.Info("ssh session start", "operator", operator, "remote", remote,
		"kind", kind, "command", command)
	return func() {
		s.log.Info("ssh session end", "operator", operator, "remote", remote,
			"kind", kind, "duration", s.now().Sub(start).Round(time.Millisecond))
	}
}

// refuse tells the client why and ends the session with status 1.
func (s *Server) refuse(sess ssh.Session, why string) {
	_, _ = fmt.Fprintf(sess.Stderr(), "keyward: %s\n", why)
	_ = sess.Exit(1)
}

// commands runs `ssh HOST COMMAND...` in the serve process and ends the
// session with the command's exit status. Without a command the console
// handlers run. A command stopped by the server (shutdown, key removed)
// is told on its stderr and its input is cut, so that a prompt reads
// end of input (no); one whose input was cut that way exits non-zero.
func (s *Server) commands(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		args := sess.Command()
		if len(args) == 0 {
			next(sess)
			return
		}
		ts := tracked(sess)
		if !ts.entry.onStop(func(reason string, hard bool) {
			_, _ = fmt.Fprintf(ts.Stderr(), "\nkeyward: %s\n", reason)
			ts.cancelInput()
			if hard {
				_ = ts.Exit(1)
			}
		}) {
			s.refuse(sess, ts.entry.stopReason())
			return
		}
		stop := drainWindowChanges(sess)
		code := s.cfg.Command(sess, ts.entry.operator, args)
		stop()
		if code == 0 && ts.inputCut() {
			code = 1
		}
		s.log.Info("ssh command done", "operator", ts.entry.operator,
			"remote", remoteHost(sess.RemoteAddr()), "status", code)
		_ = sess.Exit(code)
	}
}

// drainWindowChanges consumes resize events while a command runs, so
// that they never pile up and stall the connection. The returned func
// stops it.
func drainWindowChanges(sess ssh.Session) func() {
	_, changes, ok := sess.Pty()
	if !ok {
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-done:
				return
			case _, open := <-changes:
				if !open {
					return
				}
			}
		}
	}()
	return func() { close(done) }
}

// needTerminal explains what to do when the console is asked for without
// a terminal (`ssh -T`, or input from a pipe).
func (s *Server) needTerminal(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		if _, _, ok := sess.Pty(); ok {
			next(sess)
			return
		}
		port := "PORT"
		if _, p, err := net.SplitHostPort(sess.LocalAddr().String()); err == nil {
			port = p
		}
		s.refuse(sess, fmt.Sprintf("the console needs a terminal. "+
			"Connect with `ssh -t -p %[1]s HOST`, or run a command, "+
			"such as `ssh -p %[1]s HOST tokens list --json`", port))
	}
}

// newProgram builds the Bubble Tea program for a console session; nil
// (no console) when the session was stopped before it started. Its input
// comes through the trackedSession, so that keys count as activity for
// the idle timeout.
func (s *Server) newProgram(sess ssh.Session) *tea.Program {
	ts := tracked(sess)
	if ts.entry.stopReason() != "" {
		return nil
	}
	model := s.cfg.Console(sess, ts.entry.operator)
	if model == nil {
		return nil
	}
	if c, ok := model.(interface{ Close() }); ok {
		ts.entry.closeFn = c.Close
	}
	p := tea.NewProgram(model, tea.WithInput(ts), tea.WithOutput(ts),
		tea.WithAltScreen(), tea.WithoutSignalHandler())
	if !ts.entry.onStop(func(string, bool) { go p.Quit() }) {
		return nil
	}
	ts.stopIdle = s.watchIdle(ts)
	return p
}

// afterConsole runs when a console ends: it releases the model (if it has
// a Close method) and, when the server ended the console, says why, now
// that the program has restored the client's screen.
func (s *Server) afterConsole(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		ts := tracked(sess)
		if ts.stopIdle != nil {
			ts.stopIdle()
		}
		if closeFn := ts.entry.closeFn; closeFn != nil {
			closeFn()
		}
		if reason := ts.entry.stopReason(); reason != "" {
			s.refuse(sess, reason)
			return
		}
		next(sess)
	}
}

// isCommandWord reports whether a looks like a sub-command name (lower
// case letters, digits and dashes); anything else (values, flags, keys)
// stays out of the logs.
func isCommandWord(a string) bool {
	if a == "" || len(a) > 32 || a[0] < 'a' || a[0] > 'z' ||
		strings.HasPrefix(a, keys.Prefix) {
		return false
	}
	for _, r := range a {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

// sessionKind names a session for the log: "console", or "command" with
// its leading sub-command words only, never its arguments.
func sessionKind(args []string) (kind, command string) {
	if len(args) == 0 {
		return "console", ""
	}
	var words []string
	for _, a := range args {
		if len(words) == 2 || !isCommandWord(a) {
			break
		}
		words = append(words, a)
	}
	if len(words) < len(args) {
		words = append(words, "...")
	}
	return "command", strings.Join(words, " ")
}
