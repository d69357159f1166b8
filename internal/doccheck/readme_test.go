package doccheck

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestReadmeCommandsAreCIs fails when the README's two commands (the first code block of its
// "Two commands" section) and what .ci/run runs, as a new user's machine does, differ: a
// newcomer must run exactly what CI proves.
func TestReadmeCommandsAreCIs(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	section := regexp.MustCompile("(?s)\n## Two commands\n.*?```sh\n(.*?)```").FindSubmatch(readme)
	if section == nil {
		t.Fatal("README.md has no \"## Two commands\" section with a sh code block")
	}
	var readmeCmds []string
	for _, line := range strings.Split(string(section[1]), "\n") {
		if cmd, _, _ := strings.Cut(line, "#"); strings.TrimSpace(cmd) != "" {
			readmeCmds = append(readmeCmds, strings.Join(strings.Fields(cmd), " "))
		}
	}
	ci, err := os.ReadFile(filepath.Join(root, ".ci", "run"))
	if err != nil {
		t.Fatal(err)
	}
	var ciCmds []string
	for _, m := range regexp.MustCompile(`(?m)^timed (.+)$`).FindAllSubmatch(ci, -1) {
		ciCmds = append(ciCmds, strings.Join(strings.Fields(string(m[1])), " "))
	}
	if want := []string{"make synth", "make test"}; !slices.Equal(readmeCmds, want) {
		t.Errorf("README.md's two commands are %q, want %q", readmeCmds, want)
	}
	if !slices.Equal(readmeCmds, ciCmds) {
		t.Errorf("README.md's commands %q differ from what .ci/run runs, %q: CI must run what a newcomer runs, in the same order", readmeCmds, ciCmds)
	}
}
