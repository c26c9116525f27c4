package sshd

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/ssh"
	gossh "golang.org/x/crypto/ssh"

	"keyward/sshd/sshdtest"
)

func TestConsoleForAuthorizedKey(t *testing.T) {
	alice := newTestKey(t, "alice@laptop")
	env := startServer(t, nil, alice)
	term := sshdtest.OpenTerminal(t, env.mustDial(t, alice), 80, 24)
	term.WaitFor(t, "operator=alice@laptop")
	term.WaitFor(t, "size=80x24")
	term.Send(t, "hi")
	term.WaitFor(t, "typed=hi")
	if err := term.Session.WindowChange(30, 100); err != nil {
		t.Fatal(err)
	}
	term.WaitFor(t, "size=100x30")
	term.Send(t, "q")
	if status := term.Wait(t); status != 0 {
		t.Errorf("exit status %d, want 0", status)
	}
}

// TestRejectedLogins sends each kind of login the server must refuse,
// including password and keyboard-interactive requests it never offers
// (the client's AuthCallback sends them anyway), and checks that the
// server offered publickey only, refused the request it got, and logged it.
func TestRejectedLogins(t *testing.T) {
	alice, mallory := newTestKey(t, "alice"), newTestKey(t, "mallory")
	env := startServer(t, nil, alice)
	answer := func(string, string, []string, []bool) ([]string, error) {
		return []string{"secret"}, nil
	}
	tests := []struct {
		name, method string
		auth         gossh.AuthMethod
	}{
		{"unknown key", "publickey", gossh.PublicKeys(mallory.Signer)},
		{"password", "password", gossh.Password("secret")},
		{"keyboard-interactive", "keyboard-interactive",
			gossh.KeyboardInteractive(answer)},
		{"no method", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var offered [][]string
			sent := false
			c, err := env.dialConfig(&gossh.ClientConfig{User: "op",
				AuthCallback: func(ctx *gossh.ClientAuthContext) (gossh.AuthMethod, error) {
					offered = append(offered, ctx.AllowedMethods)
					if sent || tt.auth == nil {
						return nil, errors.New("no more methods")
					}
					sent = true
					return tt.auth, nil
				}})
			if err == nil {
				_ = c.Close()
				t.Fatal("login succeeded")
			}
			for _, methods := range offered {
				if len(methods) != 1 || methods[0] != "publickey" {
					t.Errorf("server offered %v, want [publickey]", methods)
				}
			}
			if tt.method == "" {
				return
			}
			want := "method=" + tt.method
			sshdtest.WaitUntil(t, "the "+tt.method+" attempt to be logged", func() bool {
				return strings.Contains(env.logs.String(), want)
			})
		})
	}
	// The authorized key still works after all that.
	c := env.mustDial(t, alice)
	if out, _, _ := sshdtest.Run(t, c, "whoami"); !strings.Contains(out, `"alice"`) {
		t.Errorf("whoami printed %q", out)
	}
}

// swappedSigner offers one public key and signs with another key.
type swappedSigner struct {
	offered gossh.PublicKey
	signer  gossh.Signer
	signed  bool
}

func (s *swappedSigner) PublicKey() gossh.PublicKey { return s.offered }

func (s *swappedSigner) Sign(rand io.Reader, data []byte) (*gossh.Signature, error) {
	s.signed = true
	return s.signer.Sign(rand, data)
}

// queryOnlySigner offers a key (the server answers whether it would
// accept it) but never signs: the client moves on to its next method.
type queryOnlySigner struct {
	offered gossh.PublicKey
	queried bool
}

func (s *queryOnlySigner) PublicKey() gossh.PublicKey { return s.offered }

func (s *queryOnlySigner) Sign(io.Reader, []byte) (*gossh.Signature, error) {
	s.queried = true // Sign is only reached after the server accepted the key
	return nil, errors.New("this signer only asks")
}

// authSequence tries each method in turn, even several of one kind.
func authSequence(
	methods ...gossh.AuthMethod,
) func(*gossh.ClientAuthContext) (gossh.AuthMethod, error) {
	return func(*gossh.ClientAuthContext) (gossh.AuthMethod, error) {
		if len(methods) == 0 {
			return nil, errors.New("no more methods")
		}
		next := methods[0]
		methods = methods[1:]
		return next, nil
	}
}

