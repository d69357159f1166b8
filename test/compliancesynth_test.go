package test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/jsii-runtime-go"

	"github.com/trailguard/trailguard/compliance"
	"github.com/trailguard/trailguard/compliance/quota"
	"github.com/trailguard/trailguard/constructs/eventdlq"
	"github.com/trailguard/trailguard/constructs/historyreader"
	"github.com/trailguard/trailguard/internal/synth"
)

// TestComplianceSynth: the one-call gated synth for outside apps passes a compliant app and
// keeps its templates, and on findings keeps only the two reports, so nothing non-compliant
// is left to deploy.
func TestComplianceSynth(t *testing.T) {
	env := &awscdk.Environment{Account: jsii.String("222222222222"), Region: jsii.String("eu-west-1")}
	for _, tc := range []struct {
		name        string
		build       func(s awscdk.Stack)
		findings    bool
		templates   bool
		manualSteps []string // ids of the constructs' warnings: steps by hand, not findings
	}{
		{"compliant", func(s awscdk.Stack) {
			historyreader.NewHistoryReader(s, jsii.String("Reader"), &historyreader.HistoryReaderProps{InvestigatorArns: jsii.Strings("arn:aws:iam::222222222222:role/ir")})
		}, false, true, nil},
		{"a bucket without encryption, logging or replication", func(s awscdk.Stack) {
			awss3.NewBucket(s, jsii.String("Plain"), nil)
		}, true, false, nil},
		{"an imported queue whose policy needs a statement by hand", func(s awscdk.Stack) {
			q := awssqs.Queue_FromQueueArn(s, jsii.String("MyQueue"), jsii.String(byoQueueArn))
			eventdlq.NewDeadLetterQueue(s, jsii.String("DLQ"), &eventdlq.DeadLetterQueueProps{ExistingQueue: q,
				SourceRuleArns: jsii.Strings("arn:aws:events:eu-west-1:222222222222:rule/trailguard-r"), AlarmTopic: alarmTopic(s)})
		}, false, true, []string{eventdlq.WarningQueuePolicy}},
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
			var steps []string
			for _, f := range report.ManualSteps {
				steps = append(steps, f.Rule)
			}
			if !slices.Equal(steps, tc.manualSteps) {
				t.Errorf("manual steps %v, want %v: %v", steps, tc.manualSteps, report.ManualSteps)
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

// TestComplianceSynthChecksFeatureFlags: an app without a context value the gates depend on
// fails before synth, naming the flag and why, and leaves nothing to deploy.
func TestComplianceSynthChecksFeatureFlags(t *testing.T) {
	for _, f := range compliance.FeatureFlags {
		t.Run(f.Key, func(t *testing.T) {
			ctx, err := cdkContext()
			if err != nil {
				t.Fatal(err)
			}
			delete(ctx, f.Key)
			dir := t.TempDir()
			app := synth.NewApp(dir, ctx)
			historyreader.NewHistoryReader(awscdk.NewStack(app, jsii.String("Outside"), nil), jsii.String("Reader"),
				&historyreader.HistoryReaderProps{InvestigatorArns: jsii.Strings("arn:aws:iam::222222222222:role/ir")})
			_, _, err = compliance.Synth(app, &compliance.SynthOptions{Gates: gates})
			if err == nil || !strings.Contains(err.Error(), f.Key) || !strings.Contains(err.Error(), f.Why) {
				t.Fatalf("want an error naming %s and why, got %v", f.Key, err)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Errorf("want nothing synthesized, got %d entries in the assembly directory", len(entries))
			}
		})
	}
}
