package storage

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
)

// The bbolt file format (version 2), as far as the structural check needs
// it. Pages start with a 16-byte header: id u64, flags u16, count u16,
// overflow u32, in the machine's byte order.
const (
	pageHeaderLen  = 16
	elemLen        = 16 // leaf and branch elements are both 16 bytes
	bucketHdrLen   = 16 // root page id u64, sequence u64
	metaLen        = 64
	metaSumLen     = 56 // the checksum covers the meta fields before it
	boltMagic      = 0xED0CDAED
	boltVersion    = 2
	flagBranch     = 0x01
	flagLeaf       = 0x02
	flagMeta       = 0x04
	flagFreelist   = 0x10
	flagBucketElem = 0x01
	noFreelist     = ^uint64(0)
	maxTreeDepth   = 64
	maxPageSize    = 1 << 24
)

// errStructure is wrapped by every finding of the structural check.
var errStructure = errors.New("damaged file structure")

// boltMeta is the part of a meta page the check uses.
type boltMeta struct {
	pageSize uint32
	root     uint64
	freelist uint64
	hwm      uint64 // high-water mark: pages at and above it are unused
	txid     uint64
}

// pageReport is what the structural check found: which pages the tree
// uses and which the freelist holds.
type pageReport struct {
	pageSize int
	hwm      uint64
	used     map[uint64]bool
	free     map[uint64]bool
	kinds    map[uint64]uint16 // page type flags of each tree page
}

// walker reads pages straight from the file, never through bbolt's
// memory map, so a damaged page can only produce an error.
type walker struct {
	f    io.ReaderAt
	size int64
	meta boltMeta
	rep  pageReport
}

// rawCheck checks the structure of the bbolt file at path the way bbolt's
// own Check does (every page reachable once, or free; page types; element
// bounds; key order; nested buckets), without trusting any of it.
func rawCheck(path string) (*pageReport, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	w := &walker{f: f, size: st.Size()}
	if err := w.check(); err != nil {
		return nil, fmt.Errorf("%w: %v", errStructure, err)
	}
	return &w.rep, nil
}

func (w *walker) check() error {
	m, err := w.readMeta()
	if err != nil {
		return err
	}
	w.meta = m
	w.rep = pageReport{pageSize: int(m.pageSize), hwm: m.hwm,
		used: map[uint64]bool{0: true, 1: true}, free: map[uint64]bool{},
		kinds: map[uint64]uint16{}}
	if err := w.readFreelist(); err != nil {
		return err
	}
	if err := w.walkTree(m.root, nil, nil, 0); err != nil {
		return err
	}
	for id := uint64(2); id < m.hwm; id++ {
		if !w.rep.used[id] && !w.rep.free[id] {
			return fmt.Errorf("page %d is neither used nor free", id)
		}
	}
	return nil
}

// readMeta finds the page size and returns the newest valid meta page.
func (w *walker) readMeta() (boltMeta, error) {
	m0, err0 := w.metaAt(0)
	psize := int64(m0.pageSize)
	if err0 != nil {
		psize = w.guessPageSize()
	}
	if psize == 0 {
		return boltMeta{}, fmt.Errorf("no valid meta page: %v", err0)
	}
	m1, err1 := w.metaAt(psize)
	switch {
	case err0 != nil && err1 != nil:
		return boltMeta{}, fmt.Errorf("both meta pages are invalid: %v; %v", err0, err1)
	case err0 != nil || (err1 == nil && m1.txid > m0.txid):
		m0 = m1
	}
	if err := w.checkMeta(m0); err != nil {
		return boltMeta{}, err
	}
	return m0, nil
}

// guessPageSize finds a valid second meta page when the first is damaged.
func (w *walker) guessPageSize() int64 {
	for ps := int64(1024); ps <= maxPageSize; ps *= 2 {
		if m, err := w.metaAt(ps); err == nil && int64(m.pageSize) == ps {
			return ps
		}
	}
	return 0
}

// metaAt reads and validates the meta page at offset off.
func (w *walker) metaAt(off int64) (boltMeta, error) {
	buf := make([]byte, pageHeaderLen+metaLen)
	if _, err := w.f.ReadAt(buf, off); err != nil {
		return boltMeta{}, fmt.Errorf("read meta page at %d: %w", off, err)
	}
	le := binary.NativeEndian
	if le.Uint16(buf[8:]) != flagMeta {
		return boltMeta{}, fmt.Errorf("page at %d is not a meta page", off)
	}
	b := buf[pageHeaderLen:]
	if le.Uint32(b) != boltMagic || le.Uint32(b[4:]) != boltVersion {
		return boltMeta{}, fmt.Errorf("page at %d has no bbolt version 2 marker", off)
	}
	if metaSum(b) != le.Uint64(b[metaSumLen:]) {
		return boltMeta{}, fmt.Errorf("meta page at %d fails its checksum", off)
	}
	return boltMeta{pageSize: le.Uint32(b[8:]), root: le.Uint64(b[16:]),
		freelist: le.Uint64(b[32:]), hwm: le.Uint64(b[40:]), txid: le.Uint64(b[48:])}, nil
}

