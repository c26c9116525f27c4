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

// ErrUnsafeAuthorizedKeys means the authorized_keys file, or its folder,
// may be written by users other than its owner.
var ErrUnsafeAuthorizedKeys = errors.New("unsafe authorized_keys permissions")

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

// fileStamp identifies one version of the file and of its folder's
// mode, to notice edits and permission changes.
type fileStamp struct {
	info    os.FileInfo
	size    int64
	modTime time.Time
	mode    os.FileMode
	dirMode os.FileMode
}

// stampOf describes the file whose stat result is info, in a folder of
// mode dirMode.
func stampOf(info os.FileInfo, dirMode os.FileMode) fileStamp {
	return fileStamp{info: info, size: info.Size(), modTime: info.ModTime(),
		mode: info.Mode(), dirMode: dirMode}
}

// same reports whether o describes the same version as s.
func (s fileStamp) same(o fileStamp) bool {
	return s.info != nil && o.info != nil && os.SameFile(s.info, o.info) &&
		s.size == o.size && s.modTime.Equal(o.modTime) && s.mode == o.mode &&
		s.dirMode == o.dirMode
}

// authorizedKeys is the set of operator keys read from a file. It re-reads
// the file when its size, time, inode or mode (or its folder's mode)
// changes, checked on every lookup and by the server's poll, and when
// Reload is called. A file that others may write is never read: at start
// that is an error, later the keys read before stay in force.
type authorizedKeys struct {
	path string
	log  *slog.Logger
	// changed runs (without the lock held) after a new version of the
	// file was read, so that the server can end the sessions of keys that
	// are gone; explicit is true for Reload, false for a noticed edit.
	changed func(explicit bool)

	mu    sync.Mutex
	stamp fileStamp // the version last looked at, usable or not
	keys  map[string]operatorKey
}

// loadAuthorizedKeys reads path and fails with ErrNoAuthorizedKeys (and
// how to add a key) when it is missing or lists no usable key, and with
// the chmod to run when others may write it.
func loadAuthorizedKeys(path string, log *slog.Logger) (*authorizedKeys, error) {
	a := &authorizedKeys{path: path, log: log}
	if _, _, err := a.read(); err != nil {
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
		"  mkdir -p -m 700 %s && cat ~/.ssh/id_ed25519.pub >> %s && chmod 600 %s",
		ErrNoAuthorizedKeys, path, why, filepath.Dir(path), path, path)
}

// statKeys stats the file and its folder and checks that neither may be
// written by group or others.
func (a *authorizedKeys) statKeys() (fileStamp, error) {
	info, err := os.Stat(a.path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return fileStamp{}, noKeysError(a.path, "does not exist")
		}
		return fileStamp{}, fmt.Errorf("read authorized keys: %w", err)
	}
	dir := filepath.Dir(a.path)
	dirInfo, err := os.Stat(dir)
	if err != nil {
		return fileStamp{}, fmt.Errorf("read authorized keys folder: %w", err)
	}
	stamp := stampOf(info, dirInfo.Mode())
	if err := checkNotWritable(a.path, "file", info.Mode()); err != nil {
		return stamp, err
	}
	return stamp, checkNotWritable(dir, "folder", dirInfo.Mode())
}

// checkNotWritable refuses a file or folder that group or others may
// write: anyone who can change the file can let themselves in.
func checkNotWritable(path, what string, mode os.FileMode) error {
	if mode.Perm()&0o022 == 0 {
		return nil
	}
	return fmt.Errorf("%w: the authorized_keys %s %s may be written by other "+
		"users (mode %04o), so anyone could add a key; run: chmod go-w %s",
		ErrUnsafeAuthorizedKeys, what, path, mode.Perm(), path)
}

// reload reads the file now. A missing file leaves no key authorized; a
// file others may write leaves the keys read before. Errors are logged.
func (a *authorizedKeys) reload() error {
	changed, kept, err := a.read()
	a.after(changed, kept, err, true)
	return err
}

// read reads the file now; changed reports a new key list in force, kept
// that some keys are in force.
func (a *authorizedKeys) read() (changed, kept bool, err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	stamp, err := a.statKeys()
	changed, err = a.applyLocked(stamp, err)
	return changed, a.keys != nil, err
}

// refresh re-reads the file if it changed since it was last looked at.
// Errors are logged once per version of the file.
func (a *authorizedKeys) refresh() {
	a.mu.Lock()
	stamp, err := a.statKeys()
	if stamp.same(a.stamp) {
		a.mu.Unlock()
		return
	}
	missingAgain := stamp.info == nil && a.stamp.info == nil && a.keys == nil
	changed, err := a.applyLocked(stamp, err)
	kept := a.keys != nil
	a.mu.Unlock()
	if missingAgain {
		err = nil
	}
	a.after(changed, kept, err, false)
}

// after logs a failed read and runs the changed hook after a new key list
// came into force.
func (a *authorizedKeys) after(changed, kept bool, err error, explicit bool) {
	switch {
	case err != nil && kept:
		a.log.Error("authorized keys not reloaded; the keys read before stay in force",
			"path", a.path, "err", err)
	case err != nil:
		a.log.Error("authorized keys unusable; nobody may log in",
			"path", a.path, "err", err)
	}
	if changed && a.changed != nil {
		a.changed(explicit)
	}
}

// applyLocked takes in the result of statKeys: it reads the file when it
// is usable and reports whether a new key list is in force.
func (a *authorizedKeys) applyLocked(stamp fileStamp, err error) (bool, error) {
	a.stamp = stamp
	switch {
	case stamp.info == nil: // missing or unreadable: nobody may log in
		a.keys = nil
		return false, err
	case err != nil: // unsafe modes: keep the keys read before
		return false, err
	}
	data, err := os.ReadFile(a.path)
	if err != nil {
		a.keys = nil
		return false, fmt.Errorf("read authorized keys: %w", err)
	}
	a.keys = parseAuthorizedKeys(data, a.path, a.log)
	a.log.Info("authorized keys loaded", "path", a.path, "keys", len(a.keys))
	return true, nil
}

// lookup returns the operator for key, re-reading the file first if it
// changed.
func (a *authorizedKeys) lookup(key gossh.PublicKey) (operatorKey, bool) {
	a.refresh()
	return a.find(key)
}

// find returns the operator for key from the keys in force, without
// looking at the file.
func (a *authorizedKeys) find(key gossh.PublicKey) (operatorKey, bool) {
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
