package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"unicode"

	"github.com/charmbracelet/x/term"

	"keyward/serve"
	"keyward/storage"
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
	if err := checkLogPath(g); err != nil {
		return finish(stdout, stderr, err)
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
		// Checked before anything opens or draws: without a terminal the
		// console would fail half-way into the alternate screen, or run
		// where nobody sees it.
		if !isTerminal(stdin) || !isTerminal(stdout) {
			printError(stderr, errNoTerminal)
			return exitFail
		}
		return finish(stdout, stderr, p.console())
	}
	return p.command(rest)
}

// errNoTerminal is the one sentence for a console started without a
// terminal on its input or output.
const errNoTerminal = "the console needs a terminal; for scripts use " +
	"`keyward tokens list` (see keyward help)"

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
	if err := checkBaseURL(g); err != nil {
		return g, nil, &usageError{msg: err.Error(), value: true}
	}
	return g, fs.Args(), nil
}

// checkBaseURL refuses a gateway base URL that clients could not use:
// it must be http or https with a host, and hold no spaces, quotes or
// control characters, since the set-up panel pastes it into JSON and
// shell lines.
func checkBaseURL(g globals) error {
	from := "--base-url"
	if g.baseURLFlag == "" {
		from = EnvBaseURL
	}
	raw := g.baseURL
	if i := strings.IndexFunc(raw, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r) || strings.ContainsRune(`"'\`+"`", r)
	}); i >= 0 {
		return fmt.Errorf("%s %q contains %q; give a URL such as %s without spaces, "+
			"quotes or control characters", from, raw, []rune(raw[i:])[0], defaultBaseURL)
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return fmt.Errorf("%s %q is not a URL (%v); give one such as %s", from, raw,
			unwrapURLError(err), defaultBaseURL)
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("%s %q must start with http:// or https://, such as %s",
			from, raw, defaultBaseURL)
	case u.Host == "" || u.Hostname() == "":
		return fmt.Errorf("%s %q has no host; give one such as %s", from, raw,
			defaultBaseURL)
	case u.User != nil:
		return fmt.Errorf("%s %q holds a user name or password; give the address "+
			"only, such as %s", from, raw, defaultBaseURL)
	}
	return checkURLTail(from, raw, u)
}

// checkURLTail refuses a query, a fragment or a port outside 1-65535 in
// a base URL: clients append paths such as /chat/completions to it, which
// would land inside the query or fragment.
func checkURLTail(from, raw string, u *url.URL) error {
	switch {
	case u.RawQuery != "" || u.ForceQuery:
		return fmt.Errorf("%s %q has a query (?...); clients append paths such as "+
			"/chat/completions to it, so give the base URL without one, such as %s",
			from, raw, defaultBaseURL)
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return fmt.Errorf("%s %q has a fragment (#...); give the base URL without "+
			"one, such as %s", from, raw, defaultBaseURL)
	}
	if p := u.Port(); p != "" || strings.HasSuffix(u.Host, ":") {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("%s %q has the port %q; a port is a number from 1 to "+
				"65535, such as %s", from, raw, p, defaultBaseURL)
		}
	}
	return nil
}

// unwrapURLError is the reason inside a *url.Error, without the quoted
// input it repeats.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// checkLogPath refuses a --log file that is the database, its master
// key or the serve-info file: log lines appended there would corrupt
// them. Paths are compared after resolving symbolic links, and existing
// files by identity, so a link or a hard link is caught too.
func checkLogPath(g globals) error {
	if g.logPath == "" {
		return nil
	}
	db := g.db
	if db == "" {
		var err error
		if db, err = storage.DefaultPath(); err != nil {
			return nil // no database to protect; opening it reports this
		}
	}
	db = absPath(db)
	for _, f := range []struct{ path, what string }{
		{db, "the database"},
		{storage.MasterKeyPath(db), "the database's master key file"},
		{storage.ServeInfoPath(db), "the serve-info file of the database"},
	} {
		if samePath(g.logPath, f.path) {
			return usagef([]string{"keyward"}, "--log %s is %s; log lines written "+
				"there would corrupt it, so give another file", g.logPath, f.what)
		}
	}
	return nil
}

// absPath is path made absolute, with symbolic links resolved as far as
// the file or its directory exists.
func absPath(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		return filepath.Clean(path)
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		return real
	}
	if dir, err := filepath.EvalSymlinks(filepath.Dir(abs)); err == nil {
		return filepath.Join(dir, filepath.Base(abs))
	}
	return abs
}

// samePath reports whether a and b name the same file.
func samePath(a, b string) bool {
	if absPath(a) == absPath(b) {
		return true
	}
	fa, errA := os.Stat(a)
	fb, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(fa, fb)
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
		Input: p.stdin, Output: p.stdout, SystemClipboard: true, Logger: p.log,
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
