package cli

import (
	"flag"
	"fmt"

	"keyward/model"
)

// editRequest is tokens edit's parsed flags; nil fields stay unchanged.
type editRequest struct {
	ref       string
	name      *string
	limit     *model.Money
	unlimited *bool
	models    *[]string
	json      bool
}

func bindTokensEdit(fs *flag.FlagSet) binder {
	f := defineEditFlags(fs)
	return func(args []string) (action, error) { return f.request(fs, args[0]) }
}

// editFlags are tokens edit's flag values.
type editFlags struct {
	name, quota                         string
	unlimited, limited, allModels, json bool
	models                              modelList
}

func defineEditFlags(fs *flag.FlagSet) *editFlags {
	f := &editFlags{}
	fs.StringVar(&f.name, "name", "", "new `NAME`")
	fs.StringVar(&f.quota, "quota", "", "new spending limit in `USD`; makes the token limited")
	fs.BoolVar(&f.unlimited, "unlimited", false, "remove the spending limit, remembering it")
	fs.BoolVar(&f.limited, "limited", false, "bring the remembered spending limit back")
	fs.Var(&f.models, "models", "allow only the models in a comma-separated `LIST`")
	fs.BoolVar(&f.allModels, "all-models", false, "allow every model (clears the allowlist)")
	fs.BoolVar(&f.json, "json", false, "print the changed token as a JSON object")
	return f
}

// request turns the flags that were given into an edit, or a usage error.
func (f *editFlags) request(fs *flag.FlagSet, ref string) (action, error) {
	req := editRequest{ref: ref, json: f.json}
	if isSet(fs, "name") {
		req.name = &f.name
	}
	if isSet(fs, "quota") {
		limit, err := moneyFlag("--quota", f.quota)
		if err != nil {
			return nil, err
		}
		req.limit = &limit
	}
	if isSet(fs, "models") {
		req.models = (*[]string)(&f.models)
	}
	if err := req.setLimitMode(fs, f.unlimited, f.limited, f.allModels); err != nil {
		return nil, err
	}
	if req.empty() {
		return nil, usageErr("nothing to change; give at least one of --name, " +
			"--quota, --unlimited, --limited, --models or --all-models")
	}
	return req.run, nil
}

// setLimitMode works out Unlimited and the allowlist from the flags that
// decide them, refusing flags that contradict each other.
func (r *editRequest) setLimitMode(fs *flag.FlagSet, unlimited, limited, all bool) error {
	if err := exclusive(fs, [][2]string{{"unlimited", "limited"}, {"quota", "unlimited"},
		{"models", "all-models"}}); err != nil {
		return err
	}
	switch {
	case isSet(fs, "unlimited"):
		r.unlimited = &unlimited
	case isSet(fs, "limited"):
		v := !limited
		r.unlimited = &v
	case r.limit != nil:
		v := false
		r.unlimited = &v
	}
	if isSet(fs, "all-models") && all {
		r.models = &[]string{}
	}
	return nil
}

// exclusive refuses any pair of flags that were both given.
func exclusive(fs *flag.FlagSet, pairs [][2]string) error {
	for _, p := range pairs {
		if isSet(fs, p[0]) && isSet(fs, p[1]) {
			return usageErr("--%s and --%s cannot be used together", p[0], p[1])
		}
	}
	return nil
}

func (r editRequest) empty() bool {
	return r.name == nil && r.limit == nil && r.unlimited == nil && r.models == nil
}

// changes builds and validates the changes, with the console's rules.
func (r editRequest) changes() (model.Changes, error) {
	ch := model.Changes{Name: r.name, Unlimited: r.unlimited, Limit: r.limit,
		Models: r.models}
	ch, err := ch.Normalize()
	return ch, fieldMessage(err, tokenFlags())
}

// run applies the changes to the version of the token it read, so that a
// change made meanwhile by someone else is reported, never overwritten.
func (r editRequest) run(env Env) error {
	ch, err := r.changes()
	if err != nil {
		return err
	}
	tok, err := resolveToken(env.Store, r.ref)
	if err != nil {
		return err
	}
	updated, err := env.Store.Update(env.Actor, tok.ID, tok.Version, ch)
	if err != nil {
		return storeError(fieldMessage(err, tokenFlags()), refOf(tok))
	}
	done := "Updated %s.\n"
	if updated.Version == tok.Version {
		done = "No changes to %s.\n"
	} else {
		env.logger().Info("token updated", "id", tok.ID, "actor", env.Actor)
	}
	if r.json {
		return writeJSON(env.Stdout, toJSON(updated, false))
	}
	if _, err := fmt.Fprintf(env.Stdout, done, refOf(updated)); err != nil {
		return err
	}
	return writeTokenDetail(env.Stdout, updated, false)
}
