// Package keypolicy holds the KMS key policy statements that every trailguard key shares.
package keypolicy

import (
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

// AllowEventBridgeAndCloudWatch lets EventBridge (dead-letter messages, alert publishing) and
// CloudWatch (alarm notifications) encrypt and decrypt with the key, for resources of account
// only (confused-deputy protection).
func AllowEventBridgeAndCloudWatch(account *string) awsiam.PolicyStatement {
	return awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid: jsii.String("AllowEventBridgeAndCloudWatchOfThisAccount"),
		Principals: &[]awsiam.IPrincipal{
			awsiam.NewServicePrincipal(jsii.String("events.amazonaws.com"), nil),
			awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil),
		},
		Actions:    jsii.Strings("kms:GenerateDataKey", "kms:Decrypt"),
		Resources:  jsii.Strings("*"),
		Conditions: &map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": account}},
	})
}
