package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"

	"github.com/trailguard/trailguard/constructs/detection"
	"github.com/trailguard/trailguard/constructs/eventdlq"
	"github.com/trailguard/trailguard/constructs/eventsink"
)

// siemBusArn is the SIEM account's event bus, which takes the detection alerts.
const siemBusArn = "arn:aws:events:" + homeRegion + ":390000000004:event-bus/siem-intake"

// addSIEMAlertForwarding sends the detection functions' alerts from the integrations bus to
// the SIEM's bus in another account, with the platform's own key encrypting the rule's
// dead-letter queue (eventdlq, as trailguard's own rules use it).
func addSIEMAlertForwarding(stack awscdk.Stack, d detection.Detection, sink eventsink.EventSink) {
	key := newPlatformKey(stack, "SIEMForwardingKey", "alias/trailguard/platform-siem-dead-letters",
		"Encrypts the dead-letter queue of the alert forwarding to the SIEM")
	// EventBridge encrypts the events it sends to the queue (DeadLetterQueueProps.EncryptionKey).
	// No source conditions, as trailguard's own dead-letter keys: only this account's queue
	// uses the key, and its queue policy admits only the rule below.
	key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowEventBridgeToEncryptDeadLetters"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("events.amazonaws.com"), nil)},
		Actions:    jsii.Strings("kms:GenerateDataKey", "kms:Decrypt"),
		Resources:  jsii.Strings("*"),
	}), nil)

	ruleName := "trailguard-platform-alerts-to-siem"
	ruleArn := "arn:aws:events:" + homeRegion + ":" + securityAccount + ":rule/" + detection.DefaultAlertBusName + "/" + ruleName
	dlq := eventdlq.NewDeadLetterQueue(stack, jsii.String("SIEMDeadLetters"), &eventdlq.DeadLetterQueueProps{
		EncryptionKey:  key,
		SourceRuleArns: jsii.Strings(ruleArn),
		Description:    jsii.String("the alert forwarding to the SIEM"),
		// The security on-call's topic, whose key already lets CloudWatch alarms publish.
		AlarmTopic: sink.AlertTopic(),
	})

	role := awsiam.NewRole(stack, jsii.String("SIEMForwardingRole"), &awsiam.RoleProps{
		RoleName:  jsii.String("trailguard-platform-alerts-to-siem"),
		AssumedBy: awsiam.NewServicePrincipal(jsii.String("events.amazonaws.com"), nil),
	})
	awsiam.NewManagedPolicy(stack, jsii.String("SIEMForwardingPolicy"), &awsiam.ManagedPolicyProps{
		ManagedPolicyName: jsii.String("trailguard-platform-alerts-to-siem"),
		Roles:             &[]awsiam.IRole{role},
		Statements: &[]awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:   jsii.Strings("events:PutEvents"),
			Resources: jsii.Strings(siemBusArn),
		})},
	})

	// A cross-account bus target needs a role, which the L2 Rule's targets do not take for an
	// imported bus in another account (aws-cdk #33328): the CloudFormation resource does.
	awsevents.NewCfnRule(stack, jsii.String("SIEMForwarding"), &awsevents.CfnRuleProps{
		Name:         jsii.String(ruleName),
		EventBusName: d.AlertBus().EventBusName(),
		EventPattern: map[string]any{"source": []string{detection.AlertEventSource}},
		State:        jsii.String("ENABLED"),
		Targets: []any{&awsevents.CfnRule_TargetProperty{
			Id:               jsii.String("siem"),
			Arn:              jsii.String(siemBusArn),
			RoleArn:          role.RoleArn(),
			DeadLetterConfig: &awsevents.CfnRule_DeadLetterConfigProperty{Arn: dlq.Queue().QueueArn()},
			RetryPolicy: &awsevents.CfnRule_RetryPolicyProperty{
				MaximumRetryAttempts:     jsii.Number(eventsink.MaxRetryAttempts),
				MaximumEventAgeInSeconds: jsii.Number(eventsink.MaxEventAgeSecond),
			},
		}},
	})
}
