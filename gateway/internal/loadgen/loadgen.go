// Package loadgen sends HTTP requests from concurrent clients and
// measures their latency and the throughput, for the gateway's
// benchmarks.
package loadgen

import (
	"context"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// NewRequest makes request number i.
type NewRequest func(ctx context.Context, i int) *http.Request

// Options shape one run.
type Options struct {
	// Clients is how many clients send at once, each its next request as
	// soon as its previous answer is read (a closed loop).
	Clients int
	// Total is how many requests the run sends.
	Total int
	// Ramp spreads the clients' starts evenly over this time; zero starts
	// them all at once.
	Ramp time.Duration
	// First is the number given to the run's first request; the others
	// follow it.
	First int
	// HeldHeader names a response header in which the server says, in
	// nanoseconds, how long it held the request on purpose (a fake
	// model's answer time). A request's overhead is its latency minus
	// that time. Empty: the overhead is the latency.
	HeldHeader string
}

// Result is what one run measured, for its successful requests.
type Result struct {
	Latencies []time.Duration // sorted
	Overheads []time.Duration // sorted; see Options.HeldHeader
	Errors    int
	Elapsed   time.Duration
}

// Quantile returns the q-quantile (0..1) of sorted durations by the
// nearest-rank rule (the smallest value with at least q of them at or
// below it), or 0 when there are none.
func Quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(q * float64(len(sorted))))
	return sorted[min(max(rank, 1), len(sorted))-1]
}

// PerSecond is the successful requests per second.
func (r Result) PerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(len(r.Latencies)) / r.Elapsed.Seconds()
}

// Merge adds other runs' results to r.
func (r Result) Merge(others ...Result) Result {
	for _, o := range others {
		r.Latencies = append(r.Latencies, o.Latencies...)
		r.Overheads = append(r.Overheads, o.Overheads...)
		r.Errors += o.Errors
		r.Elapsed += o.Elapsed
	}
	slices.Sort(r.Latencies)
	slices.Sort(r.Overheads)
	return r
}

// Run sends opts.Total requests made by newReq from opts.Clients clients
// sharing client, reading every answer to its end. A request fails when
// it errors or answers other than 200. Run stops early when ctx ends.
func Run(ctx context.Context, client *http.Client, opts Options,
	newReq NewRequest) Result {
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	n := max(1, opts.Clients)
	parts := make([]Result, n) // merged once all clients are done
	for k := range n {
		wg.Go(func() {
			if opts.Ramp > 0 && k > 0 {
				select {
				case <-time.After(opts.Ramp * time.Duration(k) / time.Duration(n)):
				case <-ctx.Done():
				}
			}
			parts[k] = worker(ctx, client, &next, opts, newReq)
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	res := Result{}.Merge(parts...)
	res.Elapsed = elapsed
	return res
}

// worker sends requests until opts.Total have been taken by all workers.
func worker(ctx context.Context, client *http.Client, next *atomic.Int64,
	opts Options, newReq NewRequest) Result {
	var res Result
	for i := next.Add(1); i <= int64(opts.Total) && ctx.Err() == nil; i = next.Add(1) {
		req := newReq(ctx, opts.First+int(i-1))
		t0 := time.Now()
		held, ok := once(client, req, opts.HeldHeader)
		if !ok {
			res.Errors++
			continue
		}
		lat := time.Since(t0)
		res.Latencies = append(res.Latencies, lat)
		res.Overheads = append(res.Overheads, lat-held)
	}
	return res
}

// once sends one request and reads its answer; held is what the answer's
// heldHeader says, if any.
func once(client *http.Client, req *http.Request, heldHeader string) (
	held time.Duration, ok bool) {
	resp, err := client.Do(req)
	if err != nil {
		return 0, false
	}
	_, err = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	if heldHeader != "" {
		if ns, perr := strconv.ParseInt(resp.Header.Get(heldHeader), 10, 64); perr == nil {
			held = time.Duration(ns)
		}
	}
	return held, err == nil && resp.StatusCode == http.StatusOK
}
