package sshd

import (
	"bufio"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"keyward/sshd/sshdtest"
)

// TestParallelFailuresBan opens many connections at once from one
// address, each trying six wrong keys. Failures count as they happen and
// a banned address is refused in the authentication handler, so the keys
// actually checked stay near the limit instead of reaching 6 per
// connection; the clients are told why.
func TestParallelFailuresBan(t *testing.T) {
	alice := newTestKey(t, "alice")
	var wrong []gossh.Signer
	for range maxAuthTries {
		wrong = append(wrong, newTestKey(t, "mallory").Signer)
	}
	clock := &fakeClock{now: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
	const limit, conns = 5, 12
	env := startServer(t, func(c *Config) {
		c.MaxAuthFailures, c.AuthWindow, c.AuthBan = limit, time.Minute, 5*time.Minute
		c.Clock = clock.Now
	}, alice)
	banners := &sshdtest.Buffer{}
	start := make(chan struct{})
	var wg sync.WaitGroup
	for range conns {
		raw, err := net.Dial("tcp", env.addr)
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer raw.Close()
			<-start
			cfg := &gossh.ClientConfig{User: "op", Auth: []gossh.AuthMethod{
				gossh.PublicKeys(wrong...)},
				HostKeyCallback: gossh.FixedHostKey(env.srv.HostKey()),
				BannerCallback: func(msg string) error {
					_, _ = banners.Write([]byte(msg))
					return nil
				}}
			if c, _, _, err := gossh.NewClientConn(raw, env.addr, cfg); err == nil {
				_ = c.Close()
				t.Error("a wrong key logged in")
			}
		}()
	}
	close(start)
	wg.Wait()
	checked := strings.Count(env.logs.String(), "ssh key rejected")
	t.Logf("%d of %d key attempts were checked", checked, conns*maxAuthTries)
	// Each connection may have one attempt in flight when the ban starts.
	if checked > limit+conns {
		t.Errorf("%d wrong keys were checked; the limit is %d failures", checked, limit)
	}
	if !strings.Contains(banners.String(), "too many failed logins") {
		t.Errorf("no client was told about the ban; banners: %q", banners.String())
	}
	if c, err := env.dial(gossh.PublicKeys(alice.Signer)); err == nil {
		_ = c.Close()
		t.Fatal("the banned address could still log in")
	}
	clock.Advance(5 * time.Minute)
	env.mustDial(t, alice)
}

// TestRightKeyAfterWrongOnesIsNoFailure: as ssh does with several keys in
// an agent, wrong keys tried before the right one in a successful login
// are forgiven.
func TestRightKeyAfterWrongOnesIsNoFailure(t *testing.T) {
	alice, mallory, eve := newTestKey(t, "alice"), newTestKey(t, "mallory"),
		newTestKey(t, "eve")
	clock := &fakeClock{now: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
	env := startServer(t, func(c *Config) {
		c.MaxAuthFailures, c.Clock = 3, clock.Now
	}, alice)
	for range 5 {
		c := env.mustDial(t, mallory, eve, alice)
		_ = c.Close()
	}
	if strings.Contains(env.logs.String(), "too many failed logins") {
		t.Error("logins that succeeded after wrong keys led to a ban")
	}
}

// readGreeting reads the first line the server sends on raw.
func readGreeting(t *testing.T, raw net.Conn) string {
	t.Helper()
	if err := raw.SetReadDeadline(time.Now().Add(hangGuard)); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(raw).ReadString('\n')
	return line
}

// dialFrom opens a TCP connection to addr from the loopback address
// local (127.0.0.x), or skips the test if that cannot be bound.
func dialFrom(t *testing.T, local, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Skipf("cannot connect from %s: %v", local, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// TestUnauthenticatedConnectionsCapped: connections that have not logged
// in are capped per address and in all; more are closed at once with a
// reason and a log line; a closed one gives its slot back.
func TestUnauthenticatedConnectionsCapped(t *testing.T) {
	alice := newTestKey(t, "alice")
	env := startServer(t, func(c *Config) {
		c.MaxStartups, c.MaxStartupsPerAddress = 3, 2
	}, alice)
	logged := env.mustDial(t, alice) // a logged-in connection holds no slot
	defer logged.Close()
	steps := []struct {
		from   string
		wantOK bool
	}{
		{"127.0.0.1", true},
		{"127.0.0.1", true},
		{"127.0.0.1", false}, // third from one address
		{"127.0.0.2", true},
		{"127.0.0.3", false}, // fourth in all
	}
	var first net.Conn
	for i, st := range steps {
		raw := dialFrom(t, st.from, env.addr)
		if first == nil {
			first = raw
		}
		got := readGreeting(t, raw)
		if ok := strings.HasPrefix(got, "SSH-2.0-"); ok != st.wantOK {
			t.Fatalf("connection %d from %s: greeting %q, want accepted=%v",
				i+1, st.from, got, st.wantOK)
		}
		if !st.wantOK && !strings.Contains(got, "too many connections") {
			t.Errorf("connection %d refused without a reason: %q", i+1, got)
		}
	}
	if !strings.Contains(env.logs.String(), "too many connections not logged in") {
		t.Error("the refusal was not logged")
	}
	_ = first.Close()
	sshdtest.WaitUntil(t, "the closed connection's slot to come back", func() bool {
		raw, err := net.Dial("tcp", env.addr)
		if err != nil {
			return false
		}
		defer raw.Close()
		return strings.HasPrefix(readGreeting(t, raw), "SSH-2.0-")
	})
}

// TestFailedLoginLoggedOnce: a connection that ends without logging in
// is logged once, at info level, with its address, the methods it tried
// and the fingerprints of the keys refused.
func TestFailedLoginLoggedOnce(t *testing.T) {
	alice, mallory := newTestKey(t, "alice"), newTestKey(t, "mallory")
	env := startServer(t, nil, alice)
	c, err := env.dialConfig(&gossh.ClientConfig{User: "op",
		AuthCallback: authSequence(gossh.PublicKeys(mallory.Signer),
			gossh.Password("secret"))})
	if err == nil {
		_ = c.Close()
		t.Fatal("login succeeded")
	}
	sshdtest.WaitUntil(t, "the failed login to be logged", func() bool {
		return strings.Contains(env.logs.String(), "ssh login failed")
	})
	logs := env.logs.String()
	if n := strings.Count(logs, "ssh login failed"); n != 1 {
		t.Errorf("%d failed-login lines, want 1", n)
	}
	line := logs[strings.Index(logs, "level=INFO msg=\"ssh login failed\""):]
	line = line[:strings.IndexByte(line, '\n')]
	for _, want := range []string{"remote=127.0.0.1", "methods=publickey,password",
		"rejected_keys=" + Fingerprint(mallory.Signer.PublicKey())} {
		if !strings.Contains(line, want) {
			t.Errorf("failed-login line lacks %q: %s", want, line)
		}
	}
}
