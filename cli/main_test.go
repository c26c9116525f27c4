package cli

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"keyward/keys"
	"keyward/serve"
	"keyward/storage"
)

// runMain runs the whole program in-process.
func runMain(t *testing.T, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Main(args, strings.NewReader(""), &out, &errOut)
	return result{code: code, stdout: out.String(), stderr: errOut.String()}
}

// tempDB is a database path in a fresh directory, with the master key
// beside it.
func tempDB(t *testing.T) string {
	t.Helper()
	t.Setenv(storage.EnvMasterKey, "")
	t.Setenv(storage.EnvDB, "")
	return filepath.Join(t.TempDir(), "data", "k.db")
}

func TestMainVersionAndHelp(t *testing.T) {
	r := runMain(t, "--version")
	if r.code != exitOK || !strings.HasPrefix(r.stdout, "keyward ") ||
		!strings.Contains(r.stdout, "built with go") {
		t.Errorf("--version: %+v", r)
	}
	r = runMain(t, "--help")
	if r.code != exitOK || !strings.Contains(r.stdout, "Global flags") ||
		!strings.Contains(r.stdout, "--base-url URL") {
		t.Errorf("--help: %+v", r)
	}
	expect(t, runMain(t, "--colour"), exitUsage, "unknown flag --colour")
	expect(t, runMain(t, "--db"), exitUsage, "flag needs a value: --db")
}

func TestMainRunsCommands(t *testing.T) {
	path := tempDB(t)
	r := runMain(t, "--db", path, "tokens", "create", "--name", "ci")
	expect(t, r, exitOK, "")
	key := strings.TrimSpace(r.stdout)
	if !keys.LooksValid(key) {
		t.Fatalf("stdout %q is not a key", maskAll(r.stdout))
	}
	t.Setenv(storage.EnvDB, path)
	r = runMain(t, "tokens", "list", "--json")
	expect(t, r, exitOK, "")
	if !strings.Contains(r.stdout, `"name": "ci"`) || strings.Contains(r.stdout, key) {
		t.Errorf("KEYWARD_DB list: %s", maskAll(r.stdout))
	}
	st, err := storage.Open(path, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = st.Close() }()
	if ev := lastEvent(t, st); ev.Actor != localActor() || ev.Actor == "" {
		t.Errorf("actor %q, want the local user %q", ev.Actor, localActor())
	}
}

func TestMainHelpAndUsageNeedNoDatabase(t *testing.T) {
	path := tempDB(t)
	for _, args := range [][]string{
		{"--db", path, "tokens", "--help"},
		{"--db", path, "help", "audit"},
		{"--db", path, "tokens", "frob"},
		{"--db", path, "tokens", "create"},
	} {
		r := runMain(t, args...)
		if r.code == exitFail {
			t.Errorf("%v: %+v", args, r)
		}
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("help or a usage error created the database: %v", err)
	}
}

func TestMainLocked(t *testing.T) {
	path := tempDB(t)
	holder, err := storage.Open(path, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = holder.Close() }()
	// the console (no command) needs a terminal: see console_test.go
	for _, args := range [][]string{{"tokens", "list"}} {
		r := runMain(t, append([]string{"--db", path}, args...)...)
		expect(t, r, exitFail, "keyward: the database "+path+" is in use by another "+
			"Keyward process; close that console, server or script and try again.\n")
	}
	if r := runMain(t, "--db", path, "tokens", "list", "--help"); r.code != exitOK {
		t.Errorf("help while locked: %+v", r)
	}
}

func TestMainServeRunning(t *testing.T) {
	path := tempDB(t)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		info storage.ServeInfo
		want string
	}{
		{storage.ServeInfo{PID: os.Getpid(), SSHAddr: "127.0.0.1:23234"},
			"keyward: keyward serve is running on this database; connect with " +
				"ssh -p 23234 127.0.0.1.\n"},
		{storage.ServeInfo{PID: os.Getpid(), SSHAddr: "[::1]:2222", HTTPAddr: "x:1"},
			"connect with ssh -p 2222 ::1"},
		{storage.ServeInfo{PID: os.Getpid(), SSHAddr: "0.0.0.0:2200"},
			"connect with ssh -p 2200 localhost"},
		{storage.ServeInfo{PID: os.Getpid(), HTTPAddr: "127.0.0.1:8080"},
			fmt.Sprintf("with the gateway only (process %d); commands must wait "+
				"until it stops", os.Getpid())},
	}
	for _, tc := range tests {
		remove, err := storage.WriteServeInfo(path, tc.info)
		if err != nil {
			t.Fatal(err)
		}
		// the console (no command) needs a terminal: see console_test.go
		for _, args := range [][]string{{"tokens", "list"}} {
			r := runMain(t, append([]string{"--db", path}, args...)...)
			expect(t, r, exitFail, tc.want)
		}
		if err := remove(); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused run created the database: %v", err)
	}
}

