package storage

import (
	"fmt"

	bolt "go.etcd.io/bbolt"

	"keyward/model"
)

// fieldPrice names a price in validation errors.
const fieldPrice = "price"

// Models lists the model catalog, sorted by name (byte order).
func (db *DB) Models() ([]model.CatalogModel, error) {
	var out []model.CatalogModel
	err := db.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketModels).ForEach(func(k, v []byte) error {
			p, err := decodePrice(v)
			if err != nil {
				return fmt.Errorf("model %q: %w: %v", k, ErrCorrupt, err)
			}
			out = append(out, model.CatalogModel{Name: string(k), Price: p})
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list models: %w", err)
	}
	return out, nil
}

// cleanNames validates catalog names with model.CleanModel and drops
// duplicates.
func cleanNames(names []string) ([]string, error) {
	out := make([]string, 0, len(names))
	seen := make(map[string]bool, len(names))
	for _, n := range names {
		clean, err := model.CleanModel(n)
		if err != nil {
			return nil, err
		}
		if !seen[clean] {
			seen[clean] = true
			out = append(out, clean)
		}
	}
	return out, nil
}

// AddModels adds names to the catalog; names already there are kept with
// their prices. Each added name gets an audit event.
func (db *DB) AddModels(actor string, names ...string) error {
	err := db.editCatalog(actor, names, model.ActionModelAdd,
		func(b *bolt.Bucket, name []byte) (bool, error) {
			if b.Get(name) != nil {
				return false, nil
			}
			return true, b.Put(name, nil)
		})
	if err != nil {
		return fmt.Errorf("add models: %w", err)
	}
	return nil
}

// RemoveModels removes names from the catalog; names not there are
// ignored. Allowlists that name them are left alone. Each removed name
// gets an audit event.
func (db *DB) RemoveModels(actor string, names ...string) error {
	err := db.editCatalog(actor, names, model.ActionModelRemove,
		func(b *bolt.Bucket, name []byte) (bool, error) {
			if b.Get(name) == nil {
				return false, nil
			}
			return true, b.Delete(name)
		})
	if err != nil {
		return fmt.Errorf("remove models: %w", err)
	}
	return nil
}

// editCatalog validates names, then in one transaction applies edit to
// each and records an audit event for each name that edit changed.
func (db *DB) editCatalog(actor string, names []string, action model.Action,
	edit func(b *bolt.Bucket, name []byte) (bool, error)) error {
	names, err := cleanNames(names)
	if err != nil {
		return err
	}
	return db.change(func(tx *bolt.Tx) (bool, error) {
		b := tx.Bucket(bucketModels)
		changed := false
		for _, n := range names {
			did, err := edit(b, []byte(n))
			if err != nil {
				return false, err
			}
			if !did {
				continue
			}
			changed = true
			if err := db.appendEvent(tx, catalogEvent(actor, action, n)); err != nil {
				return false, err
			}
		}
		return changed, nil
	})
}

// SetPrice sets (or with nil clears) a model's price, adding the model to
// the catalog if needed. Prices are dollars per million tokens, each from
// zero to model.MaxMoney.
func (db *DB) SetPrice(actor, name string, price *model.Price) error {
	name, err := model.CleanModel(name)
	if err != nil {
		return fmt.Errorf("set price: %w", err)
	}
	if err := checkPrice(price); err != nil {
		return fmt.Errorf("set price of %s: %w", name, err)
	}
	err = db.change(func(tx *bolt.Tx) (bool, error) {
		b := tx.Bucket(bucketModels)
		raw := b.Get([]byte(name))
		old, err := decodePrice(raw)
		if err != nil {
			return false, fmt.Errorf("%w: %v", ErrCorrupt, err)
		}
		if raw != nil && priceText(old) == priceText(price) {
			return false, nil
		}
		if err := b.Put([]byte(name), encodePrice(price)); err != nil {
			return false, err
		}
		ev := catalogEvent(actor, model.ActionModelPrice, name)
		ev.Changes = []model.FieldChange{{Field: fieldPrice, Old: priceText(old),
			New: priceText(price)}}
		return true, db.appendEvent(tx, ev)
	})
	if err != nil {
		return fmt.Errorf("set price of %s: %w", name, err)
	}
	return nil
}

// checkPrice refuses negative or absurd prices.
func checkPrice(p *model.Price) error {
	if p == nil {
		return nil
	}
	for _, m := range []model.Money{p.Input, p.Output, p.Cached()} {
		if m < 0 || m > model.MaxMoney {
			return &model.FieldError{Field: fieldPrice,
				Reason: "must be from $0 to " + model.MaxMoney.Format() + " per million tokens"}
		}
	}
	return nil
}

// catalogEvent starts an audit event about a catalog model.
func catalogEvent(actor string, action model.Action, name string) model.Event {
	return model.Event{Actor: cleanActor(actor), Action: action, Subject: name}
}
