package orgtrail_test

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/trailguard/trailguard/constructs/orgtrail"
)

// The organization trail, in the management account, delivering to the log archive of
// package logarchive in the Security account (222222222222). Enable trusted access for
// CloudTrail in Organizations first, and deploy the archive before the trail.
func ExampleNewOrganizationTrail() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("OrganizationTrail"), &awscdk.StackProps{
		Env:                   &awscdk.Environment{Account: jsii.String("111111111111"), Region: jsii.String("eu-west-1")},
		TerminationProtection: jsii.Bool(true),
	})
	trail := orgtrail.NewOrganizationTrail(stack, jsii.String("OrganizationTrail"), &orgtrail.OrganizationTrailProps{
		TrailName:      jsii.String("org-trail"),
		OrganizationId: jsii.String("o-a1b2c3d4e5"),
		BucketName:     jsii.String("org-trail-archive-222222222222"),
		KmsKeyArn:      jsii.String("arn:aws:kms:eu-west-1:222222222222:alias/org-trail"),
		// Optional.
		DataEventResourceTypes: jsii.Strings(orgtrail.DataEventS3Object), // never the archive's own objects
		InsightTypes:           jsii.Strings(orgtrail.InsightAPICallRate),
		SendToCloudWatchLogs:   jsii.Bool(true),
		LogGroupRetentionDays:  jsii.Number(365),
	})
	awscdk.NewCfnOutput(stack, jsii.String("TrailArn"), &awscdk.CfnOutputProps{Value: trail.TrailArn()})
	app.Synth(nil)
}
