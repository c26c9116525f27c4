package cli

import (
	"flag"
	"fmt"
	"slices"
	"strings"

	"keyward/model"
	"keyward/storage"
)

// modelsCommand is the "models" group: the catalog the console offers.
func modelsCommand() *command {
	return &command{
		name: "models", summary: "Manage the model catalog and its prices",
		long: modelsLong, examples: modelsExamples,
		subs: []*command{modelsListCommand(), modelsEditCommand(true),
			modelsEditCommand(false), modelsPriceCommand()},
	}
}

func modelsListCommand() *command {
	return &command{
		name: "list", summary: "List the catalog with prices",
		usage: "models list [--json]",
		long:  modelsListLong, examples: modelsListExamples,
		bind: bindModelsList,
	}
}

func bindModelsList(fs *flag.FlagSet) binder {
	asJSON := fs.Bool("json", false, "print a JSON array instead of a table")
	return func([]string) (action, error) {
		return func(env Env) error { return listModels(env, *asJSON) }, nil
	}
}

func modelsEditCommand(add bool) *command {
	c := &command{
		name: "remove", summary: "Remove model names from the catalog",
		usage:    "models remove NAME...",
		long:     "Remove model names from the catalog. Allowlists that name them keep them.",
		examples: "keyward models remove gpt-3.5-turbo",
		args:     argSpec{min: 1, max: -1, what: "a model name"},
	}
	if add {
		c.name, c.summary, c.usage = "add", "Add model names to the catalog", "models add NAME..."
		c.long = "Add model names to the catalog. Names already there are kept as\n" +
			"they are, and the command says which they were."
		c.examples = "keyward models add llama3.1:8b qwen2.5"
	}
	c.bind = bindModelsEdit(add)
	return c
}

func bindModelsEdit(add bool) func(*flag.FlagSet) binder {
	return func(*flag.FlagSet) binder {
		return func(args []string) (action, error) {
			return func(env Env) error { return editModels(env, args, add) }, nil
		}
	}
}

// modelArg names a model argument in validation messages.
func modelArg() flagNames {
	return flagNames{model.FieldModel: "model name", model.FieldModels: "model name"}
}

// cleanModelNames validates every name with the console's rules and
// drops repeats, keeping the first of each.
func cleanModelNames(names []string) ([]string, error) {
	out := make([]string, 0, len(names))
	for _, n := range names {
		clean, err := model.CleanModel(n)
		if err != nil {
			return nil, fieldMessage(err, modelArg())
		}
		if !slices.Contains(out, clean) {
			out = append(out, clean)
		}
	}
	return out, nil
}

// editModels adds or removes catalog names and says what changed.
// Removing a name that is not in the catalog is an error, and then
// nothing is removed.
func editModels(env Env, names []string, add bool) error {
	names, err := cleanModelNames(names)
	if err != nil {
		return err
	}
	known, err := catalogNames(env.Store)
	if err != nil {
		return err
	}
	if add {
		return addModels(env, names, known)
	}
	return removeModels(env, names, known)
}

// catalogNames is the set of names in the catalog.
func catalogNames(st storage.Store) (map[string]bool, error) {
	catalog, err := st.Models()
	if err != nil {
		return nil, err
	}
	known := make(map[string]bool, len(catalog))
	for _, m := range catalog {
		known[m.Name] = true
	}
	return known, nil
}

// addModels adds the names that are new, reporting those already there.
func addModels(env Env, names []string, known map[string]bool) error {
	var added, kept []string
	for _, n := range names {
		if known[n] {
			kept = append(kept, n)
		} else {
			added = append(added, n)
		}
	}
	if len(added) > 0 {
		if err := env.Store.AddModels(env.Actor, added...); err != nil {
			return err
		}
		env.logger().Info("catalog changed", "added", added, "actor", env.Actor)
	}
	_, err := fmt.Fprintln(env.Stdout, addedText(added, kept))
	return err
}

// addedText is "Added a, b; c was already in the catalog." and its
// variants.
func addedText(added, kept []string) string {
	var parts []string
	if len(added) > 0 {
		parts = append(parts, "Added "+strings.Join(added, ", "))
	}
	switch len(kept) {
	case 0:
	case 1:
		parts = append(parts, kept[0]+" was already in the catalog")
	default:
		parts = append(parts, strings.Join(kept, ", ")+" were already in the catalog")
	}
	if len(added) == 0 {
		parts = append(parts, "nothing was added")
	}
	return strings.Join(parts, "; ") + "."
}

// removeModels removes names, all of which must be in the catalog.
func removeModels(env Env, names []string, known map[string]bool) error {
	for _, n := range names {
		if !known[n] {
			return fmt.Errorf("model %q is not in the catalog, so nothing was removed; "+
				"run 'keyward models list' to see it", n)
		}
	}
	if err := env.Store.RemoveModels(env.Actor, names...); err != nil {
		return err
	}
	env.logger().Info("catalog changed", "removed", names, "actor", env.Actor)
	_, err := fmt.Fprintf(env.Stdout, "Removed %s.\n", strings.Join(names, ", "))
	return err
}
