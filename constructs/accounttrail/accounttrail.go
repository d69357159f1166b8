// Package accounttrail provides a member account's local CloudTrail trail: multi-region, with
// log file validation, KMS-encrypted, delivering to a hardened in-account bucket (and,
// optionally, to CloudWatch Logs). It is the account's own copy of its API activity, for its
// own debugging, next to the organization trail in the Security account.
//
// Names and policies are built from AWS::AccountId and AWS::Region, so the same template
// serves every member account.
//
// Usage (as in the package example, which go test compiles):
//
//	app := awscdk.NewApp(nil)
//	stack := awscdk.NewStack(app, jsii.String("Member"), nil)
//	trail := accounttrail.NewAccountTrail(stack, jsii.String("AccountTrail"), &accounttrail.AccountTrailProps{
//		RetentionDays:         jsii.Number(365),
//		CloudWatchLogs:        jsii.Bool(true),
//		LogGroupRetentionDays: jsii.Number(90),
//	})
//	_ = trail.Bucket()
//
// Bring your own bucket and key (ExistingBucket, ExistingAccessLogBucket, ExistingKey): the
// construct then creates none of them, points the trail at them and adds its policy
// statements to theirs. A bucket and key built in the same app are checked (versioning,
// SSE-KMS with the key, Block Public Access, RETAIN; key rotation) and their policies merge:
//
//	key := awskms.NewKey(stack, jsii.String("Key"), &awskms.KeyProps{EnableKeyRotation: jsii.Bool(true)})
//	bucket := awss3.NewBucket(stack, jsii.String("Logs"), &awss3.BucketProps{
//		Encryption: awss3.BucketEncryption_KMS, EncryptionKey: key, Versioned: jsii.Bool(true),
//		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(), RemovalPolicy: awscdk.RemovalPolicy_RETAIN_ON_UPDATE_OR_DELETE,
//	})
//	accounttrail.NewAccountTrail(stack, jsii.String("AccountTrail"), &accounttrail.AccountTrailProps{
//		ExistingBucket: bucket,
//		ExistingKey:    key,
//	})
//
// Imported ones (awss3.Bucket_FromBucketName, awskms.Key_FromKeyArn) cannot be checked or
// edited: the construct's bucket policy replaces an imported bucket's whole policy, and an
// imported key's policy must be given KeyPolicyStatements by its owner. See the props.
package accounttrail

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudtrail"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/trailguard/trailguard/compliance"
	"github.com/trailguard/trailguard/constructs/internal/check"
	"github.com/trailguard/trailguard/constructs/internal/existing"
	"github.com/trailguard/trailguard/constructs/internal/keypolicy"
	"github.com/trailguard/trailguard/constructs/internal/managed"
	"github.com/trailguard/trailguard/constructs/statements"
)

// Bucket name prefixes; the account id and region follow. They start with "trailguard-", so
// the alert pattern recognises changes to the buckets.
const (
	BucketNamePrefix          = "trailguard-local-"
	AccessLogBucketNamePrefix = "trailguard-local-access-logs-"
)