// metaSum is bbolt's checksum of a meta page: FNV-64a of the fields
// before it.
func metaSum(meta []byte) uint64 {
	h := fnv.New64a()
	h.Write(meta[:metaSumLen])
	return h.Sum64()
}

// checkMeta checks the meta page against the file's size.
func (w *walker) checkMeta(m boltMeta) error {
	ps := uint64(m.pageSize)
	switch {
	case ps < 512 || ps > maxPageSize || ps&(ps-1) != 0:
		return fmt.Errorf("page size %d is impossible", ps)
	case m.hwm < 2 || m.hwm > uint64(w.size)/ps:
		return fmt.Errorf("the file is %d bytes but its header says %d pages of %d "+
			"(truncated?)", w.size, m.hwm, ps)
	case m.root < 2 || m.root >= m.hwm:
		return fmt.Errorf("root page %d is out of range", m.root)
	case m.freelist != noFreelist && (m.freelist < 2 || m.freelist >= m.hwm):
		return fmt.Errorf("freelist page %d is out of range", m.freelist)
	}
	return nil
}

// page reads page id with its overflow pages and checks its header.
func (w *walker) page(id uint64) ([]byte, error) {
	ps := uint64(w.meta.pageSize)
	if id < 2 || id >= w.meta.hwm {
		return nil, fmt.Errorf("page %d is out of range", id)
	}
	hdr := make([]byte, pageHeaderLen)
	if _, err := w.f.ReadAt(hdr, int64(id*ps)); err != nil {
		return nil, fmt.Errorf("read page %d: %w", id, err)
	}
	le := binary.NativeEndian
	if got := le.Uint64(hdr); got != id {
		return nil, fmt.Errorf("page %d says it is page %d", id, got)
	}
	span := uint64(le.Uint32(hdr[12:])) + 1
	if err := w.markUsed(id, span); err != nil {
		return nil, err
	}
	buf := make([]byte, span*ps)
	if _, err := w.f.ReadAt(buf, int64(id*ps)); err != nil {
		return nil, fmt.Errorf("read page %d: %w", id, err)
	}
	return buf, nil
}

// markUsed records that pages id to id+span-1 belong to the tree; a page
// reached twice means a cycle or a shared page, and a used page must not
// be free.
func (w *walker) markUsed(id, span uint64) error {
	if span > w.meta.hwm-id {
		return fmt.Errorf("page %d overflows past the end", id)
	}
	for i := id; i < id+span; i++ {
		if w.rep.used[i] || w.rep.free[i] {
			return fmt.Errorf("page %d is used twice (or used and free)", i)
		}
		w.rep.used[i] = true
	}
	return nil
}

// readFreelist reads the free page ids.
func (w *walker) readFreelist() error {
	if w.meta.freelist == noFreelist {
		return nil
	}
	p, err := w.page(w.meta.freelist)
	if err != nil {
		return fmt.Errorf("freelist: %w", err)
	}
	le := binary.NativeEndian
	if le.Uint16(p[8:]) != flagFreelist {
		return fmt.Errorf("freelist page %d has the wrong type", w.meta.freelist)
	}
	count, body := uint64(le.Uint16(p[10:])), p[pageHeaderLen:]
	if count == 0xFFFF {
		count, body = le.Uint64(body), body[8:]
	}
	if count > uint64(len(body))/8 {
		return fmt.Errorf("freelist claims %d pages, more than its page holds", count)
	}
	for i := range count {
		id := le.Uint64(body[i*8:])
		if id < 2 || id >= w.meta.hwm || w.rep.free[id] || w.rep.used[id] {
			return fmt.Errorf("freelist entry %d (page %d) is invalid or repeated", i, id)
		}
		w.rep.free[id] = true
	}
	return nil
}

