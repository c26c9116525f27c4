package gateway

import (
	"net/http"
	"strconv"
)

// Handler returns the HTTP handler for every route:
//
//	POST /v1/chat/completions, /v1/completions, /v1/embeddings,
//	     /v1/responses          metered
//	GET  /v1/models             the upstream's list, filtered to the token
//	GET  /v1/models/{model}     allowed models only
//	     /v1/...                any other path: proxied unmetered
//	     /auth                  forward auth for nginx, Caddy, Traefik
//	GET  /healthz               liveness
func (g *Gateway) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/chat/completions", g.metered(routeChat))
	mux.HandleFunc("POST /v1/completions", g.metered(routeCompletions))
	mux.HandleFunc("POST /v1/embeddings", g.metered(routeEmbeddings))
	mux.HandleFunc("POST /v1/responses", g.metered(routeResponses))
	mux.HandleFunc("GET /v1/models", g.models)
	mux.HandleFunc("GET /v1/models/{model...}", g.modelInfo)
	mux.HandleFunc("/v1/", g.passthrough)
	mux.HandleFunc("/auth", g.forwardAuth)
	mux.HandleFunc("GET /healthz", health)
	mux.HandleFunc("/", notFound)
	return mux
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
	if aerr.code == CodeQuota && r.URL.Query().Get("quota_status") == "403" {
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
