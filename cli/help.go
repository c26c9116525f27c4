package cli

import (
	"flag"
	"fmt"
	"io"
	"strings"
)

// globalFlagsHelp is the root help's list of the flags that come before
// the command.
const globalFlagsHelp = `Global flags (before the command; an empty value is a usage error):
      --db PATH         database file (default: $KEYWARD_DB, else
                        $XDG_DATA_HOME/keyward/keyward.db, else
                        ~/.local/share/keyward/keyward.db)
      --base-url URL    the gateway's base URL for client set-up (default:
                        $KEYWARD_BASE_URL, else http://127.0.0.1:8080/v1)
      --log FILE        append logs to FILE (default: no logs)
  -h, --help            show this help
      --version         show the version and build information
`

// helpText renders a command's help in the layout of gh and kubectl:
// description, usage, commands or flags, examples.
func helpText(cmd *command, path []string) string {
	var b strings.Builder
	b.WriteString(strings.TrimSpace(cmd.long) + "\n\n")
	fmt.Fprintf(&b, "Usage:\n  %s\n\n", usageLine(cmd, path))
	if len(cmd.subs) > 0 {
		writeCommands(&b, cmd.subs)
	} else {
		writeFlags(&b, cmd)
	}
	if len(path) == 1 {
		b.WriteString(globalFlagsHelp + "\n")
	}
	writeExamples(&b, cmd.examples)
	if len(cmd.subs) > 0 {
		fmt.Fprintf(&b, "Run '%s <command> --help' for more about a command.\n",
			strings.Join(path, " "))
	}
	return b.String()
}

// writeExamples indents each line of examples under a heading.
func writeExamples(b *strings.Builder, examples string) {
	if examples != "" {
		b.WriteString("Examples:\n  " + strings.ReplaceAll(examples, "\n", "\n  ") + "\n\n")
	}
}

func usageLine(cmd *command, path []string) string {
	if cmd.usage != "" {
		return "keyward " + cmd.usage
	}
	return strings.Join(path, " ") + " <command>"
}

// writeCommands lists subcommands with their one-line summaries.
func writeCommands(b *strings.Builder, subs []*command) {
	width := 0
	for _, s := range subs {
		width = max(width, len(s.name))
	}
	b.WriteString("Commands:\n")
	for _, s := range subs {
		fmt.Fprintf(b, "  %-*s  %s\n", width, s.name, s.summary)
	}
	b.WriteString("\n")
}

// writeFlags lists a leaf's flags, read from a throwaway FlagSet so that
// the help always matches what the parser accepts.
func writeFlags(b *strings.Builder, cmd *command) {
	fs := flag.NewFlagSet(cmd.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	cmd.bind(fs)
	type row struct{ left, usage string }
	var rows []row
	fs.VisitAll(func(f *flag.Flag) {
		name, usage := flag.UnquoteUsage(f)
		left := "      --" + f.Name
		if !isBoolFlag(f) {
			left += " " + name
		}
		rows = append(rows, row{left, usage})
	})
	rows = append(rows, row{"  -h, --help", "show this help"})
	width := 0
	for _, r := range rows {
		width = max(width, len(r.left))
	}
	b.WriteString("Flags:\n")
	for _, r := range rows {
		fmt.Fprintf(b, "%-*s  %s\n", width, r.left, r.usage)
	}
	b.WriteString("\n")
}

func isBoolFlag(f *flag.Flag) bool {
	bf, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && bf.IsBoolFlag()
}
