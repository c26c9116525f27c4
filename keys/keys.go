// Package keys makes and checks Keyward API keys.
//
// A key is "sk-" followed by 48 characters of [0-9A-Za-z]. The first 42 come
// from crypto/rand without modulo bias; the last 6 are the CRC-32 of the
// first 42 written in base 62. A typo or a random string fails the checksum
// before any lookup, and secret scanners can recognise the format.
package keys

import (
	"crypto/rand"
	"fmt"
	"hash/crc32"
	"io"
	"strings"
)

// Key format.
const (
	Prefix      = "sk-"
	BodyLen     = 48 // characters after the prefix
	checksumLen = 6
	randomLen   = BodyLen - checksumLen
	Len         = len(Prefix) + BodyLen
	alphabet    = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	maskShown   = 4
)

// unbiased is the largest multiple of 62 that fits in a byte: bytes at or
// above it are thrown away so that every character is equally likely.
const unbiased = 256 - 256%len(alphabet)

// Generate returns a new random key.
func Generate() (string, error) {
	return generate(rand.Reader)
}

func generate(r io.Reader) (string, error) {
	body := make([]byte, 0, BodyLen)
	buf := make([]byte, 64)
	for len(body) < randomLen {
		if _, err := io.ReadFull(r, buf); err != nil {
			return "", fmt.Errorf("read random bytes: %w", err)
		}
		for _, b := range buf {
			if int(b) >= unbiased {
				continue
			}
			body = append(body, alphabet[int(b)%len(alphabet)])
			if len(body) == randomLen {
				break
			}
		}
	}
	body = append(body, checksum(body)...)
	return Prefix + string(body), nil
}

// checksum writes the CRC-32 of b as six base-62 digits.
func checksum(b []byte) []byte {
	sum := crc32.ChecksumIEEE(b)
	out := make([]byte, checksumLen)
	for i := checksumLen - 1; i >= 0; i-- {
		out[i] = alphabet[sum%uint32(len(alphabet))]
		sum /= uint32(len(alphabet))
	}
	return out
}

// LooksValid reports whether key has Keyward's prefix, length, alphabet and
// a matching checksum. It says nothing about whether the key exists.
func LooksValid(key string) bool {
	if len(key) != Len || !strings.HasPrefix(key, Prefix) {
		return false
	}
	body := key[len(Prefix):]
	for i := 0; i < len(body); i++ {
		if strings.IndexByte(alphabet, body[i]) < 0 {
			return false
		}
	}
	return string(checksum([]byte(body[:randomLen]))) == body[randomLen:]
}

// Mask hides all but the last four characters: "sk-****abcd". A string too
// short to hide anything is masked completely.
func Mask(key string) string {
	if len(key) < len(Prefix)+2*maskShown {
		return Prefix + "****"
	}
	return Prefix + "****" + key[len(key)-maskShown:]
}
