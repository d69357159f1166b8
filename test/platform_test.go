package test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/trailguard/trailguard/constructs/guardrails"
)

// platformDir is the outside-module example, relative to the repository root.
const platformDir = "examples/platform"

// platformSummary matches the example app's verdict line (examples/platform/main.go).
var platformSummary = regexp.MustCompile(`platform: (\d+) stack\(s\); gates: (\d+) finding\(s\)`)

// platformStacks are the stacks the example lays out.
var platformStacks = []string{
	"platform-security-logging", "platform-org-trail",
	"platform-workload-eu-central-1", "platform-management-eu-central-1", "platform-security-eu-central-1",
	"platform-workload-us-east-1", "platform-management-us-east-1", "platform-security-us-east-1",
}

// TestPlatformExample builds the outside-module example (its own go.mod, a replace to this
// repository) and synthesizes it with the real cdk CLI as its README says, on a clean copy of
// the repository: it must vet, and pass the compliance and quota gates with zero findings,
// every stack's template written, every resource the guardrails protect by tag tagged.
func TestPlatformExample(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the example module and runs cdk synth, a complete synth with the gates (-short)")
	}
	t.Parallel() // go and cdk processes in a workspace of its own
	w := newWorkspace(t, "eu-central-1")
	synthExample(t, w, platformDir, platformSummary, len(platformStacks))
	for _, s := range platformStacks {
		var tmpl template
		if err := readJSON(filepath.Join(w.dir, platformDir, "cdk.out", s+".template.json"), &tmpl); err != nil {
			t.Errorf("example: stack %s not synthesized: %v", s, err)
			continue
		}
		// The example adds no guardrails tag to its stacks: the constructs tag what they
		// create, and the example its own keys.
		res, _ := tmpl["Resources"].(map[string]any)
		for id, raw := range res {
			r := resource(raw.(map[string]any))
			typ, _ := r["Type"].(string)
			if guardrails.Protected[typ] == "tag" && tagsOf(r)[guardrails.TagKey] != guardrails.TagValue {
				t.Errorf("example: %s/%s (%s) lacks the %s tag the guardrails protect it by", s, id, typ, guardrails.TagKey)
			}
		}
	}
}

// synthExample vets the outside-module example in dir and synthesizes it with the real cdk
// CLI in w, as its README says. It fails t unless the example exits 0 and its verdict line
// (summary: stacks in group 1, findings in group 2) reports zero findings and stacks stacks,
// and returns the command's result and the verdict's groups.
func synthExample(t *testing.T, w *workspace, dir string, summary *regexp.Regexp, stacks int) (result, []string) {
	t.Helper()
	start := time.Now()
	r := w.run(t, "cd "+dir+" && go vet ./... && cdk synth --quiet")
	t.Logf("example build and synth: %.1fs", time.Since(start).Seconds())
	m := summary.FindStringSubmatch(r.output)
	switch {
	case r.code != 0:
		t.Fatalf("example: exit %d; output:\n%s", r.code, r.output)
	case m == nil || m[2] != "0":
		t.Fatalf("example: no verdict of zero findings; output:\n%s", r.output)
	case m[1] != strconv.Itoa(stacks):
		t.Errorf("example: %s stacks, want %d; output:\n%s", m[1], stacks, r.output)
	}
	return r, m
}

// TestPlatformExampleHasNoSuppressions requires that the example excepts nothing itself: every
// deliberate exception must travel with the construct it concerns, so that a platform team's
// app passes the gates as written.
func TestPlatformExampleHasNoSuppressions(t *testing.T) {
	checkNoSuppressions(t, platformDir)
}

// checkNoSuppressions fails for every suppression, acknowledgement or cdk-nag import in the
// Go files of the example in dir.
func checkNoSuppressions(t *testing.T, dir string) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(repoRoot, dir, "*.go"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no Go files in %s: %v", dir, err)
	}
	// AcknowledgeWarning too: the constructs' own synth warnings (statements to add by hand
	// to an imported key, topic or queue) are acknowledged once a user has added them, which
	// the example, bringing nothing that needs one, never claims.
	forbidden := []string{"Suppress", "SuppressMatching", "Acknowledge", "AcknowledgeWarning", "NagSuppressions_AddResourceSuppressions", "NagSuppressions_AddStackSuppressions"}
	fset := token.NewFileSet()
	for _, f := range files {
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range file.Imports {
			if p, _ := strconv.Unquote(imp.Path.Value); strings.Contains(p, "cdk-nag") {
				t.Errorf("%s imports %s: the example must not suppress findings", fset.Position(imp.Pos()), p)
			}
		}
		ast.Inspect(file, func(n ast.Node) bool {
			if sel, ok := n.(*ast.SelectorExpr); ok && slices.Contains(forbidden, sel.Sel.Name) {
				t.Errorf("%s: %s: the example must not suppress or acknowledge findings; fix the construct instead", fset.Position(sel.Pos()), sel.Sel.Name)
			}
			return true
		})
	}
}
