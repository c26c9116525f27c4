package cli

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"keyward/model"
	"keyward/storage"
)

// Exit statuses.
const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2
)

// usageError is a mistake in how a command was called: an unknown command
// or flag, a missing argument, flags that cannot go together. It exits 2.
type usageError struct {
	msg  string
	hint string // "run 'keyward tokens --help' for usage"
	// value marks a flag value that cannot be parsed: the message says
	// what to write, so no hint is added.
	value bool
}

// Error returns the message and the hint as one sentence.
func (e *usageError) Error() string {
	if e.hint == "" {
		return e.msg
	}
	return e.msg + "; " + e.hint
}

// usagef makes a usage error whose hint points at the help of path.
func usagef(path []string, format string, a ...any) error {
	return &usageError{msg: fmt.Sprintf(format, a...), hint: helpHint(path)}
}

// usageErr makes a usage error; parseLeaf adds the hint.
func usageErr(format string, a ...any) error {
	return &usageError{msg: fmt.Sprintf(format, a...)}
}

func helpHint(path []string) string {
	return fmt.Sprintf("run '%s --help' for usage", strings.Join(path, " "))
}

// helpRequest carries help text that the caller prints on stdout, with
// exit status 0.
type helpRequest struct{ text string }

// Error says that help was asked for; finish prints the text instead.
func (h *helpRequest) Error() string { return "help requested" }

// finish prints err (if any) the way every command does and returns the
// exit status.
func finish(stdout, stderr io.Writer, err error) int {
	var help *helpRequest
	var usage *usageError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &help):
		return finishOutput(stderr, writeString(stdout, help.text))
	case errors.As(err, &usage):
		printError(stderr, usage.Error())
		return exitUsage
	}
	printError(stderr, err.Error())
	return exitFail
}

// finishOutput is the exit status after writing help or the version:
// 1 when stdout could not take it (a full disk, a closed pipe).
func finishOutput(stderr io.Writer, err error) int {
	if err != nil {
		printError(stderr, err.Error())
		return exitFail
	}
	return exitOK
}

// writeString writes s, naming what failed in its error.
func writeString(w io.Writer, s string) error {
	if _, err := io.WriteString(w, s); err != nil {
		return fmt.Errorf("cannot write the output: %w", err)
	}
	return nil
}

// printError writes one line "keyward: MESSAGE" with a final period.
// Anything in it that looks like a key is masked.
func printError(w io.Writer, msg string) {
	msg = maskKeys(strings.TrimSpace(msg))
	if !strings.HasSuffix(msg, ".") && !strings.HasSuffix(msg, "?") {
		msg += "."
	}
	_, _ = fmt.Fprintf(w, "keyward: %s\n", msg)
}

// flagNames maps the model package's field names to the flags or
// arguments that set them, so validation messages name what the user typed.
type flagNames map[string]string

// tokenFlags names the fields of tokens create and tokens edit.
func tokenFlags() flagNames {
	return flagNames{model.FieldName: "--name", model.FieldLimit: "--quota",
		model.FieldModels: "--models", model.FieldModel: "--models"}
}

// fieldMessage rewrites a *model.FieldError so that it names the flag
// ("--name must not be empty"); any other error is returned unchanged.
// The reasons are the model package's, the same the console shows.
func fieldMessage(err error, names flagNames) error {
	var fe *model.FieldError
	if !errors.As(err, &fe) {
		return err
	}
	return errors.New(cmp.Or(names[fe.Field], fe.Field) + " " + fe.Reason)
}

// moneyFlag parses a dollar amount given to flag (such as "--quota") with
// model.ParseMoney. A value that is not an amount is a usage error, like
// any flag value that cannot be parsed; the message names the flag and
// quotes the value as typed.
func moneyFlag(flag, value string) (model.Money, error) {
	m, err := model.ParseMoney(value)
	if err != nil {
		reason := strings.TrimPrefix(err.Error(), model.ErrMoney.Error()+": ")
		msg := fmt.Sprintf("%s %q is not a valid amount: %s", flag, value,
			aboutIt(reason))
		return 0, &usageError{msg: msg, value: true}
	}
	return m, nil
}

// aboutIt replaces the quoted text that starts a model.ParseMoney reason
// with "it": that text is the amount after trimming, which can differ
// from what was typed ("$$5" is quoted as "$5"), and the caller quotes
// the value as typed.
func aboutIt(reason string) string {
	if q, err := strconv.QuotedPrefix(reason); err == nil {
		return "it" + reason[len(q):]
	}
	return reason
}

// storeError explains the store's sentinel errors about one token in words
// a person can act on; other errors are returned unchanged.
func storeError(err error, tok tokenRef) error {
	switch {
	case errors.Is(err, storage.ErrConflict):
		return fmt.Errorf("%s was changed by someone else while this command ran; "+
			"nothing was saved, run the command again", tok)
	case errors.Is(err, storage.ErrNotFound):
		return fmt.Errorf("%s no longer exists; it was deleted meanwhile", tok)
	}
	return err
}
