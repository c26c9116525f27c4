package gateway

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"keyward/gateway/internal/loadgen"
	"keyward/model"
	"keyward/storage"
)

// benchCompletion is the fake upstream's fixed answer.
const benchCompletion = `{"id":"chatcmpl-1","object":"chat.completion","created":1,` +
	`"model":"m1","choices":[{"index":0,"message":{"role":"assistant",` +
	`"content":"Hello there, how can I help?"},"finish_reason":"stop"}],` +
	`"usage":{"prompt_tokens":12,"completion_tokens":8,"total_tokens":20}}`

// The fake upstream's headers: how long a request asks it to take, as a
// Go duration (the gateway and the bare proxy pass it on like any other
// header), and how long it held the request, in nanoseconds, from the
// start of its handler to its answer (the sleep and its overshoot).
const (
	benchDelayHeader = "X-Bench-Delay"
	benchHeldHeader  = "X-Bench-Held"
)

// benchUpstream answers every request with benchCompletion, after the
// time its benchDelayHeader names, if any.
func benchUpstream(b *testing.B) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		_, _ = io.Copy(io.Discard, r.Body)
		if d, err := time.ParseDuration(r.Header.Get(benchDelayHeader)); err == nil {
			time.Sleep(d)
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set(benchHeldHeader, strconv.FormatInt(int64(time.Since(start)), 10))
		_, _ = io.WriteString(w, benchCompletion)
	}))
	b.Cleanup(srv.Close)
	return srv
}

// modelDelays is the model-like upstream's schedule of answer times: 512
// times drawn uniformly from 25 to 75 ms by a fixed seed. Request i of a
// benchmark takes modelDelays()[i%512] on every path.
func modelDelays() []string {
	rng := rand.New(rand.NewPCG(1, 2))
	out := make([]string, 512)
	for i := range out {
		ms := 25 + rng.Float64()*50
		out[i] = time.Duration(ms * float64(time.Millisecond)).String()
	}
	return out
}

// benchGateway starts a gateway over a real store in front of upstream and
// returns its URL and a key for an unlimited token. It logs JSON lines to
// a file, as `keyward serve --log FILE` does.
func benchGateway(b *testing.B, upstream string) (string, string) {
	db := openStore(b)
	tok, err := db.Create("bench", model.Spec{Name: "bench", Unlimited: true})
	if err != nil {
		b.Fatal(err)
	}
	logFile, err := os.Create(filepath.Join(b.TempDir(), "gateway.log"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = logFile.Close() }) // runs last: after the gateway's
	gw, err := New(db, Config{Upstream: upstream + "/v1",
		Logger: slog.New(slog.NewJSONHandler(logFile, nil))})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(gw.Handler())
	b.Cleanup(func() {
		srv.Close()
		_ = gw.Close(context.Background())
	})
	return srv.URL, tok.Key
}

// BenchmarkGatewayVsDirect measures, in one run, the same chat request
// sent to a fake upstream that does no work, directly and through the
// gateway (and through a bare reverse proxy for comparison), at 1, 16 and
// 128 concurrent clients. b.N requests go each way. Run it with a fixed
// count, e.g. -benchtime=20000x. This is the worst case for a proxy: the
// upstream costs nothing, so the gateway's own work is all there is to
// see, and everything shares the machine's CPUs.
func BenchmarkGatewayVsDirect(b *testing.B) {
	for _, c := range []int{1, 16, 128} {
		b.Run(fmt.Sprintf("clients=%d", c), func(b *testing.B) { benchPair(b, c, nil) })
	}
}

// BenchmarkGatewayVsDirectModelUpstream is the same with an upstream
// that answers as a small model on a local server might: each request
// takes its time from modelDelays (25 to 75 ms), and latency figures are
// of each request's overhead (its latency minus the time the upstream
// held it). Run it with e.g. -benchtime=8192x (fewer for one client,
// where each request takes 50 ms).
func BenchmarkGatewayVsDirectModelUpstream(b *testing.B) {
	for _, c := range []int{1, 16, 128} {
		b.Run(fmt.Sprintf("clients=%d", c), func(b *testing.B) {
			benchPair(b, c, modelDelays())
		})
	}
}

// benchPair measures the direct path, the gateway and a bare reverse
// proxy, all in this process, the upstream answering after delays.
func benchPair(b *testing.B, clients int, delays []string) {
	up := benchUpstream(b)
	gwURL, key := benchGateway(b, up.URL)
	results := measurePaths(b, clients, delays, key, up.URL, gwURL,
		bareProxy(b, up.URL))
	report(b, results[0], results[1], results[2])
}

