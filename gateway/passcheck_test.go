package gateway

// Regression tests for passthrough bodies and queries that a lenient
// upstream reads but the gateway used to skip, for HEAD on the model
// list, and for keys cut in pieces by spaces in masked text.

import (
	"bytes"
	"compress/gzip"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"keyward/keys"
	"keyward/model"
)

// gzipped compresses s.
func gzipped(t *testing.T, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// passCase is one passthrough body and the status it must get.
type passCase struct {
	name, ct, enc string
	body          []byte
	status        int
}

// uncertainBodies are passthrough bodies naming the forbidden model m3
// in ways the gateway cannot read (or could not before), with the
// status a token restricted to m1 must get.
func uncertainBodies(t *testing.T) []passCase {
	mpGood, good := multipartBody(t, "model", "m1")
	mpBad, bad := multipartBody(t, "model", "m3")
	wrongBoundary := strings.Replace(mpBad, "boundary=", "boundary=x", 1)
	const js = "application/json"
	return []passCase{
		{"BOM then object", js, "", []byte("\xef\xbb\xbf{\"model\":\"m3\"}"), 403},
		{"BOM then allowed", js, "", []byte("\xef\xbb\xbf {\"model\":\"m1\"}\n"), 200},
		{"trailing data", js, "", []byte(`{"model":"m3"}x`), 400},
		{"trailing brace", js, "", []byte(`{"model":"m3"}}`), 400},
		{"two objects", js, "", []byte(`{"model":"m1"}{"model":"m3"}`), 400},
		{"array", js, "", []byte(`[{"model":"m3"}]`), 403},
		{"array, second", js, "", []byte(`[{"model":"m1"},1,{"Model":"m3","model":"m1"}]`),
			200},
		{"array, allowed", js, "", []byte(`[{"model":"m1"},"x"]`), 200},
		{"scalar", js, "", []byte(`"m3"`), 200},
		{"binary as JSON", js, "", []byte("\x00\x01m3"), 400},
		{"binary", "application/octet-stream", "", []byte("\x00\x01"), 400},
		{"gzip", js, "gzip", gzipped(t, `{"model":"m3"}`), 400},
		{"gzip of allowed", js, "gzip", gzipped(t, `{"model":"m1"}`), 400},
		{"identity", js, "identity", []byte(`{"model":"m1"}`), 200},
		{"multipart/mixed", strings.Replace(mpBad, "form-data", "mixed", 1), "", bad, 400},
		{"wrong boundary", wrongBoundary, "", bad, 400},
		{"multipart, allowed", mpGood, "", good, 200},
		{"JSON as a form", "application/x-www-form-urlencoded", "",
			[]byte(`{"x":"&model=m3&"}`), 403},
		{"form, bracket key", "application/x-www-form-urlencoded", "",
			[]byte(`model[]=m3`), 403},
		{"white space only", js, "", []byte(" \n"), 200},
	}
}

// sendPass sends one passthrough case with key.
func (e *env) sendPass(key string, tc passCase) (*http.Response, []byte) {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+"/v1/audio/speech",
		bytes.NewReader(tc.body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", tc.ct)
	if tc.enc != "" {
		req.Header.Set("Content-Encoding", tc.enc)
	}
	return e.send(req)
}

// TestPassthroughUncertainBodies refuses, for a token with an allowlist,
// a passthrough body the gateway cannot read with certainty (400
// invalid_body), checks the models of BOM-prefixed JSON and of arrays,
// and never lets the forbidden model reach the upstream.
func TestPassthroughUncertainBodies(t *testing.T) {
	e := newEnv(t)
	tok := e.limited()
	for _, tc := range uncertainBodies(t) {
		resp, body := e.sendPass(tok.Key, tc)
		if resp.StatusCode != tc.status {
			t.Errorf("%s: %d %s, want %d", tc.name, resp.StatusCode, body, tc.status)
			continue
		}
		if tc.status == 400 && apiErr(t, body).Code != CodeInvalidBody {
			t.Errorf("%s: code %s, want %s", tc.name, apiErr(t, body).Code, CodeInvalidBody)
		}
	}
	for _, r := range e.up.requests() {
		if bytes.Contains(r.body, []byte("m3")) && !bytes.Equal(r.body, []byte(`"m3"`)) {
			t.Errorf("the upstream got a forbidden model: %q", r.body)
		}
		if bytes.HasPrefix(r.body, []byte("\xef\xbb\xbf")) {
			t.Errorf("the upstream got a BOM: %q", r.body)
		}
	}
}

// TestPassthroughUncertainUnrestricted keeps forwarding bodies the
// gateway cannot read for a token with no allowlist, and refuses them
// for the same token when unpriced models are refused.
func TestPassthroughUncertainUnrestricted(t *testing.T) {
	body := passCase{name: "gzip", ct: "application/json", enc: "gzip"}
	body.body = gzipped(t, `{"model":"m3"}`)
	e := newEnv(t)
	all := e.token(model.Spec{Limit: model.Dollar})
	if resp, b := e.sendPass(all.Key, body); resp.StatusCode != 200 {
		t.Errorf("no allowlist: %d %s, want 200", resp.StatusCode, b)
	}
	if got := e.up.last(t).body; !bytes.Equal(got, body.body) {
		t.Errorf("the upstream got %d bytes, want the %d sent", len(got), len(body.body))
	}
	d := newEnv(t, func(c *Config) { c.DenyUnpriced = true })
	all = d.token(model.Spec{Limit: model.Dollar})
	if resp, b := d.sendPass(all.Key, body); resp.StatusCode != 400 {
		t.Errorf("unpriced deny: %d %s, want 400", resp.StatusCode, b)
	}
}

// TestPassthroughQueryModel holds every model in a passthrough query
// string to the allowlist.
func TestPassthroughQueryModel(t *testing.T) {
	e := newEnv(t)
	tok := e.limited()
	tests := []struct {
		query  string
		status int
	}{
		{"model=m3", 403},
		{"model=m1", 200},
		{"model=m1&model=m3", 403},
		{"x=1;model=m3", 403},
		{"MODEL=m3", 403},
		{"model%5B%5D=m3", 403},
		{"mod%65l=m3", 403},
		{"model=m%zz", 400},
		{"limit=3", 200},
	}
	for _, tc := range tests {
		resp, body := e.do(http.MethodGet, "/v1/files?"+tc.query, tok.Key, "")
		if resp.StatusCode != tc.status {
			t.Errorf("?%s: %d %s, want %d", tc.query, resp.StatusCode, body, tc.status)
		}
	}
	if n := len(e.up.requests()); n != 2 {
		t.Errorf("the upstream got %d requests, want the 2 allowed", n)
	}
}

// TestHeadOnRestrictedPaths answers HEAD with 405 wherever methods are
// restricted (Allow names what is taken), and logs a refused method on
// a metered path under that route's name.
func TestHeadOnRestrictedPaths(t *testing.T) {
	e := newEnv(t)
	tok := e.limited()
	tests := []struct{ path, allow string }{
		{"/v1/models", "GET"},
		{"/v1/models/m1", "GET"},
		{"/v1/models/m3", "GET"},
		{"/v1/responses/resp_1", "GET, DELETE"},
		{"/v1/chat/completions", "POST"},
	}
	for _, tc := range tests {
		resp, _ := e.do(http.MethodHead, tc.path, tok.Key, "")
		if resp.StatusCode != 405 || resp.Header.Get("Allow") != tc.allow {
			t.Errorf("HEAD %s: %d Allow %q, want 405 Allow %q", tc.path,
				resp.StatusCode, resp.Header.Get("Allow"), tc.allow)
		}
	}
	if n := len(e.up.requests()); n != 0 {
		t.Errorf("the upstream got %d requests", n)
	}
	e.waitLog(`"method":"HEAD","path":"/v1/chat/completions","route":"chat.completions"`)
	e.waitLog(`"method":"HEAD","path":"/v1/models","route":"models"`)
}

// TestMaskSplitKeyShowsFour shows at most 4 characters of a key cut in
// pieces of 16 or more by spaces or punctuation.
func TestMaskSplitKeyShowsFour(t *testing.T) {
	body := testKeyBody
	maskedTails := regexp.MustCompile(`\*\*\*\*([A-Za-z0-9]*)`)
	for _, in := range []string{
		keys.Prefix + body[:24] + " " + body[24:],
		body[:16] + " " + body[16:32] + " " + body[32:],
		"model " + body[:20] + ", " + body[20:],
		"/v1/x/" + body[:24] + "/y/" + body[24:],
	} {
		out := maskKeys(in)
		shown := 0
		for _, m := range maskedTails.FindAllStringSubmatch(out, -1) {
			shown += len(m[1])
		}
		if shown > maskShown {
			t.Errorf("%d pieces: %d characters of the key %s are shown",
				len(strings.Fields(in)), shown, keys.Mask(keys.Prefix+body))
		}
	}
}
