package storage

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"keyward/keys"
	"keyward/model"
)

func TestFindByKey(t *testing.T) {
	db := openTest(t)
	tok := mustCreate(t, db, "findme")
	deleted := mustCreate(t, db, "deleted")
	mustDo(t, db.Delete("me", deleted.ID))
	unknown, err := keys.Generate()
	if err != nil {
		t.Fatal(err)
	}
	flipped := tok.Key[:10] + string(otherChar(tok.Key[10])) + tok.Key[11:]
	cases := []struct {
		name string
		key  string
		ok   bool
	}{
		{"stored", tok.Key, true},
		{"deleted", deleted.Key, false},
		{"unknown but well formed", unknown, false},
		{"one character changed", flipped, false},
		{"empty", "", false},
		{"prefix only", "sk-", false},
		{"other vendor's format", "sk-proj-" + strings.Repeat("a", 48), false},
		{"with a trailing newline", tok.Key + "\n", false},
	}
	for _, c := range cases {
		got, err := db.FindByKey(c.key)
		if c.ok {
			if err != nil || got.ID != tok.ID || got.Key != tok.Key {
				t.Errorf("%s: %d %v", c.name, got.ID, err)
			}
			continue
		}
		if !errors.Is(err, ErrNotFound) {
			t.Errorf("%s: %v, want ErrNotFound", c.name, err)
		}
		if len(c.key) > 8 && strings.Contains(err.Error(), c.key[3:len(c.key)-4]) {
			t.Errorf("%s: the error shows the key: %s", c.name, keys.Mask(c.key))
		}
	}
}

func otherChar(c byte) byte {
	if c == 'A' {
		return 'B'
	}
	return 'A'
}

func TestSecondOpenIsLocked(t *testing.T) {
	path := testPath(t)
	first := openAt(t, path)
	done := make(chan error, 1)
	start := time.Now()
	go func() {
		db, err := Open(path, Options{})
		if err == nil {
			_ = db.Close()
		}
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, ErrLocked) {
			t.Fatalf("second Open: %v, want ErrLocked", err)
		}
		if !strings.Contains(err.Error(), path) ||
			!strings.Contains(err.Error(), "another Keyward process") {
			t.Errorf("message %q should name the path and the other process", err)
		}
		// The issue asks for ErrLocked within 2 s; the lock timeout is 1 s.
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("ErrLocked after %v, want within 2s", d)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("second Open hangs")
	}
	if err := Check(path); !errors.Is(err, ErrLocked) {
		t.Errorf("Check while open: %v, want ErrLocked", err)
	}
	// The first store still works.
	mustCreate(t, first, "still fine")
}

func TestRawFileAndBackupHoldNoKey(t *testing.T) {
	path := testPath(t)
	db := openAt(t, path)
	var made []model.Token
	for i := range 50 {
		tok := mustCreate(t, db, "leak check")
		if i%2 == 0 {
			if _, err := db.Update("me", tok.ID, tok.Version,
				model.Changes{Name: ptr("renamed")}); err != nil {
				t.Fatal(err)
			}
		}
		made = append(made, tok)
	}
	var backup bytes.Buffer
	n, err := db.Backup(&backup)
	if err != nil || n != int64(backup.Len()) || n == 0 {
		t.Fatalf("Backup: %d bytes, buffer %d, %v", n, backup.Len(), err)
	}
	mustDo(t, db.Close())
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range made {
		body := []byte(tok.Key[len(keys.Prefix):])
		// Any 16 consecutive characters of a key would be a leak.
		for i := 0; i+16 <= len(body); i += 8 {
			if bytes.Contains(raw, body[i:i+16]) || bytes.Contains(backup.Bytes(), body[i:i+16]) {
				t.Fatalf("token %d: part of its key %s is in the file", tok.ID, keys.Mask(tok.Key))
			}
		}
	}
	// The backup is a working database with the same master key.
	copyPath := filepath.Join(filepath.Dir(path), "copy.db")
	mustDo(t, os.WriteFile(copyPath, backup.Bytes(), 0o600))
	mustDo(t, Check(copyPath))
	restored, err := Open(copyPath, Options{KeyPath: MasterKeyPath(path)})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = restored.Close() }()
	got, err := restored.FindByKey(made[7].Key)
	if err != nil || got.ID != made[7].ID {
		t.Errorf("FindByKey in the restored backup: %d %v", got.ID, err)
	}
}

