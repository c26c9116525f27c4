package gateway

import (
	"bytes"
	"context"
	"net/http"
	"sync"
	"time"

	"keyward/model"
)

// meteredCall is one admitted request to a metered route.
type meteredCall struct {
	rt     route
	acct   account
	req    apiRequest
	price  model.Price
	priced bool
	log    *reqLog
}

// metered serves one of the metered routes: check the key, the body, the
// model and the quota; forward; relay the answer; charge its usage.
func (g *Gateway) metered(rt route) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		l := newLog(r.Method, r.URL.Path, rt.String(), true)
		defer g.logRequest(l)
		call, aerr := g.admitMetered(w, r, rt, l)
		if aerr != nil {
			l.refuse(w, aerr)
			return
		}
		g.forwardMetered(w, r, call)
	}
}

// admitMetered runs every check a metered request must pass.
func (g *Gateway) admitMetered(w http.ResponseWriter, r *http.Request,
	rt route, l *reqLog) (*meteredCall, *apiError) {
	acct, aerr := g.authLogged(r, l)
	if aerr != nil {
		return nil, aerr
	}
	body, aerr := readBody(w, r, g.cfg.MaxBodyBytes)
	if aerr != nil {
		return nil, aerr
	}
	req, aerr := parseRequest(body, rt)
	if aerr != nil {
		return nil, aerr
	}
	l.model = req.model
	price, priced, aerr := g.admit(acct, req.model)
	if aerr != nil {
		return nil, aerr
	}
	return &meteredCall{rt: rt, acct: acct, req: req, price: price,
		priced: priced, log: l}, nil
}

// forwardMetered sends an admitted request upstream, relays the answer
// and charges it. The upstream call outlives the client's connection, so
// that a client leaving early still pays for what the upstream did.
func (g *Gateway) forwardMetered(w http.ResponseWriter, r *http.Request,
	c *meteredCall) {
	ctx, done := g.outliveClient(r.Context())
	defer done()
	up, err := g.upstreamRequest(ctx, r, g.targetPath(r, c.rt.path()),
		bytes.NewReader(c.req.body), int64(len(c.req.body)), true)
	if err == nil {
		var resp *http.Response
		if resp, err = g.roundTrip(up); err == nil {
			defer func() { _ = resp.Body.Close() }()
			g.relayMetered(w, resp, c)
			return
		}
	}
	g.upstreamDown(w, c.log, err)
}

// outliveClient returns a context for the upstream call that is not
// canceled when the client leaves, but DrainTimeout after that; done
// releases it.
func (g *Gateway) outliveClient(client context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(client))
	finished := make(chan struct{})
	stop := context.AfterFunc(client, func() {
		select {
		case <-time.After(g.cfg.DrainTimeout):
			cancel()
		case <-finished:
		}
	})
	return ctx, func() {
		stop()
		close(finished)
		cancel()
	}
}

// relayMetered relays the upstream's answer and charges its usage.
func (g *Gateway) relayMetered(w http.ResponseWriter, resp *http.Response,
	c *meteredCall) {
	c.log.status = resp.StatusCode
	var usage model.Usage
	var found bool
	var err error
	if isEventStream(resp) {
		usage, found, err = g.relayStream(w, resp, c.rt, c.req)
	} else {
		usage, found, err = g.relayJSON(w, resp)
	}
	if err != nil {
		g.log.Warn("upstream answer cut short", "route", c.rt.String(),
			"token_id", c.acct.tok.ID, "usage_seen", found, "err", err)
	}
	if resp.StatusCode/100 != 2 {
		return
	}
	if !found {
		c.log.noUsage = true
		return
	}
	g.charge(c, usage)
}

// charge prices a request's usage and queues the charge. Unlimited
// tokens are charged too; an unpriced model costs nothing and is warned
// about once.
func (g *Gateway) charge(c *meteredCall, u model.Usage) {
	c.log.usage = u
	if !c.priced {
		g.warnUnpriced(c.req.model)
		return
	}
	c.log.cost = c.price.Cost(u)
	if c.log.cost <= 0 {
		return
	}
	g.charges.enqueue(chargeItem{tokenID: c.acct.tok.ID, name: c.acct.tok.Name,
		model: safeText(c.req.model), amount: c.log.cost, at: g.cfg.Now()})
}

// maxWarned is how many unpriced models are remembered for their
// one-time warning; past it, one more warning says that others exist.
const maxWarned = 1000

// warnSet remembers which unpriced models were warned about, up to
// maxWarned names, so that clients sending ever new names cannot grow it.
type warnSet struct {
	mu   sync.Mutex
	seen map[string]struct{}
	full bool
}

// first reports whether name is met for the first time, and whether the
// set just became full (first is then false).
func (s *warnSet) first(name string) (first, filled bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.seen[name]; ok || s.full {
		return false, false
	}
	if len(s.seen) >= maxWarned {
		s.full = true
		return false, true
	}
	if s.seen == nil {
		s.seen = make(map[string]struct{})
	}
	s.seen[name] = struct{}{}
	return true, false
}

// warnUnpriced logs once per model that it is served at zero cost.
func (g *Gateway) warnUnpriced(name string) {
	switch first, filled := g.warned.first(name); {
	case first:
		g.log.Warn("model has no price; serving it at zero cost "+
			"(set one with `keyward models price`)", "model", safeText(name))
	case filled:
		g.log.Warn("more unpriced models served at zero cost; no further "+
			"warning is logged for each", "models_warned", maxWarned)
	}
}
