package storage

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"
)

// create builds a new database (schema and seeded catalog) under a
// temporary name beside db.path and links it into place whole, so that
// another process never finds an empty or half-made file there. When
// another process linked its own first, that one is kept: both were made
// with the same master key. On a file system without hard links, nothing
// is made here and Open initialises the file in place.
func (db *DB) create(timeout time.Duration) error {
	tmp, err := emptyTemp(db.path)
	if err != nil {
		return createError(db.path, err)
	}
	defer func() { _ = os.Remove(tmp) }()
	if err := db.build(tmp, timeout); err != nil {
		return err
	}
	err = os.Link(tmp, db.path)
	switch {
	case err == nil:
		return syncDir(filepath.Dir(db.path))
	case errors.Is(err, fs.ErrExist), linkUnsupported(err):
		return nil
	}
	return createError(db.path, err)
}

// build initialises the bbolt file at tmp as a new Keyward database.
func (db *DB) build(tmp string, timeout time.Duration) error {
	bdb, err := openBoltFile(tmp, &bolt.Options{Timeout: timeout})
	if err != nil {
		return err
	}
	err = protect(tmp, func() error { return bdb.Update(db.prepareIn) })
	if cerr := bdb.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("close %s: %w", tmp, cerr)
	}
	return db.prepareError(err)
}

// createError explains a failure to make the database file at path.
func createError(path string, err error) error {
	if isReadOnlyErr(err) {
		return fmt.Errorf("create %s: %w: %v", path, ErrReadOnly, err)
	}
	return fmt.Errorf("create database %s: %w", path, err)
}

// emptyTemp makes an empty file (0600) beside path, named after it, and
// returns its name.
func emptyTemp(path string) (string, error) {
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*.tmp")
	if err != nil {
		return "", err
	}
	if err := f.Close(); err != nil {
		_ = os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}

// writeTemp writes data to a new file (0600) beside path, syncs it and
// returns its name.
func writeTemp(path string, data []byte) (string, error) {
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*.tmp")
	if err != nil {
		return "", err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}

// linkUnsupported reports whether os.Link failed because the file system
// has no hard links (FAT, some network and FUSE file systems).
func linkUnsupported(err error) bool {
	return errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.ENOTSUP) ||
		errors.Is(err, syscall.EOPNOTSUPP) || errors.Is(err, syscall.ENOSYS) ||
		errors.Is(err, syscall.EMLINK)
}

// syncDir flushes a directory's entries, so that a file linked into it
// survives a crash. File systems that cannot sync a directory are let be.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, syscall.ENOTSUP) {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	return nil
}
