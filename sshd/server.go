// Package sshd serves Keyward's console over SSH to the operators listed
// in an authorized_keys file, and runs Keyward's commands sent over SSH
// (`ssh HOST tokens list --json`) in the serve process.
//
// It is built on wish: each console session gets its own Bubble Tea
// program and lipgloss renderer; the operator is the key that signed the
// session.
package sshd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/ssh"
	"github.com/charmbracelet/wish"
	gossh "golang.org/x/crypto/ssh"
)

// Defaults for the limits in Config.
const (
	DefaultIdleTimeout     = 30 * time.Minute
	DefaultMaxSessions     = 32
	DefaultMaxAuthFailures = 10
	DefaultAuthWindow      = time.Minute
	DefaultAuthBan         = 5 * time.Minute
	DefaultLoginGrace      = time.Minute
	// DefaultMaxStartups and DefaultMaxStartupsPerAddress cap the
	// connections that have not logged in yet, in all and per address.
	DefaultMaxStartups           = 64
	DefaultMaxStartupsPerAddress = 16
	// DefaultKeysPoll is how often the authorized_keys file is checked
	// for changes between logins.
	DefaultKeysPoll = 2 * time.Second
	// DefaultKeysSettle is the default for Config.KeysSettle.
	DefaultKeysSettle = 500 * time.Millisecond
	// maxAuthTries is how many keys or methods a client may try on one
	// connection.
	maxAuthTries = 6
)

// ConsoleFunc builds the console model for a session whose operator is
// known. It runs once per session; it should style with NewRenderer(sess),
// which asks the client's terminal nothing.
type ConsoleFunc func(sess ssh.Session, operator string) tea.Model

// CommandFunc runs one command (`ssh HOST tokens list`) with the session's
// streams and returns its exit status.
type CommandFunc func(sess ssh.Session, operator string, args []string) int

// Config is what New needs.
type Config struct {
	// HostKeyPath is the host key; generated (ed25519, 0600) if missing.
	HostKeyPath string
	// AuthorizedKeysPath lists the operators' public keys.
	AuthorizedKeysPath string
	// IdleTimeout ends a console whose client sent no input (keys,
	// window sizes) for that long, restoring the client's screen and
	// saying why; a connection with no traffic at all for half as long
	// again is closed. 0 means DefaultIdleTimeout, negative means never.
	IdleTimeout time.Duration
	// MaxSessions caps concurrent sessions; 0 means DefaultMaxSessions.
	MaxSessions int
	// MaxAuthFailures failed logins from one address within AuthWindow
	// ban it for AuthBan. Zero values mean the defaults.
	MaxAuthFailures int
	AuthWindow      time.Duration
	AuthBan         time.Duration
	// LoginGrace is how long a connection may take to log in;
	// 0 means DefaultLoginGrace.
	LoginGrace time.Duration
	// MaxStartups and MaxStartupsPerAddress cap the connections that
	// have not logged in yet (in all, and from one address); more are
	// closed at once. Zero values mean the defaults.
	MaxStartups           int
	MaxStartupsPerAddress int
	// KeysPoll is how often the authorized_keys file is checked for
	// changes besides at each login; 0 means DefaultKeysPoll, negative
	// never (then only logins and Reload notice edits).
	KeysPoll time.Duration
	// KeysSettle is how long an edit of authorized_keys noticed by the
	// poll or a login must last before the sessions of keys missing from
	// it are ended (an editor that truncates the file and then writes it
	// can be caught in between); 0 means DefaultKeysSettle. After Reload
	// they end at once.
	KeysSettle time.Duration
	// Logger receives connection and session logs; nil discards them.
	Logger *slog.Logger
	// Console and Command serve sessions; both are required.
	Console ConsoleFunc
	Command CommandFunc
	// Clock is the time source for the limits; nil means time.Now.
	Clock func() time.Time
}

// Server is the SSH server. Create it with New, run it with Serve, stop it
// with Shutdown.
type Server struct {
	cfg        Config
	log        *slog.Logger
	now        func() time.Time
	keys       *authorizedKeys
	limiter    *failLimiter
	starts     *startLimiter
	pending    sync.Map // remote address -> *watchedConn not logged in yet
	reg        *registry
	srv        *ssh.Server
	hostKey    gossh.PublicKey
	newHostKey bool
	stopPoll   chan struct{} // closed by Shutdown
	closeOnce  sync.Once
}

