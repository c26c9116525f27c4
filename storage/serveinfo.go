package storage

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// serveInfoSuffix is added to the database file's name for the file that
// a running `keyward serve` writes beside it (keyward.db.serve), so that
// local commands on that database can point at the server.
const serveInfoSuffix = ".serve"

// ServeInfo says which database a running `keyward serve` holds and where
// it listens.
type ServeInfo struct {
	DB       string `json:"db"` // the database's absolute path
	PID      int    `json:"pid"`
	SSHAddr  string `json:"ssh_addr,omitempty"`
	HTTPAddr string `json:"http_addr,omitempty"`
}

// ServeInfoPath is the serve-info file for the database at dbPath: the
// database's own file name with ".serve" added, beside it, so that each
// database in a directory has its own.
func ServeInfoPath(dbPath string) string {
	return filepath.Clean(dbPath) + serveInfoSuffix
}

// WriteServeInfo writes info as JSON (mode 0600) beside the database at
// dbPath, replacing any older file atomically. It sets info.DB to the
// database's absolute path. remove deletes the file again, unless another
// process has replaced it meanwhile; call it on shutdown.
func WriteServeInfo(dbPath string, info ServeInfo) (remove func() error, err error) {
	path := ServeInfoPath(dbPath)
	if info.DB, err = canonicalDB(dbPath); err != nil {
		return nil, fmt.Errorf("write serve info %s: %w", path, err)
	}
	raw, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode serve info %s: %w", path, err)
	}
	if err := replaceFile(path, append(raw, '\n')); err != nil {
		return nil, fmt.Errorf("write serve info %s: %w", path, err)
	}
	return func() error { return removeServeInfo(path, info.PID) }, nil
}

// canonicalDB is the absolute path of the database at dbPath, with
// symbolic links in its directory resolved when it exists, so that two
// spellings of one file compare equal.
func canonicalDB(dbPath string) (string, error) {
	abs, err := filepath.Abs(dbPath)
	if err != nil {
		return "", fmt.Errorf("absolute path of %s: %w", dbPath, err)
	}
	if dir, err := filepath.EvalSymlinks(filepath.Dir(abs)); err == nil {
		abs = filepath.Join(dir, filepath.Base(abs))
	}
	return abs, nil
}

// replaceFile writes data to a temporary file (0600) beside path and
// renames it over path, so that readers never see half a file.
func replaceFile(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	_, err = tmp.Write(data)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
	}
	return err
}

// removeServeInfo deletes path if it still names pid.
func removeServeInfo(path string, pid int) error {
	cur, ok := readServeFile(path)
	if !ok || cur.PID != pid {
		return nil
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove serve info %s: %w", path, err)
	}
	return nil
}

// ReadServeInfo reads the serve-info file of the database at dbPath. It
// reports false when there is none, it is unreadable, it names another
// database (a copied or renamed file), or the process it names is no
// longer running (a server that crashed leaves a stale file).
func ReadServeInfo(dbPath string) (ServeInfo, bool) {
	info, ok := readServeFile(ServeInfoPath(dbPath))
	if !ok || !processAlive(info.PID) {
		return ServeInfo{}, false
	}
	want, err := canonicalDB(dbPath)
	if err != nil || info.DB != want {
		return ServeInfo{}, false
	}
	return info, true
}

func readServeFile(path string) (ServeInfo, bool) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return ServeInfo{}, false
	}
	var info ServeInfo
	if json.Unmarshal(raw, &info) != nil || info.PID <= 0 {
		return ServeInfo{}, false
	}
	return info, true
}

// processAlive reports whether a process with pid exists (signal 0; a
// process owned by another user counts as alive).
func processAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
