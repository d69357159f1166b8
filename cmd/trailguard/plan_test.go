package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trailguard/trailguard/examples"
)

func TestPlanCommand(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("organization: {id: o-1}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	example := filepath.Join(dir, "my-org.yaml") // a config of the user's: the example's copy
	if err := os.WriteFile(example, examples.Default, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		args     []string
		wantCode int
		stdout   []string
		stderr   []string
	}{
		{"embedded example", []string{"plan"}, exitOK,
			[]string{"1. Enable trusted access for CloudTrail", "3. Synthesize the organization into cdk.out", "$ make synth\n", "$ cdk deploy trailguard-security trailguard-forwarder-security-eu-west-1 trailguard-forwarder-security-us-east-1 --app cdk.out --profile security", "11. Deploy to the workloads-dev account 444444444444"}, nil},
		{"own config", []string{"plan", "--config", example}, exitOK,
			[]string{"$ make synth CONFIG=" + example + "\n", "$ cdk bootstrap aws://222222222222/eu-west-1 aws://222222222222/us-east-1 --app cdk.out --profile security"}, nil},
		{"profile format and deployer", []string{"plan", "--profile-format", "org-{account}", "--deployer-account", "111111111111"}, exitOK,
			[]string{"--profile org-222222222222 --trust 111111111111"}, nil},
		{"invalid config", []string{"plan", "--config", bad}, exitFailed,
			nil, []string{"config " + bad + " has 7 problems:", `line 1: organization.id must be an organization id matching o-[a-z0-9]{10,32}, got "o-1"`}},
		{"missing config", []string{"plan", "--config", filepath.Join(dir, "none.yaml")}, exitUsage,
			nil, []string{"cannot read --config", "Run 'trailguard plan --help' for usage."}},
		{"stray argument", []string{"plan", "now"}, exitUsage, nil, []string{`trailguard plan takes no arguments, got "now"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := runCommand(t, "", false, tc.args...)
			if r.code != tc.wantCode {
				t.Errorf("exit code = %d, want %d; stderr:\n%s", r.code, tc.wantCode, r.stderr)
			}
			for _, w := range tc.stdout {
				if !strings.Contains(r.stdout, w) {
					t.Errorf("stdout lacks %q:\n%s", w, r.stdout)
				}
			}
			for _, w := range tc.stderr {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
				}
			}
		})
	}
}
