package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/user"
	"strings"

	"github.com/charmbracelet/x/term"

	"keyward/serve"
	"keyward/ui"
)

// Environment variables Main reads besides storage's.
const (
	EnvBaseURL     = "KEYWARD_BASE_URL"
	defaultBaseURL = "http://127.0.0.1:8080/v1"
)

// globals are the flags that come before the command.
type globals struct {
	db, logPath string
	baseURLFlag string // --base-url as given
	baseURL     string // --base-url, else KEYWARD_BASE_URL, else the default
	version     bool
}

// Main is the whole program: it parses the global flags and runs the
// console (no command), serve, or a command on the database, returning
// the exit status.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	g, rest, err := parseGlobals(args)
	if err != nil {
		return finish(stdout, stderr, err)
	}
	if g.version {
		return finishOutput(stderr, writeString(stdout, versionText()+"\n"))
	}
	logger, closeLog, err := openLog(g.logPath)
	if err != nil {
		return finish(stdout, stderr, err)
	}
	defer closeLog()
	// Nothing may log to the terminal the console owns: packages that use
	// slog's default logger get the --log file or nothing.
	slog.SetDefault(logger)
	if len(rest) > 0 && rest[0] == "serve" {
		return serve.MainWith(serveArgs(g, rest[1:]), stdout, stderr, remoteExec)
	}
	p := program{g: g, log: logger, stdin: stdin, stdout: stdout, stderr: stderr}
	if len(rest) == 0 {
		return finish(stdout, stderr, p.console())
	}
	return p.command(rest)
}

// parseGlobals reads the flags before the command; parsing stops at the
// first argument that is not a flag.
func parseGlobals(args []string) (globals, []string, error) {
	var g globals
	fs := flag.NewFlagSet("keyward", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&g.db, "db", "", "database `PATH`")
	fs.StringVar(&g.baseURLFlag, "base-url", "", "gateway base `URL`")
	fs.StringVar(&g.logPath, "log", "", "log `FILE`")
	fs.BoolVar(&g.version, "version", false, "show the version")
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		return g, nil, &helpRequest{text: helpText(rootCommand(), []string{"keyward"})}
	}
	if err == nil {
		err = checkGlobals(fs, g)
	}
	if err != nil {
		return g, nil, usagef([]string{"keyward"}, "%s", flagMessage(err))
	}
	g.baseURL = firstSet(g.baseURLFlag, os.Getenv(EnvBaseURL), defaultBaseURL)
	return g, fs.Args(), nil
}

// checkGlobals refuses a global flag given an empty value, which would
// otherwise quietly mean its default (as "--db $UNSET_VARIABLE" would),
// and --version followed by anything.
func checkGlobals(fs *flag.FlagSet, g globals) error {
	for _, f := range []struct{ name, value, what string }{
		{"db", g.db, "a path"}, {"log", g.logPath, "a file"},
		{"base-url", g.baseURLFlag, "a URL"},
	} {
		if isSet(fs, f.name) && strings.TrimSpace(f.value) == "" {
			return fmt.Errorf("--%s needs %s, not an empty value", f.name, f.what)
		}
	}
	if g.version && fs.NArg() > 0 {
		return fmt.Errorf("--version takes no arguments, but %s was given",
			shownRef(fs.Arg(0)))
	}
	return nil
}

// firstSet returns the first value that is not empty.
func firstSet(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}

// serveArgs passes the global --db, --log and --base-url on to serve,
// which opens the database itself. They go first, so that the same flags
// given after "serve" win.
func serveArgs(g globals, args []string) []string {
	for _, f := range [][2]string{{"--base-url", g.baseURLFlag}, {"--log", g.logPath},
		{"--db", g.db}} {
		if f[1] != "" {
			args = append([]string{f[0], f[1]}, args...)
		}
	}
	return args
}

// remoteExec runs a command sent over SSH to serve, with the operator as
// actor. Remote keeps it from writing files on the server.
func remoteExec(env serve.CommandEnv, args []string) int {
	return Exec(Env{Store: env.Store, Actor: env.Actor, Stdin: env.Stdin,
		Stdout: env.Stdout, Stderr: env.Stderr, Interactive: env.Interactive,
		Remote: true, Log: env.Log}, args)
}

// openLog opens the --log file for appending (0600), or returns a logger
// that discards everything.
func openLog(path string) (*slog.Logger, func(), error) {
	if path == "" {
		return slog.New(slog.DiscardHandler), func() {}, nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("open the log file: %w", err)
	}
	return slog.New(slog.NewTextHandler(f, nil)), func() { _ = f.Close() }, nil
}

// localActor is the name audit events from this machine carry: the
// operating-system user, else $USER.
func localActor() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	if name := os.Getenv("USER"); name != "" {
		return name
	}
	return "unknown-local-user"
}

// isTerminal reports whether r is a terminal.
func isTerminal(r any) bool {
	f, ok := r.(*os.File)
	return ok && term.IsTerminal(f.Fd())
}

// program is one run of Main after the global flags.
type program struct {
	g              globals
	log            *slog.Logger
	stdin          io.Reader
	stdout, stderr io.Writer
}

// console opens the database and runs the console until the user quits.
func (p program) console() error {
	st, err := p.open()
	if err != nil {
		return err
	}
	defer closeStore(st, p.stderr)
	return ui.Run(ui.Config{
		Store: st, Actor: localActor(), BaseURL: p.g.baseURL,
		Output: p.stdout, SystemClipboard: true, Logger: p.log,
	})
}

// command parses the command first, so that help and usage mistakes never
// open the database, then opens it and runs the command.
func (p program) command(args []string) int {
	act, err := prepare(rootCommand(), args)
	if err != nil {
		return finish(p.stdout, p.stderr, err)
	}
	st, err := p.open()
	if err != nil {
		return finish(p.stdout, p.stderr, err)
	}
	env := Env{Store: st, Actor: localActor(), Stdin: p.stdin, Stdout: p.stdout,
		Stderr: p.stderr, Interactive: isTerminal(p.stdin), Log: p.log}
	code := finish(p.stdout, p.stderr, act(env))
	if err := st.Close(); err != nil && code == exitOK {
		code = finish(p.stdout, p.stderr, err)
	}
	return code
}

func closeStore(st io.Closer, stderr io.Writer) {
	if err := st.Close(); err != nil {
		printError(stderr, err.Error())
	}
}
