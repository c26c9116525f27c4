package serve_test

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"keyward/serve"
	"keyward/sshd"
	"keyward/sshd/sshdtest"
	"keyward/storage"
)

// Environment of the child process TestServeChild runs in.
const (
	envChild     = "KEYWARD_SERVE_TEST_CHILD"
	envChildArgs = "KEYWARD_SERVE_TEST_ARGS"
)

// TestServeChild is serve's main when this test binary runs as the child
// of TestSignalShutdown; otherwise it does nothing.
func TestServeChild(t *testing.T) {
	if os.Getenv(envChild) != "1" {
		t.Skip("runs only as the child of TestSignalShutdown")
	}
	args := strings.Split(os.Getenv(envChildArgs), "\x1f")
	os.Exit(serve.MainWith(args, os.Stdout, os.Stderr, execCLI))
}

// fakeUpstream is an OpenAI-compatible stand-in on 127.0.0.1.
func fakeUpstream(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"object":"list","data":[]}`)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/v1"
}

func checkHealth(t *testing.T, url string) {
	t.Helper()
	client := &http.Client{Timeout: sshdtest.HangGuard}
	resp, err := client.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET %s: %s", url, resp.Status)
	}
}

// TestSignalShutdown runs serve in a child process, opens a console, and
// sends the child SIGTERM: the session is told, the gateway stops, the
// child exits 0, the serve-info file goes and the database opens again.
func TestSignalShutdown(t *testing.T) {
	isolate(t)
	alice := sshdtest.NewKey(t, "alice")
	dir := t.TempDir()
	db := filepath.Join(dir, "keyward.db")
	keysFile := filepath.Join(dir, "authorized_keys")
	sshdtest.WriteAuthorizedKeys(t, keysFile, alice)
	args := []string{"--db", db, "--ssh", "127.0.0.1:0", "--http", "127.0.0.1:0",
		"--upstream", fakeUpstream(t), "--authorized-keys", keysFile,
		"--log", filepath.Join(dir, "serve.log")}
	child, banner := startChild(t, args)

	s := &served{db: db, hostKeySHA256: bannerField(banner, "host key")}
	info, ok := storage.ReadServeInfo(db)
	if !ok || info.PID != child.Process.Pid {
		t.Fatalf("serve info %+v does not name the child %d", info, child.Process.Pid)
	}
	s.info = info
	checkHealth(t, "http://"+info.HTTPAddr+"/healthz")
	term := sshdtest.OpenTerminal(t, s.dial(t, alice), 80, 24)
	term.WaitFor(t, "operator alice")

	if err := syscall.Kill(child.Process.Pid, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	term.WaitFor(t, sshd.ShutdownMessage)
	if status := term.Wait(t); status != 1 {
		t.Errorf("console exit status %d, want 1", status)
	}
	waitChild(t, child)
	if _, err := os.Stat(storage.ServeInfoPath(db)); err == nil {
		t.Error("the serve-info file is still there")
	}
	reopened, err := storage.Open(db, storage.Options{})
	if err != nil {
		t.Fatalf("database after shutdown: %v", err)
	}
	_ = reopened.Close()
	if _, err := net.DialTimeout("tcp", info.SSHAddr, time.Second); err == nil {
		t.Error("the SSH port still accepts connections")
	}
}

// startChild starts this test binary as serve and returns it once it
// printed its banner.
func startChild(t *testing.T, args []string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestServeChild$")
	cmd.Env = append(os.Environ(), envChild+"=1", envChildArgs+"="+strings.Join(args, "\x1f"))
	var stdout, stderr sshdtest.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill() // only if the test failed before it ended
			_ = cmd.Wait()
		}
	})
	sshdtest.WaitUntil(t, "the serve child's banner", func() bool {
		return strings.Contains(stdout.String(), "Ctrl+C")
	})
	return cmd, stdout.String()
}

// waitChild waits for the child to exit and expects status 0.
func waitChild(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve child: %v", err)
		}
	case <-time.After(2 * sshdtest.HangGuard):
		t.Fatal("serve child did not exit after SIGTERM")
	}
}
