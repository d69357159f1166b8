package detection_test

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/trailguard/trailguard/constructs/detection"
	"github.com/trailguard/trailguard/constructs/eventsink"
)

// The detection functions beside the Security account's sink. The function code is built from
// this module at synth: the go command must be installed, and a module of your own must
// require github.com/trailguard/trailguard.
func ExampleNewDetection() {
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
		Stream:     sink.Stream(),
		StreamKey:  sink.StreamKey(),
		AlertTopic: sink.AlertTopic(),
		AlertKey:   sink.AlertKey(),
		BatchSize:  jsii.Number(500),
	})
	_ = d.AlertBus() // e.g. a rule sending critical alerts to a pager
	app.Synth(nil)
}
