package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"keyward/keys"
	"keyward/model"
)

// tokenJSON is a token as scripts read it. The field names are stable.
// Amounts are exact decimal strings of dollars, never floats; limit_usd
// and remaining_usd are null for unlimited tokens.
type tokenJSON struct {
	ID           uint64   `json:"id"`
	Name         string   `json:"name"`
	Status       string   `json:"status"`
	Enabled      bool     `json:"enabled"`
	Unlimited    bool     `json:"unlimited"`
	LimitUSD     *string  `json:"limit_usd"`
	UsedUSD      string   `json:"used_usd"`
	RemainingUSD *string  `json:"remaining_usd"`
	Models       []string `json:"models"`
	KeyMasked    string   `json:"key_masked"`
	Key          string   `json:"key,omitempty"`
	CreatedAt    string   `json:"created_at"`
	UpdatedAt    string   `json:"updated_at"`
}

// toJSON converts a token; the full key is included only when withKey.
func toJSON(t model.Token, withKey bool) tokenJSON {
	out := tokenJSON{
		ID: t.ID, Name: t.Name, Enabled: t.Enabled, Unlimited: t.Unlimited,
		Status:    strings.ToLower(t.Status().String()),
		UsedUSD:   t.Used.Decimal(),
		Models:    append([]string{}, t.Models...),
		KeyMasked: keys.Mask(t.Key),
		CreatedAt: rfc3339(t.CreatedAt), UpdatedAt: rfc3339(t.UpdatedAt),
	}
	if !t.Unlimited {
		limit, left := t.Limit.Decimal(), t.Remaining().Decimal()
		out.LimitUSD, out.RemainingUSD = &limit, &left
	}
	if withKey {
		out.Key = t.Key
	}
	return out
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// list prints items as a JSON array, or as a table, or says on stderr
// that there are none, leaving stdout empty.
type list[T, J any] struct {
	asJSON bool
	toJSON func(T) J
	table  func([]T) *table
	empty  string
}

func (l list[T, J]) print(env Env, items []T) error {
	if l.asJSON {
		out := make([]J, 0, len(items))
		for _, it := range items {
			out = append(out, l.toJSON(it))
		}
		return writeJSON(env.Stdout, out)
	}
	if len(items) == 0 {
		_, err := fmt.Fprintln(env.Stderr, l.empty)
		return err
	}
	return l.table(items).write(env.Stdout)
}

// writeJSON prints v indented, without HTML escaping, ending in a newline.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// modelsText is an allowlist in words.
func modelsText(models []string) string {
	if len(models) == 0 {
		return model.AllModelsLabel
	}
	return strings.Join(models, ", ")
}

// localTime formats t for tables in the local time zone, in the
// console's layout.
func localTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format(model.TimeLayout)
}

// writeTokenDetail prints one token as labelled lines for tokens show.
func writeTokenDetail(w io.Writer, t model.Token, reveal bool) error {
	key := keys.Mask(t.Key)
	if reveal {
		key = t.Key
	}
	quota := fmt.Sprintf("%s left of %s (%s used)",
		t.Remaining().Format(), t.Limit.Format(), t.Used.Format())
	if t.Unlimited {
		quota = fmt.Sprintf("Unlimited (%s used)", t.Used.Format())
	}
	var tb table
	tb.add("ID:", fmt.Sprint(t.ID))
	tb.add("Name:", t.Name)
	tb.add("Status:", t.Status().String())
	tb.add("Quota:", quota)
	tb.add("Models:", modelsText(t.Models))
	tb.add("Key:", key)
	tb.add("Created:", localTime(t.CreatedAt))
	tb.add("Updated:", localTime(t.UpdatedAt))
	return tb.write(w)
}
