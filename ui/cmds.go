package ui

import (
	"fmt"
	"slices"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"keyward/model"
	"keyward/storage"
)

// Every store call runs in one of these commands. Each captures copies of
// what it needs before it returns the closure, so nothing it does touches
// the Model from another goroutine.

// spendDays is how many days the detail view's sparkline covers.
const spendDays = 30

func loadTokensCmd(st storage.Store, query string, seq uint64) tea.Cmd {
	return func() tea.Msg {
		toks, err := st.List()
		rows := buildRows(toks)
		return tokensLoadedMsg{rows: rows, view: matchRows(rows, query), query: query,
			seq: seq, err: wrapf(err, "load tokens")}
	}
}

func filterCmd(rows []row, query string, seq, gen uint64) tea.Cmd {
	return func() tea.Msg {
		return filteredMsg{seq: seq, gen: gen, view: matchRows(rows, query)}
	}
}

func loadCatalogCmd(st storage.Store) tea.Cmd {
	return func() tea.Msg {
		ms, err := st.Models()
		return catalogLoadedMsg{models: ms, err: wrapf(err, "load the model catalog")}
	}
}

// waitChangeCmd waits for the next change signal, or for the session to
// end, when it ends the subscription itself: a session that drops never
// gets to quit.
func waitChangeCmd(ch <-chan struct{}, done <-chan struct{}, cancel func()) tea.Cmd {
	if ch == nil {
		return nil
	}
	return func() tea.Msg {
		select {
		case _, ok := <-ch:
			if !ok {
				return storeGoneMsg{}
			}
			return storeChangedMsg{}
		case <-done:
			if cancel != nil {
				cancel()
			}
			return storeGoneMsg{}
		}
	}
}

func createCmd(st storage.Store, actor string, spec model.Spec) tea.Cmd {
	spec.Models = slices.Clone(spec.Models)
	return func() tea.Msg {
		tok, err := st.Create(actor, spec)
		return tokenSavedMsg{tok: tok, created: true,
			err: wrapf(err, "create %q", shortName(spec.Name))}
	}
}

func updateCmd(st storage.Store, actor string, orig model.Token, ch model.Changes) tea.Cmd {
	id, version, name := orig.ID, orig.Version, orig.Name
	if ch.Models != nil {
		ms := slices.Clone(*ch.Models)
		ch.Models = &ms
	}
	return func() tea.Msg {
		tok, err := st.Update(actor, id, version, ch)
		return tokenSavedMsg{tok: tok, err: wrapf(err, "save %q", shortName(name))}
	}
}

func getTokenCmd(st storage.Store, id uint64) tea.Cmd {
	return func() tea.Msg {
		tok, err := st.Get(id)
		return formReloadedMsg{tok: tok, err: wrapf(err, "reload token %d", id)}
	}
}

func setEnabledCmd(st storage.Store, actor string, tok model.Token, on bool) tea.Cmd {
	id, name, verb := tok.ID, tok.Name, "disable"
	if on {
		verb = "enable"
	}
	return func() tea.Msg {
		t, err := st.SetEnabled(actor, id, on)
		return enabledMsg{tok: t, name: name, err: wrapf(err, "%s %q", verb, shortName(name))}
	}
}

func deleteCmd(st storage.Store, actor string, id uint64, name string) tea.Cmd {
	return func() tea.Msg {
		err := st.Delete(actor, id)
		return deletedMsg{id: id, name: name, err: wrapf(err, "delete %q", shortName(name))}
	}
}

func spendCmd(st storage.Store, id uint64, now time.Time) tea.Cmd {
	return func() tea.Msg {
		days, err := st.DailySpend(id, spendDays, now)
		return spendLoadedMsg{id: id, days: days, err: wrapf(err, "load daily spend")}
	}
}

func addModelsCmd(st storage.Store, actor string, names []string) tea.Cmd {
	names = slices.Clone(names)
	return func() tea.Msg {
		err := st.AddModels(actor, names...)
		return catalogChangedMsg{before: "Added " + quoteList(names),
			err: wrapf(err, "add models")}
	}
}

func removeModelCmd(st storage.Store, actor, name string) tea.Cmd {
	return func() tea.Msg {
		err := st.RemoveModels(actor, name)
		return catalogChangedMsg{before: "Removed ", name: name, after: " from the catalog",
			err: wrapf(err, "remove %q", shortName(name))}
	}
}

func setPriceCmd(st storage.Store, actor, name string, p *model.Price) tea.Cmd {
	if p != nil {
		cp := *p
		p = &cp
	}
	return func() tea.Msg {
		if err := st.SetPrice(actor, name, p); err != nil {
			return catalogChangedMsg{err: fmt.Errorf("set the price of %q: %w",
				shortName(name), err)}
		}
		if p == nil {
			return catalogChangedMsg{before: "Cleared the price of ", name: name}
		}
		return catalogChangedMsg{before: "Set the price of ", name: name}
	}
}

// shortName cuts a name for an error message, which must stay readable
// in a few lines of a narrow footer.
func shortName(name string) string { return truncate(printable(name), 32) }

// wrapf adds what was being done to err, or returns nil for no error.
func wrapf(err error, format string, a ...any) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf(format+": %w", append(a, err)...)
}

// quoteList writes names as 'a', 'b' and 'c'.
func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = "'" + shortName(n) + "'"
	}
	if len(q) < 2 {
		return strings.Join(q, "")
	}
	return strings.Join(q[:len(q)-1], ", ") + " and " + q[len(q)-1]
}
