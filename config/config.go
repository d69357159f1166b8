// Package config is trailguard's typed organization config: parsing a YAML file strictly,
// applying defaults in one place, and validating everything at once.
//
// It is pure Go (no jsii), so it loads and validates in microseconds and its tests need no
// Node.js. Every other package receives a *Config that Load has already defaulted and
// validated. examples/org.yaml documents every setting with its default.
//
//	data, err := os.ReadFile("org.yaml")
//	if err != nil {
//		return err
//	}
//	cfg, err := config.Load("org.yaml", data)
//	if err != nil {
//		// Every problem at once, each with its line, the field, the value and what is
//		// expected: print it as it is.
//		return err
//	}
//	// Names and ARNs other accounts' stacks agree on, computed from the config.
//	fmt.Println(cfg.SecurityStackName(), cfg.StreamARN(), cfg.LogArchiveBucketARN())
package config

// Config describes one AWS Organization and how trailguard logs its API calls.
type Config struct {
	// Organization names the organization and its two special accounts.
	Organization Organization `yaml:"organization"`
	// HomeRegion is where the Security account's log archive, stream and receiving bus live,
	// and where the organization trail and the member accounts' local trails are created.
	HomeRegion string `yaml:"homeRegion"`
	// Regions are the regions whose events are forwarded in real time. They must include
	// HomeRegion. The organization trail and local trails are multi-region regardless.
	Regions []string `yaml:"regions"`
	// Members are the member accounts that get a local trail and event forwarding, each
	// deployed as its own stacks (stacks mode). In stackset mode the StackSet reaches every
	// account of Deployment.OrganizationalUnits instead, and members are optional.
	Members []Member `yaml:"members"`
	// LogArchive configures the Security account's log archive bucket.
	LogArchive LogArchive `yaml:"logArchive"`
	// OrganizationTrail configures the organization trail in the management account.
	OrganizationTrail OrganizationTrail `yaml:"organizationTrail"`
	// AccountTrail configures the local trail in each member account.
	AccountTrail AccountTrail `yaml:"accountTrail"`
	// EventStream configures the Security account's Kinesis stream and receiving bus.
	EventStream EventStream `yaml:"eventStream"`
	// Alerts configures the high-risk event alerts in the Security account.
	Alerts Alerts `yaml:"alerts"`
	// Detection configures the rules of the detection functions in the Security account.
	Detection Detection `yaml:"detection"`
	// Response configures the automatic response to the rules' alerts (docs/response.md).
	Response Response `yaml:"response"`
	// Guardrails configures the service control policy that protects the logging.
	Guardrails Guardrails `yaml:"guardrails"`
	// Deployment configures how the stacks reach the accounts.
	Deployment Deployment `yaml:"deployment"`
	// Tags are applied to every taggable resource trailguard creates.
	Tags map[string]string `yaml:"tags"`
	// Quotas tell the AWS quota gate about quotas raised for the organization's accounts.
	Quotas Quotas `yaml:"quotas"`
	// EventHistory configures the role incident responders assume to export each account's
	// CloudTrail Event History.
	EventHistory EventHistory `yaml:"eventHistory"`
	// ArchiveQuery configures the Athena layer over the log archive in the Security account.
	ArchiveQuery ArchiveQuery `yaml:"archiveQuery"`
}

// ArchiveQuery configures querying the log archive with Athena (`trailguard query`): a Glue
// table over the organization trail's log files, a workgroup with encrypted results and a
// per-query scan cutoff, named queries, and the role trailguard-archive-query that the
// investigators assume to query.
type ArchiveQuery struct {
	// Enabled creates the Athena layer in the Security stack. Default: false.
	Enabled bool `yaml:"enabled"`
	// BytesScannedCutoffPerQuery is the most data one query may scan, in bytes, at least
	// 10000000 (10 MB); Athena cancels a query that passes it. Default: 1000000000000 (1 TB,
	// about $5 at Athena's price in most regions).
	BytesScannedCutoffPerQuery int `yaml:"bytesScannedCutoffPerQuery"`
	// ResultsRetentionDays is how long query results are kept. Default: 30.
	ResultsRetentionDays int `yaml:"resultsRetentionDays"`
	// ProjectionStartDate is the first day (yyyy/MM/dd) the table covers: the day the
	// organization trail started, or earlier. Default: 2020/01/01.
	ProjectionStartDate string `yaml:"projectionStartDate"`
	// Investigators are the IAM role ARNs that may assume trailguard-archive-query. Default:
	// logArchive.readers and eventHistory.investigators.
	Investigators []string `yaml:"investigators"`
	// ExtraAccounts are account ids the table covers besides the management, Security and
	// member accounts of this config: in stackset mode, the accounts of the OUs. Default: none.
	ExtraAccounts []string `yaml:"extraAccounts"`
}

