package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/trailguard/trailguard/constructs/detection"
	"github.com/trailguard/trailguard/constructs/guardrails"
	"github.com/trailguard/trailguard/constructs/orgtrail"
)

// newOrgTrailStack is the management account's stack in the home region: the organization
// trail, delivering to the Security account's archive by name and key alias ARN (it lives in
// another account, so no CDK reference), and the guardrails. Deploy it after the Security
// stack: CloudTrail checks the archive's policies when it creates the trail.
func newOrgTrailStack(scope constructs.Construct) awscdk.Stack {
	stack := newStack(scope, "platform-org-trail", managementAccount, homeRegion,
		"Platform: organization trail and logging guardrails")

	trail := orgtrail.NewOrganizationTrail(stack, jsii.String("OrganizationTrail"), &orgtrail.OrganizationTrailProps{
		TrailName:      jsii.String(trailName),
		OrganizationId: jsii.String(organizationID),
		// An existing bucket and key of another account, by name and ARN.
		BucketName:   jsii.String(archiveBucket),
		BucketRegion: jsii.String(homeRegion),
		KmsKeyArn:    jsii.String(trailKeyAliasArn()),
		// S3 data events everywhere but the archive (always excluded) and its access logs.
		DataEventResourceTypes:       jsii.Strings(orgtrail.DataEventS3Object),
		DataEventExcludedBucketNames: jsii.Strings(accessLogs),
		SendToCloudWatchLogs:         jsii.Bool(true),
	})
	awscdk.NewCfnOutput(stack, jsii.String("TrailArn"), &awscdk.CfnOutputProps{Value: trail.TrailArn()})

	bootstrapRole := func(name string) string {
		return "arn:aws:iam::*:role/cdk-" + cdkQualifier + "-" + name + "-*"
	}
	guardrails.NewGuardrails(stack, jsii.String("Guardrails"), &guardrails.GuardrailsProps{
		TargetIds:           jsii.Strings(rootID),
		ExemptPrincipalArns: jsii.Strings(bootstrapRole("cfn-exec-role"), breakGlassRole),
		SecurityAccount:     jsii.String(securityAccount),
		DeployerArns:        jsii.Strings(deployerRole),
		DeploymentRoleArns: jsii.Strings(
			bootstrapRole("deploy-role"), bootstrapRole("file-publishing-role"), bootstrapRole("cfn-exec-role")),
		DeploymentBucketNames: jsii.Strings("cdk-" + cdkQualifier + "-assets-*"),
		StackNames:            jsii.Strings(stackPrefix + "*"),
		DetectionRoleArns: jsii.Strings(
			detection.StreamRoleArn("aws", securityAccount),
			detection.ArchiveRoleArn("aws", securityAccount)),
		DetectionQueueNames: jsii.Strings(detection.ArchiveFunctionName),
	})
	return stack
}