func TestMainOpenErrors(t *testing.T) {
	t.Run("corrupt", func(t *testing.T) {
		path := tempDB(t)
		junk := bytes.Repeat([]byte("not a database "), 8000)
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, junk, 0o600); err != nil {
			t.Fatal(err)
		}
		r := runMain(t, "--db", path, "tokens", "list")
		expect(t, r, exitFail, "cannot open the database, it is damaged or not Keyward's: "+path)
		if b, _ := os.ReadFile(path); !bytes.Equal(b, junk) {
			t.Error("the damaged file was modified")
		}
		if _, err := os.Stat(storage.MasterKeyPath(path)); !errors.Is(err, os.ErrNotExist) {
			t.Error("a master key was written beside a damaged database")
		}
	})
	t.Run("master key missing", func(t *testing.T) {
		path := tempDB(t)
		expect(t, runMain(t, "--db", path, "models", "list"), exitOK, "")
		if err := os.Remove(storage.MasterKeyPath(path)); err != nil {
			t.Fatal(err)
		}
		r := runMain(t, "--db", path, "tokens", "list")
		expect(t, r, exitFail, "its master key is missing or wrong")
	})
}

func TestMainPrintsWarnings(t *testing.T) {
	t.Setenv(storage.EnvMasterKey, "")
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	r := runMain(t, "--db", filepath.Join(dir, "k.db"), "tokens", "list", "--json")
	if r.code != exitOK || r.stdout != "[]\n" ||
		!strings.HasPrefix(r.stderr, "keyward: warning: "+dir+" has mode 0755") {
		t.Errorf("loose directory: %+v", r)
	}
}

func TestOpenMessage(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{storage.ErrLocked, "is in use by another Keyward process"},
		{storage.ErrCorrupt, "it is damaged or not Keyward's"},
		{storage.ErrTooNew, "a newer Keyward wrote it"},
		{storage.ErrMasterKey, "its master key is missing or wrong"},
		{storage.ErrReadOnly, "cannot open the database for writing"},
		{errors.New("disk on fire"), "cannot open the database: /data/k.db: disk on fire"},
	}
	for _, tc := range tests {
		err := openMessage("/data/k.db", fmt.Errorf("/data/k.db: %w", tc.err))
		if !strings.Contains(err.Error(), tc.want) || strings.Count(err.Error(), "\n") > 0 {
			t.Errorf("%v: %q", tc.err, err)
		}
	}
}

func TestMainLog(t *testing.T) {
	path := tempDB(t)
	logPath := filepath.Join(t.TempDir(), "keyward.log")
	r := runMain(t, "--db", path, "--log", logPath, "tokens", "create", "--name", "ci")
	expect(t, r, exitOK, "")
	key := strings.TrimSpace(r.stdout)
	b, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "token created") || strings.Contains(string(b), key) ||
		strings.Contains(string(b), key[len(key)-8:]) {
		t.Errorf("log: %s", maskAll(string(b)))
	}
	if fi, _ := os.Stat(logPath); fi.Mode().Perm() != 0o600 {
		t.Errorf("log mode %v", fi.Mode().Perm())
	}
	bad := filepath.Join(t.TempDir(), "missing", "dir", "x.log")
	expect(t, runMain(t, "--log", bad, "tokens", "list"), exitFail, "open the log file")
}

func TestParseGlobals(t *testing.T) {
	t.Setenv(EnvBaseURL, "")
	g, rest, err := parseGlobals([]string{"--db", "x.db", "tokens", "list", "--json"})
	if err != nil || g.db != "x.db" || g.baseURL != defaultBaseURL ||
		!slices.Equal(rest, []string{"tokens", "list", "--json"}) {
		t.Errorf("got %+v %v %v", g, rest, err)
	}
	t.Setenv(EnvBaseURL, "http://gw.example:9/v1")
	if g, _, _ := parseGlobals(nil); g.baseURL != "http://gw.example:9/v1" {
		t.Errorf("KEYWARD_BASE_URL ignored: %q", g.baseURL)
	}
	if g, _, _ := parseGlobals([]string{"--base-url", "http://a/v1"}); g.baseURL != "http://a/v1" {
		t.Errorf("--base-url ignored: %q", g.baseURL)
	}
	got := serveArgs(globals{db: "k.db", logPath: "l", baseURL: "http://default/v1"},
		[]string{"--ssh", ":0"})
	if !slices.Equal(got, []string{"--db", "k.db", "--log", "l", "--ssh", ":0"}) {
		t.Errorf("serveArgs %v", got)
	}
	got = serveArgs(globals{baseURLFlag: "http://gw/v1"}, nil)
	if !slices.Equal(got, []string{"--base-url", "http://gw/v1"}) {
		t.Errorf("serveArgs %v", got)
	}
}

func TestMainServeDispatch(t *testing.T) {
	path := tempDB(t)
	r := runMain(t, "--db", path, "serve", "--help")
	if !strings.Contains(r.stdout+r.stderr, "keyward serve") || r.code == exitFail {
		t.Errorf("serve --help: %+v", r)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("serve --help opened the database: %v", err)
	}
}

func TestRemoteExec(t *testing.T) {
	st := openStore(t)
	var out, errOut bytes.Buffer
	env := serve.CommandEnv{Store: st, Actor: "operator-key", Stdout: &out, Stderr: &errOut}
	if code := remoteExec(env, []string{"tokens", "create", "--name", "ci"}); code != 0 {
		t.Fatalf("create over SSH: %d %q", code, errOut.String())
	}
	if ev := lastEvent(t, st); ev.Actor != "operator-key" {
		t.Errorf("actor %q, want the operator", ev.Actor)
	}
	dst := filepath.Join(t.TempDir(), "b.db")
	if code := remoteExec(env, []string{"backup", dst}); code != exitFail {
		t.Errorf("backup FILE over SSH: exit %d", code)
	}
}
