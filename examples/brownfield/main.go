// Command brownfield is an example of trailguard's constructs added to an organization that
// already has its logging: an organization trail delivering to a log archive bucket and KMS
// key made years ago, and a security alert topic the pager subscribes to. They are imported
// by name and ARN, and the app adds what trailguard brings on top, in a module of its own
// (cdk.json: "go run ."):
//
//   - brownfield-security (Security account, home region): trailguard's protective policy on
//     the existing archive (logarchive on ExistingBucket and ExistingKey), the event stream
//     (eventsink, alerts to the ExistingAlertTopic), and the detection functions over the
//     stream and the archive with Acme's own rule (rules/);
//   - brownfield-workload-<region> (a member account, three regions): the event forwarder.
//
// It synthesizes with trailguard's compliance gates and the AWS quota gate in one call
// (compliance.Synth) and exits 1 on any finding. What the constructs cannot do to an imported
// resource (a key's or topic's policy, a bucket's notification) they leave as synth warnings,
// each with the JSON to paste: the app prints them as the steps to do by hand
// (compliance.Report.ManualSteps), and they are no findings.
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

func main() {
	os.Exit(run(os.Stderr))
}

// run synthesizes the app with the gates and returns the exit code.
func run(stderr io.Writer) (code int) {
	defer jsii.Close()
	defer func() {
		// Every CDK error reaches Go as a panic (e.g. a construct's invalid props).
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "brownfield: synth failed: %v\n", r)
			code = 1
		}
	}()

	app := awscdk.NewApp(nil)
	stacks := []awscdk.Stack{newSecurityStack(app)}
	for _, region := range regions {
		stacks = append(stacks, newWorkloadStack(app, region))
	}
	report, outdir, err := compliance.Synth(app, nil)
	if err != nil {
		fmt.Fprintf(stderr, "brownfield: %v\n", err)
		return 1
	}
	fmt.Fprintf(stderr, "brownfield: %d stack(s); gates: %d finding(s), %d suppressed by the constructs with a reason; %d step(s) to do by hand\n",
		len(stacks), len(report.Findings), report.Suppressed, len(report.ManualSteps))
	// The imported resources' part: each step says what to add, with the JSON. Once a step is
	// done, acknowledge its warning by id (awscdk.Annotations_Of(stack).AcknowledgeWarning)
	// and it is no longer listed.
	for i, s := range report.ManualSteps {
		fmt.Fprintf(stderr, "  step %d: %s\n", i+1, s)
	}
	if len(report.Findings) > 0 {
		for _, f := range report.Findings {
			fmt.Fprintf(stderr, "  %s\n", f)
		}
		fmt.Fprintf(stderr, "brownfield: reports in %s and %s\n",
			filepath.Join(outdir, compliance.ReportFile), filepath.Join(outdir, quota.ReportFile))
		return 1
	}
	return 0
}

// newStack creates a stack named name in account and region, protected from deletion.
func newStack(scope constructs.Construct, name, account, region, description string) awscdk.Stack {
	stack := awscdk.NewStack(scope, jsii.String(name), &awscdk.StackProps{
		Env:                   &awscdk.Environment{Account: jsii.String(account), Region: jsii.String(region)},
		Description:           jsii.String(description),
		TerminationProtection: jsii.Bool(true),
	})
	awscdk.Tags_Of(stack).Add(jsii.String("team"), jsii.String("security"), nil)
	return stack
}
