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
	absent   bool   // no file yet: Open makes one
	fresh    bool   // no Keyward data yet: Open initialises it
	schema   uint64 // schema version written in the meta bucket
	keyCheck []byte // check value of the master key
}

// inspect looks at the file at path read-only. A missing file is fresh
// and absent. An empty file, or a bbolt file with no buckets, is fresh
// only while the master key at keyPath does not exist either (a first run
// that stopped early); beside an existing key it is a damaged database.
// Anything else must be a consistent bbolt file with Keyward's meta
// bucket, every bucket its schema needs, and a schema this build
// understands.
func inspect(path, keyPath string, timeout time.Duration) (fileInfo, error) {
	size, err := fileSize(path)
	switch {
	case err != nil:
		return fileInfo{}, err
	case size < 0:
		return fileInfo{absent: true, fresh: true}, nil
	case size == 0 && keyExists(keyPath):
		return fileInfo{}, emptyError(path, keyPath, "the file is empty (truncated?)")
	case size == 0:
		return fileInfo{fresh: true}, nil
	}
	info, err := inspectData(path, timeout)
	if err == nil && info.fresh && keyExists(keyPath) {
		return fileInfo{}, emptyError(path, keyPath,
			"it is a bbolt file with no buckets at all (truncated or wiped?)")
	}
	return info, err
}

// inspectData checks a non-empty file through and reads its meta bucket.
func inspectData(path string, timeout time.Duration) (fileInfo, error) {
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

// emptyError refuses a database with no data beside an existing master
// key: Keyward never leaves such a file itself, so data was lost.
func emptyError(path, keyPath, what string) error {
	return fmt.Errorf("%s: %w: %s, yet its master key %s exists; restore the "+
		"database from a backup, or delete it to start over", path, ErrCorrupt, what, keyPath)
}

// keyExists reports whether something is at keyPath. A file that cannot
// be looked at counts as existing, so that doubt never makes Open treat a
// damaged database as new.
func keyExists(keyPath string) bool {
	_, err := os.Stat(keyPath)
	return !errors.Is(err, fs.ErrNotExist)
}

// fileSize is the size of the file at path, -1 when there is none.
func fileSize(path string) (int64, error) {
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return -1, nil
	case err != nil:
		return 0, fmt.Errorf("database %s: %w", path, err)
	case st.IsDir():
		return 0, fmt.Errorf("%s: %w: it is a directory", path, ErrCorrupt)
	}
	return st.Size(), nil
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

// readMeta reads the meta bucket and checks that the buckets its schema
// needs exist. A file with no buckets at all is reported fresh; inspect
// decides whether that is a first run that stopped early.
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
	if err := checkBuckets(path, tx, schema); err != nil {
		return fileInfo{}, err
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
