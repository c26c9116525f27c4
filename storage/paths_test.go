package storage

import (
	"path/filepath"
	"testing"
)

func TestDefaultAndResolvedPaths(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	tests := []struct {
		name, xdg, env, flag, want string
	}{
		{name: "home fallback",
			want: filepath.Join(home, ".local", "share", "keyward", "keyward.db")},
		{name: "XDG_DATA_HOME", xdg: "/data",
			want: "/data/keyward/keyward.db"},
		{name: "relative XDG_DATA_HOME is ignored", xdg: "rel",
			want: filepath.Join(home, ".local", "share", "keyward", "keyward.db")},
		{name: "KEYWARD_DB wins over XDG", xdg: "/data", env: "/srv/k.db",
			want: "/srv/k.db"},
		{name: "--db wins over everything", xdg: "/data", env: "/srv/k.db",
			flag: "/opt/x.db", want: "/opt/x.db"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("XDG_DATA_HOME", tc.xdg)
			t.Setenv(EnvDB, tc.env)
			got, err := ResolvePath(tc.flag)
			if err != nil || got != tc.want {
				t.Fatalf("ResolvePath(%q) = %q, %v; want %q", tc.flag, got, err, tc.want)
			}
		})
	}
	t.Run("relative --db is made absolute", func(t *testing.T) {
		got, err := ResolvePath("k.db")
		if err != nil || !filepath.IsAbs(got) || filepath.Base(got) != "k.db" {
			t.Fatalf("ResolvePath(k.db) = %q, %v", got, err)
		}
	})
}

func TestMasterKeyPath(t *testing.T) {
	t.Setenv(EnvMasterKey, "")
	if got := MasterKeyPath("/a/b/k.db"); got != "/a/b/keyward.key" {
		t.Errorf("MasterKeyPath = %q", got)
	}
	t.Setenv(EnvMasterKey, "/secrets/kw.key")
	if got := MasterKeyPath("/a/b/k.db"); got != "/secrets/kw.key" {
		t.Errorf("MasterKeyPath with %s = %q", EnvMasterKey, got)
	}
}
