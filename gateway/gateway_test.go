package gateway

import (
	"net/http"
	"strings"
	"testing"

	"keyward/keys"
	"keyward/model"
)

// decision is one request and the answer it must get.
type decision struct {
	name, key, path, body string
	status                int
	code, says            string
}

// decisions lists a request for every refusal, and a success, with the
// keys of tokens ok (limited, allowed m1), off (disabled) and spent.
func decisions(ok, off, spent model.Token) []decision {
	unknown, _ := keys.Generate()
	big := `{"model":"m1","pad":"` + strings.Repeat("x", DefaultMaxBodyBytes) + `"}`
	return []decision{
		{"success", ok.Key, "/v1/chat/completions", chatBody("m1"), 200, "", ""},
		{"no key", "", "/v1/chat/completions", chatBody("m1"), 401, CodeInvalidKey, "No API key"},
		{"malformed key", "sk-nope", "/v1/chat/completions", chatBody("m1"), 401,
			CodeInvalidKey, "Incorrect"},
		{"unknown key", unknown, "/v1/chat/completions", chatBody("m1"), 401,
			CodeInvalidKey, "Incorrect"},
		{"disabled key", off.Key, "/v1/chat/completions", chatBody("m1"), 401,
			CodeInvalidKey, "disabled"},
		{"model not allowed", ok.Key, "/v1/chat/completions", chatBody("m3"), 403,
			CodeModelNotAllowed, `"m3"`},
		{"quota exhausted", spent.Key, "/v1/chat/completions", chatBody("m1"), 429,
			CodeQuota, "quota"},
		{"not JSON", ok.Key, "/v1/chat/completions", "hello", 400, CodeInvalidJSON, "JSON"},
		{"JSON array", ok.Key, "/v1/embeddings", `[1]`, 400, CodeInvalidJSON, "JSON"},
		{"no model", ok.Key, "/v1/chat/completions", `{"messages":[]}`, 400,
			CodeMissingModel, "model"},
		{"model not a string", ok.Key, "/v1/responses", `{"model":7}`, 400,
			CodeMissingModel, "model"},
		{"too large", ok.Key, "/v1/chat/completions", big, 413, CodeTooLarge, "limit"},
		{"unknown route", ok.Key, "/v2/x", "", 404, CodeNotFound, "Unknown"},
	}
}

// TestDecisions covers every refusal and the plain success, each with
// its status, code and OpenAI error shape.
func TestDecisions(t *testing.T) {
	e := newEnv(t)
	ok := e.limited()
	off := e.limited()
	if _, err := e.db.SetEnabled("test", off.ID, false); err != nil {
		t.Fatal(err)
	}
	spent := e.token(model.Spec{Name: "spent", Limit: 0})
	for _, tc := range decisions(ok, off, spent) {
		t.Run(tc.name, func(t *testing.T) {
			method := http.MethodPost
			if tc.body == "" {
				method = http.MethodGet
			}
			resp, body := e.do(method, tc.path, tc.key, tc.body)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d; body %.200s", resp.StatusCode, tc.status, body)
			}
			if tc.code == "" {
				return
			}
			got := apiErr(t, body)
			if got.Code != tc.code || !strings.Contains(got.Message, tc.says) {
				t.Errorf("error %+v, want code %s and a message with %q", got, tc.code, tc.says)
			}
			if got.Type == "" {
				t.Errorf("error %+v has no type", got)
			}
		})
	}
	e.settle()
	if used := e.used(ok.ID); used != chatCost {
		t.Errorf("Used %d after one success, want %d", used, chatCost)
	}
	if used := e.used(spent.ID); used != 0 {
		t.Errorf("a refused request charged %d", used)
	}
}

// TestMalformedKeySkipsStore checks that a key failing its checksum is
// refused before any store access, while an unknown one costs one read.
func TestMalformedKeySkipsStore(t *testing.T) {
	e := newEnv(t)
	good, _ := keys.Generate()
	bad := good[:len(good)-1] + string(rune(good[len(good)-1])^1)
	before := e.store.total()
	for _, k := range []string{bad, "sk-short", strings.Repeat("x", 51)} {
		resp, _ := e.do(http.MethodPost, "/v1/chat/completions", k, chatBody("m1"))
		if resp.StatusCode != 401 {
			t.Errorf("key %s: status %d, want 401", masked(k), resp.StatusCode)
		}
	}
	if n := e.store.total() - before; n != 0 {
		t.Errorf("malformed keys made %d store calls, want 0", n)
	}
	for range 3 {
		e.do(http.MethodPost, "/v1/chat/completions", good, chatBody("m1"))
	}
	if n := e.store.get("FindByKey"); n != 1 {
		t.Errorf("an unknown key was looked up %d times in 3 requests, want 1 "+
			"(then cached as unknown)", n)
	}
}

// TestHeaderForms accepts the key in each header Keyward reads.
func TestHeaderForms(t *testing.T) {
	e := newEnv(t)
	tok := e.limited()
	for _, h := range []struct{ name, value string }{
		{"Authorization", "Bearer " + tok.Key},
		{"Authorization", "bearer  " + tok.Key},
		{"Api-Key", tok.Key},
		{"X-Api-Key", tok.Key},
	} {
		req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/v1/embeddings",
			strings.NewReader(`{"model":"m1","input":"x"}`))
		req.Header.Set(h.name, h.value)
		resp, body := e.send(req)
		if resp.StatusCode != 200 {
			t.Errorf("key in %s: status %d, body %s", h.name, resp.StatusCode, body)
		}
	}
}

