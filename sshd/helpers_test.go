package sshd

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/ssh"
	gossh "golang.org/x/crypto/ssh"

	"keyward/sshd/sshdtest"
)

// hangGuard bounds waits that only protect against a hung test.
const hangGuard = sshdtest.HangGuard

type testKey = sshdtest.Key

func newTestKey(t *testing.T, comment string) testKey { return sshdtest.NewKey(t, comment) }

// fakeClock is a settable clock for the login limiter.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// echoModel is a tiny console: it shows its operator, size and what was
// typed, and quits on q.
type echoModel struct {
	operator string
	typed    string
	w, h     int
}

func (m echoModel) Init() tea.Cmd { return nil }

func (m echoModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.w, m.h = msg.Width, msg.Height
	case tea.KeyMsg:
		if msg.String() == "q" {
			return m, tea.Quit
		}
		m.typed += msg.String()
	}
	return m, nil
}

func (m echoModel) View() string {
	return fmt.Sprintf("operator=%s\nsize=%dx%d\ntyped=%s\n", m.operator, m.w, m.h, m.typed)
}

func startConsole(_ ssh.Session, op string) tea.Model { return echoModel{operator: op} }

// echoCommand prints the operator and arguments; "fail" exits 3; "ask"
// prompts as a delete would and exits 0 only on "y".
func echoCommand(sess ssh.Session, operator string, args []string) int {
	if args[0] == "ask" {
		return askCommand(sess)
	}
	out, _ := json.Marshal(struct {
		Operator string   `json:"operator"`
		Args     []string `json:"args"`
	}{operator, args})
	_, _ = fmt.Fprintf(sess, "%s\n", out)
	if args[0] == "fail" {
		_, _ = fmt.Fprintln(sess.Stderr(), "failed on purpose")
		return 3
	}
	return 0
}

// askCommand prompts "Sure? [y/N]" on stderr and reads the answer up to
// a line end; end of input is no.
func askCommand(sess ssh.Session) int {
	_, _ = io.WriteString(sess.Stderr(), "Sure? [y/N] ")
	var answer []byte
	buf := make([]byte, 1)
	for {
		n, err := sess.Read(buf)
		if n == 1 && (buf[0] == '\r' || buf[0] == '\n') {
			break
		}
		if n == 1 {
			answer = append(answer, buf[0])
		}
		if err != nil {
			_, _ = io.WriteString(sess.Stderr(), "(end of input)\n")
			return 1
		}
	}
	if string(answer) == "y" {
		_, _ = io.WriteString(sess, "done\n")
		return 0
	}
	return 1
}

// tickMsg is tickModel's clock.
type tickMsg struct{}

// tickModel redraws every few milliseconds without any input, like a
// console showing live updates.
type tickModel struct{ n int }

func (m tickModel) Init() tea.Cmd { return tick() }

func tick() tea.Cmd {
	return tea.Tick(20*time.Millisecond, func(time.Time) tea.Msg { return tickMsg{} })
}

func (m tickModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tickMsg:
		m.n++
		return m, tick()
	case tea.KeyMsg:
		if msg.String() == "q" {
			return m, tea.Quit
		}
	}
	return m, nil
}

func (m tickModel) View() string { return fmt.Sprintf("ticking %d\n", m.n) }

// testEnv is a running server and its files.
type testEnv struct {
	srv     *Server
	addr    string
	dir     string
	keyFile string
	logs    *sshdtest.Buffer
	served  chan error
}

// startServer runs a server on 127.0.0.1:0 with authorized keys ks;
// edit adjusts the config. The server stops when the test ends.
func startServer(t *testing.T, edit func(*Config), ks ...testKey) *testEnv {
	t.Helper()
	env := &testEnv{dir: t.TempDir(), logs: &sshdtest.Buffer{}, served: make(chan error, 1)}
	env.keyFile = filepath.Join(env.dir, "authorized_keys")
	sshdtest.WriteAuthorizedKeys(t, env.keyFile, ks...)
	cfg := Config{
		HostKeyPath:        filepath.Join(env.dir, HostKeyFile),
		AuthorizedKeysPath: env.keyFile,
		Logger: slog.New(slog.NewTextHandler(env.logs,
			&slog.HandlerOptions{Level: slog.LevelDebug})),
		Console: startConsole,
		Command: echoCommand,
	}
	if edit != nil {
		edit(&cfg)
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	env.srv, env.addr = srv, ln.Addr().String()
	go func() { env.served <- srv.Serve(ln) }()
	t.Cleanup(func() { env.stop(t) })
	return env
}

// stop shuts the server down and waits for Serve to return.
func (env *testEnv) stop(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
	defer cancel()
	if err := env.srv.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	select {
	case err := <-env.served:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
		env.served <- nil // later calls see it as stopped
	case <-time.After(hangGuard):
		t.Error("Serve did not return after Shutdown")
	}
}

// dial connects with the given auth methods, checking the host key.
func (env *testEnv) dial(auth ...gossh.AuthMethod) (*gossh.Client, error) {
	return env.dialConfig(&gossh.ClientConfig{User: "op", Auth: auth})
}

func (env *testEnv) dialConfig(cfg *gossh.ClientConfig) (*gossh.Client, error) {
	cfg.HostKeyCallback = gossh.FixedHostKey(env.srv.HostKey())
	cfg.Timeout = hangGuard
	return gossh.Dial("tcp", env.addr, cfg)
}

// mustDial logs in offering ks in order.
func (env *testEnv) mustDial(t *testing.T, ks ...testKey) *gossh.Client {
	t.Helper()
	var signers []gossh.Signer
	for _, k := range ks {
		signers = append(signers, k.Signer)
	}
	c, err := env.dial(gossh.PublicKeys(signers...))
	if err != nil {
		t.Fatalf("dial as %s: %v", ks[len(ks)-1].Comment, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}
