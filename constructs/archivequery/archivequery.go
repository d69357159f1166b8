// Package archivequery makes the organization trail's log archive queryable with Amazon
// Athena, so an investigator can ask "what did this principal do across the organization in
// the last 14 months?" of years of logs, in every account and region at once: what Event
// History (90 days, one account) and `trailguard detect` on one machine cannot answer.
//
// An ArchiveQuery is, in the Security account's stack next to the log archive:
//
//   - a Glue database and an external table over the organization trail's log files in the
//     archive bucket, with the columns, SerDe and input format AWS documents for CloudTrail and
//     partition projection by account (an enum of the organization's accounts), region (an
//     enum) and day, mapped to AWSLogs/<org id>/<account>/CloudTrail/<region>/<yyyy>/<MM>/<dd>:
//     no crawler, no partitions to load, and a query bounded by days reads only those days;
//   - an Athena workgroup (child "Resource", engine version 3) whose configuration is enforced
//     on every query: results in the results bucket, encrypted with SSE-KMS, and a cutoff on
//     the bytes each query may scan (Athena cancels a query that passes it);
//   - the results bucket: SSE-KMS with a key of its own, versioned, a lifecycle that expires
//     results, Block Public Access, bucket-owner-enforced ownership, TLS-only, server access
//     logs to the given access-log bucket, object events to EventBridge, retained with its
//     policy and key; its policy denies reading
//     or writing results to every principal but the query role;
//   - the query role (trailguard-archive-query) that only InvestigatorArns may assume: it may
//     run queries in this workgroup, read this table's definition, read the organization's log
//     files and read and write the results, nothing else. The archive's key must let it decrypt
//     the log files through S3: the log archive's LogFileReaders (trailguard's Security stack
//     passes RoleArn there);
//   - named queries for the common questions of an investigation (package queries).
//
// Athena reads the logs and writes the results with the caller's own permissions (forward
// access sessions), so whoever cannot assume the role can neither query nor read results.
//
// Usage:
//
//	q := archivequery.NewArchiveQuery(stack, jsii.String("ArchiveQuery"), &archivequery.ArchiveQueryProps{
//		OrganizationId:    jsii.String("o-a1b2c3d4e5"),
//		ArchiveBucket:    archive.Bucket(),
//		Accounts:         jsii.Strings("111111111111", "222222222222", "333333333333"),
//		Regions:          jsii.Strings("eu-west-1", "us-east-1"),
//		InvestigatorArns: jsii.Strings("arn:aws:iam::222222222222:role/security-investigator"),
//		AccessLogBucket:  archive.AccessLogBucket(),
//	})
//	_ = q.WorkGroup()
package archivequery

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsathena"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsglue"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/trailguard/trailguard/compliance"
	"github.com/trailguard/trailguard/constructs/archivequery/queries"
	"github.com/trailguard/trailguard/constructs/internal/check"
	"github.com/trailguard/trailguard/constructs/internal/existing"
	"github.com/trailguard/trailguard/constructs/internal/keypolicy"
	"github.com/trailguard/trailguard/constructs/internal/managed"
	"github.com/trailguard/trailguard/constructs/internal/trust"
)

// Defaults.
const (
	// DefaultDatabaseName and DefaultTableName name the table in the Glue Data Catalog. Athena
	// names allow lowercase letters, digits and underscores only
	// (https://docs.aws.amazon.com/athena/latest/ug/tables-databases-columns-names.html); the
	// guardrails protect databases named GlueNamePrefix*.
	DefaultDatabaseName = "trailguard_archive"
	DefaultTableName    = "cloudtrail_logs"
	// DefaultWorkGroupName and DefaultRoleName name the workgroup and the query role.
	DefaultWorkGroupName = "trailguard-archive-query"
	DefaultRoleName      = "trailguard-archive-query"
	// DefaultBytesScannedCutoffPerQuery is 1 TB: at Athena's $5 per TB scanned (most
	// regions), no query costs more than about $5.
	DefaultBytesScannedCutoffPerQuery = 1_000_000_000_000
	// MinBytesScannedCutoffPerQuery is the least Athena accepts, 10 MB
	// (AWS::Athena::WorkGroup WorkGroupConfiguration.BytesScannedCutoffPerQuery).
	MinBytesScannedCutoffPerQuery = 10_000_000
	// DefaultResultsRetentionDays is how long query results are kept.
	DefaultResultsRetentionDays = 30
	// DefaultProjectionStartDate is the first day projected (AWS's example's).
	DefaultProjectionStartDate = "2020/01/01"
	// ResultsAccessLogPrefix is the key prefix of the results bucket's server access logs in
	// the access-log bucket.
	ResultsAccessLogPrefix = "query-results/"
	// GlueNamePrefix starts the Glue database's name: the guardrails protect it by this prefix
	// (Glue names take no hyphen).
	GlueNamePrefix = "trailguard_"
)

