package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"keyward/keys"
	"keyward/model"
	"keyward/storage"
)

// noKeyIn fails when s holds key, or the 48 characters after its prefix.
func noKeyIn(t *testing.T, what, s, key string) {
	t.Helper()
	if strings.Contains(s, key) || strings.Contains(s, strings.TrimPrefix(key, keys.Prefix)) {
		t.Errorf("%s shows the key %s: %q", what, keys.Mask(key), maskAll(s))
	}
}

// TestKeyNeverInStderr passes keys (live, deleted, malformed, without
// their prefix) wherever a command takes a reference or filter: stderr
// must show them masked, never in full.
func TestKeyNeverInStderr(t *testing.T) {
	st := openStore(t)
	mustCreate(t, st, model.Spec{Name: "ci"})
	gone := mustCreate(t, st, model.Spec{Name: "gone"})
	if err := st.Delete("setup", gone.ID); err != nil {
		t.Fatal(err)
	}
	broken := gone.Key[:len(gone.Key)-1] + "x" // bad checksum
	secrets := []string{gone.Key, broken, strings.TrimPrefix(gone.Key, keys.Prefix),
		"sk-" + strings.Repeat("Q", 30)}
	for i, key := range secrets {
		for j, args := range [][]string{
			{"tokens", "show", key}, {"tokens", "show", "name:" + key},
			{"tokens", "edit", key, "--name", "x"}, {"tokens", "enable", key},
			{"tokens", "disable", key}, {"tokens", "delete", key, "--yes"},
			{"audit", "--token", key}, {"tokens", "list", "--filter", key},
			{"tokens", "show", "1", key}, {"tokens", key}, {"tokens", "list", "--json=" + key},
		} {
			r := run(t, st, args...)
			what := fmt.Sprintf("secret %d, command %d", i, j)
			noKeyIn(t, what, r.stderr+r.stdout, key)
			if r.code == exitOK && args[1] != "list" {
				t.Errorf("%s: a key that finds nothing gave exit status 0", what)
			}
		}
	}
	r := run(t, st, "tokens", "show", gone.Key)
	expect(t, r, exitFail, "no token has the key "+keys.Mask(gone.Key)+"; it may have been deleted")
	r = run(t, st, "tokens", "list", "--filter", broken)
	if r.code != exitOK || r.stderr != "No tokens match \""+keys.Mask(broken)+"\".\n" {
		t.Errorf("list --filter with a key: %d %q", r.code, maskAll(r.stderr))
	}
}

// TestTokenByFullKey addresses a token by its key in every command.
func TestTokenByFullKey(t *testing.T) {
	st := openStore(t)
	tok := mustCreate(t, st, model.Spec{Name: "ci"})
	mustCreate(t, st, model.Spec{Name: "other"})
	r := run(t, st, "tokens", "disable", tok.Key)
	expect(t, r, exitOK, "")
	if got, _ := st.Get(tok.ID); got.Enabled || r.stdout != "Disabled 'ci' (ID 1).\n" {
		t.Errorf("disable by key: enabled %v, stdout %q", got.Enabled, maskAll(r.stdout))
	}
	r = run(t, st, "audit", "--token", tok.Key, "--json")
	expect(t, r, exitOK, "")
	var evs []eventJSON
	if err := json.Unmarshal([]byte(r.stdout), &evs); err != nil || len(evs) != 2 {
		t.Fatalf("audit by key: %d events (%v)", len(evs), err)
	}
	for _, e := range evs {
		if e.TokenID != tok.ID {
			t.Errorf("audit by key shows token %d", e.TokenID)
		}
	}
	noKeyIn(t, "audit by key", r.stdout, tok.Key)
}

// TestAuditDeletedIDAgainstName: an ID whose token was deleted still has
// a history, so a live token named like it makes the number ambiguous.
func TestAuditDeletedIDAgainstName(t *testing.T) {
	st := openStore(t)
	old := mustCreate(t, st, model.Spec{Name: "old"}) // ID 1
	named := mustCreate(t, st, model.Spec{Name: "1"}) // ID 2
	if err := st.Delete("setup", old.ID); err != nil {
		t.Fatal(err)
	}
	r := run(t, st, "audit", "--token", "1")
	expect(t, r, exitFail, `"1" is the ID of a deleted token (ID 1) and the name of '1' (ID 2)`)
	for ref, want := range map[string]uint64{"id:1": old.ID, "name:1": named.ID} {
		r = run(t, st, "audit", "--token", ref, "--json")
		expect(t, r, exitOK, "")
		var evs []eventJSON
		if err := json.Unmarshal([]byte(r.stdout), &evs); err != nil || len(evs) == 0 ||
			evs[0].TokenID != want {
			t.Errorf("audit --token %s: %v, want events of token %d", ref, evs, want)
		}
	}
}

