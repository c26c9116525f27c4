package ui

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/rivo/uniseg"

	"keyward/model"
	"keyward/storage"
)

// onlyToken returns the single token in st.
func onlyToken(t *testing.T, st storage.Store) model.Token {
	t.Helper()
	toks, err := st.List()
	if err != nil || len(toks) != 1 {
		t.Fatalf("want one token, have %d (%v)", len(toks), err)
	}
	return toks[0]
}

func TestCreateToken(t *testing.T) {
	st := openStore(t)
	h := newHarness(t, st, 80, 24)
	h.press("n")
	h.typeText("ci-runner")
	h.press("tab", "space", "tab") // unlimited off, to the quota
	h.typeText("$1,250.50")
	h.press("tab")
	h.typeText("gpt-4o-mi")
	h.press("space") // tick the one match
	h.press("ctrl+s")
	if h.m.state != screenCreated {
		t.Fatalf("after save the screen is %d:\n%s", h.m.state, h.view())
	}
	tok := onlyToken(t, st)
	if tok.Name != "ci-runner" || tok.Unlimited || tok.Limit != 1250*model.Dollar+50*model.Cent {
		t.Errorf("saved %q unlimited=%v limit=%s", tok.Name, tok.Unlimited, tok.Limit)
	}
	if !slices.Equal(tok.Models, []string{"gpt-4o-mini"}) {
		t.Errorf("models %v", tok.Models)
	}
	v := h.view()
	if !strings.Contains(v, tok.Key) || !strings.Contains(v, "Created 'ci-runner'") {
		t.Errorf("the new key is not shown revealed:\n%s", stable(v))
	}
	if !strings.Contains(v, "c copy key") {
		t.Errorf("copy is not offered:\n%s", stable(v))
	}
	ev, err := st.Audit(storage.AuditFilter{TokenID: tok.ID})
	if err != nil || len(ev) == 0 || ev[len(ev)-1].Actor != "tester" {
		t.Errorf("audit %+v %v: want actor tester", ev, err)
	}
	h.press("esc")
	if selectedName(h) != "ci-runner" {
		t.Errorf("the table does not select the new token")
	}
}

func TestCreateDefaultsAndEnterOnLastField(t *testing.T) {
	st := openStore(t)
	h := newHarness(t, st, 80, 24)
	h.press("n")
	h.typeText("laptop")
	h.press("enter", "enter") // name -> unlimited -> models (quota skipped)
	if h.m.form.focus != fieldModels {
		t.Fatalf("enter moved to field %d, want models", h.m.form.focus)
	}
	if !strings.Contains(h.view(), "Models  All models") {
		t.Errorf("nothing ticked should read All models:\n%s", h.view())
	}
	h.press("enter")
	tok := onlyToken(t, st)
	if !tok.Unlimited || len(tok.Models) != 0 || !tok.Enabled {
		t.Errorf("defaults: %+v", tok)
	}
}

func TestCreateValidation(t *testing.T) {
	cases := []struct {
		name  string
		steps func(h *harness)
		want  string
		field formField
	}{
		{"empty name", func(h *harness) { h.press("ctrl+s") },
			"name: must not be empty", fieldName},
		{"blank name", func(h *harness) { h.typeText("   "); h.press("ctrl+s") },
			"name: must not be empty", fieldName},
		{"empty quota", func(h *harness) {
			h.typeText("x")
			h.press("tab", "space", "ctrl+s")
		}, "quota: invalid amount: enter an amount in dollars", fieldQuota},
		{"quota too big", func(h *harness) {
			h.typeText("x")
			h.press("tab", "space", "tab")
			h.typeText("2000000000")
			h.press("ctrl+s")
		}, "is over the $1,000,000,000 maximum", fieldQuota},
		{"two decimal points", func(h *harness) {
			h.typeText("x")
			h.press("tab", "space", "tab")
			h.typeText("1.2.3")
			h.press("ctrl+s")
		}, "more than one decimal point", fieldQuota},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st := openStore(t)
			h := newHarness(t, st, 80, 24)
			h.press("n")
			c.steps(h)
			if h.m.state != screenForm || h.m.form.focus != c.field {
				t.Fatalf("state %d focus %d, want the form on field %d", h.m.state,
					h.m.form.focus, c.field)
			}
			if v := h.view(); !strings.Contains(v, c.want) {
				t.Errorf("no %q under the field:\n%s", c.want, v)
			}
			if toks, _ := st.List(); len(toks) != 0 {
				t.Errorf("an invalid form saved %d tokens", len(toks))
			}
		})
	}
}

