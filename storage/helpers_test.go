package storage

import (
	"crypto/sha256"
	"os"
	"path/filepath"
	"testing"
	"time"

	"keyward/keys"
	"keyward/model"
)

// fakeClock is a settable clock for tests.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

// testPath returns a database path in a new temporary directory.
func testPath(t testing.TB) string {
	t.Helper()
	return filepath.Join(t.TempDir(), "data", "keyward.db")
}

// openTest opens a store at a new temporary path, with the master key
// environment variable cleared, and closes it at the end of the test.
func openTest(t testing.TB) *DB {
	t.Helper()
	return openAt(t, testPath(t))
}

func openAt(t testing.TB, path string) *DB {
	t.Helper()
	t.Setenv(EnvMasterKey, "")
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// mustCreate creates a token named name with a $10 limit.
func mustCreate(t testing.TB, db *DB, name string) model.Token {
	t.Helper()
	tok, err := db.Create("tester", model.Spec{Name: name, Limit: 10 * model.Dollar})
	if err != nil {
		t.Fatalf("Create(%q): %v", name, err)
	}
	if !keys.LooksValid(tok.Key) {
		t.Fatalf("Create(%q) key %s does not look valid", name, keys.Mask(tok.Key))
	}
	return tok
}

// fileSum returns the SHA-256 of a file's bytes.
func fileSum(t testing.TB, path string) [32]byte {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(raw)
}
