package cli

import (
	"errors"
	"fmt"
	"net"
	"strings"

	"keyward/storage"
)

// dbPath is --db, else KEYWARD_DB, else the default path, made absolute
// so that messages name the file unambiguously.
func (p program) dbPath() (string, error) { return storage.ResolvePath(p.g.db) }

// open opens the database, first checking for a running serve so that the
// user hears about it at once instead of after the lock wait. Every
// failure is one sentence that names the file and what to do.
func (p program) open() (*storage.DB, error) {
	path, err := p.dbPath()
	if err != nil {
		return nil, err
	}
	if info, ok := storage.ReadServeInfo(path); ok {
		return nil, serveRunning(info)
	}
	db, err := storage.Open(path, storage.Options{})
	if err != nil {
		p.log.Error("open database", "path", path, "err", err)
		return nil, openMessage(path, err)
	}
	for _, w := range db.Warnings() {
		printError(p.stderr, "warning: "+w)
	}
	return db, nil
}

// serveRunning is the error when keyward serve holds the database.
func serveRunning(info storage.ServeInfo) error {
	if host, port, err := net.SplitHostPort(info.SSHAddr); err == nil && port != "" {
		// Name the host as serve's banner does, so that ssh keeps one
		// known_hosts entry for it.
		if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
			host = "localhost"
		}
		return fmt.Errorf("keyward serve is running on this database; "+
			"connect with ssh -p %s %s", port, host)
	}
	return fmt.Errorf("keyward serve is running on this database with the gateway "+
		"only (process %d); commands must wait until it stops, or start serve "+
		"with --ssh and run them over SSH", info.PID)
}

// openMessage turns an error from storage.Open into one sentence. The
// storage errors already name the file and the cause; this leads with
// what happened.
func openMessage(path string, err error) error {
	if errors.Is(err, storage.ErrLocked) {
		return fmt.Errorf("the database %s is in use by another Keyward process; "+
			"close that console, server or script and try again", path)
	}
	for _, c := range []struct {
		sentinel error
		lead     string
	}{
		{storage.ErrCorrupt, "cannot open the database, it is damaged or not Keyward's"},
		{storage.ErrTooNew, "cannot open the database, a newer Keyward wrote it"},
		{storage.ErrMasterKey, "cannot open the database, its master key is missing or wrong"},
		{storage.ErrReadOnly, "cannot open the database for writing"},
	} {
		if errors.Is(err, c.sentinel) {
			return &leadError{lead: c.lead, detail: dropSentinel(err, c.sentinel), err: err}
		}
	}
	return fmt.Errorf("cannot open the database: %w", err)
}

// leadError is an open failure told in words: what happened, then the
// storage error's detail. It unwraps to the storage error.
type leadError struct {
	lead, detail string
	err          error
}

// Error returns "lead: detail".
func (e *leadError) Error() string { return e.lead + ": " + e.detail }

// Unwrap returns the storage error, so errors.Is still finds its sentinel.
func (e *leadError) Unwrap() error { return e.err }

// dropSentinel removes the sentinel's own text ("master key problem: ")
// from err's message: the lead already says it in words.
func dropSentinel(err, sentinel error) string {
	msg := err.Error()
	if rest, ok := strings.CutPrefix(msg, sentinel.Error()+": "); ok {
		return rest
	}
	return strings.Replace(msg, ": "+sentinel.Error()+": ", ": ", 1)
}