// TestUpstreamNeverSeesClientKey checks every header and body the
// upstream received, for each way of sending the key.
func TestUpstreamNeverSeesClientKey(t *testing.T) {
	e := newEnv(t)
	tok := e.limited()
	for _, h := range []string{"Authorization", "Api-Key", "X-Api-Key"} {
		for _, path := range []string{"/v1/chat/completions", "/v1/files", "/v1/models"} {
			method, body := http.MethodPost, chatBody("m1")
			if path == "/v1/models" {
				method, body = http.MethodGet, ""
			}
			req, _ := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
			value := tok.Key
			if h == "Authorization" {
				value = "Bearer " + tok.Key
			}
			req.Header.Set(h, value)
			req.Header.Set("Content-Type", "application/json")
			if resp, _ := e.send(req); resp.StatusCode != 200 {
				t.Fatalf("%s with %s: status %d", path, h, resp.StatusCode)
			}
		}
	}
	seen := e.up.requests()
	if len(seen) != 9 {
		t.Fatalf("upstream saw %d requests, want 9", len(seen))
	}
	for _, r := range seen {
		if got := r.header.Get("Authorization"); got != "Bearer "+upstreamKey {
			t.Errorf("%s: upstream Authorization is not the upstream key", r.path)
		}
		for name, vs := range r.header {
			for _, v := range vs {
				if strings.Contains(v, tok.Key[len(keys.Prefix):]) {
					t.Errorf("%s: header %s carries the client key %s", r.path, name,
						masked(tok.Key))
				}
			}
		}
		if strings.Contains(string(r.body), tok.Key) {
			t.Errorf("%s: body carries the client key", r.path)
		}
	}
}

// TestNoUpstreamKey sends no Authorization at all when none is set.
func TestNoUpstreamKey(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.UpstreamKey = "" })
	tok := e.limited()
	e.do(http.MethodPost, "/v1/chat/completions", tok.Key, chatBody("m1"))
	if h := e.up.last(t).header; h.Get("Authorization") != "" {
		t.Errorf("upstream got an Authorization header without an upstream key")
	}
}

// TestNothingLeaksTheKey runs every kind of request and checks that no
// log line and no answer holds any part of the key.
func TestNothingLeaksTheKey(t *testing.T) {
	e := newEnv(t)
	tok := e.limited()
	off := e.limited()
	_, _ = e.db.SetEnabled("test", off.ID, false)
	all := e.token(model.Spec{Name: "all models", Limit: model.Dollar})
	var answers strings.Builder
	for _, k := range []string{tok.Key, off.Key, all.Key, tok.Key[:20]} {
		for _, p := range []string{"/v1/chat/completions", "/v1/x/" + k, "/auth"} {
			for _, m := range []string{"m9", "m1", k} { // k: the key as the model
				_, body := e.do(http.MethodPost, p, k, chatBody(m))
				if k != all.Key { // the fake upstream repeats the model it served
					answers.Write(body)
				}
			}
		}
	}
	e.finish()
	if !strings.Contains(e.logs.String(), "model has no price") {
		t.Error("the all-models token did not reach the unpriced warning")
	}
	for _, k := range []string{tok.Key, off.Key, all.Key} {
		secret := k[len(keys.Prefix):]
		for _, part := range []string{secret[:12], secret[12:24], secret[24:36], secret[36:]} {
			if strings.Contains(e.logs.String(), part) {
				t.Errorf("the log holds part of the key %s", masked(k))
			}
			if strings.Contains(answers.String(), part) {
				t.Errorf("an answer holds part of the key %s", masked(k))
			}
		}
	}
	if !strings.Contains(e.logs.String(), `"token_id"`) {
		t.Error("the log never names a token by id")
	}
}

// TestUpstreamDown answers 502 and charges nothing.
func TestUpstreamDown(t *testing.T) {
	e := newEnv(t)
	tok := e.limited()
	e.up.srv.Close()
	for _, p := range []string{"/v1/chat/completions", "/v1/files"} {
		resp, body := e.do(http.MethodPost, p, tok.Key, chatBody("m1"))
		if resp.StatusCode != http.StatusBadGateway {
			t.Fatalf("%s: status %d, want 502", p, resp.StatusCode)
		}
		if got := apiErr(t, body); got.Code != CodeUpstreamDown {
			t.Errorf("%s: code %q", p, got.Code)
		}
	}
	e.settle()
	if used := e.used(tok.ID); used != 0 {
		t.Errorf("charged %d while the upstream was down", used)
	}
}

// TestUpstreamErrorNotCharged passes the upstream's error on and charges
// nothing even if its body mentions usage.
func TestUpstreamErrorNotCharged(t *testing.T) {
	e := newEnv(t)
	tok := e.limited()
	_ = e.db.SetPrice("test", "fail", ptr(testPrice()))
	e.sawPrice("fail")
	resp, _ := e.do(http.MethodPost, "/v1/chat/completions", tok.Key, chatBody("fail"))
	if resp.StatusCode != 500 {
		t.Fatalf("status %d, want the upstream's 500", resp.StatusCode)
	}
	e.settle()
	if used := e.used(tok.ID); used != 0 {
		t.Errorf("charged %d for an upstream error", used)
	}
}

// TestHealthz answers without a key.
func TestHealthz(t *testing.T) {
	e := newEnv(t)
	resp, body := e.do(http.MethodGet, "/healthz", "", "")
	if resp.StatusCode != 200 || !strings.Contains(string(body), "ok") {
		t.Errorf("healthz: %d %s", resp.StatusCode, body)
	}
}
