package gateway

import (
	"bytes"
	"io"
	"net/http"
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

// passthroughRoute names the route a request refused or forwarded by
// passthrough is logged under: the metered route or the model list whose
// path it names, else "passthrough".
func passthroughRoute(path string) string {
	if rt, ok := meteredRoute(path); ok {
		return rt.String()
	}
	p := strings.ToLower(path)
	if p == "/v1/models" || strings.HasPrefix(p, "/v1/models/") {
		return "models"
	}
	return "passthrough"
}

// modelsPathMiscased reports whether path names the model list in
// another letter case than /v1/models.
func modelsPathMiscased(path string) bool {
	p := strings.ToLower(path)
	named := p == "/v1/models" || strings.HasPrefix(p, "/v1/models/")
	return named && path[:len("/v1/models")] != "/v1/models"
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
// POST /v1/responses/{id}/cancel creates nothing. HEAD is refused where
// methods are restricted: only the methods named pass.
func allowedBelow(method, path, allow string) bool {
	switch {
	case allow == "":
		return true
	case method == http.MethodGet:
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
	l := newLog(r.Method, r.URL.Path, passthroughRoute(r.URL.Path), false)
	defer g.logRequest(l)
	if modelsPathMiscased(r.URL.Path) {
		// The model list is filtered only at its exact spelling; another
		// spelling could reach an upstream that ignores case unfiltered.
		l.refuse(w, errInvalidPath())
		return
	}
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

// admitPassthrough checks the key and quota, holds every model the query
// names to the allowlist and the price rule, then reads the body (up to
// the size limit) and holds the models it names to them too. For a
// token whose models are restricted, a body the gateway cannot read with
// certainty is refused. It returns the body to forward.
func (g *Gateway) admitPassthrough(w http.ResponseWriter, r *http.Request,
	l *reqLog) (io.Reader, int64, *apiError) {
	acct, aerr := g.authLogged(r, l)
	switch {
	case aerr != nil:
		return nil, 0, aerr
	case acct.exhausted():
		return nil, 0, errQuota()
	}
	strict := g.restricted(acct)
	names, ok := queryModels(r.URL.RawQuery)
	if !ok && strict {
		return nil, 0, errUncheckedQuery()
	}
	if aerr := g.checkModels(acct, names, l); aerr != nil {
		return nil, 0, aerr
	}
	if r.Body == nil || r.Body == http.NoBody {
		return http.NoBody, 0, nil
	}
	body, aerr := readBody(w, r, g.cfg.MaxBodyBytes)
	if aerr != nil {
		return nil, 0, aerr
	}
	pb, aerr := bodyModels(r.Header, body)
	switch {
	case aerr != nil:
		return nil, 0, aerr
	case !pb.sure && strict && len(body) > 0:
		return nil, 0, errUncheckedBody()
	}
	if aerr := g.checkModels(acct, pb.names, l); aerr != nil {
		return nil, 0, aerr
	}
	return bytes.NewReader(pb.out), int64(len(pb.out)), nil
}

// restricted reports whether a token's models are checked at all: it
// has an allowlist, or unpriced models are refused.
func (g *Gateway) restricted(acct account) bool {
	return len(acct.tok.Models) > 0 || g.cfg.DenyUnpriced
}

// checkModels holds each model name to the token (see checkModel),
// noting the last one checked in the log.
func (g *Gateway) checkModels(acct account, names []string, l *reqLog) *apiError {
	for _, name := range names {
		l.model = name
		if _, _, aerr := g.checkModel(acct, name); aerr != nil {
			return aerr
		}
	}
	return nil
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
