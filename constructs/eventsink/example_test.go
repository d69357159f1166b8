package eventsink_test

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskinesis"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
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

// A sink over a stream the app already defines, an existing bus and an existing alert topic.
func ExampleNewEventSink_bringYourOwn() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Security"), &awscdk.StackProps{
		Env: &awscdk.Environment{Account: jsii.String("222222222222"), Region: jsii.String("eu-west-1")},
	})
	key := awskms.NewKey(stack, jsii.String("StreamKey"), &awskms.KeyProps{EnableKeyRotation: jsii.Bool(true)})
	stream := awskinesis.NewStream(stack, jsii.String("Stream"), &awskinesis.StreamProps{
		StreamName: jsii.String("trailguard-security-events"), StreamMode: awskinesis.StreamMode_ON_DEMAND,
		Encryption: awskinesis.StreamEncryption_KMS, EncryptionKey: key,
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(7)), RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	eventsink.NewEventSink(stack, jsii.String("EventSink"), &eventsink.EventSinkProps{
		OrganizationId:           jsii.String("o-a1b2c3d4e5"),
		StreamProducerRoleName:   jsii.String("trailguard-forwarder-stream-eu-west-1"),
		BusSenderRoleNamePattern: jsii.String("trailguard-forwarder-bus-*"),
		ExistingStream:           stream, // its key comes with it
		ExistingBus: awsevents.EventBus_FromEventBusArn(stack, jsii.String("Bus"),
			jsii.String("arn:aws:events:eu-west-1:222222222222:event-bus/trailguard-security-events")),
		ExistingAlertTopic: awssns.Topic_FromTopicArn(stack, jsii.String("Alerts"),
			jsii.String("arn:aws:sns:eu-west-1:222222222222:security-alerts")),
	})
	// After adding the statements the warning lists to the topic's (and its key's) policy:
	awscdk.Annotations_Of(stack).AcknowledgeWarning(jsii.String(eventsink.WarningAlertTopicPolicy), jsii.String("statements added"))
	app.Synth(nil)
}
