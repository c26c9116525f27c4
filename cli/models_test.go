package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"keyward/model"
	"keyward/storage"
)

// catalog returns the store's catalog by name.
func catalog(t *testing.T, st storage.Store) map[string]model.CatalogModel {
	t.Helper()
	ms, err := st.Models()
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[string]model.CatalogModel, len(ms))
	for _, m := range ms {
		out[m.Name] = m
	}
	return out
}

func TestModelsAddRemove(t *testing.T) {
	st := openStore(t)
	r := run(t, st, "models", "add", "zz-one", " zz-two ")
	expect(t, r, exitOK, "")
	if r.stdout != "Added zz-one, zz-two.\n" {
		t.Errorf("stdout %q", r.stdout)
	}
	c := catalog(t, st)
	if _, ok := c["zz-two"]; !ok {
		t.Fatal("zz-two not added")
	}
	if ev := lastEvent(t, st); ev.Actor != testActor || ev.Action != model.ActionModelAdd {
		t.Errorf("event %s by %q", ev.Action, ev.Actor)
	}
	r = run(t, st, "models", "remove", "zz-one")
	expect(t, r, exitOK, "")
	if _, ok := catalog(t, st)["zz-one"]; ok {
		t.Error("zz-one not removed")
	}
	r = run(t, st, "models", "remove", "zz-two", "zz-missing")
	expect(t, r, exitFail, `model "zz-missing" is not in the catalog, so nothing was removed`)
	if _, ok := catalog(t, st)["zz-two"]; !ok {
		t.Error("a failed remove removed zz-two")
	}
}

func TestModelsErrors(t *testing.T) {
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"add"}, exitUsage, "missing a model name"},
		{[]string{"remove"}, exitUsage, "missing a model name"},
		{[]string{"add", "ok", "has space"}, exitFail, `model name "has space" contains a space`},
		{[]string{"add", ""}, exitFail, "model name must not be empty"},
		{[]string{"list", "extra"}, exitUsage, `unexpected argument "extra"`},
		{[]string{"frobnicate"}, exitUsage, `unknown command "frobnicate" for 'keyward models'`},
		{[]string{}, exitUsage, "missing command after 'keyward models'"},
		{[]string{"price", "m"}, exitUsage, "--input and --output are both required"},
		{[]string{"price", "m", "--input", "1"}, exitUsage, "--input and --output"},
		{[]string{"price", "m", "--clear", "--input", "1"}, exitUsage,
			"--clear cannot be used with --input"},
		{[]string{"price", "--input", "1", "--output", "2"}, exitUsage, "missing a model name"},
		{[]string{"price", "m", "--input", "abc", "--output", "2"}, exitUsage,
			`--input "abc" is not a valid amount: it contains 'a'`},
		{[]string{"price", "m", "--input", "1", "--output", "-2"}, exitUsage,
			`--output "-2" is not a valid amount: it is negative`},
		{[]string{"price", "m", "--input", "1", "--output", "2", "--cached-input", "x"},
			exitUsage, `--cached-input "x" is not a valid amount`},
		{[]string{"price", "bad name", "--input", "1", "--output", "2"}, exitFail,
			"contains a space"},
	}
	for _, tc := range tests {
		st := openStore(t)
		before := catalog(t, st)
		r := run(t, st, append([]string{"models"}, tc.args...)...)
		expect(t, r, tc.code, tc.want)
		if after := catalog(t, st); len(after) != len(before) || after["m"].Price != nil {
			t.Errorf("%v changed the catalog", tc.args)
		}
	}
}

func TestModelsPriceAndList(t *testing.T) {
	st := openStore(t)
	r := run(t, st, "models", "price", "zz-model", "--input", "2.50", "--output", "10",
		"--cached-input", "0.075")
	expect(t, r, exitOK, "")
	want := "Set the price of zz-model per million tokens: $2.50 input, $10.00 output, " +
		"$0.075 cached input.\n"
	if r.stdout != want {
		t.Errorf("stdout %q, want %q", r.stdout, want)
	}
	p := catalog(t, st)["zz-model"].Price
	if p == nil || p.Input != 250*model.Cent || p.Output != 10*model.Dollar ||
		p.CachedInput == nil || *p.CachedInput != 75*model.Dollar/1000 {
		t.Fatalf("stored price %+v", p)
	}
	if ev := lastEvent(t, st); ev.Action != model.ActionModelPrice || ev.Actor != testActor {
		t.Errorf("event %s by %q", ev.Action, ev.Actor)
	}
	table := run(t, st, "models", "list")
	expect(t, table, exitOK, "")
	if !strings.Contains(table.stdout, "zz-model") ||
		!strings.Contains(table.stdout, "$2.50") || !strings.Contains(table.stdout, "$0.075") {
		t.Errorf("models list:\n%s", table.stdout)
	}
	checkModelsJSON(t, st)
	r = run(t, st, "models", "price", "zz-model", "--clear")
	expect(t, r, exitOK, "")
	if catalog(t, st)["zz-model"].Price != nil {
		t.Error("--clear kept the price")
	}
}

func checkModelsJSON(t *testing.T, st storage.Store) {
	t.Helper()
	r := run(t, st, "models", "list", "--json")
	expect(t, r, exitOK, "")
	var got []catalogJSON
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	var priced, unpriced int
	for _, m := range got {
		switch {
		case m.Name == "zz-model":
			priced++
			if m.Price == nil || m.Price.InputUSD != "2.50" || m.Price.OutputUSD != "10.00" ||
				m.Price.CachedInputUSD == nil || *m.Price.CachedInputUSD != "0.075" {
				t.Errorf("zz-model JSON price %+v", m.Price)
			}
		case m.Price == nil:
			unpriced++
		}
	}
	if priced != 1 || unpriced == 0 {
		t.Errorf("%d priced, %d unpriced entries", priced, unpriced)
	}
}

func TestModelsListEmpty(t *testing.T) {
	st := openStore(t)
	var names []string
	for name := range catalog(t, st) {
		names = append(names, name)
	}
	if err := st.RemoveModels(testActor, names...); err != nil {
		t.Fatal(err)
	}
	r := run(t, st, "models", "list")
	if r.code != exitOK || r.stdout != "" || !strings.Contains(r.stderr, "The catalog is empty") {
		t.Errorf("empty catalog: %+v", r)
	}
	if r := run(t, st, "models", "list", "--json"); r.stdout != "[]\n" {
		t.Errorf("empty catalog JSON %q", r.stdout)
	}
}