// New prepares a server: it loads (or creates) the host key and reads the
// authorized keys. A missing or empty authorized_keys file is an error
// wrapping ErrNoAuthorizedKeys that says how to add a key.
func New(cfg Config) (*Server, error) {
	cfg, err := withDefaults(cfg)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, log: cfg.Logger, now: cfg.Clock,
		reg: newRegistry(cfg.MaxSessions), stopPoll: make(chan struct{}),
		starts: newStartLimiter(cfg.MaxStartups, cfg.MaxStartupsPerAddress)}
	s.limiter = newFailLimiter(cfg.MaxAuthFailures, cfg.AuthWindow, cfg.AuthBan, cfg.Clock)
	if s.keys, err = loadAuthorizedKeys(cfg.AuthorizedKeysPath, s.log); err != nil {
		return nil, err
	}
	s.keys.changed = s.keysChanged
	signer, created, err := LoadOrCreateHostKey(cfg.HostKeyPath)
	if err != nil {
		return nil, err
	}
	s.hostKey, s.newHostKey = signer.PublicKey(), created
	if s.srv, err = s.newSSHServer(signer); err != nil {
		return nil, err
	}
	return s, nil
}

// checkConfig rejects a config that misses a required field.
func checkConfig(cfg Config) error {
	switch {
	case cfg.HostKeyPath == "":
		return errors.New("sshd: no host key path")
	case cfg.AuthorizedKeysPath == "":
		return errors.New("sshd: no authorized_keys path")
	case cfg.Console == nil || cfg.Command == nil:
		return errors.New("sshd: Console and Command are required")
	}
	return nil
}

