package storage

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// populated copies a closed database with enough tokens, deletions,
// charges and events to span many pages (built in many transactions, so
// that the freelist is in use) into a new directory and returns its path.
func populated(t *testing.T, template string) string {
	t.Helper()
	path := testPath(t)
	mustDo(t, os.MkdirAll(filepath.Dir(path), 0o700))
	for _, p := range [][2]string{{template, path},
		{MasterKeyPath(template), MasterKeyPath(path)}} {
		raw, err := os.ReadFile(p[0])
		mustDo(t, err)
		mustDo(t, os.WriteFile(p[1], raw, 0o600))
	}
	return path
}

func buildTemplate(t *testing.T) string {
	t.Helper()
	path := testPath(t)
	db := openAt(t, path)
	var charges []Charge
	for i := range 20 {
		sample := fillTokens(t, db, 10)
		tok, err := db.FindByKey(sample[0])
		mustDo(t, err)
		charges = append(charges, Charge{TokenID: tok.ID, Amount: 1234})
		if i%4 == 0 {
			mustDo(t, db.Delete("me", tok.ID+1))
		}
	}
	mustDo(t, db.ChargeBatch(charges))
	mustDo(t, db.Close())
	return path
}

// corruptions damage a database file in place.
var corruptions = []struct {
	name string
	do   func(t *testing.T, path string)
}{
	{"random bytes from offset 8192 to the end", func(t *testing.T, path string) {
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		overwrite(t, path, 8192, int(st.Size()-8192))
	}},
	{"random page-sized patch at offset 8192 (or the first used page after)",
		func(t *testing.T, path string) {
			overwrite(t, path, usedPageFrom(t, path, 8192), 4096)
		}},
	{"random 64 bytes at offset 8192 (or the first used page after)",
		func(t *testing.T, path string) {
			overwrite(t, path, usedPageFrom(t, path, 8192), 64)
		}},
	{"leaf page claiming 65535 elements", func(t *testing.T, path string) {
		off := pageOfKind(t, path, flagLeaf)
		patch(t, path, off+10, []byte{0xff, 0xff})
	}},
	{"leaf element pointing outside its page", func(t *testing.T, path string) {
		off := pageOfKind(t, path, flagLeaf)
		patch(t, path, off+pageHeaderLen+4, []byte{0xff, 0xff, 0xff, 0x7f})
	}},
	{"branch page pointing to itself", func(t *testing.T, path string) {
		off := pageOfKind(t, path, flagBranch)
		id := make([]byte, 8)
		copy(id, readAt(t, path, off, 8))
		patch(t, path, off+pageHeaderLen+8, id)
	}},
	{"leaf page turned into a branch page", func(t *testing.T, path string) {
		off := pageOfKind(t, path, flagLeaf)
		patch(t, path, off+8, []byte{flagBranch, 0})
	}},
	{"meta pages with a bad checksum", func(t *testing.T, path string) {
		patch(t, path, pageHeaderLen+40, []byte{0xff, 0xff, 0xff})
		patch(t, path, 4096+pageHeaderLen+40, []byte{0xff, 0xff, 0xff})
	}},
	{"meta pages pointing past the end, checksums fixed", func(t *testing.T, path string) {
		for _, off := range []int64{0, 4096} {
			meta := readAt(t, path, off+pageHeaderLen, metaLen)
			binary.NativeEndian.PutUint64(meta[40:], 1<<20)
			binary.NativeEndian.PutUint64(meta[metaSumLen:], metaSum(meta))
			patch(t, path, off+pageHeaderLen, meta)
		}
	}},
	{"cut to half", func(t *testing.T, path string) {
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Truncate(path, st.Size()/2); err != nil {
			t.Fatal(err)
		}
	}},
	{"cut to 100 bytes", func(t *testing.T, path string) {
		if err := os.Truncate(path, 100); err != nil {
			t.Fatal(err)
		}
	}},
	{"a text file", func(t *testing.T, path string) {
		text := []byte("These are my notes, not a database.\n")
		if err := os.WriteFile(path, text, 0o600); err != nil {
			t.Fatal(err)
		}
	}},
	{"a bbolt file without the meta bucket", func(t *testing.T, path string) {
		if err := os.Remove(path); err != nil {
			t.Fatal(err)
		}
		bdb, err := bolt.Open(path, 0o600, nil)
		if err != nil {
			t.Fatal(err)
		}
		err = bdb.Update(func(tx *bolt.Tx) error {
			b, err := tx.CreateBucket([]byte("someone-else"))
			if err != nil {
				return err
			}
			return b.Put([]byte("k"), []byte("v"))
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := bdb.Close(); err != nil {
			t.Fatal(err)
		}
	}},
}

func overwrite(t *testing.T, path string, off int64, n int) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	junk := make([]byte, n)
	if _, err := rand.Read(junk); err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt(junk, off); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestCorruptFilesAreRefusedUnchanged(t *testing.T) {
	template := buildTemplate(t)
	mustDo(t, Check(template))
	for _, c := range corruptions {
		t.Run(c.name, func(t *testing.T) {
			path := populated(t, template)
			c.do(t, path)
			before := fileSum(t, path)
			db, err := Open(path, Options{})
			if err == nil {
				_ = db.Close()
				t.Fatal("Open succeeded on a damaged file")
			}
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Open: %v; want ErrCorrupt", err)
			}
			t.Logf("Open: %v", err)
			if !containsPath(err, path) {
				t.Errorf("error %q does not name %s", err, path)
			}
			if err := Check(path); !errors.Is(err, ErrCorrupt) {
				t.Errorf("Check: %v; want ErrCorrupt", err)
			}
			if fileSum(t, path) != before {
				t.Error("the file's bytes changed")
			}
			keyFile := filepath.Join(filepath.Dir(path), "keyward.key")
			if _, err := os.Stat(keyFile); err != nil {
				t.Errorf("key file: %v", err)
			}
		})
	}
}

// usedPageFrom returns off if the page there is in use, else the offset
// of the first used page after it, so that damage there matters.
func usedPageFrom(t *testing.T, path string, off int64) int64 {
	t.Helper()
	rep, err := rawCheck(path)
	if err != nil {
		t.Fatal(err)
	}
	ps := int64(rep.pageSize)
	for id := uint64(off / ps); id < rep.hwm; id++ {
		if rep.used[id] {
			if id != uint64(off/ps) {
				t.Logf("page at %d is free; damaging page %d instead", off, id)
			}
			return int64(id) * ps
		}
	}
	t.Fatal("no used page")
	return 0
}

// pageOfKind returns the offset of a tree page of the given type.
func pageOfKind(t *testing.T, path string, kind uint16) int64 {
	t.Helper()
	rep, err := rawCheck(path)
	if err != nil {
		t.Fatal(err)
	}
	for id := uint64(2); id < rep.hwm; id++ {
		if rep.kinds[id] == kind {
			return int64(id) * int64(rep.pageSize)
		}
	}
	t.Fatalf("no page of type %#x", kind)
	return 0
}

func patch(t *testing.T, path string, off int64, b []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func readAt(t *testing.T, path string, off int64, n int) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	b := make([]byte, n)
	if _, err := f.ReadAt(b, off); err != nil {
		t.Fatal(err)
	}
	return b
}

func containsPath(err error, path string) bool {
	return err != nil && strings.Contains(err.Error(), path)
}

func TestProtectTurnsPanicsAndFaultsIntoErrCorrupt(t *testing.T) {
	err := protect("/some.db", func() error {
		panic("assertion failed: page 7 has unexpected type") // as bbolt does
	})
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "/some.db") {
		t.Errorf("panic: %v; want ErrCorrupt naming the path", err)
	}
	// Reading a mapped page beyond the end of a file raises SIGBUS, as a
	// truncated bbolt file would.
	path := filepath.Join(t.TempDir(), "short")
	mustDo(t, os.WriteFile(path, make([]byte, 100), 0o600))
	f, err := os.Open(path)
	mustDo(t, err)
	defer func() { _ = f.Close() }()
	mem, err := syscall.Mmap(int(f.Fd()), 0, 3*os.Getpagesize(), syscall.PROT_READ,
		syscall.MAP_SHARED)
	mustDo(t, err)
	defer func() { _ = syscall.Munmap(mem) }()
	var sink byte
	err = protect(path, func() error {
		sink = mem[2*os.Getpagesize()]
		return nil
	})
	if !errors.Is(err, ErrCorrupt) {
		t.Errorf("fault: %v (read %d); want ErrCorrupt", err, sink)
	}
}
