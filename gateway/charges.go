package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"keyward/model"
	"keyward/storage"
)

// chargeItem is one request's cost, waiting for its batch to commit.
type chargeItem struct {
	tokenID uint64
	name    string
	model   string
	amount  model.Money
	at      time.Time
	tracked bool // counted as pending in the token cache
}

// chargeQueue commits charges in batches (group commit): requests queue
// their charge and go on; one goroutine gathers what has queued for a few
// milliseconds, or up to a batch size, and commits it with one
// Store.ChargeBatch. Each charge is logged as committed only after its
// batch committed, so a logged charge survives a crash.
type chargeQueue struct {
	store   storage.Store
	cache   *tokenCache
	nudge   func() // asks for a cache refresh after a batch settles
	log     *slog.Logger
	linger  time.Duration
	max     int
	in      chan chargeItem
	done    chan struct{} // closed when run returns
	closing chan struct{} // closed by close, with in
	full    chan struct{} // signalled when a full batch is waiting in in
	abort   chan struct{} // closed when Close gives up waiting
	lost    atomic.Int64  // charges dropped after failed commits
	// commits counts batches committed, for the benchmarks.
	commits atomic.Int64
	// committing is true from a commit's start until its charges are
	// settled in the token cache; the watcher skips store signals then.
	committing atomic.Bool

	mu     sync.RWMutex // guards closed against sends on a closed in
	closed bool

	// queued and settled count charges in and out, so that tests can wait
	// for the queue to be empty; tick is closed and replaced whenever a
	// batch settles.
	countMu sync.Mutex
	queued  uint64
	settled uint64
	tick    chan struct{}
}

func newChargeQueue(store storage.Store, cache *tokenCache, nudge func(),
	log *slog.Logger, cfg Config) *chargeQueue {
	return &chargeQueue{store: store, cache: cache, nudge: nudge, log: log,
		linger: cfg.ChargeLinger, max: cfg.ChargeBatch,
		in:   make(chan chargeItem, 4*cfg.ChargeBatch),
		done: make(chan struct{}), closing: make(chan struct{}),
		abort: make(chan struct{}), full: make(chan struct{}, 1),
		tick: make(chan struct{})}
}

// enqueue queues a charge. After close it commits the charge at once.
func (q *chargeQueue) enqueue(it chargeItem) {
	it.tracked = q.cache.addPending(it.tokenID, it.amount)
	q.countMu.Lock()
	q.queued++
	q.countMu.Unlock()
	q.mu.RLock()
	defer q.mu.RUnlock()
	if q.closed {
		q.commitOnce([]chargeItem{it})
		return
	}
	q.in <- it
	if len(q.in) >= q.max-1 {
		select { // ends the writer's linger: a batch is full
		case q.full <- struct{}{}:
		default:
		}
	}
}

// run commits batches until the queue is closed and empty.
func (q *chargeQueue) run() {
	defer close(q.done)
	for it := range q.in {
		q.commit(q.collect(it))
	}
}

// collect gathers a batch: after first, it waits linger for more charges
// (unless a full batch is already waiting) and then takes what has
// queued, up to max. Charges arriving meanwhile wait in the channel
// without waking the writer one by one; the one that fills a batch, or
// Close, ends the wait at once.
func (q *chargeQueue) collect(first chargeItem) []chargeItem {
	select { // a signal for a batch already taken
	case <-q.full:
	default:
	}
	if q.linger > 0 && len(q.in) < q.max-1 {
		timer := time.NewTimer(q.linger)
		defer timer.Stop()
		select {
		case <-timer.C:
		case <-q.full:
		case <-q.closing:
		}
	}
	return q.drain([]chargeItem{first})
}

// drain adds the charges already queued, without waiting, up to max.
func (q *chargeQueue) drain(batch []chargeItem) []chargeItem {
	for len(batch) < q.max {
		select {
		case it, ok := <-q.in:
			if !ok {
				return batch
			}
			batch = append(batch, it)
		default:
			return batch
		}
	}
	return batch
}

// commit writes a batch, retrying with a growing pause while the store
// refuses, until it commits, the store is closed, or Close gives up.
func (q *chargeQueue) commit(batch []chargeItem) {
	pause := 10 * time.Millisecond
	for {
		err := q.attempt(batch)
		if err == nil || errors.Is(err, storage.ErrClosed) {
			return
		}
		q.log.Error("commit charges; will retry", "charges", len(batch),
			"retry_in", pause, "err", safeErr(err))
		select {
		case <-time.After(pause):
		case <-q.abort:
			q.dropped(batch, err)
			return
		}
		pause = min(2*pause, time.Second)
	}
}

