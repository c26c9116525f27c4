package gateway

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"keyward/keys"
	"keyward/model"
)

// modelIDs reads the ids of a model list.
func modelIDs(t *testing.T, body []byte) []string {
	t.Helper()
	var list struct {
		Object string `json:"object"`
		Data   []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &list); err != nil || list.Object != "list" {
		t.Fatalf("model list %s: %v", body, err)
	}
	var ids []string
	for _, d := range list.Data {
		ids = append(ids, d.ID)
	}
	return ids
}

// TestModelsFiltered lists the upstream's models, filtered to the token's
// allowlist, and refuses details of other models.
func TestModelsFiltered(t *testing.T) {
	e := newEnv(t)
	some := e.token(model.Spec{Limit: model.Dollar, Models: []string{"m1", "m3", "m9"}})
	all := e.token(model.Spec{Limit: model.Dollar})
	tests := []struct {
		key  string
		want string
	}{
		{some.Key, "m1,m3"},
		{all.Key, "m1,m2,m3"},
	}
	for _, tc := range tests {
		resp, body := e.do(http.MethodGet, "/v1/models", tc.key, "")
		if got := strings.Join(modelIDs(t, body), ","); resp.StatusCode != 200 ||
			got != tc.want {
			t.Errorf("status %d models %s, want %s", resp.StatusCode, got, tc.want)
		}
	}
	if resp, _ := e.do(http.MethodGet, "/v1/models", "", ""); resp.StatusCode != 401 {
		t.Errorf("models without a key: %d", resp.StatusCode)
	}
	resp, body := e.do(http.MethodGet, "/v1/models/m2", some.Key, "")
	if resp.StatusCode != 403 || apiErr(t, body).Code != CodeModelNotAllowed {
		t.Errorf("details of a forbidden model: %d %s", resp.StatusCode, body)
	}
	if resp, _ := e.do(http.MethodGet, "/v1/models/m1", some.Key, ""); resp.StatusCode != 200 ||
		e.up.last(t).path != "/v1/models/m1" {
		t.Errorf("details of an allowed model: %d", resp.StatusCode)
	}
}

// TestPassthrough proxies other /v1/ paths unmetered after the key
// check, logs them as unmetered, keeps trailing-slash variants of metered
// paths metered, and holds JSON bodies to the allowlist.
func TestPassthrough(t *testing.T) {
	e := newEnv(t)
	tok := e.limited()
	resp, body := e.do(http.MethodPost, "/v1/files?purpose=x", tok.Key, `{"a":1}`)
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"passed":true`) {
		t.Fatalf("passthrough: %d %s", resp.StatusCode, body)
	}
	if got := e.up.last(t); got.path != "/v1/files" {
		t.Errorf("upstream path %q", got.path)
	}
	e.waitLog(`"route":"passthrough","status":200,"metered":false`)
	tests := []struct {
		name, method, path, key, body string
		status                        int
	}{
		{"no key", http.MethodGet, "/v1/files", "", "", 401},
		{"forbidden model in JSON", http.MethodPost, "/v1/images/generations", tok.Key,
			`{"model":"m3"}`, 403},
		{"allowed model in JSON", http.MethodPost, "/v1/images/generations", tok.Key,
			`{"model":"m1"}`, 200},
		{"case variant of model", http.MethodPost, "/v1/images/generations", tok.Key,
			`{"Model":"m3"}`, 200},
		{"model not a string", http.MethodPost, "/v1/images/generations", tok.Key,
			`{"model":["m3"]}`, 400},
		{"trailing slash stays metered", http.MethodPost, "/v1/chat/completions/", tok.Key,
			chatBody("m3"), 403},
	}
	for _, tc := range tests {
		resp, body := e.do(tc.method, tc.path, tc.key, tc.body)
		if resp.StatusCode != tc.status {
			t.Errorf("%s: %d %s, want %d", tc.name, resp.StatusCode, body, tc.status)
		}
	}
	for _, r := range e.up.requests() {
		if strings.Contains(string(r.body), "m3") {
			t.Errorf("upstream got a forbidden model: %s", r.body)
		}
	}
	e.settle()
	if used := e.used(tok.ID); used != 0 {
		t.Errorf("passthrough charged %d", used)
	}
	spent := e.token(model.Spec{Name: "spent"})
	if resp, _ := e.do(http.MethodGet, "/v1/files", spent.Key, ""); resp.StatusCode != 429 {
		t.Errorf("exhausted token on passthrough: %d, want 429", resp.StatusCode)
	}
}

// TestForwardAuth answers /auth for every decision without calling the
// upstream.
func TestForwardAuth(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.DenyUnpriced = true })
	tok := e.limited()
	off := e.limited()
	_, _ = e.db.SetEnabled("t", off.ID, false)
	spent := e.token(model.Spec{Name: "spent"})
	unknown, _ := keys.Generate()
	tests := []struct {
		name, key, model, query string
		status                  int
		code                    string
	}{
		{"allowed", tok.Key, "m1", "", 200, ""},
		{"no model header", tok.Key, "", "", 200, ""},
		{"no key", "", "m1", "", 401, CodeInvalidKey},
		{"unknown key", unknown, "m1", "", 401, CodeInvalidKey},
		{"disabled", off.Key, "m1", "", 401, CodeInvalidKey},
		{"model not allowed", tok.Key, "m3", "", 403, CodeModelNotAllowed},
		{"unpriced denied", tok.Key, "m2", "", 403, CodeModelNotPriced},
		{"quota", spent.Key, "m1", "", 429, CodeQuota},
		{"quota without model", spent.Key, "", "", 429, CodeQuota},
		{"quota as 403 for nginx", spent.Key, "m1", "?quota_status=403", 403, CodeQuota},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/auth"+tc.query, nil)
			if tc.key != "" {
				req.Header.Set("X-Api-Key", tc.key)
			}
			if tc.model != "" {
				req.Header.Set("X-Keyward-Model", tc.model)
			}
			resp, body := e.send(req)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, body)
			}
			if tc.code == "" {
				if resp.Header.Get("X-Keyward-Token-Id") == "" {
					t.Error("no X-Keyward-Token-Id on 200")
				}
				return
			}
			if apiErr(t, body).Code != tc.code || resp.Header.Get("X-Keyward-Error") != tc.code {
				t.Errorf("code %s / header %s, want %s", apiErr(t, body).Code,
					resp.Header.Get("X-Keyward-Error"), tc.code)
			}
		})
	}
	if n := len(e.up.requests()); n != 0 {
		t.Errorf("/auth called the upstream %d times", n)
	}
}

// TestModelListOtherCaseRefused: /v1/Models must not reach an upstream
// that matches paths regardless of case, where it would bypass the
// allowlist filter of /v1/models.
func TestModelListOtherCaseRefused(t *testing.T) {
	e := newEnv(t)
	tok := e.token(model.Spec{Unlimited: true, Models: []string{"m1"}})
	for _, path := range []string{"/v1/Models", "/v1/MODELS/m2", "/v1/models/../Models"} {
		resp, _ := e.do(http.MethodGet, path, tok.Key, "")
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("GET %s = %d, want 400", path, resp.StatusCode)
		}
	}
	if n := len(e.up.requests()); n != 0 {
		t.Errorf("the upstream saw %d mis-cased model-list requests", n)
	}
	resp, _ := e.do(http.MethodGet, "/v1/models", tok.Key, "")
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /v1/models = %d, want 200", resp.StatusCode)
	}
}