// ArchiveQueryProps configures an ArchiveQuery.
type ArchiveQueryProps struct {
	// OrganizationId is the organization whose trail writes under AWSLogs/<OrganizationId>/.
	// Required.
	OrganizationId *string
	// ArchiveBucket is the log archive bucket the organization trail delivers to, in this
	// account and region: logarchive's Bucket(), or one imported by name
	// (awss3.Bucket_FromBucketName). Its name must be known at synth (an awss3.Bucket with
	// BucketName): the table's location and the query role's policy name it. Only the name
	// is used, so the bucket may be in another stack of the account. Required.
	ArchiveBucket awss3.IBucket
	// Accounts are the 12-digit ids of the organization's accounts projected as the account
	// partition: a query sees only these accounts' logs. Required.
	Accounts *[]*string
	// Regions are the regions projected as the region partition: a query sees only these
	// regions' logs. The organization trail logs every enabled region, so list every region
	// an attacker could use, not only those you deploy to. Required.
	Regions *[]*string
	// InvestigatorArns are the IAM role ARNs (exact, no wildcards) that may assume the query
	// role. Required.
	InvestigatorArns *[]*string
	// AccessLogBucket receives the results bucket's server access logs under
	// ResultsAccessLogPrefix; the construct adds the S3 logging service's delivery statement to
	// its policy. It must be an awss3.Bucket in this stack, such as the log archive's
	// access-log bucket. Required.
	AccessLogBucket awss3.IBucket
	// ProjectionStartDate is the first day (yyyy/MM/dd) the table projects: the day the
	// organization trail started delivering, or earlier.
	// Default: DefaultProjectionStartDate.
	ProjectionStartDate *string
	// BytesScannedCutoffPerQuery is the most data one query may scan, in bytes; Athena
	// cancels a query that passes it. At least MinBytesScannedCutoffPerQuery.
	// Default: DefaultBytesScannedCutoffPerQuery (1 TB).
	BytesScannedCutoffPerQuery *float64
	// ResultsRetentionDays is how long query results are kept before lifecycle expiry.
	// Default: DefaultResultsRetentionDays.
	ResultsRetentionDays *float64
	// ResultsBucketName names the results bucket; it must start with trailguard-.
	// Default: trailguard-query-results-<account>-<region>.
	ResultsBucketName *string
	// DatabaseName names the Glue database; it must start with GlueNamePrefix.
	// Default: DefaultDatabaseName.
	DatabaseName *string
	// TableName names the table. Default: DefaultTableName.
	TableName *string
	// WorkGroupName names the workgroup; it must start with trailguard-.
	// Default: DefaultWorkGroupName.
	WorkGroupName *string
	// RoleName names the query role and its managed policy; it must start with trailguard-.
	// Default: DefaultRoleName.
	RoleName *string
}

// ArchiveQuery is the Athena layer over the log archive.
type ArchiveQuery interface {
	constructs.Construct
	// WorkGroup is the Athena workgroup queries run in.
	WorkGroup() awsathena.CfnWorkGroup
	// Database and Table are the Glue database and table over the log files.
	Database() awsglue.CfnDatabase
	Table() awsglue.CfnTable
	// ResultsBucket holds the query results.
	ResultsBucket() awss3.IBucket
	// Key encrypts the query results.
	Key() awskms.IKey
	// Role is the role investigators assume to query.
	Role() awsiam.IRole
	// TableDefinition is the table as package queries describes it (for its DDL).
	TableDefinition() queries.Table
}

