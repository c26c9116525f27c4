package ui

import "github.com/charmbracelet/bubbles/key"

// Every screen has its own key map. Bindings that do not apply right now
// are disabled with SetEnabled, which also hides them from the help.
// ShortHelp lists the footer's hints that give way on a narrow terminal;
// Pinned the ones that always end it (help, quit, cancel).

func bind(keys []string, help, desc string) key.Binding {
	return key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, desc))
}

// tableKeys are the token table's keys.
type tableKeys struct {
	Up, Down, PageUp, PageDown, Home, End  key.Binding
	Filter, ClearFilter, New, Edit, Toggle key.Binding
	Reveal, Copy, Delete, Setup, Detail    key.Binding
	Catalog, Help, Quit                    key.Binding
}

func newTableKeys() tableKeys {
	return tableKeys{
		Up:          bind([]string{"up", "k"}, "↑/k", "up"),
		Down:        bind([]string{"down", "j"}, "↓/j", "down"),
		PageUp:      bind([]string{"pgup", "ctrl+b"}, "pgup", "page up"),
		PageDown:    bind([]string{"pgdown", "ctrl+f"}, "pgdn", "page down"),
		Home:        bind([]string{"g", "home"}, "g/home", "first"),
		End:         bind([]string{"G", "end"}, "G/end", "last"),
		Filter:      bind([]string{"/"}, "/", "filter"),
		ClearFilter: bind([]string{"esc"}, "esc", "clear filter"),
		New:         bind([]string{"n"}, "n", "new"),
		Edit:        bind([]string{"e"}, "e", "edit"),
		Toggle:      bind([]string{"t"}, "t", "disable"),
		Reveal:      bind([]string{"r"}, "r", "reveal"),
		Copy:        bind([]string{"c"}, "c", "copy key"),
		Delete:      bind([]string{"d", "delete"}, "d", "delete"),
		Setup:       bind([]string{"s"}, "s", "set up"),
		Detail:      bind([]string{"enter"}, "enter", "details"),
		Catalog:     bind([]string{"m"}, "m", "models"),
		Help:        bind([]string{"?"}, "?", "help"),
		Quit:        bind([]string{"q"}, "q", "quit"),
	}
}

// ShortHelp is the footer's hints for this screen (help.KeyMap).
func (k tableKeys) ShortHelp() []key.Binding {
	return []key.Binding{k.New, k.Filter, k.ClearFilter, k.Edit, k.Toggle,
		k.Copy, k.Setup}
}

// Pinned are the hints the footer keeps when it runs out of room.
func (k tableKeys) Pinned() []key.Binding { return []key.Binding{k.Help, k.Quit} }

// FullHelp is the "?" help for this screen, in columns (help.KeyMap).
func (k tableKeys) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Up, k.Down, k.PageUp, k.PageDown, k.Home, k.End},
		{k.Filter, k.ClearFilter, k.New, k.Edit, k.Toggle, k.Delete},
		{k.Reveal, k.Copy, k.Setup, k.Detail, k.Catalog, k.Help, k.Quit},
	}
}

// filterKeys are active while the filter line has focus.
type filterKeys struct {
	Up, Down, Keep, Clear key.Binding
}

func newFilterKeys() filterKeys {
	return filterKeys{
		Up:    bind([]string{"up"}, "↑", "up"),
		Down:  bind([]string{"down"}, "↓", "down"),
		Keep:  bind([]string{"enter"}, "enter", "keep filter"),
		Clear: bind([]string{"esc"}, "esc", "clear filter"),
	}
}

// ShortHelp is the footer's hints for this screen (help.KeyMap).
func (k filterKeys) ShortHelp() []key.Binding { return []key.Binding{k.Up, k.Down} }

// Pinned are the hints the footer keeps when it runs out of room.
func (k filterKeys) Pinned() []key.Binding { return []key.Binding{k.Keep, k.Clear} }

// FullHelp is the "?" help for this screen, in columns (help.KeyMap).
func (k filterKeys) FullHelp() [][]key.Binding {
	return [][]key.Binding{{k.Keep, k.Clear, k.Up, k.Down}}
}

// formKeys are the token form's keys. Help is F1 everywhere, and also ?
// on the Unlimited switch, where nothing is typed.
type formKeys struct {
	Next, Prev, Save, Enter, Toggle, Up, Down, Reload, Cancel, Help key.Binding
}

