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
//
// Bring your own queue (ExistingQueue instead of EncryptionKey): a queue defined in the same
// app must be KMS-encrypted, keep messages 14 days and be retained, and gets the queue policy
// statement and the alarm; an imported queue's policy cannot be edited by CDK (an
// AWS::SQS::QueuePolicy would replace the whole policy), so the construct leaves a synth
// warning (id WarningQueuePolicy) with the statement to add:
//
//	queue := awssqs.Queue_FromQueueArn(stack, jsii.String("Queue"), jsii.String("arn:aws:sqs:eu-west-1:111111111111:my-dead-letters"))
//	eventdlq.NewDeadLetterQueue(stack, jsii.String("Imported"), &eventdlq.DeadLetterQueueProps{
//		ExistingQueue:  queue,
//		SourceRuleArns: jsii.Strings("arn:aws:events:eu-west-1:111111111111:rule/my-rule"),
//		AlarmTopic:     topic,
//	})
//	// after adding the statement to the queue's policy:
//	awscdk.Annotations_Of(stack).AcknowledgeWarning(jsii.String(eventdlq.WarningQueuePolicy), jsii.String("added by hand"))
package eventdlq

import (
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
	"github.com/trailguard/trailguard/constructs/internal/check"
	"github.com/trailguard/trailguard/constructs/internal/delivery"
	"github.com/trailguard/trailguard/constructs/internal/managed"
)

// RetentionDays is how long a dead-letter queue keeps undelivered events: the SQS maximum.
const RetentionDays = 14

// WarningQueuePolicy is the id of the synth warning left when the queue policy statement
// cannot be added to an ExistingQueue (an imported one). Acknowledge it with
// awscdk.Annotations_Of(scope).AcknowledgeWarning once the statement is in the queue's policy.
const WarningQueuePolicy = "trailguard:eventdlq:queuePolicy"

// DeadLetterQueueProps configures a DeadLetterQueue.
type DeadLetterQueueProps struct {
	// ExistingQueue is a queue to use instead of creating one. One defined in this app must
	// be KMS-encrypted, keep messages RetentionDays days and be retained (RemovalPolicy
	// RETAIN); an imported one is trusted to be, and its policy must allow what the
	// WarningQueuePolicy warning says. Its key's policy must allow EventBridge as
	// EncryptionKey describes.
	// Default: a new queue encrypted with EncryptionKey.
	ExistingQueue awssqs.IQueue
	// EncryptionKey encrypts the new queue. Its key policy must let events.amazonaws.com call
	// kms:GenerateDataKey and kms:Decrypt (EventBridge encrypts the messages it sends) without
	// aws:SourceAccount/aws:SourceArn conditions if the key also encrypts a topic EventBridge
	// publishes to (unsupported there), and let cloudwatch.amazonaws.com use the alarm
	// topic's key if that is the same key. Required unless ExistingQueue is given (then it
	// must be unset).
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
	probs := check.New("eventdlq")
	if p == nil {
		probs.Addf("props are required")
		return probs.Err()
	}
	switch {
	case p.ExistingQueue != nil && p.EncryptionKey != nil:
		probs.Addf("EncryptionKey must be unset with ExistingQueue, got both: the key encrypts a new queue only; an existing queue keeps its own")
	case p.ExistingQueue == nil && p.EncryptionKey == nil:
		probs.Addf("EncryptionKey is required without ExistingQueue: dead-letter queues hold event data and must be encrypted with a customer managed key")
	case p.ExistingQueue != nil:
		checkQueue(probs, p.ExistingQueue)
	}
	if p.AlarmTopic == nil {
		probs.Addf("AlarmTopic is required: the queue's alarm must notify someone, or undelivered events wait unnoticed; pass the topic your on-call subscribes to")
	}
	if p.SourceRuleArns == nil || len(*p.SourceRuleArns) == 0 {
		probs.Addf("SourceRuleArns is required: the queue policy allows only the rules it serves")
	} else {
		for i, a := range *p.SourceRuleArns {
			if a == nil || *a == "" {
				probs.Addf("SourceRuleArns[%d] must be a rule ARN, got an empty value", i)
			}
		}
	}
	return probs.Err()
}

