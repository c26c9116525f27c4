// Package serve runs `keyward serve`: the SSH console and the gateway in
// one process over one store.
package serve

import "io"

// Main runs `keyward serve ARGS` and returns the exit status. STUB.
func Main(args []string, stdout, stderr io.Writer) int {
	_, _ = io.WriteString(stderr, "keyward serve: not implemented yet\n")
	return 1
}
