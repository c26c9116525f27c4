package cli

import (
	"errors"
	"strings"
	"testing"

	"keyward/model"
	"keyward/storage"
)

func TestTokensDelete(t *testing.T) {
	const prompt = "Delete 'ci'? This cannot be undone. [y/N] "
	tests := []struct {
		name    string
		opts    runOpts
		args    []string
		code    int
		wantErr string
		deleted bool
	}{
		{"yes flag", runOpts{}, []string{"ci", "--yes"}, exitOK, "", true},
		{"yes flag on a terminal", runOpts{interactive: true}, []string{"--yes", "1"},
			exitOK, "", true},
		{"answer y", runOpts{interactive: true, stdin: "y\n"}, []string{"ci"}, exitOK,
			prompt, true},
		{"answer YES with CR", runOpts{interactive: true, stdin: "YES\r"}, []string{"ci"},
			exitOK, prompt, true},
		{"enter means no", runOpts{interactive: true, stdin: "\n"}, []string{"ci"}, exitFail,
			"'ci' (ID 1) was not deleted", false},
		{"answer n", runOpts{interactive: true, stdin: "n\ny\n"}, []string{"ci"}, exitFail,
			"was not deleted", false},
		{"end of input", runOpts{interactive: true}, []string{"ci"}, exitFail,
			"was not deleted", false},
		{"ctrl-c", runOpts{interactive: true, stdin: "\x03"}, []string{"ci"}, exitFail,
			"was not deleted", false},
		{"no terminal", runOpts{stdin: "y\n"}, []string{"ci"}, exitFail,
			"refusing to delete 'ci' (ID 1) without confirmation because there is no " +
				"terminal to ask on; pass --yes to delete it", false},
		{"unknown", runOpts{}, []string{"nope", "--yes"}, exitFail, "no token has", false},
		{"missing", runOpts{}, []string{"--yes"}, exitUsage, "missing a token ID", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := openStore(t)
			mustCreate(t, st, model.Spec{Name: "ci"})
			r := runWith(t, st, tc.opts, append([]string{"tokens", "delete"}, tc.args...)...)
			if r.code != tc.code || !strings.Contains(r.stderr, tc.wantErr) {
				t.Errorf("exit %d stderr %q, want %d and %q", r.code, r.stderr, tc.code,
					tc.wantErr)
			}
			_, err := st.Get(1)
			if gone := errors.Is(err, storage.ErrNotFound); gone != tc.deleted {
				t.Errorf("deleted = %v, want %v", gone, tc.deleted)
			}
			if tc.deleted && r.stdout != "Deleted 'ci' (ID 1).\n" {
				t.Errorf("stdout %q", r.stdout)
			}
			if tc.deleted && lastEvent(t, st).Actor != testActor {
				t.Errorf("delete recorded actor %q", lastEvent(t, st).Actor)
			}
		})
	}
}

func TestReadAnswer(t *testing.T) {
	tests := []struct {
		in     string
		answer string
		ok     bool
		echo   string
	}{
		{"y\n", "y", true, "y"},
		{"yes\r\n", "yes", true, "yes"},
		{"", "", false, ""},
		{"y", "", false, "y"},
		{"\x04", "", false, ""},
		{"n\x7fy\r", "y", true, "n\b \by"},
		{"\x1b[Ay\n", "[Ay", true, "[Ay"},
		{strings.Repeat("y", 200) + "\n", "", true, strings.Repeat("y", maxAnswer+1)},
	}
	for _, tc := range tests {
		var echo strings.Builder
		got, ok := readAnswer(strings.NewReader(tc.in), &echo)
		if got != tc.answer || ok != tc.ok || echo.String() != tc.echo {
			t.Errorf("readAnswer(%q) = %q, %v, echo %q; want %q, %v, echo %q",
				tc.in, got, ok, echo.String(), tc.answer, tc.ok, tc.echo)
		}
	}
}

func TestDeleteOverSSHEchoes(t *testing.T) {
	st := openStore(t)
	mustCreate(t, st, model.Spec{Name: "ci"})
	r := runWith(t, st, runOpts{interactive: true, remote: true, stdin: "y\r"},
		"tokens", "delete", "ci")
	want := "Delete 'ci'? This cannot be undone. [y/N] y\r\n"
	if r.code != exitOK || r.stderr != want {
		t.Errorf("exit %d, stderr %q; want %q", r.code, r.stderr, want)
	}
}
