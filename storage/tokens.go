package storage

import (
	"bytes"
	"crypto/subtle"
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"keyward/keys"
	"keyward/model"
)

// Create makes a token with a new key, enabled, and records it in the
// audit log. Invalid specs give a *model.FieldError wrapping
// model.ErrInvalid.
func (db *DB) Create(actor string, spec model.Spec) (model.Token, error) {
	spec, err := spec.Normalize()
	if err != nil {
		return model.Token{}, fmt.Errorf("create token: %w", err)
	}
	key, err := keys.Generate()
	if err != nil {
		return model.Token{}, fmt.Errorf("create token: %w", err)
	}
	var tok model.Token
	err = db.change(func(tx *bolt.Tx) (bool, error) {
		var err error
		tok, err = db.createIn(tx, actor, spec, key)
		return true, err
	})
	if err != nil {
		return model.Token{}, fmt.Errorf("create token %q: %w", spec.Name, err)
	}
	return tok, nil
}

// createIn stores a new token, its index entry and its audit event.
func (db *DB) createIn(tx *bolt.Tx, actor string, spec model.Spec,
	key string) (model.Token, error) {
	tokens := tx.Bucket(bucketTokens)
	id, err := tokens.NextSequence()
	if err != nil {
		return model.Token{}, err
	}
	now := db.now()
	tok := model.Token{ID: id, Name: spec.Name, Key: key, Enabled: true,
		Unlimited: spec.Unlimited, Limit: spec.Limit, Models: spec.Models,
		CreatedAt: now, UpdatedAt: now, Version: 1}
	if err := db.putToken(tx, &tok, nil); err != nil {
		return model.Token{}, err
	}
	if err := db.putIndex(tx, &tok); err != nil {
		return model.Token{}, err
	}
	ev := tokenEvent(actor, model.ActionCreate, tok)
	ev.Changes = diffToken(model.Token{}, tok, true)
	return tok, db.appendEvent(tx, ev)
}

// putIndex maps the hash of tok's key to its ID. A hash already present
// (a repeated key) is refused rather than overwritten.
func (db *DB) putIndex(tx *bolt.Tx, tok *model.Token) error {
	hash := db.KeyHash(tok.Key)
	index := tx.Bucket(bucketIndex)
	if index.Get(hash[:]) != nil {
		return fmt.Errorf("token %d: its new key is already in use", tok.ID)
	}
	return index.Put(hash[:], idBytes(tok.ID))
}

// putToken writes tok, sealing its key unless sealed is given.
func (db *DB) putToken(tx *bolt.Tx, tok *model.Token, sealed []byte) error {
	if sealed == nil {
		var err error
		if sealed, err = db.seal(tok.ID, tok.Key); err != nil {
			return err
		}
	}
	return tx.Bucket(bucketTokens).Put(idBytes(tok.ID), encodeRecord(tok, sealed))
}

// loadRecord reads a token without opening its key.
func loadRecord(tx *bolt.Tx, id uint64) (model.Token, []byte, error) {
	raw := tx.Bucket(bucketTokens).Get(idBytes(id))
	if raw == nil {
		return model.Token{}, nil, fmt.Errorf("token %d: %w", id, ErrNotFound)
	}
	tok, sealed, err := decodeRecord(id, raw)
	if err != nil {
		return model.Token{}, nil, fmt.Errorf("token %d: %w: %v", id, ErrCorrupt, err)
	}
	return tok, sealed, nil
}

// loadToken reads a token and opens its key.
func (db *DB) loadToken(tx *bolt.Tx, id uint64) (model.Token, []byte, error) {
	tok, sealed, err := loadRecord(tx, id)
	if err != nil {
		return tok, nil, err
	}
	tok.Key, err = db.unseal(id, sealed)
	return tok, sealed, err
}

