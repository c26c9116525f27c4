package serve_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"keyward/model"
	"keyward/serve"
	"keyward/sshd"
	"keyward/sshd/sshdtest"
	"keyward/storage"
)

// findToken returns the token named name and the audit event that
// created it.
func findToken(t *testing.T, db storage.Store, name string) (model.Token, model.Event) {
	t.Helper()
	tokens, err := db.List()
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range tokens {
		if tok.Name != name {
			continue
		}
		events, err := db.Audit(storage.AuditFilter{TokenID: tok.ID})
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range events {
			if ev.Action == model.ActionCreate {
				return tok, ev
			}
		}
		t.Fatalf("no create event for %q", name)
	}
	t.Fatalf("no token named %q", name)
	return model.Token{}, model.Event{}
}

func TestConsoleOverSSHCreatesTokenAsOperator(t *testing.T) {
	alice := sshdtest.NewKey(t, "alice@laptop")
	s := startServe(t, nil, alice)
	term := sshdtest.OpenTerminal(t, s.dial(t, alice), 100, 30)
	term.WaitFor(t, "operator alice@laptop")
	term.Send(t, "n")
	term.WaitFor(t, "New token")
	term.Send(t, "from-console")
	term.Send(t, "\x13") // ctrl+s saves
	mark := term.Mark()
	term.WaitForAfter(t, mark, "from-console")
	term.Send(t, "c") // copy the new key: OSC 52 to this session
	sshdtest.WaitUntil(t, "an OSC 52 copy sequence", func() bool {
		return strings.Contains(term.Raw(), "\x1b]52;c;")
	})
	mark = term.Mark()
	term.Send(t, "\x1b") // back to the table
	term.WaitForAfter(t, mark, "n new")
	term.Send(t, "q")
	if status := term.Wait(t); status != 0 {
		t.Errorf("console exit status %d, want 0", status)
	}
	if code := s.stop(t); code != 0 {
		t.Fatalf("serve exit status %d: %s", code, s.stderr.String())
	}
	tok, ev := findToken(t, s.reopen(t), "from-console")
	if ev.Actor != "alice@laptop" {
		t.Errorf("token %d created by %q, want alice@laptop", tok.ID, ev.Actor)
	}
}

func TestSessionsSeeEachOthersChanges(t *testing.T) {
	alice, bob := sshdtest.NewKey(t, "alice"), sshdtest.NewKey(t, "bob")
	s := startServe(t, nil, alice, bob)
	termA := sshdtest.OpenTerminal(t, s.dial(t, alice), 100, 30)
	termB := sshdtest.OpenTerminal(t, s.dial(t, bob), 100, 30)
	termA.WaitFor(t, "operator alice")
	termB.WaitFor(t, "operator bob")

	mark := termB.Mark()
	termA.Send(t, "n")
	termA.WaitFor(t, "New token")
	termA.Send(t, "made-by-alice\x13")
	t.Logf("bob's console showed alice's token after %v",
		termB.WaitForAfter(t, mark, "made-by-alice"))
	termA.WaitFor(t, "Created 'made-by-alice'")
	markA := termA.Mark()
	termA.Send(t, "\x1b") // back to the table
	termA.WaitForAfter(t, markA, "n new")

	markA, markB := termA.Mark(), termB.Mark()
	out, stderr, status := sshdtest.Run(t, s.dial(t, bob), "tokens create --name from-script")
	if status != 0 {
		t.Fatalf("tokens create: status %d, %s", status, stderr)
	}
	_ = out // holds the new key; never logged
	t.Logf("alice saw the script's token after %v", termA.WaitForAfter(t, markA, "from-script"))
	t.Logf("bob saw the script's token after %v", termB.WaitForAfter(t, markB, "from-script"))

	s.stop(t)
	db := s.reopen(t)
	if _, ev := findToken(t, db, "from-script"); ev.Actor != "bob" {
		t.Errorf("script's token created by %q, want bob", ev.Actor)
	}
	if _, ev := findToken(t, db, "made-by-alice"); ev.Actor != "alice" {
		t.Errorf("console token created by %q, want alice", ev.Actor)
	}
}

