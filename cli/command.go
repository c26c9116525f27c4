package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// action runs a parsed command against an open store.
type action func(env Env) error

// binder receives a command's positional arguments after its flags were
// parsed, checks how they combine and returns the action to run, or a
// usage error.
type binder func(args []string) (action, error)

// argSpec says how many positional arguments a command takes and what to
// call them in messages.
type argSpec struct {
	min, max int    // max < 0 means no upper bound
	what     string // "a token ID or name", "a model name"
}

// command is one node of the command tree: a group with subcommands, or a
// leaf with flags and an action.
type command struct {
	name     string
	summary  string // one line, shown in the parent's command list
	usage    string // after "keyward ", such as "tokens show ID|NAME [flags]"
	long     string // paragraphs shown at the top of the help
	examples string // one example a line
	subs     []*command
	args     argSpec
	// bind defines the command's flags on fs and returns the binder that
	// runs once they are parsed. It is called afresh for every run, so
	// flag values live in the closure, never in a global.
	bind func(fs *flag.FlagSet) binder
}

// sub returns the subcommand called name, or nil.
func (c *command) sub(name string) *command {
	for _, s := range c.subs {
		if s.name == name {
			return s
		}
	}
	return nil
}

// prepare walks args down the command tree and parses the leaf's flags.
// It returns the action to run, a *helpRequest when help was asked for, or
// a *usageError. It touches no store, so help and usage mistakes never
// need the database.
func prepare(root *command, args []string) (action, error) {
	cmd, path := root, []string{"keyward"}
	for len(cmd.subs) > 0 {
		if len(args) == 0 {
			return nil, usagef(path, "missing command after '%s'",
				strings.Join(path, " "))
		}
		name := args[0]
		if isHelpFlag(name) || name == "help" {
			return nil, helpFor(cmd, path, args[1:])
		}
		next := cmd.sub(name)
		if next == nil {
			return nil, unknownCommand(path, name)
		}
		cmd, path, args = next, append(path, name), args[1:]
	}
	return parseLeaf(cmd, path, args)
}

// helpFor answers "help", "-h" and "--help" at a group: "keyward help
// tokens create" shows that command's help.
func helpFor(cmd *command, path, rest []string) error {
	for _, name := range rest {
		if isHelpFlag(name) {
			continue
		}
		next := cmd.sub(name)
		if next == nil {
			return unknownCommand(path, name)
		}
		cmd, path = next, append(path, name)
	}
	return &helpRequest{text: helpText(cmd, path)}
}

func unknownCommand(path []string, name string) error {
	return usagef(path, "unknown command %s for '%s'", shownRef(name), strings.Join(path, " "))
}

func isHelpFlag(arg string) bool {
	return arg == "-h" || arg == "--help" || arg == "-help"
}

// parseLeaf parses a leaf command's flags (anywhere among its arguments),
// checks the count of positional arguments and binds them.
func parseLeaf(cmd *command, path, args []string) (action, error) {
	fs := flag.NewFlagSet(strings.Join(path, " "), flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	bind := cmd.bind(fs)
	pos, err := parseInterspersed(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return nil, &helpRequest{text: helpText(cmd, path)}
	}
	if err != nil {
		return nil, usagef(path, "%s", flagMessage(err))
	}
	if err := checkArgCount(cmd.args, pos); err != nil {
		return nil, usagef(path, "%s", err)
	}
	act, err := bind(pos)
	var ue *usageError
	if errors.As(err, &ue) && ue.hint == "" && !ue.value {
		ue.hint = helpHint(path)
	}
	return act, err
}

// parseInterspersed parses flags that may come before, between or after
// positional arguments, as gh and kubectl allow. "--" ends the flags.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		consumed := len(args) - len(rest)
		if consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), nil
		}
		pos, args = append(pos, rest[0]), rest[1:]
	}
}

// flagMessage rewrites the flag package's errors in the double-dash
// spelling the help uses.
func flagMessage(err error) string {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: "); ok {
		name = "--" + strings.TrimLeft(name, "-")
		if isGlobalFlag(name) {
			return fmt.Sprintf("%s is a global flag; put it before the command, "+
				"as in 'keyward %s PATH tokens list'", name, name)
		}
		return "unknown flag " + name
	}
	msg = maskFlagValue(msg)
	msg = strings.Replace(msg, "flag needs an argument: -", "flag needs a value: --", 1)
	msg = strings.Replace(msg, " for flag -", " for flag --", 1)
	return strings.Replace(msg, " for -", " for --", 1)
}

// maskFlagValue shows the value quoted in the flag package's "invalid
// value" errors through shownRef, so that a key given to a flag by
// mistake is masked.
func maskFlagValue(msg string) string {
	head, rest, ok := strings.Cut(msg, " value ")
	if !ok || !strings.HasPrefix(head, "invalid") {
		return msg
	}
	quoted, err := strconv.QuotedPrefix(rest)
	if err != nil {
		return msg
	}
	value, err := strconv.Unquote(quoted)
	if err != nil {
		return msg
	}
	return head + " value " + shownRef(value) + rest[len(quoted):]
}

func isGlobalFlag(name string) bool {
	return name == "--db" || name == "--base-url" || name == "--log"
}

// checkArgCount compares the positional arguments with what the command
// takes.
func checkArgCount(spec argSpec, pos []string) error {
	switch {
	case len(pos) < spec.min:
		return fmt.Errorf("missing %s", spec.what)
	case spec.max == 0 && len(pos) > 0:
		return fmt.Errorf("unexpected argument %s; this command takes none", shownRef(pos[0]))
	case spec.max > 0 && len(pos) > spec.max:
		return fmt.Errorf("unexpected argument %s; this command takes %s only",
			shownRef(pos[spec.max]), spec.what)
	}
	return nil
}

// isSet reports whether the flag called name appeared on the command line.
func isSet(fs *flag.FlagSet, name string) bool {
	found := false
	fs.Visit(func(f *flag.Flag) {
		if f.Name == name {
			found = true
		}
	})
	return found
}
