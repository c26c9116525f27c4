package gateway

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"strings"
)

// meteredRoute finds the metered route for a POST whose path differs from
// a metered one only by trailing slashes, so that such a path cannot
// escape metering by passing through.
func meteredRoute(r *http.Request) (route, bool) {
	if r.Method != http.MethodPost {
		return 0, false
	}
	switch strings.TrimRight(r.URL.Path, "/") {
	case "/v1/chat/completions":
		return routeChat, true
	case "/v1/completions":
		return routeCompletions, true
	case "/v1/embeddings":
		return routeEmbeddings, true
	case "/v1/responses":
		return routeResponses, true
	}
	return 0, false
}

// passthrough proxies any other /v1/ request after the key check,
// unmetered. An exhausted token is refused, and a JSON body's model is
// held to the allowlist.
func (g *Gateway) passthrough(w http.ResponseWriter, r *http.Request) {
	if rt, ok := meteredRoute(r); ok {
		g.metered(rt)(w, r)
		return
	}
	l := newLog(r.Method, r.URL.Path, "passthrough", false)
	defer g.logRequest(l)
	body, length, aerr := g.admitPassthrough(w, r, l)
	if aerr != nil {
		l.refuse(w, aerr)
		return
	}
	g.proxy(w, r, body, length, l)
}

// admitPassthrough checks the key and quota and, for a JSON body, the
// model. It returns the body to forward.
func (g *Gateway) admitPassthrough(w http.ResponseWriter, r *http.Request,
	l *reqLog) (io.Reader, int64, *apiError) {
	acct, aerr := g.authLogged(r, l)
	switch {
	case aerr != nil:
		return nil, 0, aerr
	case acct.exhausted():
		return nil, 0, errQuota()
	case !isJSON(r.Header.Get("Content-Type")):
		return r.Body, r.ContentLength, nil
	}
	return g.passthroughJSON(w, r, acct, l)
}

// passthroughJSON reads a JSON body and holds its model, if any, to the
// allowlist.
func (g *Gateway) passthroughJSON(w http.ResponseWriter, r *http.Request,
	acct account, l *reqLog) (io.Reader, int64, *apiError) {
	body, aerr := readBody(w, r, g.cfg.MaxBodyBytes)
	if aerr != nil {
		return nil, 0, aerr
	}
	fields, aerr := parseFields(body)
	if aerr != nil { // not an object: the upstream will say so
		return bytes.NewReader(body), int64(len(body)), nil
	}
	name, canonical, aerr := checkedModel(fields, acct)
	l.model = name
	if aerr != nil {
		return nil, 0, aerr
	}
	return bytes.NewReader(canonical), int64(len(canonical)), nil
}

// isJSON reports whether a content type is JSON.
func isJSON(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}

// checkedModel holds a JSON body's model, if it names one, to the
// allowlist, and re-encodes the body without case variants of "model" so
// that the upstream reads the model that was checked.
func checkedModel(fields map[string]json.RawMessage, acct account) (string,
	[]byte, *apiError) {
	dropCaseVariants(fields, "model")
	var name string
	if raw, ok := fields["model"]; ok && string(raw) != "null" {
		if json.Unmarshal(raw, &name) != nil {
			return "", nil, errMissingModel()
		}
		if !acct.tok.AllowsModel(name) {
			return name, nil, errModelNotAllowed(name)
		}
	}
	canonical, err := json.Marshal(fields)
	if err != nil {
		return name, nil, errInvalidJSON("re-encode: " + jsonProblem(err))
	}
	return name, canonical, nil
}

// proxy forwards a request unmetered and copies the answer back as it
// comes. The upstream call ends when the client leaves.
func (g *Gateway) proxy(w http.ResponseWriter, r *http.Request, body io.Reader,
	length int64, l *reqLog) {
	up, err := g.upstreamRequest(r.Context(), r, body, length, false)
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
		g.log.Warn("upstream answer cut short", "route", l.route, "err", err)
	}
}
