// Package version is trailguard's release version, a semantic version (https://semver.org):
// `trailguard --version` prints it and every stack's description carries it, so a deployed
// stack says which release deployed it. CHANGELOG.md's first entry is this version; a release
// is tagged v<Version>. The upgrade gate (package upgrade, test/upgrade_test.go) compares this
// version's templates with those of Baseline, the last release.
package version

// Version is this release. While 0.x, a minor version may change a construct's API; an
// upgrade that would replace or delete a stateful resource is listed in CHANGELOG.md with
// what to do (docs/upgrading.md).
const Version = "0.2.0"

// Baseline is the last released version, whose synthesized templates the upgrade gate keeps
// under test/testdata/upgrade/v<Baseline>.
const Baseline = "0.1.0"

// Description is a stack description with the version: "<what> (trailguard <Version>)".
func Description(what string) string { return what + " (trailguard " + Version + ")" }
