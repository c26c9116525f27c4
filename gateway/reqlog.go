package gateway

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"keyward/model"
)

// reqLog collects what one request's log line says. It never holds a
// key: the token appears by ID and name.
type reqLog struct {
	start   time.Time
	route   string
	method  string
	path    string
	status  int
	tokenID uint64
	name    string
	model   string
	metered bool
	refusal string // error code when the gateway refused or failed
	usage   model.Usage
	cost    model.Money
	noUsage bool // a metered answer without usage
}

// newLog starts the log record of a request.
func newLog(method, path, route string, metered bool) *reqLog {
	return &reqLog{start: time.Now(), method: method, path: safeText(path),
		route: route, metered: metered}
}

// token records which token made the request.
func (l *reqLog) token(a account) {
	l.tokenID, l.name = a.tok.ID, a.tok.Name
}

// logRequest writes the request's log line.
func (g *Gateway) logRequest(l *reqLog) {
	attrs := []slog.Attr{
		slog.String("method", l.method), slog.String("path", l.path),
		slog.String("route", l.route), slog.Int("status", l.status),
		slog.Bool("metered", l.metered),
		slog.Duration("duration", time.Since(l.start)),
	}
	if l.tokenID != 0 {
		attrs = append(attrs, slog.Uint64("token_id", l.tokenID),
			slog.String("token_name", l.name))
	}
	if l.model != "" {
		attrs = append(attrs, slog.String("model", safeText(l.model)))
	}
	level := slog.LevelInfo
	switch {
	case l.refusal != "":
		attrs = append(attrs, slog.String("refused", l.refusal))
	case l.metered && l.status/100 == 2:
		attrs = append(attrs, l.usageAttrs()...)
		if l.noUsage {
			level = slog.LevelWarn
		}
	}
	g.log.LogAttrs(context.Background(), level, "request", attrs...)
}

// usageAttrs are the metering fields of a served metered request.
func (l *reqLog) usageAttrs() []slog.Attr {
	attrs := []slog.Attr{slog.Int64("input_tokens", l.usage.Input),
		slog.Int64("cached_input_tokens", l.usage.CachedInput),
		slog.Int64("output_tokens", l.usage.Output),
		slog.Int64("cost_nano", int64(l.cost))}
	if l.noUsage {
		attrs = append(attrs, slog.Bool("usage_missing", true))
	}
	return attrs
}

// refuse answers with aerr and records it.
func (l *reqLog) refuse(w http.ResponseWriter, aerr *apiError) {
	l.status, l.refusal = aerr.status, aerr.code
	aerr.write(w)
}

// authLogged authenticates the request and records the token, if any, in
// its log line.
func (g *Gateway) authLogged(r *http.Request, l *reqLog) (account, *apiError) {
	acct, aerr := g.authenticate(r)
	if acct.tok.ID != 0 {
		l.token(acct)
	}
	return acct, aerr
}

// upstreamDown answers 502 after a failed upstream call: the upstream
// could not be reached, or it refused the gateway's own credentials (its
// 401 or 403 is not passed on, lest the client think its key was
// refused). Nothing has been charged: charges follow a 2xx answer only.
func (g *Gateway) upstreamDown(w http.ResponseWriter, l *reqLog, err error) {
	var auth *upstreamAuthError
	if errors.As(err, &auth) {
		g.log.Error("the upstream refused the gateway's credentials (check "+
			"--upstream-key-env); answered 502, nothing charged", "route", l.route,
			"token_id", l.tokenID, "upstream_status", auth.status)
		l.refuse(w, errUpstreamAuth())
		return
	}
	g.log.Error("upstream unavailable; nothing charged", "route", l.route,
		"token_id", l.tokenID, "err", safeErr(err))
	l.refuse(w, errUpstreamDown())
}