// TestSignerIdentityCVE202445337 checks that the operator is the key that
// signed, never one that was only offered.
func TestSignerIdentityCVE202445337(t *testing.T) {
	a, b := newTestKey(t, "operator-a"), newTestKey(t, "operator-b")
	outsider := newTestKey(t, "outsider")

	t.Run("offer A, sign with unauthorized key in the same request", func(t *testing.T) {
		env := startServer(t, nil, a, b)
		swapped := &swappedSigner{offered: a.Signer.PublicKey(), signer: outsider.Signer}
		c, err := env.dial(gossh.PublicKeys(swapped))
		if err == nil {
			_ = c.Close()
			t.Fatal("login succeeded with a signature from an unauthorized key")
		}
		if !swapped.signed {
			t.Fatal("the client never signed: the test did not exercise the attack")
		}
	})

	t.Run("query A, then sign with unauthorized key", func(t *testing.T) {
		env := startServer(t, nil, a, b)
		query := &queryOnlySigner{offered: a.Signer.PublicKey()}
		c, err := env.dialConfig(&gossh.ClientConfig{User: "op",
			AuthCallback: authSequence(gossh.PublicKeys(query),
				gossh.PublicKeys(outsider.Signer))})
		if err == nil {
			_ = c.Close()
			t.Fatal("login succeeded after signing with an unauthorized key")
		}
		if !query.queried {
			t.Fatal("the server never accepted A: the test did not exercise the attack")
		}
	})

	t.Run("query A, then sign with authorized B: operator is B", func(t *testing.T) {
		env := startServer(t, nil, a, b)
		query := &queryOnlySigner{offered: a.Signer.PublicKey()}
		c, err := env.dialConfig(&gossh.ClientConfig{User: "op",
			AuthCallback: authSequence(gossh.PublicKeys(query), gossh.PublicKeys(b.Signer))})
		if err != nil {
			t.Fatalf("login with B failed: %v", err)
		}
		defer c.Close()
		if !query.queried {
			t.Fatal("the server never accepted A: the test did not exercise the attack")
		}
		out, _, status := sshdtest.Run(t, c, "whoami")
		if status != 0 || !strings.Contains(out, `"operator":"operator-b"`) {
			t.Errorf("whoami = %q (status %d), want operator-b", out, status)
		}
		term := sshdtest.OpenTerminal(t, c, 80, 24)
		term.WaitFor(t, "operator=operator-b")
	})
}

func TestCommandOverSSH(t *testing.T) {
	alice := newTestKey(t, "alice")
	env := startServer(t, nil, alice)
	c := env.mustDial(t, alice)
	tests := []struct {
		cmd        string
		wantOut    string
		wantStatus int
	}{
		{"tokens list --json", `{"operator":"alice","args":["tokens","list","--json"]}`, 0},
		{`tokens create --name "two words"`, `"two words"`, 0},
		{"fail now", `"fail"`, 3},
	}
	for _, tt := range tests {
		t.Run(tt.cmd, func(t *testing.T) {
			out, _, status := sshdtest.Run(t, c, tt.cmd)
			if !strings.Contains(out, tt.wantOut) || status != tt.wantStatus {
				t.Errorf("got %q status %d, want %q status %d",
					out, status, tt.wantOut, tt.wantStatus)
			}
		})
	}
}

func TestConsoleNeedsTerminal(t *testing.T) {
	alice := newTestKey(t, "alice")
	env := startServer(t, nil, alice)
	c := env.mustDial(t, alice)
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	var stderr sshdtest.Buffer
	sess.Stderr = &stderr
	err = sess.Run("")
	var exit *gossh.ExitError
	if !errors.As(err, &exit) || exit.ExitStatus() != 1 {
		t.Errorf("err = %v, want exit status 1", err)
	}
	if !strings.Contains(stderr.String(), "needs a terminal") ||
		!strings.Contains(stderr.String(), "ssh -t -p") {
		t.Errorf("stderr %q does not explain what to do", stderr.String())
	}
}

