package gateway

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"keyward/model"
)

// TestMeteringJSON charges each metered route from its JSON usage.
func TestMeteringJSON(t *testing.T) {
	respCost := testPrice().Cost(model.Usage{Input: fakeRespIn,
		CachedInput: fakeRespCached, Output: fakeRespOut})
	embedCost := testPrice().Cost(model.Usage{Input: fakeEmbedIn})
	tests := []struct {
		path string
		body string
		cost model.Money
	}{
		{"/v1/chat/completions", chatBody("m1"), chatCost},
		{"/v1/completions", `{"model":"m1","prompt":"hi"}`, chatCost},
		{"/v1/embeddings", `{"model":"m1","input":"hi"}`, embedCost},
		{"/v1/responses", `{"model":"m1","input":"hi"}`, respCost},
	}
	if respCost != 10*2000+10*500+7*8000 || embedCost != 8*2000 {
		t.Fatalf("price arithmetic changed: %d %d", respCost, embedCost)
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			e := newEnv(t)
			tok := e.limited()
			resp, body := e.do(http.MethodPost, tc.path, tok.Key, tc.body)
			if resp.StatusCode != 200 || !strings.Contains(string(body), `"usage"`) {
				t.Fatalf("status %d body %s", resp.StatusCode, body)
			}
			e.settle()
			if used := e.used(tok.ID); used != tc.cost {
				t.Errorf("Used %d, want %d", used, tc.cost)
			}
			if !strings.Contains(e.logs.String(), `"msg":"charge committed"`) {
				t.Error("no charge committed line in the log")
			}
		})
	}
}

// readEvents reads a streamed answer's data payloads.
func readEvents(t *testing.T, body string) []string {
	t.Helper()
	var out []string
	sc := bufio.NewScanner(strings.NewReader(body))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			out = append(out, v)
		}
	}
	return out
}

// TestStreamingUsage meters streamed chat and completions, with and
// without the client asking for usage: the usage chunk is removed when
// the client did not ask for it and kept when it did.
func TestStreamingUsage(t *testing.T) {
	for _, path := range []string{"/v1/chat/completions", "/v1/completions"} {
		for _, clientAsks := range []bool{false, true} {
			name := path + map[bool]string{false: "/no-usage", true: "/usage"}[clientAsks]
			t.Run(name, func(t *testing.T) {
				testStream(t, path, clientAsks)
			})
		}
	}
}

func testStream(t *testing.T, path string, clientAsks bool) {
	e := newEnv(t)
	tok := e.limited()
	body := `{"model":"m1","prompt":"hi","stream":true,"stream_options":{"x":1}}`
	if clientAsks {
		body = `{"model":"m1","prompt":"hi","stream":true,` +
			`"stream_options":{"include_usage":true,"x":1}}`
	}
	resp, out := e.do(http.MethodPost, path, tok.Key, body)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("status %d type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var sent map[string]json.RawMessage
	_ = json.Unmarshal(e.up.last(t).body, &sent)
	if !strings.Contains(string(sent["stream_options"]), `"include_usage":true`) ||
		!strings.Contains(string(sent["stream_options"]), `"x":1`) {
		t.Errorf("upstream got stream_options %s, want include_usage added", sent["stream_options"])
	}
	events := readEvents(t, string(out))
	usageChunks := 0
	for _, ev := range events {
		if strings.Contains(ev, `"choices":[]`) {
			usageChunks++
		}
	}
	want := map[bool]int{false: 0, true: 1}[clientAsks]
	if usageChunks != want || events[len(events)-1] != "[DONE]" || len(events) != 5+want {
		t.Errorf("client got %d events, %d usage chunks (want %d), last %q",
			len(events), usageChunks, want, events[len(events)-1])
	}
	e.settle()
	if used := e.used(tok.ID); used != chatCost {
		t.Errorf("Used %d, want %d", used, chatCost)
	}
}

// TestStreamingResponses meters /v1/responses from response.completed and
// passes every event on.
func TestStreamingResponses(t *testing.T) {
	e := newEnv(t)
	tok := e.limited()
	resp, out := e.do(http.MethodPost, "/v1/responses", tok.Key,
		`{"model":"m1","input":"hi","stream":true}`)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if n := strings.Count(string(out), "event: "); n != 3 {
		t.Errorf("client got %d events, want 3:\n%s", n, out)
	}
	if strings.Contains(string(e.up.last(t).body), "stream_options") {
		t.Error("stream_options was added to a /v1/responses request")
	}
	e.settle()
	want := testPrice().Cost(model.Usage{Input: fakeRespIn, CachedInput: fakeRespCached,
		Output: fakeRespOut})
	if used := e.used(tok.ID); used != want {
		t.Errorf("Used %d, want %d", used, want)
	}
}

// TestStreamFlushesPerChunk reads the first chunk while the upstream holds
// the rest back: it must arrive before the stream ends.
func TestStreamFlushesPerChunk(t *testing.T) {
	e := newEnv(t)
	tok := e.limited()
	e.up.hold = make(chan struct{})
	resp := e.stream(tok.Key)
	defer func() { _ = resp.Body.Close() }()
	first := readFirstEvent(t, resp)
	if !strings.Contains(first, `"Hel"`) {
		t.Errorf("first event %q", first)
	}
	close(e.up.hold)
}

// stream starts a streamed chat request and returns the open answer.
func (e *env) stream(key string) *http.Response {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/v1/chat/completions",
		strings.NewReader(`{"model":"m1","messages":[],"stream":true}`))
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp
}

