// Package sshdtest helps tests drive Keyward's SSH server with a real
// golang.org/x/crypto/ssh client: operator keys, authorized_keys files,
// commands, and a terminal that records the screen and answers the
// queries a terminal emulator answers.
package sshdtest

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"keyward/keys"
)

// HangGuard bounds waits that only protect a test against hanging.
const HangGuard = 15 * time.Second

// Key is a client key pair and the comment its authorized_keys line has.
type Key struct {
	Signer  gossh.Signer
	Comment string
}

// NewKey makes an ed25519 key named comment.
func NewKey(t testing.TB, comment string) Key {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return Key{Signer: signer, Comment: comment}
}

// Line is the key's authorized_keys line.
func (k Key) Line() string {
	l := strings.TrimSpace(string(gossh.MarshalAuthorizedKey(k.Signer.PublicKey())))
	if k.Comment != "" {
		l += " " + k.Comment
	}
	return l
}

// WriteAuthorizedKeys writes an authorized_keys file listing ks.
func WriteAuthorizedKeys(t testing.TB, path string, ks ...Key) {
	t.Helper()
	var b strings.Builder
	b.WriteString("# keyward operators\n")
	for _, k := range ks {
		b.WriteString(k.Line() + "\n")
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
}

// Buffer is a bytes.Buffer safe for concurrent use.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// keyPattern finds Keyward keys, to mask them in test output.
func keyPattern() *regexp.Regexp {
	return regexp.MustCompile(regexp.QuoteMeta(keys.Prefix) + `[0-9A-Za-z]{20,}`)
}

// MaskKeys replaces every Keyward key in s by its masked form, for test
// output.
func MaskKeys(s string) string {
	return keyPattern().ReplaceAllStringFunc(s, keys.Mask)
}

// Run runs cmd over SSH and returns its stdout, stderr and exit status.
func Run(t testing.TB, c *gossh.Client, cmd string) (stdout, stderr string, status int) {
	t.Helper()
	sess, err := c.NewSession()
	if err != nil {
		t.Fatalf("new session: %v", err)
	}
	defer sess.Close()
	var out, errOut bytes.Buffer
	sess.Stdout, sess.Stderr = &out, &errOut
	if err := sess.Run(cmd); err != nil {
		var exit *gossh.ExitError
		if !errors.As(err, &exit) {
			t.Fatalf("run %q: %v", cmd, err)
		}
		status = exit.ExitStatus()
	}
	return out.String(), errOut.String(), status
}

// WaitUntil polls cond until it holds, failing the test after HangGuard.
func WaitUntil(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(HangGuard)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