func TestCommandsOverSSH(t *testing.T) {
	bob := sshdtest.NewKey(t, "bob")
	s := startServe(t, nil, bob)
	c := s.dial(t, bob)
	_, stderr, status := sshdtest.Run(t, c, "tokens create --name json-1 --quota 5")
	if status != 0 {
		t.Fatalf("create: status %d: %s", status, stderr)
	}
	out, stderr, status := sshdtest.Run(t, c, "tokens list --json")
	if status != 0 {
		t.Fatalf("list: status %d: %s", status, stderr)
	}
	var list []struct {
		Name     string  `json:"name"`
		LimitUSD *string `json:"limit_usd"`
	}
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatalf("tokens list --json is not JSON: %v\n%s", err, sshdtest.MaskKeys(out))
	}
	if len(list) != 1 || list[0].Name != "json-1" || list[0].LimitUSD == nil ||
		*list[0].LimitUSD != "5.00" {
		t.Errorf("list = %+v", list)
	}
	_, stderr, status = sshdtest.Run(t, c, "tokens show no-such-token")
	if status == 0 || !strings.Contains(stderr, "keyward:") {
		t.Errorf("show of a missing token: status %d, stderr %q", status, stderr)
	}
	_, stderr, status = sshdtest.Run(t, c, "serve")
	if status == 0 {
		t.Errorf("serve inside serve succeeded: %q", stderr)
	}
}

func TestServeRefusesWithoutAuthorizedKeys(t *testing.T) {
	isolate(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "keyward.db")
	missing := filepath.Join(dir, "nope", "authorized_keys")
	var stdout, stderr sshdtest.Buffer
	code := serve.Run([]string{"--db", db, "--ssh", "127.0.0.1:0",
		"--authorized-keys", missing}, make(chan os.Signal), &stdout, &stderr, execCLI)
	if code != 1 {
		t.Errorf("exit status %d, want 1", code)
	}
	want := "mkdir -p -m 700 " + filepath.Dir(missing) + " && cat ~/.ssh/id_ed25519.pub >> " +
		missing + " && chmod 600 " + missing
	if !strings.Contains(stderr.String(), want) {
		t.Errorf("stderr does not say how to add a key:\n%s", stderr.String())
	}
	if _, ok := storage.ReadServeInfo(db); ok {
		t.Error("a serve-info file was left behind")
	}
	if _, err := os.Stat(db); err == nil {
		t.Error("the database was created although serve refused to start")
	}
}

func TestSIGHUPReloadsAuthorizedKeys(t *testing.T) {
	alice, carol := sshdtest.NewKey(t, "alice"), sshdtest.NewKey(t, "carol")
	s := startServe(t, nil, alice, carol)
	info, err := os.Stat(s.keysFile)
	if err != nil {
		t.Fatal(err)
	}
	// Swap carol for bob in a line of the same length and keep the file's
	// time, so only SIGHUP can make serve notice.
	bob := sshdtest.NewKey(t, "bobby")
	sshdtest.WriteAuthorizedKeys(t, s.keysFile, alice, bob)
	if err := os.Chtimes(s.keysFile, info.ModTime(), info.ModTime()); err != nil {
		t.Fatal(err)
	}
	if c, err := s.tryDial(bob); err == nil {
		_ = c.Close()
		t.Fatal("bob got in before SIGHUP: the test cannot tell reload from change detection")
	}
	s.signals <- syscall.SIGHUP
	sshdtest.WaitUntil(t, "bob's key to work after SIGHUP", func() bool {
		c, err := s.tryDial(bob)
		if err == nil {
			_ = c.Close()
		}
		return err == nil
	})
	if c, err := s.tryDial(carol); err == nil {
		_ = c.Close()
		t.Error("carol's key still works after it was removed and reloaded")
	}
}

func TestGatewayOnlyAndServeInfo(t *testing.T) {
	upstream := fakeUpstream(t)
	isolate(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "keyward.db")
	signals, done := make(chan os.Signal, 1), make(chan int, 1)
	var stdout, stderr sshdtest.Buffer
	go func() {
		done <- serve.Run([]string{"--db", db, "--ssh", "", "--http", "127.0.0.1:0",
			"--upstream", upstream}, signals, &stdout, &stderr, execCLI)
	}()
	var info storage.ServeInfo
	sshdtest.WaitUntil(t, "serve-info", func() bool {
		var ok bool
		info, ok = storage.ReadServeInfo(db)
		return ok
	})
	if info.SSHAddr != "" || info.HTTPAddr == "" || info.PID != os.Getpid() {
		t.Errorf("serve info = %+v", info)
	}
	checkHealth(t, "http://"+info.HTTPAddr+"/healthz")
	if _, err := os.Stat(filepath.Join(dir, sshd.HostKeyFile)); err == nil {
		t.Error("a host key was made without --ssh")
	}
	signals <- syscall.SIGTERM
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit status %d: %s", code, stderr.String())
		}
	case <-time.After(2 * sshdtest.HangGuard):
		t.Fatal("serve did not stop")
	}
	if _, err := os.Stat(storage.ServeInfoPath(db)); err == nil {
		t.Error("the serve-info file is still there after shutdown")
	}
}