// readFirstEvent reads lines until the first data line, failing if the
// stream stalls (the guard only catches hangs).
func readFirstEvent(t *testing.T, resp *http.Response) string {
	t.Helper()
	got := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "data: ") {
				got <- sc.Text()
				return
			}
		}
		got <- ""
	}()
	select {
	case s := <-got:
		return s
	case <-time.After(10 * time.Second):
		t.Fatal("the first chunk did not arrive while the upstream held the rest")
		return ""
	}
}

// TestClientLeavingStillPays closes the client's connection after the
// first chunk: the gateway reads the upstream to its end and charges.
func TestClientLeavingStillPays(t *testing.T) {
	e := newEnv(t)
	tok := e.limited()
	e.up.hold = make(chan struct{})
	resp := e.stream(tok.Key)
	readFirstEvent(t, resp)
	_ = resp.Body.Close()
	e.srv.CloseClientConnections()
	close(e.up.hold)
	deadline := time.Now().Add(10 * time.Second)
	for e.used(tok.ID) != chatCost && time.Now().Before(deadline) {
		e.settle()
		time.Sleep(5 * time.Millisecond) // the handler finishes on its own
	}
	if used := e.used(tok.ID); used != chatCost {
		t.Errorf("Used %d after the client left, want %d", used, chatCost)
	}
}

// TestDisableRejectsNextRequest disables, re-enables and deletes a token
// in the store and checks the very next request after the gateway saw
// each change, with no lookup by key on the way.
func TestDisableRejectsNextRequest(t *testing.T) {
	e := newEnv(t)
	tok := e.limited()
	call := func() int {
		resp, _ := e.do(http.MethodPost, "/v1/embeddings", tok.Key, `{"model":"m1"}`)
		return resp.StatusCode
	}
	if got := call(); got != 200 {
		t.Fatalf("status %d before any change", got)
	}
	steps := []struct {
		name   string
		change func() error
		want   int
	}{
		{"disable", func() error { _, err := e.db.SetEnabled("t", tok.ID, false); return err }, 401},
		{"enable", func() error { _, err := e.db.SetEnabled("t", tok.ID, true); return err }, 200},
		{"narrow allowlist", func() error {
			e.settle() // a charge bumps Version too
			_, err := e.db.Update("t", tok.ID, e.version(tok.ID),
				model.Changes{Models: &[]string{"m2"}})
			return err
		}, 403},
		{"delete", func() error { return e.db.Delete("t", tok.ID) }, 401},
	}
	for _, s := range steps {
		if err := s.change(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		e.sawToken(tok.ID)
		if got := call(); got != s.want {
			t.Errorf("after %s: status %d, want %d", s.name, got, s.want)
		}
	}
	if n := e.store.get("FindByKey"); n != 2 {
		t.Errorf("FindByKey called %d times, want 2 (first use, after delete)", n)
	}
}

// version reads a token's current Version.
func (e *env) version(id uint64) uint64 {
	tok, err := e.db.Get(id)
	if err != nil {
		e.t.Fatal(err)
	}
	return tok.Version
}

// TestQuotaCountsPendingCharges keeps charges queued (long linger) and
// checks that the quota already counts them.
func TestQuotaCountsPendingCharges(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.ChargeLinger = time.Hour; c.ChargeBatch = 100 })
	tok := e.token(model.Spec{Limit: 2*chatCost - 1})
	codes := []int{}
	for range 3 {
		resp, _ := e.do(http.MethodPost, "/v1/chat/completions", tok.Key, chatBody("m1"))
		codes = append(codes, resp.StatusCode)
	}
	if codes[0] != 200 || codes[1] != 200 || codes[2] != 429 {
		t.Errorf("statuses %v, want [200 200 429]", codes)
	}
	if used := e.used(tok.ID); used != 0 {
		t.Fatalf("charges committed before the linger ended: Used %d", used)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.close(ctx); err != nil {
		t.Fatal(err)
	}
	if used := e.used(tok.ID); used != 2*chatCost {
		t.Errorf("Used %d after Close, want %d (Close must flush)", used, 2*chatCost)
	}
}

