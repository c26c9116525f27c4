package gateway

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
)

// utf8BOM is the byte order mark some clients put before a JSON body;
// lenient parsers (Python's json.loads on bytes) skip it.
const utf8BOM = "\xef\xbb\xbf"

// passBody is what the gateway made of a passthrough body.
type passBody struct {
	names []string // the models it names
	out   []byte   // the body to forward
	// sure is false when the gateway could not read the body with
	// certainty (an encoding, an unknown format, data after the JSON):
	// a lenient upstream might find a model in it that was not checked.
	sure bool
}

// bodyModels finds the models a passthrough body names, whatever its
// Content-Type says (an upstream may parse JSON regardless). The body is
// read with certainty when, after a BOM and white space, it is one JSON
// value (an object's "model", or each object's in an array; the value
// is forwarded re-encoded without case variants of "model", so that the
// upstream reads the model that was checked), a URL-encoded form or a
// multipart/form-data body that parses completely. A form that says it
// is one but cannot be parsed is refused.
func bodyModels(h http.Header, body []byte) (passBody, *apiError) {
	if encoded(h) {
		return passBody{out: body}, nil
	}
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	trimmed = bytes.TrimSpace(bytes.TrimPrefix(trimmed, []byte(utf8BOM)))
	if len(trimmed) == 0 {
		return passBody{out: body, sure: true}, nil
	}
	mt, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil {
		mt = ""
	}
	if json.Valid(trimmed) {
		pb, aerr := jsonModels(trimmed)
		if aerr == nil && mt == "application/x-www-form-urlencoded" {
			form, _ := url.ParseQuery(string(body)) // read as much as a lax parser
			pb.names = append(pb.names, formModels(form)...)
		}
		return pb, aerr
	}
	switch mt {
	case "multipart/form-data":
		names, aerr := multipartModels(body, params["boundary"])
		return passBody{names: names, out: body, sure: true}, aerr
	case "application/x-www-form-urlencoded":
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return passBody{}, errInvalidBody("the form is not URL-encoded")
		}
		return passBody{names: formModels(form), out: body, sure: true}, nil
	}
	return passBody{out: body}, nil
}

// encoded reports whether a request body has a Content-Encoding other
// than identity: the gateway does not decompress bodies to check them.
func encoded(h http.Header) bool {
	for _, v := range h.Values("Content-Encoding") {
		for _, c := range strings.Split(v, ",") {
			c = strings.TrimSpace(c)
			if c != "" && !strings.EqualFold(c, "identity") {
				return true
			}
		}
	}
	return false
}

// jsonModels reads the models of one valid JSON value: an object's, or
// those of each object in an array. Other values name no model.
func jsonModels(value []byte) (passBody, *apiError) {
	switch value[0] {
	case '{':
		names, out, aerr := objectModel(value)
		return passBody{names: names, out: out, sure: true}, aerr
	case '[':
		return arrayModels(value)
	}
	return passBody{out: value, sure: true}, nil
}

// arrayModels reads the model of each object in a JSON array and
// re-encodes the array with each object cleaned as objectModel does.
func arrayModels(value []byte) (passBody, *apiError) {
	var elems []json.RawMessage
	if err := json.Unmarshal(value, &elems); err != nil {
		return passBody{}, errInvalidJSON("decode: " + jsonProblem(err))
	}
	pb := passBody{sure: true}
	for i, el := range elems {
		el = bytes.TrimSpace(el)
		if len(el) == 0 || el[0] != '{' {
			continue
		}
		names, out, aerr := objectModel(el)
		if aerr != nil {
			return passBody{}, aerr
		}
		pb.names = append(pb.names, names...)
		elems[i] = out
	}
	out, err := json.Marshal(elems)
	if err != nil {
		return passBody{}, errInvalidJSON("re-encode: " + jsonProblem(err))
	}
	pb.out = out
	return pb, nil
}

// objectModel reads a JSON object's model, if it names one, and
// re-encodes the object without case variants of "model".
func objectModel(value []byte) ([]string, []byte, *apiError) {
	fields, aerr := parseFields(value)
	if aerr != nil {
		return nil, nil, aerr
	}
	dropCaseVariants(fields, "model")
	var names []string
	if raw, ok := fields["model"]; ok && string(bytes.TrimSpace(raw)) != "null" {
		var name string
		if json.Unmarshal(raw, &name) != nil {
			return nil, nil, errMissingModel()
		}
		names = append(names, name)
	}
	canonical, err := json.Marshal(fields)
	if err != nil {
		return nil, nil, errInvalidJSON("re-encode: " + jsonProblem(err))
	}
	return names, canonical, nil
}

// isModelKey reports whether a form or query key names a model: "model"
// in any letter case, also with a bracket suffix ("model[]") that some
// frameworks read as the same field.
func isModelKey(k string) bool {
	if i := strings.IndexByte(k, '['); i >= 0 {
		k = k[:i]
	}
	return strings.EqualFold(strings.TrimSpace(k), "model")
}

// formModels returns every value of a form's model keys.
func formModels(form url.Values) []string {
	var names []string
	for k, vs := range form {
		if isModelKey(k) {
			names = append(names, vs...)
		}
	}
	return names
}

// maxFormModel is the most bytes of a multipart "model" field read.
const maxFormModel = 4 << 10

// multipartModels reads every model field of a multipart form. The form
// must parse completely, up to its closing boundary (a boundary that is
// not in the body is refused): the upstream's parser might read a model
// from it that the gateway did not see.
func multipartModels(body []byte, boundary string) ([]string, *apiError) {
	if boundary == "" {
		return nil, errInvalidBody("the multipart form has no boundary")
	}
	mr := multipart.NewReader(bytes.NewReader(body), boundary)
	var names []string
	for {
		part, err := mr.NextPart()
		if err == io.EOF { // exactly: a missing boundary is a wrapped EOF
			return names, nil
		}
		if err != nil {
			return nil, errInvalidBody("the multipart form is malformed or its " +
				"boundary does not match the Content-Type")
		}
		value, err := io.ReadAll(io.LimitReader(part, maxFormModel))
		if err == nil {
			_, err = io.Copy(io.Discard, part)
		}
		if err != nil {
			return nil, errInvalidBody("the multipart form is malformed")
		}
		if isModelKey(part.FormName()) {
			names = append(names, string(value))
		}
	}
}

// queryModels returns every model parameter of a raw query string. Both
// "&" and ";" separate parameters, as some servers split on either. ok is
// false when a key or a model value has a malformed %-escape, which
// servers read in different ways.
func queryModels(raw string) (names []string, ok bool) {
	ok = true
	for _, pair := range strings.FieldsFunc(raw, func(c rune) bool {
		return c == '&' || c == ';'
	}) {
		k, v, _ := strings.Cut(pair, "=")
		key, err := url.QueryUnescape(k)
		if err != nil {
			ok = false
			continue
		}
		if !isModelKey(key) {
			continue
		}
		value, err := url.QueryUnescape(v)
		if err != nil {
			ok = false
			continue
		}
		names = append(names, value)
	}
	return names, ok
}
