// Package keypolicy holds the KMS key policy statements that every trailguard key shares.
package keypolicy

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"
)

// DenyGrantsSid is the Sid of DenyGrantsExceptForAWSServices.
const DenyGrantsSid = "DenyGrantsExceptForAWSServices"

// DenyGrantsExceptForAWSServices stops anyone from creating grants on the key except AWS
// services acting for an AWS resource (Control Tower CT.KMS.PR.3): a grant is a way around
// the key policy that trailguard's keys do not need.
func DenyGrantsExceptForAWSServices() awsiam.PolicyStatement {
	return awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String(DenyGrantsSid),
		Effect:     awsiam.Effect_DENY,
		Principals: &[]awsiam.IPrincipal{awsiam.NewAnyPrincipal()},
		Actions:    jsii.Strings("kms:CreateGrant"),
		Resources:  jsii.Strings("*"),
		Conditions: &map[string]any{"BoolIfExists": map[string]any{
			"kms:GrantIsForAWSResource": "false",
			"aws:PrincipalIsAWSService": "false",
		}},
	})
}

// AllowEventBridgeSid and AllowCloudWatchAlarmsSid are the Sids of AllowEventBridge and
// AllowCloudWatchAlarms.
const (
	AllowEventBridgeSid      = "AllowEventBridgeToEncryptDeliveries"
	AllowCloudWatchAlarmsSid = "AllowCloudWatchAlarmsOfThisAccount"
)

// AllowEventBridge lets EventBridge encrypt and decrypt with the key, so that rules can publish
// to a topic and send dead letters to a queue that the key encrypts.
//
// The statement carries no aws:SourceAccount or aws:SourceArn condition, deliberately: the SNS
// Developer Guide ("Enable compatibility between event sources from AWS services and encrypted
// topics", https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services)
// says these conditions are not supported in the key policy for EventBridge delivering to an
// encrypted topic. With them every publish fails, visible only in the rule's FailedInvocations.
// What EventBridge may publish or send is narrowed where it is supported: the topic and queue
// policies allow only the named rules (aws:SourceArn), and only this account's topics and
// queues use the key.
func AllowEventBridge() awsiam.PolicyStatement {
	return awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String(AllowEventBridgeSid),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("events.amazonaws.com"), nil)},
		Actions:    jsii.Strings("kms:GenerateDataKey", "kms:Decrypt"),
		Resources:  jsii.Strings("*"),
	})
}

// AllowCloudWatchAlarms lets CloudWatch alarms of account, and no other account's, encrypt and
// decrypt with the key to notify a topic it encrypts (confused-deputy protection, which
// CloudWatch supports here unlike EventBridge).
func AllowCloudWatchAlarms(account *string) awsiam.PolicyStatement {
	return awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String(AllowCloudWatchAlarmsSid),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)},
		Actions:    jsii.Strings("kms:GenerateDataKey", "kms:Decrypt"),
		Resources:  jsii.Strings("*"),
		Conditions: &map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": account}},
	})
}

// AllowCloudWatchLogs lets CloudWatch Logs in region use the key for the log groups whose
// ARNs are given, and no other: CloudWatch Logs encrypts a log group with its ARN as the
// encryption context
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html).
func AllowCloudWatchLogs(sid string, region *string, logGroupArns ...*string) awsiam.PolicyStatement {
	var arns any = &logGroupArns
	if len(logGroupArns) == 1 {
		arns = logGroupArns[0]
	}
	return awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String(sid),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String("logs."), region, jsii.String(".amazonaws.com")}), nil)},
		Actions:    jsii.Strings("kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext", "kms:DescribeKey"),
		Resources:  jsii.Strings("*"),
		Conditions: &map[string]any{"ArnEquals": map[string]any{"kms:EncryptionContext:aws:logs:arn": arns}},
	})
}

// AdministrationActions let an account's administrators manage a key, but not use it:
// kms:Encrypt, kms:Decrypt, kms:GenerateDataKey*, kms:ReEncrypt* and kms:CreateGrant are not
// among them, so no identity policy in the account can decrypt with the key.
var AdministrationActions = []string{
	"kms:CancelKeyDeletion",
	"kms:CreateAlias",
	"kms:DeleteAlias",
	"kms:DescribeKey",
	"kms:DisableKey",
	"kms:DisableKeyRotation",
	"kms:EnableKey",
	"kms:EnableKeyRotation",
	"kms:GetKeyPolicy",
	"kms:GetKeyRotationStatus",
	"kms:ListAliases",
	"kms:ListGrants",
	"kms:ListKeyPolicies",
	"kms:ListKeyRotations",
	"kms:ListResourceTags",
	"kms:PutKeyPolicy",
	"kms:RetireGrant",
	"kms:RevokeGrant",
	"kms:RotateKeyOnDemand",
	"kms:ScheduleKeyDeletion",
	"kms:TagResource",
	"kms:UntagResource",
	"kms:UpdateAlias",
	"kms:UpdateKeyDescription",
}
