package serve

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"keyward/gateway"
	"keyward/sshd"
	"keyward/storage"
)

// sshShutdownTimeout is how long shutdown waits for SSH sessions (a
// command may be mid-way). The gateway's wait is --drain-timeout.
const sshShutdownTimeout = 10 * time.Second

// app is one run of serve: what it opened, so stop can close it all.
type app struct {
	opts   options
	exec   ExecFunc
	log    *slog.Logger
	stdout io.Writer
	stderr io.Writer
	errs   chan error // a server that stopped on its own

	dbPath     string
	store      *storage.DB
	ssh        *sshd.Server
	sshLn      net.Listener
	gw         *gateway.Gateway
	http       *http.Server
	httpLn     net.Listener
	baseURL    string
	removeInfo func() error
	serving    bool // serve ran: the servers own their listeners
}

// start opens everything in order; on error, stop closes what opened.
func (a *app) start() error {
	path, err := a.databasePath()
	if err != nil {
		return err
	}
	a.dbPath = path
	if err := notRunning(path); err != nil {
		return err
	}
	if a.opts.sshAddr != "" {
		if err := a.newSSH(); err != nil {
			return err
		}
	}
	if a.store, err = storage.Open(path, storage.Options{}); err != nil {
		return openError(path, err)
	}
	a.warn()
	if err := a.listen(); err != nil {
		return err
	}
	if a.opts.upstream != "" {
		if err := a.newGateway(); err != nil {
			return err
		}
	}
	if err := a.writeInfo(); err != nil {
		return err
	}
	a.serve()
	return nil
}

// warn prints the database's own warnings (such as a folder other users
// can read) on serve's stderr and logs them.
func (a *app) warn() {
	for _, w := range a.store.Warnings() {
		_, _ = fmt.Fprintf(a.stderr, "keyward serve: warning: %s\n", w)
		if a.opts.logPath != "" { // else the log is stderr: say it once
			a.log.Warn("database warning", "warning", w)
		}
	}
}

// notRunning fails if another serve holds the database at path.
func notRunning(path string) error {
	if info, ok := storage.ReadServeInfo(path); ok {
		return fmt.Errorf("already running on %s (process %d); stop it first",
			path, info.PID)
	}
	return nil
}

// databasePath is --db, else KEYWARD_DB or the default, made absolute.
func (a *app) databasePath() (string, error) { return storage.ResolvePath(a.opts.db) }

// openError says what to do when the database cannot be opened.
func openError(path string, err error) error {
	if errors.Is(err, storage.ErrLocked) {
		return fmt.Errorf("the database %s is in use by another Keyward process "+
			"(a console or a script); close it and start serve again: %w", path, err)
	}
	return fmt.Errorf("open the database: %w", err)
}

// newSSH prepares the SSH server; it fails when no operator key is set up.
func (a *app) newSSH() error {
	keysPath := a.opts.authorizedKeys
	if keysPath == "" {
		var err error
		if keysPath, err = sshd.DefaultAuthorizedKeysPath(); err != nil {
			return err
		}
	}
	srv, err := sshd.New(sshd.Config{
		HostKeyPath:        filepath.Join(filepath.Dir(a.dbPath), sshd.HostKeyFile),
		AuthorizedKeysPath: keysPath,
		IdleTimeout:        a.opts.sshIdleTimeout(),
		MaxSessions:        a.opts.maxSessions,
		Logger:             a.log,
		Console:            a.console,
		Command:            a.command,
	})
	if err != nil {
		return fmt.Errorf("SSH console: %w", err)
	}
	a.ssh = srv
	return nil
}

// listen binds the SSH and HTTP addresses.
func (a *app) listen() error {
	var err error
	if a.ssh != nil {
		if a.sshLn, err = net.Listen("tcp", a.opts.sshAddr); err != nil {
			return fmt.Errorf("SSH console: listen on %s: %w (choose another with --ssh)",
				a.opts.sshAddr, err)
		}
	}
	if a.opts.upstream != "" && a.opts.httpAddr != "" {
		if a.httpLn, err = net.Listen("tcp", a.opts.httpAddr); err != nil {
			return fmt.Errorf("gateway: listen on %s: %w (choose another with --http)",
				a.opts.httpAddr, err)
		}
	}
	a.baseURL = a.opts.baseURL
	if a.baseURL == "" && a.httpLn != nil {
		a.baseURL = "http://" + a.httpLn.Addr().String() + "/v1"
	}
	return nil
}

