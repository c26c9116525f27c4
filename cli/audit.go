package cli

import (
	"flag"
	"strings"
	"time"

	"keyward/model"
	"keyward/storage"
)

// defaultAuditLimit is how many events audit prints without --limit.
const defaultAuditLimit = 50

func auditCommand() *command {
	return &command{
		name: "audit", summary: "Show the change history",
		usage: "audit [--token ID|NAME] [--limit N] [--json]",
		long:  auditLong, examples: auditExamples,
		bind: bindAudit,
	}
}

func bindAudit(fs *flag.FlagSet) binder {
	asJSON := fs.Bool("json", false, "print a JSON array instead of a table")
	token := fs.String("token", "", "only events of the token with this `ID|NAME` "+
		"(an ID also finds deleted tokens)")
	limit := fs.Int("limit", defaultAuditLimit, "show at most `N` events; 0 shows all")
	return func([]string) (action, error) {
		if *limit < 0 {
			return nil, usageErr("--limit must be 0 or more, not %d", *limit)
		}
		if isSet(fs, "token") && strings.TrimSpace(*token) == "" {
			return nil, usageErr("--token needs a token ID or name")
		}
		return func(env Env) error { return showAudit(env, *token, *limit, *asJSON) }, nil
	}
}

func showAudit(env Env, ref string, limit int, asJSON bool) error {
	id, err := auditTokenID(env.Store, ref)
	if err != nil {
		return err
	}
	events, err := env.Store.Audit(storage.AuditFilter{TokenID: id, Limit: limit})
	if err != nil {
		return err
	}
	l := list[model.Event, eventJSON]{asJSON: asJSON, toJSON: toEventJSON,
		table: auditTable, empty: "No audit events."}
	return l.print(env, events)
}

// eventJSON is an audit event as scripts read it.
type eventJSON struct {
	Seq       uint64              `json:"seq"`
	Time      string              `json:"time"`
	Actor     string              `json:"actor"`
	Action    string              `json:"action"`
	TokenID   uint64              `json:"token_id,omitempty"`
	TokenName string              `json:"token_name,omitempty"`
	Subject   string              `json:"subject,omitempty"`
	Changes   []model.FieldChange `json:"changes"`
}

func toEventJSON(e model.Event) eventJSON {
	return eventJSON{
		Seq: e.Seq, Time: e.Time.UTC().Format(time.RFC3339Nano),
		Actor: e.Actor, Action: string(e.Action), TokenID: e.TokenID,
		TokenName: e.TokenName, Subject: e.Subject,
		Changes: append([]model.FieldChange{}, e.Changes...),
	}
}

func auditTable(events []model.Event) *table {
	tb := &table{}
	tb.add("TIME", "ACTOR", "ACTION", "TARGET", "CHANGES")
	for _, e := range events {
		tb.add(localTime(e.Time), e.Actor, string(e.Action), eventTarget(e),
			changesText(e.Changes))
	}
	return tb
}

// eventTarget names what an event changed: a token or a model.
func eventTarget(e model.Event) string {
	if e.TokenID != 0 {
		return refOf(model.Token{ID: e.TokenID, Name: e.TokenName}).String()
	}
	return e.Subject
}

// changesText is "quota: $10.00 → $20.00; name: a → b", or "name: a" for
// a field that had no old value.
func changesText(changes []model.FieldChange) string {
	parts := make([]string, len(changes))
	for i, c := range changes {
		parts[i] = changeText(c)
	}
	return strings.Join(parts, "; ")
}

func changeText(c model.FieldChange) string {
	if c.Old == "" {
		return c.Field + ": " + c.New
	}
	return c.Field + ": " + c.Old + " → " + c.New
}
