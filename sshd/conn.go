package sshd

import (
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/charmbracelet/ssh"
	gossh "golang.org/x/crypto/ssh"

	"keyward/keys"
)

// watchKey is the context key of a connection's *watchedConn.
type watchKey struct{}

// watchedConn notes whether a connection tried to log in and whether it
// succeeded, so that a connection closed without logging in counts as one
// failed login for its address. Connections that never tried (port
// probes) do not count.
type watchedConn struct {
	net.Conn
	host      string
	server    *Server
	grace     time.Time // the login must be done by then
	attempted atomic.Bool
	loggedIn  atomic.Bool
	once      sync.Once
}

// SetDeadline keeps a connection that has not logged in from living past
// its login grace time, whatever idle deadline the ssh package asks for.
func (c *watchedConn) SetDeadline(t time.Time) error {
	if !c.loggedIn.Load() && (t.IsZero() || t.After(c.grace)) {
		t = c.grace
	}
	return c.Conn.SetDeadline(t)
}

// Close records a failed login if there was one, then closes.
func (c *watchedConn) Close() error {
	c.once.Do(func() {
		if c.attempted.Load() && !c.loggedIn.Load() {
			c.server.loginFailed(c.host)
		}
	})
	return c.Conn.Close()
}

// wrapConn refuses banned addresses and watches the others.
func (s *Server) wrapConn(ctx ssh.Context, conn net.Conn) net.Conn {
	host := remoteHost(conn.RemoteAddr())
	if until, banned := s.limiter.blocked(host); banned {
		s.log.Warn("ssh connection refused: too many failed logins",
			"remote", host, "until", until.Format("15:04:05"))
		return nil
	}
	w := &watchedConn{Conn: conn, host: host, server: s,
		grace: time.Now().Add(s.cfg.LoginGrace)} // real time: net deadlines
	if err := w.SetDeadline(time.Time{}); err != nil {
		s.log.Debug("ssh connection deadline", "err", err)
	}
	ctx.SetValue(watchKey{}, w)
	return w
}

// serverConfig is the per-connection base configuration that the ssh
// package completes with its callbacks.
func (s *Server) serverConfig(ctx ssh.Context) *gossh.ServerConfig {
	w, _ := ctx.Value(watchKey{}).(*watchedConn)
	return &gossh.ServerConfig{
		MaxAuthTries:              maxAuthTries,
		VerifiedPublicKeyCallback: verifiedPublicKey,
		AuthLogCallback: func(_ gossh.ConnMetadata, method string, err error) {
			if w == nil {
				return
			}
			if err == nil {
				w.loggedIn.Store(true)
			} else if method != "none" {
				w.attempted.Store(true)
				s.log.Info("ssh login attempt rejected", "remote", w.host,
					"method", method)
			}
		},
	}
}

// markAttempt notes that the connection behind ctx offered a key.
func markAttempt(ctx ssh.Context) {
	if w, ok := ctx.Value(watchKey{}).(*watchedConn); ok {
		w.attempted.Store(true)
	}
}

// loginFailed counts a failed login and logs it.
func (s *Server) loginFailed(host string) {
	banned := s.limiter.fail(host)
	s.log.Warn("ssh login failed", "remote", host)
	if banned {
		s.log.Warn("ssh address refused for a while: too many failed logins",
			"remote", host, "for", s.cfg.AuthBan.String())
	}
}

// wishLogger feeds wish's logging middleware into slog at debug level,
// replacing the command line (which could hold a key) by its sub-command
// words.
type wishLogger struct{ log *slog.Logger }

// Printf implements logging.Logger.
func (l wishLogger) Printf(format string, v ...any) {
	safe := make([]any, len(v))
	for i, a := range v {
		switch a := a.(type) {
		case []string:
			_, safe[i] = sessionKind(a)
		case string:
			if strings.Contains(a, keys.Prefix) {
				safe[i] = "[redacted]"
			} else {
				safe[i] = a
			}
		default:
			safe[i] = a
		}
	}
	l.log.Debug(strings.TrimSpace(fmt.Sprintf(format, safe...)), "from", "wish")
}
