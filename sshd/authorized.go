package sshd

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
	"unicode"

	gossh "golang.org/x/crypto/ssh"
)

// ErrNoAuthorizedKeys means the authorized_keys file is missing or lists
// no usable key, so the SSH server will not start.
var ErrNoAuthorizedKeys = errors.New("no operator may log in")

// maxOperatorName bounds the length of an operator's name, in runes.
const maxOperatorName = 64

// DefaultAuthorizedKeysPath is $XDG_CONFIG_HOME/keyward/authorized_keys,
// else ~/.config/keyward/authorized_keys.
func DefaultAuthorizedKeysPath() (string, error) {
	if dir := os.Getenv("XDG_CONFIG_HOME"); dir != "" && filepath.IsAbs(dir) {
		return filepath.Join(dir, "keyward", "authorized_keys"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("find the authorized_keys file: %w; "+
			"pass --authorized-keys FILE", err)
	}
	return filepath.Join(home, ".config", "keyward", "authorized_keys"), nil
}

// operatorKey is one authorized public key and the name it logs in as.
type operatorKey struct {
	key         gossh.PublicKey
	name        string
	fingerprint string
}

// fileStamp identifies one version of the file, to notice edits.
type fileStamp struct {
	info    os.FileInfo
	size    int64
	modTime time.Time
}

// same reports whether info describes the same file version as s.
func (s fileStamp) same(info os.FileInfo) bool {
	return s.info != nil && info != nil && os.SameFile(s.info, info) &&
		s.size == info.Size() && s.modTime.Equal(info.ModTime())
}

// authorizedKeys is the set of operator keys read from a file. It re-reads
// the file when its size, time or inode changes, checked on every lookup,
// and when Reload is called.
type authorizedKeys struct {
	path string
	log  *slog.Logger

	mu    sync.Mutex
	stamp fileStamp
	keys  map[string]operatorKey // by marshalled public key
}

// loadAuthorizedKeys reads path and fails with ErrNoAuthorizedKeys (and
// how to add a key) when it is missing or lists no usable key.
func loadAuthorizedKeys(path string, log *slog.Logger) (*authorizedKeys, error) {
	a := &authorizedKeys{path: path, log: log}
	if err := a.reload(); err != nil {
		return nil, err
	}
	if len(a.keys) == 0 {
		return nil, noKeysError(path, "lists no usable key")
	}
	return a, nil
}

// noKeysError explains how to add an operator key.
func noKeysError(path, why string) error {
	return fmt.Errorf("%w: %s %s; add an operator's public key, for example:\n"+
		"  mkdir -p %s && cat ~/.ssh/id_ed25519.pub >> %s",
		ErrNoAuthorizedKeys, path, why, filepath.Dir(path), path)
}

// reload reads the file now. A missing file leaves no key authorized.
func (a *authorizedKeys) reload() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	info, err := os.Stat(a.path)
	if err != nil {
		a.keys, a.stamp = nil, fileStamp{}
		if errors.Is(err, os.ErrNotExist) {
			return noKeysError(a.path, "does not exist")
		}
		return fmt.Errorf("read authorized keys: %w", err)
	}
	return a.readLocked(info)
}

// readLocked parses the file whose stat result is info.
func (a *authorizedKeys) readLocked(info os.FileInfo) error {
	data, err := os.ReadFile(a.path)
	if err != nil {
		a.keys, a.stamp = nil, fileStamp{}
		return fmt.Errorf("read authorized keys: %w", err)
	}
	a.keys = parseAuthorizedKeys(data, a.path, a.log)
	a.stamp = fileStamp{info: info, size: info.Size(), modTime: info.ModTime()}
	a.log.Info("authorized keys loaded", "path", a.path, "keys", len(a.keys))
	return nil
}

// refresh re-reads the file if it changed since it was last read. Errors
// are logged; they leave no key authorized.
func (a *authorizedKeys) refresh() {
	a.mu.Lock()
	info, err := os.Stat(a.path)
	if err == nil && a.stamp.same(info) {
		a.mu.Unlock()
		return
	}
	if err != nil {
		hadKeys := a.stamp.info != nil
		a.keys, a.stamp = nil, fileStamp{}
		a.mu.Unlock()
		if hadKeys {
			a.log.Error("authorized keys unreadable; nobody may log in",
				"path", a.path, "err", err)
		}
		return
	}
	err = a.readLocked(info)
	a.mu.Unlock()
	if err != nil {
		a.log.Error("authorized keys unreadable; nobody may log in", "err", err)
	}
}

// lookup returns the operator for key, re-reading the file first if it
// changed.
func (a *authorizedKeys) lookup(key gossh.PublicKey) (operatorKey, bool) {
	a.refresh()
	a.mu.Lock()
	defer a.mu.Unlock()
	op, ok := a.keys[string(key.Marshal())]
	return op, ok
}

// count is the number of authorized keys.
func (a *authorizedKeys) count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.keys)
}

// parseAuthorizedKeys reads every line of an authorized_keys file. Lines
// with options (from=, command=, cert-authority, ...) are skipped with a
// warning, since Keyward could not enforce them.
func parseAuthorizedKeys(data []byte, path string, log *slog.Logger) map[string]operatorKey {
	keys := map[string]operatorKey{}
	for i, line := range bytes.Split(data, []byte("\n")) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		op, err := parseKeyLine(line)
		if err != nil {
			log.Warn("authorized keys: line skipped", "path", path, "line", i+1,
				"err", err)
			continue
		}
		keys[string(op.key.Marshal())] = op
	}
	return keys
}

// parseKeyLine reads one authorized_keys line without options.
func parseKeyLine(line []byte) (operatorKey, error) {
	pub, comment, options, _, err := gossh.ParseAuthorizedKey(line)
	if err != nil {
		return operatorKey{}, err
	}
	if len(options) > 0 {
		return operatorKey{}, errors.New("options are not supported")
	}
	fp := Fingerprint(pub)
	return operatorKey{key: pub, name: operatorName(comment, fp), fingerprint: fp}, nil
}

// operatorName is the key's comment made safe for a header and an audit
// record (no control characters, bounded length), else its fingerprint.
func operatorName(comment, fingerprint string) string {
	clean := strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return ' '
		}
		if unicode.IsControl(r) || r == unicode.ReplacementChar {
			return -1
		}
		return r
	}, comment)
	clean = strings.Join(strings.Fields(clean), " ")
	if r := []rune(clean); len(r) > maxOperatorName {
		clean = string(r[:maxOperatorName])
	}
	if clean == "" {
		return fingerprint
	}
	return clean
}