func TestAuthorizedKeysRequired(t *testing.T) {
	alice := newTestKey(t, "alice")
	tests := []struct {
		name    string
		content *string
	}{
		{"missing", nil},
		{"empty", ptr("")},
		{"comments only", ptr("# nobody yet\n\n")},
		{"options only", ptr(`from="10.0.0.1" ` + alice.Line() + "\n")},
		{"garbage", ptr("ssh-ed25519 not-base64\n")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "authorized_keys")
			if tt.content != nil {
				if err := os.WriteFile(path, []byte(*tt.content), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			_, err := New(Config{HostKeyPath: filepath.Join(dir, HostKeyFile),
				AuthorizedKeysPath: path, Console: nil, Command: echoCommand})
			if err == nil {
				t.Fatal("New without Console succeeded")
			}
			_, err = New(Config{HostKeyPath: filepath.Join(dir, HostKeyFile),
				AuthorizedKeysPath: path, Command: echoCommand,
				Console: startConsole})
			if !errors.Is(err, ErrNoAuthorizedKeys) {
				t.Fatalf("err = %v, want ErrNoAuthorizedKeys", err)
			}
			hint := "mkdir -p -m 700 " + dir + " && cat ~/.ssh/id_ed25519.pub >> " + path +
				" && chmod 600 " + path
			if !strings.Contains(err.Error(), hint) {
				t.Errorf("error does not say how to add a key: %v", err)
			}
			if _, statErr := os.Stat(filepath.Join(dir, HostKeyFile)); statErr == nil {
				t.Error("a host key was made although the server cannot start")
			}
		})
	}
}

func ptr(s string) *string { return &s }

func TestAuthorizedKeysReload(t *testing.T) {
	alice, bob, carol := newTestKey(t, "alice"), newTestKey(t, "bob"), newTestKey(t, "carol")
	env := startServer(t, nil, alice)
	if c, err := env.dial(gossh.PublicKeys(bob.Signer)); err == nil {
		_ = c.Close()
		t.Fatal("bob logged in before being added")
	}
	// An edit is noticed on the next login, without a reload.
	sshdtest.WriteAuthorizedKeys(t, env.keyFile, alice, bob)
	env.mustDial(t, bob)

	// An edit that keeps size and time is only seen after Reload (SIGHUP).
	info, err := os.Stat(env.keyFile)
	if err != nil {
		t.Fatal(err)
	}
	bob2 := testKey{Signer: carol.Signer, Comment: "bob"} // same line length
	sshdtest.WriteAuthorizedKeys(t, env.keyFile, alice, bob2)
	if err := os.Chtimes(env.keyFile, info.ModTime(), info.ModTime()); err != nil {
		t.Fatal(err)
	}
	env.mustDial(t, bob) // still the old list
	if err := env.srv.Reload(); err != nil {
		t.Fatalf("Reload: %v", err)
	}
	if c, err := env.dial(gossh.PublicKeys(bob.Signer)); err == nil {
		_ = c.Close()
		t.Error("bob's key still works after it was replaced and reloaded")
	}
	env.mustDial(t, carol)

	// A deleted file lets nobody in.
	if err := os.Remove(env.keyFile); err != nil {
		t.Fatal(err)
	}
	if c, err := env.dial(gossh.PublicKeys(alice.Signer)); err == nil {
		_ = c.Close()
		t.Error("alice logged in although the authorized_keys file is gone")
	}
}

func TestMaxSessions(t *testing.T) {
	alice := newTestKey(t, "alice")
	env := startServer(t, func(c *Config) { c.MaxSessions = 1 }, alice)
	c := env.mustDial(t, alice)
	term := sshdtest.OpenTerminal(t, c, 80, 24)
	term.WaitFor(t, "operator=alice")
	_, stderr, status := sshdtest.Run(t, env.mustDial(t, alice), "tokens list")
	if status != 1 || !strings.Contains(stderr, "too many sessions") {
		t.Errorf("second session: status %d, stderr %q; want a refusal", status, stderr)
	}
	term.Send(t, "q")
	term.Wait(t)
	sshdtest.WaitUntil(t, "no open session", func() bool { return env.srv.Sessions() == 0 })
	if _, _, status := sshdtest.Run(t, c, "tokens list"); status != 0 {
		t.Errorf("after the console closed, a command got status %d", status)
	}
}

