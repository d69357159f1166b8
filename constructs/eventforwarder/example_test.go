package eventforwarder_test

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/trailguard/trailguard/constructs/eventforwarder"
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
