package coveragemonitor_test

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/jsii-runtime-go"

	"github.com/trailguard/trailguard/constructs/coveragemonitor"
	"github.com/trailguard/trailguard/constructs/detection"
	"github.com/trailguard/trailguard/constructs/eventsink"
	"github.com/trailguard/trailguard/coverage"
)

// The coverage monitor beside the detection functions: the stream function records the
// heartbeats every forwarder sends, the monitor alerts when an expected account and region
// falls silent. The function code is built from this module at synth, like detection's.
func ExampleNewCoverageMonitor() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Security"), &awscdk.StackProps{
		Env: &awscdk.Environment{Account: jsii.String("222222222222"), Region: jsii.String("eu-west-1")},
	})
	sink := eventsink.NewEventSink(stack, jsii.String("EventSink"), &eventsink.EventSinkProps{
		OrganizationId:           jsii.String("o-a1b2c3d4e5"),
		StreamName:               jsii.String("trailguard-security-events"),
		BusName:                  jsii.String("trailguard-security-events"),
		KeyAlias:                 jsii.String("alias/trailguard/security-events"),
		StreamProducerRoleName:   jsii.String("trailguard-forwarder-stream-eu-west-1"),
		BusSenderRoleNamePattern: jsii.String("trailguard-forwarder-bus-*"),
	})
	d := detection.NewDetection(stack, jsii.String("Detection"), &detection.DetectionProps{
		Stream: sink.Stream(), StreamKey: sink.StreamKey(), AlertTopic: sink.AlertTopic(), AlertKey: sink.AlertKey(),
	})
	expected := &coverage.Expected{Complete: true}
	expected.Add("111111111111", "eu-west-1", "us-east-1")
	expected.Add("222222222222", "eu-west-1", "us-east-1")
	coveragemonitor.NewCoverageMonitor(stack, jsii.String("CoverageMonitor"), &coveragemonitor.CoverageMonitorProps{
		Expected:   expected,
		Recorder:   d.StreamFunction().(awslambda.Function),
		AlertTopic: sink.AlertTopic(),
		AlertKey:   sink.AlertKey(),
		AlertBus:   d.AlertBus(),
	})
	app.Synth(nil)
}
