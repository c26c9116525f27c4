// Package serve runs `keyward serve`: the SSH console and the gateway in
// one process over one store.
//
// serve opens the database itself, writes a serve-info file beside it (so
// local commands can say where to connect), and on SIGINT or SIGTERM tells
// SSH sessions, drains the gateway, flushes its charges, closes the
// database and removes the serve-info file. SIGHUP re-reads the
// authorized_keys file.
package serve

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"keyward/storage"
)

// CommandEnv is what one command sent over SSH runs with: the open store,
// the operator as the audit actor, and the session's streams.
type CommandEnv struct {
	Store       storage.Store
	Actor       string
	Stdin       io.Reader
	Stdout      io.Writer
	Stderr      io.Writer
	Interactive bool // the session has a terminal
	Log         *slog.Logger
}

// ExecFunc runs one command (args such as ["tokens", "list", "--json"])
// and returns its exit status. The cli package passes one built on
// cli.Exec; serve cannot import cli, which imports serve.
type ExecFunc func(env CommandEnv, args []string) int

// Main runs `keyward serve ARGS` and returns the exit status. Commands sent
// over SSH are refused; MainWith enables them.
func Main(args []string, stdout, stderr io.Writer) int {
	return MainWith(args, stdout, stderr, nil)
}

// MainWith runs `keyward serve ARGS` with exec running the commands sent
// over SSH, until SIGINT or SIGTERM. It returns 0 after a clean shutdown,
// 1 on failure and 2 for a usage error.
func MainWith(args []string, stdout, stderr io.Writer, exec ExecFunc) int {
	signals := make(chan os.Signal, 4)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(signals)
	return Run(args, signals, stdout, stderr, exec)
}

// Run is MainWith with the signals coming from the caller: SIGHUP
// re-reads the authorized keys and any other signal stops serve. Tests
// and embedders use it to stop serve without signalling the process.
func Run(args []string, signals <-chan os.Signal, stdout, stderr io.Writer, exec ExecFunc) int {
	opts, err := parseArgs(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		_, _ = fmt.Fprintf(stderr, "keyward serve: %v\n", usageMessage(err))
		return 2
	}
	return run(opts, exec, signals, stdout, stderr)
}

// usageMessage drops the "usage: " prefix errUsage adds.
func usageMessage(err error) string {
	msg, _ := strings.CutPrefix(err.Error(), errUsage.Error()+": ")
	return msg
}

// run serves until a stop signal arrives on signals (SIGHUP reloads the
// authorized keys) or a server fails.
func run(opts options, exec ExecFunc, signals <-chan os.Signal, stdout, stderr io.Writer) int {
	logger, closeLog, err := openLog(opts.logPath, stderr)
	if err != nil {
		_, _ = fmt.Fprintf(stderr, "keyward serve: %v\n", err)
		return 1
	}
	defer closeLog()
	a := &app{opts: opts, exec: exec, log: logger, stdout: stdout, stderr: stderr,
		errs: make(chan error, 2)}
	if err := a.start(); err != nil {
		if opts.logPath != "" { // else the log is stderr: say it once
			logger.Error("serve did not start", "err", err)
		}
		_, _ = fmt.Fprintf(stderr, "keyward serve: %v\n", err)
		if stopErr := a.stop(); stopErr != nil {
			_, _ = fmt.Fprintf(stderr, "keyward serve: %v\n", stopErr)
		}
		return 1
	}
	a.announce()
	code := a.wait(signals, stderr)
	if err := a.stop(); err != nil {
		_, _ = fmt.Fprintf(stderr, "keyward serve: %v\n", err)
		code = 1
	}
	_, _ = fmt.Fprintln(stdout, "keyward serve: stopped")
	return code
}

// openLog opens --log for appending (0600) and writes JSON lines there,
// for tools such as jq; without --log it writes readable key=value lines
// to stderr (a terminal or the journal).
func openLog(path string, stderr io.Writer) (*slog.Logger, func(), error) {
	if path == "" {
		return slog.New(slog.NewTextHandler(stderr, nil)), func() {}, nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("open the log file: %w", err)
	}
	return slog.New(slog.NewJSONHandler(f, nil)), func() { _ = f.Close() }, nil
}
