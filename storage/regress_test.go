package storage

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"keyward/model"
)

func TestServeInfoIsPerDatabase(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.db"), filepath.Join(dir, "b.db")
	if got := ServeInfoPath(a); got != a+".serve" {
		t.Errorf("ServeInfoPath(%s) = %s, want %s.serve", a, got, a)
	}
	remove, err := WriteServeInfo(a, ServeInfo{PID: os.Getpid(), SSHAddr: "127.0.0.1:1"})
	mustDo(t, err)
	defer func() { mustDo(t, remove()) }()
	got, ok := ReadServeInfo(a)
	want, err := canonicalDB(a)
	mustDo(t, err)
	if !ok || got.DB != want || !filepath.IsAbs(got.DB) || got.SSHAddr != "127.0.0.1:1" {
		t.Errorf("ReadServeInfo(a.db) = %+v %t; want DB %s", got, ok, want)
	}
	if got, ok := ReadServeInfo(b); ok {
		t.Errorf("a serve on a.db is reported for b.db: %+v", got)
	}
	// A serve-info file copied beside another database names a.db: no.
	raw, err := os.ReadFile(ServeInfoPath(a))
	mustDo(t, err)
	mustDo(t, os.WriteFile(ServeInfoPath(b), raw, 0o600))
	if got, ok := ReadServeInfo(b); ok {
		t.Errorf("serve info naming a.db is reported for b.db: %+v", got)
	}
	t.Chdir(dir)
	if _, ok := ReadServeInfo("a.db"); !ok {
		t.Error("a relative path to a.db does not find its serve info")
	}
}

func TestServeInfoWithoutDatabaseIsIgnored(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keyward.db")
	raw, err := json.Marshal(ServeInfo{PID: os.Getpid()})
	mustDo(t, err)
	mustDo(t, os.WriteFile(ServeInfoPath(path), raw, 0o600))
	if got, ok := ReadServeInfo(path); ok {
		t.Errorf("serve info naming no database was reported: %+v", got)
	}
}

// closedDB makes a closed database with a token, a charge, a price and
// an audit log, and returns its path and the token.
func closedDB(t *testing.T) (string, model.Token) {
	t.Helper()
	path := testPath(t)
	db := openAt(t, path)
	tok := mustCreate(t, db, "reader")
	_, err := db.Charge(tok.ID, 5*model.Cent)
	mustDo(t, err)
	mustDo(t, db.SetPrice("me", "gpt-5", &model.Price{Input: 1, Output: 2}))
	mustDo(t, db.Close())
	return path, tok
}

func TestReadingLeavesTheFileUnchanged(t *testing.T) {
	path, tok := closedDB(t)
	before := fileSum(t, path)
	db, err := Open(path, Options{})
	mustDo(t, err)
	_, err = db.List()
	mustDo(t, err)
	_, err = db.Get(tok.ID)
	mustDo(t, err)
	_, err = db.FindByKey(tok.Key)
	mustDo(t, err)
	_, err = db.Models()
	mustDo(t, err)
	_, err = db.Audit(AuditFilter{})
	mustDo(t, err)
	_, err = db.DailySpend(tok.ID, 7, time.Now())
	mustDo(t, err)
	var buf bytes.Buffer
	_, err = db.Backup(&buf)
	mustDo(t, err)
	mustDo(t, db.Close())
	if fileSum(t, path) != before {
		t.Error("opening, reading and closing the database changed its bytes")
	}
}

// emptyBesideKey returns a database path whose master key file exists.
func emptyBesideKey(t *testing.T) string {
	t.Helper()
	path, _ := sealedDB(t)
	mustDo(t, os.Remove(path))
	return path
}