func TestFileModes(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	path := testPath(t)
	db := openAt(t, path)
	want := map[string]os.FileMode{
		filepath.Dir(path): 0o700,
		path:               0o600,
		db.KeyPath():       0o600,
	}
	for p, mode := range want {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != mode {
			t.Errorf("%s: mode %04o, want %04o", p, st.Mode().Perm(), mode)
		}
	}
	if w := db.Warnings(); len(w) != 0 {
		t.Errorf("warnings on a new database: %q", w)
	}
}

func TestLooseModesAreReportedNotChanged(t *testing.T) {
	path := testPath(t)
	db := openAt(t, path)
	mustDo(t, db.Close())
	mustDo(t, os.Chmod(path, 0o644))
	mustDo(t, os.Chmod(filepath.Dir(path), 0o755))
	db = openAt(t, path)
	w := strings.Join(db.Warnings(), "\n")
	if !strings.Contains(w, path) || !strings.Contains(w, "0644") ||
		!strings.Contains(w, "0755") {
		t.Errorf("warnings %q should report both modes", w)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o644 {
		t.Errorf("Open changed the file's mode to %v (%v)", st.Mode().Perm(), err)
	}
}

func TestConcurrentChargesAddUpExactly(t *testing.T) {
	db := openTest(t)
	tok := mustCreate(t, db, "busy")
	const workers, each = 100, 100
	const amount = model.Money(1_234_567) // not a round number of cents
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				if _, err := db.Charge(tok.ID, amount); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	got, err := db.Get(tok.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := workers * each * amount; got.Used != want {
		t.Errorf("Used = %d, want %d", got.Used, want)
	}
	if want := tok.Version + workers*each; got.Version != want {
		t.Errorf("Version = %d, want %d", got.Version, want)
	}
	spend, err := db.DailySpend(tok.ID, 1, time.Now())
	if err != nil || len(spend) != 1 || spend[0].Amount != got.Used {
		t.Errorf("today's spend = %+v (%v), want %d", spend, err, got.Used)
	}
	events, _ := db.Audit(AuditFilter{TokenID: tok.ID})
	if len(events) != 1 {
		t.Errorf("%d audit events, want only the create (charges are not audited)",
			len(events))
	}
}

func TestChargeBatchAndDailySpend(t *testing.T) {
	db := openTest(t)
	a, b, gone := mustCreate(t, db, "a"), mustCreate(t, db, "b"), mustCreate(t, db, "gone")
	mustDo(t, db.Delete("me", gone.ID))
	day := time.Date(2025, 6, 10, 23, 59, 0, 0, time.UTC)
	batch := []Charge{
		{TokenID: a.ID, Amount: model.Dollar, At: day},
		{TokenID: a.ID, Amount: 2 * model.Dollar, At: day.Add(2 * time.Minute)},
		{TokenID: b.ID, Amount: 5, At: day},
		{TokenID: gone.ID, Amount: model.Dollar, At: day},
		{TokenID: 12345, Amount: model.Dollar, At: day},
		{TokenID: b.ID, Amount: 0, At: day},
	}
	mustDo(t, db.ChargeBatch(batch))
	ga, _ := db.Get(a.ID)
	gb, _ := db.Get(b.ID)
	if ga.Used != 3*model.Dollar || ga.Version != a.Version+1 {
		t.Errorf("a: used %d version %d", ga.Used, ga.Version)
	}
	if gb.Used != 5 || gb.Version != b.Version+1 {
		t.Errorf("b: used %d version %d", gb.Used, gb.Version)
	}
	spend, err := db.DailySpend(a.ID, 3, day.Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	want := []model.DaySpend{
		{Day: time.Date(2025, 6, 9, 0, 0, 0, 0, time.UTC), Amount: 0},
		{Day: time.Date(2025, 6, 10, 0, 0, 0, 0, time.UTC), Amount: model.Dollar},
		{Day: time.Date(2025, 6, 11, 0, 0, 0, 0, time.UTC), Amount: 2 * model.Dollar},
	}
	if len(spend) != len(want) {
		t.Fatalf("DailySpend = %+v", spend)
	}
	for i := range want {
		if !spend[i].Day.Equal(want[i].Day) || spend[i].Amount != want[i].Amount {
			t.Errorf("day %d = %v %d, want %v %d", i, spend[i].Day, spend[i].Amount,
				want[i].Day, want[i].Amount)
		}
	}
	if err := db.ChargeBatch([]Charge{{TokenID: a.ID, Amount: -1}}); err == nil {
		t.Error("a negative charge was accepted")
	}
	if _, err := db.Charge(a.ID, -1); err == nil {
		t.Error("a negative Charge was accepted")
	}
	if _, err := db.DailySpend(gone.ID, 3, day); !errors.Is(err, ErrNotFound) {
		t.Errorf("DailySpend of a deleted token: %v", err)
	}
}

func TestChargeSaturates(t *testing.T) {
	db := openTest(t)
	tok := mustCreate(t, db, "big")
	for range 3 {
		if _, err := db.Charge(tok.ID, model.Money(1<<62)); err != nil {
			t.Fatal(err)
		}
	}
	got, _ := db.Get(tok.ID)
	if got.Used <= 0 {
		t.Errorf("Used overflowed to %d", got.Used)
	}
}

// sealedDB makes a closed database with one token and returns its path.
func sealedDB(t *testing.T) (string, model.Token) {
	t.Helper()
	path := testPath(t)
	db := openAt(t, path)
	tok := mustCreate(t, db, "sealed")
	mustDo(t, db.Close())
	return path, tok
}

func TestMasterKeyProblems(t *testing.T) {
	t.Run("missing", func(t *testing.T) {
		path, _ := sealedDB(t)
		keyPath := MasterKeyPath(path)
		mustDo(t, os.Remove(keyPath))
		_, err := Open(path, Options{})
		if !errors.Is(err, ErrMasterKey) || !strings.Contains(err.Error(), keyPath) {
			t.Fatalf("Open without key: %v; want ErrMasterKey naming %s", err, keyPath)
		}
		if _, err := os.Stat(keyPath); err == nil {
			t.Error("Open made a new key for an existing database")
		}
	})
	t.Run("wrong", func(t *testing.T) {
		path, _ := sealedDB(t)
		mustDo(t, os.WriteFile(MasterKeyPath(path), bytes.Repeat([]byte{7}, 32), 0o600))
		if _, err := Open(path, Options{}); !errors.Is(err, ErrMasterKey) {
			t.Fatalf("Open with a wrong key: %v", err)
		}
	})
	t.Run("not a key", func(t *testing.T) {
		path, _ := sealedDB(t)
		mustDo(t, os.WriteFile(MasterKeyPath(path), []byte("hello\n"), 0o600))
		if _, err := Open(path, Options{}); !errors.Is(err, ErrMasterKey) {
			t.Fatalf("Open with a short key file: %v", err)
		}
	})
}

func TestMasterKeyElsewhere(t *testing.T) {
	path, tok := sealedDB(t)
	moved := filepath.Join(t.TempDir(), "elsewhere.key")
	mustDo(t, os.Rename(MasterKeyPath(path), moved))
	db, err := Open(path, Options{KeyPath: moved})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := db.Get(tok.ID); err != nil || got.Key != tok.Key {
		t.Errorf("Get with moved key: %v", err)
	}
	mustDo(t, db.Close())
	t.Setenv(EnvMasterKey, moved)
	db, err = Open(path, Options{})
	if err != nil {
		t.Fatalf("Open with %s: %v", EnvMasterKey, err)
	}
	if db.KeyPath() != moved {
		t.Errorf("KeyPath() = %s, want %s", db.KeyPath(), moved)
	}
	mustDo(t, db.Close())
}

func TestExistingHexKeyFileIsUsedForANewDatabase(t *testing.T) {
	t.Setenv(EnvMasterKey, "")
	path := testPath(t)
	mustDo(t, os.MkdirAll(filepath.Dir(path), 0o700))
	hexKey := strings.Repeat("ab", 32) + "\n"
	mustDo(t, os.WriteFile(MasterKeyPath(path), []byte(hexKey), 0o600))
	db := openAt(t, path)
	tok := mustCreate(t, db, "x")
	mustDo(t, db.Close())
	raw, _ := os.ReadFile(MasterKeyPath(path))
	if string(raw) != hexKey {
		t.Error("Open replaced an existing key file")
	}
	db = openAt(t, path)
	if got, err := db.Get(tok.ID); err != nil || got.Key != tok.Key {
		t.Errorf("Get after reopening: %v", err)
	}
}

func TestNewerSchemaIsRefused(t *testing.T) {
	path := testPath(t)
	db := openAt(t, path)
	mustDo(t, db.update(func(tx *bolt.Tx) error {
		return putSchema(tx.Bucket(bucketMeta), currentSchema+1)
	}))
	mustDo(t, db.Close())
	before := fileSum(t, path)
	_, err := Open(path, Options{})
	if !errors.Is(err, ErrTooNew) || !strings.Contains(err.Error(), path) {
		t.Fatalf("Open: %v; want ErrTooNew naming the path", err)
	}
	if fileSum(t, path) != before {
		t.Error("the file changed")
	}
	if err := Check(path); !errors.Is(err, ErrTooNew) {
		t.Errorf("Check: %v", err)
	}
}

func TestMigrationsAreConsecutive(t *testing.T) {
	ms := migrations()
	for i, m := range ms {
		if m.to != uint64(i+1) || m.run == nil || m.name == "" {
			t.Errorf("migration %d: %+v", i, m)
		}
	}
	if ms[len(ms)-1].to != currentSchema {
		t.Errorf("last migration goes to %d, current schema is %d", ms[len(ms)-1].to,
			currentSchema)
	}
}

func TestEmptyFilesAreInitialised(t *testing.T) {
	t.Run("zero bytes", func(t *testing.T) {
		path := testPath(t)
		mustDo(t, os.MkdirAll(filepath.Dir(path), 0o700))
		mustDo(t, os.WriteFile(path, nil, 0o600))
		db := openAt(t, path)
		mustCreate(t, db, "works")
	})
	t.Run("bbolt file with no buckets (first run interrupted)", func(t *testing.T) {
		path := testPath(t)
		mustDo(t, os.MkdirAll(filepath.Dir(path), 0o700))
		bdb, err := bolt.Open(path, 0o600, nil)
		if err != nil {
			t.Fatal(err)
		}
		mustDo(t, bdb.Close())
		db := openAt(t, path)
		mustCreate(t, db, "works")
		mustDo(t, db.Close())
		mustDo(t, Check(path))
	})
}

// auditScenario creates, updates, disables, prices and deletes, each by a
// different actor, and returns the token as created.
func auditScenario(t *testing.T, db *DB) model.Token {
	t.Helper()
	tok, err := db.Create("alice", model.Spec{Name: "web", Limit: 123456 * model.Dollar,
		Models: []string{"gpt-5"}})
	mustDo(t, err)
	up, err := db.Update("bob\x1b[2J", tok.ID, tok.Version, model.Changes{
		Name: ptr("web2"), Limit: ptr(20 * model.Dollar),
		Models: &[]string{"gpt-5", "o3"}, Unlimited: ptr(true)})
	mustDo(t, err)
	_, err = db.SetEnabled("carol", tok.ID, false)
	mustDo(t, err)
	mustDo(t, db.SetPrice("dave", "o3", &model.Price{Input: 2 * model.Dollar,
		Output: 8 * model.Dollar}))
	mustDo(t, db.Delete("erin", up.ID))
	return tok
}

func TestAuditRecordsChangesWithoutKeys(t *testing.T) {
	db := openTest(t)
	tok := auditScenario(t, db)
	all, err := db.Audit(AuditFilter{})
	mustDo(t, err)
	wantActions := []model.Action{model.ActionDelete, model.ActionModelPrice,
		model.ActionDisable, model.ActionUpdate, model.ActionCreate}
	if len(all) != len(wantActions) {
		t.Fatalf("%d events: %+v", len(all), all)
	}
	for i, ev := range all {
		if ev.Action != wantActions[i] {
			t.Errorf("event %d action %s, want %s", i, ev.Action, wantActions[i])
		}
		if i > 0 && ev.Seq >= all[i-1].Seq {
			t.Errorf("events not newest first: %d after %d", ev.Seq, all[i-1].Seq)
		}
	}
	update := all[3]
	if update.Actor != "bob?[2J" || update.TokenID != tok.ID || update.TokenName != "web2" {
		t.Errorf("update event = %+v", update)
	}
	checkChanges(t, update.Changes, map[string][2]string{
		"name":      {"web", "web2"},
		"unlimited": {"no", "yes"},
		"quota":     {"$123,456.00", "$20.00"},
		"models":    {"gpt-5", "gpt-5, o3"},
	})
	checkChanges(t, all[2].Changes, map[string][2]string{"enabled": {"yes", "no"}})
	if all[1].Subject != "o3" || len(all[1].Changes) != 1 ||
		all[1].Changes[0].Old != "none" || !strings.Contains(all[1].Changes[0].New, "8.00") {
		t.Errorf("price event = %+v", all[1])
	}
	raw, _ := json.Marshal(all)
	if strings.Contains(string(raw), tok.Key[3:]) {
		t.Error("an audit event holds the key")
	}
}

func checkChanges(t *testing.T, got []model.FieldChange, want map[string][2]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("changes = %+v, want %v", got, want)
	}
	for _, c := range got {
		if w := want[c.Field]; c.Old != w[0] || c.New != w[1] {
			t.Errorf("change %s: %q -> %q, want %q -> %q", c.Field, c.Old, c.New, w[0], w[1])
		}
	}
}

func TestAuditFilter(t *testing.T) {
	db := openTest(t)
	tok := auditScenario(t, db)
	other := mustCreate(t, db, "other")
	one, _ := db.Audit(AuditFilter{TokenID: tok.ID, Limit: 2})
	if len(one) != 2 || one[0].Action != model.ActionDelete ||
		one[1].Action != model.ActionDisable {
		t.Errorf("filtered audit = %+v", one)
	}
	all, _ := db.Audit(AuditFilter{TokenID: tok.ID})
	if len(all) != 4 {
		t.Errorf("%d events for the deleted token, want 4", len(all))
	}
	if got, _ := db.Audit(AuditFilter{TokenID: other.ID}); len(got) != 1 {
		t.Errorf("events for the newest token = %+v", got)
	}
	if got, _ := db.Audit(AuditFilter{TokenID: other.ID + 100}); len(got) != 0 {
		t.Errorf("audit of an unknown token = %+v", got)
	}
	if got, _ := db.Audit(AuditFilter{Limit: 1}); len(got) != 1 || got[0].TokenID != other.ID {
		t.Errorf("latest event = %+v", got)
	}
}

func TestSubscribers(t *testing.T) {
	db := openTest(t)
	ch1, cancel1 := db.Subscribe()
	ch2, cancel2 := db.Subscribe()
	defer cancel2()
	tok := mustCreate(t, db, "x")
	expectSignal(t, ch1, "create")
	expectSignal(t, ch2, "create")
	// Several changes coalesce into one pending signal.
	for range 3 {
		if _, err := db.Charge(tok.ID, 1); err != nil {
			t.Fatal(err)
		}
	}
	expectSignal(t, ch1, "charges")
	expectNoSignal(t, ch1, "after draining")
	// A no-op changes nothing and signals nothing.
	if _, err := db.SetEnabled("me", tok.ID, true); err != nil {
		t.Fatal(err)
	}
	expectNoSignal(t, ch1, "no-op")
	mustDo(t, db.ChargeBatch([]Charge{{TokenID: tok.ID, Amount: 1}}))
	expectSignal(t, ch1, "batch")
	cancel1()
	cancel1()
	if _, ok := <-ch1; ok {
		t.Error("cancelled channel still open")
	}
	drain(ch2)
	mustDo(t, db.Close())
	if _, ok := <-ch2; ok {
		t.Error("Close left a channel open")
	}
	ch3, cancel3 := db.Subscribe()
	cancel3()
	if _, ok := <-ch3; ok {
		t.Error("Subscribe after Close gave an open channel")
	}
	if _, err := db.Get(tok.ID); !errors.Is(err, ErrClosed) {
		t.Errorf("Get after Close: %v", err)
	}
	mustDo(t, db.Close())
}

func expectSignal(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(5 * time.Second):
		t.Fatalf("no signal after %s", what)
	}
}

func expectNoSignal(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
		t.Errorf("unexpected signal (%s)", what)
	default:
	}
}

func drain(ch <-chan struct{}) {
	for {
		select {
		case <-ch:
		default:
			return
		}
	}
}

// TestSharedDirectoryWarning: a database in a sticky, world-writable
// directory such as /tmp is warned about without advice to chmod it.
func TestSharedDirectoryWarning(t *testing.T) {
	path := testPath(t)
	db := openAt(t, path)
	mustDo(t, db.Close())
	mustDo(t, os.Chmod(filepath.Dir(path), 0o777|os.ModeSticky))
	db = openAt(t, path)
	w := strings.Join(db.Warnings(), "\n")
	if !strings.Contains(w, "shared directory") || strings.Contains(w, "chmod 700") {
		t.Errorf("warnings %q should call the directory shared, not suggest chmod", w)
	}
}
