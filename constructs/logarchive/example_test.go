package logarchive_test

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/trailguard/trailguard/constructs/logarchive"
)

// The log archive of an organization trail, in the Security account. Deploy it before the
// trail (see package orgtrail), which names the bucket and the key alias.
func ExampleNewLogArchive() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("LogArchive"), &awscdk.StackProps{
		Env:                   &awscdk.Environment{Account: jsii.String("222222222222"), Region: jsii.String("eu-west-1")},
		TerminationProtection: jsii.Bool(true),
	})
	archive := logarchive.NewLogArchive(stack, jsii.String("LogArchive"), &logarchive.LogArchiveProps{
		OrganizationId: jsii.String("o-a1b2c3d4e5"),
		TrailArn:       jsii.String("arn:aws:cloudtrail:eu-west-1:111111111111:trail/org-trail"),
		BucketName:     jsii.String("org-trail-archive-222222222222"),
		KeyAlias:       jsii.String("alias/org-trail"),
		// Optional; these are the defaults but for the break-glass role and the reader.
		ObjectLockMode:       jsii.String(logarchive.ObjectLockCompliance),
		ObjectLockDays:       jsii.Number(365),
		RetentionDays:        jsii.Number(2557),
		BreakGlassPrincipals: jsii.Strings("arn:aws:iam::222222222222:role/BreakGlass"),
		Readers:              jsii.Strings("arn:aws:iam::222222222222:role/Investigator"),
	})
	awscdk.NewCfnOutput(stack, jsii.String("ArchiveBucketArn"), &awscdk.CfnOutputProps{Value: archive.Bucket().BucketArn()})
	app.Synth(nil)
}
