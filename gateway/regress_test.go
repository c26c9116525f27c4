package gateway

// Regression tests for defects found by testing the gateway from the
// outside. They go through HTTP only, so that each can be run against
// the code from before its fix.

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"keyward/keys"
	"keyward/model"
)

// leaks reports the first 8-character piece of body found in out.
func leaks(out, body string) (string, bool) {
	for i := 0; i+8 <= len(body); i++ {
		if strings.Contains(out, body[i:i+8]) {
			return body[i : i+8], true
		}
	}
	return "", false
}

// sendWith sends a request with the key in an Authorization header and
// the given content type ("" sends none).
func (e *env) sendWith(method, path, key, contentType string, body []byte) (
	*http.Response, []byte) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	return e.send(req)
}

// rawRequest sends a request line exactly as written (Go's client would
// clean some paths) and returns the status code.
func (e *env) rawRequest(method, target, key, body string) int {
	e.t.Helper()
	conn, err := net.Dial("tcp", e.srv.Listener.Addr().String())
	if err != nil {
		e.t.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	_, err = fmt.Fprintf(conn, "%s %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"+
		"Content-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s",
		method, target, key, len(body), body)
	if err != nil {
		e.t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, target, err)
	}
	_ = resp.Body.Close()
	return resp.StatusCode
}

// TestStreamMustBeBoolean refuses a "stream" that is not a JSON boolean
// (a lax upstream would stream it without the usage chunk the gateway
// asks for only when stream is true, and the stream would be free), and
// a "stream_options" that is not an object, on every streaming route.
func TestStreamMustBeBoolean(t *testing.T) {
	e := newEnv(t)
	tok := e.limited()
	bodies := []struct{ path, body, param string }{
		{"/v1/chat/completions", `{"model":"m1","stream":"true"}`, "stream"},
		{"/v1/chat/completions", `{"model":"m1","stream":1}`, "stream"},
		{"/v1/completions", `{"model":"m1","stream":"yes"}`, "stream"},
		{"/v1/responses", `{"model":"m1","stream":"true"}`, "stream"},
		{"/v1/chat/completions", `{"model":"m1","stream":true,"stream_options":"x"}`,
			"stream_options"},
		{"/v1/chat/completions",
			`{"model":"m1","stream":true,"stream_options":{"include_usage":"no"}}`,
			"stream_options"},
	}
	for _, b := range bodies {
		resp, body := e.do(http.MethodPost, b.path, tok.Key, b.body)
		got := apiErr(t, body)
		if resp.StatusCode != 400 || got.Param == nil || *got.Param != b.param ||
			got.Type != "invalid_request_error" {
			t.Errorf("%s %s: %d %s, want 400 with param %s", b.path, b.body,
				resp.StatusCode, body, b.param)
		}
	}
	if n := len(e.up.requests()); n != 0 {
		t.Errorf("the upstream got %d refused requests", n)
	}
}

// TestRefusalsMaskKeys repeats no part of a key pasted as the model, with
// a doubled prefix or none, in the error message or the log.
func TestRefusalsMaskKeys(t *testing.T) {
	e := newEnv(t)
	tok := e.limited()
	other, _ := keys.Generate()
	body := other[len(keys.Prefix):]
	for _, m := range []string{"sk-" + other, body, "sk-sk-sk-" + body,
		strings.ReplaceAll(other, "-", "%2d"), other[:30] + "-" + other[30:]} {
		resp, answer := e.do(http.MethodPost, "/v1/chat/completions", tok.Key, chatBody(m))
		if resp.StatusCode != 403 {
			t.Errorf("status %d", resp.StatusCode)
		}
		if piece, ok := leaks(string(answer), body); ok {
			t.Errorf("the answer holds %q of the key %s", piece, masked(other))
		}
	}
	e.finish()
	if piece, ok := leaks(e.logs.String(), body); ok {
		t.Errorf("the log holds %q of the key %s", piece, masked(other))
	}
}

// multipartBody is a form with the given model fields and a file.
func multipartBody(t *testing.T, field string, models ...string) (string, []byte) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	fw, _ := mw.CreateFormFile("file", "a.wav")
	_, _ = fw.Write([]byte("RIFF...."))
	for _, m := range models {
		_ = mw.WriteField(field, m)
	}
	_ = mw.Close()
	return mw.FormDataContentType(), b.Bytes()
}

