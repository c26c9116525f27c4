package serve

import (
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

func TestParseArgs(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string // "" means success
		check   func(t *testing.T, o options)
	}{
		{name: "defaults", args: nil, check: func(t *testing.T, o options) {
			if o.sshAddr != DefaultSSHAddr || o.httpAddr != "" {
				t.Errorf("ssh %q http %q", o.sshAddr, o.httpAddr)
			}
			if o.drainTimeout != DefaultDrainTimeout || !o.passthrough {
				t.Errorf("drain %v passthrough %v", o.drainTimeout, o.passthrough)
			}
		}},
		{name: "gateway on", args: []string{"--upstream", "http://127.0.0.1:1/v1",
			"--drain-timeout", "5m"}, check: func(t *testing.T, o options) {
			if o.httpAddr != DefaultHTTPAddr || o.drainTimeout != 5*time.Minute {
				t.Errorf("http %q drain %v", o.httpAddr, o.drainTimeout)
			}
		}},
		{name: "passthrough off", args: []string{"--upstream", "http://127.0.0.1:1/v1",
			"--passthrough=false"}, check: func(t *testing.T, o options) {
			if o.passthrough {
				t.Error("--passthrough=false was ignored")
			}
		}},
		{name: "nothing to serve", args: []string{"--ssh", ""},
			wantErr: "nothing to serve"},
		{name: "http without upstream", args: []string{"--http", "127.0.0.1:1"},
			wantErr: "--http needs --upstream"},
		{name: "zero drain", args: []string{"--drain-timeout", "0s"},
			wantErr: "--drain-timeout"},
		{name: "bad unpriced", args: []string{"--unpriced", "maybe"},
			wantErr: "use allow or deny"},
		{name: "credentials in upstream",
			args:    []string{"--upstream", "http://u:pw@127.0.0.1/v1"},
			wantErr: "must not hold credentials"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o, err := parseArgs(tc.args, io.Discard)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("parseArgs: %v", err)
				}
				tc.check(t, o)
				return
			}
			if !errors.Is(err, errUsage) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want a usage error containing %q", err, tc.wantErr)
			}
		})
	}
}

// TestUpstreamMessageHidesPassword: a URL that does not parse is not
// repeated with what stands before its "@".
func TestUpstreamMessageHidesPassword(t *testing.T) {
	err := checkUpstream("http://user:SeCrEtPw%zz@127.0.0.1/v1")
	if err == nil {
		t.Fatal("a malformed URL was accepted")
	}
	if strings.Contains(err.Error(), "SeCrEtPw") {
		t.Fatalf("the message repeats the password: %v", err)
	}
	if !strings.Contains(err.Error(), "@127.0.0.1/v1") {
		t.Errorf("the message should still show the host part: %v", err)
	}
}