func TestErrorClearsWhenFixed(t *testing.T) {
	h := newHarness(t, openStore(t), 80, 24)
	h.press("n", "ctrl+s")
	if h.m.form.errs[fieldName] == "" {
		t.Fatal("no error for an empty name")
	}
	h.typeText("ok")
	if e := h.m.form.errs[fieldName]; e != "" {
		t.Errorf("typing a valid name left the error %q", e)
	}
}

// TestQuotaKeepsTypedText: what is typed stays in the field as typed,
// with the reason it is not an amount under it, and nothing saves until
// it is one; a pasted bad amount is refused whole.
func TestQuotaKeepsTypedText(t *testing.T) {
	cases := []struct {
		name  string
		typed func(h *harness)
		value string
		want  string
	}{
		{"letters", func(h *harness) { h.typeText("12abc") }, "12abc", "contains 'a'"},
		{"exponent", func(h *harness) { h.typeText("1e3") }, "1e3", "uses an exponent"},
		{"negative", func(h *harness) { h.typeText("-7") }, "-7", "is negative"},
		{"one read", func(h *harness) { h.send(keyMsg("34x5")) }, "34x5", "contains 'x'"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st := openStore(t)
			h := newHarness(t, st, 80, 24)
			h.press("n")
			h.typeText("q")
			h.press("tab", "space", "tab")
			c.typed(h)
			if got := h.m.form.quota.Value(); got != c.value {
				t.Errorf("the field holds %q, want what was typed, %q", got, c.value)
			}
			if e := h.m.form.errs[fieldQuota]; !strings.Contains(e, c.want) {
				t.Errorf("under the field %q, want %q", e, c.want)
			}
			if v := h.view(); !strings.Contains(v, c.want) {
				t.Errorf("the error is not shown:\n%s", v)
			}
			h.press("ctrl+s")
			if toks, _ := st.List(); len(toks) != 0 {
				t.Fatalf("an invalid amount saved %s", toks[0].Limit)
			}
			for range c.value {
				h.press("backspace")
			}
			h.typeText("12.50")
			if e := h.m.form.errs[fieldQuota]; e != "" {
				t.Errorf("a valid amount left the error %q", e)
			}
			h.press("ctrl+s")
			if tok := onlyToken(t, st); tok.Limit != 1250*model.Cent {
				t.Errorf("saved %s, want $12.50", tok.Limit)
			}
		})
	}
}

func TestQuotaRefusesPastedText(t *testing.T) {
	st := openStore(t)
	h := newHarness(t, st, 80, 24)
	h.press("n")
	h.typeText("q")
	h.press("tab", "space", "tab")
	h.paste("12abc")
	if got := h.m.form.quota.Value(); got != "" {
		t.Errorf("pasting 12abc was not refused: %q", got)
	}
	if !strings.Contains(h.m.form.errs[fieldQuota], "Refused the pasted text") {
		t.Errorf("no message for the refused paste: %q", h.m.form.errs[fieldQuota])
	}
	h.paste(" 12.50\n")
	if got := h.m.form.quota.Value(); got != "12.50" || h.m.state != screenForm {
		t.Errorf("a valid pasted amount: %q, state %d", got, h.m.state)
	}
	if e := h.m.form.errs[fieldQuota]; e != "" {
		t.Errorf("a valid paste left the error %q", e)
	}
	if toks, _ := st.List(); len(toks) != 0 {
		t.Errorf("a pasted newline saved the form")
	}
}

func TestPasteIntoNameKeepsLimit(t *testing.T) {
	cases := []struct{ name, text string }{
		{"ascii", strings.Repeat("a", 300)},
		{"emoji with joiners", strings.Repeat("💇🏻‍♀️", 100)},
		{"mixed", strings.Repeat("日本語🔑x", 60)},
		{"with newlines", strings.Repeat("line\n", 60)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st := openStore(t)
			h := newHarness(t, st, 80, 24)
			h.press("n")
			h.paste(c.text)
			v := h.m.form.name.Value()
			if n := utf8.RuneCountInString(v); n > model.MaxNameLen || n < 40 {
				t.Errorf("kept %d runes, want at most %d", n, model.MaxNameLen)
			}
			if !utf8.ValidString(v) || !strings.HasPrefix(c.text, strings.ReplaceAll(v,
				" ", "\n")) && !strings.HasPrefix(c.text, v) {
				t.Errorf("the kept text is not a prefix of the paste: %q", v)
			}
			gr := uniseg.NewGraphemes(c.text)
			end := 0
			for gr.Next() {
				if _, e := gr.Positions(); e == len(v) {
					end = e
				}
			}
			if end != len(v) && !strings.Contains(c.text, "\n") {
				t.Errorf("the paste was cut inside a character: %q", v)
			}
			if h.m.state != screenForm {
				t.Errorf("the paste left the form")
			}
			if toks, _ := st.List(); len(toks) != 0 {
				t.Errorf("a paste saved the form")
			}
		})
	}
}

