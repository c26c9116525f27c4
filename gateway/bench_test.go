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
	"slices"
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

// benchDelayHeader names how long the fake upstream takes to answer a
// request, as a Go duration. The gateway and the bare proxy pass it on
// like any other header.
const benchDelayHeader = "X-Bench-Delay"

// benchUpstream answers every request with benchCompletion, after the
// time its benchDelayHeader names, if any.
func benchUpstream(b *testing.B) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if d, err := time.ParseDuration(r.Header.Get(benchDelayHeader)); err == nil {
			time.Sleep(d)
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, benchCompletion)
	}))
	b.Cleanup(srv.Close)
	return srv
}

// modelDelays is the model-like upstream's schedule of answer times:
// 512 times drawn uniformly from 25 to 75 ms by a fixed seed. Request i
// of every run takes modelDelays[i%512], so each path meets exactly the
// same times in the same order, and the difference between the paths'
// quantiles is the gateway's alone, not a luckier draw.
var modelDelays = func() []string {
	rng := rand.New(rand.NewPCG(1, 2))
	out := make([]string, 512)
	for i := range out {
		ms := 25 + rng.Float64()*50
		out[i] = time.Duration(ms * float64(time.Millisecond)).String()
	}
	return out
}()

// benchGateway starts a gateway over a real store in front of upstream and
// returns its URL and a key for an unlimited token.
func benchGateway(b *testing.B, upstream string) (string, string) {
	db := openStore(b)
	tok, err := db.Create("bench", model.Spec{Name: "bench", Unlimited: true})
	if err != nil {
		b.Fatal(err)
	}
	gw, err := New(db, Config{Upstream: upstream + "/v1",
		Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))})
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
// gateway, at 1, 16 and 128 concurrent clients. b.N requests go each way,
// in alternating rounds so that both see the same machine noise. Run it
// with a fixed count, e.g. -benchtime=20000x. This is the worst case for
// a proxy: the upstream costs nothing, so the gateway's own work is all
// there is to see.
func BenchmarkGatewayVsDirect(b *testing.B) {
	for _, c := range []int{1, 16, 128} {
		b.Run(fmt.Sprintf("clients=%d", c), func(b *testing.B) { benchPair(b, c, nil) })
	}
}

// BenchmarkGatewayVsDirectModelUpstream is the same with an upstream
// that answers as a small model on a local server might: each request
// takes its time from modelDelays (25 to 75 ms). Run it with e.g.
// -benchtime=2048x (and fewer for one client: each request takes 50 ms).
func BenchmarkGatewayVsDirectModelUpstream(b *testing.B) {
	for _, c := range []int{1, 16, 128} {
		b.Run(fmt.Sprintf("clients=%d", c), func(b *testing.B) {
			benchPair(b, c, modelDelays)
		})
	}
}

// benchPair measures the direct path, the gateway and a bare reverse
// proxy, all in this process, with the upstream answering after delays.
func benchPair(b *testing.B, clients int, delays []string) {
	up := benchUpstream(b)
	gwURL, key := benchGateway(b, up.URL)
	results := measurePaths(b, clients, delays, key, up.URL, gwURL,
		bareProxy(b, up.URL))
	report(b, results[0], results[1], results[2])
}

// measurePaths sends b.N chat requests to each base URL from clients
// concurrent clients, the upstream taking delays[i%len(delays)] for
// request i (no time when delays is nil). After a warm-up that opens the
// connections, the paths take turns in rounds, so that all see the same
// machine noise.
func measurePaths(b *testing.B, clients int, delays []string, key string,
	bases ...string) []loadgen.Result {
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: 1024,
		MaxIdleConnsPerHost: 1024}}
	defer client.CloseIdleConnections()
	newReq := func(base string) loadgen.NewRequest {
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
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	paths := make([]loadgen.NewRequest, len(bases))
	for i, base := range bases {
		paths[i] = newReq(base)
	}
	// Against the model-like upstream the clients start spread over one
	// mean answer time, as users arrive; against the upstream that does no
	// work they all start at once, which the saturated server queues anyway.
	warm, ramp := max(clients, 200), time.Duration(0)
	if len(delays) > 0 {
		warm, ramp = clients, 50*time.Millisecond
	}
	for _, p := range paths {
		loadgen.Run(ctx, client, clients, warm, ramp, p)
	}
	const rounds = 4
	results := make([]loadgen.Result, len(paths))
	b.ResetTimer()
	for range rounds {
		for i, p := range paths {
			results[i] = merge(results[i],
				loadgen.Run(ctx, client, clients, max(1, b.N/rounds), ramp, p))
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

// bareProxy is the baseline of an HTTP hop that checks and meters
// nothing: httputil.ReverseProxy with the same tuned transport.
func bareProxy(b *testing.B, upstream string) string {
	srv := httptest.NewServer(newBareProxy(b, upstream))
	b.Cleanup(srv.Close)
	return srv.URL
}

// newBareProxy is httputil.ReverseProxy to upstream (a base URL without
// /v1) over the gateway's transport.
func newBareProxy(tb testing.TB, upstream string) http.Handler {
	target, err := url.Parse(upstream)
	if err != nil {
		tb.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.Transport = NewTransport()
	return rp
}

// merge adds one round's result to the totals.
func merge(total, r loadgen.Result) loadgen.Result {
	total.Latencies = append(total.Latencies, r.Latencies...)
	slices.Sort(total.Latencies)
	total.Errors += r.Errors
	total.Elapsed += r.Elapsed
	return total
}

// report writes the figures of the direct path and the gateway, the
// gateway's cost, and the bare proxy's for comparison.
func report(b *testing.B, d, g, bare loadgen.Result) {
	us := func(t time.Duration) float64 { return float64(t) / float64(time.Microsecond) }
	b.ReportMetric(us(d.Quantile(0.5)), "direct-p50-us")
	b.ReportMetric(us(d.Quantile(0.99)), "direct-p99-us")
	b.ReportMetric(us(g.Quantile(0.5)), "gw-p50-us")
	b.ReportMetric(us(g.Quantile(0.99)), "gw-p99-us")
	b.ReportMetric(us(g.Quantile(0.5)-d.Quantile(0.5)), "added-p50-us")
	b.ReportMetric(us(g.Quantile(0.99)-d.Quantile(0.99)), "added-p99-us")
	b.ReportMetric(d.PerSecond(), "direct-req/s")
	b.ReportMetric(g.PerSecond(), "gw-req/s")
	b.ReportMetric(100*g.PerSecond()/max(d.PerSecond(), 1), "gw/direct-%")
	b.ReportMetric(100*bare.PerSecond()/max(d.PerSecond(), 1), "bare-proxy/direct-%")
	b.ReportMetric(us(bare.Quantile(0.5)-d.Quantile(0.5)), "bare-added-p50-us")
	b.ReportMetric(us(bare.Quantile(0.99)-d.Quantile(0.99)), "bare-added-p99-us")
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
func benchTokens(b *testing.B, db *storage.DB, n int) []uint64 {
	ids := make([]uint64, n)
	for i := range ids {
		tok, err := db.Create("bench", model.Spec{Name: fmt.Sprintf("t%d", i),
			Unlimited: true})
		if err != nil {
			b.Fatal(err)
		}
		ids[i] = tok.ID
	}
	return ids
}
