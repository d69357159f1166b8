package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/trailguard/trailguard/constructs/guardrails"
)

// newPlatformKey is a KMS key the way this platform makes all its keys: rotated, retained,
// with a retained alias, and no grants except those AWS services create for a resource. The
// constructs it is passed to (ExistingKey, ExistingStreamKey, EncryptionKey) add the
// statements their services need to its key policy, but do not tag it: they tag only what
// they create. The tag lets the guardrails protect it like the constructs' own keys.
func newPlatformKey(scope constructs.Construct, id, alias, description string) awskms.Key {
	key := awskms.NewKey(scope, jsii.String(id), &awskms.KeyProps{
		Description:       jsii.String(description),
		EnableKeyRotation: jsii.Bool(true),
		RemovalPolicy:     awscdk.RemovalPolicy_RETAIN,
	})
	// Other accounts name the key by its alias (the organization trail, the forwarders): the
	// alias is retained with the key, as the constructs retain their keys' aliases.
	awskms.NewAlias(scope, jsii.String(id+"Alias"), &awskms.AliasProps{
		AliasName:     jsii.String(alias),
		TargetKey:     key,
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	awscdk.Tags_Of(key).Add(jsii.String(guardrails.TagKey), jsii.String(guardrails.TagValue), nil)
	// Grants are a way around the key policy that nothing here needs (Control Tower
	// CT.KMS.PR.3, the Guard rule kms_create_grant_aws_service_check).
	key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("DenyGrantsExceptForAWSServices"),
		Effect:     awsiam.Effect_DENY,
		Principals: &[]awsiam.IPrincipal{awsiam.NewAnyPrincipal()},
		Actions:    jsii.Strings("kms:CreateGrant"),
		Resources:  jsii.Strings("*"),
		Conditions: &map[string]any{"BoolIfExists": map[string]any{
			"kms:GrantIsForAWSResource": "false",
			"aws:PrincipalIsAWSService": "false",
		}},
	}), nil)
	return key
}
