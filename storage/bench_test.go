package storage

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	bolt "go.etcd.io/bbolt"

	"keyward/keys"
	"keyward/model"
)

// fixtures caches databases that are slow to build, one per size, for the
// whole test binary; TestMain removes them.
type fixtures struct {
	mu    sync.Mutex
	dir   string
	paths map[int]string
	keys  map[int][]string
}

var benchFixtures = &fixtures{paths: map[int]string{}, keys: map[int][]string{}}

func TestMain(m *testing.M) {
	code := m.Run()
	if benchFixtures.dir != "" {
		_ = os.RemoveAll(benchFixtures.dir)
	}
	os.Exit(code)
}

// fixture returns a closed database holding n tokens (and a sample of
// their keys), built once in big transactions.
func (f *fixtures) fixture(b *testing.B, n int) (string, []string) {
	b.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if p, ok := f.paths[n]; ok {
		return p, f.keys[n]
	}
	if f.dir == "" {
		dir, err := os.MkdirTemp("", "keyward-bench-")
		if err != nil {
			b.Fatal(err)
		}
		f.dir = dir
	}
	path := filepath.Join(f.dir, fmt.Sprint(n), "keyward.db")
	b.Setenv(EnvMasterKey, "")
	db, err := Open(path, Options{})
	if err != nil {
		b.Fatal(err)
	}
	sample := fillTokens(b, db, n)
	if err := db.Close(); err != nil {
		b.Fatal(err)
	}
	f.paths[n], f.keys[n] = path, sample
	return path, sample
}

// fillTokens creates n tokens in transactions of 10,000 and returns up to
// 1,000 of their keys.
func fillTokens(b testing.TB, db *DB, n int) []string {
	b.Helper()
	var sample []string
	spec := model.Spec{Name: "bench token", Limit: 25 * model.Dollar,
		Models: []string{"gpt-5", "claude-sonnet-4-5"}}
	for done := 0; done < n; {
		batch := min(10_000, n-done)
		err := db.update(func(tx *bolt.Tx) error {
			for range batch {
				key, err := keys.Generate()
				if err != nil {
					return err
				}
				if _, err := db.createIn(tx, "bench", spec, key); err != nil {
					return err
				}
				if len(sample) < 1000 {
					sample = append(sample, key)
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		done += batch
	}
	return sample
}

func openFixture(b *testing.B, n int) (*DB, []string) {
	b.Helper()
	src, sample := benchFixtures.fixture(b, n)
	raw, err := os.ReadFile(src)
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	path := filepath.Join(dir, "keyward.db")
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		b.Fatal(err)
	}
	db, err := Open(path, Options{KeyPath: MasterKeyPath(src)})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = db.Close() })
	return db, sample
}

func BenchmarkCreate(b *testing.B) {
	db := openTest(b)
	spec := model.Spec{Name: "bench", Limit: model.Dollar}
	b.ResetTimer()
	for b.Loop() {
		if _, err := db.Create("bench", spec); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFindByKey(b *testing.B) {
	db, sample := openFixture(b, 10_000)
	i := 0
	for b.Loop() {
		if _, err := db.FindByKey(sample[i%len(sample)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func BenchmarkCharge(b *testing.B) {
	db := openTest(b)
	tok := mustCreate(b, db, "bench")
	for b.Loop() {
		if _, err := db.Charge(tok.ID, model.Cent); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkChargeParallel(b *testing.B) {
	db := openTest(b)
	var ids []uint64
	for i := range 16 {
		ids = append(ids, mustCreate(b, db, fmt.Sprint("bench ", i)).ID)
	}
	var next sync.Mutex
	n := 0
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		next.Lock()
		id := ids[n%len(ids)]
		n++
		next.Unlock()
		for pb.Next() {
			if _, err := db.Charge(id, model.Cent); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkChargeBatch commits 100 charges over 16 tokens per op: the
// gateway's group commit.
func BenchmarkChargeBatch(b *testing.B) {
	db := openTest(b)
	var batch []Charge
	for i := range 16 {
		id := mustCreate(b, db, fmt.Sprint("bench ", i)).ID
		for range 100 / 16 {
			batch = append(batch, Charge{TokenID: id, Amount: model.Cent})
		}
	}
	for len(batch) < 100 {
		batch = append(batch, Charge{TokenID: batch[0].TokenID, Amount: 1})
	}
	b.ResetTimer()
	for b.Loop() {
		if err := db.ChargeBatch(batch); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkList100k(b *testing.B) {
	db, _ := openFixture(b, 100_000)
	for b.Loop() {
		list, err := db.List()
		if err != nil || len(list) != 100_000 {
			b.Fatalf("List: %d tokens, %v", len(list), err)
		}
	}
}

// BenchmarkOpen100k measures Open of a 100,000-token database, which
// checks the whole file structure first.
func BenchmarkOpen100k(b *testing.B) {
	src, _ := benchFixtures.fixture(b, 100_000)
	b.Setenv(EnvMasterKey, "")
	for b.Loop() {
		db, err := Open(src, Options{})
		if err != nil {
			b.Fatal(err)
		}
		if err := db.Close(); err != nil {
			b.Fatal(err)
		}
	}
}
