// Package topics holds what the constructs' notification topics have in common.
package topics

import (
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/trailguard/trailguard/constructs/internal/check"
	"github.com/trailguard/trailguard/constructs/internal/existing"
	"github.com/trailguard/trailguard/constructs/internal/keypolicy"
	"github.com/trailguard/trailguard/constructs/internal/stackenv"
	"github.com/trailguard/trailguard/constructs/statements"
)

// AllowCloudWatchAlarms lets CloudWatch alarms of account, and nothing else of CloudWatch,
// publish to topic (the dead-letter alarms notify through it).
func AllowCloudWatchAlarms(topic awssns.ITopic, account *string) {
	topic.AddToResourcePolicy(AlarmsStatement(topic, account))
}

// AlarmsGrant names, for existing.Asked, the grants CloudWatch alarms need on an imported
// topic and its key (AlarmsStatement, keypolicy.AllowCloudWatchAlarms).
const AlarmsGrant = "cloudwatch-alarms"

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
		topic.AddSubscription(&emailSubscription{address: e})
	}
}

// emailSubscription subscribes an email address to a topic. It does what aws-cdk-lib's
// aws_sns_subscriptions.EmailSubscription does without options (2.275, lib/email.js: bind
// returns the address as the subscriber id and the endpoint, with the email protocol), without
// importing awssnssubscriptions, which pulls the bindings of Kinesis Data Firehose and Secrets
// Manager into every build of the app (issue #20). jsii passes a Go value implementing
// awssns.ITopicSubscription to the topic like a JavaScript one, and calls Bind back.
type emailSubscription struct {
	address *string
}

// Bind implements awssns.ITopicSubscription.
func (s *emailSubscription) Bind(_ awssns.ITopic) *awssns.TopicSubscriptionConfig {
	return &awssns.TopicSubscriptionConfig{SubscriberId: s.address, Endpoint: s.address, Protocol: awssns.SubscriptionProtocol_EMAIL}
}

// AlarmAction returns an alarm action that publishes the alarm's state changes to topic. It
// does what aws-cdk-lib's aws_cloudwatch_actions.SnsAction does (2.275, lib/sns.js: bind
// returns the topic's ARN), without importing awscloudwatchactions, which pulls the bindings
// of Auto Scaling, both Elastic Load Balancing APIs, ACM and SSM into every build of the app
// (about 6 s of a cold compile; issue #20).
func AlarmAction(topic awssns.ITopic) awscloudwatch.IAlarmAction {
	return &alarmAction{topic: topic}
}

type alarmAction struct {
	topic awssns.ITopic
}

// Bind implements awscloudwatch.IAlarmAction.
func (a *alarmAction) Bind(_ constructs.Construct, _ awscloudwatch.IAlarm) *awscloudwatch.AlarmActionConfig {
	return &awscloudwatch.AlarmActionConfig{AlarmActionArn: a.topic.TopicArn()}
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

// KeyMismatch returns the problem with a topic and the key given as its key (the fields
// topicField and keyField), or "" if key can be the topic's as far as synth can tell. The
// publishers' KMS permission names key: if the topic is encrypted with another key, every
// publish fails at run time with a KMS access error, and nothing at synth would say so.
//
//   - A topic that carries its key (an awssns.Topic of the app, or one imported with
//     awssns.Topic_FromTopicAttributes and KeyArn) must carry this one: the same construct,
//     or the same ARN.
//   - A topic of the app given its key on the L1 (KmsMasterKeyId) must name this key's ARN,
//     id or alias when both are known.
//   - An imported topic that carries no key cannot be encrypted with a key this app creates
//     (the topic was made outside it): key must then be imported too (awskms.Key_FromKeyArn).
func KeyMismatch(topicField string, topic awssns.ITopic, keyField string, key awskms.IKey) string {
	if topic == nil || key == nil {
		return ""
	}
	render := func(v any) string {
		s, err := statements.Value(topic, v)
		if err != nil {
			return ""
		}
		return s
	}
	keyArn := render(key.KeyArn())
	_, keyInApp := key.Node().DefaultChild().(awskms.CfnKey)
	fix := fmt.Sprintf("give as %s the key the topic is encrypted with (its KmsMasterKeyId: aws sns get-topic-attributes --topic-arn <arn> --query Attributes.KmsMasterKeyId), imported with awskms.Key_FromKeyArn, or import the topic with awssns.Topic_FromTopicAttributes and its KeyArn", keyField)
	if tk := topic.MasterKey(); tk != nil {
		if *tk.Node().Path() == *key.Node().Path() || render(tk.KeyArn()) == keyArn {
			return ""
		}
		return fmt.Sprintf("%s %s is encrypted with key %s, but %s is key %s: the publishers' KMS permission would name the wrong key and every alert would fail to publish at run time; %s",
			topicField, *topic.Node().Path(), strings.Trim(render(tk.KeyArn()), `"`), keyField, strings.Trim(keyArn, `"`), fix)
	}
	if cfn, ok := topic.Node().DefaultChild().(awssns.CfnTopic); ok {
		id := cfn.KmsMasterKeyId()
		if id == nil || *awscdk.Token_IsUnresolved(id) || !check.Known(key.KeyArn()) {
			return ""
		}
		arn := *key.KeyArn()
		if *id == arn || strings.HasSuffix(arn, ":key/"+*id) || strings.HasSuffix(arn, ":"+*id) {
			return ""
		}
		return fmt.Sprintf("%s %s is encrypted with KmsMasterKeyId %q, but %s is key %s: the publishers' KMS permission would name the wrong key and every alert would fail to publish at run time; %s",
			topicField, *topic.Node().Path(), *id, keyField, arn, fix)
	}
	if keyInApp {
		return fmt.Sprintf("%s %s is imported and carries no key, but %s is key %s, which this app creates: a topic made outside this app is not encrypted with it, so the publishers' KMS permission would name the wrong key and every alert would fail to publish at run time (e.g. the sink's own AlertKey beside an ExistingAlertTopic); %s",
			topicField, describeTopic(topic), keyField, *key.Node().Path(), fix)
	}
	return ""
}

func describeTopic(t awssns.ITopic) string {
	s := *t.Node().Path()
	if check.Known(t.TopicArn()) {
		s += " (" + *t.TopicArn() + ")"
	}
	return s
}

// WarnAlarmsUnlessAsked leaves, at synth, the synth warning id on scope if topic is imported
// and no construct of the app (eventsink with it as ExistingAlertTopic) asks its owner for
// what CloudWatch alarms of account need on it and its key (AlarmsGrant): scope's alarms
// notify it. The warning carries both statements.
func WarnAlarmsUnlessAsked(scope constructs.Construct, id string, topic awssns.ITopic, account *string, alarms string) {
	if _, inApp := topic.Node().DefaultChild().(awssns.CfnTopic); inApp {
		return
	}
	existing.AtSynth(scope, func() {
		if existing.WasAsked(topic, AlarmsGrant) {
			return
		}
		awscdk.Annotations_Of(scope).AddWarningV2(jsii.String(id), jsii.String(fmt.Sprintf(
			"AlertTopic %s is imported: CDK cannot edit its policy or its key's, so add this statement to the topic's policy and, if the topic is encrypted, this one to its key's, or %s never reach it: %s %s",
			existing.Describe(topic, topic.TopicArn()), alarms, check.Statement(scope, AlarmsStatement(topic, account)), check.Statement(scope, keypolicy.AllowCloudWatchAlarms(account)))))
	})
}
