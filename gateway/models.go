package gateway

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
)

// modelList is the upstream's GET /models answer; entries other than
// their id are passed on untouched.
type modelList struct {
	Object string            `json:"object"`
	Data   []json.RawMessage `json:"data"`
}

// models answers GET /v1/models from the upstream, keeping only the
// models the token may use (and, with DenyUnpriced, only priced ones).
func (g *Gateway) models(w http.ResponseWriter, r *http.Request) {
	l := newLog(r.Method, r.URL.Path, "models", false)
	defer g.logRequest(l)
	acct, aerr := g.authLogged(r, l)
	switch {
	case aerr != nil:
		l.refuse(w, aerr)
	case len(acct.tok.Models) == 0 && !g.cfg.DenyUnpriced:
		g.proxy(w, r, http.NoBody, 0, l)
	default:
		g.filteredModels(w, r, acct, l)
	}
}

// filteredModels fetches the upstream's list and answers with the
// allowed part of it.
func (g *Gateway) filteredModels(w http.ResponseWriter, r *http.Request,
	acct account, l *reqLog) {
	resp, body, err := g.fetch(r)
	if err != nil {
		g.upstreamDown(w, l, err)
		return
	}
	l.status = resp.StatusCode
	var list modelList
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &list) != nil {
		writeResponseHead(w, resp, true)
		_, _ = w.Write(body)
		return
	}
	writeJSON(w, http.StatusOK, filterModels(list, func(id string) bool {
		return g.servesModel(acct, id)
	}))
}

// fetch sends a body-less request upstream and reads the whole answer.
func (g *Gateway) fetch(r *http.Request) (*http.Response, []byte, error) {
	up, err := g.upstreamRequest(r.Context(), r, g.target(r), http.NoBody, 0, true)
	if err != nil {
		return nil, nil, err
	}
	resp, err := g.roundTrip(up)
	if err != nil {
		return nil, nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(io.LimitReader(resp.Body, g.cfg.MaxResponseBytes))
	return resp, body, err
}

// filterModels keeps the entries whose id keep accepts.
func filterModels(list modelList, keep func(id string) bool) modelList {
	out := modelList{Object: list.Object, Data: []json.RawMessage{}}
	if out.Object == "" {
		out.Object = "list"
	}
	for _, raw := range list.Data {
		var entry struct {
			ID string `json:"id"`
		}
		if json.Unmarshal(raw, &entry) == nil && keep(entry.ID) {
			out.Data = append(out.Data, raw)
		}
	}
	return out
}

// modelInfo answers GET /v1/models/{model} for the models the token may
// use only.
func (g *Gateway) modelInfo(w http.ResponseWriter, r *http.Request) {
	l := newLog(r.Method, r.URL.Path, "models", false)
	defer g.logRequest(l)
	acct, aerr := g.authLogged(r, l)
	if aerr == nil {
		l.model = r.PathValue("model")
		_, _, aerr = g.checkModel(acct, l.model)
	}
	if aerr != nil {
		l.refuse(w, aerr)
		return
	}
	g.proxy(w, r, http.NoBody, 0, l)
}

// writeJSON answers with v encoded as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		errInternal().write(w)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)+1))
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}
