package gateway

import (
	"errors"
	"log/slog"
	"sync"
	"time"

	"keyward/model"
	"keyward/storage"
)

// account is what the gateway knows of a token for one request: a copy
// of the token (without its key) and what it has spent, counting charges
// not yet reflected in the copy.
type account struct {
	tok   model.Token
	spent model.Money
}

// exhausted reports whether a limited token has nothing left to spend.
func (a account) exhausted() bool {
	return !a.tok.Unlimited && a.spent >= a.tok.Limit
}

// cacheEntry is one cached token. Used in tok is what the store said at
// the last read; pending charges are queued but not committed; committed
// ones are in the store but maybe not yet in tok.
type cacheEntry struct {
	hash      [32]byte
	tok       model.Token
	pending   model.Money
	committed model.Money
	// gen is the store generation sampled before tok was read: tok is at
	// least that fresh, and stale once the store's generation differs.
	gen uint64
}

func (e *cacheEntry) account() account {
	return account{tok: e.tok, spent: e.tok.Used + e.pending + e.committed}
}

// tokenCache maps key hashes to tokens so that a request needs no disk
// read. It never holds a key: only Store.KeyHash of it.
type tokenCache struct {
	store storage.Store
	now   func() time.Time
	log   *slog.Logger

	mu       sync.RWMutex
	byHash   map[[32]byte]uint64
	byID     map[uint64]*cacheEntry
	negative map[[32]byte]time.Time // unknown keys, until the time given
	// epoch counts refreshes started; a lookup that raced one does not
	// cache what it read, since it may predate the change.
	epoch uint64
}

func newTokenCache(store storage.Store, now func() time.Time,
	log *slog.Logger) *tokenCache {
	return &tokenCache{store: store, now: now, log: log,
		byHash: map[[32]byte]uint64{}, byID: map[uint64]*cacheEntry{},
		negative: map[[32]byte]time.Time{}}
}

// errUnknownKey is returned for keys the store does not hold.
var errUnknownKey = errors.New("unknown key")

// lookup finds the token for a well-formed key: from memory, else with
// one store read whose result is cached (a miss too, briefly). A cached
// token whose configuration may have changed since it was read (the
// store's generation moved) is re-read first, so that a change made in
// this process applies to the very next request, before the watcher's
// refresh.
func (c *tokenCache) lookup(key string) (account, error) {
	h := c.store.KeyHash(key)
	gen := c.store.Generation()
	acct, found, known, epoch, stale := c.cached(h, gen)
	if found && stale {
		return c.reread(acct, gen)
	}
	if found {
		return acct, nil
	}
	if known {
		return account{}, errUnknownKey
	}
	tok, err := c.store.FindByKey(key)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		c.rememberUnknown(h, epoch)
		return account{}, errUnknownKey
	case err != nil:
		return account{}, err
	}
	tok.Key = ""
	return c.insert(h, tok, epoch, gen), nil
}

// cached reads the cache: found is a cached token, known a cached miss;
// stale is true when the token was read before generation gen.
func (c *tokenCache) cached(h [32]byte, gen uint64) (a account, found, known bool,
	epoch uint64, stale bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if id, ok := c.byHash[h]; ok {
		e := c.byID[id]
		return e.account(), true, false, c.epoch, e.gen != gen
	}
	if until, ok := c.negative[h]; ok && c.now().Before(until) {
		return account{}, false, true, c.epoch, false
	}
	return account{}, false, false, c.epoch, false
}

// reread reads a cached token again after a change in the store (gen is
// the generation sampled before the read) and takes its configuration:
// enabled, allowlist, limit. Used stays the cache's own count (pending
// and committed charges are reckoned against it) until the watcher's
// refresh, which reads the whole token. A token deleted meanwhile leaves
// the cache.
func (c *tokenCache) reread(acct account, gen uint64) (account, error) {
	id := acct.tok.ID
	tok, err := c.store.Get(id)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		c.drop(id)
		return account{}, errUnknownKey
	case err != nil:
		return account{}, err
	}
	tok.Key = ""
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.byID[id]
	if !ok {
		acct.tok = withConfig(acct.tok, tok)
		return acct, nil
	}
	e.tok, e.gen = withConfig(e.tok, tok), gen
	return e.account(), nil
}

// withConfig is cached with the configuration of fresh, keeping the
// cached usage and version.
func withConfig(cached, fresh model.Token) model.Token {
	fresh.Used, fresh.Version = cached.Used, cached.Version
	return fresh
}

// drop removes a token from the cache.
func (c *tokenCache) drop(id uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.byID[id]; ok {
		delete(c.byHash, e.hash)
		delete(c.byID, id)
	}
}

