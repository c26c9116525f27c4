package ui

import (
	"bytes"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"keyward/keys"
	"keyward/model"
	"keyward/storage"
)

// fakeRows makes n rows with real-looking keys, without a store.
func fakeRows(t testing.TB, n int) []row {
	t.Helper()
	toks := make([]model.Token, n)
	for i := range toks {
		k, err := keys.Generate()
		if err != nil {
			t.Fatal(err)
		}
		toks[i] = model.Token{ID: uint64(n - i), Name: fmt.Sprintf("runner-%06d", n-i),
			Key: k, Enabled: true, Unlimited: i%3 == 0, Limit: 10 * model.Dollar,
			Used: model.Money(i) * model.Cent, CreatedAt: testEpoch}
	}
	return buildRows(toks)
}

// collect runs cmd and returns the filteredMsg among its results.
func collectFiltered(cmd tea.Cmd) []filteredMsg {
	var out []filteredMsg
	queue := []tea.Cmd{cmd}
	for len(queue) > 0 {
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		switch msg := c().(type) {
		case tea.BatchMsg:
			queue = append(queue, msg...)
		case filteredMsg:
			out = append(out, msg)
		}
	}
	return out
}

func TestLargeFilterRunsInCommandAndDropsStaleResults(t *testing.T) {
	h := newHarness(t, openStore(t), 80, 24)
	rows := fakeRows(t, syncFilterMax+100)
	h.send(tokensLoadedMsg{rows: rows, view: matchRows(rows, "")})
	h.press("/")
	_, first := h.m.Update(keyMsg("1"))
	if len(h.m.list.view) != len(rows) {
		t.Fatalf("a large list was filtered inside Update")
	}
	_, second := h.m.Update(keyMsg("2"))
	newer, older := collectFiltered(second), collectFiltered(first)
	if len(newer) != 1 || len(older) != 1 {
		t.Fatalf("filter commands gave %d and %d results", len(newer), len(older))
	}
	h.send(newer[0])
	want := len(matchRows(rows, "12"))
	if len(h.m.list.view) != want {
		t.Fatalf("filter 12 shows %d rows, want %d", len(h.m.list.view), want)
	}
	h.send(older[0]) // arrives late: must be dropped
	if len(h.m.list.view) != want {
		t.Errorf("a stale filter result replaced the newer one")
	}
	small := fakeRows(t, 10)
	h.send(tokensLoadedMsg{rows: small, view: matchRows(small, "")})
	h.send(newer[0]) // rows changed since: must be dropped too
	if _, ok := h.m.list.selected(); !ok && len(h.m.list.view) > 0 {
		t.Errorf("cursor invalid after a reload")
	}
	for _, i := range h.m.list.view {
		if i >= len(h.m.list.all) {
			t.Fatalf("view index %d outside %d rows", i, len(h.m.list.all))
		}
	}
}

func TestMatcher(t *testing.T) {
	rows := buildRows([]model.Token{
		{Name: "CI-Runner", Key: "sk-AAAABBBBCCCC"},
		{Name: "laptop", Key: "sk-DDDDEEEEFFFF"},
	})
	cases := []struct {
		q    string
		want int
	}{
		{"", 2}, {"ci", 1}, {"RUN", 1}, {"  laptop  ", 1}, {"BBBB", 1},
		{"bbbb", 0}, {"sk-****FFFF", 1}, {"sk-****", 0}, {"zz", 0}, {"DDD", 0},
	}
	for _, c := range cases {
		if got := len(matchRows(rows, c.q)); got != c.want {
			t.Errorf("matchRows(%q) = %d rows, want %d", c.q, got, c.want)
		}
	}
}

func TestLogsNeverHoldKeys(t *testing.T) {
	st := openStore(t)
	var logs bytes.Buffer
	cfg := testConfig(st, &bytes.Buffer{})
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	m := New(cfg)
	m.Close()
	m.sub = nil
	h := &harness{t: t, m: m}
	h.send(tea.WindowSizeMsg{Width: 80, Height: 24})
	h.run(m.Init())
	h.press("n")
	h.typeText("logged")
	h.press("ctrl+s", "esc", "r", "c", "t", "e")
	h.typeText("2")
	h.press("ctrl+s", "d", "y")
	toks, _ := st.Audit(storage.AuditFilter{})
	if logs.Len() == 0 || len(toks) == 0 {
		t.Fatalf("nothing was logged")
	}
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.Contains(line, keys.Prefix) && strings.Contains(line, "sk-") &&
			!strings.Contains(line, "sk-****") {
			t.Errorf("a log line mentions a key: %s", line)
		}
	}
	if !strings.Contains(logs.String(), "token created") {
		t.Errorf("logs: %s", logs.String())
	}
}

func TestStoreErrorsReachTheFooter(t *testing.T) {
	st := openStore(t)
	seed(t, st, 1)
	h := newHarness(t, st, 80, 24)
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	h.press("t")
	v := h.view()
	if !h.m.status.isErr || !strings.Contains(v, "Error:") ||
		!strings.Contains(v, "store is closed; restart") {
		t.Errorf("a failed write should say so in words:\n%s", v)
	}
	h.send(storeChangedMsg{})
	if h.m.status.text(99) == "" {
		t.Errorf("a failed reload cleared the error")
	}
}

func TestNoColourCues(t *testing.T) {
	st := openStore(t)
	tok := mustCreate(t, st, model.Spec{Name: "off", Unlimited: true})
	if _, err := st.SetEnabled("x", tok.ID, false); err != nil {
		t.Fatal(err)
	}
	mustCreate(t, st, model.Spec{Name: "on", Unlimited: true})
	h := newHarness(t, st, 80, 24)
	v := h.view()
	if regexp.MustCompile(`\x1b\[[0-9;]*m`).MatchString(v) {
		t.Errorf("the Ascii profile drew colours or attributes:\n%q", v)
	}
	if !strings.Contains(v, "> on ") || !strings.Contains(v, "  off ") ||
		!strings.Contains(v, "Disabled") {
		t.Errorf("the selection or the status depends on colour:\n%s", v)
	}
}