// newGateway builds the gateway and its HTTP server.
func (a *app) newGateway() error {
	gw, err := gateway.New(a.store, gateway.Config{
		Upstream:      a.opts.upstream,
		UpstreamKey:   a.opts.upstreamKey,
		DenyUnpriced:  a.opts.denyUnpriced,
		NoPassthrough: !a.opts.passthrough,
		Logger:        a.log,
	})
	if err != nil {
		return fmt.Errorf("gateway: %w", err)
	}
	a.gw = gw
	a.http = &http.Server{
		Handler:           gw.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
	}
	return nil
}

// writeInfo records where serve listens, beside the database.
func (a *app) writeInfo() error {
	info := storage.ServeInfo{PID: os.Getpid()}
	if a.sshLn != nil {
		info.SSHAddr = a.sshLn.Addr().String()
	}
	if a.httpLn != nil {
		info.HTTPAddr = a.httpLn.Addr().String()
	}
	remove, err := storage.WriteServeInfo(a.dbPath, info)
	if err != nil {
		return err
	}
	a.removeInfo = remove
	return nil
}

// serve starts the servers; one that stops on its own reports on errs.
func (a *app) serve() {
	a.serving = true
	if a.ssh != nil {
		go func() {
			if err := a.ssh.Serve(a.sshLn); err != nil {
				a.errs <- err
			}
		}()
	}
	if a.http != nil {
		go func() {
			err := a.http.Serve(a.httpLn)
			if err != nil && !errors.Is(err, http.ErrServerClosed) {
				a.errs <- fmt.Errorf("gateway: %w", err)
			}
		}()
	}
}

// wait blocks until a stop signal (status 0) or a server failure (1).
// SIGHUP re-reads the authorized keys.
func (a *app) wait(signals <-chan os.Signal, stderr io.Writer) int {
	for {
		select {
		case sig := <-signals:
			if sig == syscall.SIGHUP {
				a.reload()
				continue
			}
			a.log.Info("serve stopping", "signal", sig.String())
			return 0
		case err := <-a.errs:
			a.log.Error("serve stopping after a failure", "err", err)
			_, _ = fmt.Fprintf(stderr, "keyward serve: %v\n", err)
			return 1
		}
	}
}

// reload re-reads the authorized keys (SIGHUP).
func (a *app) reload() {
	if a.ssh == nil {
		return
	}
	if err := a.ssh.Reload(); err == nil {
		a.log.Info("authorized keys reloaded", "keys", a.ssh.AuthorizedKeys())
	}
}

// stop shuts down in order: SSH sessions and gateway requests (at once,
// each with its own deadline), then the charge flush, the database and
// the serve-info file. It is safe after a partial start.
func (a *app) stop() error {
	err := errors.Join(a.stopServers(), a.closeStore())
	if a.removeInfo != nil {
		err = errors.Join(err, a.removeInfo())
	}
	if err != nil {
		a.log.Error("serve shutdown", "err", err)
	}
	return err
}

// stopServers stops SSH and the gateway at the same time.
func (a *app) stopServers() error {
	var sshErr, httpErr error
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); sshErr = a.stopSSH() }()
	go func() { defer wg.Done(); httpErr = a.stopGateway() }()
	wg.Wait()
	return errors.Join(sshErr, httpErr)
}

// closeStore closes the database, if it was opened.
func (a *app) closeStore() error {
	if a.store == nil {
		return nil
	}
	if err := a.store.Close(); err != nil {
		return fmt.Errorf("close the database: %w", err)
	}
	return nil
}

// stopSSH tells every session and closes the SSH server. Sessions that
// outlive the wait are closed and logged, but are no failure of the
// shutdown: nothing of theirs is lost from the database.
func (a *app) stopSSH() error {
	if !a.serving {
		if a.sshLn != nil {
			return a.sshLn.Close()
		}
		return nil
	}
	if a.ssh == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), sshShutdownTimeout)
	defer cancel()
	err := a.ssh.Shutdown(ctx)
	if errors.Is(err, sshd.ErrSessionsOpen) {
		a.log.Warn("ssh sessions closed without waiting further", "err", err)
		return nil
	}
	return err
}

// stopGateway finishes in-flight requests, then flushes the charges.
func (a *app) stopGateway() error {
	ctx, cancel := context.WithTimeout(context.Background(), a.opts.drainTimeout)
	defer cancel()
	var errs []error
	switch {
	case a.serving && a.http != nil:
		if err := a.http.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("gateway shutdown: %w", err))
		}
	case a.httpLn != nil:
		errs = append(errs, a.httpLn.Close())
	}
	if a.gw != nil {
		if err := a.gw.Close(ctx); err != nil {
			errs = append(errs, fmt.Errorf("gateway charges: %w", err))
		}
	}
	return errors.Join(errs...)
}
