package serve_test

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"keyward/cli"
	"keyward/serve"
	"keyward/sshd/sshdtest"
	"keyward/storage"
)

// execCLI runs SSH commands with cli.Exec, as the keyward binary does.
func execCLI(env serve.CommandEnv, args []string) int {
	return cli.Exec(cli.Env{
		Store: env.Store, Actor: env.Actor, Stdin: env.Stdin, Stdout: env.Stdout,
		Stderr: env.Stderr, Interactive: env.Interactive, Remote: true, Log: env.Log,
	}, args)
}

// served is one serve.Run in this test process.
type served struct {
	dir, db, keysFile, logFile string
	signals                    chan os.Signal
	done                       chan int
	stdout, stderr             *sshdtest.Buffer
	info                       storage.ServeInfo
	hostKeySHA256              string
	stopOnce                   sync.Once
	status                     int
}

// isolate keeps the environment from moving the test's files.
func isolate(t *testing.T) {
	t.Setenv(storage.EnvMasterKey, "")
	t.Setenv(storage.EnvDB, "")
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
}

// startServe runs serve on a fresh database in a temp dir, SSH on
// 127.0.0.1:0, with ks authorized; it stops when the test ends.
func startServe(t *testing.T, extra []string, ks ...sshdtest.Key) *served {
	t.Helper()
	s := newServed(t)
	s.run(t, extra, ks...)
	return s
}

// newServed lays out the files of a serve run in a temp dir, so that a
// test can prepare them before run.
func newServed(t *testing.T) *served {
	t.Helper()
	isolate(t)
	dir := t.TempDir()
	return &served{dir: dir, db: filepath.Join(dir, "data", "keyward.db"),
		keysFile: filepath.Join(dir, "authorized_keys"),
		logFile:  filepath.Join(dir, "serve.log"),
		signals:  make(chan os.Signal, 1), done: make(chan int, 1),
		stdout: &sshdtest.Buffer{}, stderr: &sshdtest.Buffer{}}
}

// run starts serve with ks authorized and waits until it serves.
func (s *served) run(t *testing.T, extra []string, ks ...sshdtest.Key) {
	t.Helper()
	sshdtest.WriteAuthorizedKeys(t, s.keysFile, ks...)
	args := append([]string{"--db", s.db, "--ssh", "127.0.0.1:0",
		"--authorized-keys", s.keysFile, "--log", s.logFile}, extra...)
	go func() { s.done <- serve.Run(args, s.signals, s.stdout, s.stderr, execCLI) }()
	t.Cleanup(func() { s.stop(t) })
	s.waitReady(t)
}

// waitReady waits for the serve-info file and the start banner.
func (s *served) waitReady(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(sshdtest.HangGuard)
	for time.Now().Before(deadline) {
		select {
		case code := <-s.done:
			s.done <- code
			t.Fatalf("serve exited with %d: %s", code, s.stderr.String())
		default:
		}
		info, ok := storage.ReadServeInfo(s.db)
		if ok && strings.Contains(s.stdout.String(), "Ctrl+C") {
			s.info = info
			s.hostKeySHA256 = bannerField(s.stdout.String(), "host key")
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("serve did not start: %s", s.stderr.String())
}

// bannerField is the first word after label in serve's banner.
func bannerField(banner, label string) string {
	for _, line := range strings.Split(banner, "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), label+" "); ok {
			return strings.Fields(rest)[0]
		}
	}
	return ""
}

// stop sends SIGTERM (through Run's signal channel) and returns serve's
// exit status.
func (s *served) stop(t *testing.T) int {
	t.Helper()
	s.stopOnce.Do(func() {
		s.signals <- syscall.SIGTERM
		select {
		case s.status = <-s.done:
		case <-time.After(2 * sshdtest.HangGuard):
			t.Error("serve did not stop")
			s.status = -1
		}
	})
	return s.status
}

// hostKeyCheck accepts only the host key whose fingerprint serve printed,
// as an operator comparing fingerprints would.
func hostKeyCheck(want string) gossh.HostKeyCallback {
	return func(_ string, _ net.Addr, key gossh.PublicKey) error {
		if got := gossh.FingerprintSHA256(key); got != want || want == "" {
			return errors.New("host key " + got + " is not the one serve printed")
		}
		return nil
	}
}

// dial logs in to serve's SSH console as k.
func (s *served) dial(t *testing.T, k sshdtest.Key) *gossh.Client {
	t.Helper()
	c, err := s.tryDial(k)
	if err != nil {
		t.Fatalf("dial as %s: %v", k.Comment, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func (s *served) tryDial(k sshdtest.Key) (*gossh.Client, error) {
	return gossh.Dial("tcp", s.info.SSHAddr, &gossh.ClientConfig{
		User: "operator", Auth: []gossh.AuthMethod{gossh.PublicKeys(k.Signer)},
		HostKeyCallback: hostKeyCheck(s.hostKeySHA256), Timeout: sshdtest.HangGuard,
	})
}

// reopen opens the database after serve stopped.
func (s *served) reopen(t *testing.T) *storage.DB {
	t.Helper()
	db, err := storage.Open(s.db, storage.Options{})
	if err != nil {
		t.Fatalf("reopen after serve: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}