// rememberUnknown caches a miss unless a refresh started since the read.
func (c *tokenCache) rememberUnknown(h [32]byte, epoch uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.epoch != epoch {
		return
	}
	if len(c.negative) >= defaultNegativeMax {
		clear(c.negative)
	}
	c.negative[h] = c.now().Add(defaultNegativeTTL)
}

// insert caches tok (read after generation gen was sampled) unless a
// refresh started since it was read, and returns the account to use for
// this request either way.
func (c *tokenCache) insert(h [32]byte, tok model.Token, epoch, gen uint64) account {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.byID[tok.ID]; ok {
		if c.epoch == epoch {
			e.tok, e.gen = tok, gen
		}
		return account{tok: tok, spent: tok.Used + e.pending + e.committed}
	}
	if c.epoch != epoch {
		return account{tok: tok, spent: tok.Used}
	}
	e := &cacheEntry{hash: h, tok: tok, gen: gen}
	c.byID[tok.ID] = e
	c.byHash[h] = tok.ID
	return e.account()
}

// refresh re-reads every cached token from the store after a change,
// drops deleted ones and forgets cached misses.
func (c *tokenCache) refresh() {
	gen := c.store.Generation()
	c.mu.Lock()
	c.epoch++
	clear(c.negative)
	seen := make(map[uint64]model.Money, len(c.byID))
	for id, e := range c.byID {
		seen[id] = e.committed
	}
	c.mu.Unlock()

	fresh, gone := c.read(seen)
	c.apply(fresh, gone, seen, gen)
}

// listAbove is the number of cached tokens above which a refresh reads
// every token in one List instead of one Get per cached token.
const listAbove = 32

// read re-reads the tokens in seen, reporting those the store no longer
// has. On a store error the cached copies are kept.
func (c *tokenCache) read(seen map[uint64]model.Money) (map[uint64]model.Token,
	[]uint64) {
	if len(seen) > listAbove {
		return c.readAll(seen)
	}
	return c.readEach(seen)
}

// readAll reads every token with one List and keeps the cached ones.
func (c *tokenCache) readAll(seen map[uint64]model.Money) (map[uint64]model.Token,
	[]uint64) {
	fresh := make(map[uint64]model.Token, len(seen))
	all, err := c.store.List()
	if err != nil {
		c.log.Error("re-read the cached tokens; keeping the cached copies", "err", err)
		return fresh, nil
	}
	for _, tok := range all {
		if _, ok := seen[tok.ID]; ok {
			tok.Key = ""
			fresh[tok.ID] = tok
		}
	}
	var gone []uint64
	for id := range seen {
		if _, ok := fresh[id]; !ok {
			gone = append(gone, id)
		}
	}
	return fresh, gone
}

// readEach reads the cached tokens one Get at a time.
func (c *tokenCache) readEach(seen map[uint64]model.Money) (map[uint64]model.Token,
	[]uint64) {
	fresh := make(map[uint64]model.Token, len(seen))
	var gone []uint64
	for id := range seen {
		tok, err := c.store.Get(id)
		switch {
		case errors.Is(err, storage.ErrNotFound):
			gone = append(gone, id)
		case err != nil:
			c.log.Error("re-read a cached token; keeping the cached copy",
				"token_id", id, "err", err)
		default:
			tok.Key = ""
			fresh[id] = tok
		}
	}
	return fresh, gone
}

// apply installs what refresh read. Charges settled before the refresh
// began are now in Used. The watcher does not refresh while a batch is
// being committed, so a charge cannot be in Used without being settled;
// were one counted twice anyway, the refresh that the charge writer's
// nudge brings would correct it: an error on the side of refusing.
func (c *tokenCache) apply(fresh map[uint64]model.Token, gone []uint64,
	seen map[uint64]model.Money, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, id := range gone {
		if e, ok := c.byID[id]; ok {
			delete(c.byHash, e.hash)
			delete(c.byID, id)
		}
	}
	for id, tok := range fresh {
		if e, ok := c.byID[id]; ok {
			e.tok, e.gen = tok, gen
			e.committed -= seen[id]
		}
	}
}

// addPending counts a charge that has been queued; it reports whether
// the token is cached (only then must settle be called).
func (c *tokenCache) addPending(id uint64, amount model.Money) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.byID[id]
	if ok {
		e.pending += amount
	}
	return ok
}

// settle moves a queued charge to committed, or drops it when the commit
// failed for good.
func (c *tokenCache) settle(id uint64, amount model.Money, committed bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.byID[id]
	if !ok {
		return
	}
	e.pending = max(0, e.pending-amount)
	if committed {
		e.committed += amount
	}
}
