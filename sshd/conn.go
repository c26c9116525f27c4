package sshd

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/charmbracelet/ssh"
	gossh "golang.org/x/crypto/ssh"
)

// watchKey is the context key of a connection's *watchedConn.
type watchKey struct{}

// watchedConn is one TCP connection from accept until it logs in or
// closes. Until it logs in it holds a slot of the start limiter, cannot
// outlive its login grace time, and gathers what its login attempts were,
// so that a failed login is logged once with all of it.
type watchedConn struct {
	net.Conn
	host     string
	server   *Server
	grace    time.Time // the login must be done by then
	loggedIn atomic.Bool
	slot     sync.Once // releases the start-limiter slot

	mu       sync.Mutex
	user     string      // redacted
	methods  []string    // methods tried, other than "none" (redacted)
	rejected []string    // fingerprints of the keys refused
	failures []time.Time // failures counted against the address
	banned   bool        // the client was told about a ban
	preauth  gossh.ServerPreAuthConn
}

// SetDeadline keeps a connection that has not logged in from living past
// its login grace time, whatever idle deadline the ssh package asks for.
func (c *watchedConn) SetDeadline(t time.Time) error {
	if !c.loggedIn.Load() && (t.IsZero() || t.After(c.grace)) {
		t = c.grace
	}
	return c.Conn.SetDeadline(t)
}

// Close gives back the start-limiter slot, then closes.
func (c *watchedConn) Close() error {
	c.releaseSlot()
	return c.Conn.Close()
}

// releaseSlot gives back the start-limiter slot once.
func (c *watchedConn) releaseSlot() {
	c.slot.Do(func() { c.server.starts.release(c.host) })
}

// wrapConn refuses banned addresses and connections past the caps on
// connections not logged in yet, and watches the others.
func (s *Server) wrapConn(ctx ssh.Context, conn net.Conn) net.Conn {
	host := remoteHost(conn.RemoteAddr())
	if until, banned := s.limiter.blocked(host); banned {
		s.log.Warn("ssh connection refused: too many failed logins",
			"remote", host, "until", until.Format("15:04:05"))
		refuseConn(conn, "too many failed logins from your address; try again in "+
			until.Sub(s.now()).Round(time.Second).String())
		return nil
	}
	if !s.starts.acquire(host) {
		s.log.Warn("ssh connection refused: too many connections not logged in",
			"remote", host, "max", s.cfg.MaxStartups,
			"max_per_address", s.cfg.MaxStartupsPerAddress)
		refuseConn(conn, "too many connections are logging in; try again later")
		return nil
	}
	w := &watchedConn{Conn: conn, host: host, server: s,
		grace: time.Now().Add(s.cfg.LoginGrace)} // real time: net deadlines
	if err := w.SetDeadline(time.Time{}); err != nil {
		s.log.Debug("ssh connection deadline", "err", err)
	}
	s.pending.Store(conn.RemoteAddr().String(), w)
	ctx.SetValue(watchKey{}, w)
	return w
}

// refuseConn writes why to a connection that is about to be closed,
// before any SSH traffic. RFC 4253 lets a server send text lines before
// its version line; `ssh -v` and `nc` show them.
func refuseConn(conn net.Conn, why string) {
	_ = conn.SetWriteDeadline(time.Now().Add(time.Second))
	_, _ = io.WriteString(conn, "keyward: "+why+"\r\n")
}

// serverConfig is the per-connection base configuration that the ssh
// package completes with its callbacks.
func (s *Server) serverConfig(ctx ssh.Context) *gossh.ServerConfig {
	w, _ := ctx.Value(watchKey{}).(*watchedConn)
	return &gossh.ServerConfig{
		MaxAuthTries:              maxAuthTries,
		VerifiedPublicKeyCallback: verifiedPublicKey,
		PreAuthConnCallback: func(c gossh.ServerPreAuthConn) {
			if w != nil {
				w.mu.Lock()
				w.preauth = c
				w.mu.Unlock()
			}
		},
		AuthLogCallback: func(c gossh.ConnMetadata, method string, err error) {
			if w != nil {
				s.authAttempt(w, c.User(), method, err)
			}
		},
	}
}

