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

// ShutdownMessage is what every open session is told when serve stops.
const ShutdownMessage = "keyward serve is shutting down"

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

// admit confirms the operator, applies the session cap and logs the
// session's start and end.
func (s *Server) admit(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		remote := remoteHost(sess.RemoteAddr())
		operator, err := operatorOf(sess)
		if err != nil {
			s.log.Warn("ssh session refused", "remote", remote, "err", err)
			s.refuse(sess, err.Error())
			return
		}
		entry, err := s.reg.add(operator)
		if err != nil {
			s.log.Warn("ssh session refused", "operator", operator,
				"remote", remote, "err", err)
			s.refuse(sess, err.Error()+"; try again later")
			return
		}
		s.entries.Store(sess, entry)
		defer s.reg.remove(entry)
		defer s.entries.Delete(sess)
		defer s.logSession(sess, operator)()
		defer s.recoverPanic(sess, operator)
		next(sess)
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
// handlers run.
func (s *Server) commands(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		args := sess.Command()
		if len(args) == 0 {
			next(sess)
			return
		}
		entry := s.entryOf(sess)
		stop := drainWindowChanges(sess)
		code := s.cfg.Command(sess, entry.operator, args)
		stop()
		s.log.Info("ssh command done", "operator", entry.operator,
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
// (no console) when the server is shutting down.
func (s *Server) newProgram(sess ssh.Session) *tea.Program {
	entry := s.entryOf(sess)
	if s.reg.isClosing() {
		return nil
	}
	model := s.cfg.Console(sess, entry.operator)
	if model == nil {
		return nil
	}
	if c, ok := model.(interface{ Close() }); ok {
		entry.closeFn = c.Close
	}
	opts := append(bubbletea.MakeOptions(sess),
		tea.WithAltScreen(), tea.WithoutSignalHandler())
	p := tea.NewProgram(model, opts...)
	if !s.reg.setProgram(entry, p) {
		return nil
	}
	return p
}

// afterConsole runs when a console ends: it releases the model (if it has
// a Close method) and, during shutdown, says why the console ended.
func (s *Server) afterConsole(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		if closeFn := s.entryOf(sess).closeFn; closeFn != nil {
			closeFn()
		}
		if s.reg.isClosing() {
			s.refuse(sess, ShutdownMessage)
			return
		}
		next(sess)
	}
}

// entryOf returns the registry entry admit stored for sess.
func (s *Server) entryOf(sess ssh.Session) *sessionEntry {
	if v, ok := s.entries.Load(sess); ok {
		return v.(*sessionEntry)
	}
	return &sessionEntry{}
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
