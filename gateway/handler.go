package gateway

import (
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
)

// Handler returns the HTTP handler for every route:
//
//	POST /v1/chat/completions, /v1/completions, /v1/embeddings,
//	     /v1/responses          metered (other methods: 405)
//	GET  /v1/models             the upstream's list, filtered to the token
//	GET  /v1/models/{model}     allowed models only (HEAD and the rest: 405)
//	     /v1/...                any other path: proxied unmetered
//	     /auth                  forward auth for nginx, Caddy, Traefik
//	GET  /healthz               liveness
//
// A path that is not in plain form (see checkPath) is refused first.
func (g *Gateway) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/chat/completions", g.metered(routeChat))
	mux.HandleFunc("POST /v1/completions", g.metered(routeCompletions))
	mux.HandleFunc("POST /v1/embeddings", g.metered(routeEmbeddings))
	mux.HandleFunc("POST /v1/responses", g.metered(routeResponses))
	mux.HandleFunc("GET /v1/models", g.models)
	mux.HandleFunc("GET /v1/models/{model...}", g.modelInfo)
	// A GET pattern also matches HEAD; passthrough refuses HEAD there.
	mux.HandleFunc("HEAD /v1/models", g.passthrough)
	mux.HandleFunc("HEAD /v1/models/{model...}", g.passthrough)
	mux.HandleFunc("/v1/", g.passthrough)
	mux.HandleFunc("/auth", g.forwardAuth)
	mux.HandleFunc("GET /healthz", health)
	mux.HandleFunc("/", notFound)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !plainPath(r.URL) {
			l := newLog(r.Method, r.URL.Path, "invalid_path", false)
			defer g.logRequest(l)
			l.refuse(w, errInvalidPath())
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// plainPath reports whether a request's path means the same to the
// gateway and to any upstream: its decoded form is already clean (no
// empty, "." or ".." segment, so "%2e%2e" cannot climb out), holds no
// byte that servers strip or read as a separator (control characters,
// spaces, ";", "\", a "%" left by double encoding), and no encoded "/"
// except in a model name below /v1/models/. One trailing slash is fine.
func plainPath(u *url.URL) bool {
	p := u.Path
	if !strings.HasPrefix(p, "/") {
		return true // "*" and the like: the mux answers them
	}
	for i := 0; i < len(p); i++ {
		if c := p[i]; c <= ' ' || c == 0x7f || c == ';' || c == '\\' || c == '%' {
			return false
		}
	}
	clean := path.Clean(p)
	if strings.HasSuffix(p, "/") && clean != "/" {
		clean += "/"
	}
	if clean != p {
		return false
	}
	return !strings.Contains(strings.ToLower(u.EscapedPath()), "%2f") ||
		strings.HasPrefix(p, "/v1/models/")
}

// health answers that the gateway is up.
func health(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// notFound answers any path outside the gateway's routes.
func notFound(w http.ResponseWriter, _ *http.Request) {
	errNotFound().write(w)
}

// forwardAuth answers whether a request may pass, for a proxy in front of
// another upstream: 200, or 401, 403 or 429 with the reason in OpenAI's
// shape and in an X-Keyward-Error header. The model, when the proxy knows
// it, comes in X-Keyward-Model. Nothing is metered here: spending stays
// with the proxy. With ?quota_status=403 an exhausted quota answers 403
// (nginx's auth_request only passes 401 and 403 on).
func (g *Gateway) forwardAuth(w http.ResponseWriter, r *http.Request) {
	l := newLog(r.Method, r.URL.Path, "auth", false)
	defer g.logRequest(l)
	aerr := g.checkForward(r, l)
	if aerr == nil {
		l.status = http.StatusOK
		w.Header().Set("X-Keyward-Token-Id", strconv.FormatUint(l.tokenID, 10))
		w.WriteHeader(http.StatusOK)
		return
	}
	switch {
	case aerr.code == CodeQuota && r.URL.Query().Get("quota_status") == "403",
		aerr.status == http.StatusBadRequest: // a model name too long
		// Proxies' auth hooks pass 401 and 403 on, and fail on others.
		aerr.status = http.StatusForbidden
	}
	w.Header().Set("X-Keyward-Error", aerr.code)
	l.refuse(w, aerr)
}

// checkForward runs the key, model and quota checks of /auth.
func (g *Gateway) checkForward(r *http.Request, l *reqLog) *apiError {
	acct, aerr := g.authLogged(r, l)
	if aerr != nil {
		return aerr
	}
	l.model = r.Header.Get("X-Keyward-Model")
	if l.model == "" {
		if acct.exhausted() {
			return errQuota()
		}
		return nil
	}
	_, _, aerr = g.admit(acct, l.model)
	return aerr
}
