package cli

import (
	"runtime"
	"runtime/debug"
	"strings"
)

// versionText describes this build from the information the Go toolchain
// embeds: module version, VCS revision and time, and the Go version.
func versionText() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "keyward (no build information) " + runtime.Version()
	}
	version := info.Main.Version
	if version == "" {
		version = "(devel)"
	}
	parts := append([]string{"keyward " + version}, vcsParts(info.Settings)...)
	goVersion := info.GoVersion
	if goVersion == "" {
		goVersion = runtime.Version()
	}
	parts = append(parts, "built with "+goVersion)
	return strings.Join(parts, ", ")
}

// vcsParts describes the commit the binary was built from, when the
// toolchain recorded it.
func vcsParts(settings []debug.BuildSetting) []string {
	vcs := map[string]string{}
	for _, s := range settings {
		vcs[s.Key] = s.Value
	}
	var parts []string
	if rev := vcs["vcs.revision"]; rev != "" {
		rev = rev[:min(len(rev), 12)]
		if vcs["vcs.modified"] == "true" {
			rev += "+modified"
		}
		parts = append(parts, "revision "+rev)
	}
	if t := vcs["vcs.time"]; t != "" {
		parts = append(parts, "committed "+t)
	}
	return parts
}
