// Package compliance adds trailguard's compliance gates to a CDK app and reads their verdict.
// The AWS quota gate beside them is package quota; its findings join the same Report.
//
// Two engines run in-process during synth:
//
//   - cdk-nag rule packs (AwsSolutions, NIST 800-53 R5, HIPAA Security, PCI DSS 3.2.1) as
//     Aspects on the app. A deliberate exception is a cdk-nag suppression with a reason,
//     added next to the construct it concerns: compliance.Suppress(construct, "why",
//     "AwsSolutions-S1"), or SuppressMatching to except only some findings of a rule.
//   - the AWS Control Tower proactive controls (Guard rules from the npm package
//     @cdklabs/cdk-validator-cfnguard) through aws-cdk-lib's CloudFormationValidatePlugin,
//     which also runs CloudFormation's own schema checks. A deliberate exception is an
//     acknowledgement with a reason next to the construct:
//     compliance.Acknowledge(construct, "s3_bucket_replication_enabled_check", "why"); the
//     rule name is the one the report shows (the Control Tower id, e.g. ct_s3_pr_1, is in
//     its category).
//
// With the feature flag @aws-cdk/core:annotationsInValidationReport (in cdk.json), cdk-nag's
// findings land in the same validation report as the Guard rules' findings. Check reads that
// report after synth and counts every unsuppressed finding, warnings included: the gate is
// zero findings. The trailguard constructs' own warnings about imported resources (ids
// starting with ManualStepPrefix) are steps to take by hand, not findings: Report.ManualSteps.
//
// An app of your own gets all of it, with the AWS quota gate, in one call: Synth(app, nil)
// after adding the stacks.
package compliance

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/trailguard/trailguard/compliance/quota"
)

// GuardRulesDir is where the Control Tower Guard rules are, relative to the project root,
// once `npm ci` has installed the pinned @cdklabs/cdk-validator-cfnguard.
const GuardRulesDir = "node_modules/@cdklabs/cdk-validator-cfnguard/rules/control-tower/cfn-guard"

// GuardServices are the rule folders for the services trailguard's stacks use.
var GuardServices = []string{
	"cloudtrail",
	"cloudwatch",
	"dynamodb",
	"identityandaccessmanagement",
	"keymanagementservice",
	"kinesis",
	"lambda",
	"s3",
	"sqs",
}

// NagPacks are the cdk-nag rule packs every stack is checked against.
var NagPacks = []string{"AwsSolutions", "NIST.800.53.R5", "HIPAA.Security", "PCI.DSS.321"}

// LoadGuardRules reads the Guard rule files of services from rules, a file system rooted at
// GuardRulesDir. It fails when a service has no rules, so a moved or missing package cannot
// silently switch the gate off.
func LoadGuardRules(rules fs.FS, services []string) ([]*awscdk.ValidationRuleSource, error) {
	var out []*awscdk.ValidationRuleSource
	for _, svc := range services {
		files, err := fs.Glob(rules, path.Join(svc, "*.guard"))
		if err != nil {
			return nil, err
		}
		if len(files) == 0 {
			return nil, fmt.Errorf("no Control Tower Guard rules for %s in %s: run `npm ci` to install @cdklabs/cdk-validator-cfnguard", svc, GuardRulesDir)
		}
		sort.Strings(files)
		for _, f := range files {
			content, err := fs.ReadFile(rules, f)
			if err != nil {
				return nil, err
			}
			out = append(out, &awscdk.ValidationRuleSource{
				Name:    jsii.String(strings.TrimSuffix(path.Base(f), ".guard")),
				Content: jsii.String(string(content)),
			})
		}
	}
	return out, nil
}

// Gates are the compliance gates of one synth: the cdk-nag packs and one Control Tower Guard
// rule engine, shared by every app of the synth (the engine is a WebAssembly module whose
// memory is worth sharing).
type Gates struct {
	plugin awscdk.CloudFormationValidatePlugin
}

// NewGates prepares the gates with the given Guard rules.
func NewGates(guardRules []*awscdk.ValidationRuleSource) *Gates {
	return &Gates{plugin: awscdk.NewCloudFormationValidatePlugin(&awscdk.CloudFormationValidatePluginProps{
		GuardRules:          &guardRules,
		IncludeDefaultRules: jsii.Bool(true),
	})}
}

