package sshd

import (
	"strings"

	"keyward/keys"
)

// minSecretRun is the length from which a run of key characters without
// Keyward's prefix is treated as a possible key body (a key pasted
// without "sk-", or another service's token) and masked too.
const minSecretRun = 24

// Redact makes a client-controlled string (the SSH user name, command
// words, terminal type, client version, an error quoting any of them)
// safe to log: every run that looks like a key is masked with keys.Mask,
// so at most its last four characters remain. A client chooses these
// strings freely (`ssh -l "$KEY" host`), so nothing it sends is logged
// without passing through here.
func Redact(s string) string {
	if !mayHoldSecret(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		n := keyRunLen(s[i:])
		if n == 0 {
			b.WriteByte(s[i])
			i++
			continue
		}
		b.WriteString(maskRun(s[i : i+n]))
		i += n
	}
	return b.String()
}

// mayHoldSecret is a quick test that lets most strings through untouched.
func mayHoldSecret(s string) bool {
	if strings.Contains(s, keys.Prefix) {
		return true
	}
	run := 0
	for i := 0; i < len(s); i++ {
		run++
		if !isKeyChar(s[i]) {
			run = 0
		}
		if run >= minSecretRun {
			return true
		}
	}
	return false
}

// keyRunLen is the length of the run of key characters that starts s.
func keyRunLen(s string) int {
	n := 0
	for n < len(s) && isKeyChar(s[n]) {
		n++
	}
	return n
}

// maskRun masks a run of key characters: from a Keyward prefix inside it
// to its end with keys.Mask, else the whole run when it is long enough to
// be a secret. Short runs without the prefix (words) are kept.
func maskRun(run string) string {
	if i := strings.Index(run, keys.Prefix); i >= 0 {
		return run[:i] + keys.Mask(run[i:])
	}
	if len(run) < minSecretRun {
		return run
	}
	return "****" + run[len(run)-4:]
}

// isKeyChar reports whether c can appear in a key body (Keyward's
// alphabet, plus the - and _ that other services' tokens use).
func isKeyChar(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' ||
		c == '-' || c == '_'
}
