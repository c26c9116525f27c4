package ui

import (
	"fmt"
	"slices"
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

func loadTokensCmd(st storage.Store, query string) tea.Cmd {
	return func() tea.Msg {
		toks, err := st.List()
		if err != nil {
			return tokensLoadedMsg{err: fmt.Errorf("load tokens: %w", err)}
		}
		rows := buildRows(toks)
		return tokensLoadedMsg{rows: rows, view: matchRows(rows, query), query: query}
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
		if err != nil {
			err = fmt.Errorf("load the model catalog: %w", err)
		}
		return catalogLoadedMsg{models: ms, err: err}
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
		if err != nil {
			err = fmt.Errorf("create %q: %w", spec.Name, err)
		}
		return tokenSavedMsg{tok: tok, created: true, err: err}
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
		if err != nil {
			err = fmt.Errorf("save %q: %w", name, err)
		}
		return tokenSavedMsg{tok: tok, err: err}
	}
}

func getTokenCmd(st storage.Store, id uint64) tea.Cmd {
	return func() tea.Msg {
		tok, err := st.Get(id)
		if err != nil {
			err = fmt.Errorf("reload token %d: %w", id, err)
		}
		return formReloadedMsg{tok: tok, err: err}
	}
}

func setEnabledCmd(st storage.Store, actor string, tok model.Token, on bool) tea.Cmd {
	id, name := tok.ID, tok.Name
	return func() tea.Msg {
		t, err := st.SetEnabled(actor, id, on)
		if err != nil {
			verb := "disable"
			if on {
				verb = "enable"
			}
			err = fmt.Errorf("%s %q: %w", verb, name, err)
		}
		return enabledMsg{tok: t, name: name, err: err}
	}
}

func deleteCmd(st storage.Store, actor string, id uint64, name string) tea.Cmd {
	return func() tea.Msg {
		err := st.Delete(actor, id)
		if err != nil {
			err = fmt.Errorf("delete %q: %w", name, err)
		}
		return deletedMsg{id: id, name: name, err: err}
	}
}

func spendCmd(st storage.Store, id uint64, now time.Time) tea.Cmd {
	return func() tea.Msg {
		days, err := st.DailySpend(id, spendDays, now)
		if err != nil {
			err = fmt.Errorf("load daily spend: %w", err)
		}
		return spendLoadedMsg{id: id, days: days, err: err}
	}
}

func addModelsCmd(st storage.Store, actor string, names []string) tea.Cmd {
	names = slices.Clone(names)
	return func() tea.Msg {
		err := st.AddModels(actor, names...)
		if err != nil {
			return catalogChangedMsg{err: fmt.Errorf("add models: %w", err)}
		}
		return catalogChangedMsg{done: "Added " + quoteList(names)}
	}
}

func removeModelCmd(st storage.Store, actor, name string) tea.Cmd {
	return func() tea.Msg {
		if err := st.RemoveModels(actor, name); err != nil {
			return catalogChangedMsg{err: fmt.Errorf("remove %q: %w", name, err)}
		}
		return catalogChangedMsg{done: fmt.Sprintf("Removed '%s' from the catalog", name)}
	}
}

func setPriceCmd(st storage.Store, actor, name string, p *model.Price) tea.Cmd {
	if p != nil {
		cp := *p
		p = &cp
	}
	return func() tea.Msg {
		if err := st.SetPrice(actor, name, p); err != nil {
			return catalogChangedMsg{err: fmt.Errorf("set the price of %q: %w", name, err)}
		}
		if p == nil {
			return catalogChangedMsg{done: fmt.Sprintf("Cleared the price of '%s'", name)}
		}
		return catalogChangedMsg{done: fmt.Sprintf("Set the price of '%s'", name)}
	}
}

// quoteList writes names as 'a', 'b' and 'c'.
func quoteList(names []string) string {
	out := ""
	for i, n := range names {
		switch {
		case i == 0:
		case i == len(names)-1:
			out += " and "
		default:
			out += ", "
		}
		out += "'" + n + "'"
	}
	return out
}
