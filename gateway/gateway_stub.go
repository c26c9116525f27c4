// Package gateway is Keyward's OpenAI-compatible front door: it checks each
// request's key against the store, enforces the allowlist and quota,
// forwards to the upstream and meters usage.
package gateway

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"keyward/storage"
)

// Config is what the gateway needs from `keyward serve`.
type Config struct {
	// Upstream is the OpenAI-compatible base URL, such as
	// http://127.0.0.1:8000/v1.
	Upstream string
	// UpstreamKey is the upstream's own key (read by serve from the
	// variable named by --upstream-key-env); "" sends none.
	UpstreamKey string
	// DenyUnpriced refuses models without a price instead of serving them
	// at zero cost.
	DenyUnpriced bool
	// Logger receives request and warning logs; nil discards them.
	Logger *slog.Logger
}

// Gateway serves the OpenAI-compatible API. STUB.
type Gateway struct{}

// New builds a gateway over store. STUB.
func New(store storage.Store, cfg Config) (*Gateway, error) {
	return nil, errors.New("gateway: not implemented yet")
}

// Handler returns the HTTP handler for every route. STUB.
func (g *Gateway) Handler() http.Handler { return http.NotFoundHandler() }

// Close stops background work and flushes pending charges. STUB.
func (g *Gateway) Close(ctx context.Context) error { return nil }