type archiveQuery struct {
	constructs.Construct
	workGroup awsathena.CfnWorkGroup
	database  awsglue.CfnDatabase
	table     awsglue.CfnTable
	results   awss3.Bucket
	key       awskms.Key
	role      awsiam.Role
	roleName  string
	def       queries.Table
}

func (q *archiveQuery) WorkGroup() awsathena.CfnWorkGroup { return q.workGroup }
func (q *archiveQuery) Database() awsglue.CfnDatabase     { return q.database }
func (q *archiveQuery) Table() awsglue.CfnTable           { return q.table }
func (q *archiveQuery) ResultsBucket() awss3.IBucket      { return q.results }
func (q *archiveQuery) Key() awskms.IKey                  { return q.key }
func (q *archiveQuery) Role() awsiam.IRole                { return q.role }
func (q *archiveQuery) TableDefinition() queries.Table    { return q.def }

// RoleArn is the query role's ARN in account: the log archive names it among its
// LogFileReaders before the role exists.
func RoleArn(partition, account string) string {
	return RoleArnIn(partition, account, DefaultRoleName)
}

// settings are the props with defaults applied.
type settings struct {
	orgID, archive                   string
	accounts, regions, investigators []string
	start                            string
	cutoff, retention                float64
	resultsBucket                    string
	database, table, workGroup       string
	roleName                         string
}

var (
	accountRe   = regexp.MustCompile(`^[0-9]{12}$`)
	glueNameRe  = regexp.MustCompile(`^[a-z0-9_]{1,255}$`)
	workGroupRe = regexp.MustCompile(`^[a-zA-Z0-9._-]{1,128}$`)
	roleNameRe  = regexp.MustCompile(`^[A-Za-z0-9+=,.@_-]{1,64}$`)
	roleArnRe   = regexp.MustCompile(`^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+$`)
)

func orDefault(v *float64, def float64) float64 {
	if v == nil {
		return def
	}
	return *v
}

func orName(v *string, def string) string {
	if v == nil {
		return def
	}
	return *v
}