// failWriter fails every write, like stdout redirected to /dev/full.
type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, syscall.ENOSPC }

// TestCreateKeyWriteFails: the token exists but its key was never
// printed; the error names it and says how to go on, without the key.
func TestCreateKeyWriteFails(t *testing.T) {
	for _, extra := range [][]string{nil, {"--json"}} {
		st := openStore(t)
		var errOut bytes.Buffer
		env := Env{Store: st, Actor: testActor, Stdout: failWriter{}, Stderr: &errOut}
		code := Exec(env, append([]string{"tokens", "create", "--name", "ci"}, extra...))
		r := result{code: code, stderr: errOut.String()}
		expect(t, r, exitFail, "keyward: created 'ci' (ID 1) but could not print its key "+
			"(no space left on device); run 'keyward tokens show 1 --reveal' to see the "+
			"key, or 'keyward tokens delete 1' to remove the token.")
		tok, err := st.Get(1)
		if err != nil || tok.Name != "ci" {
			t.Fatalf("%v: the token was not kept: %v", extra, err)
		}
		noKeyIn(t, "the error", r.stderr, tok.Key)
	}
}

// TestCreateClosedPipe runs this test binary as keyward with stdout a
// pipe whose reader is gone: without care the process dies of SIGPIPE,
// silently, after creating the token.
func TestCreateClosedPipe(t *testing.T) {
	if db := os.Getenv("KEYWARD_TEST_PIPE_DB"); db != "" {
		os.Exit(Main([]string{"--db", db, "tokens", "create", "--name", "ci"},
			os.Stdin, os.Stdout, os.Stderr))
	}
	t.Setenv(storage.EnvMasterKey, "")
	db := filepath.Join(t.TempDir(), "data", "k.db")
	rd, wr, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	_ = rd.Close()
	defer func() { _ = wr.Close() }()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCreateClosedPipe$")
	cmd.Env = append(os.Environ(), "KEYWARD_TEST_PIPE_DB="+db, storage.EnvDB+"=")
	var errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = wr, &errOut
	err = cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != exitFail {
		t.Fatalf("run: %v, want exit status 1; stderr %q", err, maskAll(errOut.String()))
	}
	want := "keyward: created 'ci' (ID 1) but could not print its key (write /dev/stdout: " +
		"broken pipe); run 'keyward tokens show 1 --reveal'"
	if !strings.HasPrefix(errOut.String(), want) {
		t.Errorf("stderr %q, want it to start %q", maskAll(errOut.String()), want)
	}
	st, err := storage.Open(db, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = st.Close() }()
	if tok, err := st.Get(1); err != nil || tok.Name != "ci" {
		t.Errorf("the token was not kept: %v", err)
	}
}

func TestModelsAddReportsWhatChanged(t *testing.T) {
	st := openStore(t)
	steps := []struct {
		args  []string
		out   string
		added int // audit events
	}{
		{[]string{"zz-a", "zz-a"}, "Added zz-a.\n", 1},
		{[]string{"zz-a"}, "zz-a was already in the catalog; nothing was added.\n", 0},
		{[]string{"zz-b", "zz-a", " zz-b "}, "Added zz-b; zz-a was already in the catalog.\n", 1},
		{[]string{"zz-a", "zz-b"}, "zz-a, zz-b were already in the catalog; " +
			"nothing was added.\n", 0},
	}
	for _, s := range steps {
		before := auditCount(t, st)
		r := run(t, st, append([]string{"models", "add"}, s.args...)...)
		expect(t, r, exitOK, "")
		if r.stdout != s.out {
			t.Errorf("models add %v: stdout %q, want %q", s.args, r.stdout, s.out)
		}
		if got := auditCount(t, st) - before; got != s.added {
			t.Errorf("models add %v: %d audit events, want %d", s.args, got, s.added)
		}
	}
	r := run(t, st, "models", "remove", "zz-a", "zz-a")
	expect(t, r, exitOK, "")
	if r.stdout != "Removed zz-a.\n" {
		t.Errorf("remove with a repeat: stdout %q", r.stdout)
	}
}

