package ui

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"keyward/model"
	"keyward/storage"
)

// formField is a field of the token form, in Tab order.
type formField int

// The token form's fields.
const (
	fieldName formField = iota
	fieldUnlimited
	fieldQuota
	fieldModels
	fieldCount
)

// quotaLimit caps the quota field, in runes.
const quotaLimit = 24

// tokenForm creates a token, or edits one when orig.ID is set.
type tokenForm struct {
	orig      model.Token
	name      textinput.Model
	unlimited bool
	quota     textinput.Model
	picker    modelPicker
	focus     formField
	errs      [fieldCount]string
	notice    string
	conflict  bool
	saving    bool
	start     formSnapshot
	top       int
}

// formSnapshot is what a person typed, to tell whether Esc loses work.
type formSnapshot struct {
	name, quota, models string
	unlimited           bool
}

// formValues are the validated values of a form.
type formValues struct {
	name      string
	unlimited bool
	limit     model.Money
	models    []string
}

func newTokenForm(st styles, catalog []model.CatalogModel, t model.Token) *tokenForm {
	f := &tokenForm{orig: t, unlimited: t.Unlimited || t.ID == 0}
	f.name = newInput(st, "a name people will recognise", model.MaxNameLen)
	f.name.SetValue(t.Name)
	f.quota = newInput(st, "dollars, such as 25.00", quotaLimit)
	if t.ID != 0 && (t.Limit != 0 || !t.Unlimited) {
		f.quota.SetValue(t.Limit.Input())
	}
	f.picker = newPicker(st, catalog, t.Models)
	f.start = f.snapshot()
	f.setFocus(fieldName)
	return f
}

func (f *tokenForm) editing() bool { return f.orig.ID != 0 }

func (f *tokenForm) snapshot() formSnapshot {
	return formSnapshot{name: f.name.Value(), quota: f.quota.Value(),
		models: strings.Join(f.picker.chosen(), "\n"), unlimited: f.unlimited}
}

// dirty reports whether anything was typed or changed.
func (f *tokenForm) dirty() bool {
	return f.snapshot() != f.start || f.picker.query.Value() != ""
}

// setFocus moves the focus to field.
func (f *tokenForm) setFocus(field formField) tea.Cmd {
	f.focus = field
	for _, in := range f.inputs() {
		in.Blur()
	}
	if in := f.input(field); in != nil {
		return in.Focus()
	}
	return nil
}

// inputs are the form's text inputs.
func (f *tokenForm) inputs() []*textinput.Model {
	return []*textinput.Model{&f.name, &f.quota, &f.picker.query}
}

// input is field's text input, nil for the unlimited switch.
func (f *tokenForm) input(field formField) *textinput.Model {
	switch field {
	case fieldName:
		return &f.name
	case fieldQuota:
		return &f.quota
	case fieldModels:
		return &f.picker.query
	}
	return nil
}

// moveFocus goes d fields on, skipping the quota while unlimited is on,
// and checks the field it leaves if that field was changed.
func (f *tokenForm) moveFocus(d int) tea.Cmd {
	f.checkField(f.focus)
	next := f.focus
	for {
		next = (next + formField(d) + fieldCount) % fieldCount
		if next != fieldQuota || !f.unlimited {
			break
		}
	}
	return f.setFocus(next)
}

// checkField validates one field once it differs from where it started,
// or when it already shows an error, so that fixing it clears the error.
func (f *tokenForm) checkField(field formField) {
	changed := f.snapshot() != f.start
	if !changed && f.errs[field] == "" {
		return
	}
	var err error
	switch field {
	case fieldName:
		_, err = model.CleanName(f.name.Value())
	case fieldQuota:
		_, err = parseQuota(f.quota.Value())
	default:
		return
	}
	f.errs[field] = ""
	if err != nil {
		f.errs[field] = err.Error()
	}
}

