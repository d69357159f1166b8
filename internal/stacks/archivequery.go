package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/trailguard/trailguard/config"
	"github.com/trailguard/trailguard/constructs/archivequery"
	"github.com/trailguard/trailguard/constructs/logarchive"
)

// addArchiveQuery adds the Athena layer over the log archive to the Security stack when the
// config enables it: the table covers the organization's accounts and every region of the
// partition (the organization trail logs them all), and the query role is one of the
// archive's log file readers (internal/stacks/logarchive.go).
func addArchiveQuery(stack awscdk.Stack, cfg *config.Config, archive logarchive.LogArchive) {
	aq := cfg.ArchiveQuery
	if !aq.Enabled {
		return
	}
	q := archivequery.NewArchiveQuery(stack, jsii.String("ArchiveQuery"), &archivequery.ArchiveQueryProps{
		OrganizationId:             jsii.String(cfg.Organization.ID),
		ArchiveBucket:              archive.Bucket(),
		Accounts:                   jsii.Strings(cfg.ArchiveQueryAccounts()...),
		Regions:                    jsii.Strings(config.PartitionRegions(cfg.Partition())...),
		InvestigatorArns:           jsii.Strings(aq.Investigators...),
		AccessLogBucket:            archive.AccessLogBucket(),
		ProjectionStartDate:        jsii.String(aq.ProjectionStartDate),
		BytesScannedCutoffPerQuery: jsii.Number(float64(aq.BytesScannedCutoffPerQuery)),
		ResultsRetentionDays:       jsii.Number(float64(aq.ResultsRetentionDays)),
	})
	output(stack, "ArchiveQueryWorkGroup", q.WorkGroup().Ref(), "The Athena workgroup to query the log archive in (trailguard query --workgroup)")
	output(stack, "ArchiveQueryRoleArn", q.Role().RoleArn(), "The role investigators assume to query the log archive")
	output(stack, "ArchiveQueryResultsBucketArn", q.ResultsBucket().BucketArn(), "The bucket holding the archive queries' results")
}