// settings validates the props, reporting every problem at once, and applies the defaults.
func (p *ArchiveQueryProps) settings(stack awscdk.Stack) (*settings, error) {
	problems := check.New("archivequery")
	if p == nil {
		problems.Addf("props are required (OrganizationId, ArchiveBucket, Accounts, Regions, InvestigatorArns and AccessLogBucket)")
		return nil, problems.Err()
	}
	s := &settings{
		start:         orName(p.ProjectionStartDate, DefaultProjectionStartDate),
		cutoff:        orDefault(p.BytesScannedCutoffPerQuery, DefaultBytesScannedCutoffPerQuery),
		retention:     orDefault(p.ResultsRetentionDays, DefaultResultsRetentionDays),
		database:      orName(p.DatabaseName, DefaultDatabaseName),
		table:         orName(p.TableName, DefaultTableName),
		workGroup:     orName(p.WorkGroupName, DefaultWorkGroupName),
		roleName:      orName(p.RoleName, DefaultRoleName),
		accounts:      check.Strings(p.Accounts),
		regions:       check.Strings(p.Regions),
		investigators: check.Strings(p.InvestigatorArns),
	}
	if problems.RequiredMatch("OrganizationId", p.OrganizationId, check.OrganizationID, "an organization id matching o-[a-z0-9]{10,32}") {
		s.orgID = *p.OrganizationId
	}
	const bucketWant = "the log archive bucket's name, an S3 bucket name: 3-63 lowercase letters, digits and hyphens"
	if b := p.ArchiveBucket; b == nil {
		problems.Addf("ArchiveBucket is required: %s (logarchive's Bucket(), or awss3.Bucket_FromBucketName)", bucketWant)
	} else if n := existing.BucketName(b); !check.Known(n) {
		problems.Addf("ArchiveBucket %s must have a name known at synth (an awss3.Bucket with BucketName, or imported by name), got none: the table's location and the query role's policy name it", *b.Node().Path())
	} else if problems.Match("ArchiveBucket", n, check.BucketName, bucketWant) {
		s.archive = *n
	}
	if len(s.accounts) == 0 {
		problems.Addf("Accounts is required: the 12-digit ids of the organization's accounts, projected as the account partition")
	}
	problems.List("Accounts", p.Accounts, accountRe, "a 12-digit account id")
	if len(s.regions) == 0 {
		problems.Addf("Regions is required: the regions projected as the region partition, such as eu-west-1")
	}
	problems.List("Regions", p.Regions, check.Region, "an AWS region such as eu-west-1")
	if len(s.investigators) == 0 {
		problems.Addf("InvestigatorArns is required: the IAM role ARNs of the investigators who may query the archive")
	}
	problems.List("InvestigatorArns", p.InvestigatorArns, roleArnRe, "an IAM role ARN without wildcards, such as arn:aws:iam::222222222222:role/security-investigator")
	if p.AccessLogBucket == nil {
		problems.Addf("AccessLogBucket is required: the bucket that receives the results bucket's server access logs, such as the log archive's access-log bucket")
	} else if _, ok := p.AccessLogBucket.(awss3.Bucket); !ok {
		problems.Addf("AccessLogBucket must be an awss3.Bucket built in this stack (its policy gets the S3 logging service's delivery statement), got imported bucket %s", *p.AccessLogBucket.Node().Path())
	}
	if _, err := time.Parse("2006/01/02", s.start); err != nil {
		problems.Addf("ProjectionStartDate must be a date yyyy/MM/dd such as 2020/01/01, got %q", s.start)
	}
	if s.cutoff != float64(int64(s.cutoff)) || s.cutoff < MinBytesScannedCutoffPerQuery {
		problems.Addf("BytesScannedCutoffPerQuery must be a whole number of bytes of at least %d (10 MB, Athena's minimum), got %v", MinBytesScannedCutoffPerQuery, s.cutoff)
	}
	problems.Days("ResultsRetentionDays", p.ResultsRetentionDays, 1, 36500)
	if !glueNameRe.MatchString(s.database) || !strings.HasPrefix(s.database, GlueNamePrefix) {
		problems.Addf("DatabaseName must be lowercase letters, digits and underscores starting with %s (the guardrails protect the database by that prefix), got %q", GlueNamePrefix, s.database)
	}
	if !glueNameRe.MatchString(s.table) {
		problems.Addf("TableName must be lowercase letters, digits and underscores (Athena's rule), got %q", s.table)
	}
	if !workGroupRe.MatchString(s.workGroup) {
		problems.Addf("WorkGroupName must be 1-128 letters, digits, '.', '_' or '-', got %q", s.workGroup)
	}
	problems.Protected("WorkGroupName", &s.workGroup)
	if !roleNameRe.MatchString(s.roleName) {
		problems.Addf("RoleName must be an IAM role name of at most 64 characters, got %q", s.roleName)
	}
	problems.Protected("RoleName", &s.roleName)
	if p.ResultsBucketName != nil {
		problems.Match("ResultsBucketName", p.ResultsBucketName, check.BucketName, "an S3 bucket name: 3-63 lowercase letters, digits and hyphens, no dots")
		problems.Protected("ResultsBucketName", p.ResultsBucketName)
		s.resultsBucket = *p.ResultsBucketName
	} else {
		s.resultsBucket = fmt.Sprintf("trailguard-query-results-%s-%s", *stack.Account(), *stack.Region())
		if check.Unresolved(stack.Account()) || check.Unresolved(stack.Region()) {
			problems.Addf("ResultsBucketName is required in a stack without an account and region: the results key's policy names the bucket")
		}
	}
	if err := problems.Err(); err != nil {
		return nil, err
	}
	return s, nil
}

