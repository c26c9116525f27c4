package storage

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Master key and the keys derived from it.
const (
	masterKeyLen = 32
	checkLen     = sha256.Size
	nonceLen     = 12
)

// Labels that derive independent keys from the master key, so that the
// sealing key, the index key and the stored check value never coincide.
const (
	labelSeal  = "keyward/seal/v1"
	labelIndex = "keyward/index/v1"
	labelCheck = "keyward/check/v1"
)

// loadOrCreateMasterKey reads the master key at keyPath. When the database
// is fresh and there is no key file yet, it makes one (0600). An existing
// database whose key file is missing is an error: a new key could never
// open its sealed keys.
func loadOrCreateMasterKey(keyPath, dbPath string, fresh bool) ([]byte, []string, error) {
	key, err := readMasterKey(keyPath)
	if err == nil {
		return key, modeWarning(keyPath, 0o600), nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, nil, err
	}
	if !fresh {
		return nil, nil, fmt.Errorf("%w: the key file for %s was expected at %s and is "+
			"missing; restore it (or set %s to where it is)", ErrMasterKey, dbPath, keyPath,
			EnvMasterKey)
	}
	key, err = createMasterKey(keyPath)
	if errors.Is(err, fs.ErrExist) {
		// Another Keyward made it a moment ago: use that one.
		key, err = readMasterKey(keyPath)
	}
	return key, nil, err
}

// readMasterKey reads 32 raw bytes, or 64 hexadecimal digits with optional
// surrounding white space.
func readMasterKey(keyPath string) ([]byte, error) {
	raw, err := os.ReadFile(keyPath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMasterKey, err)
	}
	if key := parseMasterKey(raw); key != nil {
		return key, nil
	}
	return nil, fmt.Errorf("%w: %s holds %d bytes, not a %d-byte master key",
		ErrMasterKey, keyPath, len(raw), masterKeyLen)
}

// parseMasterKey accepts 32 raw bytes or 64 hexadecimal digits; nil
// otherwise.
func parseMasterKey(raw []byte) []byte {
	if len(raw) == masterKeyLen {
		return raw
	}
	dec, err := hex.DecodeString(strings.TrimSpace(string(raw)))
	if err != nil || len(dec) != masterKeyLen {
		return nil
	}
	return dec
}

// createMasterKey writes a new random key to keyPath, failing rather than
// replacing a file that appeared meanwhile.
func createMasterKey(keyPath string) ([]byte, error) {
	key := make([]byte, masterKeyLen)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("%w: make a master key: %v", ErrMasterKey, err)
	}
	if err := mkdirPrivate(filepath.Dir(keyPath)); err != nil {
		return nil, err
	}
	if err := writeNew(keyPath, key); err != nil {
		return nil, keyWriteError(keyPath, err)
	}
	return key, nil
}

// writeNew makes path hold data (0600, synced) without ever replacing an
// existing file: it writes a temporary file beside path and hard-links it
// to path, which fails with fs.ErrExist if path exists, so a reader never
// sees path empty or half written. On a file system without hard links it
// falls back to creating path exclusively and writing it.
func writeNew(path string, data []byte) error {
	tmp, err := writeTemp(path, data)
	if err != nil {
		return err
	}
	defer func() { _ = os.Remove(tmp) }()
	err = os.Link(tmp, path)
	switch {
	case err == nil:
		return syncDir(filepath.Dir(path))
	case !errors.Is(err, fs.ErrExist) && linkUnsupported(err):
		return writeExclusive(path, data)
	}
	return err
}

// writeExclusive creates path (0600, failing if it exists), writes data
// and syncs it, removing what it wrote if it fails.
func writeExclusive(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(path)
	}
	return err
}

// keyWriteError explains a failure to write the key file, keeping
// fs.ErrExist visible to errors.Is.
func keyWriteError(keyPath string, err error) error {
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("write master key %s: %w", keyPath, err)
	}
	if isReadOnlyErr(err) {
		return fmt.Errorf("write master key %s: %w: %v", keyPath, ErrReadOnly, err)
	}
	return fmt.Errorf("%w: write %s: %v", ErrMasterKey, keyPath, err)
}

// derive computes HMAC-SHA256(master, label).
func derive(master []byte, label string) []byte {
	m := hmac.New(sha256.New, master)
	m.Write([]byte(label))
	return m.Sum(nil)
}

// setKeys derives the sealing cipher, the index key and the check value
// from master.
func (db *DB) setKeys(master []byte) {
	db.aead = newGCM(derive(master, labelSeal))
	db.indexKey = derive(master, labelIndex)
	db.checkValue = derive(master, labelCheck)
}

// newGCM makes AES-256-GCM for a 32-byte key, which cannot fail.
func newGCM(key []byte) cipher.AEAD {
	block, err := aes.NewCipher(key)
	if err != nil {
		panic("storage: AES key of the wrong size: " + err.Error())
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic("storage: GCM: " + err.Error())
	}
	return aead
}

// checkValueMatches reports whether stored is this master key's check
// value.
func (db *DB) checkValueMatches(stored []byte) bool {
	return subtle.ConstantTimeCompare(stored, db.checkValue) == 1
}

// KeyHash is the index hash of a key: HMAC-SHA256 under a key derived from
// the master key. Caches use it so that they never hold keys.
func (db *DB) KeyHash(key string) [32]byte {
	m := hmac.New(sha256.New, db.indexKey)
	m.Write([]byte(key))
	var out [32]byte
	m.Sum(out[:0])
	return out
}

// seal encrypts a key with a random nonce; the token ID is the additional
// data, so a sealed key moved to another record does not open.
func (db *DB) seal(id uint64, key string) ([]byte, error) {
	out := make([]byte, nonceLen, nonceLen+len(key)+db.aead.Overhead())
	if _, err := rand.Read(out); err != nil {
		return nil, fmt.Errorf("seal key of token %d: %w", id, err)
	}
	return db.aead.Seal(out, out[:nonceLen], []byte(key), idBytes(id)), nil
}

// unseal decrypts a sealed key.
func (db *DB) unseal(id uint64, sealed []byte) (string, error) {
	if len(sealed) < nonceLen+db.aead.Overhead() {
		return "", fmt.Errorf("token %d: %w: sealed key is too short", id, ErrCorrupt)
	}
	var buf [64]byte // room for a key, so that only the string allocates
	var ad [8]byte
	binary.BigEndian.PutUint64(ad[:], id)
	plain, err := db.aead.Open(buf[:0], sealed[:nonceLen], sealed[nonceLen:], ad[:])
	if err != nil {
		return "", fmt.Errorf("token %d: %w: its sealed key fails authentication "+
			"(the record is damaged or was moved)", id, ErrCorrupt)
	}
	return string(plain), nil
}

// idBytes is a token ID as an 8-byte big-endian key, so that bbolt's byte
// order is numeric order.
func idBytes(id uint64) []byte {
	return binary.BigEndian.AppendUint64(make([]byte, 0, 8), id)
}
