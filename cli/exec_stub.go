// Package cli implements keyward's commands.
package cli

import (
	"io"

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
}

// Exec runs one command (args without the program name, such as
// ["tokens", "list", "--json"]) against env and returns its exit status:
// 0 success, 1 failure, 2 usage error. STUB.
func Exec(env Env, args []string) int { return 1 }

// Main is the whole program: it parses global flags, opens the database
// and runs the console (no command), `serve`, or a command. STUB.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int { return 1 }
