package sshd

import (
	"errors"
	"fmt"
	"sync"

	gossh "golang.org/x/crypto/ssh"
)

// Reasons a session is refused before it starts.
var (
	errShuttingDown = errors.New(ShutdownMessage)
	errTooMany      = errors.New("too many sessions")
)

// stopFunc tells what runs in a session to end, saying why; hard asks for
// the session to be closed at once rather than when its command ends.
type stopFunc func(reason string, hard bool)

// sessionEntry is one open session.
type sessionEntry struct {
	operator string
	key      gossh.PublicKey // the key that signed the login
	closeFn  func()          // releases the console model, if it needs that

	mu     sync.Mutex
	reason string   // why the session is being stopped; "" while it is not
	stopFn stopFunc // set while a console or command runs
}

// stop asks the session to end and says why; the first reason given
// wins. A session whose console or command has not started yet will not
// start it.
func (e *sessionEntry) stop(reason string, hard bool) {
	e.mu.Lock()
	if e.reason != "" {
		e.mu.Unlock()
		return
	}
	e.reason = reason
	fn := e.stopFn
	e.mu.Unlock()
	if fn != nil {
		fn(reason, hard)
	}
}

// onStop sets what stop runs. It reports false when the session was
// stopped already; the caller must then not start anything.
func (e *sessionEntry) onStop(fn stopFunc) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.reason != "" {
		return false
	}
	e.stopFn = fn
	return true
}

// stopReason is why the session was stopped, or "".
func (e *sessionEntry) stopReason() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.reason
}

// registry tracks open sessions so that the server can cap their number,
// end those of a key removed from authorized_keys, and on shutdown stop
// every one and wait for them to end.
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
func (r *registry) add(operator string, key gossh.PublicKey) (*sessionEntry, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closing {
		return nil, errShuttingDown
	}
	if r.max > 0 && len(r.entries) >= r.max {
		return nil, fmt.Errorf("%w: %d are open, the most this server allows",
			errTooMany, r.max)
	}
	e := &sessionEntry{operator: operator, key: key}
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

// all lists the open sessions.
func (r *registry) all() []*sessionEntry {
	r.mu.Lock()
	defer r.mu.Unlock()
	list := make([]*sessionEntry, 0, len(r.entries))
	for e := range r.entries {
		list = append(list, e)
	}
	return list
}

// close refuses new sessions and returns the open ones and a channel
// closed once every session has ended.
func (r *registry) close() ([]*sessionEntry, <-chan struct{}) {
	r.mu.Lock()
	if !r.closing {
		r.closing = true
		if len(r.entries) == 0 {
			r.closeDrainedLocked()
		}
	}
	r.mu.Unlock()
	return r.all(), r.drained
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
