package gateway

import (
	"errors"
	"net/http"
	"strings"

	"keyward/keys"
	"keyward/model"
)

// keyFromRequest finds the client's key: "Authorization: Bearer KEY",
// else an api-key or x-api-key header.
func keyFromRequest(r *http.Request) string {
	if v := r.Header.Get("Authorization"); v != "" {
		scheme, rest, _ := strings.Cut(strings.TrimSpace(v), " ")
		if strings.EqualFold(scheme, "Bearer") {
			return strings.TrimSpace(rest)
		}
	}
	if v := r.Header.Get("Api-Key"); v != "" {
		return strings.TrimSpace(v)
	}
	return strings.TrimSpace(r.Header.Get("X-Api-Key"))
}

// authenticate checks the request's key: present, well-formed (checked
// before any store access), known and enabled.
func (g *Gateway) authenticate(r *http.Request) (account, *apiError) {
	key := keyFromRequest(r)
	switch {
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
		g.log.Error("look a key up in the store", "err", err)
		return account{}, errInternal()
	case !acct.tok.Enabled:
		return acct, errDisabledKey()
	}
	return acct, nil
}

// admit checks a request for a model against the token: the allowlist,
// the price (when unpriced models are refused), then the quota. It
// returns the model's price; priced is false when it has none.
func (g *Gateway) admit(acct account, name string) (price model.Price,
	priced bool, aerr *apiError) {
	if !acct.tok.AllowsModel(name) {
		return price, false, errModelNotAllowed(name)
	}
	price, priced = g.prices.lookup(name)
	if !priced && g.cfg.DenyUnpriced {
		return price, false, errModelNotPriced(name)
	}
	if acct.exhausted() {
		return price, priced, errQuota()
	}
	return price, priced, nil
}