func newFormKeys() formKeys {
	return formKeys{
		Next:   bind([]string{"tab"}, "tab", "next field"),
		Prev:   bind([]string{"shift+tab"}, "shift+tab", "previous"),
		Save:   bind([]string{"ctrl+s"}, "ctrl+s", "save"),
		Enter:  bind([]string{"enter"}, "enter", "next"),
		Toggle: bind([]string{" "}, "space", "toggle"),
		Up:     bind([]string{"up"}, "↑", "up"),
		Down:   bind([]string{"down"}, "↓", "down"),
		Reload: bind([]string{"ctrl+r"}, "ctrl+r", "reload token"),
		Cancel: bind([]string{"esc"}, "esc", "cancel"),
		Help:   bind([]string{"f1"}, "f1", "help"),
	}
}

// ShortHelp is the footer's hints for this screen (help.KeyMap).
func (k formKeys) ShortHelp() []key.Binding {
	return []key.Binding{k.Save, k.Enter, k.Toggle, k.Next, k.Reload}
}

// Pinned are the hints the footer keeps when it runs out of room.
func (k formKeys) Pinned() []key.Binding { return []key.Binding{k.Cancel, k.Help} }

// FullHelp is the "?" help for this screen, in columns (help.KeyMap).
func (k formKeys) FullHelp() [][]key.Binding {
	return [][]key.Binding{{k.Next, k.Prev, k.Enter, k.Save},
		{k.Toggle, k.Up, k.Down, k.Reload, k.Cancel, k.Help}}
}

// confirmKeys answer a yes/no question whose default is No.
type confirmKeys struct {
	Yes, No key.Binding
}

func newConfirmKeys() confirmKeys {
	return confirmKeys{
		Yes: bind([]string{"y", "Y"}, "y", "yes"),
		No:  bind([]string{"n", "N", "esc", "enter"}, "n/enter/esc", "no"),
	}
}

// ShortHelp is the footer's hints for this screen (help.KeyMap).
func (k confirmKeys) ShortHelp() []key.Binding { return []key.Binding{k.Yes, k.No} }

// FullHelp is the "?" help for this screen, in columns (help.KeyMap).
func (k confirmKeys) FullHelp() [][]key.Binding { return [][]key.Binding{k.ShortHelp()} }

// panelKeys serve the read-only screens: the new key, the set-up panel and
// the token details.
type panelKeys struct {
	Up, Down, Copy, CopyJSON, CopyEnv, CopyCurl key.Binding
	Reveal, Edit, Setup, Back, Help, Quit       key.Binding
}

func newPanelKeys() panelKeys {
	return panelKeys{
		Up:       bind([]string{"up", "k"}, "↑/k", "scroll up"),
		Down:     bind([]string{"down", "j"}, "↓/j", "scroll down"),
		Copy:     bind([]string{"c"}, "c", "copy key"),
		CopyJSON: bind([]string{"1"}, "1", "copy OpenClaw block"),
		CopyEnv:  bind([]string{"2"}, "2", "copy env lines"),
		CopyCurl: bind([]string{"3"}, "3", "copy curl"),
		Reveal:   bind([]string{"r"}, "r", "reveal"),
		Edit:     bind([]string{"e"}, "e", "edit"),
		Setup:    bind([]string{"s"}, "s", "set up"),
		Back:     bind([]string{"esc", "enter", "backspace"}, "esc", "back"),
		Help:     bind([]string{"?"}, "?", "help"),
		Quit:     bind([]string{"q"}, "q", "quit"),
	}
}

// ShortHelp is the footer's hints for this screen (help.KeyMap).
func (k panelKeys) ShortHelp() []key.Binding {
	return []key.Binding{k.Copy, k.CopyJSON, k.CopyEnv, k.CopyCurl, k.Reveal, k.Edit,
		k.Setup, k.Back}
}

// Pinned are the hints the footer keeps when it runs out of room.
func (k panelKeys) Pinned() []key.Binding { return []key.Binding{k.Help, k.Quit} }

// FullHelp is the "?" help for this screen, in columns (help.KeyMap).
func (k panelKeys) FullHelp() [][]key.Binding {
	return [][]key.Binding{{k.Up, k.Down, k.Reveal, k.Copy},
		{k.CopyJSON, k.CopyEnv, k.CopyCurl}, {k.Edit, k.Setup, k.Back, k.Help, k.Quit}}
}

// catalogKeys are the model catalog screen's keys.
type catalogKeys struct {
	Up, Down, Home, End, Add, Remove, Price, ClearPrice key.Binding
	Back, Help, Quit                                    key.Binding
}

