package cli

import (
	"flag"
	"fmt"
	"strings"

	"keyward/model"
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
		c.long = "Add model names to the catalog. Names already there are kept as they are."
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

// cleanModelNames validates every name with the console's rules.
func cleanModelNames(names []string) ([]string, error) {
	out := make([]string, len(names))
	for i, n := range names {
		clean, err := model.CleanModel(n)
		if err != nil {
			return nil, fieldMessage(err, modelArg())
		}
		out[i] = clean
	}
	return out, nil
}

// editModels adds or removes catalog names. Removing a name that is not
// in the catalog is an error, and then nothing is removed.
func editModels(env Env, names []string, add bool) error {
	names, err := cleanModelNames(names)
	if err != nil {
		return err
	}
	if add {
		err = env.Store.AddModels(env.Actor, names...)
	} else {
		err = removeKnownModels(env, names)
	}
	if err != nil {
		return err
	}
	verb := map[bool]string{true: "Added", false: "Removed"}[add]
	env.logger().Info("catalog changed", "added", add, "models", names, "actor", env.Actor)
	_, err = fmt.Fprintf(env.Stdout, "%s %s.\n", verb, strings.Join(names, ", "))
	return err
}

func removeKnownModels(env Env, names []string) error {
	catalog, err := env.Store.Models()
	if err != nil {
		return err
	}
	known := make(map[string]bool, len(catalog))
	for _, m := range catalog {
		known[m.Name] = true
	}
	for _, n := range names {
		if !known[n] {
			return fmt.Errorf("model %q is not in the catalog, so nothing was removed; "+
				"run 'keyward models list' to see it", n)
		}
	}
	return env.Store.RemoveModels(env.Actor, names...)
}
