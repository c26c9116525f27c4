package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

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

// tailKeep is how much of the end of an oversized JSON answer is kept to
// find its usage.
const tailKeep = 64 << 10

// cappedBuffer keeps up to limit bytes of an answer and, past that, its
// last bytes only.
type cappedBuffer struct {
	limit    int64
	head     []byte
	tail     []byte
	overflow bool
}

// Write never fails.
func (b *cappedBuffer) Write(p []byte) (int, error) {
	if !b.overflow && int64(len(b.head)+len(p)) <= b.limit {
		b.head = append(b.head, p...)
		return len(p), nil
	}
	if !b.overflow {
		b.overflow = true
		b.tail = append(b.tail, b.head[max(0, len(b.head)-tailKeep):]...)
		b.head = nil
	}
	b.tail = append(b.tail, p...)
	if len(b.tail) > 2*tailKeep {
		b.tail = append(b.tail[:0], b.tail[len(b.tail)-tailKeep:]...)
	}
	return len(p), nil
}

// usage reads the answer's usage: by decoding it whole, or from the
// tail when it was too large to keep.
func (b *cappedBuffer) usage() (model.Usage, bool) {
	if !b.overflow {
		return usageFromJSON(b.head)
	}
	return usageFromTail(b.tail)
}

// usageFromTail finds the last "usage" member in the end of a JSON text
// and decodes its value. A quote inside a JSON string is escaped, so an
// unescaped "usage" followed by a colon is a member name.
func usageFromTail(tail []byte) (model.Usage, bool) {
	const name = `"usage"`
	i := bytes.LastIndex(tail, []byte(name))
	if i < 0 || i > 0 && tail[i-1] == '\\' {
		return model.Usage{}, false
	}
	rest := bytes.TrimLeft(tail[i+len(name):], " \t\r\n")
	if len(rest) == 0 || rest[0] != ':' {
		return model.Usage{}, false
	}
	var u usageJSON
	if json.NewDecoder(bytes.NewReader(rest[1:])).Decode(&u) != nil {
		return model.Usage{}, false
	}
	return u.usage(), true
}

// relayJSON copies a non-streamed answer to the client while keeping it
// to read its usage. It reads to the end even if the client left.
func (g *Gateway) relayJSON(w http.ResponseWriter, resp *http.Response) (
	model.Usage, bool, error) {
	writeResponseHead(w, resp, true)
	cw := newClientWriter(w)
	buf := &cappedBuffer{limit: g.cfg.MaxResponseBytes}
	if n := resp.ContentLength; n > 0 && n <= g.cfg.MaxResponseBytes {
		buf.head = make([]byte, 0, n)
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
