package ui

import (
	"bytes"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"keyward/model"
	"keyward/storage"
)

// slowStore is a store whose writes wait until release is closed, and
// which records that a write began.
type slowStore struct {
	storage.Store
	began   chan string
	release chan struct{}
}

func (s *slowStore) wait(op string) {
	s.began <- op
	<-s.release
}

func (s *slowStore) Create(actor string, spec model.Spec) (model.Token, error) {
	s.wait("create")
	return s.Store.Create(actor, spec)
}

func (s *slowStore) SetEnabled(actor string, id uint64, on bool) (model.Token, error) {
	s.wait("set-enabled")
	return s.Store.SetEnabled(actor, id, on)
}

// updateOnce calls Update in another goroutine and fails if it does not
// return: the guard only catches a hang, it measures nothing.
func updateOnce(t *testing.T, m *Model, msg tea.Msg) tea.Cmd {
	t.Helper()
	done := make(chan tea.Cmd, 1)
	go func() {
		_, cmd := m.Update(msg)
		done <- cmd
	}()
	select {
	case cmd := <-done:
		return cmd
	case <-time.After(10 * time.Second):
		t.Fatalf("Update(%v) blocked", msg)
		return nil
	}
}

// TestSlowWritesNeverBlockUpdate: saving and toggling hand the store call
// to a command, so Update returns at once and ctrl+c quits while the
// write is still waiting.
func TestSlowWritesNeverBlockUpdate(t *testing.T) {
	db := openStore(t)
	mustCreate(t, db, model.Spec{Name: "ci-runner", Unlimited: true})
	st := &slowStore{Store: db, began: make(chan string, 4), release: make(chan struct{})}
	out := &bytes.Buffer{}
	h := harnessWith(t, testConfig(st, out), out, 80, 24)
	defer close(st.release)

	toggle := updateOnce(t, h.m, keyMsg("t"))
	h.press("n")
	h.typeText("slow-one")
	save := updateOnce(t, h.m, keyMsg("ctrl+s"))
	select {
	case op := <-st.began:
		t.Fatalf("Update itself called the store (%s)", op)
	default:
	}
	if toggle == nil || save == nil {
		t.Fatal("toggle or save returned no command to run the write")
	}
	for _, cmd := range []tea.Cmd{toggle, save} {
		go func() { _ = cmd() }() // the writes start and wait on the store
	}
	for range 2 {
		<-st.began
	}
	if cmd := updateOnce(t, h.m, keyMsg("ctrl+c")); !quitCmd(cmd) {
		t.Error("ctrl+c does not quit while writes are pending")
	}
}
