package cli

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"keyward/model"
	"keyward/storage"
)

// openBackup opens a backup copy with the original master key and
// returns its token names.
func openBackup(t *testing.T, path, keyPath string) []string {
	t.Helper()
	db, err := storage.Open(path, storage.Options{KeyPath: keyPath})
	if err != nil {
		t.Fatalf("open the backup: %v", err)
	}
	defer func() { _ = db.Close() }()
	toks, err := db.List()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tok := range toks {
		names = append(names, tok.Name)
	}
	return names
}

func TestBackup(t *testing.T) {
	st := openStore(t)
	mustCreate(t, st, model.Spec{Name: "kept"})
	dst := filepath.Join(t.TempDir(), "copy.db")
	r := run(t, st, "backup", dst)
	expect(t, r, exitOK, "")
	for _, want := range []string{"Wrote a backup of " + st.Path() + " to " + dst,
		"master key at " + st.KeyPath(), "needs that file to reveal or check keys"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
	fi, err := os.Stat(dst)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("backup file: %v, mode %v", err, fi.Mode())
	}
	leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(dst), ".keyward-backup-*"))
	if len(leftovers) != 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}
	if names := openBackup(t, dst, st.KeyPath()); len(names) != 1 || names[0] != "kept" {
		t.Errorf("backup holds %v", names)
	}
}

func TestBackupRefusals(t *testing.T) {
	st := openStore(t)
	dir := t.TempDir()
	existing := filepath.Join(dir, "old.db")
	if err := os.WriteFile(existing, []byte("precious"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		opts runOpts
		args []string
		code int
		want string
	}{
		{"existing file", runOpts{}, []string{existing}, exitFail,
			existing + " already exists; choose another name or pass --force"},
		{"the database", runOpts{}, []string{st.Path(), "--force"}, exitFail,
			"is Keyward's own file"},
		{"the master key", runOpts{}, []string{st.KeyPath(), "--force"}, exitFail,
			"is Keyward's own file"},
		{"a directory", runOpts{}, []string{dir, "--force"}, exitFail,
			dir + " is a directory; give the name of the backup file"},
		{"a directory without --force", runOpts{}, []string{dir}, exitFail,
			dir + " is a directory; give the name of the backup file"},
		{"missing directory", runOpts{}, []string{filepath.Join(dir, "no", "x.db")},
			exitFail, "cannot write the backup " + filepath.Join(dir, "no", "x.db") +
				": the directory " + filepath.Join(dir, "no") + " does not exist"},
		{"over SSH", runOpts{remote: true}, []string{filepath.Join(dir, "new.db")},
			exitFail, "backup over SSH cannot write files on the server"},
		{"no file", runOpts{}, nil, exitUsage, "missing a backup file name"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := runWith(t, st, tc.opts, append([]string{"backup"}, tc.args...)...)
			expect(t, r, tc.code, tc.want)
		})
	}
	if b, _ := os.ReadFile(existing); string(b) != "precious" {
		t.Errorf("the existing file was changed")
	}
	if _, err := os.Stat(filepath.Join(dir, "new.db")); err == nil {
		t.Error("backup over SSH wrote a file")
	}
}

func TestBackupForceAndStdout(t *testing.T) {
	st := openStore(t)
	mustCreate(t, st, model.Spec{Name: "one"})
	dst := filepath.Join(t.TempDir(), "copy.db")
	if err := os.WriteFile(dst, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	expect(t, run(t, st, "backup", dst, "--force"), exitOK, "")
	if names := openBackup(t, dst, st.KeyPath()); len(names) != 1 {
		t.Errorf("forced backup holds %v", names)
	}
	if fi, _ := os.Stat(dst); fi.Mode().Perm() != 0o600 {
		t.Errorf("forced backup mode %v, want 0600", fi.Mode().Perm())
	}
	r := runWith(t, st, runOpts{remote: true}, "backup", "-")
	if r.code != exitOK || !strings.Contains(r.stderr, st.KeyPath()) {
		t.Fatalf("backup -: exit %d, stderr %q", r.code, r.stderr)
	}
	streamed := filepath.Join(t.TempDir(), "streamed.db")
	if err := os.WriteFile(streamed, []byte(r.stdout), 0o600); err != nil {
		t.Fatal(err)
	}
	if names := openBackup(t, streamed, st.KeyPath()); len(names) != 1 || names[0] != "one" {
		t.Errorf("streamed backup holds %v", names)
	}
}

// TestBackupRefusesNonRegularFiles guards against replacing a device or a
// pipe (such as /dev/null) with an ordinary file, even with --force.
func TestBackupRefusesNonRegularFiles(t *testing.T) {
	st := openStore(t)
	fifo := filepath.Join(t.TempDir(), "pipe")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	r := runWith(t, st, runOpts{}, "backup", fifo, "--force")
	expect(t, r, exitFail, fifo+" is not a regular file")
	fi, err := os.Lstat(fifo)
	if err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Fatalf("the pipe was replaced: %v %v", fi.Mode(), err)
	}
}