// measurePaths sends b.N chat requests to each base URL from clients
// concurrent clients, the upstream taking delays[i%len(delays)] for
// request i (no time when delays is nil). A warm-up first opens every
// connection. The paths then take turns in rounds, each round in a new
// order, so that all see the same machine noise and none always follows
// another. Against the model-like upstream the clients of a round start
// spread over 50 ms, about one answer time, so that they do not all send
// in the same microsecond at every round; BENCHMARKS.md gives the effect.
func measurePaths(b *testing.B, clients int, delays []string, key string,
	bases ...string) []loadgen.Result {
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: 1024,
		MaxIdleConnsPerHost: 1024}}
	defer client.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	paths := make([]loadgen.NewRequest, len(bases))
	for i, base := range bases {
		paths[i] = benchRequest(base, key, delays)
	}
	for _, p := range paths {
		loadgen.Run(ctx, client, loadgen.Options{Clients: clients,
			Total: max(2*clients, 200)}, p)
	}
	opts := loadgen.Options{Clients: clients, HeldHeader: benchHeldHeader}
	if len(delays) > 0 {
		opts.Ramp = 50 * time.Millisecond
	}
	const rounds = 4
	opts.Total = max(1, b.N/rounds)
	results := make([]loadgen.Result, len(paths))
	b.ResetTimer()
	for r := range rounds {
		opts.First = r * opts.Total
		for k := range paths {
			i := (k + r) % len(paths)
			results[i] = results[i].Merge(loadgen.Run(ctx, client, opts, paths[i]))
		}
	}
	b.StopTimer()
	for i, r := range results {
		if r.Errors > 0 {
			b.Fatalf("path %d: %d requests failed", i, r.Errors)
		}
	}
	return results
}

// benchRequest makes the chat requests sent to base.
func benchRequest(base, key string, delays []string) loadgen.NewRequest {
	return func(ctx context.Context, i int) *http.Request {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost,
			base+"/v1/chat/completions", strings.NewReader(chatBody("m1")))
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		if len(delays) > 0 {
			req.Header.Set(benchDelayHeader, delays[i%len(delays)])
		}
		return req
	}
}

// bareProxy is the baseline of an HTTP hop that checks and meters
// nothing: httputil.ReverseProxy with the same tuned transport.
func bareProxy(b *testing.B, upstream string) string {
	target, err := url.Parse(upstream)
	if err != nil {
		b.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.Transport = NewTransport()
	srv := httptest.NewServer(rp)
	b.Cleanup(srv.Close)
	return srv.URL
}

// report writes the figures of the direct path and the gateway, the
// gateway's cost, and the bare proxy's for comparison. Latencies are
// overheads: a request's latency minus the time the upstream held it.
func report(b *testing.B, d, g, bare loadgen.Result) {
	q := func(r loadgen.Result, p float64) float64 {
		return float64(loadgen.Quantile(r.Overheads, p)) / float64(time.Microsecond)
	}
	b.ReportMetric(0, "ns/op") // three paths' time over b.N: meaningless
	b.ReportMetric(q(d, 0.5), "direct-p50-us")
	b.ReportMetric(q(d, 0.99), "direct-p99-us")
	b.ReportMetric(q(g, 0.5), "gw-p50-us")
	b.ReportMetric(q(g, 0.99), "gw-p99-us")
	b.ReportMetric(q(g, 0.5)-q(d, 0.5), "added-p50-us")
	b.ReportMetric(q(g, 0.99)-q(d, 0.99), "added-p99-us")
	b.ReportMetric(q(bare, 0.5)-q(d, 0.5), "bare-added-p50-us")
	b.ReportMetric(q(bare, 0.99)-q(d, 0.99), "bare-added-p99-us")
	b.ReportMetric(d.PerSecond(), "direct-req/s")
	b.ReportMetric(g.PerSecond(), "gw-req/s")
	b.ReportMetric(100*g.PerSecond()/max(d.PerSecond(), 1), "gw/direct-%")
	b.ReportMetric(100*bare.PerSecond()/max(d.PerSecond(), 1), "bare-proxy/direct-%")
}

// BenchmarkChargeGroupCommit queues b.N charges from many goroutines
// into the gateway's charge writer over a real store and waits until all
// are committed: charges per second with group commit.
func BenchmarkChargeGroupCommit(b *testing.B) {
	db := openStore(b)
	ids := benchTokens(b, db, 16)
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	cfg := withDefaults(Config{Upstream: "http://127.0.0.1:1/v1", Logger: log})
	q := newChargeQueue(db, newTokenCache(db, time.Now, log), func() {}, log, cfg)
	go q.run()
	b.SetParallelism(64)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			i++
			q.enqueue(chargeItem{tokenID: ids[i%len(ids)], amount: 1000, at: time.Now()})
		}
	})
	if err := q.close(context.Background()); err != nil {
		b.Fatal(err)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "charges/s")
	b.ReportMetric(float64(b.N)/float64(max(1, q.commits.Load())), "charges/commit")
}

// BenchmarkChargeOneByOne is the baseline: one Store.Charge (one commit)
// per charge.
func BenchmarkChargeOneByOne(b *testing.B) {
	db := openStore(b)
	ids := benchTokens(b, db, 16)
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		if _, err := db.Charge(ids[i%len(ids)], 1000); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "charges/s")
}

// benchTokens creates n unlimited tokens.
func benchTokens(tb testing.TB, db *storage.DB, n int) []uint64 {
	ids := make([]uint64, n)
	for i := range ids {
		tok, err := db.Create("bench", model.Spec{Name: fmt.Sprintf("t%d", i),
			Unlimited: true})
		if err != nil {
			tb.Fatal(err)
		}
		ids[i] = tok.ID
	}
	return ids
}