// NewArchiveQuery creates the table, the workgroup (child "Resource"), the results bucket and
// key, the query role and the named queries in scope's stack, which must be the log archive's
// account and region. It panics with an error naming every invalid prop.
func NewArchiveQuery(scope constructs.Construct, id *string, props *ArchiveQueryProps) ArchiveQuery {
	stack := awscdk.Stack_Of(scope)
	s, err := props.settings(stack)
	if err != nil {
		panic(err)
	}
	same := func(c constructs.IConstruct) bool {
		o, ok := c.(*archiveQuery)
		return ok && o.roleName == s.roleName
	}
	if err := check.OnePerStack(scope, same, "archivequery.ArchiveQuery", *scope.Node().Path()+"/"+*id,
		"its role, workgroup, database and results bucket have fixed names, unique per account and region"); err != nil {
		panic(err)
	}
	q := &archiveQuery{roleName: s.roleName}
	constructs.NewConstruct_Override(q, scope, id)
	managed.Tag(q) // the guardrails protect the key by this tag

	q.addRole(s)
	q.addResults(stack, props, s)
	q.addTable(stack, s)
	q.addWorkGroup(stack, s)
	q.addNamedQueries(s)
	q.addRolePolicy(stack, s)
	return q
}

// addRole creates the query role that only the investigators may assume.
func (q *archiveQuery) addRole(s *settings) {
	q.role = awsiam.NewRole(q, jsii.String("Role"), &awsiam.RoleProps{
		RoleName:    jsii.String(s.roleName),
		Description: jsii.String("trailguard: lets incident responders query the organization trail's log archive with Athena (workgroup " + s.workGroup + ")"),
		// The investigators' accounts narrowed to them: they need not exist before the role.
		AssumedBy: trust.PrincipalsByArn(*jsii.Strings(s.investigators...)),
		// A query runs for at most 30 minutes by default; an investigation session lasts longer.
		MaxSessionDuration: awscdk.Duration_Hours(jsii.Number(4)),
	})
}