// TestQuotaAfterCommit refuses once committed charges reach the limit,
// across the refresh that follows the commit.
func TestQuotaAfterCommit(t *testing.T) {
	e := newEnv(t)
	tok := e.token(model.Spec{Limit: chatCost})
	resp, _ := e.do(http.MethodPost, "/v1/chat/completions", tok.Key, chatBody("m1"))
	if resp.StatusCode != 200 {
		t.Fatalf("first: %d", resp.StatusCode)
	}
	e.settle()
	e.until("the commit is read back", func() bool {
		a, ok := e.cachedToken(tok.ID)
		return ok && a.tok.Used == chatCost && a.spent == chatCost
	})
	resp, body := e.do(http.MethodPost, "/v1/chat/completions", tok.Key, chatBody("m1"))
	if resp.StatusCode != 429 || apiErr(t, body).Code != CodeQuota {
		t.Errorf("second: %d %s, want 429", resp.StatusCode, body)
	}
}

// TestUnlimitedIsMetered charges an unlimited token with a zero limit.
func TestUnlimitedIsMetered(t *testing.T) {
	e := newEnv(t)
	tok := e.token(model.Spec{Unlimited: true})
	for range 3 {
		if resp, _ := e.do(http.MethodPost, "/v1/chat/completions", tok.Key,
			chatBody("m1")); resp.StatusCode != 200 {
			t.Fatalf("status %d", resp.StatusCode)
		}
	}
	e.settle()
	if used := e.used(tok.ID); used != 3*chatCost {
		t.Errorf("Used %d, want %d", used, 3*chatCost)
	}
	days, err := e.db.DailySpend(tok.ID, 30, time.Now())
	if err != nil || days[len(days)-1].Amount != 3*chatCost {
		t.Errorf("today's spend %v (%v), want %d", days[len(days)-1], err, 3*chatCost)
	}
}

// TestUnpriced serves an unpriced model at zero cost with one warning,
// or refuses it with DenyUnpriced.
func TestUnpriced(t *testing.T) {
	e := newEnv(t)
	tok := e.limited()
	for range 2 {
		if resp, _ := e.do(http.MethodPost, "/v1/chat/completions", tok.Key,
			chatBody("m2")); resp.StatusCode != 200 {
			t.Fatalf("status %d", resp.StatusCode)
		}
	}
	e.finish()
	if n := strings.Count(e.logs.String(), "model has no price"); n != 1 {
		t.Errorf("%d unpriced warnings for two requests, want 1", n)
	}
	if used := e.used(tok.ID); used != 0 {
		t.Errorf("an unpriced model charged %d", used)
	}
	d := newEnv(t, func(c *Config) { c.DenyUnpriced = true })
	tok = d.limited()
	resp, body := d.do(http.MethodPost, "/v1/chat/completions", tok.Key, chatBody("m2"))
	if resp.StatusCode != 403 || apiErr(t, body).Code != CodeModelNotPriced {
		t.Errorf("deny: %d %s", resp.StatusCode, body)
	}
	if resp, _ := d.do(http.MethodPost, "/v1/chat/completions", tok.Key,
		chatBody("m1")); resp.StatusCode != 200 {
		t.Errorf("deny refused a priced model: %d", resp.StatusCode)
	}
}

// TestPriceChangeApplies re-prices a model and checks the next request
// uses the new price.
func TestPriceChangeApplies(t *testing.T) {
	e := newEnv(t)
	tok := e.limited()
	p := model.Price{Input: model.Dollar, Output: model.Dollar}
	if err := e.db.SetPrice("t", "m2", &p); err != nil {
		t.Fatal(err)
	}
	e.sawPrice("m2")
	e.do(http.MethodPost, "/v1/chat/completions", tok.Key, chatBody("m2"))
	e.settle()
	want := p.Cost(model.Usage{Input: fakePrompt, CachedInput: fakeCached,
		Output: fakeCompletion})
	if used := e.used(tok.ID); used != want || want == 0 {
		t.Errorf("Used %d, want %d", used, want)
	}
}