func TestEditWithoutChanges(t *testing.T) {
	st := openStore(t)
	mustCreate(t, st, model.Spec{Name: "ci", Limit: 5 * model.Dollar})
	for _, args := range [][]string{{"--quota", "5"}, {"--name", "ci", "--limited"}} {
		before := auditCount(t, st)
		r := run(t, st, append([]string{"tokens", "edit", "ci"}, args...)...)
		expect(t, r, exitOK, "")
		if !strings.HasPrefix(r.stdout, "No changes to 'ci' (ID 1).\n") {
			t.Errorf("edit %v: stdout %q", args, r.stdout)
		}
		if auditCount(t, st) != before {
			t.Errorf("edit %v without changes wrote an audit event", args)
		}
	}
	r := run(t, st, "tokens", "edit", "ci", "--quota", "6")
	if !strings.HasPrefix(r.stdout, "Updated 'ci' (ID 1).\n") {
		t.Errorf("a real change: stdout %q", r.stdout)
	}
}

// TestMainEmptyGlobalFlags: an empty --db must not fall back to
// KEYWARD_DB or the default path.
func TestMainEmptyGlobalFlags(t *testing.T) {
	fallback := tempDB(t)
	t.Setenv(storage.EnvDB, fallback)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--db", "", "tokens", "list"}, "--db needs a path"},
		{[]string{"--db= ", "tokens", "list"}, "--db needs a path"},
		{[]string{"--log", "", "tokens", "list"}, "--log needs a file"},
		{[]string{"--base-url=", "tokens", "list"}, "--base-url needs a URL"},
		{[]string{"--version", "extra"}, `--version takes no arguments, but "extra" was given`},
	}
	for _, tc := range tests {
		r := runMain(t, tc.args...)
		expect(t, r, exitUsage, tc.want)
		if r.stdout != "" {
			t.Errorf("%v: stdout %q", tc.args, r.stdout)
		}
	}
	if _, err := os.Stat(filepath.Dir(fallback)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a usage error touched the fallback database: %v", err)
	}
}

// TestHelpAndVersionWriteErrors: help or the version that cannot be
// written is a failure, not success.
func TestHelpAndVersionWriteErrors(t *testing.T) {
	for _, args := range [][]string{{"--version"}, {"--help"}, {"tokens", "--help"},
		{"help", "audit"}} {
		var errOut bytes.Buffer
		code := Main(args, strings.NewReader(""), failWriter{}, &errOut)
		r := result{code: code, stderr: errOut.String()}
		expect(t, r, exitFail, "cannot write the output: no space left on device")
	}
	var errOut bytes.Buffer
	env := Env{Stdout: failWriter{}, Stderr: &errOut}
	if code := Exec(env, []string{"models", "--help"}); code != exitFail {
		t.Errorf("Exec help to a full disk: exit status %d, want 1", code)
	}
}

// TestMasterKeyDirectoryMessage: the lead says it in words, without the
// sentinel's own text repeated after it.
func TestMasterKeyDirectoryMessage(t *testing.T) {
	path := tempDB(t)
	keyDir := filepath.Join(t.TempDir(), "key")
	if err := os.Mkdir(keyDir, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Setenv(storage.EnvMasterKey, keyDir)
	r := runMain(t, "--db", path, "tokens", "list")
	expect(t, r, exitFail, "cannot open the database, its master key is missing or wrong: ")
	if strings.Contains(r.stderr, storage.ErrMasterKey.Error()) {
		t.Errorf("stderr repeats %q: %q", storage.ErrMasterKey, r.stderr)
	}
}

func TestMaskKeys(t *testing.T) {
	key, err := keys.Generate()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ in, want string }{
		{"bad " + key + ".", "bad " + keys.Mask(key) + "."},
		{`"` + key + `" and "` + key + `"`, `"` + keys.Mask(key) + `" and "` + keys.Mask(key) + `"`},
		{"model sk-learn and sk-****abcd", "model sk-learn and sk-****abcd"},
		{"no key", "no key"},
	}
	for _, tc := range tests {
		if got := maskKeys(tc.in); got != tc.want {
			t.Errorf("maskKeys(%q) = %q, want %q", maskAll(tc.in), maskAll(got), tc.want)
		}
	}
}