// AccountTrailProps configures an AccountTrail.
type AccountTrailProps struct {
	// TrailName is the trail's name.
	// Default: "trailguard-local".
	TrailName *string
	// RetentionDays is how long the bucket keeps log objects (and their noncurrent
	// versions) before lifecycle expiry.
	// Default: 365.
	RetentionDays *float64
	// AccessLogRetentionDays is how long the access-log bucket keeps server access logs.
	// Default: RetentionDays.
	AccessLogRetentionDays *float64
	// CloudWatchLogs also delivers the trail to a KMS-encrypted log group.
	// Default: false.
	CloudWatchLogs *bool
	// LogGroupRetentionDays is the log group's retention when CloudWatchLogs is true, one of
	// the values CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, ..., 3653).
	// Default: 365.
	LogGroupRetentionDays *float64

	// ExistingBucket is a bucket, in the stack's account and region, for the trail to deliver
	// to instead of creating one. The construct adds to its bucket policy the CloudTrail
	// statements (for this trail only) and a deny of requests without TLS, and changes nothing
	// else on it; it creates no access-log bucket (AccessLogBucket() is nil). Exclusive with
	// the props that shape a new bucket: RetentionDays, AccessLogRetentionDays and
	// ExistingAccessLogBucket.
	//
	// An awss3.Bucket built in the app is checked: it must be versioned, encrypted by default
	// with SSE-KMS and the trail's key (so ExistingKey is required with it), block all public
	// access and be retained (RemovalPolicy RETAIN). The statements merge into its own bucket
	// policy, which is retained.
	//
	// An imported bucket (awss3.Bucket_FromBucketName or _FromBucketArn) cannot be checked:
	// you must guarantee the same. Its bucket policy is a new AWS::S3::BucketPolicy that
	// REPLACES THE BUCKET'S WHOLE EXISTING POLICY when deployed (a bucket has one policy, and
	// CloudFormation writes it whole): copy any statement you need to keep into it first, or
	// it is lost. The guardrails and the alerts recognise trailguard's buckets by the
	// trailguard- prefix: a bucket named otherwise is neither protected nor watched by them.
	// Default: a new bucket, trailguard-local-<account>-<region>.
	ExistingBucket awss3.IBucket
	// ExistingAccessLogBucket is a bucket to receive the new log bucket's server access logs
	// (under trail-bucket/) instead of creating one. The construct adds only a deny of
	// requests without TLS and the statement that lets the S3 logging service deliver from
	// the log bucket. An awss3.Bucket built in
	// the app must be versioned, block all public access, be retained, use SSE-S3 and have no
	// Object Lock default retention (S3 delivers access logs to no other); the statement
	// merges into its policy. For an imported bucket you must guarantee the same, and the new
	// bucket policy REPLACES ITS WHOLE EXISTING POLICY when deployed. Exclusive with
	// AccessLogRetentionDays.
	// Default: a new bucket, trailguard-local-access-logs-<account>-<region>.
	ExistingAccessLogBucket awss3.IBucket
	// ExistingKey is a symmetric KMS key, in the stack's region, to encrypt the log files
	// (and the log group) with instead of creating one.
	//
	// For an awskms.Key built in the app (it must rotate and be retained) the construct adds
	// KeyPolicyStatements to its policy, next to the key's own statements, which then decide
	// who else may use it.
	//
	// An imported key's policy cannot be changed by CDK: add the statements that
	// KeyPolicyStatements returns for the same props to it yourself before the trail is
	// created, or CloudTrail cannot encrypt (and the trail fails to create). The construct
	// leaves the synth warning WarningKeyPolicy carrying them as JSON.
	// Default: a new key.
	ExistingKey awskms.IKey
}

var trailNameRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{2,127}$`)

func (p *AccountTrailProps) validate(stack awscdk.Stack) error {
	if p == nil {
		return nil // every prop has a default
	}
	var errs []error
	if n := p.TrailName; n != nil && !*awscdk.Token_IsUnresolved(n) && !trailNameRe.MatchString(*n) {
		errs = append(errs, fmt.Errorf("accounttrail: TrailName must be 3-128 letters, digits, periods, underscores and hyphens, starting with a letter or digit, got %q", *n))
	} else if msg := check.Unprotected("TrailName", n); msg != "" {
		errs = append(errs, errors.New("accounttrail: "+msg))
	}
	days := func(field string, v *float64) {
		if v != nil && (*v < 1 || *v > 36500 || *v != float64(int(*v))) {
			errs = append(errs, fmt.Errorf("accounttrail: %s must be a whole number of days from 1 to 36500, got %v", field, *v))
		}
	}
	days("RetentionDays", p.RetentionDays)
	days("AccessLogRetentionDays", p.AccessLogRetentionDays)
	if r := p.LogGroupRetentionDays; r != nil {
		if p.CloudWatchLogs == nil || !*p.CloudWatchLogs {
			errs = append(errs, fmt.Errorf("accounttrail: LogGroupRetentionDays only applies with CloudWatchLogs true, got %v without it", *r))
		} else if !slices.Contains(check.LogGroupRetentionDays, *r) {
			errs = append(errs, fmt.Errorf("accounttrail: LogGroupRetentionDays must be one of %v, got %v", check.LogGroupRetentionDays, *r))
		}
	}
	if err := p.checkExisting(stack); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// checkExisting returns the problems with the Existing* props: props that shape a resource the
// construct does not create, and existing resources that break the trail's guarantees.
func (p *AccountTrailProps) checkExisting(stack awscdk.Stack) error {
	problems := check.New("accounttrail")
	if b := p.ExistingBucket; b != nil {
		existing.Exclusive(problems, "ExistingBucket", existing.Describe(b, b.BucketName()),
			[]string{"RetentionDays", "AccessLogRetentionDays", "ExistingAccessLogBucket"},
			map[string]bool{"RetentionDays": p.RetentionDays != nil, "AccessLogRetentionDays": p.AccessLogRetentionDays != nil, "ExistingAccessLogBucket": p.ExistingAccessLogBucket != nil})
		existing.SameEnvironment(problems, "ExistingBucket", "bucket", b, stack)
		if existing.CfnBucket(b) == nil {
			existing.ImportedBucket(problems, "ExistingBucket", b)
		} else {
			if p.ExistingKey == nil {
				problems.Addf("ExistingKey is required with ExistingBucket %s, a bucket built in the app: it must be encrypted with the trail's key, and cannot be with the key the construct would create; pass the bucket's key as ExistingKey", *b.Node().Path())
			}
			existing.CheckBucket(problems, "ExistingBucket", stack, b, existing.BucketWant{Versioned: true, Key: p.ExistingKey, BlockAll: true, Retain: true})
		}
	}
	if b := p.ExistingAccessLogBucket; b != nil {
		existing.Exclusive(problems, "ExistingAccessLogBucket", existing.Describe(b, b.BucketName()),
			[]string{"AccessLogRetentionDays"}, map[string]bool{"AccessLogRetentionDays": p.AccessLogRetentionDays != nil})
		existing.SameEnvironment(problems, "ExistingAccessLogBucket", "bucket", b, stack)
		if existing.CfnBucket(b) == nil {
			existing.ImportedBucket(problems, "ExistingAccessLogBucket", b)
		}
		existing.CheckBucket(problems, "ExistingAccessLogBucket", stack, b, existing.BucketWant{Versioned: true, BlockAll: true, Retain: true, AccessLogTarget: true})
	}
	if k := p.ExistingKey; k != nil {
		existing.SameEnvironment(problems, "ExistingKey", "key", k, stack)
		if existing.CfnKey(k) == nil {
			existing.ImportedKey(problems, "ExistingKey", k, stack.Region())
		}
		existing.CheckKey(problems, "ExistingKey", stack, k)
	}
	return problems.Err()
}

// AccountTrail is a member account's local trail and its bucket.
type AccountTrail interface {
	constructs.Construct
	// Trail is the CloudTrail trail.
	Trail() awscloudtrail.CfnTrail
	// Bucket receives the trail's log files.
	Bucket() awss3.IBucket
	// AccessLogBucket receives the log bucket's server access logs: the construct's, or
	// ExistingAccessLogBucket; nil with ExistingBucket.
	AccessLogBucket() awss3.IBucket
	// Key encrypts the log files (and the log group); readers need kms:Decrypt on it.
	Key() awskms.IKey
	// LogGroup is the CloudWatch Logs group, or nil without CloudWatchLogs.
	LogGroup() awslogs.ILogGroup
}

type accountTrail struct {
	constructs.Construct
	trail     awscloudtrail.CfnTrail
	bucket    awss3.IBucket
	accessLog awss3.IBucket
	key       awskms.IKey
	logGroup  awslogs.LogGroup
}

// NewAccountTrail creates the trail (child "Resource"), its key, bucket and access-log bucket.
// It panics with a descriptive error if props are invalid.
func NewAccountTrail(scope constructs.Construct, id *string, props *AccountTrailProps) AccountTrail {
	if err := props.validate(awscdk.Stack_Of(scope)); err != nil {
		panic(err)
	}
	if props == nil {
		props = &AccountTrailProps{}
	}
	name := trailName(props)
	retention := 365.0
	if props.RetentionDays != nil {
		retention = *props.RetentionDays
	}
	accessRetention := retention
	if props.AccessLogRetentionDays != nil {
		accessRetention = *props.AccessLogRetentionDays
	}
	cwl := props.CloudWatchLogs != nil && *props.CloudWatchLogs

	if err := check.OnePerStack(scope, func(c constructs.IConstruct) bool { _, ok := c.(AccountTrail); return ok }, "accounttrail.AccountTrail", *scope.Node().Path()+"/"+*id, "its buckets are named trailguard-local-<account>-<region> and its trail by TrailName, fixed per account and region"); err != nil {
		panic(err)
	}
	a := &accountTrail{}
	constructs.NewConstruct_Override(a, scope, id)
	managed.Tag(a) // the guardrails protect the unnamed resources by this tag

	partition, region, account := awscdk.Aws_PARTITION(), awscdk.Aws_REGION(), awscdk.Aws_ACCOUNT_ID()
	cloudtrail := awsiam.NewServicePrincipal(jsii.String("cloudtrail.amazonaws.com"), nil)

	a.key = a.addKey(props.ExistingKey, name, cwl)

	// --- Buckets and their policies.
	var policy awss3.BucketPolicy
	if b := props.ExistingBucket; b != nil {
		a.bucket = b
		policy = existing.AddToBucketPolicy(a, "BucketPolicy", b, append([]awsiam.PolicyStatement{denyInsecureTransport(b)}, trailBucketStatements(b, name)...))
	} else {
		policy = a.addBuckets(props, name, retention, accessRetention)
	}

	// --- Optional CloudWatch Logs delivery.
	var cwlGroupArn, cwlRoleArn *string
	var cwlRole awsiam.Role
	if cwl {
		logRetention := 365.0
		if props.LogGroupRetentionDays != nil {
			logRetention = *props.LogGroupRetentionDays
		}
		if props.ExistingKey == nil {
			a.key.AddToResourcePolicy(logsStatement(), jsii.Bool(true))
		}
		a.logGroup = awslogs.NewLogGroup(a, jsii.String("LogGroup"), &awslogs.LogGroupProps{
			EncryptionKey: a.key,
			RemovalPolicy: awscdk.RemovalPolicy_RETAIN_ON_UPDATE_OR_DELETE,
		})
		// The L2 takes an enum; the L1 takes the number of days.
		a.logGroup.Node().DefaultChild().(awslogs.CfnLogGroup).SetRetentionInDays(jsii.Number(logRetention))
		// No aws:SourceArn or aws:SourceAccount condition on the trust policy: the CloudTrail
		// user guide ("Role policy document for CloudTrail to use CloudWatch Logs") says this
		// role does not support them, and delivery would fail (as in orgtrail).
		cwlRole = awsiam.NewRole(a, jsii.String("LogsRole"), &awsiam.RoleProps{
			Description: jsii.String("trailguard: lets the local trail deliver to its CloudWatch Logs group"),
			AssumedBy:   cloudtrail,
		})
		cwlRole.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("DeliverToLogGroup"),
			Actions:   jsii.Strings("logs:CreateLogStream", "logs:PutLogEvents"),
			Resources: &[]*string{join(jsii.String("arn:"), partition, jsii.String(":logs:"), region, jsii.String(":"), account, jsii.String(":log-group:"), a.logGroup.LogGroupName(), jsii.String(":log-stream:*"))},
		}))
		cwlGroupArn, cwlRoleArn = a.logGroup.LogGroupArn(), cwlRole.RoleArn()
	}

	// --- Trail.
	a.trail = awscloudtrail.NewCfnTrail(a, jsii.String("Resource"), &awscloudtrail.CfnTrailProps{
		TrailName:                  jsii.String(name),
		S3BucketName:               a.bucket.BucketName(),
		KmsKeyId:                   a.key.KeyArn(),
		IsLogging:                  jsii.Bool(true),
		IsMultiRegionTrail:         jsii.Bool(true),
		IncludeGlobalServiceEvents: jsii.Bool(true),
		EnableLogFileValidation:    jsii.Bool(true),
		CloudWatchLogsLogGroupArn:  cwlGroupArn,
		CloudWatchLogsRoleArn:      cwlRoleArn,
	})
	// CloudTrail checks its bucket and key permissions when the trail is created.
	a.trail.Node().AddDependency(policy)
	if cwlRole != nil {
		a.trail.Node().AddDependency(cwlRole)
	} else {
		const reason = "CloudWatch Logs delivery of the local trail is an option (accountTrail.cloudWatchLogs), off by default: every API call of the account already " +
			"reaches the Security account's Kinesis stream within seconds through the event forwarder, where alerting and monitoring happen, and the organization trail keeps the archive."
		compliance.Suppress(a.trail, reason, "NIST.800.53.R5-CloudTrailCloudWatchLogsEnabled", "HIPAA.Security-CloudTrailCloudWatchLogsEnabled", "PCI.DSS.321-CloudTrailCloudWatchLogsEnabled")
		compliance.Acknowledge(a.trail, "cloud_trail_cloud_watch_logs_enabled_check", reason)
	}
	return a
}

// addKey creates the key, or adds the trail's statements to existingKey's policy, and
// returns the key.
func (a *accountTrail) addKey(existingKey awskms.IKey, name string, cwl bool) awskms.IKey {
	// SSE-KMS with a customer managed key rather than SSE-S3: reading the logs
	// then needs kms:Decrypt as well as s3:GetObject (a second, auditable gate), CloudTrail
	// encrypts each log file under the trail's own encryption context, and Security Hub
	// CloudTrail.2 asks for it. The policy names the account by pseudo parameter so the
	// template is the same in every account.
	if k := existingKey; k != nil {
		if !existing.AddToKeyPolicy(k, keyStatements(name, cwl)) {
			// Not silently: CDK cannot edit an imported key's policy.
			text, err := statements.JSON(a, keyStatements(name, cwl)...)
			if err != nil {
				panic(err)
			}
			awscdk.Annotations_Of(a).AddWarningV2(jsii.String(WarningKeyPolicy), jsii.String(fmt.Sprintf("accounttrail: ExistingKey %s is imported, so its key policy cannot be changed here: "+
				"add these statements to its \"Statement\" list before the trail is created, or CloudTrail cannot encrypt the log files "+
				"(accounttrail.KeyPolicyStatements returns them, Sids %s): %s",
				existing.Describe(k, k.KeyArn()), strings.Join(keyStatementSids(cwl), ", "), text)))
		}
		return k
	}
	partition, account := awscdk.Aws_PARTITION(), awscdk.Aws_ACCOUNT_ID()
	return awskms.NewKey(a, jsii.String("Key"), &awskms.KeyProps{
		Description:       jsii.String("trailguard: encrypts the local trail " + name),
		EnableKeyRotation: jsii.Bool(true),
		RemovalPolicy:     awscdk.RemovalPolicy_RETAIN_ON_UPDATE_OR_DELETE,
		Policy: awsiam.NewPolicyDocument(&awsiam.PolicyDocumentProps{Statements: &[]awsiam.PolicyStatement{
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid:        jsii.String("AllowAccountAdministration"),
				Principals: &[]awsiam.IPrincipal{awsiam.NewArnPrincipal(join(jsii.String("arn:"), partition, jsii.String(":iam::"), account, jsii.String(":root")))},
				Actions:    jsii.Strings("kms:*"),
				Resources:  jsii.Strings("*"),
			}),
			trailEncrypt(name),
			trailBucketKeys(name),
			keypolicy.DenyGrantsExceptForAWSServices(),
		}}),
	})
}

// addBuckets creates the log bucket and, unless ExistingAccessLogBucket is set, its
// access-log bucket, with their policies, and returns the log bucket's policy.
func (a *accountTrail) addBuckets(props *AccountTrailProps, name string, retention, accessRetention float64) awss3.BucketPolicy {
	region, account := awscdk.Aws_REGION(), awscdk.Aws_ACCOUNT_ID()
	// --- Access-log bucket: SSE-S3, the only encryption S3 server access logging delivers to.
	var accessLog awss3.Bucket
	if props.ExistingAccessLogBucket != nil {
		a.accessLog = props.ExistingAccessLogBucket
	} else {
		accessLog = awss3.NewBucket(a, jsii.String("AccessLogBucket"), &awss3.BucketProps{
			BucketName:        join(jsii.String(AccessLogBucketNamePrefix), account, jsii.String("-"), region),
			Encryption:        awss3.BucketEncryption_S3_MANAGED,
			BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
			EnforceSSL:        jsii.Bool(true),
			Versioned:         jsii.Bool(true),
			ObjectOwnership:   awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
			LifecycleRules:    expiry(accessRetention),
			RemovalPolicy:     awscdk.RemovalPolicy_RETAIN_ON_UPDATE_OR_DELETE,
		})
		a.accessLog = accessLog
	}

	// --- Log bucket.
	bucket := awss3.NewBucket(a, jsii.String("Bucket"), &awss3.BucketProps{
		BucketName:        join(jsii.String(BucketNamePrefix), account, jsii.String("-"), region),
		Encryption:        awss3.BucketEncryption_KMS,
		EncryptionKey:     a.key,
		BucketKeyEnabled:  jsii.Bool(true),
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		EnforceSSL:        jsii.Bool(true),
		Versioned:         jsii.Bool(true),
		ObjectOwnership:   awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		LifecycleRules:    expiry(retention),
		RemovalPolicy:     awscdk.RemovalPolicy_RETAIN_ON_UPDATE_OR_DELETE,
	})
	a.bucket = bucket
	// Access logging is set on the L1 with a delivery statement written here: the L2's
	// ServerAccessLogsBucket writes the stack's account id into the policy, and the template
	// must be the same in every account.
	bucket.Node().DefaultChild().(awss3.CfnBucket).SetLoggingConfiguration(&awss3.CfnBucket_LoggingConfigurationProperty{
		DestinationBucketName: a.accessLog.BucketName(),
		LogFilePrefix:         jsii.String(accessLogPrefix),
	})
	delivery := awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowServerAccessLogDelivery"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("logging.s3.amazonaws.com"), nil)},
		Actions:    jsii.Strings("s3:PutObject"),
		Resources:  &[]*string{join(a.accessLog.BucketArn(), jsii.String("/"+accessLogPrefix+"*"))},
		Conditions: &map[string]any{
			"ArnLike":      map[string]any{"aws:SourceArn": bucket.BucketArn()},
			"StringEquals": map[string]any{"aws:SourceAccount": account},
		},
	})
	if accessLog != nil {
		accessLog.AddToResourcePolicy(delivery)
	}
	for _, st := range trailBucketStatements(bucket, name) {
		bucket.AddToResourcePolicy(st)
	}
	// RETAIN on a bucket does not keep its policy: keep it explicitly.
	bucket.Policy().ApplyRemovalPolicy(awscdk.RemovalPolicy_RETAIN_ON_UPDATE_OR_DELETE)
	if accessLog != nil {
		accessLog.Policy().ApplyRemovalPolicy(awscdk.RemovalPolicy_RETAIN_ON_UPDATE_OR_DELETE)
		suppressAccessLogBucketFindings(accessLog)
	} else {
		// The TLS deny too: for an imported bucket this policy is the bucket's whole policy.
		existing.AddToBucketPolicy(a, "AccessLogBucketPolicy", a.accessLog, []awsiam.PolicyStatement{denyInsecureTransport(a.accessLog), delivery})
	}
	suppressBucketFindings(bucket)
	return bucket.Policy()
}

// accessLogPrefix is the key prefix of the log bucket's server access logs.
const accessLogPrefix = "trail-bucket/"

func join(parts ...*string) *string { return awscdk.Fn_Join(jsii.String(""), &parts) }

func trailName(props *AccountTrailProps) string {
	if props != nil && props.TrailName != nil {
		return *props.TrailName
	}
	return "trailguard-local"
}

// trailArnOf is the ARN of the trail named name in the stack's account and region.
func trailArnOf(name string) *string {
	return join(jsii.String("arn:"), awscdk.Aws_PARTITION(), jsii.String(":cloudtrail:"), awscdk.Aws_REGION(), jsii.String(":"), awscdk.Aws_ACCOUNT_ID(), jsii.String(":trail/"+name))
}

func cloudTrailPrincipal() awsiam.IPrincipal {
	return awsiam.NewServicePrincipal(jsii.String("cloudtrail.amazonaws.com"), nil)
}

// trailBucketStatements let CloudTrail write the trail's log files to bucket, for the trail
// named name only.
func trailBucketStatements(bucket awss3.IBucket, name string) []awsiam.PolicyStatement {
	trailArn := trailArnOf(name)
	return []awsiam.PolicyStatement{
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:        jsii.String("AllowCloudTrailAclCheck"),
			Principals: &[]awsiam.IPrincipal{cloudTrailPrincipal()},
			Actions:    jsii.Strings("s3:GetBucketAcl"),
			Resources:  &[]*string{bucket.BucketArn()},
			Conditions: &map[string]any{"StringEquals": map[string]any{"aws:SourceArn": trailArn}},
		}),
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:        jsii.String("AllowCloudTrailWrite"),
			Principals: &[]awsiam.IPrincipal{cloudTrailPrincipal()},
			Actions:    jsii.Strings("s3:PutObject"),
			Resources:  &[]*string{join(bucket.BucketArn(), jsii.String("/AWSLogs/"), awscdk.Aws_ACCOUNT_ID(), jsii.String("/*"))},
			Conditions: &map[string]any{"StringEquals": map[string]any{
				"aws:SourceArn": trailArn,
				"s3:x-amz-acl":  "bucket-owner-full-control",
			}},
		}),
	}
}

// denyInsecureTransport is, for an existing bucket, what EnforceSSL adds to a new one.
func denyInsecureTransport(bucket awss3.IBucket) awsiam.PolicyStatement {
	return awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("DenyInsecureTransport"),
		Effect:     awsiam.Effect_DENY,
		Principals: &[]awsiam.IPrincipal{awsiam.NewAnyPrincipal()},
		Actions:    jsii.Strings("s3:*"),
		Resources:  &[]*string{bucket.BucketArn(), bucket.ArnForObjects(jsii.String("*"))},
		Conditions: &map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}},
	})
}

// Sids of the statements the key policy gives CloudTrail and CloudWatch Logs.
const (
	SidCloudTrailEncrypt     = "AllowCloudTrailToEncryptLogs"
	SidCloudTrailBucketKeys  = "AllowCloudTrailToUseBucketKeys"
	SidCloudWatchLogsEncrypt = "AllowCloudWatchLogsOfThisAccount"
)

func trailEncrypt(name string) awsiam.PolicyStatement {
	trailArn := trailArnOf(name)
	return awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String(SidCloudTrailEncrypt),
		Principals: &[]awsiam.IPrincipal{cloudTrailPrincipal()},
		Actions:    jsii.Strings("kms:GenerateDataKey*"),
		Resources:  jsii.Strings("*"),
		Conditions: &map[string]any{"StringEquals": map[string]any{
			"aws:SourceArn": trailArn,
			"kms:EncryptionContext:aws:cloudtrail:arn": trailArn,
		}},
	})
}

// trailBucketKeys: with S3 Bucket Keys, CloudTrail also decrypts the bucket-level data key.
func trailBucketKeys(name string) awsiam.PolicyStatement {
	return awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String(SidCloudTrailBucketKeys),
		Principals: &[]awsiam.IPrincipal{cloudTrailPrincipal()},
		Actions:    jsii.Strings("kms:Decrypt", "kms:DescribeKey"),
		Resources:  jsii.Strings("*"),
		Conditions: &map[string]any{"StringEquals": map[string]any{"aws:SourceArn": trailArnOf(name)}},
	})
}

// logsStatement lets CloudWatch Logs of this account and region encrypt log groups.
func logsStatement() awsiam.PolicyStatement {
	partition, region, account := awscdk.Aws_PARTITION(), awscdk.Aws_REGION(), awscdk.Aws_ACCOUNT_ID()
	return awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String(SidCloudWatchLogsEncrypt),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(join(jsii.String("logs."), region, jsii.String(".amazonaws.com")), nil)},
		Actions:    jsii.Strings("kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"),
		Resources:  jsii.Strings("*"),
		Conditions: &map[string]any{"ArnLike": map[string]any{
			"kms:EncryptionContext:aws:logs:arn": join(jsii.String("arn:"), partition, jsii.String(":logs:"), region, jsii.String(":"), account, jsii.String(":log-group:*")),
		}},
	})
}

// keyStatements are the statements the trail (and, with CloudWatch Logs, its log group)
// needs on the key.
func keyStatements(name string, cwl bool) []awsiam.PolicyStatement {
	out := []awsiam.PolicyStatement{trailEncrypt(name), trailBucketKeys(name)}
	if cwl {
		out = append(out, logsStatement())
	}
	return out
}

func keyStatementSids(cwl bool) []string {
	if cwl {
		return []string{SidCloudTrailEncrypt, SidCloudTrailBucketKeys, SidCloudWatchLogsEncrypt}
	}
	return []string{SidCloudTrailEncrypt, SidCloudTrailBucketKeys}
}

// WarningKeyPolicy is the id of the synth warning left for an imported ExistingKey: it
// carries the statements to add to the key's policy (KeyPolicyStatements, rendered with
// package statements). Acknowledge it once they are in.
const WarningKeyPolicy = "trailguard:accounttrail:keyPolicy"

// KeyPolicyStatements returns the key policy statements an AccountTrail built with props in
// scope's stack needs on its key: CloudTrail's, for this trail only, and with CloudWatchLogs
// the log group's. Add them to the policy of an imported ExistingKey (the construct cannot;
// its WarningKeyPolicy warning carries them), rendered as the JSON to paste with
// statements.JSON(scope, accounttrail.KeyPolicyStatements(scope, props)...), which fills in
// the account, region and partition of scope's stack where known: give a scope in a stack of
// the key's account and region. It panics like NewAccountTrail if TrailName is invalid. The
// signature is logarchive.KeyPolicyStatements'.
func KeyPolicyStatements(scope constructs.Construct, props *AccountTrailProps) []awsiam.PolicyStatement {
	if props != nil {
		if err := (&AccountTrailProps{TrailName: props.TrailName}).validate(nil); err != nil {
			panic(err)
		}
	}
	return keyStatements(trailName(props), props != nil && props.CloudWatchLogs != nil && *props.CloudWatchLogs)
}

// suppressBucketFindings records, next to the log bucket, why the findings that remain on it
// are deliberate.
func suppressBucketFindings(bucket awss3.Bucket) {
	suppressLogBucketFindings(bucket)
	compliance.Acknowledge(bucket, "s3_bucket_object_lock_enabled_check",
		"The tamper-proof copy is the Object Lock archive in the Security account (organization trail). The local bucket is the account's own working copy; "+
			"Object Lock would stop the account from ever expiring it early, and its deletion or policy changes raise alerts. Versioning keeps overwritten or deleted log files for 30 days.")
}

// suppressLogBucketFindings records the reasons both buckets share.
func suppressLogBucketFindings(b awss3.Bucket) {
	const replication = "The local trail is the account's second copy by design: the organization trail delivers the same events to the Object Lock archive in the Security account " +
		"(another account and failure domain). Replicating the local copy would add a third copy and cost without protecting anything the archive does not."
	const notifications = "Nothing consumes object notifications from these log buckets: the real-time path is the event forwarder (CloudTrail events to the Security stream), " +
		"and changes to the buckets themselves are CloudTrail management events that raise alerts."
	compliance.Suppress(b, replication, "NIST.800.53.R5-S3BucketReplicationEnabled", "HIPAA.Security-S3BucketReplicationEnabled", "PCI.DSS.321-S3BucketReplicationEnabled")
	compliance.Acknowledge(b, "s3_event_notifications_enabled_check", notifications)
}

// suppressAccessLogBucketFindings records, next to the access-log bucket, why the findings
// that remain on it are deliberate.
func suppressAccessLogBucketFindings(accessLog awss3.Bucket) {
	suppressLogBucketFindings(accessLog)
	const sseS3 = "S3 server access logging delivers only to target buckets with SSE-S3 (AES256) default encryption, not SSE-KMS."
	compliance.Suppress(accessLog, sseS3, "NIST.800.53.R5-S3DefaultEncryptionKMS", "HIPAA.Security-S3DefaultEncryptionKMS", "PCI.DSS.321-S3DefaultEncryptionKMS")
	compliance.Acknowledge(accessLog, "s3_bucket_default_encryption_kms_check", sseS3)
	compliance.Acknowledge(accessLog, "s3_bucket_logging_enabled_check",
		"This is the access-log bucket: logging its own accesses into itself would loop, and into another bucket would only move the question. Its data events are covered by CloudTrail.")
	compliance.Acknowledge(accessLog, "s3_bucket_object_lock_enabled_check",
		"S3 server access logs cannot be delivered to a bucket with Object Lock default retention.")
}

// expiry is the lifecycle of a log bucket: objects and their noncurrent versions expire
// after days; abandoned uploads are cleaned up.
func expiry(days float64) *[]*awss3.LifecycleRule {
	return &[]*awss3.LifecycleRule{{
		Id:                                  jsii.String("expire-logs"),
		Enabled:                             jsii.Bool(true),
		Expiration:                          awscdk.Duration_Days(jsii.Number(days)),
		NoncurrentVersionExpiration:         awscdk.Duration_Days(jsii.Number(30)),
		AbortIncompleteMultipartUploadAfter: awscdk.Duration_Days(jsii.Number(7)),
	}}
}

func (a *accountTrail) Trail() awscloudtrail.CfnTrail  { return a.trail }
func (a *accountTrail) Bucket() awss3.IBucket          { return a.bucket }
func (a *accountTrail) AccessLogBucket() awss3.IBucket { return a.accessLog }
func (a *accountTrail) Key() awskms.IKey               { return a.key }

func (a *accountTrail) LogGroup() awslogs.ILogGroup {
	if a.logGroup == nil {
		return nil
	}
	return a.logGroup
}