// Apply adds the cdk-nag packs and the Guard rules to app. Aspects added to the app reach
// every stack directly under it; trailguard puts no stack inside a Stage, where they would not.
func (g *Gates) Apply(app awscdk.App) {
	props := &cdknag.NagPackProps{Verbose: jsii.Bool(true), Reports: jsii.Bool(false)}
	aspects := awscdk.Aspects_Of(app)
	aspects.Add(cdknag.NewAwsSolutionsChecks(props), nil)
	aspects.Add(cdknag.NewNIST80053R5Checks(props), nil)
	aspects.Add(cdknag.NewHIPAASecurityChecks(props), nil)
	aspects.Add(cdknag.NewPCIDSS321Checks(props), nil)
	awscdk.Validations_Of(app).AddPlugins(g.plugin)
}

// Suppress records a deliberate exception to the cdk-nag rules ids for scope and everything
// below it. reason is shown in the report; it must convince a security reviewer.
func Suppress(scope constructs.IConstruct, reason string, ids ...string) {
	s := make([]*cdknag.NagPackSuppression, len(ids))
	for i, id := range ids {
		s[i] = &cdknag.NagPackSuppression{Id: jsii.String(id), Reason: jsii.String(reason)}
	}
	cdknag.NagSuppressions_AddResourceSuppressions(scope, &s, jsii.Bool(true))
}

// SuppressMatching records a deliberate exception to those findings of the cdk-nag rule id,
// for scope and everything below it, that match one of patterns (ECMA-262 regular
// expressions over cdk-nag's finding ids, e.g. "Resource::arn:aws:logs:...:log-stream:x*" for
// AwsSolutions-IAM5). Other findings of the rule still fail the gate.
func SuppressMatching(scope constructs.IConstruct, id, reason string, patterns ...string) {
	appliesTo := make([]any, len(patterns))
	for i, p := range patterns {
		appliesTo[i] = &cdknag.RegexAppliesTo{Regex: jsii.String("/" + p + "/")} // cdk-nag wants /regex/flags
	}
	cdknag.NagSuppressions_AddResourceSuppressions(scope, &[]*cdknag.NagPackSuppression{{
		Id: jsii.String(id), Reason: jsii.String(reason), AppliesTo: &appliesTo,
	}}, jsii.Bool(true))
}

// guardNamespace is the namespace aws-cdk-lib gives the CloudFormationValidatePlugin's rules
// in acknowledgement ids.
const guardNamespace = "CloudFormation-Validate::"

// Acknowledge records a deliberate exception to the Guard or CloudFormation rule named rule
// (as the validation report names it) for scope and everything below it. reason is shown in
// the report; it must convince a security reviewer.
func Acknowledge(scope constructs.IConstruct, rule, reason string) {
	awscdk.Validations_Of(scope).Acknowledge(&awscdk.Acknowledgment{
		Id:     jsii.String(guardNamespace + rule),
		Reason: jsii.String(reason),
	})
}

// Finding is one unsuppressed violation in the validation report.
type Finding struct {
	// Plugin is the engine that reported it, e.g. "CloudFormation Validate" or the
	// annotations plugin carrying cdk-nag's findings.
	Plugin string
	// Rule is the rule id, e.g. "AwsSolutions-S1" or a Guard rule name.
	Rule string
	// Severity is "error", "warning", ...
	Severity string
	// Description says what is wrong.
	Description string
	// Resources are the construct paths (or logical ids) that violate the rule.
	Resources []string
}

// String is the finding as the synth prints it: severity, rule, description and the resources.
func (f Finding) String() string {
	return fmt.Sprintf("[%s] %s: %s\n      at %s", f.Severity, f.Rule, oneLine(f.Description), strings.Join(f.Resources, "\n         "))
}

// Report is the verdict of the gates for one synth.
type Report struct {
	// Findings are the unsuppressed violations; the gate passes when there are none.
	Findings []Finding
	// Suppressed counts the acknowledged or suppressed violations (each has a reason).
	Suppressed int
	// ManualSteps are the trailguard constructs' synth warnings about resources they cannot
	// wire (ids starting with ManualStepPrefix): a statement to add to an imported key's,
	// topic's or queue's policy, a notification to set on an imported bucket, each with the
	// JSON to paste. They are no compliance findings (the templates are compliant) but what
	// the app needs at run time: print them, do them, then acknowledge each warning by its id
	// (awscdk.Annotations_Of(scope).AcknowledgeWarning) so that it is no longer reported.
	ManualSteps []Finding
}

