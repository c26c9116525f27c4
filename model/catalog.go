package model

import "time"

// Price is what a model costs, in dollars per million tokens.
type Price struct {
	Input  Money
	Output Money
	// CachedInput is the price of input served from the upstream's cache;
	// nil means the Input price. A zero amount makes cached input free.
	CachedInput *Money
}

// Cached is the price of cached input: CachedInput when set, else Input.
func (p Price) Cached() Money {
	if p.CachedInput != nil {
		return *p.CachedInput
	}
	return p.Input
}

// PerMillion is the token count prices are quoted for.
const PerMillion = 1_000_000

// CatalogModel is one model name the console offers in its multi-select,
// with its price when one is set.
type CatalogModel struct {
	Name  string
	Price *Price // nil when no price is set
}

// Usage counts the tokens of one request.
type Usage struct {
	Input       int64 // prompt tokens, cached ones included
	CachedInput int64 // the part of Input served from the upstream's cache
	Output      int64
}

// Cost prices a request's usage, in nano-dollars, rounded up so that a
// request is never undercharged. It cannot overflow for counts below 2^40.
func (p Price) Cost(u Usage) Money {
	cached := max(0, min(u.CachedInput, u.Input))
	fresh := u.Input - cached
	cachedPrice := p.Cached()
	// Sum of count*price in nano-dollars per million tokens; each term is
	// below 2^40 * 2^60 only for absurd prices, so cap the counts first.
	total := mulCapped(fresh, p.Input) + mulCapped(cached, cachedPrice) +
		mulCapped(max(0, u.Output), p.Output)
	return Money((total + PerMillion - 1) / PerMillion)
}

// mulCapped multiplies a token count by a per-million price, saturating
// instead of overflowing.
func mulCapped(n int64, price Money) int64 {
	if n <= 0 || price <= 0 {
		return 0
	}
	const limit = int64(^uint64(0)>>1) / 4
	if int64(price) > limit/n {
		return limit
	}
	return n * int64(price)
}

// DaySpend is what one token spent on one UTC day.
type DaySpend struct {
	Day    time.Time // midnight UTC
	Amount Money
}
