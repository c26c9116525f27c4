package storage

import (
	"errors"
	"time"
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

// DB is the bbolt implementation of Store.
type DB struct{}

// Open opens or creates the database at path. STUB: being written.
func Open(path string, opts Options) (*DB, error) {
	return nil, errors.New("storage.Open: not implemented yet")
}