func TestFailedLoginsBanAddress(t *testing.T) {
	alice, mallory := newTestKey(t, "alice"), newTestKey(t, "mallory")
	clock := &fakeClock{now: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
	env := startServer(t, func(c *Config) {
		c.MaxAuthFailures, c.AuthWindow, c.AuthBan = 3, time.Minute, 5*time.Minute
		c.Clock = clock.Now
	}, alice)
	// Trying a wrong key before the right one is a success, not a failure.
	for range 4 {
		c := env.mustDial(t, mallory, alice)
		_ = c.Close()
	}
	for i := range 3 {
		if c, err := env.dial(gossh.PublicKeys(mallory.Signer)); err == nil {
			_ = c.Close()
			t.Fatalf("attempt %d: mallory logged in", i)
		}
	}
	sshdtest.WaitUntil(t, "the ban to be logged", func() bool {
		return strings.Contains(env.logs.String(), "too many failed logins")
	})
	if c, err := env.dial(gossh.PublicKeys(alice.Signer)); err == nil {
		_ = c.Close()
		t.Fatal("the banned address could still log in")
	}
	clock.Advance(5 * time.Minute)
	env.mustDial(t, alice)
}

func TestShutdownTellsSessions(t *testing.T) {
	alice := newTestKey(t, "alice")
	env := startServer(t, nil, alice)
	c := env.mustDial(t, alice)
	term := sshdtest.OpenTerminal(t, c, 80, 24)
	term.WaitFor(t, "operator=alice")
	ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
	defer cancel()
	if err := env.srv.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	term.WaitFor(t, ShutdownMessage)
	if status := term.Wait(t); status != 1 {
		t.Errorf("exit status %d, want 1", status)
	}
	if c, err := env.dial(gossh.PublicKeys(alice.Signer)); err == nil {
		_ = c.Close()
		t.Error("a new connection was accepted after shutdown")
	}
}

func TestIdleTimeoutClosesConnection(t *testing.T) {
	alice := newTestKey(t, "alice")
	env := startServer(t, func(c *Config) { c.IdleTimeout = 300 * time.Millisecond }, alice)
	term := sshdtest.OpenTerminal(t, env.mustDial(t, alice), 80, 24)
	term.WaitFor(t, "operator=alice")
	term.Wait(t) // returns once the server drops the idle connection
	sshdtest.WaitUntil(t, "the session end to be logged", func() bool {
		return strings.Contains(env.logs.String(), "ssh session end")
	})
}

func TestLogsNameOperatorAndHideKeys(t *testing.T) {
	alice := newTestKey(t, "alice")
	env := startServer(t, nil, alice)
	c := env.mustDial(t, alice)
	const apiKey = "sk-abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV"
	sshdtest.Run(t, c, "tokens find "+apiKey)
	sshdtest.Run(t, c, "tokens find --key="+apiKey)
	_ = c.Close()
	sshdtest.WaitUntil(t, "two session ends to be logged", func() bool {
		return strings.Count(env.logs.String(), "ssh session end") == 2
	})
	logs := env.logs.String()
	for _, want := range []string{"ssh session start", "operator=alice",
		"remote=127.0.0.1", `command="tokens find ..."`} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %q", want)
		}
	}
	pub := strings.Fields(alice.Line())[1]
	for _, secret := range []string{apiKey[3:], pub} {
		if strings.Contains(logs, secret) {
			t.Errorf("logs contain a key")
		}
	}
}

func TestLoginGraceClosesSilentConnections(t *testing.T) {
	alice := newTestKey(t, "alice")
	env := startServer(t, func(c *Config) { c.LoginGrace = 300 * time.Millisecond }, alice)
	raw, err := net.Dial("tcp", env.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if err := raw.SetReadDeadline(time.Now().Add(hangGuard)); err != nil {
		t.Fatal(err)
	}
	// The server sends its version line, then must hang up on a client
	// that never logs in.
	if _, err := io.Copy(io.Discard, raw); err != nil {
		t.Fatalf("connection not closed by the server: %v", err)
	}
	// A logged-in session outlives the grace time.
	term := sshdtest.OpenTerminal(t, env.mustDial(t, alice), 80, 24)
	term.WaitFor(t, "operator=alice")
	time.Sleep(600 * time.Millisecond) // let the grace time pass
	term.Send(t, "x")
	term.WaitFor(t, "typed=x")
}

func TestPanicInCommandKeepsServerUp(t *testing.T) {
	alice := newTestKey(t, "alice")
	env := startServer(t, func(c *Config) {
		next := c.Command
		c.Command = func(sess ssh.Session, op string, args []string) int {
			if args[0] == "boom" {
				panic("boom")
			}
			return next(sess, op, args)
		}
	}, alice)
	c := env.mustDial(t, alice)
	_, stderr, status := sshdtest.Run(t, c, "boom")
	if status != 1 || !strings.Contains(stderr, "internal error") {
		t.Errorf("panicking command: status %d, stderr %q", status, stderr)
	}
	if _, _, status := sshdtest.Run(t, env.mustDial(t, alice), "tokens list"); status != 0 {
		t.Errorf("server unusable after a panic: status %d", status)
	}
}
