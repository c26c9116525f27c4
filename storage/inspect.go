package storage

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime/debug"
	"time"

	bolt "go.etcd.io/bbolt"
)

// fileInfo is what inspect learns about a database file before it is
// opened for writing.
type fileInfo struct {
	fresh    bool   // no Keyward data yet: Open initialises it
	schema   uint64 // schema version written in the meta bucket
	keyCheck []byte // check value of the master key
}

// inspect looks at the file at path read-only. A file that does not exist
// or is empty is fresh; anything else must be a consistent bbolt file with
// Keyward's meta bucket and a schema this build understands.
func inspect(path string, timeout time.Duration) (fileInfo, error) {
	if fresh, err := isNewFile(path); fresh || err != nil {
		return fileInfo{fresh: fresh}, err
	}
	bdb, err := openReadOnly(path, timeout)
	if err != nil {
		return fileInfo{}, err
	}
	defer func() { _ = bdb.Close() }()
	if err := verifyFile(path, bdb); err != nil {
		return fileInfo{}, err
	}
	var info fileInfo
	err = protect(path, func() error {
		return bdb.View(func(tx *bolt.Tx) error {
			var err error
			info, err = readMeta(path, tx)
			return err
		})
	})
	return info, err
}

// isNewFile reports whether path is absent or empty: a database to make.
func isNewFile(path string) (bool, error) {
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return true, nil
	case err != nil:
		return false, fmt.Errorf("database %s: %w", path, err)
	case st.IsDir():
		return false, fmt.Errorf("%s: %w: it is a directory", path, ErrCorrupt)
	}
	return st.Size() == 0, nil
}

// openReadOnly opens path with a shared lock, turning bbolt's errors and
// panics into the package's sentinels.
func openReadOnly(path string, timeout time.Duration) (*bolt.DB, error) {
	return openBoltFile(path, &bolt.Options{ReadOnly: true, Timeout: timeout})
}

// openBoltFile opens path with bbolt (creating it 0600 unless read-only),
// turning its errors and panics into the package's sentinels.
func openBoltFile(path string, opts *bolt.Options) (*bolt.DB, error) {
	var bdb *bolt.DB
	err := protect(path, func() error {
		var err error
		bdb, err = bolt.Open(path, 0o600, opts)
		return err
	})
	if err != nil {
		return nil, openError(path, err)
	}
	return bdb, nil
}

// readMeta reads the meta bucket. A file with no buckets at all is a
// database whose first run stopped before its first transaction: fresh.
func readMeta(path string, tx *bolt.Tx) (fileInfo, error) {
	meta := tx.Bucket(bucketMeta)
	if meta == nil {
		if noBuckets(tx) {
			return fileInfo{fresh: true}, nil
		}
		return fileInfo{}, fmt.Errorf("%s: %w: it is a bbolt file but not a Keyward "+
			"database (no meta bucket)", path, ErrCorrupt)
	}
	if !bytes.Equal(meta.Get(metaMagic), magicValue) {
		return fileInfo{}, fmt.Errorf("%s: %w: the meta bucket has no Keyward marker",
			path, ErrCorrupt)
	}
	raw := meta.Get(metaSchema)
	if len(raw) != 8 {
		return fileInfo{}, fmt.Errorf("%s: %w: the schema version is missing", path, ErrCorrupt)
	}
	schema := binary.BigEndian.Uint64(raw)
	if schema > currentSchema {
		return fileInfo{}, fmt.Errorf("%s: %w: schema version %d, this Keyward "+
			"understands up to %d; upgrade Keyward", path, ErrTooNew, schema, currentSchema)
	}
	check := meta.Get(metaKeyCheck)
	if len(check) != checkLen {
		return fileInfo{}, fmt.Errorf("%s: %w: the master key check value is missing",
			path, ErrCorrupt)
	}
	return fileInfo{schema: schema, keyCheck: bytes.Clone(check)}, nil
}

// noBuckets reports whether the file has no buckets at all.
func noBuckets(tx *bolt.Tx) bool {
	k, _ := tx.Cursor().First()
	return k == nil
}

// protect runs fn, turning a panic or a memory fault (a page beyond the
// end of a truncated file, say) into ErrCorrupt naming path.
func protect(path string, fn func() error) (err error) {
	old := debug.SetPanicOnFault(true)
	defer debug.SetPanicOnFault(old)
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%s: %w: %v", path, ErrCorrupt, r)
		}
	}()
	return fn()
}
