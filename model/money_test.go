package model

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func TestParseMoneyAccepts(t *testing.T) {
	cases := []struct {
		in   string
		want Money
	}{
		{"12", 12 * Dollar},
		{"12.5", 12*Dollar + 50*Cent},
		{"0.10", 10 * Cent},
		{"$1,234.56", 1234*Dollar + 56*Cent},
		{"0.000000001", NanoDollar},
		{"  7  ", 7 * Dollar},
		{"\t$ 7.25\n", 7*Dollar + 25*Cent},
		{"0", 0},
		{"0.00", 0},
		{"$0", 0},
		{".5", 50 * Cent},
		{"5.", 5 * Dollar},
		{"007", 7 * Dollar},
		{"1,000", 1000 * Dollar},
		{"1,000,000.5", 1_000_000*Dollar + 50*Cent},
		{"999,999,999.999999999", MaxMoney - 1},
		{"1000000000", MaxMoney},
		{"$1,000,000,000.00", MaxMoney},
		{"1000000000.000000000", MaxMoney},
		{"0.123456789", 123_456_789},
		{"0000000000000000000012", 12 * Dollar},
	}
	for _, c := range cases {
		got, err := ParseMoney(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParseMoney(%q) = %d, %v; want %d", c.in, got, err, c.want)
		}
	}
}

func TestParseMoneyRejects(t *testing.T) {
	cases := []struct {
		in, why string
	}{
		{"", "enter an amount"},
		{"   ", "enter an amount"},
		{"$", "enter an amount"},
		{"-7", "negative"},
		{"-0", "negative"},
		{"-$5", "negative"},
		{"$-5", "negative"},
		{"+5", "sign"},
		{"abc", "contains"},
		{"12abc", "contains"},
		{"12 34", "contains"},
		{"1,5", "decimal comma"},
		{"12,50", "decimal comma"},
		{"0,500", "decimal comma"},
		{"1e3", "exponent"},
		{"2.5E-4", "exponent"},
		{"1E+3", "exponent"},
		{"NaN", "not a number"},
		{"nan", "not a number"},
		{"Inf", "not a number"},
		{"-Inf", "negative"},
		{"Infinity", "not a number"},
		{"0.0000000001", "more than 9 decimals"},
		{"1.1234567891", "more than 9 decimals"},
		{"1000000000.000000001", "maximum"},
		{"1,000,000,001", "maximum"},
		{"99999999999", "maximum"},
		{"9223372036854775808", "maximum"},
		{"9227000000", "maximum"},
		{"9999999999.99", "maximum"},
		{"1.2.3", "more than one decimal point"},
		{".", "no digits"},
		{"$.", "no digits"},
		{"1,00,000", "misplaced thousands"},
		{",100", "misplaced thousands"},
		{"1000,000", "misplaced thousands"},
		{"1,000.5,0", "comma after the decimal point"},
		{"１２", "contains"},
		{"$$5", "contains"},
		{"5$", "contains"},
		{"12\x00", "contains"},
		{"<$0.01", "contains"},
	}
	for _, c := range cases {
		got, err := ParseMoney(c.in)
		if err == nil {
			t.Errorf("ParseMoney(%q) = %d, want an error about %q", c.in, got, c.why)
			continue
		}
		if !errors.Is(err, ErrMoney) || !strings.Contains(err.Error(), c.why) {
			t.Errorf("ParseMoney(%q) error %q; want ErrMoney saying %q", c.in, err, c.why)
		}
	}
}

func TestFormat(t *testing.T) {
	cases := []struct {
		m    Money
		want string
	}{
		{0, "$0.00"},
		{NanoDollar, "<$0.01"},
		{Cent/2 - 1, "<$0.01"},
		{Cent / 2, "$0.01"},
		{Cent, "$0.01"},
		{10 * Cent, "$0.10"},
		{Dollar, "$1.00"},
		{12*Dollar + 50*Cent, "$12.50"},
		{999*Dollar + 99*Cent, "$999.99"},
		{1234*Dollar + 56*Cent, "$1,234.56"},
		{1234*Dollar + 56*Cent + 4_999_999, "$1,234.56"},
		{1234*Dollar + 56*Cent + 5_000_000, "$1,234.57"},
		{999_999 * Dollar, "$999,999.00"},
		{MaxMoney, "$1,000,000,000.00"},
		{-5 * Dollar, "-$5.00"},
		{-1, "-<$0.01"},
		{math.MaxInt64, "$9,223,372,036.85"},
		{math.MinInt64, "-$9,223,372,036.85"},
	}
	for _, c := range cases {
		if got := c.m.Format(); got != c.want {
			t.Errorf("Money(%d).Format() = %q, want %q", c.m, got, c.want)
		}
		if got := c.m.String(); got != c.want {
			t.Errorf("Money(%d).String() = %q, want %q", c.m, got, c.want)
		}
	}
}

func TestDecimalAndInput(t *testing.T) {
	cases := []struct {
		m              Money
		decimal, input string
	}{
		{0, "0.00", "0"},
		{NanoDollar, "0.000000001", "0.000000001"},
		{10 * Cent, "0.10", "0.1"},
		{12*Dollar + 50*Cent, "12.50", "12.5"},
		{100 * Dollar, "100.00", "100"},
		{1234*Dollar + 56*Cent, "1234.56", "1234.56"},
		{MaxMoney, "1000000000.00", "1000000000"},
		{-1, "-0.000000001", "-0.000000001"},
		{math.MinInt64, "-9223372036.854775808", "-9223372036.854775808"},
		{math.MaxInt64, "9223372036.854775807", "9223372036.854775807"},
	}
	for _, c := range cases {
		if got := c.m.Decimal(); got != c.decimal {
			t.Errorf("Money(%d).Decimal() = %q, want %q", c.m, got, c.decimal)
		}
		if got := c.m.Input(); got != c.input {
			t.Errorf("Money(%d).Input() = %q, want %q", c.m, got, c.input)
		}
	}
}

// TestRoundTrips checks the promises a form relies on: Input always parses
// back exactly, and Format parses back exactly for whole cents.
func TestRoundTrips(t *testing.T) {
	values := []Money{0, NanoDollar, Cent - 1, Cent, Dollar - 1, 12*Dollar + 34*Cent,
		1234*Dollar + 56*Cent, 999_999_999*Dollar + 99*Cent, MaxMoney - 1, MaxMoney}
	for c := Money(0); c < 100_000*Cent; c += 7_777 * Cent / 100 {
		values = append(values, c, c-c%Cent)
	}
	for _, m := range values {
		if got, err := ParseMoney(m.Input()); err != nil || got != m {
			t.Errorf("ParseMoney(%q) = %d, %v; want %d", m.Input(), got, err, m)
		}
		if got, err := ParseMoney(m.Decimal()); err != nil || got != m {
			t.Errorf("ParseMoney(%q) = %d, %v; want %d", m.Decimal(), got, err, m)
		}
		if m%Cent != 0 {
			continue
		}
		if got, err := ParseMoney(m.Format()); err != nil || got != m {
			t.Errorf("ParseMoney(%q) = %d, %v; want %d", m.Format(), got, err, m)
		}
	}
}
