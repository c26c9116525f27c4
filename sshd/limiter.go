package sshd

import (
	"net"
	"slices"
	"sync"
	"time"
)

// maxTrackedAddrs bounds the limiter's memory; past it, stale entries are
// swept on the next failure.
const maxTrackedAddrs = 4096

// failLimiter counts failed logins per remote address and refuses an
// address for a while once it fails too often within a window.
type failLimiter struct {
	limit  int
	window time.Duration
	ban    time.Duration
	now    func() time.Time

	mu     sync.Mutex
	fails  map[string][]time.Time
	banned map[string]time.Time // address -> end of the ban
}

// newFailLimiter allows limit failures per window, then bans for ban.
func newFailLimiter(limit int, window, ban time.Duration, now func() time.Time) *failLimiter {
	return &failLimiter{
		limit: limit, window: window, ban: ban, now: now,
		fails: map[string][]time.Time{}, banned: map[string]time.Time{},
	}
}

// blocked reports whether addr is banned now, and until when.
func (l *failLimiter) blocked(addr string) (time.Time, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	until, ok := l.banned[addr]
	if !ok {
		return time.Time{}, false
	}
	if !l.now().Before(until) {
		delete(l.banned, addr)
		return time.Time{}, false
	}
	return until, true
}

// fail records one failed login attempt from addr at the current time,
// which it returns, and reports whether that started a ban.
func (l *failLimiter) fail(addr string) (at time.Time, banned bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if len(l.fails) > maxTrackedAddrs {
		l.sweep(now)
	}
	recent := keepSince(l.fails[addr], now.Add(-l.window))
	recent = append(recent, now)
	if len(recent) < l.limit {
		l.fails[addr] = recent
		return now, false
	}
	delete(l.fails, addr)
	l.banned[addr] = now.Add(l.ban)
	return now, true
}

// forgive takes back failures recorded at times for addr: a connection
// that tried wrong keys and then logged in with a right one (as ssh does
// with several keys in an agent) has proved it holds an authorized key.
// A ban already started stays.
func (l *failLimiter) forgive(addr string, times []time.Time) {
	if len(times) == 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	rest := slices.Clone(times)
	kept := l.fails[addr][:0]
	for _, t := range l.fails[addr] {
		if i := slices.IndexFunc(rest, t.Equal); i >= 0 {
			rest = slices.Delete(rest, i, i+1)
			continue
		}
		kept = append(kept, t)
	}
	if len(kept) == 0 {
		delete(l.fails, addr)
		return
	}
	l.fails[addr] = kept
}

// sweep forgets failures and bans that no longer matter.
func (l *failLimiter) sweep(now time.Time) {
	for addr, times := range l.fails {
		if len(keepSince(times, now.Add(-l.window))) == 0 {
			delete(l.fails, addr)
		}
	}
	for addr, until := range l.banned {
		if !now.Before(until) {
			delete(l.banned, addr)
		}
	}
}

// startLimiter caps the connections that have not logged in yet, in
// all and per address, as OpenSSH's MaxStartups does: a client cannot
// hold many half-open logins to wear the server down or to try keys in
// parallel.
type startLimiter struct {
	total, perAddr int

	mu     sync.Mutex
	open   int
	byAddr map[string]int
}

// newStartLimiter allows total unauthenticated connections, perAddr of
// them from one address.
func newStartLimiter(total, perAddr int) *startLimiter {
	return &startLimiter{total: total, perAddr: perAddr, byAddr: map[string]int{}}
}

// acquire takes a slot for a new connection from addr; it reports false
// (and takes nothing) when a cap is reached. Each true must be matched by
// one release.
func (l *startLimiter) acquire(addr string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open >= l.total || l.byAddr[addr] >= l.perAddr {
		return false
	}
	l.open++
	l.byAddr[addr]++
	return true
}

// release gives back a slot taken by acquire: the connection logged in
// or closed.
func (l *startLimiter) release(addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.open--
	if l.byAddr[addr]--; l.byAddr[addr] <= 0 {
		delete(l.byAddr, addr)
	}
}

// keepSince drops the times before since, reusing the slice.
func keepSince(times []time.Time, since time.Time) []time.Time {
	kept := times[:0]
	for _, t := range times {
		if t.After(since) {
			kept = append(kept, t)
		}
	}
	return kept
}

// remoteHost is the IP address of addr, without the port, used as the
// limiter's key.
func remoteHost(addr net.Addr) string {
	if addr == nil {
		return ""
	}
	host, _, err := net.SplitHostPort(addr.String())
	if err != nil {
		return addr.String()
	}
	return host
}
