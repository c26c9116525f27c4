package cli

import (
	"os"
	"os/signal"
	"syscall"
)

// catchSIGPIPE makes a write to a closed pipe on stdout return an error
// (EPIPE) instead of killing the process, until the returned function is
// called. It is scoped to the one write that must not fail silently, so
// that "keyward tokens list | head" still ends quietly as usual.
func catchSIGPIPE() (release func()) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGPIPE)
	return func() { signal.Stop(ch) }
}
