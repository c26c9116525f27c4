package ui

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"keyward/keys"
	"keyward/model"
	"keyward/storage"
)

// oscPayloads decodes every OSC 52 sequence written to out.
func oscPayloads(t *testing.T, out *bytes.Buffer) []string {
	t.Helper()
	re := regexp.MustCompile(`\x1b\]52;c;([A-Za-z0-9+/=]*)(?:\x07|\x1b\\)`)
	var got []string
	for _, m := range re.FindAllStringSubmatch(out.String(), -1) {
		b, err := base64.StdEncoding.DecodeString(m[1])
		if err != nil {
			t.Fatalf("bad OSC 52 payload: %v", err)
		}
		got = append(got, string(b))
	}
	return got
}

func TestCopyWritesOSC52(t *testing.T) {
	st := openStore(t)
	tok := mustCreate(t, st, model.Spec{Name: "ci-runner", Unlimited: true})
	h := newHarness(t, st, 80, 24)
	h.press("c")
	got := oscPayloads(t, h.out)
	if len(got) != 1 || got[0] != tok.Key {
		t.Fatalf("OSC 52 carried %d payloads; want the key %s", len(got), keys.Mask(tok.Key))
	}
	if v := footerText(h); !strings.Contains(v, "Sent the key of 'ci-runner' to the "+
		"terminal (OSC 52; the terminal must allow clipboard writes)") {
		t.Errorf("footer: %s", v)
	}
	noKeys(t, h.view(), tok)
}

func TestCopyWrapsForMultiplexers(t *testing.T) {
	cases := []struct{ env, prefix string }{
		// tmux passes a plain OSC 52 on with set-clipboard on; it drops a
		// passthrough one unless allow-passthrough is on too
		{"TMUX=/tmp/tmux-1/default,1,0", "\x1b]52;c;"},
		// GNU screen drops a plain one and passes a DCS-wrapped one on
		{"STY=1234.pts-0.host", "\x1bP\x1b]52;c;"},
		{"TERM=xterm", "\x1b]52;c;"},
	}
	for _, c := range cases {
		var out bytes.Buffer
		cp := copier{out: &out, env: []string{c.env}}
		msg := cp.copy("secret", "x")
		if msg.oscErr != nil || !strings.HasPrefix(out.String(), c.prefix) {
			t.Errorf("%s: wrote %q (%v)", c.env, out.String(), msg.oscErr)
		}
	}
	var out bytes.Buffer
	if msg := (copier{out: &out, env: []string{"TERM=dumb"}}).copy("s", "x"); msg.oscOn {
		t.Errorf("OSC 52 was written to a dumb terminal: %q", out.String())
	}
}

func TestCopyReportsWhatWorked(t *testing.T) {
	fail := errors.New("No clipboard utilities available")
	cases := []struct {
		name string
		c    copier
		want string
		err  bool
	}{
		{"both", copier{system: true, out: &bytes.Buffer{},
			write: func(string) error { return nil }},
			"Copied the key of 'ci': in the system clipboard; sent to the terminal " +
				"(OSC 52)", false},
		{"system only", copier{system: true, write: func(string) error { return nil }},
			"Copied the key of 'ci': in the system clipboard", false},
		{"osc only", copier{system: true, out: &bytes.Buffer{},
			write: func(string) error { return fail }},
			"Sent the key of 'ci' to the terminal (OSC 52; the terminal must allow " +
				"clipboard writes); no system clipboard (install xclip, xsel or " +
				"wl-clipboard)", false},
		{"osc in tmux", copier{system: true, out: &bytes.Buffer{}, env: []string{"TMUX=x"},
			write: func(string) error { return fail }},
			"Sent the key of 'ci' to the terminal (OSC 52; in tmux set -g " +
				"set-clipboard on); no system clipboard (install xclip, xsel or " +
				"wl-clipboard)", false},
		{"over ssh", copier{out: &bytes.Buffer{}},
			"Sent the key of 'ci' to the terminal (OSC 52; the terminal must allow " +
				"clipboard writes)", false},
		{"neither", copier{system: true, write: func(string) error { return fail }},
			"could not copy the key of 'ci': no system clipboard (install xclip, " +
				"xsel or wl-clipboard); r reveals the key", true},
		{"hanging tool", copier{system: true, wait: 50 * time.Millisecond,
			write: func(string) error { time.Sleep(time.Hour); return nil }},
			"did not answer in time", true},
		{"panicking tool", copier{system: true,
			write: func(string) error { panic("boom") }}, "failed: boom", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := New(testConfig(openStore(t), nil))
			defer m.Close()
			msg := c.c.copy("secret", "the key of")
			msg.name = "ci"
			m.onCopied(msg)
			if m.status.isErr != c.err || !strings.Contains(m.status.text(99), c.want) {
				t.Errorf("status %+v, want %q", m.status, c.want)
			}
		})
	}
}