// TestPassthroughModelAnyContentType holds the model of a passthrough
// body to the allowlist whatever its Content-Type: JSON sent as
// text/plain or with none, multipart forms (audio uploads) and
// URL-encoded forms.
func TestPassthroughModelAnyContentType(t *testing.T) {
	e := newEnv(t)
	tok := e.limited()
	mpBad, bad := multipartBody(t, "model", "m3")
	mpGood, good := multipartBody(t, "model", "m1")
	mpTwo, two := multipartBody(t, "model", "m1", "m3")
	mpCase, caseVariant := multipartBody(t, "Model", "m3")
	tests := []struct {
		name, ct string
		body     []byte
		status   int
	}{
		{"JSON as text/plain", "text/plain", []byte(`{"model":"m3"}`), 403},
		{"JSON without a type", "", []byte(`{"model":"m3"}`), 403},
		{"JSON as octet-stream", "application/octet-stream", []byte(` {"model":"m3"}`), 403},
		{"multipart, forbidden", mpBad, bad, 403},
		{"multipart, allowed", mpGood, good, 200},
		{"multipart, two models", mpTwo, two, 403},
		{"multipart, case variant", mpCase, caseVariant, 403},
		{"multipart, broken", "multipart/form-data; boundary=zz", []byte("--zz\r\nbad"), 400},
		{"form, forbidden", "application/x-www-form-urlencoded", []byte("model=m3"), 403},
		{"form, allowed", "application/x-www-form-urlencoded", []byte("model=m1&x=1"), 200},
		{"not a model body", "application/octet-stream", []byte("\x00\x01"), 400},
	}
	for _, tc := range tests {
		resp, body := e.sendWith(http.MethodPost, "/v1/audio/transcriptions", tok.Key,
			tc.ct, tc.body)
		if resp.StatusCode != tc.status {
			t.Errorf("%s: %d %s, want %d", tc.name, resp.StatusCode, body, tc.status)
		}
	}
	for _, r := range e.up.requests() {
		if bytes.Contains(r.body, []byte("m3")) {
			t.Errorf("the upstream got a forbidden model: %q", r.body)
		}
	}
}

// TestMeteredPathsCannotPassThrough refuses other methods on the metered
// paths, creating methods below them, and paths whose decoded form is
// not clean; a metered path in other letter case is metered.
func TestMeteredPathsCannotPassThrough(t *testing.T) {
	e := newEnv(t)
	tok := e.limited()
	tests := []struct {
		method, target string
		status         int
	}{
		{"GET", "/v1/chat/completions", 405},
		{"PUT", "/v1/completions", 405},
		{"PATCH", "/v1/embeddings", 405},
		{"DELETE", "/v1/responses", 405},
		{"POST", "/v1/responses/resp_1", 405},
		{"PUT", "/v1/responses/resp_1", 405},
		{"POST", "/v1/chat/completions/abc", 405},
		{"GET", "/v1/responses/resp_1", 200},
		{"DELETE", "/v1/responses/resp_1", 200},
		{"POST", "/v1/responses/resp_1/cancel", 200},
		{"POST", "/v1/x/%2e%2e/chat/completions", 400},
		{"POST", "/v1/x/%2E%2E/chat/completions", 400},
		{"POST", "/v1/x/../chat/completions", 400},
		{"POST", "/v1/./chat/completions", 400},
		{"POST", "/v1//chat/completions", 400},
		{"POST", "/v1/chat%2Fcompletions", 400},
		{"POST", "/v1/chat/completions;x=1", 400},
		{"POST", "/v1/chat/completions%00", 400},
		{"POST", "/v1/chat/completions%20", 400},
		{"POST", "/v1/chat/completions%5c", 400},
		{"POST", "/v1/chat/completions%252e", 400},
		{"POST", "/v1/Chat/Completions", 200},
		{"POST", "/v1/chat/completions/", 200},
	}
	for _, tc := range tests {
		if got := e.rawRequest(tc.method, tc.target, tok.Key, chatBody("m1")); got != tc.status {
			t.Errorf("%s %s: %d, want %d", tc.method, tc.target, got, tc.status)
		}
	}
	for _, r := range e.up.requests() {
		if strings.HasPrefix(r.path, "/v1/chat/completions") &&
			r.path != "/v1/chat/completions" || r.method == http.MethodPost &&
			strings.HasPrefix(r.path, "/v1/responses/") && !strings.HasSuffix(r.path, "/cancel") {
			t.Errorf("the upstream got %s %s", r.method, r.path)
		}
	}
	e.settle()
	if used := e.used(tok.ID); used != 2*chatCost {
		t.Errorf("Used %d, want the two metered spellings charged: %d", used, 2*chatCost)
	}
}