// parseQuota reads the quota field with the model's rules.
func parseQuota(s string) (model.Money, error) {
	m, err := model.ParseMoney(s)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", model.FieldLimit, err)
	}
	return m, model.CheckLimit(m)
}

// validate checks every field, sets the errors shown under them, and
// returns the clean values when all are valid.
func (f *tokenForm) validate() (formValues, bool) {
	f.errs = [fieldCount]string{}
	v := formValues{unlimited: f.unlimited, limit: f.orig.Limit}
	var err error
	if v.name, err = model.CleanName(f.name.Value()); err != nil {
		f.errs[fieldName] = err.Error()
	}
	if q, qerr := parseQuota(f.quota.Value()); !f.unlimited && qerr != nil {
		f.errs[fieldQuota] = qerr.Error()
	} else if qerr == nil {
		v.limit = q
	}
	if v.models, err = model.CleanModels(f.picker.chosen()); err != nil {
		f.errs[fieldModels] = err.Error()
	}
	for field, e := range f.errs {
		if e != "" {
			f.setFocus(formField(field))
			return v, false
		}
	}
	return v, true
}

// changes lists what an edit changes.
func (f *tokenForm) changes(v formValues) model.Changes {
	var ch model.Changes
	if v.name != f.orig.Name {
		ch.Name = &v.name
	}
	if v.unlimited != f.orig.Unlimited {
		ch.Unlimited = &v.unlimited
	}
	if !v.unlimited && v.limit != f.orig.Limit {
		ch.Limit = &v.limit
	}
	if !slices.Equal(v.models, f.orig.Models) {
		ch.Models = &v.models
	}
	return ch
}

// showStoreError puts a failed save's error where it belongs: under its
// field, or as a notice above the form.
func (f *tokenForm) showStoreError(err error) {
	var fe *model.FieldError
	switch {
	case errors.Is(err, storage.ErrConflict):
		f.conflict = true
		f.notice = fmt.Sprintf("'%s' was changed elsewhere since this form opened. "+
			"Press ctrl+r to load the stored values (your edits here are dropped), "+
			"or Esc to cancel.", printable(f.orig.Name))
	case errors.Is(err, storage.ErrNotFound):
		f.notice = fmt.Sprintf("'%s' was deleted elsewhere. Press Esc to go back.",
			printable(f.orig.Name))
	case errors.As(err, &fe):
		f.errs[fieldForError(fe.Field)] = fe.Error()
	default:
		f.notice = "Not saved: " + errorText(err)
	}
}

func fieldForError(name string) formField {
	switch name {
	case model.FieldLimit:
		return fieldQuota
	case model.FieldModels, model.FieldModel:
		return fieldModels
	}
	return fieldName
}

// openCreate opens an empty form.
func (m *Model) openCreate() tea.Cmd {
	return m.openForm(model.Token{})
}

// openEdit opens the form filled in with t.
func (m *Model) openEdit(t model.Token) tea.Cmd {
	return m.openForm(t)
}

func (m *Model) openForm(t model.Token) tea.Cmd {
	m.reveal = 0
	if t.ID != 0 {
		m.setTarget(t)
	}
	m.form = newTokenForm(m.st, m.catalog, t)
	m.open(screenForm)
	return nil
}

// updateForm handles the form's keys; pasted text only ever goes into
// the focused field.
func (m *Model) updateForm(msg tea.Msg) tea.Cmd {
	km, ok := msg.(tea.KeyMsg)
	if !ok || m.form == nil {
		return nil
	}
	f, k := m.form, &m.keys.form
	m.syncFormKeys()
	if km.Paste {
		return m.formInput(km)
	}
	switch {
	case key.Matches(km, k.Save):
		return m.saveForm()
	case key.Matches(km, k.Cancel):
		return m.cancelForm()
	case key.Matches(km, k.Next):
		return f.moveFocus(1)
	case key.Matches(km, k.Prev):
		return f.moveFocus(-1)
	case key.Matches(km, k.Reload):
		f.notice = "Loading the stored values…"
		return getTokenCmd(m.cfg.Store, f.orig.ID)
	case key.Matches(km, k.Enter):
		return m.formEnter()
	case key.Matches(km, k.Help):
		m.openHelp()
		return nil
	}
	return m.formInput(km)
}

