package serve_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	gossh "golang.org/x/crypto/ssh"

	"keyward/serve"
	"keyward/sshd"
	"keyward/sshd/sshdtest"
	"keyward/storage"
)

// dialAs logs in to serve with cfg (its host key check and timeout are
// filled in).
func (s *served) dialAs(cfg *gossh.ClientConfig) (*gossh.Client, error) {
	cfg.HostKeyCallback = hostKeyCheck(s.hostKeySHA256)
	cfg.Timeout = sshdtest.HangGuard
	if cfg.User == "" {
		cfg.User = "operator"
	}
	return gossh.Dial("tcp", s.info.SSHAddr, cfg)
}

// waitLog waits until serve's log holds want and returns the log.
func (s *served) waitLog(t *testing.T, want string) string {
	t.Helper()
	var logs []byte
	sshdtest.WaitUntil(t, want+" in serve's log", func() bool {
		logs, _ = os.ReadFile(s.logFile)
		return strings.Contains(string(logs), want)
	})
	return string(logs)
}

func TestServeRejectsUnknownKey(t *testing.T) {
	alice, mallory := sshdtest.NewKey(t, "alice"), sshdtest.NewKey(t, "mallory")
	s := startServe(t, nil, alice)
	c, err := s.tryDial(mallory)
	if err == nil {
		_ = c.Close()
		t.Fatal("an unknown key logged in")
	}
	if !strings.Contains(err.Error(), "unable to authenticate") {
		t.Errorf("error %q does not say authentication failed", err)
	}
	fp := gossh.FingerprintSHA256(mallory.Signer.PublicKey())
	s.waitLog(t, `"rejected_keys":"`+fp)
}

// TestServeRejectsPassword sends a password although serve offers only
// publickey (the client's AuthCallback sends it regardless).
func TestServeRejectsPassword(t *testing.T) {
	alice := sshdtest.NewKey(t, "alice")
	s := startServe(t, nil, alice)
	var offered [][]string
	sent := false
	c, err := s.dialAs(&gossh.ClientConfig{
		AuthCallback: func(ctx *gossh.ClientAuthContext) (gossh.AuthMethod, error) {
			offered = append(offered, ctx.AllowedMethods)
			if sent {
				return nil, errors.New("no more methods")
			}
			sent = true
			return gossh.Password("hunter2"), nil
		}})
	if err == nil {
		_ = c.Close()
		t.Fatal("a password logged in")
	}
	if !sent || len(offered) < 2 {
		t.Fatalf("the password was not sent (offered %v)", offered)
	}
	for _, methods := range offered {
		if len(methods) != 1 || methods[0] != "publickey" {
			t.Errorf("serve offered %v, want [publickey]", methods)
		}
	}
	logs := s.waitLog(t, `"methods":"password"`)
	if strings.Contains(logs, "hunter2") {
		t.Error("serve's log holds the password")
	}
}

// swappedSigner offers one public key and signs with another key.
type swappedSigner struct {
	offered gossh.PublicKey
	signer  gossh.Signer
}

func (s swappedSigner) PublicKey() gossh.PublicKey { return s.offered }

func (s swappedSigner) Sign(rand io.Reader, data []byte) (*gossh.Signature, error) {
	return s.signer.Sign(rand, data)
}

// querySigner offers a key but cannot sign: the client asks whether the
// key would do and moves on.
type querySigner struct{ offered gossh.PublicKey }

func (s querySigner) PublicKey() gossh.PublicKey { return s.offered }

func (querySigner) Sign(io.Reader, []byte) (*gossh.Signature, error) {
	return nil, errors.New("this signer only asks")
}

// methods returns an AuthCallback that tries each method once, in order.
func methods(list ...gossh.AuthMethod) gossh.ClientAuthCallback {
	return func(*gossh.ClientAuthContext) (gossh.AuthMethod, error) {
		if len(list) == 0 {
			return nil, errors.New("no more methods")
		}
		next := list[0]
		list = list[1:]
		return next, nil
	}
}

