// Package cli implements keyward's command line: the global flags, the
// choice between the console, serve and a command, and every command that
// scripts run against the store (tokens, models, audit, backup).
//
// Exec runs one command on a store that is already open; the SSH server
// calls it for commands sent over SSH. Main is the whole program.
package cli

import (
	"flag"
	"io"
	"log/slog"
	"strings"

	"keyward/storage"
)

// Env is what a command runs with: a store that is already open, the actor
// for the audit log, and its streams. The SSH server builds one per
// session; the local binary builds one after opening the database.
type Env struct {
	Store  storage.Store
	Actor  string
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// Interactive is true when Stdin is a terminal a person can answer.
	Interactive bool
	// Remote is true for commands sent over SSH: commands that would
	// write files on the server (backup FILE) refuse, and "backup -"
	// streams the copy instead.
	Remote bool
	// Log receives what commands did (never a key); nil discards it.
	Log *slog.Logger
}

// logger returns env's logger, or one that discards.
func (env Env) logger() *slog.Logger {
	if env.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return env.Log
}

// withDefaults fills streams left nil, so a command never writes to a nil
// writer.
func (env Env) withDefaults() Env {
	if env.Stdin == nil {
		env.Stdin = strings.NewReader("")
	}
	if env.Stdout == nil {
		env.Stdout = io.Discard
	}
	if env.Stderr == nil {
		env.Stderr = io.Discard
	}
	return env
}

// Exec runs one command (args without the program name, such as
// ["tokens", "list", "--json"]) against env and returns its exit status:
// 0 success, 1 failure, 2 usage error. Errors go to env.Stderr as one line
// starting "keyward: ".
func Exec(env Env, args []string) int {
	env = env.withDefaults()
	act, err := prepare(rootCommand(), args)
	if err == nil {
		err = act(env)
	}
	return finish(env.Stdout, env.Stderr, err)
}

// rootCommand is the command tree.
func rootCommand() *command {
	return &command{
		name:  "keyward",
		usage: "[global flags] [command]",
		long:  rootLong,
		subs: []*command{
			tokensCommand(), modelsCommand(), auditCommand(), backupCommand(),
			serveCommand(),
		},
		examples: rootExamples,
	}
}

// serveCommand lists serve in the help. Main runs serve itself, before
// any of this; reaching this action means serve was asked for inside a
// session of serve.
func serveCommand() *command {
	return &command{
		name: "serve", usage: "serve [flags]", args: argSpec{max: -1}, bind: bindServe,
		summary: "Serve the console over SSH and the gateway (see 'keyward serve --help')",
		long:    "Serve the console over SSH and the gateway. Run 'keyward serve --help'.",
	}
}

func bindServe(*flag.FlagSet) binder {
	return func([]string) (action, error) {
		return nil, usageErr("serve runs from the command line of the server, " +
			"not inside another keyward session")
	}
}