// ManualStepPrefix starts the id of every synth warning of a trailguard construct that asks
// for a step by hand (e.g. detection.WarningArchiveBucketNotification).
const ManualStepPrefix = "trailguard:"

// Add adds other's findings, suppressions and manual steps to r (for apps synthesized on
// their own).
func (r *Report) Add(other *Report) {
	r.Findings = append(r.Findings, other.Findings...)
	r.Suppressed += other.Suppressed
	r.ManualSteps = append(r.ManualSteps, other.ManualSteps...)
}

// QuotaPlugin is the Plugin of the findings of the AWS quota gate (package quota).
const QuotaPlugin = "AWS quotas"

// AddQuota adds the AWS quota gate's findings to r. They cannot be suppressed: a template
// over a quota does not deploy.
func (r *Report) AddQuota(fs []quota.Finding) {
	for _, f := range fs {
		r.Findings = append(r.Findings, Finding{
			Plugin:      QuotaPlugin,
			Rule:        f.Quota.ID,
			Severity:    "error",
			Description: f.Message(),
			Resources:   []string{f.Location()},
		})
	}
}

// Quota counts r's findings of the AWS quota gate.
func (r *Report) Quota() int {
	n := 0
	for _, f := range r.Findings {
		if f.Plugin == QuotaPlugin {
			n++
		}
	}
	return n
}

// report mirrors the parts of aws-cdk-lib's validation-report.json that Check reads.
type report struct {
	PluginReports []struct {
		PluginName string `json:"pluginName"`
		Violations []struct {
			RuleName            string `json:"ruleName"`
			Description         string `json:"description"`
			Severity            string `json:"severity"`
			ViolatingConstructs []struct {
				ConstructPath string `json:"constructPath"`
				Resource      *struct {
					TemplatePath string `json:"templatePath"`
					LogicalID    string `json:"logicalId"`
				} `json:"cloudFormationResource"`
			} `json:"violatingConstructs"`
		} `json:"violations"`
		Suppressed []json.RawMessage `json:"suppressedViolations"`
	} `json:"pluginReports"`
}

// ReportFile is the name of the validation report aws-cdk-lib writes into the cloud assembly.
const ReportFile = "validation-report.json"

// Check reads the validation report in the cloud assembly directory outdir. A missing report
// means no validation plugin ran and no annotation was reported, i.e. nothing was found.
func Check(outdir string) (*Report, error) {
	data, err := os.ReadFile(filepath.Join(outdir, ReportFile))
	if os.IsNotExist(err) {
		return &Report{}, nil
	}
	if err != nil {
		return nil, err
	}
	var r report
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("read %s: %w", ReportFile, err)
	}
	out := &Report{}
	for _, pr := range r.PluginReports {
		out.Suppressed += len(pr.Suppressed)
		for _, v := range pr.Violations {
			if !slices.Contains([]string{"error", "fatal", "warning"}, v.Severity) {
				continue // informational and debug notes are not findings
			}
			f := Finding{Plugin: pr.PluginName, Rule: v.RuleName, Severity: v.Severity, Description: v.Description}
			// cdk-nag's findings arrive as annotations ("Annotation::error-annotation") whose
			// message starts with the rule id: "AwsSolutions-S1: The S3 Bucket ...".
			if strings.HasPrefix(v.RuleName, "Annotation::") {
				if id, rest, ok := strings.Cut(v.Description, ": "); ok && !strings.Contains(id, " ") {
					f.Rule, f.Description = id, rest
				}
			}
			for _, c := range v.ViolatingConstructs {
				where := c.ConstructPath
				if c.Resource != nil {
					where += " (" + filepath.Base(c.Resource.TemplatePath) + " " + c.Resource.LogicalID + ")"
				}
				f.Resources = append(f.Resources, where)
			}
			// A construct's warning arrives as "Construct-Annotations::<its id>".
			if i := strings.LastIndex(v.RuleName, "::"); i >= 0 && v.Severity == "warning" && strings.HasPrefix(v.RuleName[i+2:], ManualStepPrefix) {
				id := v.RuleName[i+2:]
				f.Rule = id
				out.ManualSteps = append(out.ManualSteps, f)
				continue
			}
			out.Findings = append(out.Findings, f)
		}
	}
	return out, nil
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