// Get returns one token with its key, ErrNotFound if there is none.
func (db *DB) Get(id uint64) (model.Token, error) {
	var tok model.Token
	err := db.view(func(tx *bolt.Tx) error {
		var err error
		tok, _, err = db.loadToken(tx, id)
		return err
	})
	return tok, err
}

// List returns every token, newest first, keys included.
func (db *DB) List() ([]model.Token, error) {
	var out []model.Token
	err := db.view(func(tx *bolt.Tx) error {
		var err error
		out, err = db.listIn(tx)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	return out, nil
}

// listIn decodes every token, newest (highest ID) first.
func (db *DB) listIn(tx *bolt.Tx) ([]model.Token, error) {
	b := tx.Bucket(bucketTokens)
	out := make([]model.Token, 0, b.Stats().KeyN)
	c := b.Cursor()
	for k, v := c.Last(); k != nil; k, v = c.Prev() {
		id := binary.BigEndian.Uint64(k)
		tok, sealed, err := decodeRecord(id, v)
		if err != nil {
			return nil, fmt.Errorf("token %d: %w: %v", id, ErrCorrupt, err)
		}
		if tok.Key, err = db.unseal(id, sealed); err != nil {
			return nil, err
		}
		out = append(out, tok)
	}
	return out, nil
}

// Update applies changes if the token's Version is still version, else
// returns ErrConflict. Changes that set a field to its current value are
// no change: the token comes back as it is, Version unchanged. Turning
// Unlimited on or off keeps Limit and Used.
func (db *DB) Update(actor string, id, version uint64, ch model.Changes) (model.Token, error) {
	ch, err := ch.Normalize()
	if err != nil {
		return model.Token{}, fmt.Errorf("update token %d: %w", id, err)
	}
	var tok model.Token
	err = db.change(func(tx *bolt.Tx) (bool, error) {
		var changed bool
		var err error
		tok, changed, err = db.updateIn(tx, actor, id, version, ch)
		return changed, err
	})
	if err != nil {
		return model.Token{}, fmt.Errorf("update token %d: %w", id, err)
	}
	return tok, nil
}

// updateIn is Update's transaction. It reports whether anything changed.
func (db *DB) updateIn(tx *bolt.Tx, actor string, id, version uint64,
	ch model.Changes) (model.Token, bool, error) {
	old, sealed, err := db.loadToken(tx, id)
	if err != nil {
		return old, false, err
	}
	if old.Version != version {
		return old, false, fmt.Errorf("token %d: %w (now version %d, the edit began at %d); "+
			"reload it and apply the change again", id, ErrConflict, old.Version, version)
	}
	tok := applyChanges(old, ch)
	changes := diffToken(old, tok, false)
	if len(changes) == 0 {
		return old, false, nil
	}
	return tok, true, db.saveChange(tx, actor, model.ActionUpdate, &tok, sealed, changes)
}

// saveChange bumps tok's Version and UpdatedAt, writes it and appends its
// audit event.
func (db *DB) saveChange(tx *bolt.Tx, actor string, action model.Action,
	tok *model.Token, sealed []byte, changes []model.FieldChange) error {
	tok.Version++
	tok.UpdatedAt = db.now()
	if err := db.putToken(tx, tok, sealed); err != nil {
		return err
	}
	ev := tokenEvent(actor, action, *tok)
	ev.Changes = changes
	return db.appendEvent(tx, ev)
}

// applyChanges returns t with the set fields of ch.
func applyChanges(t model.Token, ch model.Changes) model.Token {
	if ch.Name != nil {
		t.Name = *ch.Name
	}
	if ch.Unlimited != nil {
		t.Unlimited = *ch.Unlimited
	}
	if ch.Limit != nil {
		t.Limit = *ch.Limit
	}
	if ch.Models != nil {
		t.Models = *ch.Models
	}
	return t
}

// SetEnabled enables or disables a token. Setting the state it already
// has changes nothing.
func (db *DB) SetEnabled(actor string, id uint64, enabled bool) (model.Token, error) {
	var tok model.Token
	err := db.change(func(tx *bolt.Tx) (bool, error) {
		var sealed []byte
		var err error
		tok, sealed, err = db.loadToken(tx, id)
		if err != nil || tok.Enabled == enabled {
			return false, err
		}
		old := tok
		tok.Enabled = enabled
		action := model.ActionDisable
		if enabled {
			action = model.ActionEnable
		}
		return true, db.saveChange(tx, actor, action, &tok, sealed, diffToken(old, tok, false))
	})
	if err != nil && enabled {
		return model.Token{}, fmt.Errorf("enable token %d: %w", id, err)
	}
	if err != nil {
		return model.Token{}, fmt.Errorf("disable token %d: %w", id, err)
	}
	return tok, nil
}

// Delete removes a token, its key index entry and its daily spend. Its
// audit events stay.
func (db *DB) Delete(actor string, id uint64) error {
	err := db.change(func(tx *bolt.Tx) (bool, error) {
		return true, db.deleteIn(tx, actor, id)
	})
	if err != nil {
		return fmt.Errorf("delete token %d: %w", id, err)
	}
	return nil
}

// deleteIn is Delete's transaction.
func (db *DB) deleteIn(tx *bolt.Tx, actor string, id uint64) error {
	tok, sealed, err := loadRecord(tx, id)
	if err != nil {
		return err
	}
	if err := db.deleteIndex(tx, id, sealed); err != nil {
		return err
	}
	if err := tx.Bucket(bucketTokens).Delete(idBytes(id)); err != nil {
		return err
	}
	if err := deletePrefix(tx.Bucket(bucketSpend), idBytes(id)); err != nil {
		return err
	}
	return db.appendEvent(tx, tokenEvent(actor, model.ActionDelete, tok))
}

// deleteIndex removes the index entry of token id. If the sealed key does
// not open, it finds the entry by scanning, so that a damaged record can
// still be deleted.
func (db *DB) deleteIndex(tx *bolt.Tx, id uint64, sealed []byte) error {
	index := tx.Bucket(bucketIndex)
	if key, err := db.unseal(id, sealed); err == nil {
		hash := db.KeyHash(key)
		return index.Delete(hash[:])
	}
	want := idBytes(id)
	c := index.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if bytes.Equal(v, want) {
			return c.Delete()
		}
	}
	return nil
}

// deletePrefix removes every key of b that starts with prefix.
func deletePrefix(b *bolt.Bucket, prefix []byte) error {
	c := b.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Seek(prefix) {
		if err := c.Delete(); err != nil {
			return err
		}
	}
	return nil
}

// FindByKey looks a token up by its full key. Malformed, unknown and
// deleted keys give ErrNotFound; errors show the key masked.
func (db *DB) FindByKey(key string) (model.Token, error) {
	if !keys.LooksValid(key) {
		return model.Token{}, fmt.Errorf("key %s: %w (not a Keyward key)",
			keys.Mask(key), ErrNotFound)
	}
	var tok model.Token
	err := db.view(func(tx *bolt.Tx) error {
		var err error
		tok, err = db.findIn(tx, key)
		return err
	})
	if err != nil {
		return model.Token{}, err
	}
	return tok, nil
}

// findIn looks key up in the index and checks the stored key matches.
func (db *DB) findIn(tx *bolt.Tx, key string) (model.Token, error) {
	hash := db.KeyHash(key)
	raw := tx.Bucket(bucketIndex).Get(hash[:])
	if len(raw) != 8 {
		return model.Token{}, fmt.Errorf("key %s: %w", keys.Mask(key), ErrNotFound)
	}
	tok, _, err := db.loadToken(tx, binary.BigEndian.Uint64(raw))
	if err != nil {
		return model.Token{}, err
	}
	if subtle.ConstantTimeCompare([]byte(tok.Key), []byte(key)) != 1 {
		return model.Token{}, fmt.Errorf("key %s: %w", keys.Mask(key), ErrNotFound)
	}
	return tok, nil
}
