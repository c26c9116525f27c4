//go:build linux || darwin

package cli

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"

	"keyward/storage"
)

// withTTY runs Main with a pseudo-terminal as stdin and stdout and
// returns what it wrote there besides the result.
func withTTY(t *testing.T, args ...string) (result, string) {
	t.Helper()
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal here: %v", err)
	}
	defer func() { _ = ptmx.Close() }()
	screen := make(chan string, 1)
	go func() {
		var b bytes.Buffer
		_, _ = io.Copy(&b, ptmx) // ends when the terminal side is closed
		screen <- b.String()
	}()
	var errOut bytes.Buffer
	code := Main(args, tty, tty, &errOut)
	_ = tty.Close()
	var drawn string
	select {
	case drawn = <-screen:
	case <-time.After(10 * time.Second): // only guards against a hang
		t.Fatal("the terminal never closed")
	}
	return result{code: code, stderr: errOut.String()}, drawn
}

// TestConsoleNeedsTerminal: without a terminal on stdin or stdout the
// console says so in one sentence, exits 1, draws nothing and creates
// no file.
func TestConsoleNeedsTerminal(t *testing.T) {
	const want = "keyward: the console needs a terminal; for scripts use " +
		"`keyward tokens list` (see keyward help).\n"
	path := tempDB(t)
	devNull, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = devNull.Close() }()
	var out, errOut bytes.Buffer
	if code := Main([]string{"--db", path}, devNull, &out, &errOut); code != exitFail ||
		errOut.String() != want || out.Len() != 0 {
		t.Errorf("< /dev/null | cat: exit %d, stdout %q, stderr %q", code, out.String(),
			errOut.String())
	}

	// stdin a terminal, stdout a pipe (keyward | cat), and the reverse
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal here: %v", err)
	}
	defer func() { _ = ptmx.Close(); _ = tty.Close() }()
	out.Reset()
	errOut.Reset()
	if code := Main([]string{"--db", path}, tty, &out, &errOut); code != exitFail ||
		errOut.String() != want || out.Len() != 0 {
		t.Errorf("| cat: exit %d, stdout %q, stderr %q", code, out.String(), errOut.String())
	}
	errOut.Reset()
	if code := Main([]string{"--db", path}, devNull, tty, &errOut); code != exitFail ||
		errOut.String() != want {
		t.Errorf("< /dev/null: exit %d, stderr %q", code, errOut.String())
	}
	_ = tty.Close()
	if drawn, _ := io.ReadAll(ptmx); len(drawn) != 0 {
		t.Errorf("the terminal was written to: %q", drawn)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a console without a terminal created the database: %v", err)
	}
}

// TestConsoleOpenErrorsOnTerminal: on a terminal, a database that cannot
// be opened is one sentence on stderr and nothing on the screen.
func TestConsoleOpenErrorsOnTerminal(t *testing.T) {
	path := tempDB(t)
	holder, err := storage.Open(path, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = holder.Close() }()
	r, drawn := withTTY(t, "--db", path)
	expect(t, r, exitFail, "keyward: the database "+path+" is in use by another "+
		"Keyward process; close that console, server or script and try again.\n")
	if strings.Contains(drawn, "\x1b[?1049h") {
		t.Errorf("the alternate screen was entered: %q", drawn)
	}
	if err := holder.Close(); err != nil {
		t.Fatal(err)
	}
	remove, err := storage.WriteServeInfo(path, storage.ServeInfo{PID: os.Getpid(),
		SSHAddr: "127.0.0.1:23234"})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = remove() }()
	r, drawn = withTTY(t, "--db", path)
	expect(t, r, exitFail, "keyward: keyward serve is running on this database; "+
		"connect with ssh -p 23234 127.0.0.1.\n")
	if drawn != "" {
		t.Errorf("the terminal was written to: %q", drawn)
	}
}

