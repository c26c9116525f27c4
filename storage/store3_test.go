package storage

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"keyward/model"
)

func TestCatalogSeededOnce(t *testing.T) {
	path := testPath(t)
	db := openAt(t, path)
	models, err := db.Models()
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, 0, len(models))
	for _, m := range models {
		if m.Price != nil {
			t.Errorf("seeded model %s has a price", m.Name)
		}
		names = append(names, m.Name)
	}
	if !slices.IsSorted(names) || len(names) < 30 || len(names) > 40 {
		t.Errorf("seeded catalog (%d, sorted %t): %v", len(names), slices.IsSorted(names), names)
	}
	for _, want := range []string{"gpt-5", "claude-sonnet-4-5", "gemini-2.5-pro",
		"llama-3.3-70b-instruct", "mistral-large-latest", "deepseek-chat", "qwen3-32b"} {
		if !slices.Contains(names, want) {
			t.Errorf("seeded catalog lacks %s", want)
		}
	}
	for _, n := range seedModels() {
		if clean, err := model.CleanModel(n); err != nil || clean != n {
			t.Errorf("seed %q is not a clean model name: %v", n, err)
		}
	}
	mustDo(t, db.RemoveModels("me", "gpt-5", "not-there"))
	mustDo(t, db.Close())
	db = openAt(t, path)
	after, _ := db.Models()
	if len(after) != len(models)-1 || slices.ContainsFunc(after,
		func(m model.CatalogModel) bool { return m.Name == "gpt-5" }) {
		t.Errorf("a removed model came back after reopening: %d models", len(after))
	}
	events, _ := db.Audit(AuditFilter{})
	if len(events) != 1 || events[0].Action != model.ActionModelRemove ||
		events[0].Subject != "gpt-5" {
		t.Errorf("audit after one removal = %+v", events)
	}
}

func TestCatalogChanges(t *testing.T) {
	db := openTest(t)
	mustDo(t, db.AddModels("me", " my-model ", "my-model", "o3"))
	price := &model.Price{Input: 15 * model.Cent / 100, Output: 60 * model.Cent / 100,
		CachedInput: new(model.Money(1))}
	mustDo(t, db.SetPrice("me", "brand-new", price))
	mustDo(t, db.SetPrice("me", "brand-new", price)) // unchanged: no event
	mustDo(t, db.SetPrice("me", "o3", nil))          // no price to clear: no event
	models, _ := db.Models()
	byName := map[string]*model.Price{}
	for _, m := range models {
		byName[m.Name] = m.Price
	}
	if p, ok := byName["brand-new"]; !ok || !reflect.DeepEqual(p, price) {
		t.Errorf("brand-new price = %+v", p)
	}
	if _, ok := byName["my-model"]; !ok {
		t.Error("my-model was not added")
	}
	mustDo(t, db.SetPrice("me", "brand-new", nil))
	models, _ = db.Models()
	for _, m := range models {
		if m.Name == "brand-new" && m.Price != nil {
			t.Error("SetPrice(nil) did not clear the price")
		}
	}
	events, _ := db.Audit(AuditFilter{})
	var actions []string
	for _, e := range events {
		actions = append(actions, string(e.Action)+" "+e.Subject)
	}
	want := []string{"model.price brand-new", "model.price brand-new", "model.add my-model"}
	if !reflect.DeepEqual(actions, want) {
		t.Errorf("catalog events = %q, want %q", actions, want)
	}
}

func TestIDsAreNeverReused(t *testing.T) {
	path := testPath(t)
	db := openAt(t, path)
	a := mustCreate(t, db, "a")
	b := mustCreate(t, db, "b")
	mustDo(t, db.Delete("me", b.ID))
	mustDo(t, db.Close())
	db = openAt(t, path)
	c := mustCreate(t, db, "c")
	if c.ID <= b.ID || a.ID >= b.ID {
		t.Errorf("ids %d, %d, then %d after deleting %d", a.ID, b.ID, c.ID, b.ID)
	}
}

func TestErrorsNameTheToken(t *testing.T) {
	db := openTest(t)
	calls := map[string]error{
		"Get":        second(db.Get(4242)),
		"Update":     second(db.Update("me", 4242, 1, model.Changes{})),
		"SetEnabled": second(db.SetEnabled("me", 4242, false)),
		"Delete":     db.Delete("me", 4242),
		"Charge":     second(db.Charge(4242, 1)),
	}
	for name, err := range calls {
		if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "token 4242") {
			t.Errorf("%s: %v; want ErrNotFound naming token 4242", name, err)
		}
	}
}

