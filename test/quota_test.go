package test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/jsii-runtime-go"

	"github.com/trailguard/trailguard/compliance"
	"github.com/trailguard/trailguard/compliance/quota"
	"github.com/trailguard/trailguard/config"
	"github.com/trailguard/trailguard/examples"
	"github.com/trailguard/trailguard/internal/synth"
)

// TestQuotaGateCatchesOversizedEventPattern synthesizes a stack with a CfnRule whose event
// pattern is 2,048 characters with the region eu-west-1 but more where the region name is
// longer: the gate, run on the cloud assembly as synth runs it, reports it with the rule's
// construct path, and a pattern 7 characters shorter passes.
func TestQuotaGateCatchesOversizedEventPattern(t *testing.T) {
	region := "eu-west-1"
	fixed := len(`{"detail-type":[""],"region":["` + region + `"]}`)
	for _, tc := range []struct {
		name     string
		pad      int
		measured int // 0: no finding
	}{
		{"fits in every region", quota.EventPatternSize.Limit - fixed - (len(quota.Longest.Region) - len(region)), 0},
		{"fits in eu-west-1 only", quota.EventPatternSize.Limit - fixed, quota.EventPatternSize.Limit + len(quota.Longest.Region) - len(region)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			app, err := newApp(dir)
			if err != nil {
				t.Fatal(err)
			}
			stack := awscdk.NewStack(app, jsii.String("Quota"), &awscdk.StackProps{
				Env: &awscdk.Environment{Account: jsii.String("222222222222"), Region: jsii.String(region)},
			})
			awsevents.NewCfnRule(stack, jsii.String("Rule"), &awsevents.CfnRuleProps{
				EventPattern: map[string]any{
					"detail-type": []any{strings.Repeat("x", tc.pad)},
					"region":      []any{awscdk.Aws_REGION()},
				},
			})
			app.Synth(nil)
			findings, err := quota.Check(dir)
			if err != nil {
				t.Fatal(err)
			}
			if tc.measured == 0 {
				if len(findings) > 0 {
					t.Errorf("findings %v, want none", findings)
				}
				return
			}
			if len(findings) != 1 {
				t.Fatalf("findings %v, want one", findings)
			}
			f := findings[0]
			if f.Quota.ID != quota.EventPatternSize.ID || f.Measured != tc.measured || f.Stack != "Quota" || f.Path != "Quota/Rule" {
				t.Errorf("finding %+v, want the event pattern of Quota/Rule at %d characters", f, tc.measured)
			}
			// Synth fails on it exactly as on a compliance finding.
			report := &compliance.Report{}
			report.AddQuota(findings)
			if len(report.Findings) != 1 || report.Quota() != 1 || !strings.Contains(report.Findings[0].String(), "Quota/Rule") {
				t.Errorf("report findings %v, want the quota finding at Quota/Rule", report.Findings)
			}
		})
	}
}

// TestQuotaGateFailsSynth runs a whole synth of a config whose forwarding rules match so
// many detail types that their pattern exceeds the quota: the report names each forwarding
// rule, and no replicated member stack is emitted; with the quota raised in the config, the
// synth passes the gate.
func TestQuotaGateFailsSynth(t *testing.T) {
	cfg, err := config.Load(examples.DefaultName, examples.Default)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Quotas.Raised = nil // AWS's default quotas
	for i := range 100 {
		cfg.EventStream.ExtraDetailTypes = append(cfg.EventStream.ExtraDetailTypes, fmt.Sprintf("Custom Detail Type %03d", i))
	}
	dir := t.TempDir()
	s, err := synthesizeWith(cfg, dir, synth.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range s.report.Findings {
		if f.Plugin == compliance.QuotaPlugin && f.Rule == quota.EventPatternSize.ID {
			got = append(got, f.Resources[0])
		}
	}
	for _, want := range []string{
		"trailguard-member-workloads-prod-eu-west-1 EventForwarder8CC64145 (trailguard-member-workloads-prod-eu-west-1/EventForwarder/Resource)",
		"trailguard-member-workloads-prod-eu-west-1 EventForwarderBusRule92723882 (trailguard-member-workloads-prod-eu-west-1/EventForwarder/BusRule)",
	} {
		if !slices.Contains(got, want) {
			t.Errorf("event pattern findings at %q, want one at %s", got, want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "trailguard-member-workloads-dev-eu-west-1.template.json")); !os.IsNotExist(err) {
		t.Errorf("replicated member stack emitted despite the quota findings (stat: %v)", err)
	}
	var qr struct {
		Findings []struct {
			Quota, LogicalID string
		} `json:"findings"`
	}
	if err := readJSON(filepath.Join(dir, quota.ReportFile), &qr); err != nil {
		t.Fatal(err)
	}
	if len(qr.Findings) != s.report.Quota() {
		t.Errorf("%s lists %d findings, want the report's %d", quota.ReportFile, len(qr.Findings), s.report.Quota())
	}

	// With the quota raised with Service Quotas (and the gate told so), the same synth passes
	// the gate and emits the replicas.
	cfg.Quotas.Raised = map[string]int{quota.EventPatternSize.ID: 4096}
	dir = t.TempDir()
	if s, err = synthesizeWith(cfg, dir, synth.Options{}); err != nil {
		t.Fatal(err)
	}
	if n := s.report.Quota(); n > 0 {
		t.Errorf("quota raised to 4,096: %d quota findings, want none: %v", n, s.report.Findings)
	}
	if _, err := os.Stat(filepath.Join(dir, "trailguard-member-workloads-dev-eu-west-1.template.json")); err != nil {
		t.Errorf("quota raised: replicated member stack not emitted: %v", err)
	}
}
