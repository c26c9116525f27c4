package loadgen

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestRun sends exactly the requested count from several clients,
// numbering each request once, and counts answers other than 200 as
// errors.
func TestRun(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1)%10 == 0 {
			w.WriteHeader(http.StatusTeapot)
		}
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var mu sync.Mutex
	seen := map[int]bool{}
	res := Run(ctx, srv.Client(), 4, 100, 10*time.Millisecond, func(ctx context.Context, i int) *http.Request {
		mu.Lock()
		seen[i] = true
		mu.Unlock()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
		return req
	})
	for i := range 100 {
		if !seen[i] {
			t.Fatalf("request %d was never made (made %d)", i, len(seen))
		}
	}
	if hits.Load() != 100 || len(res.Latencies) != 90 || res.Errors != 10 {
		t.Errorf("hits %d, ok %d, errors %d; want 100, 90, 10",
			hits.Load(), len(res.Latencies), res.Errors)
	}
	if res.Quantile(0) > res.Quantile(0.5) || res.Quantile(0.5) > res.Quantile(1) ||
		res.PerSecond() <= 0 {
		t.Errorf("quantiles %v %v %v, rate %v", res.Quantile(0), res.Quantile(0.5),
			res.Quantile(1), res.PerSecond())
	}
	if (Result{}).Quantile(0.5) != 0 || (Result{}).PerSecond() != 0 {
		t.Error("an empty result must report zeros")
	}
}
