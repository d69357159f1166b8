// Package eventdlq provides the dead-letter queue every trailguard EventBridge target uses: a
// KMS-encrypted SQS queue that keeps undelivered events for 14 days, accepts messages only from
// the rules it serves, and raises a CloudWatch alarm as soon as it holds a message, so that no
// event is lost silently.
//
// Usage (as in the package example, which go test compiles):
//
//	app := awscdk.NewApp(nil)
//	stack := awscdk.NewStack(app, jsii.String("Stack"), nil)
//	key := awskms.NewKey(stack, jsii.String("Key"), &awskms.KeyProps{EnableKeyRotation: jsii.Bool(true)})
//	topic := awssns.NewTopic(stack, jsii.String("OnCall"), &awssns.TopicProps{MasterKey: key, EnforceSSL: jsii.Bool(true)})
//	dlq := eventdlq.NewDeadLetterQueue(stack, jsii.String("DeadLetters"), &eventdlq.DeadLetterQueueProps{
//		EncryptionKey:  key,
//		SourceRuleArns: jsii.Strings("arn:aws:events:eu-west-1:111111111111:rule/my-rule"),
//		AlarmTopic:     topic,
//	})
//	_ = dlq.Queue().QueueArn()
package eventdlq

import (
	"errors"
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/trailguard/trailguard/compliance"
	"github.com/trailguard/trailguard/constructs/internal/delivery"
)

// RetentionDays is how long a dead-letter queue keeps undelivered events: the SQS maximum.
const RetentionDays = 14

// DeadLetterQueueProps configures a DeadLetterQueue.
type DeadLetterQueueProps struct {
	// EncryptionKey encrypts the queue. Its key policy must let events.amazonaws.com call
	// kms:GenerateDataKey and kms:Decrypt (EventBridge encrypts the messages it sends) without
	// aws:SourceAccount/aws:SourceArn conditions if the key also encrypts a topic EventBridge
	// publishes to (unsupported there), and let cloudwatch.amazonaws.com use the alarm
	// topic's key if that is the same key. Required.
	EncryptionKey awskms.IKey
	// SourceRuleArns are the ARNs of the EventBridge rules whose targets send failed events
	// here; only they may send messages. Required.
	SourceRuleArns *[]*string
	// AlarmTopic is notified when the queue holds a message. Its key, if any, must let
	// cloudwatch.amazonaws.com use it. Required: an alarm without an action would leave the
	// undelivered events unnoticed (and fails the CloudWatchAlarmAction rules of NIST 800-53,
	// HIPAA and PCI DSS).
	AlarmTopic awssns.ITopic
	// Description says which target the queue serves, in the alarm description.
	// Default: "an EventBridge target".
	Description *string
	// AlarmName names the alarm; give one when something matches alarms by name.
	// Default: a name CloudFormation generates.
	AlarmName *string
}

func (p *DeadLetterQueueProps) validate() error {
	if p == nil {
		return errors.New("eventdlq: props are required")
	}
	var errs []error
	if p.EncryptionKey == nil {
		errs = append(errs, errors.New("eventdlq: EncryptionKey is required: dead-letter queues hold event data and must be encrypted with a customer managed key"))
	}
	if p.AlarmTopic == nil {
		errs = append(errs, errors.New("eventdlq: AlarmTopic is required: the queue's alarm must notify someone, or undelivered events wait unnoticed; pass the topic your on-call subscribes to"))
	}
	if p.SourceRuleArns == nil || len(*p.SourceRuleArns) == 0 {
		errs = append(errs, errors.New("eventdlq: SourceRuleArns is required: the queue policy allows only the rules it serves"))
	} else {
		for i, a := range *p.SourceRuleArns {
			if a == nil || *a == "" {
				errs = append(errs, fmt.Errorf("eventdlq: SourceRuleArns[%d] must be a rule ARN, got an empty value", i))
			}
		}
	}
	return errors.Join(errs...)
}

// DeadLetterQueue is an encrypted SQS dead-letter queue for EventBridge targets with an alarm.
type DeadLetterQueue interface {
	constructs.Construct
	// Queue is the SQS queue; pass its ARN as a target's DeadLetterConfig.Arn.
	Queue() awssqs.IQueue
	// Alarm fires when the queue holds at least one message.
	Alarm() awscloudwatch.IAlarm
}

type deadLetterQueue struct {
	constructs.Construct
	queue awssqs.Queue
	alarm awscloudwatch.Alarm
}

// NewDeadLetterQueue creates the queue (child "Resource"), its policy and its alarm ("Alarm").
// It panics with a descriptive error if props are invalid.
func NewDeadLetterQueue(scope constructs.Construct, id *string, props *DeadLetterQueueProps) DeadLetterQueue {
	if err := props.validate(); err != nil {
		panic(err)
	}
	d := &deadLetterQueue{}
	constructs.NewConstruct_Override(d, scope, id)

	// Retained: an undelivered security event is evidence, and a deleted stack must not take
	// the only copy with it.
	d.queue = awssqs.NewQueue(d, jsii.String("Resource"), &awssqs.QueueProps{
		Encryption:          awssqs.QueueEncryption_KMS,
		EncryptionMasterKey: props.EncryptionKey,
		DataKeyReuse:        awscdk.Duration_Hours(jsii.Number(1)),
		RetentionPeriod:     awscdk.Duration_Days(jsii.Number(RetentionDays)),
		EnforceSSL:          jsii.Bool(true),
		RemovalPolicy:       awscdk.RemovalPolicy_RETAIN,
	})
	const reason = "This queue is itself a dead-letter queue: the DeadLetterConfig of an EventBridge rule target, which CloudFormation records on the rule, not as an SQS RedrivePolicy. " +
		"A dead-letter queue of a dead-letter queue would only move the same messages; its alarm makes any message visible instead."
	cdknag.NagSuppressions_AddResourceSuppressions(d.queue, &[]*cdknag.NagPackSuppression{{
		Id: jsii.String("AwsSolutions-SQS3"), Reason: jsii.String(reason),
	}}, jsii.Bool(true))
	compliance.Acknowledge(d.queue, "sqs_dlq_check", reason)
	d.queue.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowEventBridgeDeadLetters"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("events.amazonaws.com"), nil)},
		Actions:    jsii.Strings("sqs:SendMessage"),
		Resources:  &[]*string{d.queue.QueueArn()},
		Conditions: &map[string]interface{}{
			"ArnEquals": map[string]interface{}{"aws:SourceArn": props.SourceRuleArns},
		},
	}))

	desc := "an EventBridge target"
	if props.Description != nil {
		desc = *props.Description
	}
	d.alarm = delivery.NewAlarmOnAny(d, "Alarm", props.AlarmName,
		fmt.Sprintf("trailguard: events could not be delivered to %s and wait in this dead-letter queue (kept %d days). Fix the cause, then redrive them.", desc, RetentionDays),
		d.queue.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{
			Period:    awscdk.Duration_Minutes(jsii.Number(5)),
			Statistic: jsii.String("Maximum"),
		}), props.AlarmTopic)
	return d
}

func (d *deadLetterQueue) Queue() awssqs.IQueue        { return d.queue }
func (d *deadLetterQueue) Alarm() awscloudwatch.IAlarm { return d.alarm }