// addResults creates the results key and bucket, and lets the S3 logging service deliver the
// bucket's access logs.
func (q *archiveQuery) addResults(stack awscdk.Stack, props *ArchiveQueryProps, s *settings) {
	bucketArn := fmt.Sprintf("arn:%s:s3:::%s", *stack.Partition(), s.resultsBucket)
	q.key = awskms.NewKey(q, jsii.String("Key"), &awskms.KeyProps{
		Description:       jsii.String("trailguard: encrypts the Athena query results of the log archive"),
		EnableKeyRotation: jsii.Bool(true),
		RemovalPolicy:     awscdk.RemovalPolicy_RETAIN_ON_UPDATE_OR_DELETE,
		Policy: awsiam.NewPolicyDocument(&awsiam.PolicyDocumentProps{Statements: &[]awsiam.PolicyStatement{
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid: jsii.String(SidKeyAdministration), Principals: &[]awsiam.IPrincipal{awsiam.NewAccountRootPrincipal()},
				Actions: jsii.Strings(keypolicy.AdministrationActions...), Resources: jsii.Strings("*"),
			}),
			keypolicy.DenyGrantsExceptForAWSServices(),
			// Athena writes and reads the results with the caller's permissions, through S3.
			// With the bucket's S3 Bucket Key the encryption context is the bucket's ARN; an
			// object written without it has its own ARN
			// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html#encryption-context).
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid: jsii.String(SidQueryRoleUsesKey), Principals: &[]awsiam.IPrincipal{q.role},
				Actions: jsii.Strings("kms:GenerateDataKey", "kms:Decrypt"), Resources: jsii.Strings("*"),
				Conditions: &map[string]any{
					"StringEquals": map[string]any{"kms:ViaService": "s3." + *stack.Region() + ".amazonaws.com"},
					"StringLike":   map[string]any{"kms:EncryptionContext:aws:s3:arn": []string{bucketArn, bucketArn + "/*"}},
				},
			}),
		}}),
	})
	q.results = awss3.NewBucket(q, jsii.String("Results"), &awss3.BucketProps{
		BucketName:        jsii.String(s.resultsBucket),
		Encryption:        awss3.BucketEncryption_KMS,
		EncryptionKey:     q.key,
		BucketKeyEnabled:  jsii.Bool(true),
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		ObjectOwnership:   awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		EnforceSSL:        jsii.Bool(true),
		Versioned:         jsii.Bool(true),
		LifecycleRules: &[]*awss3.LifecycleRule{{
			Id:                                  jsii.String("expire-query-results"),
			Expiration:                          awscdk.Duration_Days(&s.retention),
			NoncurrentVersionExpiration:         awscdk.Duration_Days(jsii.Number(1)),
			AbortIncompleteMultipartUploadAfter: awscdk.Duration_Days(jsii.Number(1)),
		}},
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN_ON_UPDATE_OR_DELETE,
	})
	// Results are evidence and may hold what the logs hold: only the query role reads or
	// writes them, whatever identity policies in the account say.
	q.results.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid: jsii.String(SidDenyResultsToOthers), Effect: awsiam.Effect_DENY, Principals: &[]awsiam.IPrincipal{awsiam.NewAnyPrincipal()},
		Actions:    jsii.Strings("s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:RestoreObject"),
		Resources:  jsii.Strings(bucketArn + "/*"),
		Conditions: &map[string]any{"ArnNotEquals": map[string]any{"aws:PrincipalArn": RoleArnIn(*stack.Partition(), *stack.Account(), s.roleName)}},
	}))
	q.results.Policy().ApplyRemovalPolicy(awscdk.RemovalPolicy_RETAIN_ON_UPDATE_OR_DELETE)
	// Server access logging on the L1, as the log archive does (no ACLs with
	// bucket-owner-enforced ownership).
	q.results.Node().DefaultChild().(awss3.CfnBucket).SetLoggingConfiguration(&awss3.CfnBucket_LoggingConfigurationProperty{
		DestinationBucketName: props.AccessLogBucket.BucketName(),
		LogFilePrefix:         jsii.String(ResultsAccessLogPrefix),
	})
	// Object events (deletions, reads are not among them) on the default event bus, as the
	// archive's, for alerting; set on the L1 (the L2 adds a custom resource to do the same).
	q.results.Node().DefaultChild().(awss3.CfnBucket).SetNotificationConfiguration(&awss3.CfnBucket_NotificationConfigurationProperty{
		EventBridgeConfiguration: &awss3.CfnBucket_EventBridgeConfigurationProperty{EventBridgeEnabled: jsii.Bool(true)},
	})
	props.AccessLogBucket.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid: jsii.String(SidResultsAccessLogDelivery), Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("logging.s3.amazonaws.com"), nil)},
		Actions:   jsii.Strings("s3:PutObject"),
		Resources: &[]*string{props.AccessLogBucket.ArnForObjects(jsii.String(ResultsAccessLogPrefix + "*"))},
		Conditions: &map[string]any{
			"ArnLike":      map[string]any{"aws:SourceArn": bucketArn},
			"StringEquals": map[string]any{"aws:SourceAccount": *stack.Account()},
		},
	}))
	const why = "Query results are working copies, re-created by running the query again, and expire after " +
		"the retention period; the logs they come from are the log archive, which is itself the organization's authoritative, Object Lock protected copy."
	compliance.Suppress(q.results, why, "NIST.800.53.R5-S3BucketReplicationEnabled", "HIPAA.Security-S3BucketReplicationEnabled", "PCI.DSS.321-S3BucketReplicationEnabled")
	compliance.Acknowledge(q.results, "s3_bucket_object_lock_enabled_check", why+" Object Lock would keep results, which may hold sensitive log content, beyond their retention.")
}

