package storage

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// view runs fn in a read transaction.
func (db *DB) view(fn func(tx *bolt.Tx) error) error {
	return db.txErr(protect(db.path, func() error { return db.bolt.View(fn) }))
}

// update runs fn in a write transaction.
func (db *DB) update(fn func(tx *bolt.Tx) error) error {
	return db.txErr(protect(db.path, func() error { return db.bolt.Update(fn) }))
}

// change runs fn in a write transaction and, when fn reports that it
// changed something and the transaction committed, bumps the generation
// (before the commit returns) and signals subscribers.
func (db *DB) change(fn func(tx *bolt.Tx) (bool, error)) error {
	return db.commitChange(fn, true)
}

// changeUsage is change for charges: subscribers are signalled, but the
// generation, which counts changes to configuration, is left alone.
func (db *DB) changeUsage(fn func(tx *bolt.Tx) (bool, error)) error {
	return db.commitChange(fn, false)
}

// commitChange is change, bumping the generation when bump is true.
func (db *DB) commitChange(fn func(tx *bolt.Tx) (bool, error), bump bool) error {
	changed := false
	err := db.update(func(tx *bolt.Tx) error {
		var err error
		changed, err = fn(tx)
		if err == nil && changed && bump {
			tx.OnCommit(func() { db.gen.Add(1) })
		}
		return err
	})
	if err == nil && changed {
		db.hub.notify()
	}
	return err
}

// Generation counts the committed changes to tokens and the catalog
// (charges excepted) since the store was opened. It is bumped before the
// writing call returns, so a cache that compares it with the generation
// it last read sees a change made by any caller in this process at once.
func (db *DB) Generation() uint64 { return db.gen.Load() }

// txErr names a closed store with ErrClosed, and names the database in
// an ErrCorrupt from a damaged record (a token, price or audit event),
// which is found without the path at hand, unless it already does.
func (db *DB) txErr(err error) error {
	switch {
	case errors.Is(err, berrors.ErrDatabaseNotOpen):
		return fmt.Errorf("%s: %w", db.path, ErrClosed)
	case errors.Is(err, ErrCorrupt) && !strings.Contains(err.Error(), db.path):
		return fmt.Errorf("%s: %w; restore the database from a backup", db.path, err)
	}
	return err
}

// now is the store's clock, cut to what the file keeps (nanoseconds, no
// monotonic reading), so that a returned value equals a re-read one.
func (db *DB) now() time.Time {
	return time.Unix(0, db.clock().UnixNano())
}

// Backup writes a consistent copy of the database, taken in one read
// transaction, and returns its size. The copy holds sealed keys only; it
// is useless without the master key file.
func (db *DB) Backup(w io.Writer) (int64, error) {
	var n int64
	err := db.view(func(tx *bolt.Tx) error {
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	if err != nil {
		return n, fmt.Errorf("back up %s: %w", db.path, err)
	}
	return n, nil
}

// hub fans change signals out to subscribers.
type hub struct {
	mu     sync.Mutex
	subs   map[uint64]chan struct{}
	next   uint64
	closed bool
}

func newHub() *hub { return &hub{subs: make(map[uint64]chan struct{})} }

// Subscribe returns a channel that receives a signal after each committed
// change, charges included. The channel has room for one signal, so
// signals coalesce: a slow reader sees one signal for several changes.
// cancel stops and closes the channel; calling it again does nothing.
// After Close the channel is closed.
func (db *DB) Subscribe() (<-chan struct{}, func()) {
	return db.hub.subscribe()
}

func (h *hub) subscribe() (<-chan struct{}, func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	ch := make(chan struct{}, 1)
	if h.closed {
		close(ch)
		return ch, func() {}
	}
	id := h.next
	h.next++
	h.subs[id] = ch
	return ch, func() { h.cancel(id) }
}

func (h *hub) cancel(id uint64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if ch, ok := h.subs[id]; ok {
		delete(h.subs, id)
		close(ch)
	}
}

// notify signals every subscriber without blocking.
func (h *hub) notify() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, ch := range h.subs {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// close closes every subscriber's channel.
func (h *hub) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for id, ch := range h.subs {
		delete(h.subs, id)
		close(ch)
	}
}
