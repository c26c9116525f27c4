package storage

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"keyward/model"
)

// A token record is a compact binary value, so that List decodes 100,000
// of them quickly:
//
//	format byte (recordFormat)
//	flags byte (flagEnabled, flagUnlimited)
//	uvarint Version
//	varint Limit, varint Used (nano-dollars)
//	varint CreatedAt, varint UpdatedAt (Unix nanoseconds)
//	uvarint length + Name
//	uvarint length + sealed key (nonce + AES-GCM ciphertext)
//	uvarint count, then uvarint length + name for each model
//
// The ID is the bucket key; the plain key is never stored.
const recordFormat = 1

const (
	flagEnabled   = 1 << 0
	flagUnlimited = 1 << 1
)

// Decoding errors wrap one of these.
var (
	errRecord = errors.New("malformed token record")
	errPrice  = errors.New("malformed price record")
)

// encodeRecord writes t (without its key) and the sealed key.
func encodeRecord(t *model.Token, sealed []byte) []byte {
	n := 40 + len(t.Name) + len(sealed)
	for _, m := range t.Models {
		n += len(m) + 2
	}
	b := make([]byte, 0, n)
	b = append(b, recordFormat, recordFlags(t))
	b = binary.AppendUvarint(b, t.Version)
	b = binary.AppendVarint(b, int64(t.Limit))
	b = binary.AppendVarint(b, int64(t.Used))
	b = binary.AppendVarint(b, t.CreatedAt.UnixNano())
	b = binary.AppendVarint(b, t.UpdatedAt.UnixNano())
	b = appendBytes(b, []byte(t.Name))
	b = appendBytes(b, sealed)
	b = binary.AppendUvarint(b, uint64(len(t.Models)))
	for _, m := range t.Models {
		b = appendBytes(b, []byte(m))
	}
	return b
}

// recordFlags packs a token's booleans.
func recordFlags(t *model.Token) byte {
	var flags byte
	if t.Enabled {
		flags |= flagEnabled
	}
	if t.Unlimited {
		flags |= flagUnlimited
	}
	return flags
}

// appendBytes appends s with its length in front.
func appendBytes(b, s []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// decoder reads a record, remembering the first error.
type decoder struct {
	b    []byte
	err  error
	kind error // errRecord (the default) or errPrice
}

func (d *decoder) fail(what string) {
	if d.err == nil {
		kind := d.kind
		if kind == nil {
			kind = errRecord
		}
		d.err = fmt.Errorf("%w: bad %s", kind, what)
	}
	d.b = nil
}

func (d *decoder) byte(what string) byte {
	if len(d.b) < 1 {
		d.fail(what)
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) uvarint(what string) uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail(what)
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint(what string) int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail(what)
		return 0
	}
	d.b = d.b[n:]
	return v
}

// bytes returns a length-prefixed slice aliasing the input.
func (d *decoder) bytes(what string) []byte {
	n := d.uvarint(what)
	if n > uint64(len(d.b)) {
		d.fail(what)
		return nil
	}
	s := d.b[:n:n]
	d.b = d.b[n:]
	return s
}

// decodeRecord reads a record into a token without its key and returns
// the sealed key, which aliases b.
func decodeRecord(id uint64, b []byte) (model.Token, []byte, error) {
	d := decoder{b: b}
	if f := d.byte("format"); d.err == nil && f != recordFormat {
		return model.Token{}, nil, fmt.Errorf("%w: unknown format %d", errRecord, f)
	}
	flags := d.byte("flags")
	t := model.Token{ID: id, Enabled: flags&flagEnabled != 0,
		Unlimited: flags&flagUnlimited != 0}
	t.Version = d.uvarint("version")
	t.Limit = model.Money(d.varint("limit"))
	t.Used = model.Money(d.varint("used"))
	t.CreatedAt = time.Unix(0, d.varint("created"))
	t.UpdatedAt = time.Unix(0, d.varint("updated"))
	t.Name = string(d.bytes("name"))
	sealed := d.bytes("sealed key")
	t.Models = d.models()
	if d.err == nil && len(d.b) != 0 {
		d.fail("trailing bytes")
	}
	if d.err != nil {
		return model.Token{}, nil, d.err
	}
	return t, sealed, nil
}

// models reads the allowlist; an empty one is nil.
func (d *decoder) models() []string {
	n := d.uvarint("model count")
	if n == 0 || d.err != nil {
		return nil
	}
	if n > uint64(len(d.b)) {
		d.fail("model count")
		return nil
	}
	out := make([]string, 0, n)
	for i := uint64(0); i < n && d.err == nil; i++ {
		out = append(out, string(d.bytes("model")))
	}
	return out
}

// A price value is a format byte, then:
//
//	format 1: varint Input, varint Output, varint CachedInput, where 0
//	          meant "same as input" (read only; no longer written)
//	format 2: flags byte (priceHasCached), varint Input, varint Output,
//	          and varint CachedInput when priceHasCached is set
//
// An empty value is a model without a price.
const (
	priceFormatV1  = 1
	priceFormat    = 2
	priceHasCached = 1 << 0
)

// encodePrice writes a catalog price; nil is an empty value.
func encodePrice(p *model.Price) []byte {
	if p == nil {
		return nil
	}
	var flags byte
	if p.CachedInput != nil {
		flags |= priceHasCached
	}
	b := []byte{priceFormat, flags}
	b = binary.AppendVarint(b, int64(p.Input))
	b = binary.AppendVarint(b, int64(p.Output))
	if p.CachedInput != nil {
		b = binary.AppendVarint(b, int64(*p.CachedInput))
	}
	return b
}

// decodePrice reads what encodePrice wrote, and the older format 1.
func decodePrice(b []byte) (*model.Price, error) {
	if len(b) == 0 {
		return nil, nil
	}
	d := decoder{b: b, kind: errPrice}
	format := d.byte("price format")
	var flags byte
	switch {
	case d.err != nil:
	case format == priceFormat:
		flags = d.byte("price flags")
	case format != priceFormatV1:
		return nil, fmt.Errorf("%w: unknown price format %d", errPrice, format)
	}
	p := &model.Price{Input: model.Money(d.varint("input price")),
		Output: model.Money(d.varint("output price"))}
	if format == priceFormatV1 || flags&priceHasCached != 0 {
		cached := model.Money(d.varint("cached input price"))
		if format == priceFormat || cached != 0 {
			p.CachedInput = &cached
		}
	}
	if d.err == nil && (len(d.b) != 0 || flags&^priceHasCached != 0) {
		d.fail("trailing bytes or unknown flags")
	}
	if d.err != nil {
		return nil, d.err
	}
	return p, nil
}
