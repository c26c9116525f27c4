package storage

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"

	bolt "go.etcd.io/bbolt"

	"keyward/model"
)

// maxSpendDays caps DailySpend's window (about ten years).
const maxSpendDays = 3660

// secondsPerDay is the length of a UTC day for the daily spend buckets.
const secondsPerDay = 86400

// Charge adds amount to a token's Used atomically, bumps its Version and
// adds amount to today's (UTC) spend. Charges are usage, not
// configuration: they write no audit event and leave UpdatedAt alone, but
// subscribers are notified. A zero amount changes nothing; a negative one
// is refused.
func (db *DB) Charge(id uint64, amount model.Money) (model.Token, error) {
	if amount < 0 {
		return model.Token{}, fmt.Errorf("charge token %d: amount %s is negative: %w",
			id, amount.Decimal(), model.ErrInvalid)
	}
	if amount == 0 {
		return db.Get(id)
	}
	var tok model.Token
	err := db.changeUsage(func(tx *bolt.Tx) (bool, error) {
		var sealed []byte
		var err error
		if tok, sealed, err = db.loadToken(tx, id); err != nil {
			return false, err
		}
		tok.Used = addMoney(tok.Used, amount)
		tok.Version++
		if err := db.putToken(tx, &tok, sealed); err != nil {
			return false, err
		}
		return true, addSpend(tx, id, db.now(), amount)
	})
	if err != nil {
		return model.Token{}, fmt.Errorf("charge token %d: %w", id, err)
	}
	return tok, nil
}

// pendingCharge is one token's share of a batch.
type pendingCharge struct {
	tok    model.Token
	sealed []byte
}

// ChargeBatch applies many charges in one transaction (the gateway's group
// commit). Each token touched gets its Used raised and its Version bumped
// once; each charge goes to the daily spend of its At (UTC; zero means
// now). Charges for tokens deleted meanwhile and zero amounts are
// dropped; a negative amount refuses the whole batch. Like Charge, it
// writes no audit event but notifies subscribers.
func (db *DB) ChargeBatch(charges []Charge) error {
	_, err := db.ChargeBatchDropped(charges)
	return err
}

// ChargeBatchDropped is ChargeBatch that also returns the IDs of the
// tokens whose charges were dropped because the token no longer exists
// (each ID once, in the order first met). They are only meaningful when
// err is nil.
func (db *DB) ChargeBatchDropped(charges []Charge) ([]uint64, error) {
	if err := checkAmounts(charges); err != nil {
		return nil, err
	}
	var gone []uint64
	err := db.changeUsage(func(tx *bolt.Tx) (bool, error) {
		var changed bool
		var err error
		changed, gone, err = db.chargeBatchIn(tx, charges)
		return changed, err
	})
	if err != nil {
		return nil, fmt.Errorf("charge %d amounts: %w", len(charges), err)
	}
	return gone, nil
}

// checkAmounts refuses negative charges.
func checkAmounts(charges []Charge) error {
	for _, c := range charges {
		if c.Amount < 0 {
			return fmt.Errorf("charge token %d: amount %s is negative: %w",
				c.TokenID, c.Amount.Decimal(), model.ErrInvalid)
		}
	}
	return nil
}

// chargeBatchIn is ChargeBatch's transaction. It reports whether any
// token changed and which tokens no longer exist.
func (db *DB) chargeBatchIn(tx *bolt.Tx, charges []Charge) (bool, []uint64, error) {
	pending := make(map[uint64]*pendingCharge)
	missing := make(map[uint64]bool)
	var gone []uint64
	now := db.now()
	for _, c := range charges {
		if c.Amount == 0 {
			continue
		}
		p, err := pendingFor(tx, pending, c.TokenID)
		if err != nil {
			return false, nil, err
		}
		if p == nil { // deleted meanwhile
			if !missing[c.TokenID] {
				missing[c.TokenID] = true
				gone = append(gone, c.TokenID)
			}
			continue
		}
		p.tok.Used = addMoney(p.tok.Used, c.Amount)
		if err := addSpend(tx, c.TokenID, chargeTime(c.At, now), c.Amount); err != nil {
			return false, nil, err
		}
	}
	for _, p := range pending {
		p.tok.Version++
		if err := db.putToken(tx, &p.tok, p.sealed); err != nil {
			return false, nil, err
		}
	}
	return len(pending) > 0, gone, nil
}

// chargeTime is the time a charge counts at: its own, else now.
func chargeTime(at, now time.Time) time.Time {
	if at.IsZero() {
		return now
	}
	return at
}

// pendingFor returns the batch's entry for token id, loading the token on
// first use; nil when the token does not exist.
func pendingFor(tx *bolt.Tx, pending map[uint64]*pendingCharge,
	id uint64) (*pendingCharge, error) {
	if p, ok := pending[id]; ok {
		return p, nil
	}
	tok, sealed, err := loadRecord(tx, id)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	p := &pendingCharge{tok: tok, sealed: sealed}
	pending[id] = p
	return p, nil
}

// addMoney adds without overflowing: usage saturates at the largest Money.
func addMoney(a, b model.Money) model.Money {
	if b > 0 && a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

// dayIndex is the number of whole UTC days since 1970-01-01 (0 before).
func dayIndex(t time.Time) uint32 {
	s := t.Unix()
	if s < 0 {
		return 0
	}
	return uint32(min(s/secondsPerDay, math.MaxUint32))
}

// spendKey is token ID + UTC day index.
func spendKey(id uint64, day uint32) []byte {
	return binary.BigEndian.AppendUint32(idBytes(id), day)
}

// addSpend adds amount to the token's spend on at's UTC day.
func addSpend(tx *bolt.Tx, id uint64, at time.Time, amount model.Money) error {
	b := tx.Bucket(bucketSpend)
	key := spendKey(id, dayIndex(at))
	cur := spendOn(b, id, int64(dayIndex(at)))
	return b.Put(key, binary.BigEndian.AppendUint64(nil, uint64(addMoney(cur, amount))))
}

// spendOn reads a token's spend on UTC day d (zero when none).
func spendOn(b *bolt.Bucket, id uint64, d int64) model.Money {
	if d < 0 || d > math.MaxUint32 {
		return 0
	}
	if raw := b.Get(spendKey(id, uint32(d))); len(raw) == 8 {
		return model.Money(binary.BigEndian.Uint64(raw))
	}
	return 0
}

// DailySpend returns a token's spend for the last days UTC days, oldest
// first, today (the UTC day of now) last. Days without spend are zero.
func (db *DB) DailySpend(id uint64, days int, now time.Time) ([]model.DaySpend, error) {
	if days <= 0 {
		return nil, nil
	}
	days = min(days, maxSpendDays)
	today := int64(dayIndex(now))
	out := make([]model.DaySpend, 0, days)
	err := db.view(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketTokens).Get(idBytes(id)) == nil {
			return fmt.Errorf("token %d: %w", id, ErrNotFound)
		}
		b := tx.Bucket(bucketSpend)
		for d := today - int64(days) + 1; d <= today; d++ {
			out = append(out, model.DaySpend{Day: time.Unix(d*secondsPerDay, 0).UTC(),
				Amount: spendOn(b, id, d)})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("daily spend of token %d: %w", id, err)
	}
	return out, nil
}