func TestSetupPanel(t *testing.T) {
	st := openStore(t)
	tok := mustCreate(t, st, model.Spec{Name: "agent", Unlimited: true,
		Models: []string{"gpt-4o", "claude-sonnet-4"}})
	h := newHarness(t, st, 100, 60)
	h.m.cfg.BaseURL = "http://10.0.0.5:8080/v1"
	h.press("s")
	v := h.view()
	for _, want := range []string{"Set up a client for 'agent'",
		`"api": "openai-completions"`, `"baseUrl": "http://10.0.0.5:8080/v1"`,
		"export OPENAI_BASE_URL=http://10.0.0.5:8080/v1",
		"export OPENAI_API_KEY='" + keys.Mask(tok.Key) + "'",
		"curl http://10.0.0.5:8080/v1/chat/completions", `"id": "gpt-4o"`} {
		if !strings.Contains(v, want) {
			t.Errorf("set-up panel lacks %q:\n%s", want, stable(v))
		}
	}
	noKeys(t, v, tok)
	h.press("1", "2", "3")
	got := oscPayloads(t, h.out)
	if len(got) != 3 {
		t.Fatalf("copied %d blocks", len(got))
	}
	var doc struct {
		Models struct {
			Providers map[string]struct {
				BaseURL string `json:"baseUrl"`
				APIKey  string `json:"apiKey"`
				API     string `json:"api"`
				Models  []struct{ ID, Name string }
			}
		}
	}
	if err := json.Unmarshal([]byte(got[0]), &doc); err != nil {
		t.Fatalf("the OpenClaw block is not JSON: %v", err)
	}
	p := doc.Models.Providers[providerID]
	if p.APIKey != tok.Key || p.API != "openai-completions" || len(p.Models) != 2 ||
		p.Models[0].ID != "gpt-4o" || p.BaseURL != "http://10.0.0.5:8080/v1" {
		t.Errorf("provider block: base %q api %q models %+v", p.BaseURL, p.API, p.Models)
	}
	if !strings.Contains(got[1], "OPENAI_API_KEY="+tok.Key) ||
		!strings.Contains(got[1], "OPENAI_BASE_URL=") {
		t.Errorf("env lines do not carry the key")
	}
	if !strings.Contains(got[2], `"model":"gpt-4o"`) {
		t.Errorf("curl example: %s", strings.ReplaceAll(got[2], tok.Key, "KEY"))
	}
	h.press("r")
	if !strings.Contains(h.view(), tok.Key) {
		t.Errorf("r does not reveal the key in the panel")
	}
	h.press("esc", "s")
	noKeys(t, h.view(), tok)
}

func TestSetupAllModelsUsesCatalog(t *testing.T) {
	s := buildSetup(model.Token{Name: "x"}, "k", DefaultBaseURL,
		[]model.CatalogModel{{Name: "a"}, {Name: "b"}})
	if !strings.Contains(s.openClaw, `"id": "a"`) || !strings.Contains(s.note, "every model") {
		t.Errorf("all-models token: %s / %s", s.openClaw, s.note)
	}
	s = buildSetup(model.Token{Name: "x"}, "k", "http://h/v1?a='b'", nil)
	if !strings.Contains(s.env, `'http://h/v1?a='\''b'\'''`) ||
		!strings.Contains(s.curl, "MODEL") {
		t.Errorf("quoting: %s / %s", s.env, s.curl)
	}
	if !json.Valid([]byte(s.openClaw)) {
		t.Errorf("empty models list is not JSON: %s", s.openClaw)
	}
}

func TestDetailView(t *testing.T) {
	st := openStore(t)
	tok := mustCreate(t, st, model.Spec{Name: "busy", Limit: 100 * model.Dollar})
	day := func(n int) time.Time { return testEpoch.AddDate(0, 0, -n) }
	err := st.ChargeBatch([]storage.Charge{
		{TokenID: tok.ID, Amount: 5 * model.Dollar, At: day(0)},
		{TokenID: tok.ID, Amount: model.Dollar, At: day(3)},
		{TokenID: tok.ID, Amount: 2 * model.Dollar, At: day(40)}, // outside 30 days
	})
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, st, 80, 24)
	h.press("enter")
	v := h.view()
	for _, want := range []string{"'busy'", "All models", "Spend, last 30 days",
		"Total $6.00; most on Mar 14 ($5.00)", "▁▁▃▁▁█", "Remaining  $92.00"} {
		if !strings.Contains(v, want) {
			t.Errorf("detail lacks %q:\n%s", want, stable(v))
		}
	}
	noKeys(t, v, tok)
	h.press("e")
	if h.m.state != screenForm || h.m.form.orig.ID != tok.ID {
		t.Errorf("e on the detail view does not edit")
	}
}

func TestSparkline(t *testing.T) {
	days := []model.DaySpend{{Amount: 0}, {Amount: 1}, {Amount: 50}, {Amount: 100}}
	if got := sparkline(days); got != "▁▂▅█" {
		t.Errorf("sparkline = %q", got)
	}
	if got := sparkline(make([]model.DaySpend, 3)); got != "▁▁▁" {
		t.Errorf("flat sparkline = %q", got)
	}
}

