package gateway

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"keyward/gateway/internal/pin"
	"keyward/model"
	"keyward/storage"
)

// Environment of a benchmark's child server.
const (
	envBenchChild    = "KEYWARD_GATEWAY_BENCH_CHILD" // "gateway" or "bare"
	envBenchCPU      = "KEYWARD_GATEWAY_BENCH_CPU"
	envBenchDB       = "KEYWARD_GATEWAY_BENCH_DB"
	envBenchKey      = "KEYWARD_GATEWAY_BENCH_KEYFILE"
	envBenchLog      = "KEYWARD_GATEWAY_BENCH_LOG"
	envBenchUpstream = "KEYWARD_GATEWAY_BENCH_UPSTREAM"
)

// BenchmarkPinnedGatewayVsDirect is BenchmarkGatewayVsDirect laid out as
// a proxy is deployed and measured: the gateway runs in its own process
// on its own CPU, and the load generator and the fake upstream share the
// other CPU, as they would on machines of their own. Both paths get the
// same CPU for the clients and the upstream, so "direct" is what that
// environment can do and "gateway" what it does with Keyward in front.
// A bare httputil.ReverseProxy in a process on the gateway's CPU is the
// baseline. Linux with two CPUs or more; run it with a fixed count, e.g.
// -benchtime=20000x.
func BenchmarkPinnedGatewayVsDirect(b *testing.B) {
	for _, c := range []int{1, 16, 128} {
		b.Run(fmt.Sprintf("clients=%d", c), func(b *testing.B) { benchPinned(b, c, nil) })
	}
}

// BenchmarkPinnedGatewayVsDirectModelUpstream is the same with the
// model-like upstream of BenchmarkGatewayVsDirectModelUpstream.
func BenchmarkPinnedGatewayVsDirectModelUpstream(b *testing.B) {
	for _, c := range []int{1, 16, 128} {
		b.Run(fmt.Sprintf("clients=%d", c), func(b *testing.B) {
			benchPinned(b, c, modelDelays)
		})
	}
}

func benchPinned(b *testing.B, clients int, delays []string) {
	cpus, err := pin.CPUs()
	if err != nil || len(cpus) < 2 {
		b.Skipf("needs two CPUs to pin to (have %v, %v)", cpus, err)
	}
	envCPU, gwCPU := cpus[0], cpus[1]
	up := benchUpstream(b)
	dir := b.TempDir()
	dbPath, keyPath := filepath.Join(dir, "k.db"), filepath.Join(dir, "k.key")
	key := prepareBenchDB(b, dbPath, keyPath)
	common := []string{envBenchCPU + "=" + strconv.Itoa(gwCPU),
		envBenchUpstream + "=" + up.URL + "/v1"}
	gwURL := startBenchChild(b, "gateway", append(common, envBenchDB+"="+dbPath,
		envBenchKey+"="+keyPath, envBenchLog+"="+filepath.Join(dir, "gateway.log")))
	bareURL := startBenchChild(b, "bare", common)

	restore, err := pin.Process(envCPU)
	if err != nil {
		b.Skipf("cannot pin the load generator: %v", err)
	}
	defer func() {
		if err := restore(); err != nil {
			b.Error(err)
		}
	}()
	results := measurePaths(b, clients, delays, key, up.URL, gwURL, bareURL)
	report(b, results[0], results[1], results[2])
}

// prepareBenchDB creates the database with an unlimited token and m1's
// price, closes it for the child, and returns the token's key.
func prepareBenchDB(b *testing.B, dbPath, keyPath string) string {
	db, err := storage.Open(dbPath, storage.Options{KeyPath: keyPath})
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = db.Close() }()
	tok, err := db.Create("bench", model.Spec{Name: "bench", Unlimited: true})
	if err == nil {
		err = db.SetPrice("bench", "m1", ptr(testPrice()))
	}
	if err != nil {
		b.Fatal(err)
	}
	return tok.Key
}

// startBenchChild re-executes the test binary as a child server of the
// given role and returns its URL. The child stops when its stdin closes,
// so it never outlives the benchmark.
func startBenchChild(b *testing.B, role string, env []string) string {
	cmd := exec.Command(os.Args[0], "-test.run=^$", "-test.bench=^$")
	cmd.Env = append(append(os.Environ(), envBenchChild+"="+role), env...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatalf("start %s child: %v", role, err)
	}
	b.Cleanup(func() {
		_ = stdin.Close()
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	var port int
	if _, serr := fmt.Sscanf(line, "PORT %d", &port); err != nil || serr != nil {
		b.Fatalf("%s child printed %q (%v)", role, line, err)
	}
	return fmt.Sprintf("http://127.0.0.1:%d", port)
}

// benchChild serves the role's handler on 127.0.0.1:0 from the CPU named
// in the environment, prints its port, and stops when stdin closes.
func benchChild(role string) int {
	fail := func(err error) int {
		fmt.Fprintf(os.Stderr, "bench child %s: %v\n", role, err)
		return 2
	}
	cpu, err := strconv.Atoi(os.Getenv(envBenchCPU))
	if err != nil {
		return fail(err)
	}
	if _, err := pin.Process(cpu); err != nil {
		return fail(err)
	}
	h, stop, err := benchHandler(role)
	if err != nil {
		return fail(err)
	}
	defer stop()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fail(err)
	}
	// As serve sets up its HTTP server.
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout: 2 * time.Minute}
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}()
	fmt.Printf("PORT %d\n", ln.Addr().(*net.TCPAddr).Port)
	if err := srv.Serve(ln); err != http.ErrServerClosed {
		return fail(err)
	}
	return 0
}

// benchHandler builds the child's handler: the gateway over the database
// with JSON logs in a file, as `keyward serve --log FILE` runs it, or a
// bare reverse proxy.
func benchHandler(role string) (http.Handler, func(), error) {
	upstream := os.Getenv(envBenchUpstream)
	if role == "bare" {
		target, err := url.Parse(strings.TrimSuffix(upstream, "/v1"))
		if err != nil {
			return nil, nil, err
		}
		rp := httputil.NewSingleHostReverseProxy(target)
		rp.Transport = NewTransport()
		return rp, func() {}, nil
	}
	db, err := storage.Open(os.Getenv(envBenchDB),
		storage.Options{KeyPath: os.Getenv(envBenchKey)})
	if err != nil {
		return nil, nil, err
	}
	logFile, err := os.OpenFile(os.Getenv(envBenchLog),
		os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		_ = db.Close()
		return nil, nil, err
	}
	gw, err := New(db, Config{Upstream: upstream,
		Logger: slog.New(slog.NewJSONHandler(logFile, nil))})
	if err != nil {
		_ = db.Close()
		_ = logFile.Close()
		return nil, nil, err
	}
	return gw.Handler(), func() {
		_ = gw.Close(context.Background())
		_ = db.Close()
		_ = logFile.Close()
	}, nil
}
