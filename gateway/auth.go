package gateway

import (
	"errors"
	"net/http"
	"strings"

	"keyward/keys"
	"keyward/model"
)

// keyFromRequest finds the client's key: "Authorization: Bearer KEY",
// else an api-key or x-api-key header. An Authorization header holding a
// bare Keyward key (no scheme) is read too. authSeen is true when an
// Authorization header was sent but held no key Keyward can read, so
// that the refusal can say how to send it.
func keyFromRequest(r *http.Request) (key string, authSeen bool) {
	if v := strings.TrimSpace(r.Header.Get("Authorization")); v != "" {
		scheme, rest, _ := strings.Cut(v, " ")
		switch {
		case strings.EqualFold(scheme, "Bearer"):
			key = strings.TrimSpace(rest)
		case rest == "" && strings.HasPrefix(v, keys.Prefix):
			key = v // "Authorization: KEY"
		}
		if key != "" {
			return key, false
		}
		authSeen = true
	}
	if v := strings.TrimSpace(r.Header.Get("Api-Key")); v != "" {
		return v, false
	}
	if v := strings.TrimSpace(r.Header.Get("X-Api-Key")); v != "" {
		return v, false
	}
	return "", authSeen
}

// authenticate checks the request's key: present, well-formed (checked
// before any store access), known and enabled.
func (g *Gateway) authenticate(r *http.Request) (account, *apiError) {
	key, authSeen := keyFromRequest(r)
	switch {
	case key == "" && authSeen:
		return account{}, errKeyScheme()
	case key == "":
		return account{}, errNoKey()
	case !keys.LooksValid(key):
		return account{}, errBadKey()
	}
	acct, err := g.tokens.lookup(key)
	switch {
	case errors.Is(err, errUnknownKey):
		return account{}, errBadKey()
	case err != nil:
		g.log.Error("look a key up in the store", "err", safeErr(err))
		return account{}, errInternal()
	case !acct.tok.Enabled:
		return acct, errDisabledKey()
	}
	return acct, nil
}

// admit checks a request for a model against the token: the model
// (see checkModel), then the quota. It returns the model's price; priced
// is false when it has none.
func (g *Gateway) admit(acct account, name string) (price model.Price,
	priced bool, aerr *apiError) {
	if price, priced, aerr = g.checkModel(acct, name); aerr != nil {
		return price, priced, aerr
	}
	if acct.exhausted() {
		return price, priced, errQuota()
	}
	return price, priced, nil
}

// checkModel holds a model name to its length limit, the token's
// allowlist and, when unpriced models are refused, the price list.
func (g *Gateway) checkModel(acct account, name string) (price model.Price,
	priced bool, aerr *apiError) {
	if aerr = checkModelName(name); aerr != nil {
		return price, false, aerr
	}
	if !acct.tok.AllowsModel(name) {
		return price, false, errModelNotAllowed(name)
	}
	if err := g.prices.fresh(g.store); err != nil {
		g.log.Error("reload model prices; keeping the old ones", "err", safeErr(err))
	}
	price, priced = g.prices.lookup(name)
	if !priced && g.cfg.DenyUnpriced {
		return price, false, errModelNotPriced(name)
	}
	return price, priced, nil
}

// servesModel reports whether a token may see a model in the model list:
// allowed, and priced when unpriced models are refused.
func (g *Gateway) servesModel(acct account, name string) bool {
	_, _, aerr := g.checkModel(acct, name)
	return aerr == nil
}
