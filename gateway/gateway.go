// Package gateway is Keyward's OpenAI-compatible front door: it checks each
// request's key against the store, enforces the allowlist and quota,
// forwards to the upstream and meters usage.
//
// The hot path reads no disk: tokens are cached by key hash and prices by
// model name, and both caches are refreshed from the store's change
// notifications. Charges are committed in batches (group commit) by one
// goroutine; a charge is logged only after its batch has committed.
package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"keyward/storage"
)

// Defaults for the zero values of Config.
const (
	DefaultMaxBodyBytes     = 10 << 20 // request bodies
	DefaultMaxResponseBytes = 64 << 20 // one streamed event, the model list
	DefaultChargeLinger     = 2 * time.Millisecond
	DefaultChargeBatch      = 512
	DefaultDrainTimeout     = 10 * time.Minute
	defaultNegativeTTL      = 5 * time.Second
	defaultNegativeMax      = 4096
)

// Config is what the gateway needs from `keyward serve`.
type Config struct {
	// Upstream is the OpenAI-compatible base URL, such as
	// http://127.0.0.1:8000/v1. A client's /v1/X goes to Upstream + /X.
	Upstream string
	// UpstreamKey is the upstream's own key (read by serve from the
	// variable named by --upstream-key-env); "" sends none.
	UpstreamKey string
	// DenyUnpriced refuses models without a price instead of serving them
	// at zero cost.
	DenyUnpriced bool
	// NoPassthrough refuses (404) the /v1/ paths that would be forwarded
	// unmetered; the metered routes and the model list stay. With it, no
	// request can spend on the upstream without being metered.
	NoPassthrough bool
	// Logger receives request and warning logs; nil discards them.
	Logger *slog.Logger
	// MaxBodyBytes caps a request body (413 above it); 0 means
	// DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// MaxResponseBytes caps the size of one streamed event and of the
	// model list read from the upstream; 0 means DefaultMaxResponseBytes.
	// A JSON answer is never held whole: see relayJSON.
	MaxResponseBytes int64
	// ChargeLinger is how long the charge writer waits for more charges
	// before committing a batch; 0 means DefaultChargeLinger, a negative
	// value commits as soon as one charge is queued.
	ChargeLinger time.Duration
	// ChargeBatch is the most charges one commit holds; 0 means
	// DefaultChargeBatch.
	ChargeBatch int
	// DrainTimeout is how long a metered upstream call goes on after its
	// client has left, so that it is read to its end and charged (a client
	// cannot escape the charge by hanging up before the usage chunk); 0
	// means DefaultDrainTimeout.
	DrainTimeout time.Duration
	// Transport reaches the upstream; nil means a tuned *http.Transport
	// (keep-alives, many idle connections per host, no proxy from the
	// environment).
	Transport http.RoundTripper
	// Now gives the time of charges; nil means time.Now.
	Now func() time.Time
}

// Gateway serves the OpenAI-compatible API over a store.
type Gateway struct {
	cfg      Config
	store    storage.Store
	log      *slog.Logger
	upstream string // base URL without a trailing slash
	rt       http.RoundTripper
	tokens   *tokenCache
	prices   *priceBook
	watch    *watcher
	charges  *chargeQueue
	warned   warnSet   // unpriced models warned about
	bufs     sync.Pool // *[]byte copy buffers
	tails    sync.Pool // *[]byte ends of JSON answers (see answerBuffer)

	closeOnce sync.Once
	closeErr  error
}

// New builds a gateway over store and starts its background work: the
// change watcher and the charge writer. Call Close to stop them.
func New(store storage.Store, cfg Config) (*Gateway, error) {
	if store == nil {
		return nil, errors.New("gateway: no store")
	}
	base, err := upstreamBase(cfg.Upstream)
	if err != nil {
		return nil, err
	}
	cfg = withDefaults(cfg)
	g := &Gateway{cfg: cfg, store: store, log: cfg.Logger, upstream: base,
		rt: cfg.Transport}
	g.bufs.New = func() any { b := make([]byte, 32<<10); return &b }
	g.tokens = newTokenCache(store, cfg.Now, g.log)
	g.prices = &priceBook{}
	g.watch = newWatcher(store, g.refresh)
	g.charges = newChargeQueue(store, g.tokens, g.watch.nudge, g.log, cfg)
	g.watch.busy = g.charges.committing.Load
	go g.watch.run()
	if err := g.prices.load(store); err != nil {
		g.watch.stop()
		return nil, fmt.Errorf("gateway: read the model catalog: %w", err)
	}
	go g.charges.run()
	return g, nil
}

// withDefaults fills the zero fields of cfg.
func withDefaults(cfg Config) Config {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Transport == nil {
		cfg.Transport = NewTransport()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return withLimits(cfg)
}

// withLimits fills the zero sizes and durations of cfg.
func withLimits(cfg Config) Config {
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.MaxResponseBytes <= 0 {
		cfg.MaxResponseBytes = DefaultMaxResponseBytes
	}
	if cfg.ChargeLinger == 0 {
		cfg.ChargeLinger = DefaultChargeLinger
	}
	if cfg.ChargeBatch <= 0 {
		cfg.ChargeBatch = DefaultChargeBatch
	}
	if cfg.DrainTimeout <= 0 {
		cfg.DrainTimeout = DefaultDrainTimeout
	}
	return cfg
}

// upstreamBase checks the upstream URL and returns it without a trailing
// slash.
func upstreamBase(raw string) (string, error) {
	if raw == "" {
		return "", errors.New("gateway: no upstream URL; pass --upstream " +
			"such as http://127.0.0.1:8000/v1")
	}
	// Errors do not repeat the URL: it might hold a password.
	u, err := url.Parse(raw)
	if err != nil {
		return "", errors.New("gateway: --upstream is not a valid URL; " +
			"write it as http://HOST:PORT/v1")
	}
	if u.User != nil {
		return "", errors.New("gateway: the upstream URL must not hold " +
			"credentials; put the upstream key in the variable named by " +
			"--upstream-key-env")
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return "", errors.New("gateway: --upstream must be an http:// or " +
			"https:// URL with a host, such as http://127.0.0.1:8000/v1")
	}
	u.RawQuery, u.Fragment = "", ""
	return strings.TrimRight(u.String(), "/"), nil
}

// refresh re-reads the cached tokens and the price list after a change.
func (g *Gateway) refresh() {
	g.tokens.refresh()
	if err := g.prices.load(g.store); err != nil {
		g.log.Error("reload model prices; keeping the old ones", "err", err)
	}
}

// Close stops the change watcher and commits every queued charge. Each
// queued charge gets at least one commit attempt even after ctx ends; ctx
// bounds the retries while the store refuses. It returns an error when a
// charge could not be committed.
// Call it after http.Server.Shutdown has returned (so no request is still
// running) and before closing the store; a request that still ends after
// Close commits its charge directly.
func (g *Gateway) Close(ctx context.Context) error {
	g.closeOnce.Do(func() {
		g.watch.stop()
		g.closeErr = g.charges.close(ctx)
		if t, ok := g.rt.(interface{ CloseIdleConnections() }); ok {
			t.CloseIdleConnections()
		}
	})
	return g.closeErr
}
