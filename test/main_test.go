// Package test is trailguard's one CDK test package.
//
// jsii starts one Node.js process per test binary and is not safe for concurrent use, so all
// CDK tests live here, no test that calls the CDK in-process calls t.Parallel, and TestMain
// synthesizes the example app once: tests read its templates and compliance report from
// `example` instead of synthesizing again (and the stackset variant from stacksetApp). Tests
// that only run commands (the cdk CLI, make, each a process of its own) call t.Parallel once
// they have what they need from jsii, so they run beside each other after the in-process ones.
//
// How to write a test here:
//   - whole-stack behaviour: golden files (golden_test.go); regenerate them with
//     `UPDATE_GOLDEN=1 go test ./test/ -run TestGolden` and review the diff like code;
//   - security-critical settings: fine-grained assertions on example.template(t, stackName),
//     e.g. tmpl.resourcesOfType("AWS::S3::Bucket") and lookups with get(...);
//   - construct-level misuse: build the construct in newTestStack(t) and check the panic
//     message with mustPanic;
//   - compliance: compliance_test.go requires zero unsuppressed findings for the example;
//   - commands users run (make, the cdk CLI, the printed deploy plan): run them in a clean copy
//     of the repository with newWorkspace and runSteps (workflow_test.go).
package test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/trailguard/trailguard/compliance"
	"github.com/trailguard/trailguard/config"
	"github.com/trailguard/trailguard/examples"
	"github.com/trailguard/trailguard/internal/stacks"
	"github.com/trailguard/trailguard/internal/synth"
)

// repoRoot is the module root, relative to this package's directory.
const repoRoot = ".."

// example is the example org's app, synthesized once by TestMain.
var example *synthesized

// gates are the compliance gates every test app gets, prepared once by TestMain.
var gates *compliance.Gates

// sharedDir holds the cloud assemblies that tests share (the example's, the stackset
// variant's): it lives as long as the test binary, unlike a test's t.TempDir.
var sharedDir string

func TestMain(m *testing.M) {
	code, err := setup(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "test setup:", err)
		code = 1
	}
	jsii.Close()
	os.Exit(code)
}

func setup(m *testing.M) (int, error) {
	cfg, err := config.Load(examples.DefaultName, examples.Default)
	if err != nil {
		return 1, err
	}
	rules, err := guardRules()
	if err != nil {
		return 1, err
	}
	gates = compliance.NewGates(rules)
	dir, err := os.MkdirTemp("", "trailguard-test-*")
	if err != nil {
		return 1, err
	}
	defer os.RemoveAll(dir)
	sharedDir = dir
	example, err = synthesize(cfg, filepath.Join(dir, "example"))
	if err != nil {
		return 1, err
	}
	return m.Run(), nil
}

// synthesized is a synthesized app: its stacks, templates and compliance report.
type synthesized struct {
	cfg       *config.Config
	stacks    *stacks.Stacks
	outdir    string
	templates map[string]template
	report    *compliance.Report
}

// synthesize runs cfg's synth as the cdk CLI would (cdk.json context, compliance gates,
// replicated member stacks) into outdir.
func synthesize(cfg *config.Config, outdir string) (*synthesized, error) {
	return synthesizeWith(cfg, outdir, synth.Options{})
}

// synthesizeWith is synthesize with opts (the gates and context are filled in).
func synthesizeWith(cfg *config.Config, outdir string, opts synth.Options) (*synthesized, error) {
	ctx, err := cdkContext()
	if err != nil {
		return nil, err
	}
	opts.Gates, opts.Context = gates, ctx
	res, err := synth.Run(synth.NewApp(outdir, ctx), cfg, opts)
	if err != nil {
		return nil, err
	}
	s := &synthesized{cfg: cfg, stacks: res.Stacks, outdir: outdir, templates: map[string]template{}, report: res.Report}
	for _, name := range stackNames(res.Stacks) {
		var t template
		err := readJSON(filepath.Join(outdir, name+".template.json"), &t)
		if errors.Is(err, fs.ErrNotExist) && len(res.Report.Findings) > 0 {
			continue // a synth with findings emits no replicas: the report says why
		}
		if err != nil {
			return nil, err
		}
		s.templates[name] = t
	}
	return s, nil
}

// stackNames names every stack of s, built or replicated.
func stackNames(s *stacks.Stacks) []string {
	var names []string
	for _, st := range s.All() {
		names = append(names, *st.StackName())
	}
	for _, r := range s.Replicas {
		names = append(names, r.StackName)
	}
	return names
}

// newApp returns an app with the cdk.json context, as `cdk synth` would build it, writing to
// outdir. Without that context (feature flags) templates would differ from the CLI's.
func newApp(outdir string) (awscdk.App, error) {
	ctx, err := cdkContext()
	if err != nil {
		return nil, err
	}
	return synth.NewApp(outdir, ctx), nil
}

// cdkContext is the context in cdk.json.
func cdkContext() (map[string]any, error) {
	var cdkJSON struct {
		Context map[string]any `json:"context"`
	}
	if err := readJSON(filepath.Join(repoRoot, "cdk.json"), &cdkJSON); err != nil {
		return nil, err
	}
	return cdkJSON.Context, nil
}

func guardRules() ([]*awscdk.ValidationRuleSource, error) {
	return compliance.LoadGuardRules(os.DirFS(filepath.Join(repoRoot, compliance.GuardRulesDir)), compliance.GuardServices)
}

// template returns the synthesized template of the example stack named name.
func (s *synthesized) template(t *testing.T, name string) template {
	t.Helper()
	tmpl, ok := s.templates[name]
	if !ok {
		t.Fatalf("no stack named %q; have %v", name, keys(s.templates))
	}
	return tmpl
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
