package compliance

import (
	"fmt"
	"os"

	"github.com/aws/aws-cdk-go/awscdk/v2"

	"github.com/trailguard/trailguard/compliance/quota"
	"github.com/trailguard/trailguard/internal/assembly"
)

// SynthOptions configure Synth.
type SynthOptions struct {
	// Gates are the gates to apply, to share one Guard rule engine between synths.
	// Default: NewGates with the rules of GuardServices in GuardRulesDir.
	Gates *Gates
	// GuardRulesDir holds the Control Tower Guard rules (GuardRulesDir of an npm install of
	// @cdklabs/cdk-validator-cfnguard).
	// Default: FindGuardRulesDir("."), from the working directory up (the cdk CLI runs the
	// app in the directory of cdk.json). Unused with Gates.
	GuardRulesDir string
	// Quotas configure the AWS quota gate, e.g. quotas raised for the accounts deployed to.
	// Default: the AWS default quotas, templates rendered at their longest.
	Quotas quota.Options
}

// Synth runs trailguard's gates over a whole app the way trailguard's own app does: it
// applies the cdk-nag packs and the Guard rules of GuardServices (Gates.Apply), synthesizes
// app, reads the validation report (Check), checks every template against the AWS quotas and
// writes the quota report beside the validation report. When the report has findings, or a
// step fails, it clears the cloud assembly but for the two reports, so that nothing
// non-compliant is left to deploy. It returns the verdict and the assembly directory.
//
// Add every stack to app first: the aspects reach only stacks directly under the app, not
// inside a Stage. app needs the context values of FeatureFlags, which trailguard's cdk.json
// has (under the cdk CLI, from the app's own cdk.json): @aws-cdk/core:annotationsInValidationReport,
// without which cdk-nag's findings never reach the report; @aws-cdk/core:failSynthOnValidationErrors
// false, so that synth writes the report instead of failing; @aws-cdk/core:enablePartitionLiterals,
// without which imported resources' ARNs defeat the Guard rules. Synth checks them first and
// returns an error naming each one missing and why. CDK errors (invalid props) surface as
// panics, as everywhere in aws-cdk-go.
//
// The trailguard constructs' warnings about imported resources are in report.ManualSteps, not
// in report.Findings: print them (each carries the JSON to paste) and acknowledge each once done.
//
//	app := awscdk.NewApp(nil)
//	buildStacks(app)
//	report, outdir, err := compliance.Synth(app, nil)
//	if err != nil || len(report.Findings) > 0 { ... exit 1 }
func Synth(app awscdk.App, opts *SynthOptions) (report *Report, outdir string, err error) {
	if opts == nil {
		opts = &SynthOptions{}
	}
	if err := CheckFeatureFlags(app); err != nil {
		return nil, "", err
	}
	quotas, err := quota.NewGate(opts.Quotas)
	if err != nil {
		return nil, "", err
	}
	gates := opts.Gates
	if gates == nil {
		dir := opts.GuardRulesDir
		if dir == "" {
			if dir, err = FindGuardRulesDir("."); err != nil {
				return nil, "", err
			}
		}
		rules, err := LoadGuardRules(os.DirFS(dir), GuardServices)
		if err != nil {
			return nil, "", err
		}
		gates = NewGates(rules)
	}

	gates.Apply(app)
	outdir = *app.Synth(nil).Directory()
	defer func() {
		if err != nil || len(report.Findings) > 0 {
			assembly.Clear(outdir, ReportFile, quota.ReportFile)
		}
	}()
	if report, err = Check(outdir); err != nil {
		return nil, outdir, fmt.Errorf("reading the compliance report: %w", err)
	}
	qf, err := quotas.Check(outdir)
	if err != nil {
		return nil, outdir, fmt.Errorf("checking the AWS quotas: %w", err)
	}
	report.AddQuota(qf)
	if err = quota.WriteReport(outdir, qf); err != nil {
		return nil, outdir, err
	}
	return report, outdir, nil
}
