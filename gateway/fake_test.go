package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"keyward/keys"
	"keyward/model"
	"keyward/storage"
)

// Usage the fake upstream reports for every request.
const (
	fakePrompt     = 10
	fakeCached     = 4
	fakeCompletion = 5
	fakeRespIn     = 20
	fakeRespCached = 10
	fakeRespOut    = 7
	fakeEmbedIn    = 8
	upstreamKey    = "upstream-secret-for-tests"
)

// seenRequest is what the fake upstream recorded of one request.
type seenRequest struct {
	method string
	path   string
	header http.Header
	body   []byte
}

// fakeUpstream is an OpenAI-compatible server for tests. Its hold
// channel, when set, pauses a stream after its first chunk until closed.
type fakeUpstream struct {
	srv  *httptest.Server
	mu   sync.Mutex
	seen []seenRequest
	hold chan struct{}
	// answer, when set, answers instead of the usual handlers if it
	// returns true (it gets the body already read). Set it before the
	// first request.
	answer func(w http.ResponseWriter, r *http.Request, body []byte) bool
}

func newFakeUpstream(t testing.TB) *fakeUpstream {
	f := &fakeUpstream{}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// requests returns a copy of what the upstream has seen.
func (f *fakeUpstream) requests() []seenRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]seenRequest(nil), f.seen...)
}

// last returns the last request seen.
func (f *fakeUpstream) last(t testing.TB) seenRequest {
	t.Helper()
	seen := f.requests()
	if len(seen) == 0 {
		t.Fatal("the upstream saw no request")
	}
	return seen[len(seen)-1]
}

func (f *fakeUpstream) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.seen = append(f.seen, seenRequest{r.Method, r.URL.Path, r.Header.Clone(), body})
	f.mu.Unlock()
	if f.answer != nil && f.answer(w, r, body) {
		return
	}
	var req struct {
		Model         string `json:"model"`
		Stream        bool   `json:"stream"`
		StreamOptions struct {
			IncludeUsage bool `json:"include_usage"`
		} `json:"stream_options"`
	}
	_ = json.Unmarshal(body, &req)
	if req.Model == "fail" {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = io.WriteString(w, `{"error":{"message":"boom"},"usage":`+
			`{"prompt_tokens":1000,"completion_tokens":1000}}`)
		return
	}
	switch {
	case r.URL.Path == "/v1/chat/completions" || r.URL.Path == "/v1/completions":
		f.serveChat(w, r.URL.Path, req.Model, req.Stream, req.StreamOptions.IncludeUsage)
	case r.URL.Path == "/v1/embeddings":
		writeTestJSON(w, fmt.Sprintf(`{"object":"list","data":[{"object":"embedding",`+
			`"index":0,"embedding":[0.1,0.2]}],"model":%q,"usage":`+
			`{"prompt_tokens":%d,"total_tokens":%d}}`, req.Model, fakeEmbedIn, fakeEmbedIn))
	case r.URL.Path == "/v1/responses":
		f.serveResponses(w, req.Model, req.Stream)
	case r.URL.Path == "/v1/models":
		writeTestJSON(w, `{"object":"list","data":[{"id":"m1","object":"model"},`+
			`{"id":"m2","object":"model"},{"id":"m3","object":"model"}]}`)
	default:
		writeTestJSON(w, fmt.Sprintf(`{"passed":true,"method":%q}`, r.Method))
	}
}

func writeTestJSON(w http.ResponseWriter, s string) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, s)
}

// chatUsage is the usage object of chat and completions answers.
func chatUsage() string {
	return fmt.Sprintf(`{"prompt_tokens":%d,"completion_tokens":%d,"total_tokens":%d,`+
		`"prompt_tokens_details":{"cached_tokens":%d}}`, fakePrompt, fakeCompletion,
		fakePrompt+fakeCompletion, fakeCached)
}

func (f *fakeUpstream) serveChat(w http.ResponseWriter, path, mdl string,
	stream, usage bool) {
	object := "chat.completion"
	if path == "/v1/completions" {
		object = "text_completion"
	}
	if !stream {
		writeTestJSON(w, fmt.Sprintf(`{"id":"x","object":%q,"model":%q,"choices":`+
			`[{"index":0,"message":{"role":"assistant","content":"Hello!"},`+
			`"finish_reason":"stop"}],"usage":%s}`, object, mdl, chatUsage()))
		return
	}
	f.streamChat(w, object+".chunk", mdl, usage)
}