// formEnter moves to the next field. On the models field, the last one,
// it saves, never ticking or unticking anything; but when the typed text
// is a model name that is not listed, it adds that name (ticked) instead,
// as the footer then says.
func (m *Model) formEnter() tea.Cmd {
	f := m.form
	switch {
	case f.focus != fieldModels:
		return f.moveFocus(1)
	case f.picker.offersAdd():
		f.picker.addTyped()
		return nil
	}
	return m.saveForm()
}

// formInput sends a key to the focused field.
func (m *Model) formInput(km tea.KeyMsg) tea.Cmd {
	f := m.form
	switch f.focus {
	case fieldName:
		return f.nameInput(km)
	case fieldUnlimited:
		f.unlimitedInput(km, &m.keys.form)
	case fieldQuota:
		return f.quotaInput(km)
	case fieldModels:
		return f.modelsInput(km, &m.keys.form)
	}
	return nil
}

func (f *tokenForm) nameInput(km tea.KeyMsg) tea.Cmd {
	text, ok := typedText(km)
	if !ok {
		var cmd tea.Cmd
		f.name, cmd = f.name.Update(km)
		f.checkField(fieldName)
		return cmd
	}
	cmd, cut := insertText(&f.name, text, model.MaxNameLen)
	f.checkField(fieldName)
	if cut {
		f.errs[fieldName] = fmt.Sprintf("%s: cut after the last whole character that "+
			"fits; the most is %d characters", model.FieldName, model.MaxNameLen)
	}
	return cmd
}

func (f *tokenForm) unlimitedInput(km tea.KeyMsg, k *formKeys) {
	if km.Paste || !key.Matches(km, k.Toggle) {
		return
	}
	f.unlimited = !f.unlimited
	if !f.unlimited {
		f.errs[fieldQuota] = ""
	}
}

// quotaInput keeps what is typed and says under the field why it is not
// an amount, until it is one; a paste is taken only when the field then
// holds a valid amount.
func (f *tokenForm) quotaInput(km tea.KeyMsg) tea.Cmd {
	cmd, refused := moneyKey(&f.quota, km, quotaLimit, model.FieldLimit)
	if refused != "" {
		f.errs[fieldQuota] = refused
		return nil
	}
	f.checkField(fieldQuota)
	return cmd
}

func (f *tokenForm) modelsInput(km tea.KeyMsg, k *formKeys) tea.Cmd {
	f.errs[fieldModels] = ""
	switch {
	case km.Paste:
	case key.Matches(km, k.Toggle):
		f.picker.toggle()
		return nil
	case key.Matches(km, k.Up):
		f.picker.move(-1)
		return nil
	case key.Matches(km, k.Down):
		f.picker.move(1)
		return nil
	}
	return f.picker.update(km)
}

// saveForm validates and, when every field is valid, saves.
func (m *Model) saveForm() tea.Cmd {
	f := m.form
	if f.saving {
		return nil
	}
	v, ok := f.validate()
	if !ok {
		return nil
	}
	f.notice = ""
	if !f.editing() {
		f.saving = true
		spec := model.Spec{Name: v.name, Unlimited: v.unlimited, Limit: v.limit,
			Models: v.models}
		return m.withNewModels(createCmd(m.cfg.Store, m.cfg.Actor, spec))
	}
	ch := f.changes(v)
	if ch.Empty() {
		m.closeForm("No changes to save")
		return nil
	}
	f.saving = true
	return m.withNewModels(updateCmd(m.cfg.Store, m.cfg.Actor, f.orig, ch))
}