// authAttempt runs after each authentication request of a connection:
// a success ends the watch; a rejected method counts at once as a failed
// attempt for the address, so that parallel connections cannot get more
// tries than the limit.
func (s *Server) authAttempt(w *watchedConn, user, method string, err error) {
	method = Redact(method)
	if err == nil {
		s.loggedIn(w)
		return
	}
	w.mu.Lock()
	w.user = Redact(user)
	if method != "none" && !slices.Contains(w.methods, method) {
		w.methods = append(w.methods, method)
	}
	banned := w.banned
	w.mu.Unlock()
	if method == "none" || banned {
		return
	}
	s.log.Debug("ssh login attempt rejected", "remote", w.host, "method", method)
	s.countFailure(w)
}

// loggedIn ends the watch of a connection that authenticated: its slot
// is given back and the failures it caused on the way are forgiven.
func (s *Server) loggedIn(w *watchedConn) {
	w.loggedIn.Store(true)
	w.releaseSlot()
	s.pending.Delete(w.RemoteAddr().String())
	w.mu.Lock()
	failures := w.failures
	w.failures = nil
	w.mu.Unlock()
	s.limiter.forgive(w.host, failures)
}

// countFailure counts one failed attempt against the connection's
// address and, when that starts a ban, logs it and tells the client.
func (s *Server) countFailure(w *watchedConn) {
	at, banned := s.limiter.fail(w.host)
	w.mu.Lock()
	w.failures = append(w.failures, at)
	w.mu.Unlock()
	if banned {
		s.log.Warn("ssh address refused for a while: too many failed logins",
			"remote", w.host, "for", s.cfg.AuthBan.String())
		s.tellBanned(w)
	}
}

// tellBanned sends the client of a banned address an authentication
// banner saying why every further attempt fails (once per connection).
func (s *Server) tellBanned(w *watchedConn) {
	until, banned := s.limiter.blocked(w.host)
	if !banned {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.banned {
		return
	}
	w.banned = true
	if w.preauth != nil {
		msg := fmt.Sprintf("keyward: too many failed logins from %s; try again in %s\r\n",
			w.host, until.Sub(s.now()).Round(time.Second))
		_ = w.preauth.SendAuthBanner(msg)
	}
}

// noteRejected records the fingerprint of a key the connection offered
// and was refused, for the failed-login log line.
func (w *watchedConn) noteRejected(fingerprint string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !slices.Contains(w.rejected, fingerprint) && len(w.rejected) < maxAuthTries*2 {
		w.rejected = append(w.rejected, fingerprint)
	}
}

// connectionFailed is the ssh package's handshake-failure callback: it
// logs, once and at info level, a connection that ended without logging
// in, with its address, the methods and keys it tried and why it ended.
// A connection that tried but had no failure counted (a bad signature
// ends the handshake before the attempt is logged) counts one now.
func (s *Server) connectionFailed(conn net.Conn, err error) {
	v, ok := s.pending.LoadAndDelete(conn.RemoteAddr().String())
	if !ok {
		s.log.Debug("ssh connection ended", "remote", remoteHost(conn.RemoteAddr()),
			"reason", redactErr(err))
		return
	}
	w := v.(*watchedConn)
	w.mu.Lock()
	user, methods, rejected := w.user, strings.Join(w.methods, ","), w.rejected
	uncounted := len(w.methods) > 0 && len(w.failures) == 0 && !w.banned
	w.mu.Unlock()
	if methods == "" {
		methods = "none"
	}
	s.log.Info("ssh login failed", "remote", w.host, "user", user,
		"methods", methods, "rejected_keys", strings.Join(rejected, ","),
		"reason", redactErr(err))
	if uncounted {
		s.countFailure(w)
	}
}

// redactErr is err's text made safe to log (it can quote what the client
// sent).
func redactErr(err error) string {
	if err == nil {
		return ""
	}
	return Redact(err.Error())
}

// connOf is the watched connection behind ctx, if any.
func connOf(ctx ssh.Context) *watchedConn {
	w, _ := ctx.Value(watchKey{}).(*watchedConn)
	return w
}

// wishLogger feeds wish's logging middleware into slog at debug level.
// Every string it is given comes from the client (user name, terminal
// type, client version) and goes through Redact; the command line is
// replaced by its sub-command words.
type wishLogger struct{ log *slog.Logger }

// Printf implements logging.Logger.
func (l wishLogger) Printf(format string, v ...any) {
	safe := make([]any, len(v))
	for i, a := range v {
		switch a := a.(type) {
		case []string:
			_, safe[i] = sessionKind(a)
		case string:
			safe[i] = Redact(a)
		default:
			safe[i] = a
		}
	}
	l.log.Debug(strings.TrimSpace(fmt.Sprintf(format, safe...)), "from", "wish")
}