func TestEmptyFileBesideAKeyIsRefused(t *testing.T) {
	cases := []struct {
		name string
		make func(t *testing.T, path string)
	}{
		{"zero bytes", func(t *testing.T, path string) {
			mustDo(t, os.WriteFile(path, nil, 0o600))
		}},
		{"bbolt file with no buckets", func(t *testing.T, path string) {
			bdb, err := bolt.Open(path, 0o600, nil)
			mustDo(t, err)
			mustDo(t, bdb.Close())
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := emptyBesideKey(t)
			c.make(t, path)
			before := fileSum(t, path)
			db, err := Open(path, Options{})
			if err == nil {
				_ = db.Close()
				t.Fatal("Open set up an empty file beside an existing master key")
			}
			if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), path) ||
				!strings.Contains(err.Error(), "backup") {
				t.Errorf("Open: %v; want ErrCorrupt naming %s and a backup", err, path)
			}
			if fileSum(t, path) != before {
				t.Error("the file's bytes changed")
			}
		})
	}
}

func TestMissingBucketsAreRefusedUnchanged(t *testing.T) {
	for _, name := range requiredBuckets(currentSchema) {
		t.Run(string(name), func(t *testing.T) {
			path, _ := sealedDB(t)
			bdb, err := bolt.Open(path, 0o600, nil)
			mustDo(t, err)
			mustDo(t, bdb.Update(func(tx *bolt.Tx) error { return tx.DeleteBucket(name) }))
			mustDo(t, bdb.Close())
			before := fileSum(t, path)
			db, err := Open(path, Options{})
			if err == nil {
				_ = db.Close()
				t.Fatal("Open succeeded without the bucket")
			}
			if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), path) ||
				!strings.Contains(err.Error(), string(name)) {
				t.Errorf("Open: %v; want ErrCorrupt naming %s and %s", err, path, name)
			}
			if fileSum(t, path) != before {
				t.Error("the file's bytes changed")
			}
		})
	}
}

func TestParallelKeyCreationSeesWholeKeys(t *testing.T) {
	for range 100 {
		dir := t.TempDir()
		keyPath := filepath.Join(dir, "keyward.key")
		var wg sync.WaitGroup
		got := make([][]byte, 8)
		errs := make([]error, len(got))
		for i := range got {
			wg.Go(func() {
				got[i], _, errs[i] = loadOrCreateMasterKey(keyPath, dir+"/k.db", true)
			})
		}
		wg.Wait()
		for i := range got {
			if errs[i] != nil {
				t.Fatalf("goroutine %d: %v", i, errs[i])
			}
			if !bytes.Equal(got[i], got[0]) {
				t.Fatalf("goroutine %d got a different master key", i)
			}
		}
		if leftovers, _ := filepath.Glob(filepath.Join(dir, "*.tmp*")); len(leftovers) != 0 {
			t.Fatalf("temporary files left: %q", leftovers)
		}
	}
}

func TestParallelOpensOnAFreshPath(t *testing.T) {
	t.Setenv(EnvMasterKey, "")
	for range 20 {
		path := testPath(t)
		var wg sync.WaitGroup
		errs := make([]error, 6)
		for i := range errs {
			wg.Go(func() {
				db, err := Open(path, Options{LockTimeout: time.Minute})
				if err == nil {
					_, err = db.List()
					err = errors.Join(err, db.Close())
				}
				errs[i] = err
			})
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("Open %d of a fresh path: %v", i, err)
			}
		}
		mustDo(t, Check(path))
	}
}

// damage rewrites raw values in a closed database.
func damage(t *testing.T, path string, bucket, key, value []byte) {
	t.Helper()
	bdb, err := bolt.Open(path, 0o600, nil)
	mustDo(t, err)
	mustDo(t, bdb.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucket).Put(key, value)
	}))
	mustDo(t, bdb.Close())
}

