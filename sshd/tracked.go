package sshd

import (
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/charmbracelet/ssh"
)

// trackedSession is the ssh.Session that admit hands to the rest of the
// handler chain (and to Console and Command). It notes when its client
// last sent input (keys or a window size; output does not count), and its
// input can be cut: a command waiting at a prompt then reads end of
// input, which every prompt takes as "no".
type trackedSession struct {
	ssh.Session
	entry *sessionEntry
	done  chan struct{} // closed when the session's handler returns

	lastInput atomic.Int64 // UnixNano of the client's last input

	inOnce    sync.Once
	inR       *io.PipeReader
	inW       *io.PipeWriter
	cancelled atomic.Bool // cancelInput was called
	sawCancel atomic.Bool // a Read returned the end of input cancelInput made

	winOnce sync.Once
	win     <-chan ssh.Window

	stopIdle func() // ends the console's idle watch; set by newProgram
}

// newTrackedSession wraps sess for entry.
func newTrackedSession(sess ssh.Session, entry *sessionEntry) *trackedSession {
	ts := &trackedSession{Session: sess, entry: entry, done: make(chan struct{})}
	ts.inR, ts.inW = io.Pipe()
	ts.markInput()
	return ts
}

// tracked returns the trackedSession admit made for sess, or nil.
func tracked(sess ssh.Session) *trackedSession {
	ts, _ := sess.(*trackedSession)
	return ts
}

// markInput notes input from the client now.
func (ts *trackedSession) markInput() {
	ts.lastInput.Store(time.Now().UnixNano())
}

// sinceInput is how long ago the client last sent input.
func (ts *trackedSession) sinceInput() time.Duration {
	return time.Since(time.Unix(0, ts.lastInput.Load()))
}

// Read reads the client's input. The session is read by a goroutine that
// starts with the first Read, so that cancelInput can end a Read that
// waits for the client.
func (ts *trackedSession) Read(p []byte) (int, error) {
	ts.inOnce.Do(func() { go ts.pumpInput() })
	n, err := ts.inR.Read(p)
	if err == io.EOF && ts.cancelled.Load() {
		ts.sawCancel.Store(true)
	}
	return n, err
}

// pumpInput copies the client's input into the pipe Read reads.
func (ts *trackedSession) pumpInput() {
	buf := make([]byte, 4096)
	for {
		n, err := ts.Session.Read(buf)
		if n > 0 {
			ts.markInput()
			if _, werr := ts.inW.Write(buf[:n]); werr != nil {
				return // cancelled: nobody reads any more
			}
		}
		if err != nil {
			_ = ts.inW.CloseWithError(err)
			return
		}
	}
}

// cancelInput makes every Read, pending or to come, return io.EOF.
func (ts *trackedSession) cancelInput() {
	ts.cancelled.Store(true)
	_ = ts.inW.CloseWithError(io.EOF)
}

// inputCut reports whether the session's reader got the end of input
// made by cancelInput, that is, whether its input was cut short.
func (ts *trackedSession) inputCut() bool { return ts.sawCancel.Load() }

// Pty is the session's PTY; its window-size changes pass through a
// channel that notes each one as input.
func (ts *trackedSession) Pty() (ssh.Pty, <-chan ssh.Window, bool) {
	pty, changes, ok := ts.Session.Pty()
	ts.winOnce.Do(func() {
		if changes == nil {
			return
		}
		out := make(chan ssh.Window, 1)
		ts.win = out
		go ts.forwardWindows(changes, out)
	})
	return pty, ts.win, ok
}

// forwardWindows passes window-size changes on until the session ends,
// then drains the rest so that the ssh package never blocks on them.
func (ts *trackedSession) forwardWindows(in <-chan ssh.Window, out chan<- ssh.Window) {
	defer func() {
		for range in {
		}
	}()
	for w := range in {
		ts.markInput()
		select {
		case out <- w:
		case <-ts.done:
			return
		}
	}
	close(out)
}

// end marks the session's handler as returned.
func (ts *trackedSession) end() { close(ts.done) }
