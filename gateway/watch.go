package gateway

import (
	"context"
	"sync"

	"keyward/storage"
)

// watcher calls refresh after every change the store signals, and after
// every nudge. The charge writer nudges after each batch it settles, and
// while it commits (busy) store signals are skipped: the nudge that
// follows the commit covers them, one refresh per batch instead of two,
// and no refresh reads a batch's charges before they are settled in the
// cache. A change made during a commit is thus seen one commit later.
// Each finished refresh closes tick, so that tests can wait for the
// gateway to have seen a change instead of sleeping.
type watcher struct {
	ch      <-chan struct{}
	cancel  func()
	refresh func()
	busy    func() bool
	done    chan struct{}
	pokes   chan struct{}

	mu   sync.Mutex
	tick chan struct{} // closed and replaced when a refresh finishes
}

// newWatcher subscribes to store now, so that no change made after New
// returns can be missed.
func newWatcher(store storage.Store, refresh func()) *watcher {
	ch, cancel := store.Subscribe()
	return &watcher{ch: ch, cancel: cancel, refresh: refresh,
		busy: func() bool { return false },
		done: make(chan struct{}), pokes: make(chan struct{}, 1),
		tick: make(chan struct{})}
}

// nudge asks for a refresh without waiting; nudges coalesce.
func (w *watcher) nudge() {
	select {
	case w.pokes <- struct{}{}:
	default:
	}
}

// run refreshes once per signal or nudge until the subscription closes.
func (w *watcher) run() {
	defer close(w.done)
	for {
		select {
		case _, ok := <-w.ch:
			if !ok {
				return
			}
			if w.busy() {
				continue
			}
		case <-w.pokes:
		}
		w.refresh()
		w.mu.Lock()
		close(w.tick)
		w.tick = make(chan struct{})
		w.mu.Unlock()
	}
}

// stop cancels the subscription and waits for run to return.
func (w *watcher) stop() {
	w.cancel()
	<-w.done
}

// waitUntil waits until cond holds, checking it again after every
// refresh. For tests: cond compares the caches with the store.
func (w *watcher) waitUntil(ctx context.Context, cond func() bool) error {
	for {
		w.mu.Lock()
		tick := w.tick
		w.mu.Unlock()
		if cond() {
			return nil
		}
		select {
		case <-tick:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
