package version

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// semVer matches MAJOR.MINOR.PATCH without leading zeros (https://semver.org, item 2).
var semVer = regexp.MustCompile(`^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$`)

// less reports whether semantic version a precedes b.
func less(a, b string) bool {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := range 3 {
		x, _ := strconv.Atoi(pa[i])
		y, _ := strconv.Atoi(pb[i])
		if x != y {
			return x < y
		}
	}
	return false
}

// TestVersionIsTheChangelogsLatest: Version and Baseline are semantic versions, and
// CHANGELOG.md's first two entries are Version and Baseline, in that order.
func TestVersionIsTheChangelogsLatest(t *testing.T) {
	for name, v := range map[string]string{"Version": Version, "Baseline": Baseline} {
		if !semVer.MatchString(v) {
			t.Errorf("%s = %q, want a semantic version MAJOR.MINOR.PATCH", name, v)
		}
	}
	if !semVer.MatchString(Version) || !semVer.MatchString(Baseline) {
		return
	}
	if !less(Baseline, Version) {
		t.Errorf("Version %s is not after Baseline %s", Version, Baseline)
	}
	b, err := os.ReadFile("../../CHANGELOG.md")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range regexp.MustCompile(`(?m)^## \[?([0-9]+\.[0-9]+\.[0-9]+)\b`).FindAllStringSubmatch(string(b), 2) {
		got = append(got, m[1])
	}
	if len(got) != 2 || got[0] != Version || got[1] != Baseline {
		t.Errorf("CHANGELOG.md's first entries are %v, want [%s %s]", got, Version, Baseline)
	}
}