// walkTree checks the B+tree rooted at page id, whose keys must be at
// least lo and below hi (nil: unbounded).
func (w *walker) walkTree(id uint64, lo, hi []byte, depth int) error {
	if depth > maxTreeDepth {
		return fmt.Errorf("page %d: tree deeper than %d", id, maxTreeDepth)
	}
	p, err := w.page(id)
	if err != nil {
		return err
	}
	kind := binary.NativeEndian.Uint16(p[8:])
	w.rep.kinds[id] = kind
	switch kind {
	case flagBranch:
		return w.walkBranch(id, p, lo, hi, depth)
	case flagLeaf:
		return w.walkLeaf(fmt.Sprintf("page %d", id), p, lo, hi, depth)
	}
	return fmt.Errorf("page %d: unexpected page type %#x", id, p[8])
}

// elems returns each element's 16-byte header and its key, checked
// against the page's bounds and against the order of keys.
func elems(where string, p []byte, lo, hi []byte, withValue bool) ([][]byte, [][]byte, error) {
	le := binary.NativeEndian
	n := int(le.Uint16(p[10:]))
	if n == 0 || pageHeaderLen+n*elemLen > len(p) {
		return nil, nil, fmt.Errorf("%s: %d elements do not fit", where, n)
	}
	hdrs, ks := make([][]byte, n), make([][]byte, n)
	prev := lo
	for i := range n {
		off := pageHeaderLen + i*elemLen
		e := p[off : off+elemLen]
		pos, ksize, vsize := elemSpan(e, withValue)
		start := uint64(off) + pos
		if start+ksize+vsize > uint64(len(p)) {
			return nil, nil, fmt.Errorf("%s: element %d points outside the page", where, i)
		}
		k := p[start : start+ksize]
		if (prev != nil && bytes.Compare(k, prev) < 0) || (i > 0 && bytes.Equal(k, prev)) ||
			(hi != nil && bytes.Compare(k, hi) >= 0) {
			return nil, nil, fmt.Errorf("%s: key %d is out of order", where, i)
		}
		prev = k
		hdrs[i], ks[i] = e, k
	}
	return hdrs, ks, nil
}

// elemSpan reads where an element's key starts (relative to the element)
// and how long its key and value are. Branch elements have no value.
func elemSpan(e []byte, withValue bool) (pos, ksize, vsize uint64) {
	if withValue {
		return u32(e[4:]), u32(e[8:]), u32(e[12:])
	}
	return u32(e), u32(e[4:]), 0
}

// walkBranch checks a branch page and its children.
func (w *walker) walkBranch(id uint64, p []byte, lo, hi []byte, depth int) error {
	where := fmt.Sprintf("page %d", id)
	hdrs, ks, err := elems(where, p, lo, hi, false)
	if err != nil {
		return err
	}
	for i, e := range hdrs {
		childHi := hi
		if i+1 < len(ks) {
			childHi = ks[i+1]
		}
		child := binary.NativeEndian.Uint64(e[8:])
		if err := w.walkTree(child, ks[i], childHi, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// walkLeaf checks a leaf page (or an inline bucket's page) and the
// buckets nested in it.
func (w *walker) walkLeaf(where string, p []byte, lo, hi []byte, depth int) error {
	if binary.NativeEndian.Uint16(p[10:]) == 0 {
		return nil // an empty bucket's root
	}
	hdrs, _, err := elems(where, p, lo, hi, true)
	if err != nil {
		return err
	}
	le := binary.NativeEndian
	for i, e := range hdrs {
		if le.Uint32(e)&flagBucketElem == 0 {
			continue
		}
		pos, ksize, vsize := elemSpan(e, true)
		off := uint64(pageHeaderLen+i*elemLen) + pos + ksize
		v := p[off : off+vsize]
		if err := w.walkBucket(fmt.Sprintf("%s element %d", where, i), v, depth); err != nil {
			return err
		}
	}
	return nil
}

// walkBucket checks a nested bucket from its value: a header and either a
// root page id or, for a small bucket, an inline leaf page.
func (w *walker) walkBucket(where string, v []byte, depth int) error {
	if len(v) < bucketHdrLen {
		return fmt.Errorf("%s: bucket header is %d bytes", where, len(v))
	}
	if root := binary.NativeEndian.Uint64(v); root != 0 {
		return w.walkTree(root, nil, nil, depth+1)
	}
	inline := v[bucketHdrLen:]
	if len(inline) < pageHeaderLen || binary.NativeEndian.Uint16(inline[8:]) != flagLeaf {
		return fmt.Errorf("%s: inline bucket is damaged", where)
	}
	if depth > maxTreeDepth {
		return fmt.Errorf("%s: buckets nested deeper than %d", where, maxTreeDepth)
	}
	return w.walkLeaf(where+" (inline)", inline, nil, nil, depth+1)
}

// u32 reads a native-endian uint32 as a uint64.
func u32(b []byte) uint64 { return uint64(binary.NativeEndian.Uint32(b)) }
