package archivequery_test

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/trailguard/trailguard/constructs/archivequery"
	"github.com/trailguard/trailguard/constructs/logarchive"
)

// The Athena layer over a log archive, in the Security account's stack: the query role reads
// the log files through S3 as one of the archive key's LogFileReaders, and the results
// bucket's access logs go to the archive's access-log bucket.
func ExampleNewArchiveQuery() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Security"), &awscdk.StackProps{
		Env: &awscdk.Environment{Account: jsii.String("222222222222"), Region: jsii.String("eu-west-1")},
	})
	archive := logarchive.NewLogArchive(stack, jsii.String("LogArchive"), &logarchive.LogArchiveProps{
		OrganizationId: jsii.String("o-a1b2c3d4e5"),
		TrailArn:       jsii.String("arn:aws:cloudtrail:eu-west-1:111111111111:trail/org-trail"),
		BucketName:     jsii.String("trailguard-archive-222222222222-eu-west-1"),
		LogFileReaders: jsii.Strings(archivequery.RoleArn("aws", "222222222222")),
	})
	q := archivequery.NewArchiveQuery(stack, jsii.String("ArchiveQuery"), &archivequery.ArchiveQueryProps{
		OrganizationId:   jsii.String("o-a1b2c3d4e5"),
		ArchiveBucket:    archive.Bucket(),
		Accounts:         jsii.Strings("111111111111", "222222222222", "333333333333"),
		Regions:          jsii.Strings("eu-west-1", "us-east-1"),
		InvestigatorArns: jsii.Strings("arn:aws:iam::222222222222:role/security-investigator"),
		AccessLogBucket:  archive.AccessLogBucket(),
		// Optional; these are the defaults.
		BytesScannedCutoffPerQuery: jsii.Number(archivequery.DefaultBytesScannedCutoffPerQuery),
		ResultsRetentionDays:       jsii.Number(archivequery.DefaultResultsRetentionDays),
	})
	awscdk.NewCfnOutput(stack, jsii.String("WorkGroup"), &awscdk.CfnOutputProps{Value: q.WorkGroup().Ref()})
	app.Synth(nil)
}
