package test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/jsii-runtime-go"

	"github.com/trailguard/trailguard/compliance"
	"github.com/trailguard/trailguard/compliance/quota"
	"github.com/trailguard/trailguard/constructs/historyreader"
)

// TestComplianceSynth: the one-call gated synth for outside apps passes a compliant app and
// keeps its templates, and on findings keeps only the two reports, so nothing non-compliant
// is left to deploy.
func TestComplianceSynth(t *testing.T) {
	env := &awscdk.Environment{Account: jsii.String("222222222222"), Region: jsii.String("eu-west-1")}
	for _, tc := range []struct {
		name      string
		build     func(s awscdk.Stack)
		findings  bool
		templates bool
	}{
		{"compliant", func(s awscdk.Stack) {
			historyreader.NewHistoryReader(s, jsii.String("Reader"), &historyreader.HistoryReaderProps{InvestigatorArns: jsii.Strings("arn:aws:iam::222222222222:role/ir")})
		}, false, true},
		{"a bucket without encryption, logging or replication", func(s awscdk.Stack) {
			awss3.NewBucket(s, jsii.String("Plain"), nil)
		}, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			app, err := newApp(dir)
			if err != nil {
				t.Fatal(err)
			}
			tc.build(awscdk.NewStack(app, jsii.String("Outside"), &awscdk.StackProps{Env: env}))
			report, outdir, err := compliance.Synth(app, &compliance.SynthOptions{Gates: gates})
			if err != nil {
				t.Fatal(err)
			}
			if outdir != dir {
				t.Errorf("outdir = %q, want %q", outdir, dir)
			}
			if got := len(report.Findings) > 0; got != tc.findings {
				t.Errorf("findings: %v, want findings %v", report.Findings, tc.findings)
			}
			files := map[string]bool{"Outside.template.json": tc.templates, "manifest.json": tc.templates, quota.ReportFile: true}
			if tc.findings {
				files[compliance.ReportFile] = true // kept to read the findings in
			}
			for file, want := range files {
				if _, err := os.Stat(filepath.Join(dir, file)); (err == nil) != want {
					t.Errorf("%s exists: %v, want %v", file, err == nil, want)
				}
			}
		})
	}
}