// withNewModels adds the names typed into the picker to the catalog
// before save runs, so they are offered next time.
func (m *Model) withNewModels(save tea.Cmd) tea.Cmd {
	added := slices.Clone(m.form.picker.added)
	if len(added) == 0 {
		return save
	}
	st, actor := m.cfg.Store, m.cfg.Actor
	return func() tea.Msg {
		if err := st.AddModels(actor, added...); err != nil {
			return tokenSavedMsg{err: fmt.Errorf("add %s to the catalog: %w",
				quoteList(added), err)}
		}
		return save()
	}
}

// cancelForm closes the form, asking first if anything was typed.
func (m *Model) cancelForm() tea.Cmd {
	if m.form.dirty() && !m.form.conflict {
		m.askDiscard()
		return nil
	}
	m.closeForm("")
	return nil
}

func (m *Model) closeForm(status string) {
	m.form = nil
	m.state = screenTable
	m.setStatus(status)
}

// onSaved finishes a save: a new token's key is shown; an error stays on
// the form.
func (m *Model) onSaved(msg tokenSavedMsg) tea.Cmd {
	f := m.form
	if f != nil {
		f.saving = false
	}
	if msg.err != nil {
		if f == nil || m.state != screenForm && m.state != screenDiscard {
			m.setError(msg.err)
			return m.reload()
		}
		f.showStoreError(msg.err)
		return nil
	}
	m.list.selID = msg.tok.ID
	m.form = nil
	if msg.created {
		m.cfg.Logger.Info("token created", "id", msg.tok.ID, "actor", m.cfg.Actor)
		m.openPanel(screenCreated, msg.tok)
		m.panel.revealed = true
		m.setNamed("Created ", msg.tok.Name, "")
		return tea.Batch(m.reload(), loadCatalogCmd(m.cfg.Store))
	}
	m.cfg.Logger.Info("token updated", "id", msg.tok.ID, "actor", m.cfg.Actor)
	m.closeForm("")
	m.setNamed("Saved ", msg.tok.Name, "")
	return tea.Batch(m.reload(), loadCatalogCmd(m.cfg.Store))
}

// onFormReloaded refills the form with the stored token after a conflict.
func (m *Model) onFormReloaded(msg formReloadedMsg) {
	if m.form == nil {
		return
	}
	if msg.err != nil {
		m.form.notice = "Could not reload: " + errorText(msg.err)
		return
	}
	focus := m.form.focus
	m.form = newTokenForm(m.st, m.catalog, msg.tok)
	m.form.setFocus(focus)
	m.form.notice = fmt.Sprintf("Loaded the stored values of '%s'; make your changes "+
		"again and save.", printable(msg.tok.Name))
}

// syncFormKeys enables the bindings that apply to the focused field.
func (m *Model) syncFormKeys() {
	k, f := &m.keys.form, m.form
	if f == nil {
		return
	}
	k.Toggle.SetEnabled(f.focus == fieldUnlimited || f.focus == fieldModels)
	k.Up.SetEnabled(f.focus == fieldModels)
	k.Down.SetEnabled(f.focus == fieldModels)
	k.Reload.SetEnabled(f.conflict)
	k.Toggle.SetHelp("space", "toggle")
	switch f.focus {
	case fieldUnlimited:
		k.Toggle.SetHelp("space", "toggle unlimited")
	case fieldModels:
		k.Toggle.SetHelp("space", "tick model")
	}
	k.Enter.SetHelp("enter", "next")
	if f.focus == fieldModels {
		k.Enter.SetHelp("enter", "save")
		if f.picker.offersAdd() {
			k.Enter.SetHelp("enter", "add model")
		}
	}
	// ? types into text fields; on the switch it opens the help too
	k.Help.SetKeys("f1")
	k.Help.SetHelp("f1", "help")
	if f.focus == fieldUnlimited {
		k.Help.SetKeys("f1", "?")
		k.Help.SetHelp("?/f1", "help")
	}
}
