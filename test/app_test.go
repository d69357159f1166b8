package test

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/trailguard/trailguard/examples"
)

var (
	appBinOnce sync.Once
	appBin     string
	appBinErr  error
)

// buildApp builds the CDK entry point once per test run.
func buildApp(t *testing.T) string {
	t.Helper()
	appBinOnce.Do(func() {
		dir, err := os.MkdirTemp("", "trailguard-app-*")
		if err != nil {
			appBinErr = err
			return
		}
		appBin = filepath.Join(dir, "app")
		out, err := exec.Command("go", "build", "-o", appBin, "../app").CombinedOutput()
		if err != nil {
			appBinErr = errors.New(string(out))
		}
	})
	if appBinErr != nil {
		t.Fatalf("go build ./app: %v", appBinErr)
	}
	return appBin
}

// cdkCLI returns the pinned cdk CLI, skipping the test if `npm ci` has not installed it.
func cdkCLI(t *testing.T) string {
	t.Helper()
	cli, err := filepath.Abs(filepath.Join(repoRoot, "node_modules", ".bin", "cdk"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(cli); err != nil {
		t.Fatalf("the pinned cdk CLI is not installed (run npm ci): %v", err)
	}
	return cli
}

// TestConfigErrorsThroughTheCLI runs the real cdk CLI on the real app with bad configs, as a
// user would: every problem is listed with its line, the exit code is non-zero, no Go or
// JavaScript stack trace is shown, and no cloud assembly is left behind (not even a stale one).
func TestConfigErrorsThroughTheCLI(t *testing.T) {
	app := buildApp(t)
	cli := cdkCLI(t)
	tests := []struct {
		name    string
		content string // written to bad.yaml; "-" means the file does not exist
		files   map[string]string
		want    []string
	}{
		{
			name:    "unknown key, bad ids, duplicate account, wrong type",
			content: "organization:\n  id: o-123\n  managementAccount: \"111111111111\"\n  securityAccount: \"222222222222\"\n  colour: blue\nhomeRegion: eu-west-1\nregions: [eu-west-1, us-east-1]\nmembers:\n  - {id: \"111111111111\", name: a}\n  - {id: \"12\", name: b}\nlogArchive: {retentionDays: forever}\nguardrails: {enabled: false}\n",
			want: []string{
				"config bad.yaml has 5 problems:",
				`line 2: organization.id must be an organization id matching o-[a-z0-9]{10,32}, got "o-123"`,
				`line 5: organization.colour is not a known setting`,
				`line 9: members[0].id is already organization.managementAccount`,
				`line 10: members[1].id must be a 12-digit account id, got "12"`,
				`line 11: logArchive.retentionDays must be a whole number, got "forever"`,
			},
		},
		{name: "empty file", content: "", want: []string{"config bad.yaml has 1 problem:", "the file is empty"}},
		{name: "not YAML", content: "organization: {id: [\n", want: []string{"line 1: the file is not valid YAML"}},
		{name: "missing file", content: "-", want: []string{"cannot read config file (from -c config=bad.yaml): no such file or directory"}},
		{
			name:    "invalid detection rule",
			content: string(examples.Default) + "\ndetection:\n  rulesDir: our-rules\n  disabledRules: [no-such-rule]\n",
			files:   map[string]string{"our-rules/team/gpu.yaml": "id: gpu\ntitle: GPU\nseverity: urgent\nmatch: eventName == \"RunInstances\"\n"},
			want: []string{
				"trailguard: detection rules have 2 problems:",
				`our-rules/team/gpu.yaml: rule gpu: severity: unknown severity "urgent"`,
				"detection.disabledRules: rule no-such-rule: no rule has this id",
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel() // separate cdk and app processes, no jsii in this one
			dir := t.TempDir()
			for name, content := range tc.files {
				p := filepath.Join(dir, filepath.FromSlash(name))
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if tc.content != "-" {
				if err := os.WriteFile(filepath.Join(dir, "bad.yaml"), []byte(tc.content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			// A stale assembly from an earlier synth must not survive a failed one.
			outdir := filepath.Join(dir, "cdk.out")
			if err := os.MkdirAll(outdir, 0o755); err != nil {
				t.Fatal(err)
			}
			for _, f := range []string{"manifest.json", "trailguard-security.template.json"} {
				if err := os.WriteFile(filepath.Join(outdir, f), []byte("{}"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			cmd := exec.Command(cli, "synth", "--app", app, "--output", outdir, "-c", "config=bad.yaml")
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), "CDK_DISABLE_CLI_TELEMETRY=true")
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			err := cmd.Run()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() == 0 {
				t.Fatalf("cdk synth error = %v, want a non-zero exit; output:\n%s", err, out.String())
			}
			got := out.String()
			if missing := missingSubstrings(got, tc.want...); len(missing) > 0 {
				t.Errorf("output lacks %q; output:\n%s", missing, got)
			}
			for _, trace := range []string{"goroutine ", "panic:", ".go:", "    at ", "node:internal"} {
				if strings.Contains(got, trace) {
					t.Errorf("output contains a stack trace marker %q:\n%s", trace, got)
				}
			}
			left, _ := filepath.Glob(filepath.Join(outdir, "*.json"))
			if len(left) > 0 {
				t.Errorf("cloud assembly files left behind after a failed synth: %v", left)
			}
		})
	}
}