func newCatalogKeys() catalogKeys {
	return catalogKeys{
		Up:         bind([]string{"up", "k"}, "↑/k", "up"),
		Down:       bind([]string{"down", "j"}, "↓/j", "down"),
		Home:       bind([]string{"g", "home"}, "g", "first"),
		End:        bind([]string{"G", "end"}, "G", "last"),
		Add:        bind([]string{"a", "n"}, "a", "add"),
		Remove:     bind([]string{"d", "delete"}, "d", "remove"),
		Price:      bind([]string{"p", "enter"}, "p", "set price"),
		ClearPrice: bind([]string{"x"}, "x", "clear price"),
		Back:       bind([]string{"esc", "m"}, "esc", "tokens"),
		Help:       bind([]string{"?"}, "?", "help"),
		Quit:       bind([]string{"q"}, "q", "quit"),
	}
}

// ShortHelp is the footer's hints for this screen (help.KeyMap).
func (k catalogKeys) ShortHelp() []key.Binding {
	return []key.Binding{k.Add, k.Remove, k.Price, k.ClearPrice, k.Back}
}

// Pinned are the hints the footer keeps when it runs out of room.
func (k catalogKeys) Pinned() []key.Binding { return []key.Binding{k.Help, k.Quit} }

// FullHelp is the "?" help for this screen, in columns (help.KeyMap).
func (k catalogKeys) FullHelp() [][]key.Binding {
	return [][]key.Binding{{k.Up, k.Down, k.Home, k.End},
		{k.Add, k.Remove, k.Price, k.ClearPrice}, {k.Back, k.Help, k.Quit}}
}

// inputKeys serve the catalog's add line and price form. Enter moves to
// the next field, and saves (or adds) on the last one.
type inputKeys struct {
	Enter, Save, Next, Prev, Cancel key.Binding
}

func newInputKeys() inputKeys {
	return inputKeys{
		Enter:  bind([]string{"enter"}, "enter", "next field"),
		Save:   bind([]string{"ctrl+s"}, "ctrl+s", "save"),
		Next:   bind([]string{"tab"}, "tab", "next field"),
		Prev:   bind([]string{"shift+tab"}, "shift+tab", "previous"),
		Cancel: bind([]string{"esc"}, "esc", "cancel"),
	}
}

// ShortHelp is the footer's hints for this screen (help.KeyMap).
func (k inputKeys) ShortHelp() []key.Binding {
	return []key.Binding{k.Enter, k.Save, k.Next, k.Prev}
}

// Pinned are the hints the footer keeps when it runs out of room.
func (k inputKeys) Pinned() []key.Binding { return []key.Binding{k.Cancel} }

// FullHelp is the "?" help for this screen, in columns (help.KeyMap).
func (k inputKeys) FullHelp() [][]key.Binding {
	return [][]key.Binding{{k.Enter, k.Save, k.Next, k.Prev, k.Cancel}}
}

// helpKeys scroll and close the full help. q closes it too, as on the
// screens it lists, rather than quitting: the help may sit over a form
// with unsaved text. Only ctrl+c quits from here.
type helpKeys struct {
	Up, Down, Close key.Binding
}

func newHelpKeys() helpKeys {
	return helpKeys{
		Up:    bind([]string{"up", "k"}, "↑/k", "scroll up"),
		Down:  bind([]string{"down", "j"}, "↓/j", "scroll down"),
		Close: bind([]string{"esc", "?", "f1", "q", "enter"}, "esc", "close"),
	}
}

// ShortHelp is the footer's hints for this screen (help.KeyMap).
func (k helpKeys) ShortHelp() []key.Binding { return []key.Binding{k.Up, k.Down} }

// Pinned are the hints the footer keeps when it runs out of room.
func (k helpKeys) Pinned() []key.Binding { return []key.Binding{k.Close} }

// FullHelp is the "?" help for this screen, in columns (help.KeyMap).
func (k helpKeys) FullHelp() [][]key.Binding {
	return [][]key.Binding{{k.Up, k.Down, k.Close}}
}

// keyMaps gathers one key map per screen.
type keyMaps struct {
	table   tableKeys
	filter  filterKeys
	form    formKeys
	confirm confirmKeys
	panel   panelKeys
	catalog catalogKeys
	input   inputKeys
	help    helpKeys
}

func newKeyMaps() keyMaps {
	return keyMaps{
		table:   newTableKeys(),
		filter:  newFilterKeys(),
		form:    newFormKeys(),
		confirm: newConfirmKeys(),
		panel:   newPanelKeys(),
		catalog: newCatalogKeys(),
		input:   newInputKeys(),
		help:    newHelpKeys(),
	}
}
