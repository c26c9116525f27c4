package sshd

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	gossh "golang.org/x/crypto/ssh"
)

// HostKeyFile is the host key's file name, kept beside the database.
const HostKeyFile = "ssh_host_ed25519_key"

// hostKeyComment names the host key in its files, so that
// `ssh-keygen -lf ssh_host_ed25519_key.pub` says what it is.
const hostKeyComment = "keyward host key"

// LoadOrCreateHostKey reads the host key at path, or generates an ed25519
// key there (mode 0600) when the file does not exist. created reports
// whether a new key was made. A key file that others can read is refused,
// as OpenSSH does. The public half is (re)written to path.pub at every
// start, so that it always matches the private key, for known_hosts files
// and ssh-keygen -lf.
func LoadOrCreateHostKey(path string) (signer gossh.Signer, created bool, err error) {
	signer, err = loadHostKey(path)
	if errors.Is(err, fs.ErrNotExist) {
		if err := writeHostKey(path); err != nil {
			return nil, false, err
		}
		created = true
		signer, err = loadHostKey(path)
	}
	if err != nil {
		return nil, false, err
	}
	return signer, created, writePublicKey(path+".pub", signer.PublicKey())
}

// publicKeyLine is pub in authorized_keys format with the host key's
// comment.
func publicKeyLine(pub gossh.PublicKey) []byte {
	line := bytes.TrimSuffix(gossh.MarshalAuthorizedKey(pub), []byte("\n"))
	return append(line, " "+hostKeyComment+"\n"...)
}

// writePublicKey writes pub to path (mode 0644) unless the file already
// holds exactly that line; it replaces the file atomically, so a stale
// .pub left by an earlier key never survives a start.
func writePublicKey(path string, pub gossh.PublicKey) error {
	line := publicKeyLine(pub)
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, line) {
		if info, err := os.Stat(path); err == nil && info.Mode().Perm() == 0o644 {
			return nil
		}
	}
	if err := replaceFile(path, line, 0o644); err != nil {
		return fmt.Errorf("write host public key %s: %w", path, err)
	}
	return nil
}

// replaceFile writes data to a temporary file beside path, sets its mode
// to perm, syncs it and renames it over path.
func replaceFile(path string, data []byte, perm os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Chmod(perm)
	}
	if err == nil {
		err = tmp.Sync()
	}
	err = errors.Join(err, tmp.Close())
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
	}
	return err
}

// loadHostKey parses the private key at path after checking its mode.
func loadHostKey(path string) (gossh.Signer, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("host key %s: %w", path, err)
	}
	if info.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("host key %s is readable by others (mode %v); "+
			"run: chmod 600 %s", path, info.Mode().Perm(), path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read host key: %w", err)
	}
	signer, err := gossh.ParsePrivateKey(data)
	if err != nil {
		return nil, fmt.Errorf("host key %s is not a usable private key "+
			"(move it away to have a new one made): %w", path, err)
	}
	return signer, nil
}

// writeHostKey generates an ed25519 key and writes it to path in OpenSSH
// format, refusing to overwrite an existing file.
func writeHostKey(path string) error {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return fmt.Errorf("generate host key: %w", err)
	}
	block, err := gossh.MarshalPrivateKey(priv, hostKeyComment)
	if err != nil {
		return fmt.Errorf("encode host key: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("create host key folder: %w", err)
	}
	if err := writeNewFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		return fmt.Errorf("write host key %s: %w", path, err)
	}
	return nil
}

// writeNewFile creates path with mode perm, failing if it exists, writes
// data and syncs it to disk.
func writeNewFile(path string, data []byte, perm os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	return errors.Join(err, f.Close())
}

// Fingerprint is the SHA256 fingerprint of a public key, as ssh-keygen -l
// prints it ("SHA256:...").
func Fingerprint(key gossh.PublicKey) string {
	return gossh.FingerprintSHA256(key)
}
