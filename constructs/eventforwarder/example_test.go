package eventforwarder_test

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/trailguard/trailguard/constructs/eventforwarder"
	"github.com/trailguard/trailguard/constructs/eventsink"
)

// A member account's forwarder. The same template works in every account and region: in
// the stream's region it delivers directly, elsewhere through the receiving bus.
func ExampleNewEventForwarder() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Member"), nil)
	eventforwarder.NewEventForwarder(stack, jsii.String("EventForwarder"), &eventforwarder.EventForwarderProps{
		StreamArn:       jsii.String("arn:aws:kinesis:eu-west-1:222222222222:stream/trailguard-security-events"),
		StreamKeyAlias:  jsii.String("alias/trailguard/security-events"),
		ReceivingBusArn: jsii.String("arn:aws:events:eu-west-1:222222222222:event-bus/trailguard-security-events"),
	})
	app.Synth(nil)
}

// The Security account's home-region forwarder beside the sink, in one stack: the stream's
// and bus's ARNs are tokens, so the home region and account are given.
func ExampleNewEventForwarder_sinkStack() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Security"), &awscdk.StackProps{
		Env: &awscdk.Environment{Account: jsii.String("222222222222"), Region: jsii.String("eu-west-1")},
	})
	sink := eventsink.NewEventSink(stack, jsii.String("EventSink"), &eventsink.EventSinkProps{
		OrganizationId:           jsii.String("o-a1b2c3d4e5"),
		StreamName:               jsii.String("trailguard-security-events"),
		BusName:                  jsii.String("trailguard-security-events"),
		KeyAlias:                 jsii.String("alias/trailguard/security-events"),
		StreamProducerRoleName:   jsii.String(eventforwarder.StreamRoleName("eu-west-1")),
		BusSenderRoleNamePattern: jsii.String(eventforwarder.BusRoleNamePattern),
	})
	eventforwarder.NewEventForwarder(stack, jsii.String("EventForwarder"), &eventforwarder.EventForwarderProps{
		StreamArn:       sink.Stream().StreamArn(),
		ReceivingBusArn: sink.Bus().EventBusArn(),
		StreamRegion:    stack.Region(),
		StreamAccount:   stack.Account(),
		StreamKeyAlias:  jsii.String("alias/trailguard/security-events"),
	})
	app.Synth(nil)
}
