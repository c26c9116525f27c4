package storage

import (
	"fmt"
	"os"
	"path/filepath"
)

// Environment variables that move Keyward's files.
const (
	EnvDB        = "KEYWARD_DB"
	EnvMasterKey = "KEYWARD_MASTER_KEY_FILE"
)

// DefaultPath is the database path when neither --db nor KEYWARD_DB says
// otherwise: $XDG_DATA_HOME/keyward/keyward.db, else
// ~/.local/share/keyward/keyward.db.
func DefaultPath() (string, error) {
	if p := os.Getenv(EnvDB); p != "" {
		return p, nil
	}
	if dir := os.Getenv("XDG_DATA_HOME"); dir != "" && filepath.IsAbs(dir) {
		return filepath.Join(dir, "keyward", "keyward.db"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("find the default database: %w; pass --db PATH", err)
	}
	return filepath.Join(home, ".local", "share", "keyward", "keyward.db"), nil
}

// ResolvePath is the database a command should open: flagValue (--db)
// when set, else DefaultPath, made absolute so that messages name the
// file unambiguously.
func ResolvePath(flagValue string) (string, error) {
	path := flagValue
	if path == "" {
		var err error
		if path, err = DefaultPath(); err != nil {
			return "", err
		}
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("database path %s: %w", path, err)
	}
	return abs, nil
}

// MasterKeyPath is where the master key for the database at dbPath lives:
// KEYWARD_MASTER_KEY_FILE, else keyward.key beside the database.
func MasterKeyPath(dbPath string) string {
	if p := os.Getenv(EnvMasterKey); p != "" {
		return p
	}
	return filepath.Join(filepath.Dir(dbPath), "keyward.key")
}
