package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
)

// meteredRoute finds the metered route a path names, in any letter case
// and with or without a trailing slash, so that no spelling of a metered
// path can pass through unmetered (some servers match paths regardless
// of case).
func meteredRoute(path string) (route, bool) {
	p := strings.ToLower(strings.TrimSuffix(path, "/"))
	for rt := routeChat; rt <= routeResponses; rt++ {
		if p == "/v1"+rt.path() {
			return rt, true
		}
	}
	return 0, false
}

// methodsBelow names the methods that pass through below a metered
// route's path (stored chat completions and responses can be read and
// deleted) and on the model list (read only); "" means any method.
func methodsBelow(path string) string {
	p := strings.ToLower(path)
	if p == "/v1/models" || strings.HasPrefix(p, "/v1/models/") {
		return "GET"
	}
	for rt := routeChat; rt <= routeResponses; rt++ {
		if strings.HasPrefix(p, "/v1"+rt.path()+"/") {
			return "GET, DELETE"
		}
	}
	return ""
}

// allowedBelow reports whether a method may pass through on path, given
// what methodsBelow allows there. A background response can be canceled:
// POST /v1/responses/{id}/cancel creates nothing.
func allowedBelow(method, path, allow string) bool {
	switch {
	case allow == "":
		return true
	case method == http.MethodGet || method == http.MethodHead:
		return true
	case method == http.MethodDelete:
		return strings.Contains(allow, "DELETE")
	case method == http.MethodPost:
		parts := strings.Split(strings.Trim(strings.ToLower(path), "/"), "/")
		return len(parts) == 4 && parts[1] == "responses" && parts[3] == "cancel"
	}
	return false
}

// passthrough proxies any other /v1/ request after the key check,
// unmetered. It sends a metered path to its metered route (or refuses a
// method other than POST there), refuses methods that could create or
// delete on paths below the metered routes and the model list, refuses
// an exhausted token, and holds a body's model to the allowlist.
func (g *Gateway) passthrough(w http.ResponseWriter, r *http.Request) {
	if rt, ok := meteredRoute(r.URL.Path); ok && r.Method == http.MethodPost {
		g.metered(rt)(w, r)
		return
	}
	l := newLog(r.Method, r.URL.Path, "passthrough", false)
	defer g.logRequest(l)
	if _, ok := meteredRoute(r.URL.Path); ok {
		l.refuse(w, errMethod("POST"))
		return
	}
	if allow := methodsBelow(r.URL.Path); !allowedBelow(r.Method, r.URL.Path, allow) {
		l.refuse(w, errMethod(allow))
		return
	}
	if g.cfg.NoPassthrough {
		l.refuse(w, errNoPassthrough())
		return
	}
	body, length, aerr := g.admitPassthrough(w, r, l)
	if aerr != nil {
		l.refuse(w, aerr)
		return
	}
	g.proxy(w, r, body, length, l)
}

// admitPassthrough checks the key and quota, then reads the body (up to
// the size limit) and holds the model it names, if any, to the
// allowlist and the price rule. It returns the body to forward.
func (g *Gateway) admitPassthrough(w http.ResponseWriter, r *http.Request,
	l *reqLog) (io.Reader, int64, *apiError) {
	acct, aerr := g.authLogged(r, l)
	switch {
	case aerr != nil:
		return nil, 0, aerr
	case acct.exhausted():
		return nil, 0, errQuota()
	case r.Body == nil || r.Body == http.NoBody:
		return http.NoBody, 0, nil
	}
	body, aerr := readBody(w, r, g.cfg.MaxBodyBytes)
	if aerr != nil {
		return nil, 0, aerr
	}
	names, out, aerr := bodyModels(r.Header.Get("Content-Type"), body)
	if aerr != nil {
		return nil, 0, aerr
	}
	for _, name := range names {
		l.model = name
		if _, _, aerr := g.checkModel(acct, name); aerr != nil {
			return nil, 0, aerr
		}
	}
	return bytes.NewReader(out), int64(len(out)), nil
}

// bodyModels finds the models a passthrough body names, whatever its
// Content-Type says (an upstream may parse JSON regardless): a JSON
// object's "model" (the body is re-encoded without case variants of it,
// so that the upstream reads the model that was checked), else every
// "model" field of a multipart or URL-encoded form. It returns the body
// to forward.
func bodyModels(contentType string, body []byte) ([]string, []byte, *apiError) {
	if fields, aerr := parseFields(body); aerr == nil {
		return jsonModel(fields)
	}
	mt, params, err := mime.ParseMediaType(contentType)
	switch {
	case err != nil:
		return nil, body, nil
	case mt == "multipart/form-data":
		names, aerr := multipartModels(body, params["boundary"])
		return names, body, aerr
	case mt == "application/x-www-form-urlencoded":
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, nil, errInvalidBody("the form is not URL-encoded")
		}
		var names []string
		for k, vs := range form {
			if strings.EqualFold(k, "model") {
				names = append(names, vs...)
			}
		}
		return names, body, nil
	}
	return nil, body, nil
}

// jsonModel reads a JSON object's model, if it names one, and re-encodes
// the object without case variants of "model".
func jsonModel(fields map[string]json.RawMessage) ([]string, []byte, *apiError) {
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

// maxFormModel is the most bytes of a multipart "model" field read.
const maxFormModel = 4 << 10

// multipartModels reads every "model" field (in any letter case) of a
// multipart form. A form that cannot be read is refused: the upstream's
// parser might read a model from it that the gateway did not see.
func multipartModels(body []byte, boundary string) ([]string, *apiError) {
	if boundary == "" {
		return nil, errInvalidBody("the multipart form has no boundary")
	}
	mr := multipart.NewReader(bytes.NewReader(body), boundary)
	var names []string
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return names, nil
		}
		if err != nil {
			return nil, errInvalidBody("the multipart form is malformed")
		}
		if !strings.EqualFold(part.FormName(), "model") {
			continue
		}
		value, err := io.ReadAll(io.LimitReader(part, maxFormModel))
		if err != nil {
			return nil, errInvalidBody("the multipart form is malformed")
		}
		names = append(names, string(value))
	}
}

// proxy forwards a request unmetered and copies the answer back as it
// comes. The upstream call ends when the client leaves.
func (g *Gateway) proxy(w http.ResponseWriter, r *http.Request, body io.Reader,
	length int64, l *reqLog) {
	up, err := g.upstreamRequest(r.Context(), r, g.target(r), body, length, false)
	var resp *http.Response
	if err == nil {
		resp, err = g.roundTrip(up)
	}
	if err != nil {
		g.upstreamDown(w, l, err)
		return
	}
	defer func() { _ = resp.Body.Close() }()
	l.status = resp.StatusCode
	writeResponseHead(w, resp, true)
	if err := g.copyFlush(newClientWriter(w), resp.Body); err != nil {
		g.log.Warn("upstream answer cut short", "route", l.route, "err", safeErr(err))
	}
}
