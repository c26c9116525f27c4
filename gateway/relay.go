package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"

	"keyward/model"
)

// clientWriter writes to the client until the first failure (the client
// went away) and then swallows writes, so the upstream's answer can still
// be read to its end and metered.
type clientWriter struct {
	w   http.ResponseWriter
	rc  *http.ResponseController
	err error
}

func newClientWriter(w http.ResponseWriter) *clientWriter {
	return &clientWriter{w: w, rc: http.NewResponseController(w)}
}

// Write never fails; see gone.
func (c *clientWriter) Write(p []byte) (int, error) {
	if c.err == nil {
		_, c.err = c.w.Write(p)
	}
	return len(p), nil
}

// Flush sends what was written so far.
func (c *clientWriter) Flush() {
	if c.err != nil {
		return
	}
	if err := c.rc.Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
		c.err = err
	}
}

// gone reports whether the client stopped taking the answer.
func (c *clientWriter) gone() bool { return c.err != nil }

// What relayJSON keeps of a JSON answer to read its usage: the whole
// answer when it fits in headKeep+tailKeep bytes, else its first headKeep
// and last tailKeep bytes (OpenAI-style servers put usage at the end, a
// few at the start). Memory per answer is thus bounded whatever its size.
const (
	headKeep = 64 << 10
	tailKeep = 256 << 10
)

// answerBuffer keeps the start and the end of an answer.
type answerBuffer struct {
	head []byte // the first headKeep bytes
	tail []byte // what follows head: up to 2*tailKeep, cut to the last tailKeep
	cut  bool   // bytes between head and tail were dropped
	pool *sync.Pool
}

// Write never fails.
func (b *answerBuffer) Write(p []byte) (int, error) {
	n := len(p)
	if room := headKeep - len(b.head); room > 0 {
		k := min(room, len(p))
		b.head = append(b.head, p[:k]...)
		p = p[k:]
	}
	for len(p) > 0 {
		if b.tail == nil {
			b.tail = b.newTail()
		}
		k := min(cap(b.tail)-len(b.tail), len(p))
		b.tail = append(b.tail, p[:k]...)
		p = p[k:]
		if len(b.tail) == cap(b.tail) {
			b.tail = b.tail[:copy(b.tail, b.tail[len(b.tail)-tailKeep:])]
			b.cut = true
		}
	}
	return n, nil
}

// newTail takes a 2*tailKeep buffer from the pool, if any.
func (b *answerBuffer) newTail() []byte {
	if b.pool != nil {
		if t, ok := b.pool.Get().(*[]byte); ok {
			return (*t)[:0]
		}
	}
	return make([]byte, 0, 2*tailKeep)
}

// release gives the tail buffer back to the pool.
func (b *answerBuffer) release() {
	if b.pool != nil && cap(b.tail) == 2*tailKeep {
		t := b.tail[:0]
		b.pool.Put(&t)
	}
	b.tail = nil
}

// usage reads the answer's usage: by decoding it whole when it was kept
// whole, else from the last "usage" member of its end or the first of
// its start.
func (b *answerBuffer) usage() (model.Usage, bool) {
	if !b.cut {
		var top topUsage
		whole := io.MultiReader(bytes.NewReader(b.head), bytes.NewReader(b.tail))
		if json.NewDecoder(whole).Decode(&top) != nil || top.Usage == nil {
			return model.Usage{}, false
		}
		return top.Usage.usage(), true
	}
	if u, ok := usageFromPart(b.tail, true); ok {
		return u, true
	}
	return usageFromPart(b.head, false)
}

// usageFromTail finds the last "usage" member in the end of a JSON text
// and decodes its value.
func usageFromTail(tail []byte) (model.Usage, bool) {
	return usageFromPart(tail, true)
}

// usageFromPart finds a "usage" member with an object value in part of a
// JSON text, the last one (or with last false the first one), and decodes
// it. In JSON text every quote inside a string is escaped, so "usage"
// with an unescaped opening quote, followed by a colon, is a member name
// and not text the model wrote.
func usageFromPart(part []byte, last bool) (model.Usage, bool) {
	name := []byte(`"usage"`)
	lo, hi := 0, len(part) // the window still to search
	for {
		i := bytes.Index(part[lo:hi], name)
		if last {
			i = bytes.LastIndex(part[lo:hi], name)
		}
		if i < 0 {
			return model.Usage{}, false
		}
		at := lo + i
		if u, ok := usageAt(part, at, at+len(name)); ok {
			return u, true
		}
		if last {
			hi = at
		} else {
			lo = at + len(name)
		}
	}
}

// usageAt decodes the usage object of a member name at part[start:end],
// if the name's quote is not escaped and a colon and an object follow.
func usageAt(part []byte, start, end int) (model.Usage, bool) {
	slashes := 0
	for j := start - 1; j >= 0 && part[j] == '\\'; j-- {
		slashes++
	}
	if slashes%2 == 1 {
		return model.Usage{}, false
	}
	rest := bytes.TrimLeft(part[end:], " \t\r\n")
	if len(rest) == 0 || rest[0] != ':' {
		return model.Usage{}, false
	}
	var u *usageJSON
	if json.NewDecoder(bytes.NewReader(rest[1:])).Decode(&u) != nil || u == nil {
		return model.Usage{}, false
	}
	return u.usage(), true
}

// relayJSON copies a non-streamed answer to the client as it arrives
// while keeping its start and end to read its usage. It reads to the end
// even if the client left.
func (g *Gateway) relayJSON(w http.ResponseWriter, resp *http.Response) (
	model.Usage, bool, error) {
	writeResponseHead(w, resp, true)
	cw := newClientWriter(w)
	buf := &answerBuffer{pool: &g.tails}
	defer buf.release()
	if n := resp.ContentLength; n > 0 {
		buf.head = make([]byte, 0, min(n, headKeep))
	}
	copyBuf := g.bufs.Get().(*[]byte)
	defer g.bufs.Put(copyBuf)
	_, err := io.CopyBuffer(io.MultiWriter(cw, buf), resp.Body, *copyBuf)
	if err != nil {
		return model.Usage{}, false, &upstreamError{err: err}
	}
	if resp.StatusCode/100 != 2 {
		return model.Usage{}, false, nil
	}
	u, ok := buf.usage()
	return u, ok, nil
}

// copyFlush copies an unmetered answer, flushing after every read so
// that streams pass through as they come.
func (g *Gateway) copyFlush(cw *clientWriter, src io.Reader) error {
	pooled := g.bufs.Get().(*[]byte)
	defer g.bufs.Put(pooled)
	buf := *pooled
	for !cw.gone() {
		n, err := src.Read(buf)
		if n > 0 {
			_, _ = cw.Write(buf[:n])
			cw.Flush()
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// isEventStream reports whether an answer is server-sent events.
func isEventStream(resp *http.Response) bool {
	ct := resp.Header.Get("Content-Type")
	return strings.HasPrefix(strings.ToLower(strings.TrimSpace(ct)),
		"text/event-stream")
}
