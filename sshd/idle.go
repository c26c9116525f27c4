package sshd

import (
	"strings"
	"sync"
	"time"
)

// watchIdle ends a console once its client has sent no input (keys or a
// window size) for IdleTimeout. Output does not count: live updates
// drawn on an unattended console do not keep it open. The console is
// quit like any other, so that its program restores the client's screen,
// and then told why it closed. The returned func ends the watch.
func (s *Server) watchIdle(ts *trackedSession) func() {
	idle := s.cfg.IdleTimeout
	if idle <= 0 {
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		timer := time.NewTimer(idle)
		defer timer.Stop()
		for {
			select {
			case <-done:
				return
			case <-timer.C:
			}
			if left := idle - ts.sinceInput(); left > 0 {
				timer.Reset(left)
				continue
			}
			s.log.Info("ssh console idle; closing it", "operator", ts.entry.operator,
				"remote", remoteHost(ts.RemoteAddr()), "idle", idle.String())
			ts.entry.stop(idleMessage(idle), false)
			return
		}
	}()
	return sync.OnceFunc(func() { close(done) })
}

// idleMessage is what an idle console is told: "closed after 30m of
// inactivity".
func idleMessage(idle time.Duration) string {
	return "closed after " + shortDuration(idle) + " of inactivity"
}

// shortDuration writes d without zero trailing units: 30m, 1h30m, 45s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// connIdleTimeout is the socket-level backstop behind the console idle
// timeout: a connection with no traffic at all, either way, for half as
// long again is closed, whatever runs in it (a command waiting at a
// prompt, a connection with no session).
func connIdleTimeout(idle time.Duration) time.Duration {
	return idle + idle/2
}