func TestPastedNewlineNeverSubmits(t *testing.T) {
	st := openStore(t)
	h := newHarness(t, st, 80, 24)
	h.press("n")
	h.paste("name\n")
	h.press("tab")
	h.paste("\n")
	h.press("tab")
	h.paste("gpt\n")
	if h.m.state != screenForm {
		t.Fatalf("a pasted newline left the form (state %d)", h.m.state)
	}
	if toks, _ := st.List(); len(toks) != 0 {
		t.Fatalf("a pasted newline saved the form")
	}
	if got := h.m.form.name.Value(); got != "name" {
		t.Errorf("name %q", got)
	}
}

func TestModelPicker(t *testing.T) {
	st := openStore(t)
	if err := st.AddModels("x", "alpha-model", "beta-model"); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, st, 80, 24)
	h.press("n")
	h.typeText("picker")
	h.press("tab", "tab")
	h.typeText("ALPHA") // type-to-filter ignores case
	if len(h.m.form.picker.items) != 2 || h.m.form.picker.items[0].name != "alpha-model" {
		t.Fatalf("filter ALPHA: %+v", h.m.form.picker.items)
	}
	h.press("space")
	for range 5 {
		h.press("backspace")
	}
	h.typeText("my-own-model")
	if v := h.view(); !strings.Contains(v, `[+] add "my-own-model"`) {
		t.Fatalf("no offer to add a new name:\n%s", v)
	}
	h.press("space")
	if v := h.view(); !strings.Contains(v, "2 ticked: alpha-model, my-own-model") {
		t.Errorf("summary:\n%s", v)
	}
	h.press("enter")
	tok := onlyToken(t, st)
	if !slices.Equal(tok.Models, []string{"alpha-model", "my-own-model"}) {
		t.Errorf("allowlist %v", tok.Models)
	}
	cat, _ := st.Models()
	if !slices.ContainsFunc(cat, func(c model.CatalogModel) bool {
		return c.Name == "my-own-model"
	}) {
		t.Errorf("the new name did not reach the catalog")
	}
}

func TestModelPickerRejectsBadName(t *testing.T) {
	h := newHarness(t, openStore(t), 80, 24)
	h.press("n", "tab", "tab")
	h.typeText(strings.Repeat("m", 130))
	if got := utf8.RuneCountInString(h.m.form.picker.query.Value()); got != model.MaxModelLen {
		t.Errorf("query kept %d runes", got)
	}
	if !strings.Contains(h.view(), "the most is 128") {
		t.Errorf("no message for an overlong model name:\n%s", h.view())
	}
}

func TestEscAsksWhenSomethingWasTyped(t *testing.T) {
	st := openStore(t)
	h := newHarness(t, st, 80, 24)
	h.press("n", "esc")
	if h.m.state != screenTable {
		t.Fatalf("esc on an untouched form should close it at once")
	}
	h.press("n")
	h.typeText("half")
	h.press("esc")
	if h.m.state != screenDiscard || !strings.Contains(h.view(), "Discard what you typed?") {
		t.Fatalf("esc after typing should ask:\n%s", h.view())
	}
	h.paste("y\n")
	h.press("enter") // default no
	if h.m.state != screenForm || h.m.form.name.Value() != "half" {
		t.Fatalf("no should return to the form with the text kept")
	}
	h.press("esc", "y")
	if h.m.state != screenTable || h.m.form != nil {
		t.Fatalf("y should discard")
	}
	if toks, _ := st.List(); len(toks) != 0 {
		t.Errorf("discarding saved something")
	}
}

