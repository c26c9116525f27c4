// Package storage keeps Keyward's tokens, model catalog and audit log.
//
// Store is what the console, the SSH server, the gateway and the scripts
// depend on; Open returns the bbolt implementation behind it.
package storage

import (
	"errors"
	"io"
	"time"

	"keyward/model"
)

// Sentinel errors. Each is wrapped with the path or ID that a person needs
// to act on, so test with errors.Is.
var (
	ErrNotFound  = errors.New("not found")
	ErrConflict  = errors.New("changed by someone else since it was read")
	ErrLocked    = errors.New("database is locked by another Keyward process")
	ErrCorrupt   = errors.New("not a usable Keyward database")
	ErrTooNew    = errors.New("database was written by a newer Keyward")
	ErrMasterKey = errors.New("master key problem")
	ErrReadOnly  = errors.New("database cannot be written")
	ErrClosed    = errors.New("store is closed")
)

// AuditFilter narrows Store.Audit.
type AuditFilter struct {
	TokenID uint64 // 0 means every token and catalog event
	Limit   int    // 0 means no limit
}

// Charge is one amount to add to a token's Used, at a time (for daily
// spend).
type Charge struct {
	TokenID uint64
	Amount  model.Money
	At      time.Time
}

// Store is Keyward's persistent state. Every method is one transaction and
// is safe for concurrent use. Methods that change something take the actor
// (a person or service name) recorded in the audit log.
type Store interface {
	// Path is the database file's path.
	Path() string
	// KeyPath is the master key file's path.
	KeyPath() string

	// Create makes a token with a new key, enabled.
	Create(actor string, spec model.Spec) (model.Token, error)
	// Get returns one token, ErrNotFound if there is none.
	Get(id uint64) (model.Token, error)
	// List returns every token, newest first, keys included.
	List() ([]model.Token, error)
	// Update applies changes if the token's Version is still version,
	// else returns ErrConflict.
	Update(actor string, id, version uint64, ch model.Changes) (model.Token, error)
	// SetEnabled enables or disables a token.
	SetEnabled(actor string, id uint64, enabled bool) (model.Token, error)
	// Delete removes a token and its key index entry.
	Delete(actor string, id uint64) error
	// FindByKey looks a token up by its full key. Malformed, unknown and
	// deleted keys give ErrNotFound.
	FindByKey(key string) (model.Token, error)
	// KeyHash is the index hash of a key (an HMAC under the master key);
	// caches use it so that they never hold keys.
	KeyHash(key string) [32]byte
	// Charge adds amount to a token's Used.
	Charge(id uint64, amount model.Money) (model.Token, error)
	// ChargeBatch applies many charges in one transaction. Charges for
	// tokens deleted meanwhile are dropped.
	ChargeBatch(charges []Charge) error
	// ChargeBatchDropped is ChargeBatch that also returns the IDs of the
	// tokens whose charges were dropped because they no longer exist.
	ChargeBatchDropped(charges []Charge) (dropped []uint64, err error)
	// DailySpend returns a token's spend for the last days UTC days,
	// oldest first, today last.
	DailySpend(id uint64, days int, now time.Time) ([]model.DaySpend, error)

	// Models lists the model catalog, sorted by name.
	Models() ([]model.CatalogModel, error)
	// AddModels adds names to the catalog; names already there are kept.
	AddModels(actor string, names ...string) error
	// RemoveModels removes names from the catalog. Allowlists that name
	// them are left alone.
	RemoveModels(actor string, names ...string) error
	// SetPrice sets (or with nil clears) a model's price, adding the model
	// to the catalog if needed.
	SetPrice(actor, name string, price *model.Price) error

	// Audit returns events newest first.
	Audit(f AuditFilter) ([]model.Event, error)

	// Subscribe returns a channel that receives a signal after each
	// committed change. Signals coalesce: a slow reader sees one signal
	// for several changes. cancel stops and closes the channel.
	Subscribe() (ch <-chan struct{}, cancel func())
	// Generation counts the committed changes to tokens and the catalog,
	// charges excepted, made through this store. It is raised before the
	// writing method returns, so a cache comparing it with the generation
	// it last read notices any change made in this process at once.
	Generation() uint64

	// Backup writes a consistent copy of the database, taken in one read
	// transaction, and returns its size.
	Backup(w io.Writer) (int64, error)

	// Close releases the database. Subscribers' channels are closed.
	Close() error
}
