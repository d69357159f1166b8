package eventsink_test

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/trailguard/trailguard/constructs/eventsink"
)

// The Security account's sink: the stream, the receiving bus and the alerts.
func ExampleNewEventSink() {
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
		AlertEmails:              jsii.Strings("security-oncall@example.com"),
	})
	_ = sink.Stream() // e.g. grant a consumer: sink.Stream().GrantRead(role)
	app.Synth(nil)
}
