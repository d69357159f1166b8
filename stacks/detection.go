package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/trailguard/trailguard/constructs/detection"
	"github.com/trailguard/trailguard/constructs/eventsink"
)

// addDetection adds the detection functions to the Security stack: the stream function reading
// the sink's stream, publishing to its alert topic and to the integrations bus.
func addDetection(stack awscdk.Stack, sink eventsink.EventSink) detection.Detection {
	d := detection.NewDetection(stack, jsii.String("Detection"), &detection.DetectionProps{
		Stream:     sink.Stream(),
		StreamKey:  sink.StreamKey(),
		AlertTopic: sink.AlertTopic(),
		AlertKey:   sink.AlertKey(),
	})
	output(stack, "AlertBusArn", d.AlertBus().EventBusArn(), "The event bus the detection functions put alerts on, for integrations")
	output(stack, "DetectionFailureQueueUrl", d.FailureQueue().QueueUrl(), "The queue holding the stream records that failed detection after every retry")
	return d
}
