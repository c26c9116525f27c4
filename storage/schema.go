package storage

import (
	"encoding/binary"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Buckets. Every integer key is big-endian so that byte order is numeric
// order.
var (
	bucketMeta   = []byte("meta")        // metaMagic, metaSchema, metaKeyCheck
	bucketTokens = []byte("tokens")      // token ID -> record (see codec.go)
	bucketIndex  = []byte("index")       // HMAC of key -> token ID
	bucketSpend  = []byte("spend")       // token ID + UTC day -> amount
	bucketModels = []byte("models")      // model name -> price ("" for none)
	bucketAudit  = []byte("audit")       // event sequence -> JSON event
	bucketByTok  = []byte("audit_token") // token ID + event sequence -> ""
)

// Keys in the meta bucket.
var (
	metaMagic    = []byte("magic")
	metaSchema   = []byte("schema")
	metaKeyCheck = []byte("keycheck")
	magicValue   = []byte("keyward")
)

// currentSchema is the schema version this build writes. A database with
// a larger version is refused with ErrTooNew.
const currentSchema = 1

// migration brings a database from schema version to-1 up to to.
type migration struct {
	to   uint64
	name string
	run  func(tx *bolt.Tx) error
}

// migrations lists every step from an empty file to currentSchema, in
// order. A new schema version appends one step; steps never change once
// released.
func migrations() []migration {
	return []migration{
		{to: 1, name: "buckets and seeded model catalog", run: migrateV1},
	}
}

// requiredBuckets lists the buckets, besides meta, that a database at
// schema version must have.
func requiredBuckets(schema uint64) [][]byte {
	if schema < 1 {
		return nil
	}
	return [][]byte{bucketTokens, bucketIndex, bucketSpend, bucketModels,
		bucketAudit, bucketByTok}
}

// migrateV1 creates the buckets and seeds the model catalog. It runs once,
// on the first run, so models removed later are never seeded again.
func migrateV1(tx *bolt.Tx) error {
	for _, name := range requiredBuckets(1) {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	models := tx.Bucket(bucketModels)
	for _, name := range seedModels() {
		if err := models.Put([]byte(name), nil); err != nil {
			return fmt.Errorf("seed model %s: %w", name, err)
		}
	}
	return nil
}

// prepare initialises a new database or migrates an older one, in one
// write transaction. It looks first in a read transaction and writes only
// when there is something to do, so that opening a database to read it
// leaves the file's bytes as they were.
func (db *DB) prepare() error {
	var needed bool
	err := db.view(func(tx *bolt.Tx) error {
		var err error
		needed, err = db.needsPrepare(tx)
		return err
	})
	if err == nil && needed {
		err = db.update(db.prepareIn)
	}
	return db.prepareError(err)
}

// needsPrepare reports whether the database needs initialising or
// migrating. It checks the master key and, for a current database, that
// every bucket is there.
func (db *DB) needsPrepare(tx *bolt.Tx) (bool, error) {
	meta := tx.Bucket(bucketMeta)
	if meta == nil {
		return true, nil
	}
	if !db.checkValueMatches(meta.Get(metaKeyCheck)) {
		return false, db.wrongKey()
	}
	if schemaOf(meta) != currentSchema {
		return true, nil
	}
	return false, checkBuckets(db.path, tx, currentSchema)
}

// prepareIn is prepare's write transaction.
func (db *DB) prepareIn(tx *bolt.Tx) error {
	meta := tx.Bucket(bucketMeta)
	if meta == nil {
		var err error
		if meta, err = db.initMeta(tx); err != nil {
			return err
		}
	} else if !db.checkValueMatches(meta.Get(metaKeyCheck)) {
		return db.wrongKey()
	}
	return migrate(tx, meta)
}

// wrongKey is the error when the master key does not unlock the database.
func (db *DB) wrongKey() error {
	return fmt.Errorf("%w: %s does not unlock %s (wrong key file?); "+
		"restore the key file that belongs to this database, or point %s at it",
		ErrMasterKey, db.keyPath, db.path, EnvMasterKey)
}

// prepareError names the path in an error from prepare, unless the error
// is one of ours that already does.
func (db *DB) prepareError(err error) error {
	switch {
	case err == nil, errors.Is(err, ErrMasterKey), errors.Is(err, ErrCorrupt),
		errors.Is(err, ErrTooNew):
		return err
	case isReadOnlyErr(err):
		return fmt.Errorf("%s: %w: %v", db.path, ErrReadOnly, err)
	}
	return fmt.Errorf("prepare database %s: %w", db.path, err)
}

// initMeta writes the meta bucket of a new database at schema version 0.
func (db *DB) initMeta(tx *bolt.Tx) (*bolt.Bucket, error) {
	meta, err := tx.CreateBucket(bucketMeta)
	if err != nil {
		return nil, fmt.Errorf("create meta bucket: %w", err)
	}
	if err := meta.Put(metaMagic, magicValue); err != nil {
		return nil, err
	}
	if err := meta.Put(metaKeyCheck, db.checkValue); err != nil {
		return nil, err
	}
	if err := putSchema(meta, 0); err != nil {
		return nil, err
	}
	return meta, nil
}

// migrate runs every migration above the stored schema version.
func migrate(tx *bolt.Tx, meta *bolt.Bucket) error {
	version := schemaOf(meta)
	if version > currentSchema {
		return fmt.Errorf("%w: schema version %d, this Keyward understands up to %d",
			ErrTooNew, version, currentSchema)
	}
	for _, m := range migrations() {
		if m.to <= version {
			continue
		}
		if err := m.run(tx); err != nil {
			return fmt.Errorf("migrate to schema %d (%s): %w", m.to, m.name, err)
		}
		if err := putSchema(meta, m.to); err != nil {
			return err
		}
	}
	return nil
}

// schemaOf reads the schema version; 0 when it was never written.
func schemaOf(meta *bolt.Bucket) uint64 {
	if raw := meta.Get(metaSchema); len(raw) == 8 {
		return binary.BigEndian.Uint64(raw)
	}
	return 0
}

// putSchema records the schema version.
func putSchema(meta *bolt.Bucket, v uint64) error {
	if err := meta.Put(metaSchema, binary.BigEndian.AppendUint64(nil, v)); err != nil {
		return fmt.Errorf("write schema version: %w", err)
	}
	return nil
}

// seedModels is the catalog a new database starts with: current model ids
// from the major vendors and open models, without prices.
func seedModels() []string {
	return []string{
		// OpenAI
		"gpt-5", "gpt-5-mini", "gpt-5-nano", "gpt-4.1", "gpt-4.1-mini",
		"gpt-4.1-nano", "gpt-4o", "gpt-4o-mini", "o3", "o3-mini", "o4-mini",
		"text-embedding-3-small", "text-embedding-3-large",
		// Anthropic
		"claude-opus-4-1", "claude-sonnet-4-5", "claude-sonnet-4",
		"claude-haiku-4-5", "claude-3-5-haiku-latest",
		// Google
		"gemini-2.5-pro", "gemini-2.5-flash", "gemini-2.5-flash-lite",
		"gemini-2.0-flash",
		// Meta Llama
		"llama-3.3-70b-instruct", "llama-3.1-8b-instruct",
		"llama-4-scout-17b-16e-instruct", "llama-4-maverick-17b-128e-instruct",
		// Mistral
		"mistral-large-latest", "mistral-medium-latest", "mistral-small-latest",
		"codestral-latest",
		// Qwen
		"qwen3-235b-a22b", "qwen3-32b", "qwen3-coder-480b-a35b-instruct", "qwen-max",
		// DeepSeek
		"deepseek-chat", "deepseek-reasoner",
	}
}