// catalogEntry finds name in st's catalog, nil when it is not there.
func catalogEntry(t *testing.T, st storage.Store, name string) *model.CatalogModel {
	t.Helper()
	cat, err := st.Models()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cat {
		if c.Name == name {
			return &c
		}
	}
	return nil
}

func TestCatalogAddAndRemove(t *testing.T) {
	st := openStore(t)
	h := newHarness(t, st, 80, 24)
	h.press("m", "a")
	h.typeText("zz-model zz-other")
	h.press("enter")
	if catalogEntry(t, st, "zz-model") == nil || catalogEntry(t, st, "zz-other") == nil {
		t.Fatalf("add did not reach the store")
	}
	if !strings.Contains(h.view(), "Added 'zz-model' and 'zz-other'") {
		t.Errorf("footer:\n%s", h.view())
	}
	h.press("G", "up", "d")
	if !strings.Contains(h.view(), "Remove 'zz-model' from the catalog?") {
		t.Fatalf("no question:\n%s", h.view())
	}
	h.press("enter")
	if catalogEntry(t, st, "zz-model") == nil {
		t.Fatalf("enter (no) removed the model")
	}
	h.press("d", "y")
	if catalogEntry(t, st, "zz-model") != nil {
		t.Errorf("y did not remove the model")
	}
	h.press("a")
	h.typeText(strings.Repeat("m", 130))
	h.press("enter")
	if h.m.state != screenCatalogAdd || h.m.cat.err == "" {
		t.Errorf("an overlong name was accepted: %q", h.m.cat.err)
	}
	h.press("esc", "esc")
	if h.m.state != screenTable {
		t.Errorf("esc does not return to the tokens")
	}
}

func TestCatalogPrices(t *testing.T) {
	st := openStore(t)
	if err := st.AddModels("x", "zz-model"); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, st, 80, 24)
	h.press("m", "G", "p")
	if h.m.price == nil || h.m.price.name != "zz-model" {
		t.Fatalf("p does not open the price of zz-model")
	}
	h.paste("2.5x")
	if h.m.price.inputs[0].Value() != "" || h.m.price.errs[0] == "" {
		t.Errorf("a bad pasted price was taken")
	}
	h.typeText("2.50")
	h.press("tab")
	h.typeText("10")
	h.press("tab")
	h.typeText("1.25")
	h.press("enter")
	p := catalogEntry(t, st, "zz-model").Price
	if p == nil || p.Input != 250*model.Cent || p.Output != 10*model.Dollar ||
		p.CachedInput == nil || *p.CachedInput != 125*model.Cent {
		t.Fatalf("price %+v", p)
	}
	if v := h.view(); !strings.Contains(v, "$2.5") || !strings.Contains(v, "$1.25") {
		t.Errorf("price not shown:\n%s", v)
	}
	h.press("x")
	if catalogEntry(t, st, "zz-model").Price != nil {
		t.Errorf("x did not clear the price")
	}
}

func TestLiveRefreshBetweenConsoles(t *testing.T) {
	st := openStore(t)
	seed(t, st, 3)
	a := New(testConfig(st, nil))
	b := New(testConfig(st, nil))
	defer a.Close()
	defer b.Close()
	hb := &harness{t: t, m: b}
	hb.send(tea.WindowSizeMsg{Width: 80, Height: 24})
	hb.run(loadTokensCmd(st, "", 1))
	hb.press("down") // tok-01
	wait := waitChangeCmd(b.sub, nil, nil)
	ha := &harness{t: t, m: a}
	ha.send(tea.WindowSizeMsg{Width: 80, Height: 24})
	ha.run(loadTokensCmd(st, "", 1))
	ha.press("n")
	ha.typeText("from-a")
	ha.press("ctrl+s")

	got := make(chan any, 1)
	go func() { got <- wait() }()
	select {
	case msg := <-got:
		if _, ok := msg.(storeChangedMsg); !ok {
			t.Fatalf("wait returned %T", msg)
		}
		b.sub = nil // the harness runs commands inline: do not wait again
		hb.send(msg)
	case <-time.After(10 * time.Second): // a guard against hanging, not a timing test
		t.Fatal("no change signal reached the other console")
	}
	if !strings.Contains(b.View(), "from-a") || selectedName(hb) != "tok-01" {
		t.Errorf("the other console: selected %q\n%s", selectedName(hb), b.View())
	}
}

func TestSessionEndStopsTheSubscription(t *testing.T) {
	st := openStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	cfg := testConfig(st, nil)
	cfg.Context = ctx
	m := New(cfg)
	ch := m.sub
	wait := waitChangeCmd(m.sub, m.done, m.cancel)
	cancel()
	if msg := wait(); msg != (storeGoneMsg{}) {
		t.Fatalf("wait returned %T after the session ended", msg)
	}
	select {
	case _, ok := <-ch:
		if ok {
			t.Error("the subscription still delivers signals")
		}
	default:
		t.Error("the subscription channel is still open")
	}
}
