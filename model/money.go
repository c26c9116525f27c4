// Package model holds Keyward's domain types: tokens, money, the model
// catalog and audit events. It depends on nothing else in Keyward.
package model

import (
	"errors"
	"fmt"
	"strings"
)

// Money is an amount of US dollars counted in nano-dollars
// (1 USD = 1,000,000,000). It is never a float.
type Money int64

// Money units.
const (
	NanoDollar Money = 1
	Cent       Money = 10_000_000
	Dollar     Money = 1_000_000_000

	// MaxMoney is the largest amount Keyward accepts: $1,000,000,000.
	MaxMoney Money = 1_000_000_000 * Dollar
)

// moneyDecimals is the number of decimal places Money keeps.
const moneyDecimals = 9

// ErrMoney is wrapped by every error ParseMoney returns.
var ErrMoney = errors.New("invalid amount")

func moneyErr(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrMoney, fmt.Sprintf(format, a...))
}

// ParseMoney reads a dollar amount such as "12", "12.5", "0.10",
// "$1,234.56" or "0.000000001". Spaces around the amount and a leading "$"
// are allowed; thousands separators must group digits in threes. It rejects
// negative amounts, letters, a decimal comma, exponents, more than nine
// decimals and amounts over $1,000,000,000, each with a message that says
// why.
func ParseMoney(s string) (Money, error) {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(s, "$")
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, moneyErr("enter an amount in dollars, such as 12.50")
	}
	if err := checkMoneyChars(s); err != nil {
		return 0, err
	}
	whole, frac, hasDot := strings.Cut(s, ".")
	if strings.Contains(frac, ".") {
		return 0, moneyErr("%q has more than one decimal point", s)
	}
	if strings.Contains(frac, ",") {
		return 0, moneyErr("%q has a comma after the decimal point", s)
	}
	digits, err := wholeDigits(s, whole, hasDot)
	if err != nil {
		return 0, err
	}
	if len(frac) > moneyDecimals {
		return 0, moneyErr("%q has more than %d decimals", s, moneyDecimals)
	}
	if hasDot && frac == "" && digits == "" {
		return 0, moneyErr("%q has no digits", s)
	}
	return assembleMoney(s, digits, frac)
}

// checkMoneyChars rejects every character that cannot be part of an amount,
// naming the most likely mistake.
func checkMoneyChars(s string) error {
	lower := strings.ToLower(s)
	switch {
	case strings.HasPrefix(s, "-"):
		return moneyErr("%q is negative; amounts must be zero or more", s)
	case strings.HasPrefix(s, "+"):
		return moneyErr("%q has a sign; write the amount without it", s)
	case strings.Contains(lower, "nan") || strings.Contains(lower, "inf"):
		return moneyErr("%q is not a number", s)
	}
	for _, r := range s {
		if r >= '0' && r <= '9' || r == '.' || r == ',' {
			continue
		}
		if r == 'e' || r == 'E' {
			if isExponent(s) {
				return moneyErr("%q uses an exponent; write the amount in full", s)
			}
		}
		return moneyErr("%q contains %q; use only digits and one decimal point", s, r)
	}
	return nil
}

// isExponent reports whether s looks like 1e3 or 2.5E-4.
func isExponent(s string) bool {
	i := strings.IndexAny(s, "eE")
	if i <= 0 || i == len(s)-1 {
		return false
	}
	mant, exp := s[:i], strings.TrimLeft(s[i+1:], "+-")
	return exp != "" && strings.Trim(mant, "0123456789.,") == "" &&
		strings.Trim(exp, "0123456789") == ""
}