// addTable creates the Glue database and the table with partition projection.
func (q *archiveQuery) addTable(stack awscdk.Stack, s *settings) {
	q.def = queries.Table{Database: s.database, Name: s.table, Bucket: s.archive, OrganizationID: s.orgID,
		Accounts: s.accounts, Regions: s.regions, StartDate: s.start}
	q.database = awsglue.NewCfnDatabase(q, jsii.String("Database"), &awsglue.CfnDatabaseProps{
		CatalogId: stack.Account(),
		DatabaseInput: &awsglue.CfnDatabase_DatabaseInputProperty{
			Name:        jsii.String(s.database),
			Description: jsii.String("trailguard: the organization trail's log archive, for Athena"),
		},
	})
	column := func(c queries.Column) any {
		return &awsglue.CfnTable_ColumnProperty{Name: jsii.String(c.Name), Type: jsii.String(c.Type)}
	}
	var columns, keys []any
	for _, c := range queries.Columns {
		columns = append(columns, column(c))
	}
	for _, c := range queries.PartitionKeys {
		keys = append(keys, column(c))
	}
	params := map[string]*string{}
	for k, v := range q.def.Parameters() {
		params[k] = jsii.String(v)
	}
	q.table = awsglue.NewCfnTable(q, jsii.String("Table"), &awsglue.CfnTableProps{
		CatalogId:    stack.Account(),
		DatabaseName: q.database.Ref(),
		TableInput: &awsglue.CfnTable_TableInputProperty{
			Name:          jsii.String(s.table),
			Description:   jsii.String("trailguard: CloudTrail log files of organization " + s.orgID + ", partitioned by account, region and day (partition projection)"),
			TableType:     jsii.String("EXTERNAL_TABLE"),
			Parameters:    params,
			PartitionKeys: keys,
			StorageDescriptor: &awsglue.CfnTable_StorageDescriptorProperty{
				Columns:      columns,
				Location:     jsii.String(q.def.Location()),
				InputFormat:  jsii.String(queries.InputFormat),
				OutputFormat: jsii.String(queries.OutputFormat),
				SerdeInfo:    &awsglue.CfnTable_SerdeInfoProperty{SerializationLibrary: jsii.String(queries.SerDe)},
			},
		},
	})
}

// addWorkGroup creates the workgroup with its enforced configuration.
func (q *archiveQuery) addWorkGroup(stack awscdk.Stack, s *settings) {
	q.workGroup = awsathena.NewCfnWorkGroup(q, jsii.String("Resource"), &awsathena.CfnWorkGroupProps{
		Name:                  jsii.String(s.workGroup),
		Description:           jsii.String("trailguard: queries of the organization trail's log archive (results encrypted, scans capped)"),
		State:                 jsii.String("ENABLED"),
		RecursiveDeleteOption: jsii.Bool(false),
		WorkGroupConfiguration: &awsathena.CfnWorkGroup_WorkGroupConfigurationProperty{
			// Clients cannot override the results location, encryption or the cutoff.
			EnforceWorkGroupConfiguration:   jsii.Bool(true),
			PublishCloudWatchMetricsEnabled: jsii.Bool(true),
			BytesScannedCutoffPerQuery:      &s.cutoff,
			RequesterPaysEnabled:            jsii.Bool(false),
			EngineVersion:                   &awsathena.CfnWorkGroup_EngineVersionProperty{SelectedEngineVersion: jsii.String("Athena engine version 3")},
			ResultConfiguration: &awsathena.CfnWorkGroup_ResultConfigurationProperty{
				OutputLocation:      jsii.String("s3://" + s.resultsBucket + "/"),
				ExpectedBucketOwner: stack.Account(),
				EncryptionConfiguration: &awsathena.CfnWorkGroup_EncryptionConfigurationProperty{
					EncryptionOption: jsii.String("SSE_KMS"),
					KmsKey:           q.key.KeyArn(),
				},
			},
		},
	})
	q.workGroup.Node().AddDependency(q.results)
}

// addNamedQueries saves the common questions in the workgroup.
func (q *archiveQuery) addNamedQueries(s *settings) {
	table := queries.QualifiedName(s.database, s.table)
	for _, n := range queries.All {
		nq := awsathena.NewCfnNamedQuery(q, jsii.String("Query-"+n.Name), &awsathena.CfnNamedQueryProps{
			Name:        jsii.String(n.Name),
			Description: jsii.String(n.Description),
			Database:    jsii.String(s.database),
			QueryString: jsii.String(n.SQL(table)),
			WorkGroup:   q.workGroup.Ref(),
		})
		nq.Node().AddDependency(q.table)
	}
}

