package test

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/trailguard/trailguard/compliance"
)

// TestComplianceExampleHasNoFindings is the gate: the example org synthesizes with zero
// unsuppressed cdk-nag and Control Tower findings.
func TestComplianceExampleHasNoFindings(t *testing.T) {
	for _, f := range example.report.Findings {
		t.Errorf("unsuppressed finding: %s", f)
	}
}

// TestComplianceGatesCatchInsecureResources proves each engine is live and that suppressions
// work: an unencrypted, unlogged bucket must be reported by every cdk-nag pack and by the
// Control Tower Guard rules, and suppressing those rules must remove exactly them.
func TestComplianceGatesCatchInsecureResources(t *testing.T) {
	// One rule of each engine that an unlogged bucket violates.
	wantRules := []string{
		"AwsSolutions-S1",
		"NIST.800.53.R5-S3BucketLoggingEnabled",
		"HIPAA.Security-S3BucketLoggingEnabled",
		"PCI.DSS.321-S3BucketLoggingEnabled",
		"s3_bucket_logging_enabled_check", // Control Tower CT.S3.PR.2
	}
	for _, tc := range []struct {
		name     string
		suppress bool
	}{
		{name: "unsuppressed", suppress: false},
		{name: "suppressed", suppress: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			app, err := newApp(dir)
			if err != nil {
				t.Fatal(err)
			}
			stack := awscdk.NewStack(app, jsii.String("Insecure"), &awscdk.StackProps{
				Env: &awscdk.Environment{Account: jsii.String("222222222222"), Region: jsii.String("eu-west-1")},
			})
			bucket := awss3.NewBucket(stack, jsii.String("Bucket"), nil)
			if tc.suppress {
				var s []*cdknag.NagPackSuppression
				for _, id := range wantRules[:4] {
					s = append(s, &cdknag.NagPackSuppression{Id: jsii.String(id), Reason: jsii.String("test of the suppression mechanism")})
				}
				cdknag.NagSuppressions_AddResourceSuppressions(bucket, &s, jsii.Bool(true))
				compliance.Acknowledge(bucket, wantRules[4], "test of the acknowledgement mechanism")
			}
			gates.Apply(app)
			app.Synth(nil)
			report, err := compliance.Check(dir)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range report.Findings {
				got = append(got, f.Rule)
			}
			for _, rule := range wantRules {
				found := slices.Contains(got, rule)
				if found == tc.suppress {
					t.Errorf("rule %s reported = %v, want %v; findings: %v", rule, found, !tc.suppress, got)
				}
			}
			if tc.suppress && report.Suppressed == 0 {
				t.Errorf("suppressed count = 0, want the acknowledged Guard finding counted")
			}
		})
	}
}

// TestGuardRulesMissingIsAnError keeps a moved or uninstalled rules package from silently
// turning the Control Tower gate off.
func TestGuardRulesMissingIsAnError(t *testing.T) {
	_, err := compliance.LoadGuardRules(os.DirFS(t.TempDir()), compliance.GuardServices)
	if err == nil || !strings.Contains(err.Error(), "npm ci") {
		t.Errorf("LoadGuardRules(empty dir) error = %v, want one telling to run npm ci", err)
	}
}
