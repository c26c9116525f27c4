package serve

import (
	"fmt"
	"net"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/ssh"

	"keyward/sshd"
	"keyward/ui"
)

// console builds one SSH session's console: its own renderer (colours
// follow the client's TERM; the terminal is never queried, so a terminal
// that does not answer cannot hold the console up), copy by OSC 52 to this session only, and
// the operator in the header and on every audit event.
func (a *app) console(sess ssh.Session, operator string) tea.Model {
	return ui.New(ui.Config{
		Store:           a.store,
		Actor:           operator,
		Operator:        operator,
		BaseURL:         a.baseURL,
		Renderer:        sshd.NewRenderer(sess),
		Output:          sess,
		SystemClipboard: false,
		Environ:         sess.Environ(),
		Context:         sess.Context(),
		Logger:          a.log.With("operator", operator),
	})
}

// command runs a command sent over SSH in this process, with the operator
// as the actor and the session's streams.
func (a *app) command(sess ssh.Session, operator string, args []string) int {
	if a.exec == nil {
		_, _ = fmt.Fprintln(sess.Stderr(), "keyward: this serve cannot run commands over SSH")
		return 1
	}
	_, _, pty := sess.Pty()
	return a.exec(CommandEnv{
		Store:       a.store,
		Actor:       operator,
		Stdin:       sess,
		Stdout:      sess,
		Stderr:      sess.Stderr(),
		Interactive: pty,
		Log:         a.log.With("operator", operator),
	}, args)
}

// announce prints where serve listens and how to check the host key.
func (a *app) announce() {
	w := a.stdout
	_, _ = fmt.Fprintf(w, "keyward serve: database %s\n", a.dbPath)
	if a.sshLn != nil {
		a.announceSSH()
	}
	if a.httpLn != nil {
		_, _ = fmt.Fprintf(w, "gateway on %s, forwarding to %s\n", a.baseURL, a.opts.upstream)
	}
	if a.sshLn != nil {
		_, _ = fmt.Fprintln(w, "Ctrl+C or SIGTERM stops; SIGHUP re-reads authorized_keys.")
		return
	}
	_, _ = fmt.Fprintln(w, "Ctrl+C or SIGTERM stops.")
}

// announceSSH prints the SSH address, the host key's fingerprint (for
// operators to compare with what ssh shows them) and how to connect.
func (a *app) announceSSH() {
	w := a.stdout
	addr := a.sshLn.Addr().String()
	host, port, _ := net.SplitHostPort(addr)
	_, _ = fmt.Fprintf(w, "SSH console on %s, %d operator key(s)\n",
		addr, a.ssh.AuthorizedKeys())
	made := ""
	if a.ssh.NewHostKey() {
		made = " (new)"
	}
	_, _ = fmt.Fprintf(w, "  host key %s %s%s\n", a.ssh.Fingerprint(),
		a.ssh.HostKey().Type(), made)
	_, _ = fmt.Fprintf(w, "  connect: ssh -p %s %s\n", port, host)
}
