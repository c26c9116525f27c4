package cli

import (
	"strings"
	"testing"
)

// leaves walks the command tree, calling fn with each command's path.
func walk(c *command, path []string, fn func(*command, []string)) {
	fn(c, path)
	for _, s := range c.subs {
		walk(s, append(append([]string{}, path...), s.name), fn)
	}
}

func TestEveryCommandHasHelp(t *testing.T) {
	walk(rootCommand(), nil, func(c *command, path []string) {
		if c.name == "serve" {
			return
		}
		r := run(t, nil, append(path, "--help")...)
		expect(t, r, exitOK, "")
		sections := []string{"Usage:\n  keyward ", "Examples:\n"}
		if len(c.subs) > 0 {
			sections = append(sections, "Commands:\n")
		} else {
			sections = append(sections, "Flags:\n", "  -h, --help")
		}
		for _, s := range sections {
			if !strings.Contains(r.stdout, s) {
				t.Errorf("%v --help lacks %q", path, s)
			}
		}
		for _, line := range strings.Split(r.stdout, "\n") {
			if len([]rune(line)) > 100 {
				t.Errorf("%v --help line over 100 columns: %q", path, line)
			}
		}
		viaHelp := run(t, nil, append([]string{"help"}, path...)...)
		short := run(t, nil, append(path, "-h")...)
		if viaHelp.stdout != r.stdout || short.stdout != r.stdout {
			t.Errorf("help %v, %v -h and --help differ", path, path)
		}
	})
}

func TestHelpMatchesFlags(t *testing.T) {
	r := run(t, nil, "tokens", "create", "--help")
	for _, want := range []string{"--name NAME", "--quota USD", "--unlimited ",
		"--models LIST", "--json", "(the default without --quota)",
		"KEY=$(keyward tokens create --name ci --quota 12.50)"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("tokens create --help lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "--unlimited USD") {
		t.Error("a boolean flag shows a value")
	}
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{nil, "missing command after 'keyward'"},
		{[]string{"frob"}, `unknown command "frob" for 'keyward'; run 'keyward --help' for usage`},
		{[]string{"tokens"}, "missing command after 'keyward tokens'; run 'keyward tokens --help'"},
		{[]string{"tokens", "lst"}, `unknown command "lst" for 'keyward tokens'`},
		{[]string{"help", "nope"}, `unknown command "nope" for 'keyward'`},
		{[]string{"tokens", "list", "--jsn"}, "unknown flag --jsn"},
		{[]string{"tokens", "list", "--json=maybe"}, `invalid boolean value "maybe" for --json`},
		{[]string{"serve"}, "serve runs from the command line of the server"},
	}
	for _, tc := range tests {
		r := run(t, nil, tc.args...)
		expect(t, r, exitUsage, tc.want)
		if r.stdout != "" {
			t.Errorf("%v: stdout %q", tc.args, r.stdout)
		}
	}
}

func TestExecNilStreams(t *testing.T) {
	if code := Exec(Env{}, []string{"tokens", "--help"}); code != exitOK {
		t.Errorf("Exec with no streams: %d", code)
	}
	if code := Exec(Env{}, []string{"bogus"}); code != exitUsage {
		t.Errorf("Exec with no streams, bad command: %d", code)
	}
}

func TestTable(t *testing.T) {
	var tb table
	tb.add("A", "B", "C")
	tb.add("日本語", "x\x1b[2Jy", "")
	tb.add("a", "b", "c")
	var b strings.Builder
	if err := tb.write(&b); err != nil {
		t.Fatal(err)
	}
	want := "A       B       C\n日本語  x\ufffd[2Jy\na       b       c\n"
	if b.String() != want {
		t.Errorf("table:\n%q\nwant\n%q", b.String(), want)
	}
}
