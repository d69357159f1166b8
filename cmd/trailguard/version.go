package main

import (
	"fmt"
	"runtime/debug"
	"strings"

	trailguard "github.com/trailguard/trailguard/internal/version"
)

// version describes this build: the release (version.Version, as in CHANGELOG.md and the
// stacks' descriptions), then the module version (a tag when installed with `go install
// ...@vX.Y.Z`, "(devel)" when built from a checkout), the commit and its time, and whether the
// checkout had uncommitted changes, from what the Go toolchain records in every binary.
func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return trailguard.Version + " (built without module information)"
	}
	v := info.Main.Version
	if v == "" {
		v = "(devel)"
	}
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	var parts []string
	if rev := settings["vcs.revision"]; rev != "" {
		c := "commit " + rev
		if t := settings["vcs.time"]; t != "" {
			c += " (" + t + ")"
		}
		if settings["vcs.modified"] == "true" {
			c += " with uncommitted changes"
		}
		parts = append(parts, c)
	}
	parts = append(parts, info.GoVersion)
	return fmt.Sprintf("%s (module %s, %s)", trailguard.Version, v, strings.Join(parts, ", "))
}
