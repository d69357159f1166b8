package stacks

import (
	"slices"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/trailguard/trailguard/config"
	"github.com/trailguard/trailguard/constructs/orgtrail"
)

// addOrganizationTrail adds the organization trail to the Management stack. It names the log
// archive in the Security account by the bucket name and key alias ARN the config computes,
// never by a CDK reference, so the stack synthesizes and deploys on its own (after the
// Security stack).
func addOrganizationTrail(stack awscdk.Stack, cfg *config.Config) orgtrail.OrganizationTrail {
	props := organizationTrailProps(cfg)
	trail := orgtrail.NewOrganizationTrail(stack, jsii.String("OrganizationTrail"), props)
	output(stack, "OrganizationTrailArn", trail.TrailArn(), "The organization trail")
	return trail
}

// organizationTrailProps are the organization trail's props from the config.
func organizationTrailProps(cfg *config.Config) *orgtrail.OrganizationTrailProps {
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
	return props
}