// withDefaults checks cfg and fills in the zero values.
func withDefaults(cfg Config) (Config, error) {
	if err := checkConfig(cfg); err != nil {
		return cfg, err
	}
	if cfg.IdleTimeout == 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	if cfg.MaxSessions <= 0 {
		cfg.MaxSessions = DefaultMaxSessions
	}
	if cfg.MaxAuthFailures <= 0 {
		cfg.MaxAuthFailures = DefaultMaxAuthFailures
	}
	if cfg.AuthWindow <= 0 {
		cfg.AuthWindow = DefaultAuthWindow
	}
	if cfg.AuthBan <= 0 {
		cfg.AuthBan = DefaultAuthBan
	}
	if cfg.LoginGrace <= 0 {
		cfg.LoginGrace = DefaultLoginGrace
	}
	if cfg.MaxStartups <= 0 {
		cfg.MaxStartups = DefaultMaxStartups
	}
	if cfg.MaxStartupsPerAddress <= 0 {
		cfg.MaxStartupsPerAddress = DefaultMaxStartupsPerAddress
	}
	if cfg.KeysPoll == 0 {
		cfg.KeysPoll = DefaultKeysPoll
	}
	if cfg.KeysSettle <= 0 {
		cfg.KeysSettle = DefaultKeysSettle
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	return cfg, nil
}

// newSSHServer assembles the wish server: public keys only, no password
// or keyboard-interactive login, no forwarding.
func (s *Server) newSSHServer(signer gossh.Signer) (*ssh.Server, error) {
	opts := []ssh.Option{
		func(srv *ssh.Server) error { srv.AddHostKey(signer); return nil },
		wish.WithVersion("Keyward"),
		wish.WithPublicKeyAuth(s.checkPublicKey),
		wish.WithMiddleware(s.middleware()...),
		ssh.WrapConn(s.wrapConn),
	}
	if s.cfg.IdleTimeout > 0 {
		opts = append(opts, wish.WithIdleTimeout(connIdleTimeout(s.cfg.IdleTimeout)))
	}
	srv, err := wish.NewServer(opts...)
	if err != nil {
		return nil, fmt.Errorf("set up the SSH server: %w", err)
	}
	srv.ServerConfigCallback = s.serverConfig
	srv.ConnectionFailedCallback = s.connectionFailed
	return srv, nil
}

// Serve accepts connections on ln until Shutdown; it then returns nil.
// While it runs, the authorized_keys file is checked for changes every
// KeysPoll.
func (s *Server) Serve(ln net.Listener) error {
	go s.pollKeys()
	err := s.srv.Serve(ln)
	if errors.Is(err, ssh.ErrServerClosed) {
		return nil
	}
	return fmt.Errorf("ssh server: %w", err)
}

// pollKeys re-reads the authorized_keys file when it changes, so that a
// removed key's sessions end without waiting for the next login.
func (s *Server) pollKeys() {
	if s.cfg.KeysPoll < 0 {
		return
	}
	tick := time.NewTicker(s.cfg.KeysPoll)
	defer tick.Stop()
	for {
		select {
		case <-s.stopPoll:
			return
		case <-tick.C:
			s.keys.refresh()
		}
	}
}

// keysChanged runs after a new version of authorized_keys came into
// force. After Reload (SIGHUP) the sessions of removed keys end at once;
// after a noticed edit, once the file has settled.
func (s *Server) keysChanged(explicit bool) {
	if explicit {
		s.dropRemovedKeys()
		return
	}
	time.AfterFunc(s.cfg.KeysSettle, func() {
		s.keys.refresh()
		s.log.Debug("authorized keys settled", "keys", s.keys.count())
		s.dropRemovedKeys()
	})
}

// dropRemovedKeys ends every open session whose key is no longer in the
// authorized_keys file, telling it why. It runs after each re-read.
func (s *Server) dropRemovedKeys() {
	for _, e := range s.reg.all() {
		if e.key == nil {
			continue
		}
		if _, ok := s.keys.find(e.key); ok {
			continue
		}
		s.log.Info("ssh session closed: its key was removed from authorized_keys",
			"operator", e.operator, "key_sha256", Fingerprint(e.key))
		go e.stop(RemovedMessage, true)
	}
}

// Fingerprint is the host key's SHA256 fingerprint, for operators to
// compare with what their SSH client shows.
func (s *Server) Fingerprint() string { return Fingerprint(s.hostKey) }

// HostKey is the server's public host key.
func (s *Server) HostKey() gossh.PublicKey { return s.hostKey }

// NewHostKey reports whether New generated the host key.
func (s *Server) NewHostKey() bool { return s.newHostKey }

// AuthorizedKeys is the number of operator keys currently loaded.
func (s *Server) AuthorizedKeys() int { return s.keys.count() }

// Sessions is the number of open sessions.
func (s *Server) Sessions() int { return s.reg.count() }

// Reload re-reads the authorized_keys file now (serve calls it on
// SIGHUP), and ends the sessions of keys no longer in it. The file is also
// re-read whenever it changes. On error (the file is gone, or others may
// write it) the error is logged and returned; a missing file leaves
// nobody able to log in, an unsafe one leaves the keys read before.
func (s *Server) Reload() error {
	return s.keys.reload()
}

// ErrSessionsOpen means Shutdown's context ended before every session
// did; the remaining ones were closed without waiting further. Nothing
// was lost from the database: every change is its own transaction.
var ErrSessionsOpen = errors.New("sessions still open at shutdown")

// Shutdown refuses new sessions and stops every open one: consoles are
// quit (restoring the client's screen) and told that serve is shutting
// down; commands are told on their stderr and their input is cut, so a
// prompt reads end of input. It waits for the sessions to end (until ctx
// is done; then it returns an error wrapping ErrSessionsOpen), then
// closes every connection and the listener.
func (s *Server) Shutdown(ctx context.Context) error {
	s.closeOnce.Do(func() { close(s.stopPoll) })
	entries, drained := s.reg.close()
	for _, e := range entries {
		go e.stop(ShutdownMessage, false)
	}
	var waitErr error
	select {
	case <-drained:
	case <-ctx.Done():
		waitErr = fmt.Errorf("%w (%d), closed: %w", ErrSessionsOpen, s.reg.count(), ctx.Err())
		s.log.Warn("ssh sessions did not end in time; closing them", "open", s.reg.count())
	}
	if err := s.srv.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("close the SSH server: %w", err) // waitErr was logged
	}
	return waitErr
}
