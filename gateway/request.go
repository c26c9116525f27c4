package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
)

// route is one of the metered endpoints.
type route int

// The metered routes.
const (
	routeChat route = iota
	routeCompletions
	routeEmbeddings
	routeResponses
)

// String names the route in logs.
func (r route) String() string {
	switch r {
	case routeChat:
		return "chat.completions"
	case routeCompletions:
		return "completions"
	case routeEmbeddings:
		return "embeddings"
	default:
		return "responses"
	}
}

// streamsUsage reports whether the route takes stream_options.include_usage.
func (r route) streamsUsage() bool {
	return r == routeChat || r == routeCompletions
}

// apiRequest is what the gateway reads from a client's JSON body.
type apiRequest struct {
	model  string
	stream bool
	// clientUsage is true when the client asked for the usage chunk
	// itself, so it must reach the client.
	clientUsage bool
	// body is what goes upstream: the client's fields re-encoded with
	// exact (case-sensitive) key matching, so the upstream reads the same
	// model the gateway checked.
	body []byte
}

// readBody reads a request body up to limit bytes.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte,
	*apiError) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return nil, errTooLarge(limit)
	case err != nil:
		return nil, errInvalidJSON("the body could not be read")
	}
	return body, nil
}

// parseFields decodes a JSON object into its top-level fields. Keys match
// exactly: encoding/json's case-insensitive struct matching would let
// {"model":"a","Model":"b"} mean b here and a upstream.
func parseFields(body []byte) (map[string]json.RawMessage, *apiError) {
	var fields map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&fields); err != nil {
		return nil, errInvalidJSON("decode: " + jsonProblem(err))
	}
	if dec.More() {
		return nil, errInvalidJSON("there is data after the JSON object")
	}
	if fields == nil {
		return nil, errInvalidJSON("it is null")
	}
	return fields, nil
}

// jsonProblem describes a decoding error without echoing the body.
func jsonProblem(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return "syntax error"
	case errors.As(err, &typ):
		return "expected an object"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "the body is empty or cut short"
	}
	return "invalid JSON"
}

// parseRequest reads the model and stream settings of a metered request
// and, for a streamed chat or completions request, asks the upstream for
// the usage chunk.
func parseRequest(body []byte, rt route) (apiRequest, *apiError) {
	fields, aerr := parseFields(body)
	if aerr != nil {
		return apiRequest{}, aerr
	}
	dropCaseVariants(fields, "model", "stream", "stream_options")
	var req apiRequest
	if json.Unmarshal(fields["model"], &req.model) != nil || req.model == "" {
		return apiRequest{}, errMissingModel()
	}
	_ = json.Unmarshal(fields["stream"], &req.stream) // not a bool: not streamed
	if req.stream && rt.streamsUsage() {
		req.clientUsage = askUsage(fields)
	}
	out, err := json.Marshal(fields)
	if err != nil {
		return apiRequest{}, errInvalidJSON("re-encode: " + jsonProblem(err))
	}
	req.body = out
	return req, nil
}

// dropCaseVariants removes keys that differ from the names given only in
// case ("Model"), which an upstream matching names case-insensitively
// (as Go's encoding/json does) could read instead of the checked one.
func dropCaseVariants(fields map[string]json.RawMessage, names ...string) {
	for k := range fields {
		for _, n := range names {
			if k != n && strings.EqualFold(k, n) {
				delete(fields, k)
			}
		}
	}
}

// askUsage sets stream_options.include_usage to true, keeping the other
// stream options, and reports whether the client had set it itself.
func askUsage(fields map[string]json.RawMessage) (clientAsked bool) {
	var opts map[string]json.RawMessage
	_ = json.Unmarshal(fields["stream_options"], &opts) // absent or null
	if opts == nil {
		opts = map[string]json.RawMessage{}
	}
	_ = json.Unmarshal(opts["include_usage"], &clientAsked)
	opts["include_usage"] = json.RawMessage("true")
	if raw, err := json.Marshal(opts); err == nil {
		fields["stream_options"] = raw
	}
	return clientAsked
}
