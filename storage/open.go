package storage

import (
	"crypto/cipher"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Options tune Open.
type Options struct {
	// KeyPath is the master key file; "" means MasterKeyPath(path).
	KeyPath string
	// LockTimeout is how long Open waits for another process's lock
	// before ErrLocked; 0 means one second.
	LockTimeout time.Duration
	// Clock gives the time for CreatedAt, UpdatedAt and audit events;
	// nil means time.Now.
	Clock func() time.Time
}

// defaultLockTimeout is how long Open waits for the file lock.
const defaultLockTimeout = time.Second

// DB is the bbolt implementation of Store. Open makes one; it is safe for
// concurrent use by many goroutines.
type DB struct {
	bolt       *bolt.DB
	path       string
	keyPath    string
	clock      func() time.Time
	aead       cipher.AEAD
	indexKey   []byte
	checkValue []byte
	warnings   []string
	hub        *hub
	gen        atomic.Uint64 // see Generation
}

var _ Store = (*DB)(nil)

// Open opens or creates the database at path.
//
// A new database gets its directory (0700), its file (0600), a master key
// file (0600) unless one exists already, the schema and the seeded model
// catalog; the file is built under a temporary name and linked into place
// whole, so that no other process sees it half made. An existing database
// is first checked read-only, so that a corrupt, foreign or newer file is
// refused without being modified, and it is written only when it needs a
// migration: opening a database to read it leaves its bytes alone. Errors
// wrap ErrLocked, ErrCorrupt, ErrTooNew, ErrMasterKey or ErrReadOnly and
// name the file involved.
func Open(path string, opts Options) (*DB, error) {
	if path == "" {
		return nil, errors.New("open database: empty path; pass --db PATH")
	}
	path = filepath.Clean(path)
	if opts.LockTimeout <= 0 {
		opts.LockTimeout = defaultLockTimeout
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.KeyPath == "" {
		opts.KeyPath = MasterKeyPath(path)
	}
	db := &DB{path: path, keyPath: opts.KeyPath, clock: opts.Clock, hub: newHub()}
	if err := db.open(opts); err != nil {
		return nil, err
	}
	return db, nil
}

// open runs the steps of Open in order.
func (db *DB) open(opts Options) error {
	warn, err := ensureDir(filepath.Dir(db.path))
	if err != nil {
		return err
	}
	db.warnings = append(db.warnings, warn...)
	info, err := inspect(db.path, db.keyPath, opts.LockTimeout)
	if err != nil {
		return err
	}
	if err := db.unlock(info); err != nil {
		return err
	}
	if info.absent {
		if err := db.create(opts.LockTimeout); err != nil {
			return err
		}
	}
	if err := db.openBolt(opts.LockTimeout); err != nil {
		return err
	}
	if err := db.prepare(); err != nil {
		_ = db.bolt.Close()
		return err
	}
	db.warnings = append(db.warnings, modeWarning(db.path, 0o600)...)
	return nil
}

// unlock loads (or for a fresh database makes) the master key and checks
// it against the database's check value.
func (db *DB) unlock(info fileInfo) error {
	master, warn, err := loadOrCreateMasterKey(db.keyPath, db.path, info.fresh)
	if err != nil {
		return err
	}
	db.warnings = append(db.warnings, warn...)
	db.setKeys(master)
	if !info.fresh && !db.checkValueMatches(info.keyCheck) {
		return db.wrongKey()
	}
	return nil
}

// openBolt opens the file read-write, creating it 0600 when absent.
func (db *DB) openBolt(timeout time.Duration) error {
	bdb, err := openBoltFile(db.path, &bolt.Options{Timeout: timeout})
	if err != nil {
		return err
	}
	db.bolt = bdb
	return nil
}

// openError turns an error from opening the file into one of the
// package's sentinels, naming the path and what to do.
func openError(path string, err error) error {
	switch {
	case errors.Is(err, ErrCorrupt):
		return err
	case errors.Is(err, berrors.ErrTimeout):
		return fmt.Errorf("%s: %w; close the console, server or script using it, "+
			"or pass --db for another file", path, ErrLocked)
	case errors.Is(err, berrors.ErrInvalid):
		return fmt.Errorf("%s: %w: it has no valid bbolt header (not a Keyward "+
			"database, or truncated); restore it from a backup or pass --db", path, ErrCorrupt)
	case errors.Is(err, berrors.ErrChecksum), errors.Is(err, berrors.ErrVersionMismatch):
		return fmt.Errorf("%s: %w: its header is damaged (%v); restore it from a backup",
			path, ErrCorrupt, err)
	case isReadOnlyErr(err):
		return fmt.Errorf("%s: %w: %v (check the file's and directory's "+
			"permissions, or whether the disk is mounted read-only)", path, ErrReadOnly, err)
	}
	return fmt.Errorf("open database %s: %w", path, err)
}

// isReadOnlyErr reports whether err means the file system refused a write.
func isReadOnlyErr(err error) bool {
	return errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.EROFS) ||
		errors.Is(err, syscall.EACCES) || errors.Is(err, syscall.EPERM)
}

// ensureDir creates dir 0700 if it is absent. An existing directory is
// left alone; a loose mode is reported as a warning.
func ensureDir(dir string) ([]string, error) {
	st, err := os.Stat(dir)
	if err == nil {
		if !st.IsDir() {
			return nil, fmt.Errorf("database directory %s is not a directory", dir)
		}
		return modeWarning(dir, 0o700), nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("database directory %s: %w", dir, err)
	}
	return nil, mkdirPrivate(dir)
}

// mkdirPrivate creates dir and its parents, mode 0700.
func mkdirPrivate(dir string) error {
	err := os.MkdirAll(dir, 0o700)
	if err != nil && isReadOnlyErr(err) {
		return fmt.Errorf("create %s: %w: %v", dir, ErrReadOnly, err)
	}
	if err != nil {
		return fmt.Errorf("create database directory %s: %w", dir, err)
	}
	return nil
}

// modeWarning says so when path grants more than want allows.
func modeWarning(path string, want fs.FileMode) []string {
	st, err := os.Stat(path)
	if err != nil {
		return nil
	}
	if st.IsDir() && st.Mode()&fs.ModeSticky != 0 {
		return []string{fmt.Sprintf("%s is a shared directory (like /tmp); "+
			"keep the database and its master key in a private directory, "+
			"such as the default one", path)}
	}
	if extra := st.Mode().Perm() &^ want; extra != 0 {
		return []string{fmt.Sprintf("%s has mode %04o, more open than %04o; "+
			"run chmod %o %s", path, st.Mode().Perm(), want, want, path)}
	}
	return nil
}

// Path is the database file's path.
func (db *DB) Path() string { return db.path }

// KeyPath is the master key file's path.
func (db *DB) KeyPath() string { return db.keyPath }

// Warnings lists problems found at Open that do not stop Keyward, such as
// a database or key file that other users can read. Open changes no
// existing file's mode; it only reports.
func (db *DB) Warnings() []string {
	return append([]string(nil), db.warnings...)
}

// Close releases the database. Subscribers' channels are closed. Calling
// Close again does nothing.
func (db *DB) Close() error {
	db.hub.close()
	if err := db.bolt.Close(); err != nil {
		return fmt.Errorf("close %s: %w", db.path, err)
	}
	return nil
}