// streamChat sends three content chunks, a finish chunk, the usage chunk
// when asked, and [DONE], flushing each.
func (f *fakeUpstream) streamChat(w http.ResponseWriter, object, mdl string, usage bool) {
	w.Header().Set("Content-Type", "text/event-stream")
	nullUsage := ""
	if usage {
		nullUsage = `,"usage":null`
	}
	send := func(s string) {
		_, _ = io.WriteString(w, "data: "+s+"\n\n")
		http.NewResponseController(w).Flush()
	}
	for i, part := range []string{"Hel", "lo", "!"} {
		send(fmt.Sprintf(`{"id":"x","object":%q,"model":%q,"choices":[{"index":0,`+
			`"delta":{"content":%q},"finish_reason":null}]%s}`, object, mdl, part, nullUsage))
		if i == 0 && f.hold != nil {
			<-f.hold
		}
	}
	send(fmt.Sprintf(`{"id":"x","object":%q,"model":%q,"choices":[{"index":0,`+
		`"delta":{},"finish_reason":"stop"}]%s}`, object, mdl, nullUsage))
	if usage {
		send(fmt.Sprintf(`{"id":"x","object":%q,"model":%q,"choices":[],"usage":%s}`,
			object, mdl, chatUsage()))
	}
	send("[DONE]")
}

// respUsage is the usage object of /v1/responses answers.
func respUsage() string {
	return fmt.Sprintf(`{"input_tokens":%d,"input_tokens_details":{"cached_tokens":%d},`+
		`"output_tokens":%d,"output_tokens_details":{"reasoning_tokens":0},`+
		`"total_tokens":%d}`, fakeRespIn, fakeRespCached, fakeRespOut, fakeRespIn+fakeRespOut)
}

func (f *fakeUpstream) serveResponses(w http.ResponseWriter, mdl string, stream bool) {
	if !stream {
		writeTestJSON(w, fmt.Sprintf(`{"id":"r","object":"response","model":%q,`+
			`"output":[],"usage":%s}`, mdl, respUsage()))
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	events := []string{
		`{"type":"response.created","response":{"id":"r","usage":null}}`,
		`{"type":"response.output_text.delta","delta":"Hi"}`,
		fmt.Sprintf(`{"type":"response.completed","response":{"id":"r","model":%q,`+
			`"usage":%s}}`, mdl, respUsage()),
	}
	for _, e := range events {
		var typ struct{ Type string }
		_ = json.Unmarshal([]byte(e), &typ)
		_, _ = fmt.Fprintf(w, "event: %s\ndata: %s\n\n", typ.Type, e)
		http.NewResponseController(w).Flush()
	}
}

// testPrice is m1's price; m2 has none.
func testPrice() model.Price {
	return model.Price{Input: 2 * model.Dollar, Output: 8 * model.Dollar,
		CachedInput: new(model.Dollar / 2)}
}

// chatCost is what one chat or completions request costs on m1:
// 6 fresh input tokens at $2/M, 4 cached at $0.50/M, 5 output at $8/M.
const chatCost = model.Money(6*2000 + 4*500 + 5*8000)

// syncBuffer collects log output from many goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// countingStore counts the store calls a request makes.
type countingStore struct {
	storage.Store
	mu    sync.Mutex
	calls map[string]int
}

func (c *countingStore) count(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls[name]++
}

func (c *countingStore) total() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, v := range c.calls {
		n += v
	}
	return n
}

func (c *countingStore) get(name string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls[name]
}

func (c *countingStore) KeyHash(key string) [32]byte {
	c.count("KeyHash")
	return c.Store.KeyHash(key)
}

func (c *countingStore) FindByKey(key string) (model.Token, error) {
	c.count("FindByKey")
	return c.Store.FindByKey(key)
}

func (c *countingStore) Get(id uint64) (model.Token, error) {
	c.count("Get")
	return c.Store.Get(id)
}

// env is a gateway over a real store in front of a fake upstream.
type env struct {
	t     *testing.T
	db    *storage.DB
	store *countingStore
	up    *fakeUpstream
	gw    *Gateway
	srv   *httptest.Server
	logs  *syncBuffer
	// active counts the gateway's handlers still running: a client can
	// have its whole answer before the handler has queued the charge.
	active inFlight
	// closed is set when the test closed the gateway itself and checks
	// Close's result on its own.
	closed bool
}

// openStore opens a real store in a temporary directory.
func openStore(t testing.TB) *storage.DB {
	t.Helper()
	dir := t.TempDir()
	db, err := storage.Open(filepath.Join(dir, "k.db"),
		storage.Options{KeyPath: filepath.Join(dir, "k.key")})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if err := db.SetPrice("test", "m1", ptr(testPrice())); err != nil {
		t.Fatalf("set price: %v", err)
	}
	return db
}

func ptr[T any](v T) *T { return &v }

// newEnv starts everything; edit changes the gateway's config.
func newEnv(t *testing.T, edit ...func(*Config)) *env {
	t.Helper()
	e := &env{t: t, db: openStore(t), up: newFakeUpstream(t), logs: &syncBuffer{}}
	e.store = &countingStore{Store: e.db, calls: map[string]int{}}
	cfg := Config{Upstream: e.up.srv.URL + "/v1", UpstreamKey: upstreamKey,
		Logger: slog.New(slog.NewJSONHandler(e.logs, nil))}
	for _, f := range edit {
		f(&cfg)
	}
	gw, err := New(e.store, cfg)
	if err != nil {
		t.Fatalf("new gateway: %v", err)
	}
	e.gw = gw
	e.srv = httptest.NewServer(e.active.wrap(gw.Handler()))
	t.Cleanup(func() {
		e.srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := gw.Close(ctx); err != nil && !e.closed {
			t.Errorf("close gateway: %v", err)
		}
	})
	return e
}

