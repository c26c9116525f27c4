package gateway

import (
	"sync"
	"sync/atomic"

	"keyward/model"
	"keyward/storage"
)

// priceBook holds the catalog's prices in memory, reloaded after each
// store change.
type priceBook struct {
	loadMu sync.Mutex // one reload at a time

	mu     sync.RWMutex
	prices map[string]model.Price
	gen    atomic.Uint64 // the store generation sampled before prices were read
}

// load replaces the prices with the store's catalog.
func (p *priceBook) load(store storage.Store) error {
	gen := store.Generation()
	models, err := store.Models()
	if err != nil {
		return err
	}
	prices := make(map[string]model.Price, len(models))
	for _, m := range models {
		if m.Price != nil {
			prices[m.Name] = *m.Price
		}
	}
	p.mu.Lock()
	p.prices = prices
	p.gen.Store(gen)
	p.mu.Unlock()
	return nil
}

// lookup returns a model's price; ok is false when it has none.
func (p *priceBook) lookup(name string) (price model.Price, ok bool) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	price, ok = p.prices[name]
	return price, ok
}

// stale reports whether the prices were read before generation gen.
func (p *priceBook) stale(gen uint64) bool { return p.gen.Load() != gen }

// fresh reloads the prices when the store changed since they were read,
// so that a price set in this process applies to the very next request.
// On a store error the old prices are kept (and the error returned).
func (p *priceBook) fresh(store storage.Store) error {
	if !p.stale(store.Generation()) {
		return nil
	}
	p.loadMu.Lock()
	defer p.loadMu.Unlock()
	if !p.stale(store.Generation()) {
		return nil // another request reloaded them meanwhile
	}
	return p.load(store)
}
