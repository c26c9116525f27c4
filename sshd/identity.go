package sshd

import (
	"errors"
	"fmt"

	"github.com/charmbracelet/ssh"
	gossh "golang.org/x/crypto/ssh"
)

// Permission extensions that carry the operator from authentication to the
// session. They are written only into the Permissions value that belongs
// to the key being checked (the ssh library hands each PublicKeyCallback
// call a fresh one and keeps, for the connection, the one returned for the
// key that finally signed), never into connection-wide context values:
// a client may ask about key A and then sign with key B (CVE-2024-45337).
const (
	extOperator    = "keyward-operator"
	extFingerprint = "keyward-key-sha256"
)

// errIdentity is returned when a session's key and its recorded operator
// do not agree; the session is refused.
var errIdentity = errors.New("cannot confirm which key signed this session")

// checkPublicKey is the PublicKeyHandler: it admits keys listed in the
// authorized_keys file and records the operator in the Permissions that
// belong to this key. An address banned for failed logins is refused
// here too, so that connections opened before the ban gain nothing.
func (s *Server) checkPublicKey(ctx ssh.Context, key ssh.PublicKey) bool {
	w := connOf(ctx)
	if _, banned := s.limiter.blocked(remoteHost(ctx.RemoteAddr())); banned {
		if w != nil {
			s.tellBanned(w)
		}
		return false
	}
	op, ok := s.keys.lookup(key)
	if !ok {
		fp := Fingerprint(key)
		if w != nil {
			w.noteRejected(fp)
		}
		s.log.Info("ssh key rejected", "remote", remoteHost(ctx.RemoteAddr()),
			"user", Redact(ctx.User()), "key_sha256", fp)
		return false
	}
	perms := ctx.Permissions().Permissions
	if perms.Extensions == nil {
		perms.Extensions = map[string]string{}
	}
	perms.Extensions[extOperator] = op.name
	perms.Extensions[extFingerprint] = op.fingerprint
	return true
}

// verifiedPublicKey runs after the client proved it holds key (its
// signature checked out). It insists that the Permissions about to become
// the connection's were made for this very key.
func verifiedPublicKey(_ gossh.ConnMetadata, key gossh.PublicKey,
	perms *gossh.Permissions, _ string,
) (*gossh.Permissions, error) {
	if perms == nil || perms.Extensions[extFingerprint] != Fingerprint(key) {
		return nil, errIdentity
	}
	return perms, nil
}

// operatorOf names the operator of an authenticated session: the name
// recorded for the key that signed, checked against the session's key.
func operatorOf(sess ssh.Session) (string, error) {
	key := sess.PublicKey()
	if key == nil {
		return "", fmt.Errorf("%w: no public key", errIdentity)
	}
	perms := sess.Permissions()
	if perms.Permissions == nil {
		return "", fmt.Errorf("%w: no permissions", errIdentity)
	}
	ext := perms.Extensions
	if ext[extFingerprint] != Fingerprint(key) || ext[extOperator] == "" {
		return "", errIdentity
	}
	return ext[extOperator], nil
}
