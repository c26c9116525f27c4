package loadgen

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestRun sends exactly the requested count from several clients,
// numbering each request once from First, subtracts the time the server
// says it held each request, and counts answers other than 200 as
// errors.
func TestRun(t *testing.T) {
	var hits atomic.Int64
	const held = 3 * time.Millisecond
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(held)
		w.Header().Set("X-Held", strconv.FormatInt(int64(held), 10))
		if hits.Add(1)%10 == 0 {
			w.WriteHeader(http.StatusTeapot)
		}
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var mu sync.Mutex
	seen := map[int]bool{}
	opts := Options{Clients: 4, Total: 100, First: 1000, HeldHeader: "X-Held"}
	res := Run(ctx, srv.Client(), opts, func(ctx context.Context, i int) *http.Request {
		mu.Lock()
		seen[i] = true
		mu.Unlock()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
		return req
	})
	for i := range 100 {
		if !seen[1000+i] {
			t.Fatalf("request %d was never made (made %d)", 1000+i, len(seen))
		}
	}
	if hits.Load() != 100 || len(res.Latencies) != 90 || res.Errors != 10 {
		t.Errorf("hits %d, ok %d, errors %d; want 100, 90, 10",
			hits.Load(), len(res.Latencies), res.Errors)
	}
	var sumLat, sumOver time.Duration
	for i := range res.Latencies {
		sumLat += res.Latencies[i]
		sumOver += res.Overheads[i]
	}
	if len(res.Overheads) != 90 || sumLat-sumOver != 90*held {
		t.Errorf("%d overheads; latencies minus overheads %v, want 90 x %v",
			len(res.Overheads), sumLat-sumOver, held)
	}
	if res.PerSecond() <= 0 || (Result{}).PerSecond() != 0 {
		t.Errorf("rate %v, empty rate %v", res.PerSecond(), (Result{}).PerSecond())
	}
}

// TestRamp starts the clients spread over the ramp, not all at once.
// Each answer takes longer than the ramp, so each client sends one.
func TestRamp(t *testing.T) {
	var mu sync.Mutex
	var firsts []time.Time
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		mu.Lock()
		firsts = append(firsts, time.Now())
		mu.Unlock()
		time.Sleep(300 * time.Millisecond)
	}))
	defer srv.Close()
	const ramp = 200 * time.Millisecond
	opts := Options{Clients: 4, Total: 4, Ramp: ramp}
	Run(context.Background(), srv.Client(), opts, func(ctx context.Context, _ int) *http.Request {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
		return req
	})
	if len(firsts) != 4 {
		t.Fatalf("%d requests, want 4", len(firsts))
	}
	// Clients start at 0, 50, 100 and 150 ms; all at once they would
	// arrive within a millisecond or so even on a busy machine.
	if spread := firsts[3].Sub(firsts[0]); spread < ramp/2 {
		t.Errorf("clients started within %v of each other; the ramp is %v", spread, ramp)
	}
}

// TestQuantile uses the nearest-rank rule.
func TestQuantile(t *testing.T) {
	d := []time.Duration{10, 20, 30, 40}
	for _, c := range []struct {
		q    float64
		want time.Duration
	}{{0, 10}, {0.25, 10}, {0.5, 20}, {0.51, 30}, {0.99, 40}, {1, 40}} {
		if got := Quantile(d, c.q); got != c.want {
			t.Errorf("Quantile(%v) = %v, want %v", c.q, got, c.want)
		}
	}
	if Quantile(nil, 0.5) != 0 {
		t.Error("the quantile of nothing must be 0")
	}
}
