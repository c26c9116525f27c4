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

// NewRequest makes a run's request number i (from 0).
type NewRequest func(ctx context.Context, i int) *http.Request

// Run sends total requests made by newReq from concurrency clients
// sharing client, reading every answer to its end. The clients start one
// after another, evenly over ramp (all at once when ramp is zero), as
// independent users arrive: a burst of every client in the same
// microsecond is not a load that lasts. A request fails when it errors
// or answers other than 200. Run stops early when ctx ends.
func Run(ctx context.Context, client *http.Client, concurrency, total int,
	ramp time.Duration, newReq NewRequest) Result {
	var next atomic.Int64
	var mu sync.Mutex
	var res Result
	var wg sync.WaitGroup
	start := time.Now()
	n := max(1, concurrency)
	for k := range n {
		wg.Go(func() {
			if ramp > 0 && k > 0 {
				select {
				case <-time.After(ramp * time.Duration(k) / time.Duration(n)):
				case <-ctx.Done():
				}
			}
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
	total int64, newReq NewRequest) ([]time.Duration, int) {
	var lat []time.Duration
	errs := 0
	for i := next.Add(1); i <= total && ctx.Err() == nil; i = next.Add(1) {
		req := newReq(ctx, int(i-1))
		t0 := time.Now()
		if once(client, req) {
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
