// Command platform is an example of a platform team's own CDK Go app built from trailguard's
// constructs, in a module of its own (cdk.json: "go run ."). It lays out its organization's
// logging in its own stacks:
//
//   - platform-security-logging (Security account, home region): log archive, event stream,
//     detection functions;
//   - platform-org-trail (management account, home region): organization trail, guardrails;
//   - platform-workload-<region> (a member account, every region): event forwarder, and in the
//     home region the local trail and the Event History reader role;
//   - platform-management-<region>, platform-security-<region>: the management and Security
//     accounts' forwarders (the organization trail records them: no local trail).
//
// It synthesizes with trailguard's compliance gates and the AWS quota gate in one call
// (compliance.Synth) and exits 1 on any finding, leaving the reports but no deployable
// templates.
package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/trailguard/trailguard/compliance"
	"github.com/trailguard/trailguard/compliance/quota"
)

// stackPrefix starts every stack name; the guardrails protect the stacks by it.
const stackPrefix = "platform-"

func main() {
	os.Exit(run(os.Stderr))
}

// run synthesizes the app with the gates and returns the exit code.
func run(stderr io.Writer) (code int) {
	defer jsii.Close()
	defer func() {
		// Every CDK error reaches Go as a panic (e.g. a construct's invalid props).
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "platform: synth failed: %v\n", r)
			code = 1
		}
	}()

	app := awscdk.NewApp(nil)
	stacks := build(app)
	// The gates as trailguard's own app runs them. The Guard rules come from the npm package
	// the project installed, found from here upwards: this app finds the repository's.
	report, outdir, err := compliance.Synth(app, nil)
	if err != nil {
		fmt.Fprintf(stderr, "platform: %v\n", err)
		return 1
	}
	fmt.Fprintf(stderr, "platform: %d stack(s); gates: %d finding(s), %d suppressed by the constructs with a reason\n",
		len(stacks), len(report.Findings), report.Suppressed)
	// What the constructs could not wire for an imported resource (none here): the JSON to
	// add by hand, printed for the operator.
	for _, f := range report.ManualSteps {
		fmt.Fprintf(stderr, "platform: to do by hand: %s\n", f)
	}
	if len(report.Findings) > 0 {
		for _, f := range report.Findings {
			fmt.Fprintf(stderr, "  %s\n", f)
		}
		// Synth left only the reports: a non-compliant cloud assembly must not be deployable.
		fmt.Fprintf(stderr, "platform: reports in %s and %s\n",
			filepath.Join(outdir, compliance.ReportFile), filepath.Join(outdir, quota.ReportFile))
		return 1
	}
	return 0
}

// build adds every stack of the organization to app.
func build(app awscdk.App) []awscdk.Stack {
	stacks := []awscdk.Stack{newSecurityLoggingStack(app), newOrgTrailStack(app)}
	for _, region := range regions {
		stacks = append(stacks,
			newAccountStack(app, stackPrefix+"workload", workloadAccount, region, true),
			newAccountStack(app, stackPrefix+"management", managementAccount, region, false),
			newAccountStack(app, stackPrefix+"security", securityAccount, region, false))
	}
	return stacks
}

// newStack creates a stack named name in account and region, protected from deletion. The
// trailguard constructs tag what they create with guardrails.TagKey themselves, by which the
// guardrails protect it; newPlatformKey tags the platform's own keys.
func newStack(scope constructs.Construct, name, account, region, description string) awscdk.Stack {
	stack := awscdk.NewStack(scope, jsii.String(name), &awscdk.StackProps{
		Env:                   &awscdk.Environment{Account: jsii.String(account), Region: jsii.String(region)},
		Description:           jsii.String(description),
		TerminationProtection: jsii.Bool(true),
	})
	awscdk.Tags_Of(stack).Add(jsii.String("team"), jsii.String("platform"), nil)
	return stack
}