// addRolePolicy gives the query role what a query needs, and nothing else.
func (q *archiveQuery) addRolePolicy(stack awscdk.Stack, s *settings) {
	p, region, account := *stack.Partition(), *stack.Region(), *stack.Account()
	glue := func(res string) string { return fmt.Sprintf("arn:%s:glue:%s:%s:%s", p, region, account, res) }
	archive := fmt.Sprintf("arn:%s:s3:::%s", p, s.archive)
	results := fmt.Sprintf("arn:%s:s3:::%s", p, s.resultsBucket)
	st := func(sid string, actions []string, resources ...string) awsiam.PolicyStatement {
		return awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{Sid: jsii.String(sid), Actions: jsii.Strings(actions...), Resources: jsii.Strings(resources...)})
	}
	policy := awsiam.NewManagedPolicy(q, jsii.String("Policy"), &awsiam.ManagedPolicyProps{
		ManagedPolicyName: jsii.String(s.roleName),
		Description:       jsii.String("trailguard: query the log archive in Athena workgroup " + s.workGroup),
		Roles:             &[]awsiam.IRole{q.role},
		Statements: &[]awsiam.PolicyStatement{
			st("RunQueriesInTheWorkGroup", queryActions, fmt.Sprintf("arn:%s:athena:%s:%s:workgroup/%s", p, region, account, s.workGroup)),
			st("ReadTheTableDefinition", []string{"glue:GetDatabase", "glue:GetTable", "glue:GetPartition", "glue:GetPartitions"},
				glue("catalog"), glue("database/"+s.database), glue("table/"+s.database+"/"+s.table)),
			st("ListTheArchive", []string{"s3:GetBucketLocation", "s3:ListBucket"}, archive),
			st("ReadTheOrganizationsLogFiles", []string{"s3:GetObject"}, archive+"/AWSLogs/"+s.orgID+"/*"),
			st("ListTheResults", []string{"s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"}, results),
			st("ReadAndWriteTheResults", []string{"s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"}, results+"/*"),
		},
	})
	compliance.SuppressMatching(policy, "AwsSolutions-IAM5",
		"Athena reads every log file of the organization's prefix in the archive (the partitions a query names), and writes and reads result objects whose keys it generates; "+
			"the wildcards are within the organization's prefix of the archive and the results bucket, for object actions only.",
		// The partition is a literal or, where the stack leaves it to CloudFormation, cdk-nag's
		// <AWS::Partition>.
		`^Resource::arn:(<AWS::Partition>|[a-z-]+):s3:::`+regexp.QuoteMeta(s.archive)+`/AWSLogs/`+s.orgID+`/\*$`,
		`^Resource::arn:(<AWS::Partition>|[a-z-]+):s3:::`+regexp.QuoteMeta(s.resultsBucket)+`/\*$`)
}

// queryActions are what running a query and reading its results take in the workgroup
// ("Actions defined by Amazon Athena",
// https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonathena.html).
var queryActions = sorted(
	"athena:StartQueryExecution", "athena:StopQueryExecution", "athena:GetQueryExecution", "athena:BatchGetQueryExecution",
	"athena:ListQueryExecutions", "athena:GetQueryResults", "athena:GetQueryRuntimeStatistics", "athena:GetWorkGroup",
	"athena:GetNamedQuery", "athena:BatchGetNamedQuery", "athena:ListNamedQueries",
)

func sorted(v ...string) []string {
	sort.Strings(v)
	return v
}

// RoleArnIn is the ARN of the role named name in account.
func RoleArnIn(partition, account, name string) string {
	return fmt.Sprintf("arn:%s:iam::%s:role/%s", partition, account, name)
}

// Sids of the construct's policy statements.
const (
	SidKeyAdministration        = "KeyAdministration"
	SidQueryRoleUsesKey         = "AllowQueryRoleThroughS3"
	SidDenyResultsToOthers      = "DenyResultsToAllButTheQueryRole"
	SidResultsAccessLogDelivery = "AllowQueryResultsAccessLogDelivery"
)
