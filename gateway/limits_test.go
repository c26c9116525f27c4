package gateway

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"keyward/model"
)

// TestWarnedModelsBounded remembers at most maxWarned unpriced models
// for their one-time warning, then says once that there are more.
func TestWarnedModelsBounded(t *testing.T) {
	e := newEnv(t)
	for i := range maxWarned + 500 {
		e.gw.warnUnpriced(fmt.Sprintf("model-%d", i))
		e.gw.warnUnpriced("model-0")
	}
	e.gw.warned.mu.Lock()
	n := len(e.gw.warned.seen)
	e.gw.warned.mu.Unlock()
	if n > maxWarned {
		t.Errorf("%d models remembered, want at most %d", n, maxWarned)
	}
	logs := e.logs.String()
	if got := strings.Count(logs, "model has no price"); got != maxWarned {
		t.Errorf("%d warnings, want %d", got, maxWarned)
	}
	if got := strings.Count(logs, "more unpriced models"); got != 1 {
		t.Errorf("%d 'more unpriced models' lines, want 1", got)
	}
}

// TestNoPassthrough refuses every unmetered /v1/ path and keeps the
// metered routes and the model list.
func TestNoPassthrough(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.NoPassthrough = true })
	tok := e.token(model.Spec{Limit: model.Dollar})
	for _, p := range []string{"/v1/files", "/v1/images/generations", "/v1/batches",
		"/v1/responses/resp_1", "/v1/messages"} {
		resp, body := e.do(http.MethodPost, p, tok.Key, `{"model":"m1"}`)
		if p == "/v1/responses/resp_1" {
			resp, body = e.do(http.MethodGet, p, tok.Key, "")
		}
		if resp.StatusCode != 404 || apiErr(t, body).Code != CodeNotFound {
			t.Errorf("%s: %d %s, want 404", p, resp.StatusCode, body)
		}
	}
	if n := len(e.up.requests()); n != 0 {
		t.Errorf("the upstream got %d requests", n)
	}
	for _, c := range []struct{ method, path, body string }{
		{"POST", "/v1/chat/completions", chatBody("m1")},
		{"GET", "/v1/models", ""},
		{"GET", "/v1/models/m1", ""},
	} {
		if resp, _ := e.do(c.method, c.path, tok.Key, c.body); resp.StatusCode != 200 {
			t.Errorf("%s %s: %d", c.method, c.path, resp.StatusCode)
		}
	}
}
