package sshd

import (
	"context"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/ssh"

	"keyward/sshd/sshdtest"
)

// shutdown runs Shutdown with a deadline that only guards against a hang.
func (env *testEnv) shutdown(t *testing.T) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
	defer cancel()
	return env.srv.Shutdown(ctx)
}

// TestShutdownTellsCommands: a command waiting at its [y/N] prompt (as
// `ssh -tt host tokens delete X` does) is told that serve is shutting
// down, reads end of input (no), and exits non-zero; Shutdown does not
// have to wait for its deadline.
func TestShutdownTellsCommands(t *testing.T) {
	alice := newTestKey(t, "alice")
	env := startServer(t, nil, alice)
	term := sshdtest.OpenTerminalWith(t, env.mustDial(t, alice),
		sshdtest.TerminalOptions{Width: 80, Height: 24, Command: "ask"})
	term.WaitFor(t, "Sure? [y/N]")
	if err := env.shutdown(t); err != nil {
		t.Fatalf("Shutdown: %v (the command was not stopped)", err)
	}
	term.WaitFor(t, "keyward: "+ShutdownMessage)
	term.WaitFor(t, "(end of input)")
	if status := term.Wait(t); status != 1 {
		t.Errorf("command exit status %d, want 1", status)
	}
}

// TestShutdownStopsConsoleNotStarted: a console still being built when
// shutdown begins never starts; its session is told why instead.
func TestShutdownStopsConsoleNotStarted(t *testing.T) {
	alice := newTestKey(t, "alice")
	entered, release := make(chan struct{}), make(chan struct{})
	env := startServer(t, func(c *Config) {
		c.Console = func(sess ssh.Session, op string) tea.Model {
			close(entered)
			<-release
			return echoModel{operator: op}
		}
	}, alice)
	term := sshdtest.OpenTerminal(t, env.mustDial(t, alice), 80, 24)
	<-entered
	stopped := make(chan error, 1)
	go func() { stopped <- env.shutdown(t) }()
	sshdtest.WaitUntil(t, "shutdown to begin", func() bool {
		env.srv.reg.mu.Lock()
		defer env.srv.reg.mu.Unlock()
		return env.srv.reg.closing
	})
	close(release)
	term.WaitFor(t, "keyward: "+ShutdownMessage)
	if status := term.Wait(t); status != 1 {
		t.Errorf("exit status %d, want 1", status)
	}
	if strings.Contains(term.Text(), "operator=alice") {
		t.Error("the console started after shutdown began")
	}
	if err := <-stopped; err != nil {
		t.Errorf("Shutdown: %v", err)
	}
}

// TestIdleConsoleRestoresScreen: a console without input is quit after
// the idle timeout even though it keeps drawing (output is not activity);
// the client's screen is restored and told why.
func TestIdleConsoleRestoresScreen(t *testing.T) {
	alice := newTestKey(t, "alice")
	env := startServer(t, func(c *Config) {
		c.IdleTimeout = 300 * time.Millisecond
		c.Console = func(ssh.Session, string) tea.Model { return tickModel{} }
	}, alice)
	term := sshdtest.OpenTerminal(t, env.mustDial(t, alice), 80, 24)
	term.WaitFor(t, "ticking")
	if status := term.Wait(t); status != 1 {
		t.Errorf("exit status %d, want 1", status)
	}
	raw := term.Raw()
	last := strings.LastIndex(raw, "ticking")
	for name, seq := range map[string]string{"alt screen off": "\x1b[?1049l",
		"cursor shown": "\x1b[?25h"} {
		if !strings.Contains(raw[last:], seq) {
			t.Errorf("%s (%q) not sent after the last frame", name, seq)
		}
	}
	term.WaitFor(t, "keyward: closed after 300ms of inactivity")
	if !strings.Contains(env.logs.String(), "ssh console idle") {
		t.Error("the idle close was not logged")
	}
}