func TestCheckCleanDatabase(t *testing.T) {
	path := testPath(t)
	db := openAt(t, path)
	for i := range 300 {
		tok := mustCreate(t, db, fmt.Sprint("t", i))
		if i%3 == 0 {
			mustDo(t, db.Delete("me", tok.ID))
		}
	}
	mustDo(t, db.Close())
	before := fileSum(t, path)
	if err := Check(path); err != nil {
		t.Fatalf("Check of a clean database: %v", err)
	}
	if fileSum(t, path) != before {
		t.Error("Check changed the file")
	}
	if err := Check(filepath.Join(t.TempDir(), "absent.db")); err == nil {
		t.Error("Check of a missing file succeeded")
	}
}

func TestReadOnlyErrors(t *testing.T) {
	for _, err := range []error{syscall.EACCES, syscall.EROFS, syscall.EPERM,
		&fs.PathError{Op: "open", Path: "x", Err: syscall.EACCES}} {
		if got := openError("/db", err); !errors.Is(got, ErrReadOnly) ||
			!strings.Contains(got.Error(), "/db") {
			t.Errorf("openError(%v) = %v; want ErrReadOnly naming the path", err, got)
		}
	}
	if os.Geteuid() == 0 {
		t.Skip("running as root: file permissions do not stop writes")
	}
	path := testPath(t)
	db := openAt(t, path)
	mustDo(t, db.Close())
	mustDo(t, os.Chmod(path, 0o400))
	if _, err := Open(path, Options{}); !errors.Is(err, ErrReadOnly) {
		t.Errorf("Open of a 0400 file: %v", err)
	}
	dir := filepath.Join(t.TempDir(), "locked")
	mustDo(t, os.Mkdir(dir, 0o500))
	if _, err := Open(filepath.Join(dir, "keyward.db"), Options{}); !errors.Is(err, ErrReadOnly) {
		t.Errorf("Open in a 0500 directory: %v", err)
	}
}

func TestServeInfo(t *testing.T) {
	path := testPath(t)
	mustDo(t, os.MkdirAll(filepath.Dir(path), 0o700))
	if _, ok := ReadServeInfo(path); ok {
		t.Fatal("serve info found before any was written")
	}
	info := ServeInfo{PID: os.Getpid(), SSHAddr: "127.0.0.1:2222", HTTPAddr: "127.0.0.1:8080"}
	remove, err := WriteServeInfo(path, info)
	if err != nil {
		t.Fatal(err)
	}
	got, ok := ReadServeInfo(path)
	if info.DB, err = canonicalDB(path); err != nil {
		t.Fatal(err)
	}
	if !ok || got != info {
		t.Errorf("ReadServeInfo = %+v %t", got, ok)
	}
	st, err := os.Stat(ServeInfoPath(path))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("serve info mode %v (%v)", st.Mode().Perm(), err)
	}
	mustDo(t, remove())
	if _, ok := ReadServeInfo(path); ok {
		t.Error("serve info still found after remove")
	}
	mustDo(t, remove())

	cmd := exec.Command("sh", "-c", "exit 0")
	mustDo(t, cmd.Run())
	if _, err := WriteServeInfo(path, ServeInfo{PID: cmd.Process.Pid}); err != nil {
		t.Fatal(err)
	}
	if _, ok := ReadServeInfo(path); ok {
		t.Error("a stale serve info (dead process) was reported as running")
	}
}

func TestCodecRejectsDamagedRecords(t *testing.T) {
	tok := model.Token{ID: 9, Name: "ünïcode ✓", Enabled: true, Unlimited: true,
		Limit: model.MaxMoney, Used: 5, Models: []string{"a", "b"},
		CreatedAt: time.Unix(0, 1), UpdatedAt: time.Unix(0, 2), Version: 77}
	sealed := []byte("0123456789abcdef0123456789abcdef")
	raw := encodeRecord(&tok, sealed)
	got, gotSealed, err := decodeRecord(9, raw)
	if err != nil || !reflect.DeepEqual(got, tok) || string(gotSealed) != string(sealed) {
		t.Fatalf("round trip: %+v %q %v", got, gotSealed, err)
	}
	for n := range len(raw) {
		if _, _, err := decodeRecord(9, raw[:n]); err == nil {
			t.Errorf("a record cut to %d of %d bytes decoded", n, len(raw))
		}
	}
	if _, _, err := decodeRecord(9, append(raw, 0)); err == nil {
		t.Error("a record with a trailing byte decoded")
	}
	bad := append([]byte{2}, raw[1:]...)
	if _, _, err := decodeRecord(9, bad); err == nil {
		t.Error("an unknown format decoded")
	}
}
