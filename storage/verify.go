package storage

import (
	"encoding/binary"
	"fmt"
	"os"

	bolt "go.etcd.io/bbolt"
)

// verifyFile checks, read-only, that bdb (opened on path, whose shared
// lock keeps writers out meanwhile) is whole: first the file structure,
// read without bbolt, then every bucket and key through bbolt.
func verifyFile(path string, bdb *bolt.DB) error {
	if _, err := rawCheck(path); err != nil {
		return fmt.Errorf("%s: %w: %v", path, ErrCorrupt, err)
	}
	return protect(path, func() error {
		return bdb.View(func(tx *bolt.Tx) error {
			st, err := os.Stat(path)
			if err != nil {
				return fmt.Errorf("database %s: %w", path, err)
			}
			if tx.Size() > st.Size() {
				return fmt.Errorf("%s: %w: the file is %d bytes but its header says %d "+
					"(truncated?)", path, ErrCorrupt, st.Size(), tx.Size())
			}
			return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
				return walkBucket(b)
			})
		})
	})
}

// walkBucket reads every key and value of b and its nested buckets.
func walkBucket(b *bolt.Bucket) error {
	c := b.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if v == nil {
			if child := b.Bucket(k); child != nil {
				if err := walkBucket(child); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// Check opens the database at path read-only (waiting at most a second for
// another process's lock) and checks it through: the file structure, the
// Keyward meta bucket and schema, every token record and the key index.
// It needs no master key and changes nothing. Problems wrap ErrCorrupt,
// ErrTooNew or ErrLocked and name the path.
func Check(path string) error {
	size, err := fileSize(path)
	if err != nil {
		return err
	}
	if size <= 0 {
		return fmt.Errorf("check %s: %w: the file is missing or empty", path, ErrCorrupt)
	}
	bdb, err := openReadOnly(path, defaultLockTimeout)
	if err != nil {
		return err
	}
	defer func() { _ = bdb.Close() }()
	if err := verifyFile(path, bdb); err != nil {
		return err
	}
	return protect(path, func() error {
		return bdb.View(func(tx *bolt.Tx) error {
			info, err := readMeta(path, tx)
			if err != nil {
				return err
			}
			if info.fresh {
				return fmt.Errorf("%s: %w: no Keyward data in it", path, ErrCorrupt)
			}
			return checkRecords(path, tx)
		})
	})
}

// checkRecords decodes every token and checks that the key index and the
// token records point at each other one to one.
func checkRecords(path string, tx *bolt.Tx) error {
	if err := checkBuckets(path, tx, currentSchema); err != nil {
		return err
	}
	tokens := 0
	err := tx.Bucket(bucketTokens).ForEach(func(k, v []byte) error {
		tokens++
		if len(k) != 8 {
			return fmt.Errorf("%s: %w: token key %x", path, ErrCorrupt, k)
		}
		_, _, err := decodeRecord(binary.BigEndian.Uint64(k), v)
		if err != nil {
			return fmt.Errorf("%s: token %d: %w: %v", path,
				binary.BigEndian.Uint64(k), ErrCorrupt, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return checkIndex(path, tx, tokens)
}

// checkBuckets checks that every bucket the schema version needs is there.
func checkBuckets(path string, tx *bolt.Tx, schema uint64) error {
	for _, name := range requiredBuckets(schema) {
		if tx.Bucket(name) == nil {
			return fmt.Errorf("%s: %w: bucket %s is missing; restore the database "+
				"from a backup", path, ErrCorrupt, name)
		}
	}
	return nil
}

// checkIndex checks that every index entry names an existing token and
// that there is one entry per token.
func checkIndex(path string, tx *bolt.Tx, tokens int) error {
	seen := make(map[uint64]bool, tokens)
	toks := tx.Bucket(bucketTokens)
	err := tx.Bucket(bucketIndex).ForEach(func(k, v []byte) error {
		if len(k) != 32 || len(v) != 8 || toks.Get(v) == nil {
			return fmt.Errorf("%s: %w: index entry %x names no token", path, ErrCorrupt, k)
		}
		id := binary.BigEndian.Uint64(v)
		if seen[id] {
			return fmt.Errorf("%s: %w: token %d indexed twice", path, ErrCorrupt, id)
		}
		seen[id] = true
		return nil
	})
	if err == nil && len(seen) != tokens {
		err = fmt.Errorf("%s: %w: %d tokens but %d index entries", path, ErrCorrupt,
			tokens, len(seen))
	}
	return err
}