// TestLogRefusesKeywardFiles: --log naming the database, its master key
// or its serve-info file, directly or through a link, is a usage error
// and leaves the file alone.
func TestLogRefusesKeywardFiles(t *testing.T) {
	path := tempDB(t)
	expect(t, runMain(t, "--db", path, "models", "list"), exitOK, "")
	dir := t.TempDir()
	link := filepath.Join(dir, "link.log")
	if err := os.Symlink(path, link); err != nil {
		t.Fatal(err)
	}
	hard := filepath.Join(dir, "hard.log")
	if err := os.Link(storage.MasterKeyPath(path), hard); err != nil {
		t.Fatal(err)
	}
	rel, err := filepath.Rel(mustGetwd(t), path)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct{ log, want string }{
		{path, "is the database;"},
		{rel, "is the database;"},
		{storage.MasterKeyPath(path), "is the database's master key file"},
		{storage.ServeInfoPath(path), "is the serve-info file"},
		{link, "is the database;"},
		{hard, "is the database's master key file"},
	}
	before := snapshot(t, path, storage.MasterKeyPath(path))
	for _, c := range cases {
		for _, args := range [][]string{{"tokens", "list"}, {}} {
			r := runMain(t, append([]string{"--db", path, "--log", c.log}, args...)...)
			expect(t, r, exitUsage, c.want)
		}
	}
	if after := snapshot(t, path, storage.MasterKeyPath(path)); after != before {
		t.Error("a refused --log changed the database or its key")
	}
	if _, err := os.Stat(storage.ServeInfoPath(path)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused --log created the serve-info file: %v", err)
	}
	ok := filepath.Join(dir, "keyward.log")
	expect(t, runMain(t, "--db", path, "--log", ok, "models", "list"), exitOK, "")
}

func mustGetwd(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return wd
}

// snapshot is the contents of files, joined.
func snapshot(t *testing.T, paths ...string) string {
	t.Helper()
	var b strings.Builder
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(data)
	}
	return b.String()
}

// TestBaseURLIsChecked: --base-url and KEYWARD_BASE_URL must be an http
// or https URL with a host and nothing that breaks the set-up snippets.
func TestBaseURLIsChecked(t *testing.T) {
	path := tempDB(t)
	t.Setenv(EnvBaseURL, "")
	bad := []struct{ url, want string }{
		{"ftp://gw.example/v1", "must start with http:// or https://"},
		{"localhost:8080/v1", "must start with http:// or https://"},
		{"gw.example", "must start with http:// or https://"},
		{"http://", "has no host"},
		{"https:///v1", "has no host"},
		{"http://gw.example/v 1", `contains ' '`},
		{`http://gw.example/"v1`, `contains '"'`},
		{"http://gw.example/v1'", `contains '\''`},
		{"http://gw.example/\x1b[2Jv1", `contains '\x1b'`},
		{"http://user:secret@gw.example/v1", "holds a user name or password"},
		{"http://gw.example:port/v1", "is not a URL"},
		{"http://127.0.0.1:99999/v1", `has the port "99999"; a port is a number from 1`},
		{"http://127.0.0.1:0/v1", `has the port "0"`},
		{"http://127.0.0.1:/v1", `has the port ""`},
		{"http://127.0.0.1:8080/v1?x=1", "has a query (?...)"},
		{"http://127.0.0.1:8080/v1?", "has a query (?...)"},
		{"http://gw.example/v1?tenant=a", "has a query (?...)"},
		{"http://127.0.0.1:8080/v1#frag", "has a fragment (#...)"},
		{"http://127.0.0.1:8080/v1#", "has a fragment (#...)"},
	}
	for _, c := range bad {
		r := runMain(t, "--db", path, "--base-url", c.url, "models", "list")
		expect(t, r, exitUsage, c.want)
		if !strings.Contains(r.stderr, "--base-url") {
			t.Errorf("%q: the message does not name the flag: %q", c.url, r.stderr)
		}
	}
	t.Setenv(EnvBaseURL, "gw.example:8080")
	expect(t, runMain(t, "--db", path, "models", "list"), exitUsage,
		EnvBaseURL+` "gw.example:8080" must start with http://`)
	t.Setenv(EnvBaseURL, "http://127.0.0.1:99999/v1")
	expect(t, runMain(t, "--db", path, "models", "list"), exitUsage,
		EnvBaseURL+` "http://127.0.0.1:99999/v1" has the port "99999"`)
	t.Setenv(EnvBaseURL, "")
	for _, good := range []string{"https://llm.example.org/v1", "http://[::1]:8080/v1",
		"http://127.0.0.1:8080/v1", "http://gw.example:65535/v1", "http://gw.example:1"} {
		expect(t, runMain(t, "--db", path, "--base-url", good, "models", "list"), exitOK, "")
	}
}