func TestDamagedRecordErrorsNameThePath(t *testing.T) {
	path, tok := closedDB(t)
	damage(t, path, bucketTokens, idBytes(tok.ID), []byte{recordFormat, 0, 1})
	damage(t, path, bucketAudit, idBytes(1), []byte("{not json"))
	damage(t, path, bucketModels, []byte("gpt-5"), []byte{9})
	db := openAt(t, path)
	calls := map[string]func() error{
		"List":      func() error { return second(db.List()) },
		"Get":       func() error { return second(db.Get(tok.ID)) },
		"FindByKey": func() error { return second(db.FindByKey(tok.Key)) },
		"Charge":    func() error { return second(db.Charge(tok.ID, 1)) },
		"Update": func() error {
			return second(db.Update("me", tok.ID, 1, model.Changes{Name: ptr("x")}))
		},
		"Audit":    func() error { return second(db.Audit(AuditFilter{})) },
		"Models":   func() error { return second(db.Models()) },
		"SetPrice": func() error { return db.SetPrice("me", "gpt-5", nil) },
	}
	for name, call := range calls {
		err := call()
		t.Logf("%s: %v", name, err)
		if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: %v; want ErrCorrupt naming %s", name, err, path)
		}
		if strings.Count(err.Error(), path) > 1 {
			t.Errorf("%s: %v names the path twice", name, err)
		}
	}
}

func TestPriceCodecKeepsCachedZero(t *testing.T) {
	prices := []*model.Price{
		nil,
		{Input: 3, Output: 4},
		{Input: 3, Output: 4, CachedInput: new(model.Money(0))},
		{Input: model.MaxMoney, Output: 0, CachedInput: new(model.Money(7))},
	}
	for _, p := range prices {
		raw := encodePrice(p)
		got, err := decodePrice(raw)
		if err != nil || !reflect.DeepEqual(got, p) {
			t.Errorf("round trip of %+v = %+v, %v", p, got, err)
		}
		for n := 1; n < len(raw); n++ {
			if _, err := decodePrice(raw[:n]); !errors.Is(err, errPrice) {
				t.Errorf("%+v cut to %d bytes: %v", p, n, err)
			}
		}
	}
	// Format 1, written before CachedInput could be told apart from unset.
	v1 := []byte{priceFormatV1, 6, 8, 0}
	if got, err := decodePrice(v1); err != nil || got.CachedInput != nil || got.Input != 3 {
		t.Errorf("format 1 without a cached price = %+v, %v", got, err)
	}
	v1[3] = 2
	if got, err := decodePrice(v1); err != nil || got.CachedInput == nil ||
		*got.CachedInput != 1 {
		t.Errorf("format 1 with a cached price = %+v, %v", got, err)
	}
	if _, err := decodePrice([]byte{priceFormat, 0x80, 6, 8}); !errors.Is(err, errPrice) {
		t.Errorf("unknown price flags: %v", err)
	}
}

func TestCachedPriceZeroIsStoredAndAudited(t *testing.T) {
	db := openTest(t)
	free := &model.Price{Input: model.Dollar, Output: model.Dollar,
		CachedInput: new(model.Money(0))}
	mustDo(t, db.SetPrice("me", "gpt-5", &model.Price{Input: model.Dollar,
		Output: model.Dollar}))
	mustDo(t, db.SetPrice("me", "gpt-5", free))
	models, err := db.Models()
	mustDo(t, err)
	i := slices.IndexFunc(models, func(m model.CatalogModel) bool { return m.Name == "gpt-5" })
	if i < 0 || !reflect.DeepEqual(models[i].Price, free) {
		t.Fatalf("gpt-5 price = %+v", models[i].Price)
	}
	if cost := models[i].Price.Cost(model.Usage{Input: 1000, CachedInput: 1000}); cost != 0 {
		t.Errorf("cached tokens at a $0 cached price cost %d", cost)
	}
	events, err := db.Audit(AuditFilter{Limit: 1})
	mustDo(t, err)
	if len(events) != 1 || !strings.Contains(events[0].Changes[0].New, "cached input $0") {
		t.Errorf("the audit event does not show the $0 cached price: %+v", events)
	}
}