// TestModelsOnlyRead refuses every method but GET on the model list and
// below it: a token must not delete or create upstream models.
func TestModelsOnlyRead(t *testing.T) {
	e := newEnv(t)
	tok := e.token(model.Spec{Limit: model.Dollar})
	for _, tc := range []struct{ method, path string }{
		{"DELETE", "/v1/models/m1"}, {"POST", "/v1/models/m1"}, {"PUT", "/v1/models/m1"},
		{"POST", "/v1/models"}, {"DELETE", "/v1/models"}, {"POST", "/v1/models/m1/x"},
	} {
		resp, body := e.do(tc.method, tc.path, tok.Key, `{"model":"m1"}`)
		if resp.StatusCode != 405 && resp.StatusCode != 403 {
			t.Errorf("%s %s: %d %s, want 405", tc.method, tc.path, resp.StatusCode, body)
		}
	}
	if n := len(e.up.requests()); n != 0 {
		t.Errorf("the upstream got %d requests", n)
	}
	if resp, _ := e.do("GET", "/v1/models/m1", tok.Key, ""); resp.StatusCode != 200 {
		t.Errorf("GET a model: %d", resp.StatusCode)
	}
	if resp, _ := e.do("GET", "/v1/models/org%2Fm1", tok.Key, ""); resp.StatusCode != 200 {
		t.Errorf("GET a model with a slash in its name: %d", resp.StatusCode)
	}
}

// TestLongModelNamesRefused refuses model names longer than any the
// catalog holds, before the gateway remembers them anywhere.
func TestLongModelNamesRefused(t *testing.T) {
	e := newEnv(t)
	tok := e.token(model.Spec{Limit: model.Dollar})
	long := strings.Repeat("m", model.MaxModelLen+1)
	for _, p := range []string{"/v1/chat/completions", "/v1/embeddings", "/v1/images/x"} {
		resp, body := e.do(http.MethodPost, p, tok.Key, chatBody(long))
		if resp.StatusCode != 400 {
			t.Errorf("%s: %d %s, want 400", p, resp.StatusCode, body)
		}
	}
	if n := len(e.up.requests()); n != 0 {
		t.Errorf("the upstream got %d requests", n)
	}
}

// TestHugeJSONAnswerBoundedMemory relays a 60 MB JSON answer with its
// usage at the end, and charges it, without holding it in memory.
func TestHugeJSONAnswerBoundedMemory(t *testing.T) {
	e := newEnv(t)
	tok := e.limited()
	const size = 60 << 20
	chunk := bytes.Repeat([]byte("x"), 32<<10)
	e.up.answer = func(w http.ResponseWriter, r *http.Request, _ []byte) bool {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"object":"list","data":"`)
		for n := 0; n < size; n += len(chunk) {
			_, _ = w.Write(chunk)
		}
		_, _ = io.WriteString(w, `","usage":`+chatUsage()+`}`)
		return true
	}
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/v1/embeddings",
		strings.NewReader(`{"model":"m1","input":"x"}`))
	req.Header.Set("Authorization", "Bearer "+tok.Key)
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	runtime.ReadMemStats(&after)
	if err != nil || n < size {
		t.Fatalf("read %d bytes: %v", n, err)
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("relaying %d MB allocated %d KB", size>>20, alloc>>10)
	if alloc > 16<<20 {
		t.Errorf("relaying a %d MB answer allocated %d MB", size>>20, alloc>>20)
	}
	e.settle()
	if used := e.used(tok.ID); used != chatCost {
		t.Errorf("Used %d, want %d from the usage at the end", used, chatCost)
	}
}

