package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"keyward/keys"
	"keyward/storage"
)

// buildCLIBinary builds the binary into a temporary directory.
func buildCLIBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "keyward")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// cliScriptEnv is the environment a script runs keyward in: the test's own,
// without any Keyward setting, plus extra.
func cliScriptEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "KEYWARD_") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

// TestCLIScriptUsage runs the built binary the way a deploy script would.
func TestCLIScriptUsage(t *testing.T) {
	bin := buildCLIBinary(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "data", "keyward.db")
	script := `set -e
KEY=$("$KW" tokens create --name deploy-bot --quota 12.50 --models gpt-4o)
printf '%s' "$KEY" > "$OUT/key.txt"
"$KW" tokens list --json > "$OUT/list.json"
`
	cmd := exec.Command("sh", "-c", script)
	cmd.Env = cliScriptEnv("KW="+bin, "OUT="+dir, storage.EnvDB+"="+db)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("script: %v; stderr %q", err, stderr.String())
	}
	if stderr.Len() != 0 {
		t.Errorf("script stderr %q, want nothing", stderr.String())
	}
	raw, err := os.ReadFile(filepath.Join(dir, "key.txt"))
	if err != nil {
		t.Fatal(err)
	}
	key := string(raw)
	if !keys.LooksValid(key) {
		t.Fatalf("KEY=$(...) captured %q, not a key", keys.Mask(key))
	}
	cliCheckListJSON(t, filepath.Join(dir, "list.json"), key)
	cliCheckStored(t, db, key)
}

func cliCheckListJSON(t *testing.T, path, key string) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var list []struct {
		ID           uint64   `json:"id"`
		Name         string   `json:"name"`
		Status       string   `json:"status"`
		LimitUSD     *string  `json:"limit_usd"`
		RemainingUSD *string  `json:"remaining_usd"`
		Models       []string `json:"models"`
		KeyMasked    string   `json:"key_masked"`
	}
	if err := json.Unmarshal(raw, &list); err != nil {
		t.Fatalf("tokens list --json: %v", err)
	}
	if len(list) != 1 {
		t.Fatalf("%d tokens listed, want 1", len(list))
	}
	got := list[0]
	if got.Name != "deploy-bot" || got.Status != "enabled" || got.LimitUSD == nil ||
		*got.LimitUSD != "12.50" || *got.RemainingUSD != "12.50" ||
		len(got.Models) != 1 || got.Models[0] != "gpt-4o" || got.KeyMasked != keys.Mask(key) {
		t.Errorf("listed %+v", got)
	}
	if bytes.Contains(raw, []byte(key)) {
		t.Error("tokens list --json contains the full key")
	}
}

func cliCheckStored(t *testing.T, db, key string) {
	t.Helper()
	st, err := storage.Open(db, storage.Options{KeyPath: storage.MasterKeyPath(db)})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = st.Close() }()
	tok, err := st.FindByKey(key)
	if err != nil || tok.Name != "deploy-bot" {
		t.Errorf("the printed key %s finds %q (%v)", keys.Mask(key), tok.Name, err)
	}
}

// TestCLIBinaryLocked holds the database open in this process and runs the
// binary against it: one sentence naming the path, exit status 1.
func TestCLIBinaryLocked(t *testing.T) {
	bin := buildCLIBinary(t)
	t.Setenv(storage.EnvMasterKey, "")
	db := filepath.Join(t.TempDir(), "data", "keyward.db")
	holder, err := storage.Open(db, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = holder.Close() }()
	cmd := exec.Command(bin, "--db", db, "tokens", "list")
	cmd.Env = cliScriptEnv()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("run while locked: %v, want exit status 1", err)
	}
	want := "keyward: the database " + db + " is in use by another Keyward process; " +
		"close that console, server or script and try again.\n"
	if stderr.String() != want || stdout.Len() != 0 {
		t.Errorf("stderr %q, stdout %q; want stderr %q", stderr.String(), stdout.String(), want)
	}
}

// TestCLIBinaryExitStatuses checks the statuses scripts rely on.
func TestCLIBinaryExitStatuses(t *testing.T) {
	bin := buildCLIBinary(t)
	db := filepath.Join(t.TempDir(), "data", "keyward.db")
	tests := []struct {
		args []string
		code int
	}{
		{[]string{"--version"}, 0},
		{[]string{"tokens", "list"}, 0},
		{[]string{"tokens", "lst"}, 2},
		{[]string{"tokens", "show", "nobody"}, 1},
		{[]string{"tokens", "create", "--name", "x", "--quota", "12abc"}, 2},
		{[]string{"tokens", "create", "--name", strings.Repeat("x", 65)}, 1},
	}
	for _, tc := range tests {
		cmd := exec.Command(bin, tc.args...)
		cmd.Env = cliScriptEnv(storage.EnvDB + "=" + db)
		err := cmd.Run()
		code := 0
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			code = exit.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if code != tc.code {
			t.Errorf("%v: exit status %d, want %d", tc.args, code, tc.code)
		}
	}
}
