package model

import (
	"errors"
	"reflect"
	"testing"
)

func TestTokenQuota(t *testing.T) {
	cases := []struct {
		name      string
		tok       Token
		remaining Money
		exhausted bool
		status    Status
	}{
		{"fresh", Token{Enabled: true, Limit: 10 * Dollar}, 10 * Dollar, false, StatusEnabled},
		{"part used", Token{Enabled: true, Limit: 10 * Dollar, Used: 4 * Dollar},
			6 * Dollar, false, StatusEnabled},
		{"exactly used up", Token{Enabled: true, Limit: Dollar, Used: Dollar}, 0, true,
			StatusExhausted},
		{"over", Token{Enabled: true, Limit: Dollar, Used: 2 * Dollar}, 0, true,
			StatusExhausted},
		{"zero limit", Token{Enabled: true}, 0, true, StatusExhausted},
		{"unlimited over its limit", Token{Enabled: true, Unlimited: true, Limit: Dollar,
			Used: 5 * Dollar}, 0, false, StatusEnabled},
		{"disabled wins", Token{Limit: Dollar, Used: 2 * Dollar}, 0, true, StatusDisabled},
	}
	for _, c := range cases {
		if got := c.tok.Remaining(); got != c.remaining {
			t.Errorf("%s: Remaining = %d, want %d", c.name, got, c.remaining)
		}
		if got := c.tok.Exhausted(); got != c.exhausted {
			t.Errorf("%s: Exhausted = %t", c.name, got)
		}
		if got := c.tok.Status(); got != c.status {
			t.Errorf("%s: Status = %s, want %s", c.name, got, c.status)
		}
	}
	for s, want := range map[Status]string{StatusEnabled: "Enabled",
		StatusDisabled: "Disabled", StatusExhausted: "Exhausted"} {
		if s.String() != want {
			t.Errorf("Status %d = %q, want %q", s, s.String(), want)
		}
	}
}

func TestAllowsModel(t *testing.T) {
	all := Token{}
	if !all.AllowsModel("anything") {
		t.Error("an empty allowlist should admit every model")
	}
	some := Token{Models: []string{"gpt-5", "o3"}}
	for m, want := range map[string]bool{"gpt-5": true, "o3": true, "gpt-5-mini": false,
		"": false, "GPT-5": false} {
		if got := some.AllowsModel(m); got != want {
			t.Errorf("AllowsModel(%q) = %t, want %t", m, got, want)
		}
	}
}

func TestSpecNormalize(t *testing.T) {
	got, err := Spec{Name: "  team a ", Limit: 5 * Dollar,
		Models: []string{" o3", "o3", "gpt-5"}}.Normalize()
	want := Spec{Name: "team a", Limit: 5 * Dollar, Models: []string{"o3", "gpt-5"}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("Normalize = %+v, %v; want %+v", got, err, want)
	}
	for _, bad := range []Spec{{Name: ""}, {Name: "x", Limit: -1},
		{Name: "x", Models: []string{"a b"}}} {
		if _, err := bad.Normalize(); !errors.Is(err, ErrInvalid) {
			t.Errorf("Normalize(%+v) = %v; want ErrInvalid", bad, err)
		}
	}
}

func TestChangesNormalize(t *testing.T) {
	name, limit, models := " n ", 3*Dollar, []string{"a", "a"}
	got, err := Changes{Name: &name, Limit: &limit, Models: &models}.Normalize()
	if err != nil || *got.Name != "n" || *got.Limit != limit ||
		!reflect.DeepEqual(*got.Models, []string{"a"}) {
		t.Errorf("Normalize = %+v, %v", got, err)
	}
	if name != " n " || len(models) != 2 {
		t.Error("Normalize changed the caller's values")
	}
	if !(Changes{}).Empty() || got.Empty() {
		t.Error("Empty is wrong")
	}
	bad := Money(-1)
	if _, err := (Changes{Limit: &bad}).Normalize(); !errors.Is(err, ErrInvalid) {
		t.Errorf("negative limit: %v", err)
	}
}

func TestPriceCost(t *testing.T) {
	p := Price{Input: 125 * Cent, Output: 10 * Dollar, CachedInput: new(Money(12_500_000 / 100))}
	cases := []struct {
		name string
		p    Price
		u    Usage
		want Money
	}{
		{"nothing", p, Usage{}, 0},
		{"one input token rounds up", p, Usage{Input: 1}, 1_250},
		{"a million output tokens", p, Usage{Output: 1_000_000}, 10 * Dollar},
		{"cached part at the cached price", p, Usage{Input: 1_000_000, CachedInput: 400_000},
			600_000*125*Cent/1_000_000 + 400_000*125_000/1_000_000},
		{"no cached price means the input price",
			Price{Input: Dollar}, Usage{Input: 10, CachedInput: 10}, 10_000},
		{"cached price zero makes cached input free",
			Price{Input: Dollar, Output: Dollar, CachedInput: new(Money(0))},
			Usage{Input: 1_000_000, CachedInput: 1_000_000}, 0},
		{"cached price zero charges the fresh part",
			Price{Input: Dollar, CachedInput: new(Money(0))},
			Usage{Input: 1_000_000, CachedInput: 400_000}, 600_000 * Dollar / 1_000_000},
		{"cached above input is capped", Price{Input: Dollar, CachedInput: new(Money(1))},
			Usage{Input: 10, CachedInput: 50}, 1},
		{"negative counts cost nothing", p, Usage{Input: -5, Output: -5}, 0},
		{"absurd counts saturate", Price{Input: MaxMoney}, Usage{Input: 1 << 62}, 0},
	}
	for _, c := range cases {
		got := c.p.Cost(c.u)
		if c.name == "absurd counts saturate" {
			if got <= 0 {
				t.Errorf("%s: %d, want a large positive cost", c.name, got)
			}
			continue
		}
		if got != c.want {
			t.Errorf("%s: Cost = %d, want %d", c.name, got, c.want)
		}
	}
}
