package serve

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"time"

	"keyward/sshd"
)

// Defaults for serve's flags.
const (
	DefaultSSHAddr  = "127.0.0.1:23234"
	DefaultHTTPAddr = "127.0.0.1:8080"
	// DefaultDrainTimeout lets a long streamed answer finish at shutdown.
	DefaultDrainTimeout = 2 * time.Minute
)

// errUsage marks an error in the arguments (exit status 2).
var errUsage = errors.New("usage")

// options are serve's parsed flags.
type options struct {
	db             string
	sshAddr        string
	httpAddr       string
	upstream       string
	upstreamKeyEnv string
	upstreamKey    string // read from the variable upstreamKeyEnv names
	denyUnpriced   bool
	authorizedKeys string
	idleTimeout    time.Duration
	maxSessions    int
	logPath        string
	baseURL        string
	drainTimeout   time.Duration
	passthrough    bool
}

// usageText is printed for --help and after a usage error.
const usageText = `Usage: keyward serve [flags]

Serves the console over SSH and, with --upstream, the OpenAI-compatible
gateway, from one process that holds the database.

Examples:
  keyward serve
  keyward serve --upstream http://127.0.0.1:8000/v1
  keyward serve --ssh "" --upstream https://api.example.com/v1 \
      --upstream-key-env UPSTREAM_API_KEY --unpriced deny

Flags:
`

// parseArgs reads serve's flags. Errors wrap errUsage.
func parseArgs(args []string, stderr io.Writer) (options, error) {
	var o options
	var unpriced string
	fs := flag.NewFlagSet("keyward serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { writeUsage(stderr, fs) }
	defineFlags(fs, &o, &unpriced)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return o, err
		}
		return o, fmt.Errorf("%w: %w", errUsage, err)
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	o.denyUnpriced = unpriced == "deny"
	if unpriced != "allow" && unpriced != "deny" {
		return o, fmt.Errorf("%w: --unpriced is %q; use allow or deny", errUsage, unpriced)
	}
	return o, o.check(flagSet(fs, "http"))
}

// defineFlags declares serve's flags on fs, writing into o.
func defineFlags(fs *flag.FlagSet, o *options, unpriced *string) {
	fs.StringVar(&o.db, "db", "", "database `PATH` (default $KEYWARD_DB, else "+
		"$XDG_DATA_HOME/keyward/keyward.db)")
	fs.StringVar(&o.sshAddr, "ssh", DefaultSSHAddr, "SSH console `ADDR`; \"\" turns it off")
	fs.StringVar(&o.httpAddr, "http", DefaultHTTPAddr,
		"gateway `ADDR` when --upstream is given; \"\" turns it off")
	fs.StringVar(&o.upstream, "upstream", "", "OpenAI-compatible base `URL` the "+
		"gateway forwards to, such as http://127.0.0.1:8000/v1; none: no gateway")
	fs.StringVar(&o.upstreamKeyEnv, "upstream-key-env", "",
		"environment variable `NAME` holding the upstream's own key")
	fs.StringVar(unpriced, "unpriced", "allow", "models without a price: `allow|deny`")
	fs.StringVar(&o.authorizedKeys, "authorized-keys", "", "operators' public keys `FILE` "+
		"(default $XDG_CONFIG_HOME/keyward/authorized_keys)")
	fs.DurationVar(&o.idleTimeout, "idle-timeout", sshd.DefaultIdleTimeout,
		"close SSH connections idle this long; 0 never")
	fs.IntVar(&o.maxSessions, "max-sessions", sshd.DefaultMaxSessions,
		"most SSH sessions open at once")
	fs.StringVar(&o.logPath, "log", "", "log `FILE` (default: standard error)")
	fs.StringVar(&o.baseURL, "base-url", "", "gateway `URL` shown in the console's "+
		"set-up panel (default: from --http)")
	fs.BoolVar(&o.passthrough, "passthrough", true, "forward other /v1/ paths "+
		"after the key check, unmetered; false refuses them (404)")
	fs.DurationVar(&o.drainTimeout, "drain-timeout", DefaultDrainTimeout,
		"on SIGINT/SIGTERM, how long in-flight gateway requests (long streams) "+
			"may take to finish")
}

// writeUsage prints serve's help with GNU-style "--flag" names, as the
// other commands' help does.
func writeUsage(w io.Writer, fs *flag.FlagSet) {
	var b strings.Builder
	b.WriteString(usageText)
	fs.VisitAll(func(f *flag.Flag) {
		name, usage := flag.UnquoteUsage(f)
		if name != "" {
			name = " " + name
		}
		fmt.Fprintf(&b, "  --%s%s\n      %s", f.Name, name, usage)
		if f.DefValue != "" && f.DefValue != "0" {
			fmt.Fprintf(&b, " (default %s)", f.DefValue)
		}
		b.WriteString("\n")
	})
	_, _ = io.WriteString(w, b.String())
}

// flagSet reports whether name was given on the command line.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// check validates the combination of flags and reads the upstream key.
func (o *options) check(httpGiven bool) error {
	if o.upstream == "" {
		if httpGiven && o.httpAddr != "" {
			return fmt.Errorf("%w: --http needs --upstream URL, the OpenAI-compatible "+
				"endpoint the gateway forwards to", errUsage)
		}
		o.httpAddr = ""
	} else if err := checkUpstream(o.upstream); err != nil {
		return err
	}
	if o.sshAddr == "" && o.httpAddr == "" {
		return fmt.Errorf("%w: nothing to serve: --ssh is off and there is no gateway "+
			"(give --upstream URL)", errUsage)
	}
	if o.idleTimeout < 0 || o.maxSessions < 1 || o.drainTimeout <= 0 {
		return fmt.Errorf("%w: --idle-timeout must be 0 or more, --drain-timeout "+
			"more than 0 and --max-sessions at least 1", errUsage)
	}
	return o.readUpstreamKey()
}

// readUpstreamKey reads the variable --upstream-key-env names.
func (o *options) readUpstreamKey() error {
	if o.upstreamKeyEnv == "" {
		return nil
	}
	if o.upstream == "" {
		return fmt.Errorf("%w: --upstream-key-env needs --upstream", errUsage)
	}
	o.upstreamKey = os.Getenv(o.upstreamKeyEnv)
	if o.upstreamKey == "" {
		return fmt.Errorf("%w: the variable %s named by --upstream-key-env is "+
			"empty or unset; export it before starting serve", errUsage, o.upstreamKeyEnv)
	}
	return nil
}

// checkUpstream insists on an absolute http(s) URL. Its messages never
// repeat what stands before an "@", which may be a password.
func checkUpstream(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		shown := raw
		if at := strings.LastIndex(raw, "@"); at >= 0 {
			shown = "…" + raw[at:]
		}
		return fmt.Errorf("%w: --upstream %q is not an http:// or https:// URL "+
			"such as http://127.0.0.1:8000/v1", errUsage, shown)
	}
	if u.User != nil {
		return fmt.Errorf("%w: --upstream must not hold credentials; "+
			"use --upstream-key-env NAME", errUsage)
	}
	return nil
}

// sshIdleTimeout is --idle-timeout as sshd wants it: 0 (never) becomes
// negative, since sshd reads 0 as its default.
func (o options) sshIdleTimeout() time.Duration {
	if o.idleTimeout == 0 {
		return -1
	}
	return o.idleTimeout
}
