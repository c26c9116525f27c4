package sshd

import (
	"net"
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

// fail records one failed login from addr and reports whether that
// started a ban.
func (l *failLimiter) fail(addr string) bool {
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
		return false
	}
	delete(l.fails, addr)
	l.banned[addr] = now.Add(l.ban)
	return true
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
