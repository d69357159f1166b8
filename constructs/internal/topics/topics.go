// Package topics holds what the constructs' notification topics have in common.
package topics

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/jsii-runtime-go"

	"github.com/trailguard/trailguard/constructs/internal/stackenv"
)

// AllowCloudWatchAlarms lets CloudWatch alarms of account, and nothing else of CloudWatch,
// publish to topic (the dead-letter alarms notify through it).
func AllowCloudWatchAlarms(topic awssns.ITopic, account *string) {
	topic.AddToResourcePolicy(AlarmsStatement(topic, account))
}

// AlarmsStatement is the topic policy statement of AllowCloudWatchAlarms.
func AlarmsStatement(topic awssns.ITopic, account *string) awsiam.PolicyStatement {
	return awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowDeadLetterAlarms"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)},
		Actions:    jsii.Strings("sns:Publish"),
		Resources:  &[]*string{topic.TopicArn()},
		Conditions: &map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": account}},
	})
}

// SubscribeEmails subscribes each address in emails (which may be nil) to topic; each
// address confirms once.
func SubscribeEmails(topic awssns.ITopic, emails *[]*string) {
	if emails == nil {
		return
	}
	for _, e := range *emails {
		topic.AddSubscription(awssnssubscriptions.NewEmailSubscription(e, nil))
	}
}

// PublishStatements let a role publish to topic, encrypting with key through SNS only and
// for this topic only: SNS encrypts with the topic's ARN as the encryption context
// kms:EncryptionContext:aws:sns:topicArn (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html;
// a key policy using it: https://docs.aws.amazon.com/gamelift/latest/flexmatchguide/queue-notification-sns-sse.html).
func PublishStatements(env stackenv.Env, topic awssns.ITopic, key awskms.IKey) []awsiam.PolicyStatement {
	return []awsiam.PolicyStatement{
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("PublishAlerts"),
			Actions:   jsii.Strings("sns:Publish"),
			Resources: &[]*string{topic.TopicArn()},
		}),
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("EncryptAlerts"),
			Actions:   jsii.Strings("kms:GenerateDataKey", "kms:Decrypt"),
			Resources: &[]*string{key.KeyArn()},
			Conditions: &map[string]any{"StringEquals": map[string]any{
				"kms:ViaService":                         env.ViaService("sns"),
				"kms:EncryptionContext:aws:sns:topicArn": topic.TopicArn(),
			}},
		}),
	}
}
