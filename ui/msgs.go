package ui

import "keyward/model"

// Results of store calls and other I/O arrive as these typed messages. Each
// carries the copies it needs; none refers back into the Model.

// tokensLoadedMsg carries a fresh token list, already filtered by query.
type tokensLoadedMsg struct {
	rows  []row
	view  []int
	query string
	seq   uint64 // which load this is
	err   error
}

// filteredMsg is the result of filtering in the background; seq and gen
// tell whether it still matches the filter text and the rows on screen.
type filteredMsg struct {
	seq, gen uint64
	view     []int
}

// storeChangedMsg says something was committed to the store.
type storeChangedMsg struct{}

// storeGoneMsg says the change subscription ended (store closed or session
// over).
type storeGoneMsg struct{}

// catalogLoadedMsg carries the model catalog.
type catalogLoadedMsg struct {
	models []model.CatalogModel
	err    error
}

// tokenSavedMsg is the result of creating or editing a token.
type tokenSavedMsg struct {
	tok     model.Token
	created bool
	err     error
}

// formReloadedMsg carries the stored token after a conflict.
type formReloadedMsg struct {
	tok model.Token
	err error
}

// enabledMsg is the result of enabling or disabling a token.
type enabledMsg struct {
	tok  model.Token
	name string
	err  error
}

// deletedMsg is the result of deleting a token.
type deletedMsg struct {
	id   uint64
	name string
	err  error
}

// spendLoadedMsg carries a token's daily spend.
type spendLoadedMsg struct {
	id   uint64
	days []model.DaySpend
	err  error
}

// catalogChangedMsg is the result of a catalog change.
type catalogChangedMsg struct {
	before, name, after string // what happened, in words: before 'name' after
	err                 error
}

// copiedMsg reports how a copy went.
type copiedMsg struct {
	what      string // "the key of"
	name      string // the token it belongs to
	tmux      bool   // the terminal runs inside tmux
	systemOn  bool
	systemErr error
	oscOn     bool
	oscErr    error
}
