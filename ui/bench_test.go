package ui

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"keyward/model"
	"keyward/storage"
)

// benchTokens is how many tokens the large-data benchmarks use.
const benchTokens = 100_000

// listStore serves a fixed token list; the benchmarks that use it measure
// the console alone. Methods it does not define panic (nil Store).
type listStore struct {
	storage.Store
	toks []model.Token
}

func (s listStore) Path() string { return "/bench/keyward.db" }

func (s listStore) List() ([]model.Token, error) { return slices.Clone(s.toks), nil }

func (s listStore) Models() ([]model.CatalogModel, error) { return nil, nil }

func (s listStore) Subscribe() (<-chan struct{}, func()) { return nil, func() {} }

func benchStore(b *testing.B) listStore {
	b.Helper()
	rows := fakeRows(b, benchTokens)
	toks := make([]model.Token, len(rows))
	for i, r := range rows {
		toks[i] = r.tok
	}
	return listStore{toks: toks}
}

// loadedModel is a console over st, loaded and sized w x h.
func loadedModel(b *testing.B, st storage.Store, w, h int) *Model {
	b.Helper()
	m := New(testConfig(st, nil))
	m.Close()
	m.sub = nil
	m.Update(loadTokensCmd(st, "", 1)())
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	return m
}

func BenchmarkFilter100k(b *testing.B) {
	rows := fakeRows(b, benchTokens)
	key := rows[benchTokens/2].tok.Key
	for _, q := range []struct{ name, text string }{
		{"name", "runner-0999"}, {"one-letter", "r"}, {"key-part", key[10:22]},
		{"full-key", key},
	} {
		b.Run(q.name, func(b *testing.B) {
			for b.Loop() {
				matchRows(rows, q.text)
			}
		})
	}
}

// BenchmarkFilterKeystroke100k is one keystroke in the filter line up to
// the next frame: Update, the background filter, its result, and View.
func BenchmarkFilterKeystroke100k(b *testing.B) {
	m := loadedModel(b, benchStore(b), 120, 40)
	m.Update(keyMsg("/"))
	keys := []tea.KeyMsg{keyMsg("9"), keyMsg("backspace")}
	i := 0
	for b.Loop() {
		_, cmd := m.Update(keys[i%2])
		i++
		for _, msg := range collectFiltered(cmd) {
			m.Update(msg)
		}
		_ = m.View()
	}
}

func BenchmarkRender100k(b *testing.B) {
	m := loadedModel(b, benchStore(b), 120, 40)
	for b.Loop() {
		_ = m.View()
	}
}

// BenchmarkStartup100k is start-up to the first frame over a store that
// already holds the tokens: New, the load, the first size, and View.
func BenchmarkStartup100k(b *testing.B) {
	benchStartup(b, benchStore(b))
}

// BenchmarkStartupRealStore100k is the same over the bbolt store, where
// List decrypts every key.
func BenchmarkStartupRealStore100k(b *testing.B) {
	st, err := bigStore(b)
	if err != nil {
		b.Fatal(err)
	}
	benchStartup(b, st)
}

func benchStartup(b *testing.B, st storage.Store) {
	for b.Loop() {
		m := New(testConfig(st, nil))
		m.Update(loadTokensCmd(st, "", 1)())
		m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
		if v := m.View(); len(v) == 0 {
			b.Fatal("empty first frame")
		}
		m.Close()
	}
}

// bigDB is a bbolt store with benchTokens tokens, built once per test
// binary because creating them one transaction at a time takes a while.
var bigDB struct {
	once sync.Once
	db   *storage.DB
	dir  string
	err  error
}

func bigStore(b *testing.B) (*storage.DB, error) {
	bigDB.once.Do(func() {
		b.Setenv(storage.EnvMasterKey, "")
		bigDB.dir, bigDB.err = os.MkdirTemp("", "keyward-bench-")
		if bigDB.err != nil {
			return
		}
		bigDB.db, bigDB.err = storage.Open(filepath.Join(bigDB.dir, "k.db"),
			storage.Options{})
		for i := 0; i < benchTokens && bigDB.err == nil; i++ {
			_, bigDB.err = bigDB.db.Create("bench", model.Spec{
				Name: fmt.Sprintf("runner-%06d", i), Limit: 10 * model.Dollar})
		}
	})
	return bigDB.db, bigDB.err
}

func TestMain(m *testing.M) {
	code := m.Run()
	if bigDB.db != nil {
		_ = bigDB.db.Close()
	}
	if bigDB.dir != "" {
		_ = os.RemoveAll(bigDB.dir)
	}
	os.Exit(code)
}
