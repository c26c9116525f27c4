package storage

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"unicode"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"

	"keyward/model"
)

// maxActorLen caps the actor recorded in an event, in runes.
const maxActorLen = 128

// tokenEvent starts an audit event about tok. Keys never go into events.
func tokenEvent(actor string, action model.Action, tok model.Token) model.Event {
	return model.Event{Actor: cleanActor(actor), Action: action,
		TokenID: tok.ID, TokenName: tok.Name}
}

// cleanActor makes the actor safe to show on a terminal: control and
// bidirectional characters become '?', and it is capped in length.
func cleanActor(actor string) string {
	actor = strings.ToValidUTF8(actor, "?")
	actor = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) {
			return '?'
		}
		return r
	}, actor)
	actor = strings.TrimSpace(actor)
	if utf8.RuneCountInString(actor) > maxActorLen {
		actor = string([]rune(actor)[:maxActorLen])
	}
	if actor == "" {
		return "unknown"
	}
	return actor
}

// diffToken lists the configuration fields that differ between old and
// new, as text. With all set, every field is listed (for create).
func diffToken(old, new model.Token, all bool) []model.FieldChange {
	var out []model.FieldChange
	add := func(field, o, n string) {
		if o != n {
			out = append(out, model.FieldChange{Field: field, Old: o, New: n})
		}
	}
	if all {
		return createChanges(new)
	}
	add(model.FieldName, old.Name, new.Name)
	add("enabled", yesNo(old.Enabled), yesNo(new.Enabled))
	add("unlimited", yesNo(old.Unlimited), yesNo(new.Unlimited))
	if old.Limit != new.Limit {
		out = append(out, model.FieldChange{Field: model.FieldLimit,
			Old: old.Limit.Format(), New: new.Limit.Format()})
	}
	add(model.FieldModels, modelsText(old.Models), modelsText(new.Models))
	return out
}

// createChanges lists a new token's configuration. An unlimited token
// shows no quota unless it was given one to keep for later: "quota:
// $0.00" would read as a token that cannot spend anything.
func createChanges(t model.Token) []model.FieldChange {
	out := []model.FieldChange{
		{Field: model.FieldName, New: t.Name},
		{Field: "unlimited", New: yesNo(t.Unlimited)},
	}
	if !t.Unlimited || t.Limit != 0 {
		out = append(out, model.FieldChange{Field: model.FieldLimit, New: t.Limit.Format()})
	}
	return append(out, model.FieldChange{Field: model.FieldModels, New: modelsText(t.Models)})
}

// yesNo shows a boolean field in the audit log.
func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// modelsText shows an allowlist as the console does.
func modelsText(models []string) string {
	if len(models) == 0 {
		return model.AllModelsLabel
	}
	return strings.Join(models, ", ")
}

// priceText shows a price exactly, in dollars per million tokens.
func priceText(p *model.Price) string {
	if p == nil {
		return "none"
	}
	s := "input $" + p.Input.Decimal() + ", output $" + p.Output.Decimal()
	if p.CachedInput != nil {
		s += ", cached input $" + p.CachedInput.Decimal()
	}
	return s + " per million tokens"
}

// appendEvent stores ev with the next sequence number and the store's
// time, indexing it by token when it has one.
func (db *DB) appendEvent(tx *bolt.Tx, ev model.Event) error {
	audit := tx.Bucket(bucketAudit)
	seq, err := audit.NextSequence()
	if err != nil {
		return err
	}
	ev.Seq = seq
	ev.Time = db.now()
	raw, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("encode audit event: %w", err)
	}
	if err := audit.Put(idBytes(seq), raw); err != nil {
		return err
	}
	return indexEvent(tx, ev)
}

// indexEvent files a token's event under token ID + sequence, so that one
// token's history is read without scanning the whole log.
func indexEvent(tx *bolt.Tx, ev model.Event) error {
	if ev.TokenID == 0 {
		return nil
	}
	key := append(idBytes(ev.TokenID), idBytes(ev.Seq)...)
	return tx.Bucket(bucketByTok).Put(key, nil)
}

// Audit returns events newest first: every event, or with f.TokenID those
// about one token (deleted tokens included), at most f.Limit of them when
// f.Limit is positive.
func (db *DB) Audit(f AuditFilter) ([]model.Event, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = math.MaxInt
	}
	var out []model.Event
	err := db.view(func(tx *bolt.Tx) error {
		if f.TokenID == 0 {
			return allEvents(tx, limit, &out)
		}
		return tokenEvents(tx, f.TokenID, limit, &out)
	})
	if err != nil {
		return nil, fmt.Errorf("read audit log: %w", err)
	}
	return out, nil
}

func allEvents(tx *bolt.Tx, limit int, out *[]model.Event) error {
	c := tx.Bucket(bucketAudit).Cursor()
	for k, v := c.Last(); k != nil && len(*out) < limit; k, v = c.Prev() {
		ev, err := decodeEvent(k, v)
		if err != nil {
			return err
		}
		*out = append(*out, ev)
	}
	return nil
}

// tokenEvents walks one token's part of the by-token index backwards.
func tokenEvents(tx *bolt.Tx, id uint64, limit int, out *[]model.Event) error {
	audit := tx.Bucket(bucketAudit)
	prefix := idBytes(id)
	c := tx.Bucket(bucketByTok).Cursor()
	for k := lastBefore(c, id); k != nil && len(*out) < limit; k, _ = c.Prev() {
		if !bytes.HasPrefix(k, prefix) {
			break
		}
		seq := k[8:]
		ev, err := decodeEvent(seq, audit.Get(seq))
		if err != nil {
			return err
		}
		*out = append(*out, ev)
	}
	return nil
}

// lastBefore positions c on the last key below token id+1's prefix: the
// newest event of token id, if it has any.
func lastBefore(c *bolt.Cursor, id uint64) []byte {
	if id == math.MaxUint64 {
		k, _ := c.Last()
		return k
	}
	if k, _ := c.Seek(idBytes(id + 1)); k == nil {
		k, _ = c.Last()
		return k
	}
	k, _ := c.Prev()
	return k
}

// decodeEvent reads one stored event.
func decodeEvent(k, v []byte) (model.Event, error) {
	var ev model.Event
	if len(k) != 8 || json.Unmarshal(v, &ev) != nil {
		return ev, fmt.Errorf("audit event %x: %w: unreadable", k, ErrCorrupt)
	}
	ev.Seq = binary.BigEndian.Uint64(k)
	return ev, nil
}
