package gateway

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"keyward/model"
	"keyward/storage"
)

// Environment of the crash test's child process.
const (
	envCrashChild    = "KEYWARD_GATEWAY_CRASH_CHILD"
	envCrashDB       = "KEYWARD_GATEWAY_CRASH_DB"
	envCrashKey      = "KEYWARD_GATEWAY_CRASH_KEYFILE"
	envCrashUpstream = "KEYWARD_GATEWAY_CRASH_UPSTREAM"
)

// TestMain runs the crash test's child gateway when the test binary is
// re-executed for it, and the tests otherwise.
func TestMain(m *testing.M) {
	if os.Getenv(envCrashChild) == "1" {
		os.Exit(crashChild())
	}
	os.Exit(m.Run())
}

// crashChild serves a real gateway on 127.0.0.1:0 over the database named
// in the environment, prints its port on stdout and logs JSON to stderr
// until it is killed (or a minute has passed, so it never lingers).
func crashChild() int {
	db, err := storage.Open(os.Getenv(envCrashDB),
		storage.Options{KeyPath: os.Getenv(envCrashKey)})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child: open:", err)
		return 2
	}
	gw, err := New(db, Config{Upstream: os.Getenv(envCrashUpstream),
		Logger: slog.New(slog.NewJSONHandler(os.Stderr, nil))})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child: gateway:", err)
		return 2
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "child: listen:", err)
		return 2
	}
	fmt.Printf("PORT %d\n", ln.Addr().(*net.TCPAddr).Port)
	srv := &http.Server{Handler: gw.Handler(), ReadHeaderTimeout: 5 * time.Second}
	time.AfterFunc(time.Minute, func() { os.Exit(3) })
	_ = srv.Serve(ln)
	return 0
}

// crashLog sums the charges the child logged as committed.
type crashLog struct {
	mu      sync.Mutex
	count   int
	sum     model.Money
	reached chan struct{}
	want    int
}

func (c *crashLog) read(r io.Reader, done chan<- struct{}) {
	defer close(done)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var line struct {
			Msg    string `json:"msg"`
			Amount int64  `json:"amount_nano"`
		}
		if json.Unmarshal(sc.Bytes(), &line) != nil || line.Msg != "charge committed" {
			continue
		}
		c.mu.Lock()
		c.count++
		c.sum += model.Money(line.Amount)
		if c.count == c.want {
			close(c.reached)
		}
		c.mu.Unlock()
	}
}

// TestCrashKeepsLoggedCharges runs the gateway in a child process, kills
// it with SIGKILL while concurrent requests are being charged, then checks
// that every charge it logged as committed is in the reopened database
// and that the database checks clean.
func TestCrashKeepsLoggedCharges(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	dir := t.TempDir()
	dbPath, keyPath := filepath.Join(dir, "k.db"), filepath.Join(dir, "k.key")
	tok := prepareCrashDB(t, dbPath, keyPath)
	up := newFakeUpstream(t)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envCrashChild+"=1", envCrashDB+"="+dbPath,
		envCrashKey+"="+keyPath, envCrashUpstream+"="+up.srv.URL+"/v1")
	stdout, _ := cmd.StdoutPipe()
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatalf("start child: %v", err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	base := childURL(t, stdout)
	logs := &crashLog{want: 300, reached: make(chan struct{})}
	logDone := make(chan struct{})
	go logs.read(stderr, logDone)

	kill := func() {
		if err := cmd.Process.Kill(); err != nil { // SIGKILL, by PID
			t.Errorf("kill child: %v", err)
		}
	}
	sent := fireUntil(t, base, tok.Key, logs.reached, kill)
	<-logDone
	_ = cmd.Wait()
	checkAfterCrash(t, dbPath, keyPath, tok.ID, logs, sent.Load())
}

// prepareCrashDB creates the database, a token and m1's price.
func prepareCrashDB(t *testing.T, dbPath, keyPath string) model.Token {
	t.Helper()
	db, err := storage.Open(dbPath, storage.Options{KeyPath: keyPath})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = db.Close() }()
	tok, err := db.Create("test", model.Spec{Name: "crash", Unlimited: true})
	if err == nil {
		err = db.SetPrice("test", "m1", ptr(testPrice()))
	}
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// childURL reads the port line the child prints.
func childURL(t *testing.T, stdout io.Reader) string {
	t.Helper()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	var port int
	if _, serr := fmt.Sscanf(line, "PORT %d", &port); err != nil || serr != nil {
		t.Fatalf("child printed %q (%v)", line, err)
	}
	return fmt.Sprintf("http://127.0.0.1:%d", port)
}

// fireUntil sends chat requests, JSON and streamed, from 16 workers until
// stop closes (or a guard time passes), then calls kill while requests
// are still in flight, and counts the requests sent.
func fireUntil(t *testing.T, base, key string, stop <-chan struct{},
	kill func()) *atomic.Int64 {
	t.Helper()
	var sent atomic.Int64
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	var wg sync.WaitGroup
	for w := range 16 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				case <-ctx.Done():
					return
				default:
				}
				sent.Add(1)
				crashRequest(ctx, client, base, key, (w+i)%2 == 0)
			}
		})
	}
	select {
	case <-stop:
	case <-ctx.Done():
		t.Error("the child logged too few charges before the guard time")
	}
	kill()
	wg.Wait()
	return &sent
}

func crashRequest(ctx context.Context, c *http.Client, base, key string, stream bool) {
	body := chatBody("m1")
	if stream {
		body = `{"model":"m1","messages":[],"stream":true}`
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost,
		base+"/v1/chat/completions", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := c.Do(req)
	if err != nil {
		return
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
}

// checkAfterCrash reopens the database and compares it with the log.
func checkAfterCrash(t *testing.T, dbPath, keyPath string, id uint64, logs *crashLog,
	sent int64) {
	t.Helper()
	if err := storage.Check(dbPath); err != nil {
		t.Fatalf("database after the crash: %v", err)
	}
	db, err := storage.Open(dbPath, storage.Options{KeyPath: keyPath})
	if err != nil {
		t.Fatalf("reopen after the crash: %v", err)
	}
	defer func() { _ = db.Close() }()
	tok, err := db.Get(id)
	if err != nil {
		t.Fatal(err)
	}
	logs.mu.Lock()
	defer logs.mu.Unlock()
	t.Logf("sent %d requests; child logged %d charges (%d nano$); Used %d",
		sent, logs.count, logs.sum, tok.Used)
	switch {
	case logs.count < logs.want:
		t.Errorf("only %d charges logged", logs.count)
	case tok.Used < logs.sum:
		t.Errorf("Used %d is below the %d logged as committed: charges lost",
			tok.Used, logs.sum)
	case tok.Used%chatCost != 0 || tok.Used > model.Money(sent)*chatCost:
		t.Errorf("Used %d is not a whole number of requests, or over the %d sent",
			tok.Used, sent)
	}
	days, err := db.DailySpend(id, 2, time.Now())
	if err != nil || days[0].Amount+days[1].Amount != tok.Used {
		t.Errorf("daily spend %v (%v) does not add up to Used %d", days, err, tok.Used)
	}
}