// checkQueue records what makes an ExistingQueue defined in this app unfit for a dead-letter
// queue (an imported queue has no CloudFormation resource here to inspect).
func checkQueue(probs *check.Problems, q awssqs.IQueue) {
	cfn, ok := q.Node().DefaultChild().(awssqs.CfnQueue)
	if !ok {
		return
	}
	path := *q.Node().Path()
	if cfn.KmsMasterKeyId() == nil {
		probs.Addf("ExistingQueue %s must be encrypted with a customer managed KMS key (Encryption: QueueEncryption_KMS with EncryptionMasterKey), got no KmsMasterKeyId: dead letters are event data", path)
	} else if k := cfn.KmsMasterKeyId(); check.Known(k) && *k == "alias/aws/sqs" {
		probs.Addf("ExistingQueue %s must be encrypted with a customer managed KMS key, got %q: EventBridge cannot use the AWS managed key, whose policy cannot be changed", path, *k)
	}
	if r := cfn.MessageRetentionPeriod(); r == nil || *r != RetentionDays*86400 {
		got := "the default 345600 (4 days)"
		if r != nil {
			got = fmt.Sprint(*r)
		}
		probs.Addf("ExistingQueue %s must keep messages %d days (RetentionPeriod 1209600 seconds), got %s", path, RetentionDays, got)
	}
	if dp := cfn.CfnOptions().DeletionPolicy(); !check.Retained(dp) {
		probs.Addf("ExistingQueue %s must be retained (RemovalPolicy RETAIN_ON_UPDATE_OR_DELETE or RETAIN), got DeletionPolicy %q: an undelivered security event is evidence", path, dp)
	}
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
	queue awssqs.IQueue
	alarm awscloudwatch.Alarm
}

// NewDeadLetterQueue creates the queue (child "Resource"; none with ExistingQueue), its policy
// and its alarm ("Alarm"). It panics with a descriptive error listing every problem if props
// are invalid.
func NewDeadLetterQueue(scope constructs.Construct, id *string, props *DeadLetterQueueProps) DeadLetterQueue {
	if err := props.validate(); err != nil {
		panic(err)
	}
	d := &deadLetterQueue{}
	constructs.NewConstruct_Override(d, scope, id)
	managed.Tag(d) // the guardrails protect the unnamed resources by this tag

	if props.ExistingQueue != nil {
		d.queue = props.ExistingQueue
	} else {
		// Retained: an undelivered security event is evidence, and a deleted stack must not
		// take the only copy with it.
		d.queue = awssqs.NewQueue(d, jsii.String("Resource"), &awssqs.QueueProps{
			Encryption:          awssqs.QueueEncryption_KMS,
			EncryptionMasterKey: props.EncryptionKey,
			DataKeyReuse:        awscdk.Duration_Hours(jsii.Number(1)),
			RetentionPeriod:     awscdk.Duration_Days(jsii.Number(RetentionDays)),
			EnforceSSL:          jsii.Bool(true),
			RemovalPolicy:       awscdk.RemovalPolicy_RETAIN_ON_UPDATE_OR_DELETE,
		})
	}
	if _, inApp := d.queue.Node().DefaultChild().(awssqs.CfnQueue); inApp {
		const reason = "This queue is itself a dead-letter queue: the DeadLetterConfig of an EventBridge rule target, which CloudFormation records on the rule, not as an SQS RedrivePolicy. " +
			"A dead-letter queue of a dead-letter queue would only move the same messages; its alarm makes any message visible instead."
		cdknag.NagSuppressions_AddResourceSuppressions(d.queue, &[]*cdknag.NagPackSuppression{{
			Id: jsii.String("AwsSolutions-SQS3"), Reason: jsii.String(reason),
		}}, jsii.Bool(true))
		compliance.Acknowledge(d.queue, "sqs_dlq_check", reason)
	}
	stmt := awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowEventBridgeDeadLetters"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("events.amazonaws.com"), nil)},
		Actions:    jsii.Strings("sqs:SendMessage"),
		Resources:  &[]*string{d.queue.QueueArn()},
		Conditions: &map[string]interface{}{
			"ArnEquals": map[string]interface{}{"aws:SourceArn": props.SourceRuleArns},
		},
	})
	if res := d.queue.AddToResourcePolicy(stmt); res == nil || res.StatementAdded == nil || !*res.StatementAdded {
		// An imported queue: CDK cannot edit its policy, and an AWS::SQS::QueuePolicy would
		// replace the whole policy (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-sqs-queuepolicy.html).
		awscdk.Annotations_Of(d).AddWarningV2(jsii.String(WarningQueuePolicy), jsii.String(fmt.Sprintf(
			"ExistingQueue %s is imported: add this statement to its queue policy, or EventBridge cannot send it dead letters and they are lost: %s",
			*d.queue.QueueArn(), check.Statement(d, stmt))))
	}

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