// TestChargeForDeletedTokenLoggedDropped logs a charge whose token was
// deleted before its batch committed as dropped, not as committed.
func TestChargeForDeletedTokenLoggedDropped(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.ChargeLinger = time.Hour; c.ChargeBatch = 100 })
	tok := e.limited()
	keep := e.limited()
	for _, k := range []string{tok.Key, keep.Key} {
		if resp, _ := e.do(http.MethodPost, "/v1/chat/completions", k,
			chatBody("m1")); resp.StatusCode != 200 {
			t.Fatalf("status %d", resp.StatusCode)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.active.wait(ctx); err != nil { // both charges are queued
		t.Fatal(err)
	}
	if err := e.db.Delete("t", tok.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.close(ctx); err != nil {
		t.Fatal(err)
	}
	logs := e.logs.String()
	dropped := fmt.Sprintf(`"msg":"charge dropped: token deleted","token_id":%d`, tok.ID)
	committed := fmt.Sprintf(`"msg":"charge committed","token_id":%d`, tok.ID)
	if !strings.Contains(logs, dropped) || strings.Contains(logs, committed) {
		t.Errorf("the deleted token's charge is not logged as dropped:\n%s", logs)
	}
	if !strings.Contains(logs, fmt.Sprintf(`"msg":"charge committed","token_id":%d`,
		keep.ID)) {
		t.Errorf("the other token's charge is not logged as committed")
	}
}

// TestChangeAppliesToTheVeryNextRequest disables, enables, narrows,
// re-prices and deletes a token in this process and sends a request right
// after each change returns, without waiting for the gateway to see it:
// every one must get the new answer, 300 times over.
func TestChangeAppliesToTheVeryNextRequest(t *testing.T) {
	e := newEnv(t)
	tok := e.token(model.Spec{Unlimited: true, Models: []string{"m1", "m2"}})
	call := func(mdl string) int {
		resp, _ := e.do(http.MethodPost, "/v1/embeddings", tok.Key, `{"model":"`+mdl+`"}`)
		return resp.StatusCode
	}
	if got := call("m2"); got != 200 { // m2 has no price: no charge, no new Version
		t.Fatalf("status %d before any change", got)
	}
	misses := 0
	for range 300 {
		if _, err := e.db.SetEnabled("t", tok.ID, false); err != nil {
			t.Fatal(err)
		}
		if got := call("m2"); got != 401 {
			misses++
		}
		if _, err := e.db.SetEnabled("t", tok.ID, true); err != nil {
			t.Fatal(err)
		}
		if got := call("m2"); got != 200 {
			misses++
		}
	}
	if misses != 0 {
		t.Errorf("%d of 600 requests right after a change got the old answer", misses)
	}
	if _, err := e.db.Update("t", tok.ID, e.version(tok.ID),
		model.Changes{Models: &[]string{"m1"}}); err != nil {
		t.Fatal(err)
	}
	if got := call("m2"); got != 403 {
		t.Errorf("right after narrowing the allowlist: %d, want 403", got)
	}
	p := model.Price{Input: 3 * model.Dollar}
	if err := e.db.SetPrice("t", "m1", &p); err != nil {
		t.Fatal(err)
	}
	if got := call("m1"); got != 200 {
		t.Errorf("after re-pricing m1: %d", got)
	}
	e.settle()
	if used, want := e.used(tok.ID), p.Cost(model.Usage{Input: fakeEmbedIn}); used != want {
		t.Errorf("Used %d right after re-pricing, want %d at the new price", used, want)
	}
	if err := e.db.Delete("t", tok.ID); err != nil {
		t.Fatal(err)
	}
	if got := call("m1"); got != 401 {
		t.Errorf("right after delete: %d, want 401", got)
	}
}

// TestDenyUnpricedEverywhere refuses an unpriced model on passthrough
// routes and in model details, and leaves it out of the model list.
func TestDenyUnpricedEverywhere(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.DenyUnpriced = true })
	all := e.token(model.Spec{Limit: model.Dollar})
	resp, body := e.do(http.MethodPost, "/v1/images/generations", all.Key, `{"model":"m2"}`)
	if resp.StatusCode != 403 || apiErr(t, body).Code != "model_not_priced" {
		t.Errorf("passthrough with an unpriced model: %d %s", resp.StatusCode, body)
	}
	resp, body = e.do(http.MethodGet, "/v1/models", all.Key, "")
	if got := strings.Join(modelIDs(t, body), ","); resp.StatusCode != 200 || got != "m1" {
		t.Errorf("model list %d %q, want only the priced m1", resp.StatusCode, got)
	}
	if resp, _ := e.do(http.MethodGet, "/v1/models/m2", all.Key, ""); resp.StatusCode != 403 {
		t.Errorf("details of an unpriced model: %d, want 403", resp.StatusCode)
	}
	if resp, _ := e.do(http.MethodPost, "/v1/images/generations", all.Key,
		`{"model":"m1"}`); resp.StatusCode != 200 {
		t.Errorf("passthrough with a priced model: %d", resp.StatusCode)
	}
}

