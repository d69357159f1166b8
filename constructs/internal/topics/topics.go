// Package topics holds what the constructs' notification topics have in common.
package topics

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/jsii-runtime-go"
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
