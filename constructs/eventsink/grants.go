package eventsink

// Grants and metrics, as aws-cdk's L2s have them. A grant is a customer managed policy
// attached to the role, not the inline policy an L2's Grant* method writes: NIST 800-53,
// HIPAA and PCI DSS (the cdk-nag packs of package compliance) refuse inline policies.

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"

	"github.com/trailguard/trailguard/constructs/internal/delivery"
	"github.com/trailguard/trailguard/constructs/internal/stackenv"
	"github.com/trailguard/trailguard/constructs/internal/topics"
)

// GrantStreamRead implements EventSink.
func (s *eventSink) GrantStreamRead(role awsiam.IRole) awsiam.ManagedPolicy {
	statements := []awsiam.PolicyStatement{
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid: jsii.String("ReadStream"),
			Actions: jsii.Strings("kinesis:DescribeStream", "kinesis:DescribeStreamSummary", "kinesis:GetRecords",
				"kinesis:GetShardIterator", "kinesis:ListShards", "kinesis:SubscribeToShard", "kinesis:DescribeStreamConsumer"),
			Resources: &[]*string{s.stream.StreamArn()},
		}),
		// Kinesis decrypts with the stream's ARN as encryption context
		// (https://docs.aws.amazon.com/streams/latest/dev/permissions-user-key-KMS.html).
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("DecryptStream"),
			Actions:   jsii.Strings("kms:Decrypt"),
			Resources: &[]*string{s.streamKey.KeyArn()},
			Conditions: &map[string]any{"StringEquals": map[string]any{
				"kms:ViaService":                        stackenv.Of(s.stack()).ViaService("kinesis"),
				"kms:EncryptionContext:aws:kinesis:arn": s.stream.StreamArn(),
			}},
		}),
	}
	return s.grantPolicy("StreamRead", role, "read the security event stream", statements)
}

// GrantAlertPublish implements EventSink.
func (s *eventSink) GrantAlertPublish(role awsiam.IRole) awsiam.ManagedPolicy {
	key := s.alertTopic.MasterKey()
	if key == nil && s.props.ExistingAlertTopic == nil {
		key = s.alertKey
	}
	if key == nil {
		panic(fmt.Errorf("eventsink: GrantAlertPublish needs ExistingAlertTopic's key to let %s encrypt with it: import the topic with awssns.Topic_FromTopicAttributes and KeyArn", *role.Node().Path()))
	}
	return s.grantPolicy("AlertPublish", role, "publish to the security alert topic", topics.PublishStatements(stackenv.Of(s.stack()), s.alertTopic, key))
}

// grantPolicy attaches a managed policy of statements to role, one per role and kind.
func (s *eventSink) grantPolicy(kind string, role awsiam.IRole, what string, statements []awsiam.PolicyStatement) awsiam.ManagedPolicy {
	return awsiam.NewManagedPolicy(s, jsii.String(kind+*role.Node().Addr()), &awsiam.ManagedPolicyProps{
		Description: jsii.String("trailguard: lets " + *role.Node().Path() + " " + what),
		Roles:       &[]awsiam.IRole{role},
		Statements:  &statements,
	})
}

// MetricBusToStreamFailures implements EventSink.
func (s *eventSink) MetricBusToStreamFailures() awscloudwatch.IMetric {
	return delivery.FailuresMetric(jsii.String(BusStreamRuleName), jsii.String(s.busName))
}

// MetricAlertDeliveryFailures implements EventSink.
func (s *eventSink) MetricAlertDeliveryFailures() awscloudwatch.IMetric {
	return delivery.FailuresMetric(jsii.String(DeliveryAlertRuleName), jsii.String(s.busName))
}