// TestServeSignerIdentityCVE202445337 runs the CVE-2024-45337 cases
// against serve: offering authorized key A and signing with an
// unauthorized key is refused; offering A and signing with authorized B
// makes the operator B, in the console and in the audit log.
func TestServeSignerIdentityCVE202445337(t *testing.T) {
	a, b := sshdtest.NewKey(t, "operator-a"), sshdtest.NewKey(t, "operator-b")
	outsider := sshdtest.NewKey(t, "outsider")
	s := startServe(t, nil, a, b)
	pubA := a.Signer.PublicKey()
	refused := []struct {
		name string
		cfg  *gossh.ClientConfig
	}{
		{"offer A, sign with an outsider", &gossh.ClientConfig{Auth: []gossh.AuthMethod{
			gossh.PublicKeys(swappedSigner{offered: pubA, signer: outsider.Signer})}}},
		{"query A, then sign with an outsider", &gossh.ClientConfig{AuthCallback: methods(
			gossh.PublicKeys(querySigner{pubA}), gossh.PublicKeys(outsider.Signer))}},
	}
	for _, tt := range refused {
		if c, err := s.dialAs(tt.cfg); err == nil {
			_ = c.Close()
			t.Errorf("%s: logged in", tt.name)
		}
	}
	c, err := s.dialAs(&gossh.ClientConfig{AuthCallback: methods(
		gossh.PublicKeys(querySigner{pubA}), gossh.PublicKeys(b.Signer))})
	if err != nil {
		t.Fatalf("query A, then sign with B: %v", err)
	}
	defer c.Close()
	term := sshdtest.OpenTerminal(t, c, 100, 30)
	term.WaitFor(t, "operator operator-b")
	if _, stderr, status := sshdtest.Run(t, c, "tokens create --name signed-by-b"); status != 0 {
		t.Fatalf("tokens create: status %d: %s", status, stderr)
	}
	s.stop(t)
	if _, ev := findToken(t, s.reopen(t), "signed-by-b"); ev.Actor != "operator-b" {
		t.Errorf("token created by %q, want operator-b", ev.Actor)
	}
}

// TestConsoleStartsWithSilentTerminal: a client whose terminal never
// answers queries gets the console at once, and its first keystroke
// reaches the console (serve asks the terminal nothing).
func TestConsoleStartsWithSilentTerminal(t *testing.T) {
	alice := sshdtest.NewKey(t, "alice")
	s := startServe(t, nil, alice)
	term := sshdtest.OpenTerminalWith(t, s.dial(t, alice),
		sshdtest.TerminalOptions{Width: 100, Height: 30, Silent: true})
	term.WaitFor(t, "operator alice")
	term.Send(t, "n")
	term.WaitFor(t, "New token")
	if term.Queried() {
		t.Error("serve queried the client's terminal")
	}
}

// TestShutdownWithCommandAtPrompt: SIGTERM while `tokens delete` waits
// at its [y/N] prompt tells the session, which reads end of input (no)
// and exits non-zero; the token stays; serve exits 0.
func TestShutdownWithCommandAtPrompt(t *testing.T) {
	alice := sshdtest.NewKey(t, "alice")
	s := startServe(t, nil, alice)
	c := s.dial(t, alice)
	if _, stderr, status := sshdtest.Run(t, c, "tokens create --name doomed"); status != 0 {
		t.Fatalf("create: status %d: %s", status, stderr)
	}
	term := sshdtest.OpenTerminalWith(t, c, sshdtest.TerminalOptions{
		Width: 80, Height: 24, Command: "tokens delete doomed"})
	term.WaitFor(t, "[y/N]")
	if code := s.stop(t); code != 0 {
		t.Errorf("serve exit status %d, want 0: %s", code, s.stderr.String())
	}
	term.WaitFor(t, sshd.ShutdownMessage)
	if status := term.Wait(t); status == 0 {
		t.Error("the interrupted delete exited 0")
	}
	findToken(t, s.reopen(t), "doomed") // still there
}

// TestServePrintsDatabaseWarnings: the database's own warnings (here a
// folder others can read) reach serve's stderr and its log.
func TestServePrintsDatabaseWarnings(t *testing.T) {
	alice := sshdtest.NewKey(t, "alice")
	s := newServed(t)
	dataDir := filepath.Dir(s.db)
	if err := os.Mkdir(dataDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dataDir, 0o755); err != nil {
		t.Fatal(err)
	}
	s.run(t, nil, alice)
	if !strings.Contains(s.stderr.String(), "warning: "+dataDir) {
		t.Errorf("stderr lacks the folder warning:\n%s", s.stderr.String())
	}
	s.waitLog(t, "database warning")
}

// TestServeRefusesWritableAuthorizedKeys: an authorized_keys file others
// may write stops serve, with the chmod to run.
func TestServeRefusesWritableAuthorizedKeys(t *testing.T) {
	isolate(t)
	dir := t.TempDir()
	keysFile := filepath.Join(dir, "authorized_keys")
	sshdtest.WriteAuthorizedKeys(t, keysFile, sshdtest.NewKey(t, "alice"))
	if err := os.Chmod(keysFile, 0o666); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr sshdtest.Buffer
	db := filepath.Join(dir, "keyward.db")
	code := serve.Run([]string{"--db", db, "--ssh", "127.0.0.1:0",
		"--authorized-keys", keysFile}, make(chan os.Signal), &stdout, &stderr, execCLI)
	if code != 1 {
		t.Errorf("exit status %d, want 1", code)
	}
	if !strings.Contains(stderr.String(), "chmod go-w "+keysFile) {
		t.Errorf("stderr does not give the chmod:\n%s", stderr.String())
	}
	if _, ok := storage.ReadServeInfo(db); ok {
		t.Error("a serve-info file was left behind")
	}
}