// attempt writes a batch once and settles it in the cache if it
// committed, or for good if the store is closed. Store signals are
// skipped meanwhile and covered by the nudge at the end.
func (q *chargeQueue) attempt(batch []chargeItem) error {
	q.committing.Store(true)
	gone, err := q.store.ChargeBatchDropped(mergeCharges(batch))
	switch {
	case err == nil:
		q.committed(batch, gone)
	case errors.Is(err, storage.ErrClosed):
		q.dropped(batch, err)
	}
	q.committing.Store(false)
	q.nudge()
	return err
}

// commitOnce writes a batch with a single attempt (after Close).
func (q *chargeQueue) commitOnce(batch []chargeItem) {
	gone, err := q.store.ChargeBatchDropped(mergeCharges(batch))
	if err != nil {
		q.dropped(batch, err)
		return
	}
	q.committed(batch, gone)
}

// committed settles the cache and logs each charge: only now is a charge
// acknowledged. The charges of tokens deleted meanwhile (gone) were not
// written, and are logged as dropped instead.
func (q *chargeQueue) committed(batch []chargeItem, gone []uint64) {
	for _, it := range batch {
		deleted := slices.Contains(gone, it.tokenID)
		if it.tracked {
			q.cache.settle(it.tokenID, it.amount, !deleted)
		}
		if deleted {
			q.log.Warn("charge dropped: token deleted", "token_id", it.tokenID,
				"token_name", it.name, "model", it.model,
				"amount_nano", int64(it.amount), "amount_usd", it.amount.Decimal())
			continue
		}
		q.log.Info("charge committed", "token_id", it.tokenID,
			"token_name", it.name, "model", it.model,
			"amount_nano", int64(it.amount), "amount_usd", it.amount.Decimal())
	}
	q.commits.Add(1)
	q.countSettled(len(batch))
}

// dropped settles the cache for charges that could not be committed and
// logs them as lost.
func (q *chargeQueue) dropped(batch []chargeItem, err error) {
	for _, it := range batch {
		if it.tracked {
			q.cache.settle(it.tokenID, it.amount, false)
		}
		q.log.Error("charge lost", "token_id", it.tokenID, "model", it.model,
			"amount_nano", int64(it.amount), "err", safeErr(err))
	}
	q.lost.Add(int64(len(batch)))
	q.countSettled(len(batch))
}

// countSettled counts charges committed or dropped and wakes waiters.
func (q *chargeQueue) countSettled(n int) {
	q.countMu.Lock()
	defer q.countMu.Unlock()
	q.settled += uint64(n)
	close(q.tick)
	q.tick = make(chan struct{})
}

// waitSettled waits until every charge queued so far has been committed
// or dropped. For tests.
func (q *chargeQueue) waitSettled(ctx context.Context) error {
	q.countMu.Lock()
	target := q.queued
	for q.settled < target {
		tick := q.tick
		q.countMu.Unlock()
		select {
		case <-tick:
		case <-ctx.Done():
			return ctx.Err()
		}
		q.countMu.Lock()
	}
	q.countMu.Unlock()
	return nil
}

// close stops taking charges into the queue and waits until every queued
// charge has had its commit. Each batch still gets one attempt after ctx
// ends; ctx only stops the retries of a store that keeps failing. It
// returns an error when charges were lost.
func (q *chargeQueue) close(ctx context.Context) error {
	q.mu.Lock()
	if !q.closed {
		q.closed = true
		close(q.in)
		close(q.closing)
	}
	q.mu.Unlock()
	select {
	case <-q.done:
	case <-ctx.Done():
		close(q.abort)
		<-q.done
	}
	if n := q.lost.Load(); n > 0 {
		return fmt.Errorf("gateway: %d charges could not be committed "+
			"(see the log for each); the store refused them", n)
	}
	return nil
}

// mergeCharges adds up the charges of one token on one UTC day, so a
// batch writes each token once.
func mergeCharges(batch []chargeItem) []storage.Charge {
	type key struct {
		id  uint64
		day time.Time
	}
	index := make(map[key]int, len(batch))
	out := make([]storage.Charge, 0, len(batch))
	for _, it := range batch {
		k := key{it.tokenID, it.at.UTC().Truncate(24 * time.Hour)}
		if i, ok := index[k]; ok {
			out[i].Amount += it.amount
			continue
		}
		index[k] = len(out)
		out = append(out, storage.Charge{TokenID: it.tokenID, Amount: it.amount,
			At: it.at})
	}
	return out
}
