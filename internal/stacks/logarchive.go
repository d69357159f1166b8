package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/jsii-runtime-go"

	"github.com/trailguard/trailguard/config"
	"github.com/trailguard/trailguard/constructs/archivequery"
	"github.com/trailguard/trailguard/constructs/detection"
	"github.com/trailguard/trailguard/constructs/logarchive"
)

// addLogArchive adds the organization trail's log archive to the Security stack, with the
// outputs an operator needs: the archive and access-log buckets and the key.
func addLogArchive(stack awscdk.Stack, cfg *config.Config) logarchive.LogArchive {
	la := cfg.LogArchive
	archive := logarchive.NewLogArchive(stack, jsii.String("LogArchive"), &logarchive.LogArchiveProps{
		OrganizationId:         jsii.String(cfg.Organization.ID),
		TrailArn:               jsii.String(cfg.OrganizationTrailARN()),
		BucketName:             jsii.String(la.BucketName),
		AccessLogBucketName:    jsii.String(cfg.AccessLogBucketName()),
		KeyAlias:               jsii.String(config.TrailKeyAlias),
		RetentionDays:          jsii.Number(la.RetentionDays),
		TransitionDays:         jsii.Number(la.TransitionDays),
		ObjectLockMode:         jsii.String(la.ObjectLock.Mode),
		ObjectLockDays:         jsii.Number(la.ObjectLock.Days),
		AccessLogRetentionDays: jsii.Number(la.AccessLogRetentionDays),
		BreakGlassPrincipals:   jsii.Strings(la.BreakGlassPrincipals...),
		Readers:                jsii.Strings(la.Readers...),
		DeploymentRoleArn:      jsii.String(cfg.CloudFormationExecutionRoleARN(cfg.Organization.SecurityAccount, cfg.HomeRegion)),
		// The archive detection function (internal/stacks/detection.go), by the names it will have.
		LogFileQueue: awssqs.Queue_FromQueueArn(stack, jsii.String("DetectionArchiveQueue"),
			jsii.String(detection.ArchiveQueueArn(cfg.Partition(), cfg.HomeRegion, cfg.Organization.SecurityAccount))),
		LogFileReaders: jsii.Strings(logFileReaders(cfg)...),
	})
	output(stack, "LogArchiveBucketArn", archive.Bucket().BucketArn(), "The log archive bucket the organization trail delivers to")
	output(stack, "LogArchiveAccessLogBucketArn", archive.AccessLogBucket().BucketArn(), "The bucket holding the log archive bucket's server access logs")
	output(stack, "LogArchiveKeyArn", archive.Key().KeyArn(), "The KMS key encrypting the organization trail's log files (alias "+config.TrailKeyAlias+")")
	return archive
}

// logFileReaders are the roles of the Security account that read the archive's log files
// through S3: the archive detection function's, and the archive query role's when enabled
// (Athena reads with the caller's permissions).
func logFileReaders(cfg *config.Config) []string {
	readers := []string{detection.ArchiveRoleArn(cfg.Partition(), cfg.Organization.SecurityAccount)}
	if cfg.ArchiveQuery.Enabled {
		readers = append(readers, archivequery.RoleArn(cfg.Partition(), cfg.Organization.SecurityAccount))
	}
	return readers
}

// output adds a stack output.
func output(stack awscdk.Stack, id string, value *string, description string) {
	awscdk.NewCfnOutput(stack, jsii.String(id), &awscdk.CfnOutputProps{
		Value:       value,
		Description: jsii.String(description),
	})
}
