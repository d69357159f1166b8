package eventdlq_test

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
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
