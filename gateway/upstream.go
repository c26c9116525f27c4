package gateway

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// NewTransport returns the transport the gateway uses by default: no proxy
// from the environment (the upstream is named explicitly), keep-alives,
// and enough idle connections per host that 128 concurrent clients reuse
// their upstream connections. Compression is left to the client and the
// upstream: the gateway never asks for gzip itself, so it can read usage.
func NewTransport() *http.Transport {
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Transport{
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          1024,
		MaxIdleConnsPerHost:   1024,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
		DisableCompression:    true,
	}
}

// isHopHeader reports whether k (canonical) is a connection-level header
// that a proxy must not forward.
func isHopHeader(k string) bool {
	switch k {
	case "Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authenticate",
		"Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade":
		return true
	}
	return false
}

// isClientOnly reports whether a request header stays with Keyward: the
// client's key in every form Keyward accepts, Keyward's own headers, and
// headers the transport sets itself.
func isClientOnly(k string) bool {
	switch k {
	case "Authorization", "Api-Key", "X-Api-Key", "X-Keyward-Model", "Host",
		"Content-Length", "Cookie":
		return true
	}
	return false
}

// isClientOnlyMetered is isClientOnly plus Accept-Encoding: a metered
// answer must come uncompressed so that its usage can be read.
func isClientOnlyMetered(k string) bool {
	return isClientOnly(k) || k == "Accept-Encoding"
}

// isSetCookie keeps the upstream's cookies away from Keyward's clients.
func isSetCookie(k string) bool { return k == "Set-Cookie" }

// copyHeaders copies src to dst without hop-by-hop headers, the headers
// named by Connection, and those drop names.
func copyHeaders(dst, src http.Header, drop func(string) bool) {
	conn := src.Values("Connection")
	for k, vs := range src {
		if isHopHeader(k) || drop(k) || listed(conn, k) {
			continue
		}
		dst[k] = append([]string(nil), vs...)
	}
}

// listed reports whether k is among the comma-separated names in values.
func listed(values []string, k string) bool {
	for _, v := range values {
		for _, f := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(f), k) {
				return true
			}
		}
	}
	return false
}

// target is the upstream URL for a client request to /v1/REST: the
// client's own escaping of the path, which checkPath has vetted.
func (g *Gateway) target(r *http.Request) string {
	return g.targetPath(r, strings.TrimPrefix(r.URL.EscapedPath(), "/v1"))
}

// targetPath is the upstream URL for rest (a path below the base URL)
// with the client's query.
func (g *Gateway) targetPath(r *http.Request, rest string) string {
	if r.URL.RawQuery != "" {
		return g.upstream + rest + "?" + r.URL.RawQuery
	}
	return g.upstream + rest
}

// upstreamRequest builds the request to target upstream: the client's
// headers without its key (and, for metered routes, without
// Accept-Encoding so the answer can be read), and the upstream's own key.
func (g *Gateway) upstreamRequest(ctx context.Context, r *http.Request, target string,
	body io.Reader, length int64, metered bool) (*http.Request, error) {
	out, err := http.NewRequestWithContext(ctx, r.Method, target, body)
	if err != nil {
		return nil, err
	}
	drop := isClientOnly
	if metered {
		drop = isClientOnlyMetered
	}
	copyHeaders(out.Header, r.Header, drop)
	out.ContentLength = length
	if length == 0 {
		out.Body = http.NoBody
	}
	if g.cfg.UpstreamKey != "" {
		out.Header.Set("Authorization", "Bearer "+g.cfg.UpstreamKey)
	}
	return out, nil
}

// roundTrip sends req upstream. A transport error becomes an
// upstreamError, and an upstream 401 or 403 (its verdict on the gateway's
// own key) an upstreamAuthError, so that callers answer 502.
func (g *Gateway) roundTrip(req *http.Request) (*http.Response, error) {
	resp, err := g.rt.RoundTrip(req)
	if err != nil {
		return nil, &upstreamError{err: err}
	}
	if resp.StatusCode == http.StatusUnauthorized ||
		resp.StatusCode == http.StatusForbidden {
		// Read a little so that the connection can be reused.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		_ = resp.Body.Close()
		return nil, &upstreamAuthError{status: resp.StatusCode}
	}
	return resp, nil
}

// upstreamError is a failure to reach the upstream or read its answer.
type upstreamError struct{ err error }

// Error says the upstream could not be reached, and why.
func (e *upstreamError) Error() string { return "upstream: " + e.err.Error() }

// Unwrap gives the transport's error.
func (e *upstreamError) Unwrap() error { return e.err }

// upstreamAuthError is an upstream's 401 or 403.
type upstreamAuthError struct{ status int }

func (e *upstreamAuthError) Error() string {
	return fmt.Sprintf("upstream: refused the gateway's credentials (status %d)",
		e.status)
}

// writeResponseHead copies the upstream's status and headers to the
// client; keepLength is false when the body will be changed on the way.
func writeResponseHead(w http.ResponseWriter, resp *http.Response, keepLength bool) {
	h := w.Header()
	copyHeaders(h, resp.Header, isSetCookie)
	if !keepLength {
		h.Del("Content-Length")
	}
	w.WriteHeader(resp.StatusCode)
}