// token creates a token and returns it with its key.
func (e *env) token(spec model.Spec) model.Token {
	e.t.Helper()
	if spec.Name == "" {
		spec.Name = "alice"
	}
	tok, err := e.db.Create("test", spec)
	if err != nil {
		e.t.Fatalf("create token: %v", err)
	}
	return tok
}

// limited is a token with a $1 quota allowed m1 and m2.
func (e *env) limited() model.Token {
	return e.token(model.Spec{Limit: model.Dollar, Models: []string{"m1", "m2", "fail"}})
}

// do sends a request with the key in an Authorization header.
func (e *env) do(method, path, key, body string) (*http.Response, []byte) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	return e.send(req)
}

// send sends req and reads the whole answer.
func (e *env) send(req *http.Request) (*http.Response, []byte) {
	e.t.Helper()
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatalf("read answer: %v", err)
	}
	return resp, body
}

// settle waits until every running handler has returned and the
// charges they queued are committed.
func (e *env) settle() {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.active.wait(ctx); err != nil {
		e.t.Fatalf("wait for the handlers: %v", err)
	}
	if err := e.gw.charges.waitSettled(ctx); err != nil {
		e.t.Fatalf("wait for charges: %v", err)
	}
}

// inFlight counts running handlers.
type inFlight struct {
	mu   sync.Mutex
	n    int
	idle chan struct{} // closed and replaced when n drops to zero
}

// wrap counts h's running calls.
func (f *inFlight) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.n++
		f.mu.Unlock()
		defer f.done()
		h.ServeHTTP(w, r)
	})
}

func (f *inFlight) done() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n--
	if f.n == 0 && f.idle != nil {
		close(f.idle)
		f.idle = nil
	}
}

// wait waits until no handler runs.
func (f *inFlight) wait(ctx context.Context) error {
	f.mu.Lock()
	if f.n == 0 {
		f.mu.Unlock()
		return nil
	}
	if f.idle == nil {
		f.idle = make(chan struct{})
	}
	idle := f.idle
	f.mu.Unlock()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// until waits until cond holds, re-checking after each refresh of the
// gateway's caches.
func (e *env) until(what string, cond func() bool) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.gw.watch.waitUntil(ctx, cond); err != nil {
		e.t.Fatalf("wait until %s: %v", what, err)
	}
}

// cachedToken returns the gateway's cached copy of a token.
func (e *env) cachedToken(id uint64) (account, bool) {
	c := e.gw.tokens
	c.mu.RLock()
	defer c.mu.RUnlock()
	entry, ok := c.byID[id]
	if !ok {
		return account{}, false
	}
	return entry.account(), true
}

// sawToken waits until the gateway's copy of a token matches the store:
// same Version, or gone when the store has none.
func (e *env) sawToken(id uint64) {
	e.t.Helper()
	e.until("the gateway sees token changes", func() bool {
		tok, err := e.db.Get(id)
		got, cached := e.cachedToken(id)
		if err != nil {
			return !cached
		}
		return cached && got.tok.Version == tok.Version
	})
}

// sawPrice waits until the gateway knows a model's price.
func (e *env) sawPrice(name string) {
	e.t.Helper()
	e.until("the gateway sees the price of "+name, func() bool {
		_, ok := e.gw.prices.lookup(name)
		return ok
	})
}

// close closes the gateway and returns Close's error.
func (e *env) close(ctx context.Context) error {
	e.closed = true
	return e.gw.Close(ctx)
}

// finish waits for every handler to return (closing the gateway's
// server) and for their charges to commit.
func (e *env) finish() {
	e.t.Helper()
	e.srv.Close()
	e.settle()
}

// waitLog waits for a log line holding want: a handler writes its line
// just after the client has its answer.
func (e *env) waitLog(want string) {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(e.logs.String(), want) {
		if time.Now().After(deadline) {
			e.t.Fatalf("no log line with %s in:\n%s", want, e.logs.String())
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// used returns a token's Used from the store.
func (e *env) used(id uint64) model.Money {
	e.t.Helper()
	tok, err := e.db.Get(id)
	if err != nil {
		e.t.Fatalf("get token %d: %v", id, err)
	}
	return tok.Used
}

// apiErr decodes an OpenAI-shaped error body.
func apiErr(t testing.TB, body []byte) errorFields {
	t.Helper()
	var eb errorBody
	if err := json.Unmarshal(body, &eb); err != nil {
		t.Fatalf("error body %q is not OpenAI's shape: %v", body, err)
	}
	return eb.Error
}

// masked shows a key safely in test output.
func masked(key string) string { return keys.Mask(key) }

// chatBody is a chat request for a model.
func chatBody(mdl string) string {
	return fmt.Sprintf(`{"model":%q,"messages":[{"role":"user","content":"hi"}]}`, mdl)
}