// TestKeyHeaderQuirks falls back to api-key after an empty Bearer,
// accepts a bare key in Authorization, and explains another scheme.
func TestKeyHeaderQuirks(t *testing.T) {
	e := newEnv(t)
	tok := e.limited()
	tests := []struct {
		name    string
		headers map[string]string
		status  int
		says    string
	}{
		{"empty Bearer, api-key", map[string]string{"Authorization": "Bearer",
			"Api-Key": tok.Key}, 200, ""},
		{"empty Bearer, x-api-key", map[string]string{"Authorization": "Bearer ",
			"X-Api-Key": tok.Key}, 200, ""},
		{"bare key", map[string]string{"Authorization": tok.Key}, 200, ""},
		{"Basic only", map[string]string{"Authorization": "Basic abc"}, 401,
			"Authorization: Bearer"},
		{"empty Bearer only", map[string]string{"Authorization": "Bearer"}, 401,
			"Authorization: Bearer"},
	}
	for _, tc := range tests {
		req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/v1/embeddings",
			strings.NewReader(`{"model":"m1"}`))
		for k, v := range tc.headers {
			req.Header.Set(k, v)
		}
		resp, body := e.send(req)
		if resp.StatusCode != tc.status ||
			tc.says != "" && !strings.Contains(apiErr(t, body).Message, tc.says) {
			t.Errorf("%s: %d %s", tc.name, resp.StatusCode, body)
		}
		if tc.says != "" && strings.Contains(apiErr(t, body).Message, "No API key provided") {
			t.Errorf("%s: says no key was provided", tc.name)
		}
	}
}

// TestUpstreamAuthFailureIs502 answers an upstream 401 or 403 (its
// verdict on the gateway's own key) with 502 upstream_auth_failed, never
// with the upstream's body, on every kind of route.
func TestUpstreamAuthFailureIs502(t *testing.T) {
	e := newEnv(t)
	tok := e.limited()
	const secret = "upstream says: key sk-upstr****1234 is invalid"
	e.up.answer = func(w http.ResponseWriter, r *http.Request, _ []byte) bool {
		status := http.StatusUnauthorized
		if strings.Contains(r.URL.Path, "embeddings") || r.URL.Path == "/v1/models" {
			status = http.StatusForbidden
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, `{"error":{"message":"`+secret+`","code":"invalid_api_key"}}`)
		return true
	}
	for _, tc := range []struct{ method, path, body string }{
		{"POST", "/v1/chat/completions", chatBody("m1")},
		{"POST", "/v1/embeddings", `{"model":"m1"}`},
		{"POST", "/v1/files", `{"a":1}`},
		{"GET", "/v1/models", ""},
		{"GET", "/v1/models/m1", ""},
	} {
		resp, body := e.do(tc.method, tc.path, tok.Key, tc.body)
		if resp.StatusCode != 502 || strings.Contains(string(body), secret) ||
			apiErr(t, body).Code != "upstream_auth_failed" {
			t.Errorf("%s %s: %d %s", tc.method, tc.path, resp.StatusCode, body)
		}
	}
	e.finish()
	if !strings.Contains(e.logs.String(), `"upstream_status":401`) ||
		!strings.Contains(e.logs.String(), `"upstream_status":403`) {
		t.Errorf("the log does not give the upstream's status:\n%s", e.logs.String())
	}
	if used := e.used(tok.ID); used != 0 {
		t.Errorf("charged %d", used)
	}
}

// TestPassthroughBodyLimit refuses a passthrough body over the limit:
// it is read whole so that its model can be checked.
func TestPassthroughBodyLimit(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.MaxBodyBytes = 1 << 10 })
	tok := e.limited()
	resp, _ := e.sendWith(http.MethodPost, "/v1/files", tok.Key, "application/octet-stream",
		bytes.Repeat([]byte("z"), 2<<10))
	if resp.StatusCode != 413 {
		t.Errorf("status %d, want 413", resp.StatusCode)
	}
}
