package gateway

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"keyward/model"
)

// sseRelay copies server-sent events from the upstream to the client one
// event at a time, flushing after each, and reads the usage on the way.
type sseRelay struct {
	src       *bufio.Reader
	dst       *clientWriter
	rt        route
	dropUsage bool // remove the usage-only chunk the client did not ask for
	limit     int64
	usage     model.Usage
	found     bool
}

// relayStream relays a streamed answer and returns its usage.
func (g *Gateway) relayStream(w http.ResponseWriter, resp *http.Response,
	rt route, req apiRequest) (model.Usage, bool, error) {
	writeResponseHead(w, resp, false)
	s := &sseRelay{src: bufio.NewReaderSize(resp.Body, 16<<10),
		dst: newClientWriter(w), rt: rt, limit: g.cfg.MaxResponseBytes,
		dropUsage: rt.streamsUsage() && !req.clientUsage}
	s.dst.Flush()
	if err := s.run(); err != nil {
		return s.usage, s.found, &upstreamError{err: err}
	}
	return s.usage, s.found, nil
}

// run relays events until the upstream ends the stream.
func (s *sseRelay) run() error {
	var event []byte
	for {
		line, err := s.readLine()
		event = append(event, line...)
		if int64(len(event)) > s.limit {
			return fmt.Errorf("an event is over %d bytes", s.limit)
		}
		if len(event) > 0 && (isBlankLine(line) || err != nil) {
			s.handle(event)
			event = event[:0]
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// readLine reads one line, its end of line included, refusing lines over
// the response limit.
func (s *sseRelay) readLine() ([]byte, error) {
	line, err := s.src.ReadSlice('\n')
	if !errors.Is(err, bufio.ErrBufferFull) {
		return line, err
	}
	long := append([]byte(nil), line...)
	for errors.Is(err, bufio.ErrBufferFull) {
		if int64(len(long)) > s.limit {
			return nil, fmt.Errorf("an event line is over %d bytes", s.limit)
		}
		line, err = s.src.ReadSlice('\n')
		long = append(long, line...)
	}
	return long, err
}

// isBlankLine reports whether line ends an event.
func isBlankLine(line []byte) bool {
	return len(line) > 0 && len(bytes.TrimRight(line, "\r\n")) == 0
}

// handle reads one event's usage and passes it on, unless it is the
// usage-only chunk that the client did not ask for.
func (s *sseRelay) handle(event []byte) {
	data := eventData(event)
	if bytes.Contains(data, []byte(`"usage"`)) {
		if s.rt == routeResponses {
			s.readResponsesEvent(data)
		} else if s.readChunk(data) {
			return
		}
	}
	_, _ = s.dst.Write(event)
	s.dst.Flush()
}

// eventData joins the data lines of an event.
func eventData(event []byte) []byte {
	var data []byte
	for len(event) > 0 {
		line := event
		if i := bytes.IndexByte(event, '\n'); i >= 0 {
			line, event = event[:i], event[i+1:]
		} else {
			event = nil
		}
		line = bytes.TrimRight(line, "\r")
		if v, ok := bytes.CutPrefix(line, []byte("data:")); ok {
			if data != nil {
				data = append(data, '\n')
			}
			data = append(data, bytes.TrimPrefix(v, []byte(" "))...)
		}
	}
	return data
}

// streamChunk is the part of a chat or completions chunk the gateway
// reads.
type streamChunk struct {
	Choices []struct{} `json:"choices"`
	Usage   *usageJSON `json:"usage"`
}

// readChunk records a chunk's usage and reports whether the chunk should
// be dropped: a usage-only chunk (no choices) the client did not ask for.
func (s *sseRelay) readChunk(data []byte) (drop bool) {
	var c streamChunk
	if json.Unmarshal(data, &c) != nil || c.Usage == nil {
		return false
	}
	s.usage, s.found = c.Usage.usage(), true
	return s.dropUsage && len(c.Choices) == 0
}

// responsesEvent is the part of a /v1/responses stream event the gateway
// reads: the final events carry the whole response with its usage.
type responsesEvent struct {
	Type     string `json:"type"`
	Response *struct {
		Usage *usageJSON `json:"usage"`
	} `json:"response"`
}

// readResponsesEvent records the usage of response.completed (or
// .incomplete or .failed, which are billed too).
func (s *sseRelay) readResponsesEvent(data []byte) {
	var e responsesEvent
	if json.Unmarshal(data, &e) != nil || e.Response == nil ||
		e.Response.Usage == nil {
		return
	}
	switch e.Type {
	case "response.completed", "response.incomplete", "response.failed":
		s.usage, s.found = e.Response.Usage.usage(), true
	}
}
