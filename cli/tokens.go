package cli

import (
	"flag"
	"strings"
)

// tokensCommand is the "tokens" group.
func tokensCommand() *command {
	return &command{
		name: "tokens", summary: "List, create, change and delete API tokens",
		long: tokensLong,
		subs: []*command{
			tokensListCommand(), tokensCreateCommand(), tokensShowCommand(),
			tokensEditCommand(), tokensToggleCommand(true),
			tokensToggleCommand(false), tokensDeleteCommand(),
		},
		examples: tokensExamples,
	}
}

func tokensListCommand() *command {
	return &command{
		name: "list", summary: "List tokens, newest first",
		usage: "tokens list [--json] [--filter TEXT]",
		long:  tokensListLong, examples: tokensListExamples,
		bind: bindTokensList,
	}
}

func bindTokensList(fs *flag.FlagSet) binder {
	asJSON := fs.Bool("json", false, "print a JSON array instead of a table")
	filter := fs.String("filter", "",
		"show tokens whose name contains `TEXT` (any case) or whose key contains it")
	return func([]string) (action, error) {
		return func(env Env) error { return listTokens(env, *filter, *asJSON) }, nil
	}
}

func tokensCreateCommand() *command {
	return &command{
		name: "create", summary: "Create a token and print its key",
		usage: "tokens create --name NAME [--quota USD | --unlimited] " +
			"[--models LIST] [--json]",
		long: tokensCreateLong, examples: tokensCreateExamples,
		bind: bindTokensCreate,
	}
}

func bindTokensCreate(fs *flag.FlagSet) binder {
	var req createRequest
	var quota string
	fs.StringVar(&req.name, "name", "", "token `NAME`, 1 to 64 characters (required)")
	fs.StringVar(&quota, "quota", "", "spending limit in `USD`, such as 12.50")
	unlimited := fs.Bool("unlimited", false, "no spending limit (the default without --quota)")
	fs.Var(&req.models, "models",
		"allow only the models in a comma-separated `LIST` (default: all models)")
	fs.BoolVar(&req.json, "json", false, "print the token and its key as a JSON object")
	return func([]string) (action, error) {
		if !isSet(fs, "name") {
			return nil, usageErr("--name is required")
		}
		if err := checkLimitFlags(fs, *unlimited); err != nil {
			return nil, err
		}
		req.limited = isSet(fs, "quota")
		if req.limited {
			limit, err := moneyFlag("--quota", quota)
			if err != nil {
				return nil, err
			}
			req.limit = limit
		}
		return req.run, nil
	}
}

// checkLimitFlags refuses --quota with --unlimited, and --unlimited=false
// without the --quota that a limited token needs.
func checkLimitFlags(fs *flag.FlagSet, unlimited bool) error {
	switch {
	case !isSet(fs, "unlimited"):
		return nil
	case unlimited && isSet(fs, "quota"):
		return usageErr("--quota and --unlimited cannot be used together")
	case !unlimited && !isSet(fs, "quota"):
		return usageErr("--unlimited=false needs --quota USD to set the limit")
	}
	return nil
}

func tokensShowCommand() *command {
	return &command{
		name: "show", summary: "Show one token",
		usage: "tokens show ID|NAME [--reveal] [--json]",
		long:  tokensShowLong, examples: tokensShowExamples,
		args: argSpec{min: 1, max: 1, what: "a token ID or name"},
		bind: bindTokensShow,
	}
}

func bindTokensShow(fs *flag.FlagSet) binder {
	reveal := fs.Bool("reveal", false, "show the full key")
	asJSON := fs.Bool("json", false, "print a JSON object")
	return func(args []string) (action, error) {
		return func(env Env) error { return showToken(env, args[0], *reveal, *asJSON) }, nil
	}
}

func tokensEditCommand() *command {
	return &command{
		name: "edit", summary: "Change a token's name, quota or models",
		usage: "tokens edit ID|NAME [flags]",
		long:  tokensEditLong, examples: tokensEditExamples,
		args: argSpec{min: 1, max: 1, what: "a token ID or name"},
		bind: bindTokensEdit,
	}
}

func tokensToggleCommand(enable bool) *command {
	verb, summary := "disable", "Disable a token: the gateway refuses its key"
	if enable {
		verb, summary = "enable", "Enable a token again"
	}
	return &command{
		name: verb, summary: summary,
		usage:    "tokens " + verb + " ID|NAME",
		long:     summary + ". Doing it twice is harmless.",
		examples: "keyward tokens " + verb + " ci\nkeyward tokens " + verb + " 3",
		args:     argSpec{min: 1, max: 1, what: "a token ID or name"},
		bind:     bindToggle(enable),
	}
}

func bindToggle(enable bool) func(*flag.FlagSet) binder {
	return func(*flag.FlagSet) binder {
		return func(args []string) (action, error) {
			return func(env Env) error { return setEnabled(env, args[0], enable) }, nil
		}
	}
}

func tokensDeleteCommand() *command {
	return &command{
		name: "delete", summary: "Delete a token for good",
		usage: "tokens delete ID|NAME [--yes]",
		long:  tokensDeleteLong, examples: tokensDeleteExamples,
		args: argSpec{min: 1, max: 1, what: "a token ID or name"},
		bind: bindTokensDelete,
	}
}

func bindTokensDelete(fs *flag.FlagSet) binder {
	yes := fs.Bool("yes", false, "delete without asking")
	return func(args []string) (action, error) {
		return func(env Env) error { return deleteToken(env, args[0], *yes) }, nil
	}
}

// modelList is a flag that takes comma-separated model names and may be
// repeated.
type modelList []string

// String joins the names with commas.
func (m *modelList) String() string { return strings.Join(*m, ",") }

// Set adds the comma-separated names in s.
func (m *modelList) Set(s string) error {
	for _, name := range strings.Split(s, ",") {
		*m = append(*m, strings.TrimSpace(name))
	}
	return nil
}
