package sshd

import (
	"errors"
	"fmt"
	"sync"

	tea "github.com/charmbracelet/bubbletea"
)

// Reasons a session is refused before it starts.
var (
	errShuttingDown = errors.New("keyward serve is shutting down")
	errTooMany      = errors.New("too many sessions")
)

// sessionEntry is one open session.
type sessionEntry struct {
	operator string
	program  *tea.Program // nil for commands and until the console starts
	closeFn  func()       // releases the console model, if it needs that
}

// registry tracks open sessions so that the server can cap their number
// and, on shutdown, stop the consoles and wait for every session to end.
type registry struct {
	max int

	mu      sync.Mutex
	closing bool
	entries map[*sessionEntry]struct{}
	drained chan struct{} // closed when closing and no session is left
}

// newRegistry allows max concurrent sessions (0: no cap).
func newRegistry(max int) *registry {
	return &registry{
		max: max, entries: map[*sessionEntry]struct{}{}, drained: make(chan struct{}),
	}
}

// add registers a session, unless the server is closing or full.
func (r *registry) add(operator string) (*sessionEntry, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closing {
		return nil, errShuttingDown
	}
	if r.max > 0 && len(r.entries) >= r.max {
		return nil, fmt.Errorf("%w: %d are open, the most this server allows",
			errTooMany, r.max)
	}
	e := &sessionEntry{operator: operator}
	r.entries[e] = struct{}{}
	return e, nil
}

// remove forgets a session that ended.
func (r *registry) remove(e *sessionEntry) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.entries, e)
	if r.closing && len(r.entries) == 0 {
		r.closeDrainedLocked()
	}
}

// setProgram attaches a console's program to its session; it returns
// false if the server is closing, and then the console must not start.
func (r *registry) setProgram(e *sessionEntry, p *tea.Program) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closing {
		return false
	}
	e.program = p
	return true
}

// isClosing reports whether shutdown has begun.
func (r *registry) isClosing() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.closing
}

// close refuses new sessions and returns the running consoles and a
// channel closed once every session has ended.
func (r *registry) close() ([]*tea.Program, <-chan struct{}) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.closing {
		r.closing = true
		if len(r.entries) == 0 {
			r.closeDrainedLocked()
		}
	}
	var programs []*tea.Program
	for e := range r.entries {
		if e.program != nil {
			programs = append(programs, e.program)
		}
	}
	return programs, r.drained
}

// closeDrainedLocked closes drained once.
func (r *registry) closeDrainedLocked() {
	select {
	case <-r.drained:
	default:
		close(r.drained)
	}
}

// count is the number of open sessions.
func (r *registry) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.entries)
}