// ArchiveQueryAccounts are the accounts the archive query table covers: the management and
// Security accounts, the members and ArchiveQuery.ExtraAccounts, each once.
func (c *Config) ArchiveQueryAccounts() []string {
	seen := map[string]bool{}
	var out []string
	add := func(a string) {
		if a != "" && !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	add(c.Organization.ManagementAccount)
	add(c.Organization.SecurityAccount)
	for _, m := range c.Members {
		add(m.ID)
	}
	for _, a := range c.ArchiveQuery.ExtraAccounts {
		add(a)
	}
	return out
}

// EventHistory configures the Event History reader role (trailguard-event-history-reader) in
// every account: the management, Security and member accounts, in both deployment modes.
type EventHistory struct {
	// Investigators are the IAM role ARNs that may assume the reader role. Default: none, and
	// then no reader role is created.
	Investigators []string `yaml:"investigators"`
}

// Quotas configure the AWS quota gate that checks every synthesized template.
type Quotas struct {
	// Raised are adjustable quotas raised with Service Quotas in every account and region
	// deployed to, by the gate's quota id (e.g. "events.event-pattern-size": 4096): the gate
	// checks against these values instead of AWS's defaults. Default: none.
	Raised map[string]int `yaml:"raised"`
}

// Organization identifies the AWS Organization and its management and Security accounts.
type Organization struct {
	// ID is the organization id, e.g. "o-a1b2c3d4e5".
	ID string `yaml:"id"`
	// ManagementAccount is the 12-digit id of the management account, which owns the
	// organization trail and the service control policy.
	ManagementAccount string `yaml:"managementAccount"`
	// SecurityAccount is the 12-digit id of the Security (log archive) account.
	SecurityAccount string `yaml:"securityAccount"`
}

// Member is one member account.
type Member struct {
	// ID is the 12-digit account id.
	ID string `yaml:"id"`
	// Name is a short name used in stack names, e.g. "workloads-prod".
	Name string `yaml:"name"`
	// Regions restricts forwarding to a subset of Config.Regions; it must include the home
	// region. Default: Config.Regions.
	Regions []string `yaml:"regions"`
}

// LogArchive configures the log archive bucket in the Security account.
type LogArchive struct {
	// BucketName is the archive bucket's name. Default: "trailguard-archive-<security
	// account>-<home region>".
	BucketName string `yaml:"bucketName"`
	// RetentionDays is how long log objects are kept before lifecycle expiry.
	// Default: 2557 (7 years).
	RetentionDays int `yaml:"retentionDays"`
	// TransitionDays moves objects to S3 Glacier Instant Retrieval after this many days;
	// 0 keeps them in S3 Standard. Default: 90.
	TransitionDays int `yaml:"transitionDays"`
	// ObjectLock configures the write-once-read-many default retention.
	ObjectLock ObjectLock `yaml:"objectLock"`
	// AccessLogRetentionDays is how long the server access logs are kept. Default: 365.
	AccessLogRetentionDays int `yaml:"accessLogRetentionDays"`
	// BreakGlassPrincipals are IAM role ARNs that may still delete log objects or change the
	// bucket's protective configuration (within what Object Lock allows). Default: none.
	BreakGlassPrincipals []string `yaml:"breakGlassPrincipals"`
	// Readers are IAM role ARNs allowed to read and decrypt the logs. Default: none.
	Readers []string `yaml:"readers"`
}

// ObjectLock configures S3 Object Lock default retention on the archive bucket.
type ObjectLock struct {
	// Mode is COMPLIANCE (nobody, not even root, can shorten retention) or GOVERNANCE
	// (principals with s3:BypassGovernanceRetention can). Default: COMPLIANCE.
	Mode string `yaml:"mode"`
	// Days is the default retention of every object version. Default: 365.
	Days int `yaml:"days"`
}

// CloudWatchLogs configures optional trail delivery to CloudWatch Logs.
type CloudWatchLogs struct {
	// Enabled turns delivery on. Default: false.
	Enabled bool `yaml:"enabled"`
	// RetentionDays is the log group retention, one of the values CloudWatch Logs accepts.
	// Default: 365.
	RetentionDays int `yaml:"retentionDays"`
}

// OrganizationTrail configures the organization trail in the management account.
type OrganizationTrail struct {
	// Name is the trail name. Default: "trailguard-organization".
	Name string `yaml:"name"`
	// CloudWatchLogs optionally delivers the trail to a CMK-encrypted log group.
	CloudWatchLogs CloudWatchLogs `yaml:"cloudWatchLogs"`
	// DataEvents lists resource types whose data events are logged organization-wide, e.g.
	// "AWS::S3::Object", "AWS::Lambda::Function". The log archive bucket is always excluded.
	// Default: none.
	DataEvents []string `yaml:"dataEvents"`
	// InsightTypes turns on CloudTrail Insights: "ApiCallRateInsight",
	// "ApiErrorRateInsight". Default: none.
	InsightTypes []string `yaml:"insightTypes"`
}

// AccountTrail configures the local trail in each member account.
type AccountTrail struct {
	// Name is the local trail's name. Default: "trailguard-local".
	Name string `yaml:"name"`
	// RetentionDays is how long the local bucket keeps log objects. Default: 365.
	RetentionDays int `yaml:"retentionDays"`
	// CloudWatchLogs optionally delivers the local trail to a log group.
	CloudWatchLogs CloudWatchLogs `yaml:"cloudWatchLogs"`
}

// EventStream configures the real-time leg: the Security account's Kinesis stream, its
// receiving event bus, and the member accounts' forwarding rules.
type EventStream struct {
	// StreamName is the Kinesis stream's name. Default: "trailguard-security-events".
	StreamName string `yaml:"streamName"`
	// BusName is the receiving custom event bus for other regions. Default:
	// "trailguard-security-events".
	BusName string `yaml:"busName"`
	// Mode is ON_DEMAND or PROVISIONED. Default: ON_DEMAND.
	Mode string `yaml:"mode"`
	// ShardCount is the number of shards in PROVISIONED mode. Default: 1.
	ShardCount int `yaml:"shardCount"`
	// RetentionHours is the stream retention, 168 (7 days) to 8760 (365 days). Default: 168.
	RetentionHours int `yaml:"retentionHours"`
	// PartitionKey is "eventId" (even shard spread) or "accountId" (per-account ordering).
	// Default: "eventId".
	PartitionKey string `yaml:"partitionKey"`
	// IncludeReadOnlyEvents also forwards read-only management events (high volume).
	// Default: false.
	IncludeReadOnlyEvents bool `yaml:"includeReadOnlyEvents"`
	// ExtraDetailTypes are forwarded in addition to "AWS API Call via CloudTrail" and
	// "AWS Console Sign In via CloudTrail". Default: none.
	ExtraDetailTypes []string `yaml:"extraDetailTypes"`
}

// Alerts configures the high-risk event alerts.
type Alerts struct {
	// Emails are subscribed to the alert topic (each must confirm). Default: none.
	Emails []string `yaml:"emails"`
}

// Detection configures the rules the detection functions (the stream's and the archive's) run
// besides the default rules.
type Detection struct {
	// RulesDir is a directory of rule files (*.yaml, *.yml, read recursively), relative to
	// the config file, loaded after the default rules as `trailguard detect --rules` loads
	// it: a rule with a default rule's id replaces it. The synth checks the rules and bundles
	// them into both functions. Default: none (the default rules only).
	RulesDir string `yaml:"rulesDir"`
	// DisabledRules are the ids of default or user rules turned off. Default: none.
	DisabledRules []string `yaml:"disabledRules"`
	// RuleFiles are the files of RulesDir by path relative to it, read by the app (package
	// config reads no files); not part of the YAML.
	RuleFiles map[string]string `yaml:"-"`
}

// Guardrails configures the service control policy that stops member accounts from
// silencing the logging.
type Guardrails struct {
	// Enabled creates and attaches the policy. Default: true.
	Enabled *bool `yaml:"enabled"`
	// Targets are the organization root ("r-...") or OUs ("ou-...") the policy is attached to.
	Targets []string `yaml:"targets"`
	// ExemptPrincipals are IAM role ARN patterns (wildcards allowed in the role name) that
	// may still change the logging, e.g. a break-glass role. The deployment roles are exempt
	// automatically. Default: none.
	ExemptPrincipals []string `yaml:"exemptPrincipals"`
}

// Deployment configures how the stacks reach the accounts.
type Deployment struct {
	// Mode is "stacks" (one Member stack per account and region, deployed with cdk deploy)
	// or "stackset" (a service-managed StackSet in the management account). Default: "stacks".
	Mode string `yaml:"mode"`
	// OrganizationalUnits are the OUs a stackset deploys to automatically (stackset mode).
	OrganizationalUnits []string `yaml:"organizationalUnits"`
	// Qualifier is the cdk bootstrap qualifier, used to name the deployment roles.
	// Default: "hnb659fds".
	Qualifier string `yaml:"qualifier"`
	// StackSet tunes the StackSet's rollout (stackset mode).
	StackSet StackSetOptions `yaml:"stackSet"`
	// Deployers are IAM role ARN patterns of who deploys trailguard: with the guardrails on,
	// only they may run cdk bootstrap, assume the bootstrap deploy and file-publishing roles,
	// pass the CloudFormation execution role, and update, delete or un-protect the trailguard
	// stacks (and StackSet instances). Default: [arn:<partition>:iam::*:role/OrganizationAccountAccessRole],
	// the role Organizations creates in the accounts it creates, which only the management
	// account can assume. The detection rules treat CloudFormation acting with these roles (or
	// the bootstrap roles of Qualifier) as deployment (docs/detection.md, the organization
	// context).
	Deployers []string `yaml:"deployers"`
}

// DefaultDeployerRole is the role name of the default deployer.
const DefaultDeployerRole = "OrganizationAccountAccessRole"

// StackSetOptions are the StackSet's operation preferences.
type StackSetOptions struct {
	// MaxConcurrentPercentage is the share of accounts deployed at once per region.
	// Default: 25.
	MaxConcurrentPercentage int `yaml:"maxConcurrentPercentage"`
	// FailureTolerancePercentage is the share of accounts per region that may fail before
	// the rollout stops in that region. Default: 10.
	FailureTolerancePercentage int `yaml:"failureTolerancePercentage"`
	// RegionConcurrency is PARALLEL or SEQUENTIAL (home region first). Default: PARALLEL.
	RegionConcurrency string `yaml:"regionConcurrency"`
}

// Deployment modes.
const (
	// ModeStacks deploys one Member stack per account and region with cdk deploy.
	ModeStacks = "stacks"
	// ModeStackSet deploys the Member template through a service-managed StackSet.
	ModeStackSet = "stackset"
)

// Partition keys for records on the stream.
const (
	// PartitionByEventID spreads records evenly over the shards.
	PartitionByEventID = "eventId"
	// PartitionByAccountID keeps each account's records in order on one shard.
	PartitionByAccountID = "accountId"
)

// MemberRegions returns the regions m forwards from: its own list or, if empty, all regions.
func (c *Config) MemberRegions(m Member) []string {
	if len(m.Regions) > 0 {
		return m.Regions
	}
	return c.Regions
}

// GuardrailsEnabled reports whether the service control policy is created.
func (c *Config) GuardrailsEnabled() bool {
	return c.Guardrails.Enabled == nil || *c.Guardrails.Enabled
}
