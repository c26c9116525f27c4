package sshd

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/ssh"
	"github.com/muesli/termenv"
	gossh "golang.org/x/crypto/ssh"

	"keyward/sshd/sshdtest"
)

func TestOperatorName(t *testing.T) {
	const fp = "SHA256:abc"
	tests := []struct{ comment, want string }{
		{"alice@laptop", "alice@laptop"},
		{"", fp},
		{"   ", fp},
		{"bob  the\tbuilder", "bob the builder"},
		{"evil\x1b[31mred\x07", "evil[31mred"},
		{strings.Repeat("x", 100), strings.Repeat("x", maxOperatorName)},
		{"émilie", "émilie"},
	}
	for _, tt := range tests {
		if got := operatorName(tt.comment, fp); got != tt.want {
			t.Errorf("operatorName(%q) = %q, want %q", tt.comment, got, tt.want)
		}
	}
}

func TestSessionKind(t *testing.T) {
	tests := []struct {
		args          []string
		kind, command string
	}{
		{nil, "console", ""},
		{[]string{"tokens", "list", "--json"}, "command", "tokens list ..."},
		{[]string{"tokens", "list"}, "command", "tokens list"},
		{[]string{"tokens", "find", "sk-abcdefghijkl"}, "command", "tokens find ..."},
		{[]string{"sk-abcdefghijkl"}, "command", "..."},
		{[]string{"--key=sk-abc"}, "command", "..."},
		{[]string{"Tokens"}, "command", "..."},
	}
	for _, tt := range tests {
		kind, command := sessionKind(tt.args)
		if kind != tt.kind || command != tt.command {
			t.Errorf("sessionKind(%q) = %q, %q; want %q, %q",
				tt.args, kind, command, tt.kind, tt.command)
		}
	}
}

func TestFailLimiter(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	l := newFailLimiter(3, time.Minute, 5*time.Minute, clock.Now)
	steps := []struct {
		advance    time.Duration
		fail       bool
		wantBanned bool
	}{
		{0, true, false},
		{30 * time.Second, true, false},
		{31 * time.Second, true, false}, // the first failure left the window
		{0, true, true},                 // three within a minute
		{4 * time.Minute, false, true},  // still banned
		{time.Minute, false, false},     // ban over
		{0, true, false},                // counting starts afresh
	}
	for i, st := range steps {
		clock.Advance(st.advance)
		if st.fail {
			l.fail("192.0.2.1")
		}
		if _, banned := l.blocked("192.0.2.1"); banned != st.wantBanned {
			t.Errorf("step %d: banned = %v, want %v", i, banned, st.wantBanned)
		}
		if _, banned := l.blocked("192.0.2.2"); banned {
			t.Errorf("step %d: another address is banned", i)
		}
	}
}

// fakeSession is just enough of ssh.Session for operatorOf.
type fakeSession struct {
	ssh.Session
	key   ssh.PublicKey
	perms *gossh.Permissions
}

func (f fakeSession) PublicKey() ssh.PublicKey     { return f.key }
func (f fakeSession) Permissions() ssh.Permissions { return ssh.Permissions{Permissions: f.perms} }
func permsFor(name, fingerprint string) *gossh.Permissions {
	return &gossh.Permissions{Extensions: map[string]string{
		extOperator: name, extFingerprint: fingerprint,
	}}
}

func TestIdentityMustMatchSigningKey(t *testing.T) {
	a, b := newTestKey(t, "a"), newTestKey(t, "b")
	pubA, pubB := a.Signer.PublicKey(), b.Signer.PublicKey()
	tests := []struct {
		name    string
		key     ssh.PublicKey
		perms   *gossh.Permissions
		want    string
		wantErr bool
	}{
		{"matching", pubA, permsFor("a", Fingerprint(pubA)), "a", false},
		{"permissions of another key", pubB, permsFor("a", Fingerprint(pubA)), "", true},
		{"no key", nil, permsFor("a", Fingerprint(pubA)), "", true},
		{"no permissions", pubA, nil, "", true},
		{"no operator", pubA, permsFor("", Fingerprint(pubA)), "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := operatorOf(fakeSession{key: tt.key, perms: tt.perms})
			if got != tt.want || (err != nil) != tt.wantErr {
				t.Errorf("operatorOf = %q, %v; want %q, error %v", got, err, tt.want, tt.wantErr)
			}
			if tt.key == nil {
				return
			}
			_, err = verifiedPublicKey(nil, tt.key, tt.perms, "")
			if (err != nil) != (tt.name == "permissions of another key" || tt.perms == nil) {
				t.Errorf("verifiedPublicKey error = %v", err)
			}
		})
	}
}