// wholeDigits validates the part before the decimal point and returns its
// digits with thousands separators removed.
func wholeDigits(s, whole string, hasDot bool) (string, error) {
	if !strings.Contains(whole, ",") {
		if whole == "" && !hasDot {
			return "", moneyErr("%q has no digits", s)
		}
		return whole, nil
	}
	groups := strings.Split(whole, ",")
	if !hasDot && len(groups) == 2 && len(groups[1]) != 3 {
		return "", moneyErr("%q uses a decimal comma; write a point, as in 1.5", s)
	}
	if !hasDot && strings.HasPrefix(groups[0], "0") {
		return "", moneyErr("%q uses a decimal comma; write a point, as in 0.5", s)
	}
	if groups[0] == "" || len(groups[0]) > 3 || strings.HasPrefix(groups[0], "0") {
		return "", moneyErr("%q has misplaced thousands separators", s)
	}
	for _, g := range groups[1:] {
		if len(g) != 3 {
			return "", moneyErr("%q has misplaced thousands separators", s)
		}
	}
	return strings.Join(groups, ""), nil
}

// assembleMoney turns validated digit strings into nano-dollars, checking
// the upper bound before anything can overflow.
func assembleMoney(s, whole, frac string) (Money, error) {
	whole = strings.TrimLeft(whole, "0")
	if len(whole) > 10 {
		return 0, moneyErr("%q is over the $1,000,000,000 maximum", s)
	}
	var m Money
	for _, r := range whole {
		m = m*10 + Money(r-'0')
	}
	if m > MaxMoney/Dollar {
		return 0, moneyErr("%q is over the $1,000,000,000 maximum", s)
	}
	m *= Dollar
	scale := Dollar / 10
	for _, r := range frac {
		m += Money(r-'0') * scale
		scale /= 10
	}
	if m > MaxMoney {
		return 0, moneyErr("%q is over the $1,000,000,000 maximum", s)
	}
	return m, nil
}

// String formats m as Format does.
func (m Money) String() string { return m.Format() }

// Format prints m in dollars and cents with thousands separators, rounding
// to the nearest cent: "$1,234.56". A non-zero amount that would round to
// zero prints as "<$0.01", never "$0.00". Negative amounts get a leading
// minus sign. Every int64 value formats, the extremes included.
func (m Money) Format() string {
	sign, u := m.magnitude()
	if u > 0 && u < uint64(Cent/2) {
		return sign + "<$0.01"
	}
	cents := u / uint64(Cent)
	if u%uint64(Cent) >= uint64(Cent/2) {
		cents++
	}
	return sign + "$" + groupThousands(cents/100) + fmt.Sprintf(".%02d", cents%100)
}

// magnitude splits m into a sign ("-" or "") and its absolute value, which
// does not overflow even for the most negative int64.
func (m Money) magnitude() (string, uint64) {
	if m < 0 {
		return "-", uint64(-(m + 1)) + 1
	}
	return "", uint64(m)
}

// Decimal prints m as an exact decimal string of dollars with no currency
// sign and no separators, keeping at least two decimals: $1,234.50 becomes
// "1234.50" and one nano-dollar "0.000000001". It is the form used in JSON.
func (m Money) Decimal() string {
	sign, u := m.magnitude()
	frac := fmt.Sprintf("%09d", u%uint64(Dollar))
	frac = strings.TrimRight(frac, "0")
	for len(frac) < 2 {
		frac += "0"
	}
	return fmt.Sprintf("%s%d.%s", sign, u/uint64(Dollar), frac)
}

// Input prints m in the form a person would type back into a form: plain
// digits without separators, trimmed decimals ("12.5", "0.10" becomes
// "0.1"), and exact to the nano-dollar, so parsing it returns m.
func (m Money) Input() string {
	d := m.Decimal()
	d = strings.TrimRight(d, "0")
	return strings.TrimSuffix(d, ".")
}

// groupThousands writes n with a comma between groups of three digits.
func groupThousands(n uint64) string {
	s := fmt.Sprintf("%d", n)
	if len(s) <= 3 {
		return s
	}
	var b strings.Builder
	lead := len(s) % 3
	if lead > 0 {
		b.WriteString(s[:lead])
	}
	for i := lead; i < len(s); i += 3 {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(s[i : i+3])
	}
	return b.String()
}
