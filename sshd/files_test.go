package sshd

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	gossh "golang.org/x/crypto/ssh"

	"keyward/sshd/sshdtest"
)

// TestUnsafeAuthorizedKeysRefused: a file or folder that group or others
// may write stops the server from starting, with the chmod to run.
func TestUnsafeAuthorizedKeysRefused(t *testing.T) {
	alice := newTestKey(t, "alice")
	tests := []struct {
		name              string
		fileMode, dirMode os.FileMode
		target            string // "file" or "dir": what the chmod names
	}{
		{"world-writable file", 0o666, 0o700, "file"},
		{"group-writable file", 0o620, 0o700, "file"},
		{"world-writable folder", 0o600, 0o777, "dir"},
		{"group-writable folder", 0o600, 0o770, "dir"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "keys")
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, "authorized_keys")
			sshdtest.WriteAuthorizedKeys(t, path, alice)
			chmod(t, path, tt.fileMode)
			chmod(t, dir, tt.dirMode)
			_, err := New(Config{HostKeyPath: filepath.Join(t.TempDir(), HostKeyFile),
				AuthorizedKeysPath: path, Console: startConsole, Command: echoCommand})
			if !errors.Is(err, ErrUnsafeAuthorizedKeys) {
				t.Fatalf("err = %v, want ErrUnsafeAuthorizedKeys", err)
			}
			want := "chmod go-w " + path
			if tt.target == "dir" {
				want = "chmod go-w " + dir
			}
			if !strings.HasSuffix(err.Error(), want) {
				t.Errorf("error does not end with %q: %v", want, err)
			}
		})
	}
}

func chmod(t *testing.T, path string, mode os.FileMode) {
	t.Helper()
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

// TestUnsafeAuthorizedKeysNotReloaded: an edit that leaves the file
// writable by others is not taken; the keys read before stay and the
// refusal is logged.
func TestUnsafeAuthorizedKeysNotReloaded(t *testing.T) {
	alice, bob := newTestKey(t, "alice"), newTestKey(t, "bob")
	env := startServer(t, func(c *Config) { c.KeysPoll = -1 }, alice)
	sshdtest.WriteAuthorizedKeys(t, env.keyFile, bob)
	chmod(t, env.keyFile, 0o666)
	if err := env.srv.Reload(); !errors.Is(err, ErrUnsafeAuthorizedKeys) {
		t.Fatalf("Reload = %v, want ErrUnsafeAuthorizedKeys", err)
	}
	env.mustDial(t, alice)
	if c, err := env.dial(gossh.PublicKeys(bob.Signer)); err == nil {
		_ = c.Close()
		t.Error("a key from a file others may write was accepted")
	}
	if !strings.Contains(env.logs.String(), "the keys read before stay in force") {
		t.Error("the refused reload was not logged")
	}
	chmod(t, env.keyFile, 0o600) // fixed: the change is noticed on the next login
	env.mustDial(t, bob)
}

// TestHostKeyPublicFileRewritten: a .pub left from an earlier key is
// replaced at start (mode 0644, with the "keyward host key" comment), and
// ssh-keygen -lf prints what the README shows.
func TestHostKeyPublicFileRewritten(t *testing.T) {
	path := filepath.Join(t.TempDir(), HostKeyFile)
	stale := newTestKey(t, "old")
	if err := os.WriteFile(path+".pub",
		gossh.MarshalAuthorizedKey(stale.Signer.PublicKey()), 0o600); err != nil {
		t.Fatal(err)
	}
	signer, _, err := LoadOrCreateHostKey(path)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	pub, comment, _, _, err := gossh.ParseAuthorizedKey(data)
	if err != nil || Fingerprint(pub) != Fingerprint(signer.PublicKey()) {
		t.Fatalf("the .pub file does not hold the host key (err %v)", err)
	}
	if comment != "keyward host key" {
		t.Errorf(".pub comment %q, want %q", comment, "keyward host key")
	}
	if info, err := os.Stat(path + ".pub"); err != nil || info.Mode().Perm() != 0o644 {
		t.Errorf(".pub mode %v (err %v), want 0644", info.Mode().Perm(), err)
	}
	keygen, err := exec.LookPath("ssh-keygen")
	if err != nil {
		t.Skip("no ssh-keygen to compare with")
	}
	out, err := exec.Command(keygen, "-lf", path+".pub").Output()
	if err != nil {
		t.Fatalf("ssh-keygen -lf: %v", err)
	}
	want := "256 " + Fingerprint(signer.PublicKey()) + " keyward host key (ED25519)\n"
	if string(out) != want {
		t.Errorf("ssh-keygen -lf printed %q, want %q", out, want)
	}
}