func TestEditShowsUsedAndSaves(t *testing.T) {
	st := openStore(t)
	tok := mustCreate(t, st, model.Spec{Name: "ci", Limit: 50 * model.Dollar})
	if _, err := st.Charge(tok.ID, 320*model.Cent); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, st, 80, 24)
	h.press("e")
	v := h.view()
	if !strings.Contains(v, "Edit 'ci'") ||
		!strings.Contains(v, "Used so far: $3.20 (read only)") {
		t.Fatalf("edit form:\n%s", v)
	}
	if got := h.m.form.quota.Value(); got != "50" {
		t.Errorf("quota field %q, want 50", got)
	}
	h.typeText("-runner")
	h.press("ctrl+s")
	got, _ := st.Get(tok.ID)
	if got.Name != "ci-runner" || got.Limit != 50*model.Dollar || got.Used != 320*model.Cent {
		t.Errorf("after edit: %q %s %s", got.Name, got.Limit, got.Used)
	}
	if !strings.Contains(h.view(), "Saved 'ci-runner'") {
		t.Errorf("footer:\n%s", h.view())
	}
	h.press("e", "ctrl+s")
	if !strings.Contains(h.view(), "No changes to save") {
		t.Errorf("saving an unchanged form:\n%s", h.view())
	}
}

func TestUnlimitedRoundTrip(t *testing.T) {
	st := openStore(t)
	limited := mustCreate(t, st, model.Spec{Name: "limited", Limit: 50 * model.Dollar})
	h := newHarness(t, st, 80, 24)
	h.press("e", "tab", "space")
	if strings.Contains(h.view(), "Quota limit in dollars") {
		t.Errorf("the quota field shows while unlimited is on")
	}
	h.press("space", "tab")
	if got := h.m.form.quota.Value(); got != "50" || h.m.form.focus != fieldQuota {
		t.Errorf("unlimited on then off: quota %q focus %d, want 50", got, h.m.form.focus)
	}
	h.press("ctrl+s")
	if got, _ := st.Get(limited.ID); got.Limit != 50*model.Dollar || got.Unlimited {
		t.Errorf("round trip changed the token: %+v", got)
	}

	// saved as unlimited, then limited again: the old limit comes back
	h.press("e", "tab", "space", "ctrl+s")
	if got, _ := st.Get(limited.ID); !got.Unlimited || got.Limit != 50*model.Dollar {
		t.Fatalf("turning unlimited on: %+v", got)
	}
	h.press("e", "tab", "space", "tab")
	if got := h.m.form.quota.Value(); got != "50" {
		t.Errorf("the old limit did not come back: %q", got)
	}
	h.press("ctrl+s")
	if got, _ := st.Get(limited.ID); got.Unlimited || got.Limit != 50*model.Dollar {
		t.Errorf("turning unlimited off: %+v", got)
	}
}

func TestEditConflict(t *testing.T) {
	st := openStore(t)
	tok := mustCreate(t, st, model.Spec{Name: "shared", Limit: 10 * model.Dollar})
	h := newHarness(t, st, 80, 24)
	h.press("e")
	other := "renamed-elsewhere"
	if _, err := st.Update("other", tok.ID, tok.Version, model.Changes{Name: &other}); err != nil {
		t.Fatal(err)
	}
	h.typeText("-mine")
	h.press("ctrl+s")
	got, _ := st.Get(tok.ID)
	if got.Name != other {
		t.Fatalf("the edit overwrote the other change: %q", got.Name)
	}
	v := h.view()
	if h.m.state != screenForm || !strings.Contains(v, "was changed elsewhere") ||
		!strings.Contains(v, "ctrl+r") {
		t.Fatalf("no conflict notice:\n%s", v)
	}
	h.press("ctrl+r")
	if h.m.form.name.Value() != other || h.m.form.conflict {
		t.Fatalf("ctrl+r did not load the stored values: %q", h.m.form.name.Value())
	}
	h.typeText("-2")
	h.press("ctrl+s")
	if got, _ := st.Get(tok.ID); got.Name != other+"-2" {
		t.Errorf("save after reload: %q", got.Name)
	}
}

func TestEditDeletedElsewhere(t *testing.T) {
	st := openStore(t)
	tok := mustCreate(t, st, model.Spec{Name: "gone", Unlimited: true})
	h := newHarness(t, st, 80, 24)
	h.press("e")
	if err := st.Delete("other", tok.ID); err != nil {
		t.Fatal(err)
	}
	h.typeText("x")
	h.press("ctrl+s")
	if !strings.Contains(h.view(), "was deleted elsewhere") {
		t.Errorf("no notice:\n%s", h.view())
	}
}
