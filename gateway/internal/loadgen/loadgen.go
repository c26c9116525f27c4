// Package loadgen sends HTTP requests from concurrent clients and
// measures their latency and the throughput, for the gateway's
// benchmarks.
package loadgen

import (
	"context"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Result is what one run measured.
type Result struct {
	// Latencies of the successful requests, sorted.
	Latencies []time.Duration
	Errors    int
	Elapsed   time.Duration
}

// Quantile returns the q-quantile (0..1) of the latencies, or 0 when
// there are none.
func (r Result) Quantile(q float64) time.Duration {
	if len(r.Latencies) == 0 {
		return 0
	}
	i := int(q * float64(len(r.Latencies)-1))
	return r.Latencies[min(max(i, 0), len(r.Latencies)-1)]
}

// PerSecond is the successful requests per second.
func (r Result) PerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(len(r.Latencies)) / r.Elapsed.Seconds()
}

// Run sends total requests made by newReq from concurrency clients
// sharing client, reading every answer to its end. A request fails when
// it errors or answers other than 200. Run stops early when ctx ends.
func Run(ctx context.Context, client *http.Client, concurrency, total int,
	newReq func(context.Context) *http.Request) Result {
	var next atomic.Int64
	var mu sync.Mutex
	var res Result
	var wg sync.WaitGroup
	start := time.Now()
	for range max(1, concurrency) {
		wg.Go(func() {
			lat, errs := worker(ctx, client, &next, int64(total), newReq)
			mu.Lock()
			res.Latencies = append(res.Latencies, lat...)
			res.Errors += errs
			mu.Unlock()
		})
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	slices.Sort(res.Latencies)
	return res
}

// worker sends requests until total have been taken by all workers.
func worker(ctx context.Context, client *http.Client, next *atomic.Int64,
	total int64, newReq func(context.Context) *http.Request) ([]time.Duration, int) {
	var lat []time.Duration
	errs := 0
	for next.Add(1) <= total && ctx.Err() == nil {
		t0 := time.Now()
		if once(client, newReq(ctx)) {
			lat = append(lat, time.Since(t0))
		} else {
			errs++
		}
	}
	return lat, errs
}

// once sends one request and reads its answer.
func once(client *http.Client, req *http.Request) bool {
	resp, err := client.Do(req)
	if err != nil {
		return false
	}
	_, err = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return err == nil && resp.StatusCode == http.StatusOK
}
