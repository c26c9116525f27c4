package gateway

import (
	"sync"

	"keyward/model"
	"keyward/storage"
)

// priceBook holds the catalog's prices in memory, reloaded after each
// store change.
type priceBook struct {
	mu     sync.RWMutex
	prices map[string]model.Price
}

// load replaces the prices with the store's catalog.
func (p *priceBook) load(store storage.Store) error {
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