// TestManyCachedTokens takes the List path of a refresh (more than
// listAbove tokens cached) through a disable and a delete.
func TestManyCachedTokens(t *testing.T) {
	e := newEnv(t)
	toks := make([]model.Token, listAbove+8)
	for i := range toks {
		toks[i] = e.token(model.Spec{Name: fmt.Sprintf("t%d", i), Limit: model.Dollar})
		if resp, _ := e.do(http.MethodPost, "/v1/embeddings", toks[i].Key,
			`{"model":"m1"}`); resp.StatusCode != 200 {
			t.Fatalf("token %d: %d", i, resp.StatusCode)
		}
	}
	e.settle()
	// Refreshes run one after another: once one that began after this
	// price change is done, every refresh made with fewer tokens is too.
	_ = e.db.SetPrice("t", "zz", ptr(testPrice()))
	e.sawPrice("zz")
	gets := e.store.get("Get")
	off, gone := toks[3], toks[7]
	if _, err := e.db.SetEnabled("t", off.ID, false); err != nil {
		t.Fatal(err)
	}
	if err := e.db.Delete("t", gone.ID); err != nil {
		t.Fatal(err)
	}
	e.sawToken(off.ID)
	e.sawToken(gone.ID)
	for _, tc := range []struct {
		tok  model.Token
		want int
	}{{off, 401}, {gone, 401}, {toks[0], 200}} {
		if resp, _ := e.do(http.MethodPost, "/v1/embeddings", tc.tok.Key,
			`{"model":"m1"}`); resp.StatusCode != tc.want {
			t.Errorf("token %d: %d, want %d", tc.tok.ID, resp.StatusCode, tc.want)
		}
	}
	if n := e.store.get("Get") - gets; n != 0 {
		t.Errorf("refreshes made %d Get calls; with %d tokens cached they should List",
			n, len(toks))
	}
}

// TestCloseFlushes commits queued charges even when Close's context has
// already ended, and reports charges the store refused.
func TestCloseFlushes(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.ChargeLinger = time.Hour })
	tok := e.limited()
	for range 2 {
		e.do(http.MethodPost, "/v1/chat/completions", tok.Key, chatBody("m1"))
	}
	e.srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := e.close(ctx); err != nil {
		t.Fatalf("close: %v", err)
	}
	if used := e.used(tok.ID); used != 2*chatCost {
		t.Errorf("Used %d after Close, want %d", used, 2*chatCost)
	}

	f := newEnv(t, func(c *Config) { c.ChargeLinger = time.Hour })
	tok = f.limited()
	f.do(http.MethodPost, "/v1/chat/completions", tok.Key, chatBody("m1"))
	f.srv.Close()
	_ = f.db.Close()
	if err := f.close(ctx); err == nil || !strings.Contains(err.Error(), "1 charges") {
		t.Errorf("close over a closed store: %v, want 1 charge reported lost", err)
	}
	if !strings.Contains(f.logs.String(), `"msg":"charge lost"`) {
		t.Error("the lost charge was not logged")
	}
}

// TestFullBatchEndsLinger commits a batch as soon as it is full, without
// waiting out the (hour-long) linger, both when the batch fills during
// the wait and when it is already full when the writer looks.
func TestFullBatchEndsLinger(t *testing.T) {
	db := openStore(t)
	ids := benchTokens(t, db, 1)
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	cfg := withDefaults(Config{Upstream: "http://127.0.0.1:1/v1", Logger: log,
		ChargeLinger: time.Hour, ChargeBatch: 4})
	q := newChargeQueue(db, newTokenCache(db, time.Now, log), func() {}, log, cfg)
	go q.run()
	defer func() { _ = q.close(context.Background()) }()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	charge := func() { q.enqueue(chargeItem{tokenID: ids[0], amount: 1000, at: time.Now()}) }
	// Filled during the wait: the writer has taken the first charge and
	// (after the pause, all but surely) waits before the other three come.
	charge()
	for len(q.in) > 0 && ctx.Err() == nil {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond)
	for range 3 {
		charge()
	}
	if err := q.waitSettled(ctx); err != nil {
		t.Fatalf("a full batch waited for the linger: %v", err)
	}
	// Already full, twice over, when the writer looks.
	for range 8 {
		charge()
	}
	if err := q.waitSettled(ctx); err != nil {
		t.Fatalf("two full batches waited for the linger: %v", err)
	}
	if c := q.commits.Load(); c != 3 {
		t.Errorf("%d commits, want 3 full batches", c)
	}
}
