package config

// Defaults. Each is documented on the field it fills.
const (
	DefaultArchiveRetentionDays   = 2557 // 7 years, a common audit-log retention
	DefaultArchiveTransitionDays  = 90
	DefaultObjectLockMode         = "COMPLIANCE"
	DefaultObjectLockDays         = 365
	DefaultAccessLogRetentionDays = 365
	DefaultLogGroupRetentionDays  = 365
	DefaultOrganizationTrailName  = "trailguard-organization"
	DefaultAccountTrailName       = "trailguard-local"
	DefaultAccountTrailRetention  = 365
	DefaultStreamName             = "trailguard-security-events"
	DefaultBusName                = "trailguard-security-events"
	DefaultStreamMode             = "ON_DEMAND"
	DefaultShardCount             = 1
	DefaultStreamRetentionHours   = 168 // Security Hub Kinesis.3 asks for at least 7 days
	DefaultQualifier              = "hnb659fds"
	// Rollout defaults: a quarter of the accounts at once, stop at a tenth failing.
	DefaultMaxConcurrentPercentage    = 25
	DefaultFailureTolerancePercentage = 10
	DefaultRegionConcurrency          = "PARALLEL"
	// Archive query defaults: a scan cutoff of 1 TB per query (about $5), results kept 30
	// days, the table from AWS's example's first day.
	DefaultBytesScannedCutoffPerQuery = 1_000_000_000_000
	DefaultQueryResultsRetentionDays  = 30
	DefaultProjectionStartDate        = "2020/01/01"
)

// Load parses, defaults and validates a config file's contents. source names the file in
// error messages. The error, if any, is a *Problems listing every problem found.
func Load(source string, data []byte) (*Config, error) {
	problems := &Problems{Source: source}
	cfg := &Config{}
	lines, bad := decode(data, cfg, problems)
	if len(problems.List) > 0 && len(lines) == 0 {
		// Nothing decoded (not YAML, empty): validating would only add noise.
		return nil, problems.err()
	}
	cfg.applyDefaults(lines)
	validate(cfg, lines, bad, problems)
	if err := problems.err(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// applyDefaults fills every optional field the file did not set. It is the only place
// defaults are set. Whether a field was set is judged by its presence in the file, not by its
// zero value, so an explicit "retentionDays: 0" is validated, not silently replaced.
func (c *Config) applyDefaults(lines map[string]int) {
	d := defaulter(lines)
	la := &c.LogArchive
	if _, set := lines["logArchive.bucketName"]; !set && c.Organization.SecurityAccount != "" && c.HomeRegion != "" {
		la.BucketName = "trailguard-archive-" + c.Organization.SecurityAccount + "-" + c.HomeRegion
	}
	d.int("logArchive.retentionDays", &la.RetentionDays, DefaultArchiveRetentionDays)
	d.int("logArchive.transitionDays", &la.TransitionDays, DefaultArchiveTransitionDays)
	d.string("logArchive.objectLock.mode", &la.ObjectLock.Mode, DefaultObjectLockMode)
	d.int("logArchive.objectLock.days", &la.ObjectLock.Days, DefaultObjectLockDays)
	d.int("logArchive.accessLogRetentionDays", &la.AccessLogRetentionDays, DefaultAccessLogRetentionDays)

	d.string("organizationTrail.name", &c.OrganizationTrail.Name, DefaultOrganizationTrailName)
	d.int("organizationTrail.cloudWatchLogs.retentionDays", &c.OrganizationTrail.CloudWatchLogs.RetentionDays, DefaultLogGroupRetentionDays)

	d.string("accountTrail.name", &c.AccountTrail.Name, DefaultAccountTrailName)
	d.int("accountTrail.retentionDays", &c.AccountTrail.RetentionDays, DefaultAccountTrailRetention)
	d.int("accountTrail.cloudWatchLogs.retentionDays", &c.AccountTrail.CloudWatchLogs.RetentionDays, DefaultLogGroupRetentionDays)

	es := &c.EventStream
	d.string("eventStream.streamName", &es.StreamName, DefaultStreamName)
	d.string("eventStream.busName", &es.BusName, DefaultBusName)
	d.string("eventStream.mode", &es.Mode, DefaultStreamMode)
	if es.Mode == "PROVISIONED" {
		d.int("eventStream.shardCount", &es.ShardCount, DefaultShardCount)
	}
	d.int("eventStream.retentionHours", &es.RetentionHours, DefaultStreamRetentionHours)
	d.string("eventStream.partitionKey", &es.PartitionKey, PartitionByEventID)

	aq := &c.ArchiveQuery
	d.int("archiveQuery.bytesScannedCutoffPerQuery", &aq.BytesScannedCutoffPerQuery, DefaultBytesScannedCutoffPerQuery)
	d.int("archiveQuery.resultsRetentionDays", &aq.ResultsRetentionDays, DefaultQueryResultsRetentionDays)
	d.string("archiveQuery.projectionStartDate", &aq.ProjectionStartDate, DefaultProjectionStartDate)
	if _, set := d["archiveQuery.investigators"]; !set {
		aq.Investigators = union(c.LogArchive.Readers, c.EventHistory.Investigators)
	}
	d.int("response.maxActionsPerResource", &c.Response.MaxActionsPerResource, DefaultMaxActionsPerResource)
	d.int("response.maxActionsPerAccount", &c.Response.MaxActionsPerAccount, DefaultMaxActionsPerAccount)

	d.string("deployment.mode", &c.Deployment.Mode, ModeStacks)
	d.string("deployment.qualifier", &c.Deployment.Qualifier, DefaultQualifier)
	if _, set := d["deployment.deployers"]; !set {
		partition := c.Partition()
		if partition == "" {
			partition = "aws" // homeRegion is invalid, and reported
		}
		c.Deployment.Deployers = []string{"arn:" + partition + ":iam::*:role/" + DefaultDeployerRole}
	}
	ss := &c.Deployment.StackSet
	d.int("deployment.stackSet.maxConcurrentPercentage", &ss.MaxConcurrentPercentage, DefaultMaxConcurrentPercentage)
	d.int("deployment.stackSet.failureTolerancePercentage", &ss.FailureTolerancePercentage, DefaultFailureTolerancePercentage)
	d.string("deployment.stackSet.regionConcurrency", &ss.RegionConcurrency, DefaultRegionConcurrency)
}

// defaulter sets a field to its default unless the file set it.
type defaulter map[string]int

func (d defaulter) int(path string, p *int, def int) {
	if _, set := d[path]; !set {
		*p = def
	}
}

func (d defaulter) string(path string, p *string, def string) {
	if _, set := d[path]; !set {
		*p = def
	}
}

// union returns the distinct values of lists, in order.
func union(lists ...[]string) []string {
	var out []string
	seen := map[string]bool{}
	for _, l := range lists {
		for _, v := range l {
			if !seen[v] {
				seen[v] = true
				out = append(out, v)
			}
		}
	}
	return out
}
