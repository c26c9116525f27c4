package cli

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"keyward/keys"
	"keyward/model"
	"keyward/storage"
)

// testActor is the actor every in-process command runs as.
const testActor = "alice"

// openStore opens a fresh real database in a temporary directory, with
// KEYWARD_MASTER_KEY_FILE unset so the key lives beside it.
func openStore(t *testing.T) *storage.DB {
	t.Helper()
	t.Setenv(storage.EnvMasterKey, "")
	db, err := storage.Open(filepath.Join(t.TempDir(), "k.db"), storage.Options{})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// result is what one command did.
type result struct {
	code           int
	stdout, stderr string
}

// runOpts vary how a command runs.
type runOpts struct {
	stdin       string
	interactive bool
	remote      bool
}

// run executes args against st the way the SSH server and Main do.
func run(t *testing.T, st storage.Store, args ...string) result {
	t.Helper()
	return runWith(t, st, runOpts{}, args...)
}

func runWith(t *testing.T, st storage.Store, o runOpts, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	env := Env{Store: st, Actor: testActor, Stdin: strings.NewReader(o.stdin),
		Stdout: &out, Stderr: &errOut, Interactive: o.interactive, Remote: o.remote}
	code := Exec(env, args)
	return result{code: code, stdout: out.String(), stderr: errOut.String()}
}

// mustCreate makes a token directly in the store.
func mustCreate(t *testing.T, st storage.Store, spec model.Spec) model.Token {
	t.Helper()
	tok, err := st.Create("setup", spec)
	if err != nil {
		t.Fatalf("create %q: %v", spec.Name, err)
	}
	return tok
}

// expect checks a result's exit status and that stderr holds want (or is
// empty when want is ""). Keys are masked in failure output.
func expect(t *testing.T, r result, code int, wantErr string) {
	t.Helper()
	if r.code != code {
		t.Errorf("exit status %d, want %d; stderr %q", r.code, code, maskAll(r.stderr))
	}
	if wantErr == "" && r.stderr != "" {
		t.Errorf("stderr %q, want nothing", maskAll(r.stderr))
	}
	if wantErr != "" && !strings.Contains(r.stderr, wantErr) {
		t.Errorf("stderr %q, want it to contain %q", maskAll(r.stderr), wantErr)
	}
	if code != exitOK && strings.Count(r.stderr, "\n") != 1 {
		t.Errorf("stderr has %d lines, want one sentence: %q",
			strings.Count(r.stderr, "\n"), maskAll(r.stderr))
	}
	if code != exitOK && !strings.HasPrefix(r.stderr, "keyward: ") {
		t.Errorf("stderr %q does not start with \"keyward: \"", maskAll(r.stderr))
	}
}

// maskAll masks every key-looking word, for test output.
func maskAll(s string) string {
	fields := strings.FieldsFunc(s, func(r rune) bool {
		return !(r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' ||
			r >= 'A' && r <= 'Z')
	})
	for _, f := range fields {
		if i := strings.Index(f, keys.Prefix); i >= 0 && len(f[i:]) >= keys.Len {
			s = strings.ReplaceAll(s, f[i:i+keys.Len], keys.Mask(f[i:i+keys.Len]))
		}
	}
	return s
}

// lastEvent returns the newest audit event.
func lastEvent(t *testing.T, st storage.Store) model.Event {
	t.Helper()
	evs, err := st.Audit(storage.AuditFilter{Limit: 1})
	if err != nil || len(evs) == 0 {
		t.Fatalf("audit: %v (%d events)", err, len(evs))
	}
	return evs[0]
}

// auditCount counts every audit event.
func auditCount(t *testing.T, st storage.Store) int {
	t.Helper()
	evs, err := st.Audit(storage.AuditFilter{})
	if err != nil {
		t.Fatalf("audit: %v", err)
	}
	return len(evs)
}

func tokenCount(t *testing.T, st storage.Store) int {
	t.Helper()
	toks, err := st.List()
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	return len(toks)
}