// TestInputKeepsConsoleOpen: keys and window-size changes count as
// activity; once they stop, the idle timeout applies.
func TestInputKeepsConsoleOpen(t *testing.T) {
	alice := newTestKey(t, "alice")
	const idle = 1500 * time.Millisecond
	env := startServer(t, func(c *Config) { c.IdleTimeout = idle }, alice)
	term := sshdtest.OpenTerminal(t, env.mustDial(t, alice), 80, 24)
	term.WaitFor(t, "operator=alice")
	// Input every 100 ms for twice the idle timeout.
	for i := range 30 {
		if i%2 == 0 {
			term.Send(t, "x")
		} else if err := term.Session.WindowChange(24, 80+i); err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
		if term.Ended() {
			t.Fatalf("the console closed after %d inputs although input kept coming", i+1)
		}
	}
	term.WaitFor(t, "typed=xxx")
	if status := term.Wait(t); status != 1 {
		t.Errorf("exit status %d, want 1", status)
	}
	term.WaitFor(t, "of inactivity")
}

// TestRemovedKeyEndsSessions: when a key leaves authorized_keys (SIGHUP's
// Reload, or the poll noticing the edit), its open console and command
// are told and closed; other operators' sessions go on.
func TestRemovedKeyEndsSessions(t *testing.T) {
	for _, how := range []string{"reload", "poll"} {
		t.Run(how, func(t *testing.T) {
			alice, bob := newTestKey(t, "alice"), newTestKey(t, "bob")
			env := startServer(t, func(c *Config) {
				if how == "reload" {
					c.KeysPoll = -1
				} else {
					c.KeysPoll = 20 * time.Millisecond
				}
			}, alice, bob)
			bobConsole := sshdtest.OpenTerminal(t, env.mustDial(t, bob), 80, 24)
			bobCommand := sshdtest.OpenTerminalWith(t, env.mustDial(t, bob),
				sshdtest.TerminalOptions{Width: 80, Height: 24, Command: "ask"})
			aliceConsole := sshdtest.OpenTerminal(t, env.mustDial(t, alice), 80, 24)
			bobConsole.WaitFor(t, "operator=bob")
			bobCommand.WaitFor(t, "Sure? [y/N]")
			aliceConsole.WaitFor(t, "operator=alice")

			sshdtest.WriteAuthorizedKeys(t, env.keyFile, alice)
			if how == "reload" {
				if err := env.srv.Reload(); err != nil {
					t.Fatalf("Reload: %v", err)
				}
			}
			for name, term := range map[string]*sshdtest.Terminal{
				"console": bobConsole, "command": bobCommand} {
				term.WaitFor(t, "keyward: "+RemovedMessage)
				if status := term.Wait(t); status != 1 {
					t.Errorf("bob's %s: exit status %d, want 1", name, status)
				}
			}
			aliceConsole.Send(t, "z")
			aliceConsole.WaitFor(t, "typed=z")
			if aliceConsole.Ended() {
				t.Error("alice's console was closed too")
			}
		})
	}
}

// TestHalfWrittenKeysFileEndsNoSession: an edit caught between truncation
// and write (the file briefly empty) ends nobody's session, since the
// file is looked at again once it has settled.
func TestHalfWrittenKeysFileEndsNoSession(t *testing.T) {
	alice := newTestKey(t, "alice")
	env := startServer(t, func(c *Config) {
		c.KeysPoll, c.KeysSettle = -1, time.Second
	}, alice)
	term := sshdtest.OpenTerminal(t, env.mustDial(t, alice), 80, 24)
	term.WaitFor(t, "operator=alice")
	sshdtest.WriteAuthorizedKeys(t, env.keyFile) // truncated: no key
	env.srv.keys.refresh()
	if env.srv.AuthorizedKeys() != 0 {
		t.Fatal("the emptied file was not read")
	}
	sshdtest.WriteAuthorizedKeys(t, env.keyFile, alice) // the write lands
	sshdtest.WaitUntil(t, "the settled file to be checked", func() bool {
		return strings.Contains(env.logs.String(), "authorized keys settled")
	})
	term.Send(t, "k")
	term.WaitFor(t, "typed=k")
	if term.Ended() || strings.Contains(term.Text(), RemovedMessage) {
		t.Error("alice's console was closed over a half-written file")
	}
}
