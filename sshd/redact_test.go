package sshd

import (
	"strings"
	"testing"

	gossh "golang.org/x/crypto/ssh"

	"keyward/keys"
	"keyward/sshd/sshdtest"
)

// testAPIKey is shaped like a Keyward key (it need not be a valid one).
const testAPIKey = "sk-abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV"

func TestRedact(t *testing.T) {
	body := testAPIKey[len(keys.Prefix):]
	tests := []struct{ in, want string }{
		{"alice", "alice"},
		{"", ""},
		{testAPIKey, keys.Mask(testAPIKey)},
		{"user-" + testAPIKey + "@host", "user-" + keys.Mask(testAPIKey) + "@host"},
		{"--key=" + testAPIKey, "--key=" + keys.Mask(testAPIKey)},
		{body, "****" + body[len(body)-4:]},
		{"SSH-2.0-OpenSSH_9.6p1 Debian-4", "SSH-2.0-OpenSSH_9.6p1 Debian-4"},
		{"sk-", "sk-****"},
		{"a sk-x b", "a sk-**** b"},
		{"xterm-256color", "xterm-256color"},
		{`ssh: unknown method "` + testAPIKey + `"`,
			`ssh: unknown method "` + keys.Mask(testAPIKey) + `"`},
	}
	for _, tt := range tests {
		if got := Redact(tt.in); got != tt.want {
			t.Errorf("Redact(%q) = %q, want %q", sshdtest.MaskKeys(tt.in), got, tt.want)
		}
	}
}

// leaksKey reports whether logs hold any 8 characters in a row of the
// key's body.
func leaksKey(logs, key string) bool {
	body := key[len(keys.Prefix):]
	for i := 0; i+8 <= len(body); i++ {
		if strings.Contains(logs, body[i:i+8]) {
			return true
		}
	}
	return false
}

// TestLogsRedactClientStrings logs in with an API key as the SSH user
// name, terminal type and client version, once with an authorized key and
// once with an unknown one: the log must not hold the key either way.
func TestLogsRedactClientStrings(t *testing.T) {
	alice, mallory := newTestKey(t, "alice"), newTestKey(t, "mallory")
	env := startServer(t, nil, alice)
	cfg := func(k testKey) *gossh.ClientConfig {
		return &gossh.ClientConfig{User: testAPIKey, Auth: []gossh.AuthMethod{
			gossh.PublicKeys(k.Signer)}, ClientVersion: "SSH-2.0-" + testAPIKey}
	}
	c, err := env.dialConfig(cfg(alice))
	if err != nil {
		t.Fatalf("login as alice: %v", err)
	}
	term := sshdtest.OpenTerminalWith(t, c, sshdtest.TerminalOptions{
		Width: 80, Height: 24, Term: testAPIKey})
	term.WaitFor(t, "operator=alice")
	sshdtest.Run(t, c, testAPIKey+" tokens")
	_ = c.Close()
	if c, err := env.dialConfig(cfg(mallory)); err == nil {
		_ = c.Close()
		t.Fatal("mallory logged in")
	}
	sshdtest.WaitUntil(t, "the failed login and both session ends to be logged", func() bool {
		logs := env.logs.String()
		return strings.Contains(logs, "ssh login failed") &&
			strings.Count(logs, "ssh session end") == 2
	})
	logs := env.logs.String()
	if leaksKey(logs, testAPIKey) {
		t.Errorf("the log holds the API key given as user name:\n%s", sshdtest.MaskKeys(logs))
	}
	for _, want := range []string{"ssh key rejected", "user=" + keys.Mask(testAPIKey),
		"connect"} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %q:\n%s", want, sshdtest.MaskKeys(logs))
		}
	}
}