func TestHostKeyCreatedOnceAndPrivate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", HostKeyFile)
	first, created, err := LoadOrCreateHostKey(path)
	if err != nil || !created {
		t.Fatalf("first start: created=%v err=%v", created, err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("host key mode %v, want 0600", info.Mode().Perm())
	}
	pubLine, err := os.ReadFile(path + ".pub")
	if err != nil {
		t.Fatalf("no public key file: %v", err)
	}
	pub, _, _, _, err := gossh.ParseAuthorizedKey(pubLine)
	if err != nil || Fingerprint(pub) != Fingerprint(first.PublicKey()) {
		t.Errorf("host .pub file does not hold the host key: %v", err)
	}
	if first.PublicKey().Type() != gossh.KeyAlgoED25519 {
		t.Errorf("host key type %s, want ed25519", first.PublicKey().Type())
	}
	again, created, err := LoadOrCreateHostKey(path)
	if err != nil || created {
		t.Fatalf("second start: created=%v err=%v", created, err)
	}
	if Fingerprint(again.PublicKey()) != Fingerprint(first.PublicKey()) {
		t.Error("the host key changed between starts")
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := LoadOrCreateHostKey(path); err == nil ||
		!strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("a world-readable host key gave %v, want a chmod hint", err)
	}
}

func TestWishLoggerRedactsCommands(t *testing.T) {
	var buf sshdtest.Buffer
	l := wishLogger{log: slog.New(slog.NewTextHandler(&buf,
		&slog.HandlerOptions{Level: slog.LevelDebug}))}
	l.Printf("%s connect %s %v", "sk-user", "127.0.0.1:5",
		[]string{"tokens", "find", "sk-secretsecret"})
	out := buf.String()
	if strings.Contains(out, "secretsecret") || strings.Contains(out, "sk-user") {
		t.Errorf("log line holds a key: %s", out)
	}
	if !strings.Contains(out, "tokens find ...") || !strings.Contains(out, "127.0.0.1:5") {
		t.Errorf("log line lost its useful part: %s", out)
	}
}

func TestParseAuthorizedKeysSkipsBadLines(t *testing.T) {
	a, b := newTestKey(t, "a"), newTestKey(t, "")
	data := strings.Join([]string{
		"# comment", "", a.Line(), "not a key at all",
		`command="x" ` + newTestKey(t, "c").Line(), "  " + b.Line() + "  ",
	}, "\n")
	var logs sshdtest.Buffer
	got := parseAuthorizedKeys([]byte(data), "ak", slog.New(slog.NewTextHandler(&logs, nil)))
	if len(got) != 2 {
		t.Fatalf("parsed %d keys, want 2", len(got))
	}
	if op := got[string(a.Signer.PublicKey().Marshal())]; op.name != "a" {
		t.Errorf("a named %q", op.name)
	}
	fp := Fingerprint(b.Signer.PublicKey())
	if op := got[string(b.Signer.PublicKey().Marshal())]; op.name != fp {
		t.Errorf("comment-less key named %q, want its fingerprint", op.name)
	}
	if n := strings.Count(logs.String(), "line skipped"); n != 2 {
		t.Errorf("%d skipped lines logged, want 2", n)
	}
}

func TestColorProfileFromEnvironment(t *testing.T) {
	tests := []struct {
		env  []string
		want termenv.Profile
	}{
		{nil, termenv.Ascii},
		{[]string{"TERM=dumb"}, termenv.Ascii},
		{[]string{"TERM=xterm"}, termenv.ANSI},
		{[]string{"TERM=xterm-256color"}, termenv.ANSI256},
		{[]string{"TERM=xterm-256color", "COLORTERM=truecolor"}, termenv.TrueColor},
		{[]string{"TERM=xterm-256color", "NO_COLOR=1"}, termenv.Ascii},
		{[]string{"TERM=xterm", "TERM=xterm-kitty"}, termenv.TrueColor}, // last wins
	}
	for _, tt := range tests {
		if got := colorProfile(environ(tt.env)); got != tt.want {
			t.Errorf("colorProfile(%q) = %v, want %v", tt.env, got, tt.want)
		}
	}
}

func TestDarkBackgroundHint(t *testing.T) {
	tests := []struct {
		colorfgbg string
		want      bool
	}{
		{"", true},
		{"15;0", true},
		{"0;15", false},
		{"0;7", false},
		{"7;8", true},
		{"15;default;0", true},
		{"junk", true},
	}
	for _, tt := range tests {
		if got := darkBackground(tt.colorfgbg); got != tt.want {
			t.Errorf("darkBackground(%q) = %v, want %v", tt.colorfgbg, got, tt.want)
		}
	}
}
