package eventdlq_test

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/jsii-runtime-go"

	"github.com/trailguard/trailguard/constructs/eventdlq"
)

// A dead-letter queue for the targets of one rule; pass Queue().QueueArn() as the target's
// DeadLetterConfig.
func ExampleNewDeadLetterQueue() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Stack"), nil)
	key := awskms.NewKey(stack, jsii.String("Key"), &awskms.KeyProps{EnableKeyRotation: jsii.Bool(true)})
	topic := awssns.NewTopic(stack, jsii.String("OnCall"), &awssns.TopicProps{MasterKey: key, EnforceSSL: jsii.Bool(true)})
	dlq := eventdlq.NewDeadLetterQueue(stack, jsii.String("DeadLetters"), &eventdlq.DeadLetterQueueProps{
		EncryptionKey:  key,
		SourceRuleArns: jsii.Strings("arn:aws:events:eu-west-1:111111111111:rule/my-rule"),
		AlarmTopic:     topic,
	})
	_ = dlq.Queue().QueueArn()
	app.Synth(nil)
}

// A dead-letter queue that already exists: the construct adds its alarm; the statement for
// the imported queue's policy comes as a synth warning.
func ExampleNewDeadLetterQueue_existingQueue() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Stack"), nil)
	queue := awssqs.Queue_FromQueueArn(stack, jsii.String("Queue"), jsii.String("arn:aws:sqs:eu-west-1:111111111111:my-dead-letters"))
	topic := awssns.Topic_FromTopicArn(stack, jsii.String("OnCall"), jsii.String("arn:aws:sns:eu-west-1:111111111111:on-call"))
	eventdlq.NewDeadLetterQueue(stack, jsii.String("Imported"), &eventdlq.DeadLetterQueueProps{
		ExistingQueue:  queue,
		SourceRuleArns: jsii.Strings("arn:aws:events:eu-west-1:111111111111:rule/my-rule"),
		AlarmTopic:     topic,
	})
	// after adding the statement to the queue's policy:
	awscdk.Annotations_Of(stack).AcknowledgeWarning(jsii.String(eventdlq.WarningQueuePolicy), jsii.String("added by hand"))
	app.Synth(nil)
}
