package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"unicode/utf8"

	"keyward/model"
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

// path is the route's path below the upstream's base URL. A metered
// request always goes upstream to this path, whatever spelling of it the
// client used (a trailing slash, other letter case, escapes).
func (r route) path() string {
	switch r {
	case routeChat:
		return "/chat/completions"
	case routeCompletions:
		return "/completions"
	case routeEmbeddings:
		return "/embeddings"
	default:
		return "/responses"
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
// the usage chunk. "stream" must be a JSON boolean and "stream_options"
// an object: a lax upstream would read "stream":"true" or 1 as a stream
// that the gateway did not ask usage for, and serve it free.
func parseRequest(body []byte, rt route) (apiRequest, *apiError) {
	fields, aerr := parseFields(body)
	if aerr != nil {
		return apiRequest{}, aerr
	}
	dropCaseVariants(fields, "model", "stream", "stream_options")
	var req apiRequest
	if req.model, aerr = modelField(fields); aerr != nil {
		return apiRequest{}, aerr
	}
	if req.stream, aerr = boolField(fields, "stream"); aerr != nil {
		return apiRequest{}, aerr
	}
	opts, aerr := streamOptions(fields)
	if aerr != nil {
		return apiRequest{}, aerr
	}
	if req.stream && rt.streamsUsage() {
		req.clientUsage = askUsage(fields, opts)
	}
	out, err := json.Marshal(fields)
	if err != nil {
		return apiRequest{}, errInvalidJSON("re-encode: " + jsonProblem(err))
	}
	req.body = out
	return req, nil
}

// modelField reads the "model" string of a metered request.
func modelField(fields map[string]json.RawMessage) (string, *apiError) {
	var name string
	if json.Unmarshal(fields["model"], &name) != nil || name == "" {
		return "", errMissingModel()
	}
	return name, checkModelName(name)
}

// checkModelName refuses a model name longer than any the catalog or an
// allowlist can hold.
func checkModelName(name string) *apiError {
	if utf8.RuneCountInString(name) > model.MaxModelLen {
		return errInvalidValue("model", fmt.Sprintf("The model name is over %d "+
			"characters, longer than any model this gateway serves.",
			model.MaxModelLen))
	}
	return nil
}

// boolField reads an optional boolean field: absent or null is false,
// and anything but true, false or null is refused.
func boolField(fields map[string]json.RawMessage, name string) (bool, *apiError) {
	raw, ok := fields[name]
	if !ok {
		return false, nil
	}
	switch string(bytes.TrimSpace(raw)) {
	case "true":
		return true, nil
	case "false", "null":
		return false, nil
	}
	return false, errInvalidValue(name, fmt.Sprintf("%q must be true or false "+
		"(a JSON boolean, not a string or a number).", name))
}

// streamOptions reads "stream_options", which must be absent, null or an
// object whose include_usage, if any, is a boolean. It returns the
// object's fields (nil when there is none), without case variants of
// include_usage.
func streamOptions(fields map[string]json.RawMessage) (map[string]json.RawMessage,
	*apiError) {
	raw, ok := fields["stream_options"]
	raw = bytes.TrimSpace(raw)
	if !ok || string(raw) == "null" {
		return nil, nil
	}
	var opts map[string]json.RawMessage
	if len(raw) == 0 || raw[0] != '{' || json.Unmarshal(raw, &opts) != nil {
		return nil, errInvalidValue("stream_options",
			`"stream_options" must be an object, such as {"include_usage":true}.`)
	}
	dropCaseVariants(opts, "include_usage")
	if _, aerr := boolField(opts, "include_usage"); aerr != nil {
		aerr.param = "stream_options"
		aerr.message = `"stream_options.include_usage" must be true or false.`
		return nil, aerr
	}
	return opts, nil
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
// stream options (opts, checked by streamOptions), and reports whether
// the client had set it itself.
func askUsage(fields, opts map[string]json.RawMessage) (clientAsked bool) {
	if opts == nil {
		opts = map[string]json.RawMessage{}
	}
	clientAsked, _ = boolField(opts, "include_usage")
	opts["include_usage"] = json.RawMessage("true")
	if raw, err := json.Marshal(opts); err == nil {
		fields["stream_options"] = raw
	}
	return clientAsked
}
