package stacks

import (
	"slices"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/trailguard/trailguard/compliance"
	"github.com/trailguard/trailguard/config"
	"github.com/trailguard/trailguard/constructs/orgtrail"
)

// addOrganizationTrail adds the organization trail to the Management stack. It names the log
// archive in the Security account by the bucket name and key alias ARN the config computes,
// never by a CDK reference, so the stack synthesizes and deploys on its own (after the
// Security stack).
func addOrganizationTrail(stack awscdk.Stack, cfg *config.Config) orgtrail.OrganizationTrail {
	ot := cfg.OrganizationTrail
	props := &orgtrail.OrganizationTrailProps{
		TrailName:              jsii.String(ot.Name),
		OrganizationId:         jsii.String(cfg.Organization.ID),
		BucketName:             jsii.String(cfg.LogArchive.BucketName),
		BucketRegion:           jsii.String(cfg.HomeRegion),
		KmsKeyArn:              jsii.String(cfg.TrailKeyAliasARN()),
		DataEventResourceTypes: jsii.Strings(ot.DataEvents...),
		InsightTypes:           jsii.Strings(ot.InsightTypes...),
	}
	if slices.Contains(ot.DataEvents, orgtrail.DataEventS3Object) {
		// Every archive delivery makes an access log object: logging those as data events
		// would loop just like logging the archive's own objects.
		props.DataEventExcludedBucketNames = jsii.Strings(cfg.AccessLogBucketName())
	}
	if ot.CloudWatchLogs.Enabled {
		props.SendToCloudWatchLogs = jsii.Bool(true)
		props.LogGroupRetentionDays = jsii.Number(ot.CloudWatchLogs.RetentionDays)
	}
	trail := orgtrail.NewOrganizationTrail(stack, "OrganizationTrail", props)
	if !ot.CloudWatchLogs.Enabled {
		const reason = "Real-time monitoring of the organization's API calls is trailguard's event stream: every member account forwards its CloudTrail events " +
			"within seconds to the Kinesis stream in the Security account, where alert rules match high-risk events. " +
			"A CloudWatch Logs copy in the management account would duplicate that, at ingestion cost, in the account that should hold the least. " +
			"Set organizationTrail.cloudWatchLogs.enabled to deliver one anyway."
		compliance.Suppress(trail, reason, "NIST.800.53.R5-CloudTrailCloudWatchLogsEnabled", "HIPAA.Security-CloudTrailCloudWatchLogsEnabled", "PCI.DSS.321-CloudTrailCloudWatchLogsEnabled")
		compliance.Acknowledge(trail, "cloud_trail_cloud_watch_logs_enabled_check", reason)
	}
	output(stack, "OrganizationTrailArn", trail.TrailArn(), "The organization trail")
	return trail
}
