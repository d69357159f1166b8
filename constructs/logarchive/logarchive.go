// Package logarchive provides the tamper-proof S3 archive that an AWS Organizations
// organization trail delivers to, for a dedicated Security (log archive) account.
//
// A LogArchive is three resources, each retained (with its policy, and the key's alias) when
// the stack is deleted or the resource is replaced:
//
//   - a customer-managed KMS key (rotation on) that the organization trail, and only that
//     trail, may encrypt with, and that only the named readers may decrypt with (through S3);
//   - the archive bucket: versioned, SSE-KMS with an S3 Bucket Key, S3 Object Lock default
//     retention (COMPLIANCE by default), Block Public Access, bucket-owner-enforced ownership,
//     TLS-only, a lifecycle that moves logs to S3 Glacier Instant Retrieval and expires them
//     after the retention period, and server access logging;
//   - the access-log bucket that receives the archive's server access logs (SSE-S3 and no
//     Object Lock: S3 cannot deliver server access logs to either).
//
// The bucket policy is the one CloudTrail documents for an organization trail: CloudTrail may
// read the bucket ACL and write under AWSLogs/<management account>/ and
// AWSLogs/<organization id>/, each only for the trail named by TrailArn (aws:SourceArn) and
// only with the bucket-owner-full-control ACL. It also denies, to everyone:
//
//   - requests without TLS;
//   - principals outside the organization, except AWS services (which can reach the bucket
//     only through the trail statements, scoped to the trail);
//   - deleting log objects or versions, or the bucket, except to BreakGlassPrincipals;
//   - changing the bucket policy, lifecycle, Object Lock, logging, versioning, encryption,
//     public access block, ownership or replication configuration, except to
//     BreakGlassPrincipals and DeploymentRoleArn, the role CloudFormation deploys the stack
//     with (without it the stack could never update its own bucket again; guard who can
//     make CloudFormation act with it, as trailguard's guardrails do).
//
// Log digest files are encrypted with SSE-S3 by CloudTrail, so the policy deliberately has no
// statement that denies uploads without SSE-KMS.
//
// The construct never empties or deletes a bucket: nothing uses autoDeleteObjects, and
// Object Lock in COMPLIANCE mode cannot be shortened or removed by anyone, including the
// account root user, until each object version's retention has passed.
//
// Usage (as in the package examples, which go test compiles):
//
//	archive := logarchive.NewLogArchive(stack, jsii.String("LogArchive"), &logarchive.LogArchiveProps{
//		OrganizationId: jsii.String("o-a1b2c3d4e5"),
//		TrailArn:       jsii.String("arn:aws:cloudtrail:eu-west-1:111111111111:trail/org-trail"),
//		BucketName:     jsii.String("trailguard-archive-222222222222"),
//		KeyAlias:       jsii.String("alias/org-trail"),
//	})
//	_ = archive.Bucket()
//
// Bring your own bucket and key (ExistingBucket, ExistingAccessLogBucket, ExistingKey): the
// construct then creates none of them and adds its policy statements to yours. A bucket and
// key built in the same app are checked (versioning, Object Lock with a default retention,
// SSE-KMS with the key, Block Public Access, RETAIN; key rotation) and their policies merge:
//
//	key := awskms.NewKey(stack, jsii.String("Key"), &awskms.KeyProps{EnableKeyRotation: jsii.Bool(true)})
//	bucket := awss3.NewBucket(stack, jsii.String("Archive"), &awss3.BucketProps{
//		Encryption: awss3.BucketEncryption_KMS, EncryptionKey: key,
//		Versioned: jsii.Bool(true), ObjectLockEnabled: jsii.Bool(true),
//		ObjectLockDefaultRetention: awss3.ObjectLockRetention_Compliance(awscdk.Duration_Days(jsii.Number(365))),
//		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(), RemovalPolicy: awscdk.RemovalPolicy_RETAIN_ON_UPDATE_OR_DELETE,
//	})
//	logarchive.NewLogArchive(stack, jsii.String("LogArchive"), &logarchive.LogArchiveProps{
//		OrganizationId: jsii.String("o-a1b2c3d4e5"),
//		TrailArn:       jsii.String("arn:aws:cloudtrail:eu-west-1:111111111111:trail/org-trail"),
//		ExistingBucket: bucket,
//		ExistingKey:    key,
//	})
//
// Imported ones (awss3.Bucket_FromBucketName, awskms.Key_FromKeyArn) cannot be checked or
// edited: the construct's bucket policy replaces an imported bucket's whole policy, and an
// imported key's policy must be given KeyPolicyStatements by its owner. See the props.
package logarchive

import (
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/trailguard/trailguard/compliance"
	"github.com/trailguard/trailguard/constructs/internal/check"
	"github.com/trailguard/trailguard/constructs/internal/existing"
	"github.com/trailguard/trailguard/constructs/internal/keypolicy"
	"github.com/trailguard/trailguard/constructs/internal/managed"
	"github.com/trailguard/trailguard/constructs/statements"
)

// Object Lock retention modes.
const (
	// ObjectLockCompliance: no one, not even the account root user, can shorten an object
	// version's retention or delete it before the retention has passed.
	ObjectLockCompliance = "COMPLIANCE"
	// ObjectLockGovernance: principals allowed s3:BypassGovernanceRetention can. The bucket
	// policy denies that permission to everyone but BreakGlassPrincipals.
	ObjectLockGovernance = "GOVERNANCE"
)

// Defaults.
const (
	DefaultRetentionDays                   = 2557 // 7 years
	DefaultTransitionDays                  = 90
	DefaultObjectLockDays                  = 365
	DefaultAccessLogRetentionDays          = 365
	DefaultNoncurrentVersionExpirationDays = 30
)

// AccessLogPrefix is the key prefix of the archive bucket's server access logs in the
// access-log bucket.
const AccessLogPrefix = "archive/"

// abortIncompleteUploadDays cleans up multipart uploads that never completed.
const abortIncompleteUploadDays = 7

// maxDays bounds day counts: S3 Object Lock retention is at most 100 years.
const maxDays = 36500

// LogArchiveProps configures a LogArchive.
type LogArchiveProps struct {
	// OrganizationId is the id of the organization whose trail delivers to the archive, e.g.
	// "o-a1b2c3d4e5". Principals outside it are denied. Required.
	OrganizationId *string
	// TrailArn is the ARN of the organization trail in the management account, e.g.
	// "arn:aws:cloudtrail:eu-west-1:111111111111:trail/org-trail". The bucket and key policies
	// let CloudTrail act only for this trail (aws:SourceArn), and write only under
	// AWSLogs/<its account>/ and AWSLogs/<OrganizationId>/. Required; it must be a literal ARN
	// because the trail lives in another account.
	TrailArn *string
	// BucketName is the archive bucket's name.
	// Default: a name CloudFormation generates.
	BucketName *string
	// AccessLogBucketName is the access-log bucket's name.
	// Default: a name CloudFormation generates.
	AccessLogBucketName *string
	// KeyAlias is an alias for the KMS key, e.g. "alias/org-trail", so that the trail in the
	// management account can name the key before its id is known.
	// Default: no alias.
	KeyAlias *string
	// RetentionDays is how long log objects are kept before lifecycle expiry. It must be at
	// least ObjectLockDays.
	// Default: 2557 (7 years).
	RetentionDays *float64
	// TransitionDays moves log objects to S3 Glacier Instant Retrieval after this many days;
	// 0 keeps them in S3 Standard. S3 does not transition objects smaller than 128 KiB.
	// Default: 90.
	TransitionDays *float64
	// NoncurrentVersionExpirationDays is how long a log object version is kept after it
	// stops being the current version (after lifecycle expiry, or a break-glass deletion):
	// a window to recover it. Object Lock still holds it until its retention has passed.
	// Default: 30.
	NoncurrentVersionExpirationDays *float64
	// ObjectLockMode is ObjectLockCompliance or ObjectLockGovernance. Object Lock itself
	// cannot be turned off once the bucket exists.
	// Default: ObjectLockCompliance.
	ObjectLockMode *string
	// ObjectLockDays is the default retention of every object version.
	// Default: 365.
	ObjectLockDays *float64
	// AccessLogRetentionDays is how long the server access logs are kept.
	// Default: 365.
	AccessLogRetentionDays *float64
	// BreakGlassPrincipals are IAM role or user ARNs (wildcards allowed) that may still delete
	// log objects and the buckets, and change their protective configuration, within what
	// Object Lock allows.
	// Default: none; no one can delete log objects before lifecycle expiry.
	BreakGlassPrincipals *[]*string
	// Readers are IAM role or user ARNs (no wildcards) that may read the logs from the
	// archive bucket and decrypt them with the key through S3. Readers in other accounts of
	// the organization also need an identity policy allowing the same. The policies match
	// them by aws:PrincipalArn, so a reader role need not exist when the archive is deployed.
	// Default: none.
	Readers *[]*string
	// LogFileQueue is an SQS queue of this account and region that S3 notifies of each new
	// CloudTrail log file (an object created under AWSLogs/ whose key ends .json.gz), such
	// as the detection functions' archive queue. Its queue policy must let s3.amazonaws.com
	// send from this bucket and its key let S3 use it before the bucket is updated (S3
	// checks). The detection construct takes this bucket, so import its queue by ARN rather
	// than pass its ArchiveQueue(): awssqs.Queue_FromQueueArn with detection.ArchiveQueueArn
	// (or a brought queue's ARN); the notification names the queue by its ARN.
	// Default: no queue notification.
	LogFileQueue awssqs.IQueue
	// LogFileReaders are IAM role ARNs (no wildcards) that may decrypt this bucket's log
	// files through S3 and nothing else (kms:ViaService s3, the bucket's ARN as encryption
	// context, as S3 Bucket Keys use), such as the archive detection function's role. Unlike
	// Readers they get no bucket policy grant: their own identity policy must allow
	// s3:GetObject, so they must be in this account. Requires the bucket's name at synth:
	// BucketName, or an ExistingBucket with a literal name (imported by name or ARN, or an
	// awss3.Bucket with BucketName). With an imported ExistingKey the statement is part of
	// the WarningKeyPolicy warning, to add by hand.
	// Default: none.
	LogFileReaders *[]*string
	// DeploymentRoleArn is the role CloudFormation deploys the stack with. It is exempt from
	// the denies on changing the buckets' configuration and policy, so the stack can still
	// update them; it is not exempt from the denies on deleting logs. The exemption is only
	// as strong as who can make CloudFormation act with this role: whoever may update the
	// stack, assume the deploy role or pass this role changes the bucket's protection.
	// Guard them (trailguard's guardrails let only the configured deployers do so).
	// Default: the CloudFormation execution role of the stack's DefaultStackSynthesizer
	// (the role `cdk bootstrap` creates); required with any other synthesizer.
	DeploymentRoleArn *string

	// ExistingBucket is an archive bucket to use instead of creating one. The construct adds
	// its bucket policy (the CloudTrail, reader and protection statements above) and changes
	// nothing else on the bucket; it creates no access-log bucket (AccessLogBucket() is nil):
	// server access logging, object events to EventBridge and the lifecycle are the bucket's
	// owner's. Exclusive with the props that shape a new bucket: BucketName, RetentionDays,
	// TransitionDays, NoncurrentVersionExpirationDays, ObjectLockMode, ObjectLockDays,
	// LogFileQueue, AccessLogBucketName, AccessLogRetentionDays and ExistingAccessLogBucket.
	//
	// An awss3.Bucket built in the app (same account and region) is checked: it must be
	// versioned, have Object Lock with a default retention, be encrypted by default with
	// SSE-KMS and the archive's key (so ExistingKey is required with it), block all public
	// access and be retained (RemovalPolicy RETAIN). The statements are added to its own
	// bucket policy, which is retained.
	//
	// An imported bucket (awss3.Bucket_FromBucketName or _FromBucketArn) cannot be checked:
	// you must guarantee all of the above. Its bucket policy is a new AWS::S3::BucketPolicy
	// that REPLACES THE BUCKET'S WHOLE EXISTING POLICY when deployed (an S3 bucket has one
	// policy, and CloudFormation writes it whole): copy any statement you need to keep into it
	// first (through the stack's template or an escape hatch), or the statements are lost.
	//
	// The policy denies changing the bucket's configuration to all but BreakGlassPrincipals and
	// DeploymentRoleArn, which must then be the role that deploys the bucket's own stack too;
	// anything else that configures the bucket (such as the custom resource behind an L2's
	// EventBridgeEnabled or AddEventNotification) is refused. The guardrails and the alerts
	// recognise trailguard's buckets by the trailguard- prefix: a bucket named otherwise is
	// neither protected nor watched by them.
	// Default: a new bucket.
	ExistingBucket awss3.IBucket
	// ExistingAccessLogBucket is a bucket to receive the new archive bucket's server access
	// logs (under AccessLogPrefix) instead of creating one. The construct adds only a deny of
	// requests without TLS and the statement that lets the S3 logging service deliver from
	// the archive bucket; protecting the bucket otherwise is its owner's. An awss3.Bucket built in the app must be versioned, block all
	// public access, be retained, use SSE-S3 and have no Object Lock default retention (S3
	// delivers access logs to no other); the statement merges into its policy. For an
	// imported bucket you must guarantee the same, and the construct's new bucket policy
	// REPLACES ITS WHOLE EXISTING POLICY when deployed. Exclusive with AccessLogBucketName and
	// AccessLogRetentionDays.
	// Default: a new access-log bucket.
	ExistingAccessLogBucket awss3.IBucket
	// ExistingKey is a symmetric KMS key, in the stack's region, to encrypt the log files with
	// instead of creating one. Exclusive with KeyAlias: name the key to the organization trail
	// by its ARN or its own alias.
	//
	// For an awskms.Key built in the app (it must rotate and be retained) the construct adds
	// KeyPolicyStatements to its policy, next to the key's own statements: then it is that
	// policy, not the construct's, that decides who else may use the key. The construct's own
	// key lets the account administer but never use it; a key with CDK's default policy lets
	// any IAM principal of the account with kms:Decrypt in an identity policy read the logs.
	//
	// An imported key's policy cannot be changed by CDK: add the statements that
	// KeyPolicyStatements returns for the same props to the key's policy yourself before the
	// trail is created, or CloudTrail cannot encrypt and the readers cannot decrypt. The
	// construct leaves the synth warning WarningKeyPolicy carrying them as JSON.
	// Default: a new key.
	ExistingKey awskms.IKey
}

// WarningKeyPolicy is the id of the synth warning left for an imported ExistingKey: it
// carries the statements to add to the key's policy (KeyPolicyStatements, rendered with
// package statements). Acknowledge it once they are in:
// awscdk.Annotations_Of(scope).AcknowledgeWarning(jsii.String(logarchive.WarningKeyPolicy), jsii.String("added")).
const WarningKeyPolicy = "trailguard:logarchive:keyPolicy"

// LogArchive is the archive bucket, its access-log bucket and its KMS key.
type LogArchive interface {
	constructs.Construct
	// Bucket is the archive bucket the organization trail delivers to.
	Bucket() awss3.IBucket
	// AccessLogBucket receives the archive bucket's server access logs: the construct's, or
	// ExistingAccessLogBucket; nil with ExistingBucket.
	AccessLogBucket() awss3.IBucket
	// Key encrypts the log files (digest files are SSE-S3, as CloudTrail writes them).
	Key() awskms.IKey
}

type logArchive struct {
	constructs.Construct
	bucket          awss3.IBucket
	accessLogBucket awss3.IBucket
	key             awskms.IKey
}

func (l *logArchive) Bucket() awss3.IBucket          { return l.bucket }
func (l *logArchive) AccessLogBucket() awss3.IBucket { return l.accessLogBucket }
func (l *logArchive) Key() awskms.IKey               { return l.key }

// trail is the parsed TrailArn.
type trail struct {
	arn, partition, account string
}

// settings are the props with defaults applied.
type settings struct {
	trail                  trail
	orgID                  string
	retention, transition  float64
	noncurrent             float64
	lockMode               string
	lockDays               float64
	accessLogRetention     float64
	breakGlass, readers    []string
	logFileReaders         []string
	deployer               *string
	bucketName, accessName *string
}

// NewLogArchive creates the archive in scope's stack: the Security account, in the region
// the trail is to deliver to (the key and the bucket must share it). The archive bucket is
// the child "Resource". It panics with an error naming every invalid prop.
func NewLogArchive(scope constructs.Construct, id *string, props *LogArchiveProps) LogArchive {
	stack := awscdk.Stack_Of(scope)
	s, err := props.settings(stack)
	if err != nil {
		panic(err)
	}
	l := &logArchive{}
	constructs.NewConstruct_Override(l, scope, id)
	managed.Tag(l) // the guardrails protect the unnamed resources by this tag

	l.key = l.addKey(stack, props, s)
	if props.ExistingBucket != nil {
		l.bucket = props.ExistingBucket
		existing.AddToBucketPolicy(l, "BucketPolicy", l.bucket, archivePolicy(l.bucket, s))
	} else {
		l.addBuckets(stack, props, s)
	}
	// A deliberate exception, carried by the construct so that it passes the gates wherever it
	// is used.
	compliance.Suppress(l, "The archive is the organization's one authoritative copy by design: S3 stores it across availability zones, "+
		"Object Lock ("+s.lockMode+") and versioning keep it from deletion and overwrite, and every member account keeps a second copy in its local trail. "+
		"Cross-region replication would need a second Object Lock bucket and key in another region, and often conflicts with data residency; "+
		"add it with the construct's buckets if your regulator requires it.",
		"NIST.800.53.R5-S3BucketReplicationEnabled", "HIPAA.Security-S3BucketReplicationEnabled", "PCI.DSS.321-S3BucketReplicationEnabled")
	return l
}

// addKey creates the key, or adds the construct's statements to ExistingKey's policy, and
// returns the key.
func (l *logArchive) addKey(stack awscdk.Stack, props *LogArchiveProps, s *settings) awskms.IKey {
	if k := props.ExistingKey; k != nil {
		if !existing.AddToKeyPolicy(k, keyStatements(stack, s)) {
			// Not silently: CDK cannot edit an imported key's policy.
			text, err := statements.JSON(l, keyStatements(stack, s)...)
			if err != nil {
				panic(err)
			}
			awscdk.Annotations_Of(l).AddWarningV2(jsii.String(WarningKeyPolicy), jsii.String(fmt.Sprintf("logarchive: ExistingKey %s is imported, so its key policy cannot be changed here: "+
				"add these statements to its \"Statement\" list before the organization trail is created, or CloudTrail cannot encrypt the log files and the readers cannot decrypt them "+
				"(logarchive.KeyPolicyStatements returns them, Sids %s): %s",
				existing.Describe(k, k.KeyArn()), strings.Join(keyStatementSids(s), ", "), text)))
			existing.AskedDecrypt(k, s.logFileReaders)
		}
		return k
	}
	key := awskms.NewKey(l, jsii.String("Key"), &awskms.KeyProps{
		Description:       jsii.String("Encrypts the organization trail's log files in the log archive"),
		EnableKeyRotation: jsii.Bool(true),
		Policy:            keyPolicy(stack, s),
		RemovalPolicy:     awscdk.RemovalPolicy_RETAIN_ON_UPDATE_OR_DELETE,
	})
	if props.KeyAlias != nil {
		// Retained with the key: the trail in the management account finds the key by it.
		awskms.NewAlias(key, jsii.String("Alias"), &awskms.AliasProps{
			AliasName:     props.KeyAlias,
			TargetKey:     key,
			RemovalPolicy: awscdk.RemovalPolicy_RETAIN_ON_UPDATE_OR_DELETE,
		})
	}
	return key
}

// addBuckets creates the archive bucket (child "Resource") and, unless
// ExistingAccessLogBucket is set, its access-log bucket, with their policies.
func (l *logArchive) addBuckets(stack awscdk.Stack, props *LogArchiveProps, s *settings) {
	var accessLogs awss3.Bucket
	if props.ExistingAccessLogBucket != nil {
		l.accessLogBucket = props.ExistingAccessLogBucket
	} else {
		accessLogs = awss3.NewBucket(l, jsii.String("AccessLogs"), &awss3.BucketProps{
			BucketName:        s.accessName,
			Encryption:        awss3.BucketEncryption_S3_MANAGED,
			BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
			ObjectOwnership:   awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
			Versioned:         jsii.Bool(true),
			LifecycleRules: &[]*awss3.LifecycleRule{{
				Id:                                  jsii.String("expire-access-logs"),
				Expiration:                          awscdk.Duration_Days(&s.accessLogRetention),
				NoncurrentVersionExpiration:         awscdk.Duration_Days(&s.noncurrent),
				AbortIncompleteMultipartUploadAfter: awscdk.Duration_Days(jsii.Number(abortIncompleteUploadDays)),
			}},
			RemovalPolicy: awscdk.RemovalPolicy_RETAIN_ON_UPDATE_OR_DELETE,
		})
		l.accessLogBucket = accessLogs
	}

	lock := awss3.ObjectLockRetention_Compliance(awscdk.Duration_Days(&s.lockDays))
	if s.lockMode == ObjectLockGovernance {
		lock = awss3.ObjectLockRetention_Governance(awscdk.Duration_Days(&s.lockDays))
	}
	archiveRule := &awss3.LifecycleRule{
		Id:                                  jsii.String("expire-after-retention"),
		Expiration:                          awscdk.Duration_Days(&s.retention),
		NoncurrentVersionExpiration:         awscdk.Duration_Days(&s.noncurrent),
		AbortIncompleteMultipartUploadAfter: awscdk.Duration_Days(jsii.Number(abortIncompleteUploadDays)),
	}
	if s.transition > 0 {
		archiveRule.Transitions = &[]*awss3.Transition{{
			StorageClass:    awss3.StorageClass_GLACIER_INSTANT_RETRIEVAL(),
			TransitionAfter: awscdk.Duration_Days(&s.transition),
		}}
	}
	bucket := awss3.NewBucket(l, jsii.String("Resource"), &awss3.BucketProps{
		BucketName:                 s.bucketName,
		Encryption:                 awss3.BucketEncryption_KMS,
		EncryptionKey:              l.key,
		BucketKeyEnabled:           jsii.Bool(true),
		BlockPublicAccess:          awss3.BlockPublicAccess_BLOCK_ALL(),
		ObjectOwnership:            awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		Versioned:                  jsii.Bool(true),
		ObjectLockEnabled:          jsii.Bool(true),
		ObjectLockDefaultRetention: lock,
		LifecycleRules:             &[]*awss3.LifecycleRule{archiveRule},
		RemovalPolicy:              awscdk.RemovalPolicy_RETAIN_ON_UPDATE_OR_DELETE,
	})
	l.bucket = bucket
	// Server access logging is set on the L1: the L2's serverAccessLogsBucket behaves
	// differently with and without a feature flag (bucket policy or ACL), and an ACL cannot
	// work with bucket-owner-enforced ownership. The access-log bucket's policy below grants
	// the logging service explicitly instead.
	bucket.Node().DefaultChild().(awss3.CfnBucket).SetLoggingConfiguration(&awss3.CfnBucket_LoggingConfigurationProperty{
		DestinationBucketName: l.accessLogBucket.BucketName(),
		LogFilePrefix:         jsii.String(AccessLogPrefix),
	})
	// Object events (deletions above all) on the default event bus, for alerting. Set on the
	// L1: the L2 would add a custom resource and a Lambda function to do the same.
	for _, b := range []awss3.Bucket{bucket, accessLogs} {
		if b == nil {
			continue // an existing access-log bucket is its owner's
		}
		n := &awss3.CfnBucket_NotificationConfigurationProperty{
			EventBridgeConfiguration: &awss3.CfnBucket_EventBridgeConfigurationProperty{EventBridgeEnabled: jsii.Bool(true)},
		}
		if b == bucket && props.LogFileQueue != nil {
			// New log files for the archive detection function (digests share the
			// prefix and suffix; the function skips them).
			n.QueueConfigurations = []any{&awss3.CfnBucket_QueueConfigurationProperty{
				Event: jsii.String("s3:ObjectCreated:*"),
				Queue: props.LogFileQueue.QueueArn(),
				Filter: &awss3.CfnBucket_NotificationFilterProperty{S3Key: &awss3.CfnBucket_S3KeyFilterProperty{Rules: []any{
					&awss3.CfnBucket_FilterRuleProperty{Name: jsii.String("prefix"), Value: jsii.String("AWSLogs/")},
					&awss3.CfnBucket_FilterRuleProperty{Name: jsii.String("suffix"), Value: jsii.String(".json.gz")},
				}}},
			}}
		}
		b.Node().DefaultChild().(awss3.CfnBucket).SetNotificationConfiguration(n)
	}

	for _, st := range archivePolicy(bucket, s) {
		bucket.AddToResourcePolicy(st)
	}
	// RemovalPolicy RETAIN on a bucket does not reach its bucket policy, which CloudFormation
	// would otherwise delete with the stack, leaving the retained buckets open to change.
	bucket.Policy().ApplyRemovalPolicy(awscdk.RemovalPolicy_RETAIN_ON_UPDATE_OR_DELETE)
	if accessLogs == nil {
		// The TLS deny too: for an imported bucket this policy is the bucket's whole policy.
		existing.AddToBucketPolicy(l, "AccessLogBucketPolicy", l.accessLogBucket, []awsiam.PolicyStatement{
			denyInsecureTransport(l.accessLogBucket), accessLogDelivery(stack, l.accessLogBucket, bucket),
		})
		return
	}
	for _, st := range accessLogPolicy(stack, accessLogs, bucket, s) {
		accessLogs.AddToResourcePolicy(st)
	}
	acknowledgeAccessLogBucketLimits(accessLogs)
	accessLogs.Policy().ApplyRemovalPolicy(awscdk.RemovalPolicy_RETAIN_ON_UPDATE_OR_DELETE)
}

// acknowledgeAccessLogBucketLimits records, with their reasons, the compliance rules an
// access-log bucket cannot meet: each is a limit of S3 server access logging itself.
func acknowledgeAccessLogBucketLimits(b awss3.Bucket) {
	const sseS3 = "S3 server access logging delivers only to buckets whose default encryption is SSE-S3; SSE-KMS is not supported on the destination bucket. " +
		"The bucket holds request metadata of the log archive, not log contents, and its policy is TLS-only, organization-only and denies deletion."
	compliance.Suppress(b, sseS3, "NIST.800.53.R5-S3DefaultEncryptionKMS", "HIPAA.Security-S3DefaultEncryptionKMS", "PCI.DSS.321-S3DefaultEncryptionKMS")
	compliance.Acknowledge(b, "s3_bucket_default_encryption_kms_check", sseS3)
	compliance.Acknowledge(b, "s3_bucket_logging_enabled_check",
		"This is the server access log destination of the log archive. Logging it needs yet another bucket, without end, and logging it to itself makes every delivery log another; "+
			"its policy denies deletion and reconfiguration and its object events go to EventBridge.")
	compliance.Acknowledge(b, "s3_bucket_object_lock_enabled_check",
		"S3 cannot deliver server access logs to a bucket with an Object Lock default retention. Instead the bucket policy denies deleting objects and versions to everyone but the break-glass principals, and versioning keeps every version.")
}

// settings validates the props and applies the defaults. stack supplies the default
// deployment role.
func (p *LogArchiveProps) settings(stack awscdk.Stack) (*settings, error) {
	problems := check.New("logarchive")
	if p == nil {
		problems.Addf("props are required (OrganizationId and TrailArn at least)")
		return nil, problems.Err()
	}
	s := &settings{
		retention:          orDefault(p.RetentionDays, DefaultRetentionDays),
		transition:         orDefault(p.TransitionDays, DefaultTransitionDays),
		noncurrent:         orDefault(p.NoncurrentVersionExpirationDays, DefaultNoncurrentVersionExpirationDays),
		lockMode:           ObjectLockCompliance,
		lockDays:           orDefault(p.ObjectLockDays, DefaultObjectLockDays),
		accessLogRetention: orDefault(p.AccessLogRetentionDays, DefaultAccessLogRetentionDays),
		breakGlass:         check.Strings(p.BreakGlassPrincipals),
		readers:            check.Strings(p.Readers),
		logFileReaders:     check.Strings(p.LogFileReaders),
		bucketName:         p.BucketName,
		accessName:         p.AccessLogBucketName,
	}

	if problems.RequiredMatch("OrganizationId", p.OrganizationId, check.OrganizationID, "an organization id matching o-[a-z0-9]{10,32}") {
		s.orgID = *p.OrganizationId
	}
	const trailWant = "the organization trail's ARN, arn:<partition>:cloudtrail:<region>:<management account>:trail/<name>"
	if problems.Required("TrailArn", p.TrailArn, trailWant) {
		if check.Unresolved(p.TrailArn) {
			problems.Addf("TrailArn must be a literal ARN, got a token: the trail is in the management account, so name it by the ARN computed from its account, region and name")
		} else if a, ok := check.ParseARN(*p.TrailArn); !ok || a.Service != "cloudtrail" || !check.Region.MatchString(a.Region) ||
			len(a.Account) != 12 || !strings.HasPrefix(a.Resource, "trail/") || len(a.Resource) < len("trail/")+3 {
			problems.Addf("TrailArn must be %s, got %q", trailWant, *p.TrailArn)
		} else {
			s.trail = trail{arn: *p.TrailArn, partition: a.Partition, account: a.Account}
		}
	}

	problems.Match("BucketName", p.BucketName, check.BucketName, "an S3 bucket name: 3-63 lowercase letters, digits and hyphens, no dots")
	problems.Match("AccessLogBucketName", p.AccessLogBucketName, check.BucketName, "an S3 bucket name: 3-63 lowercase letters, digits and hyphens, no dots")
	problems.Protected("BucketName", p.BucketName)
	problems.Protected("AccessLogBucketName", p.AccessLogBucketName)
	if check.Known(p.BucketName) && check.Known(p.AccessLogBucketName) && *p.BucketName == *p.AccessLogBucketName {
		problems.Addf("AccessLogBucketName must differ from BucketName, got %q for both: S3 cannot deliver server access logs to an Object Lock bucket", *p.BucketName)
	}
	if check.Known(p.KeyAlias) {
		switch a := *p.KeyAlias; {
		case !strings.HasPrefix(a, "alias/") || len(a) <= len("alias/"):
			problems.Addf("KeyAlias must start with alias/, e.g. alias/org-trail, got %q", a)
		case strings.HasPrefix(a, "alias/aws/"):
			problems.Addf("KeyAlias must not start with alias/aws/ (reserved for AWS managed keys), got %q", a)
		}
	}

	retentionOK := problems.Days("RetentionDays", p.RetentionDays, 1, maxDays)
	if problems.Days("TransitionDays", p.TransitionDays, 0, maxDays) && retentionOK && s.transition != 0 && s.transition >= s.retention {
		problems.Addf("TransitionDays (%v) must be less than RetentionDays (%v), or 0 to keep logs in S3 Standard", s.transition, s.retention)
	}
	problems.Days("NoncurrentVersionExpirationDays", p.NoncurrentVersionExpirationDays, 1, maxDays)
	if p.ObjectLockMode != nil {
		switch *p.ObjectLockMode {
		case ObjectLockCompliance, ObjectLockGovernance:
			s.lockMode = *p.ObjectLockMode
		default:
			problems.Addf("ObjectLockMode must be %s or %s, got %q", ObjectLockCompliance, ObjectLockGovernance, *p.ObjectLockMode)
		}
	}
	if problems.Days("ObjectLockDays", p.ObjectLockDays, 1, maxDays) && retentionOK && s.lockDays > s.retention {
		problems.Addf("ObjectLockDays (%v) must not exceed RetentionDays (%v): logs cannot expire while they are locked", s.lockDays, s.retention)
	}
	problems.Days("AccessLogRetentionDays", p.AccessLogRetentionDays, 1, maxDays)

	problems.List("BreakGlassPrincipals", p.BreakGlassPrincipals, check.PrincipalARNPattern,
		"an IAM role or user ARN such as arn:aws:iam::123456789012:role/BreakGlass (wildcards allowed)")
	// S3 Block Public Access counts an Allow to "*" as public unless aws:PrincipalArn has a
	// fixed value, and would reject the bucket policy.
	problems.List("Readers", p.Readers, check.PrincipalARN,
		"an IAM role or user ARN without wildcards, such as arn:aws:iam::123456789012:role/Investigator")

	problems.List("LogFileReaders", p.LogFileReaders, check.PrincipalARN,
		"an IAM role ARN without wildcards, such as arn:aws:iam::123456789012:role/trailguard-detect-archive")
	p.checkExisting(problems, stack, s)
	if len(s.logFileReaders) > 0 && !check.Known(s.bucketName) {
		if p.ExistingBucket != nil {
			problems.Addf("LogFileReaders needs ExistingBucket's name at synth, got bucket %s whose name is a token: the key policy names the bucket's ARN as the encryption context (give the bucket a literal BucketName)", *p.ExistingBucket.Node().Path())
		} else {
			problems.Addf("BucketName is required with LogFileReaders: the key policy names the bucket's ARN as the encryption context")
		}
	}

	s.deployer = p.DeploymentRoleArn
	if s.deployer == nil {
		s.deployer = defaultDeploymentRole(stack)
	}
	if s.deployer == nil {
		problems.Addf("DeploymentRoleArn is required when the stack does not use the DefaultStackSynthesizer: the bucket policy must exempt the role CloudFormation deploys with, or the stack can never update it again")
	} else {
		problems.Match("DeploymentRoleArn", s.deployer, check.PrincipalARN, "the IAM role ARN CloudFormation deploys the stack with")
	}
	if err := problems.Err(); err != nil {
		return nil, err
	}
	return s, nil
}

// checkExisting records the problems with the Existing* props: props that shape a resource
// the construct does not create, and existing resources that break the archive's guarantees.
// It sets s.bucketName to ExistingBucket's name when known.
func (p *LogArchiveProps) checkExisting(problems *check.Problems, stack awscdk.Stack, s *settings) {
	if b := p.ExistingBucket; b != nil {
		existing.Exclusive(problems, "ExistingBucket", existing.Describe(b, b.BucketName()),
			[]string{"BucketName", "RetentionDays", "TransitionDays", "NoncurrentVersionExpirationDays", "ObjectLockMode", "ObjectLockDays",
				"LogFileQueue", "AccessLogBucketName", "AccessLogRetentionDays", "ExistingAccessLogBucket"},
			map[string]bool{
				"BucketName": p.BucketName != nil, "RetentionDays": p.RetentionDays != nil, "TransitionDays": p.TransitionDays != nil,
				"NoncurrentVersionExpirationDays": p.NoncurrentVersionExpirationDays != nil, "ObjectLockMode": p.ObjectLockMode != nil,
				"ObjectLockDays": p.ObjectLockDays != nil, "LogFileQueue": p.LogFileQueue != nil, "AccessLogBucketName": p.AccessLogBucketName != nil,
				"AccessLogRetentionDays": p.AccessLogRetentionDays != nil, "ExistingAccessLogBucket": p.ExistingAccessLogBucket != nil,
			})
		existing.SameEnvironment(problems, "ExistingBucket", "bucket", b, stack)
		if cfn := existing.CfnBucket(b); cfn == nil {
			existing.ImportedBucket(problems, "ExistingBucket", b)
			s.bucketName = b.BucketName()
		} else {
			s.bucketName = cfn.BucketName()
			if p.ExistingKey == nil {
				problems.Addf("ExistingKey is required with ExistingBucket %s, a bucket built in the app: it must be encrypted with the archive's key, and cannot be with the key the construct would create; pass the bucket's key as ExistingKey", *b.Node().Path())
			}
			existing.CheckBucket(problems, "ExistingBucket", stack, b, existing.BucketWant{
				Versioned: true, ObjectLock: true, Key: p.ExistingKey, BlockAll: true, Retain: true,
			})
		}
	}
	if b := p.ExistingAccessLogBucket; b != nil {
		existing.Exclusive(problems, "ExistingAccessLogBucket", existing.Describe(b, b.BucketName()),
			[]string{"AccessLogBucketName", "AccessLogRetentionDays"},
			map[string]bool{"AccessLogBucketName": p.AccessLogBucketName != nil, "AccessLogRetentionDays": p.AccessLogRetentionDays != nil})
		existing.SameEnvironment(problems, "ExistingAccessLogBucket", "bucket", b, stack)
		if existing.CfnBucket(b) == nil {
			existing.ImportedBucket(problems, "ExistingAccessLogBucket", b)
		}
		existing.CheckBucket(problems, "ExistingAccessLogBucket", stack, b, existing.BucketWant{
			Versioned: true, BlockAll: true, Retain: true, AccessLogTarget: true,
		})
	}
	if k := p.ExistingKey; k != nil {
		existing.Exclusive(problems, "ExistingKey", existing.Describe(k, k.KeyArn()),
			[]string{"KeyAlias"}, map[string]bool{"KeyAlias": p.KeyAlias != nil})
		existing.SameEnvironment(problems, "ExistingKey", "key", k, stack)
		if existing.CfnKey(k) == nil {
			existing.ImportedKey(problems, "ExistingKey", k, stack.Region())
		}
		existing.CheckKey(problems, "ExistingKey", stack, k)
	}
}

func orDefault(v *float64, def float64) float64 {
	if v == nil {
		return def
	}
	return *v
}

// defaultDeploymentRole returns the CloudFormation execution role of stack's
// DefaultStackSynthesizer, or nil if the stack uses another synthesizer.
func defaultDeploymentRole(stack awscdk.Stack) *string {
	synth, ok := stack.Synthesizer().(awscdk.DefaultStackSynthesizer)
	if !ok {
		return nil
	}
	// The synthesizer writes the ARN with the cloud assembly's placeholders; a template needs
	// the stack's own values (literals when the stack has an environment).
	arn := strings.NewReplacer(
		"${AWS::Partition}", *stack.Partition(),
		"${AWS::AccountId}", *stack.Account(),
		"${AWS::Region}", *stack.Region(),
	).Replace(*synth.CloudFormationExecutionRoleArn())
	return &arn
}

// Sids of the archive's policy statements. Tests and reviewers find statements by them.
const (
	SidDenyInsecureTransport        = "DenyInsecureTransport"
	SidDenyOutsideOrganization      = "DenyPrincipalsOutsideOrganization"
	SidDenyDeletingLogs             = "DenyDeletingLogs"
	SidDenyChangingProtection       = "DenyChangingProtectiveConfiguration"
	SidCloudTrailACLCheck           = "AWSCloudTrailAclCheck"
	SidCloudTrailWrite              = "AWSCloudTrailWrite"
	SidCloudTrailOrganizationWrite  = "AWSCloudTrailOrganizationWrite"
	SidAllowReaders                 = "AllowReaders"
	SidAllowServerAccessLogDelivery = "AllowServerAccessLogDelivery"

	SidKeyAdministration     = "KeyAdministration"
	SidCloudTrailEncrypt     = "AllowCloudTrailToEncryptLogs"
	SidCloudTrailDecrypt     = "AllowCloudTrailToDecryptWithBucketKey"
	SidCloudTrailDescribeKey = "AllowCloudTrailToDescribeKey"
	SidReadersDecrypt        = "AllowReadersToDecryptThroughS3"
	SidLogFileReadersDecrypt = "AllowLogFileReadersToDecryptThisBucketThroughS3"
)

// Service principals the policies name.
const (
	cloudTrailService = "cloudtrail.amazonaws.com"
	s3LoggingService  = "logging.s3.amazonaws.com"
)

// Actions the policies deny.
var (
	// deleteActions delete log data. Only break-glass principals may.
	deleteActions = []string{
		"s3:DeleteObject",
		"s3:DeleteObjectVersion",
		"s3:BypassGovernanceRetention",
	}
	// protectiveConfigActions change what keeps the logs safe. Break-glass principals and the
	// deployment role may.
	protectiveConfigActions = []string{
		// S3 deletes only an empty bucket, every version and delete marker gone
		// (https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteBucket.html), and only
		// break-glass principals may empty it: the deployment role deletes only a bucket
		// that holds nothing, as CloudFormation does when the deploy that created it rolls
		// back (RetainExceptOnCreate), so that the retry can create it again.
		"s3:DeleteBucket",
		"s3:PutBucketPolicy",
		"s3:DeleteBucketPolicy",
		"s3:PutLifecycleConfiguration", // also DeleteBucketLifecycle
		"s3:PutBucketObjectLockConfiguration",
		"s3:PutBucketLogging",
		"s3:PutBucketVersioning",
		"s3:PutEncryptionConfiguration", // also DeleteBucketEncryption
		"s3:PutBucketPublicAccessBlock", // also DeletePublicAccessBlock
		"s3:PutBucketOwnershipControls", // also DeleteBucketOwnershipControls
		"s3:PutBucketAcl",
		"s3:PutReplicationConfiguration", // also DeleteBucketReplication: copies elsewhere
		"s3:PutBucketNotification",       // the object events alerting relies on
	}
	// keyAdminActions let the account's administrators manage the key, but not use it, so no
	// identity policy in the account can read the logs.
	keyAdminActions = keypolicy.AdministrationActions
	// readActions let readers list and download log files.
	readActions = []string{
		"s3:GetBucketLocation",
		"s3:GetObject",
		"s3:GetObjectVersion",
		"s3:ListBucket",
		"s3:ListBucketVersions",
	}
)

type conditions = map[string]any

func statement(sid string, effect awsiam.Effect, principal awsiam.IPrincipal, actions []string, resources []*string, cond conditions) awsiam.PolicyStatement {
	props := &awsiam.PolicyStatementProps{
		Sid:        jsii.String(sid),
		Effect:     effect,
		Principals: &[]awsiam.IPrincipal{principal},
		Actions:    jsii.Strings(actions...),
		Resources:  &resources,
	}
	if cond != nil {
		props.Conditions = &cond
	}
	return awsiam.NewPolicyStatement(props)
}

func anyone() awsiam.IPrincipal { return awsiam.NewAnyPrincipal() }

func service(name string) awsiam.IPrincipal {
	return awsiam.NewServicePrincipal(jsii.String(name), nil)
}

// protection returns the denies both buckets share: TLS only, organization only, and no
// deletion or reconfiguration except by the exempt principals.
func protection(bucket awss3.IBucket, s *settings) []awsiam.PolicyStatement {
	both := []*string{bucket.BucketArn(), bucket.ArnForObjects(jsii.String("*"))}
	// Without break-glass principals, no one may delete: lifecycle expiry is not a request
	// and is not subject to the bucket policy.
	var breakGlassOnly conditions
	if len(s.breakGlass) > 0 {
		breakGlassOnly = conditions{"ArnNotLike": conditions{"aws:PrincipalArn": s.breakGlass}}
	}
	exempt := append(append([]string{}, s.breakGlass...), *s.deployer)
	return []awsiam.PolicyStatement{
		denyInsecureTransport(bucket),
		// AWS services have no organization; they reach the bucket only where an Allow names
		// them, and every such Allow here is scoped with aws:SourceArn.
		statement(SidDenyOutsideOrganization, awsiam.Effect_DENY, anyone(), []string{"s3:*"}, both, conditions{
			"StringNotEquals": conditions{"aws:PrincipalOrgID": s.orgID},
			"BoolIfExists":    conditions{"aws:PrincipalIsAWSService": "false"},
		}),
		statement(SidDenyDeletingLogs, awsiam.Effect_DENY, anyone(), deleteActions, both, breakGlassOnly),
		statement(SidDenyChangingProtection, awsiam.Effect_DENY, anyone(), protectiveConfigActions, []*string{bucket.BucketArn()},
			conditions{"ArnNotLike": conditions{"aws:PrincipalArn": exempt}}),
	}
}

// denyInsecureTransport denies every request to bucket without TLS.
func denyInsecureTransport(bucket awss3.IBucket) awsiam.PolicyStatement {
	return statement(SidDenyInsecureTransport, awsiam.Effect_DENY, anyone(), []string{"s3:*"},
		[]*string{bucket.BucketArn(), bucket.ArnForObjects(jsii.String("*"))},
		conditions{"Bool": conditions{"aws:SecureTransport": "false"}})
}

// archivePolicy is the archive bucket's policy: the shared protection plus CloudTrail's
// organization trail statements and the readers.
func archivePolicy(bucket awss3.IBucket, s *settings) []awsiam.PolicyStatement {
	fromTrail := conditions{"aws:SourceArn": s.trail.arn}
	write := conditions{"StringEquals": conditions{
		"aws:SourceArn": s.trail.arn,
		"s3:x-amz-acl":  "bucket-owner-full-control",
	}}
	out := append(protection(bucket, s),
		statement(SidCloudTrailACLCheck, awsiam.Effect_ALLOW, service(cloudTrailService), []string{"s3:GetBucketAcl"},
			[]*string{bucket.BucketArn()}, conditions{"StringEquals": fromTrail}),
		// The management account's own events.
		statement(SidCloudTrailWrite, awsiam.Effect_ALLOW, service(cloudTrailService), []string{"s3:PutObject"},
			[]*string{bucket.ArnForObjects(jsii.String("AWSLogs/" + s.trail.account + "/*"))}, write),
		// The member accounts' events.
		statement(SidCloudTrailOrganizationWrite, awsiam.Effect_ALLOW, service(cloudTrailService), []string{"s3:PutObject"},
			[]*string{bucket.ArnForObjects(jsii.String("AWSLogs/" + s.orgID + "/*"))}, write),
	)
	if len(s.readers) > 0 {
		out = append(out, statement(SidAllowReaders, awsiam.Effect_ALLOW, anyone(), readActions,
			[]*string{bucket.BucketArn(), bucket.ArnForObjects(jsii.String("*"))},
			conditions{"ArnLike": conditions{"aws:PrincipalArn": s.readers}}))
	}
	return out
}

// accessLogPolicy is the access-log bucket's policy: the shared protection plus delivery of
// the archive bucket's server access logs, and nothing else.
func accessLogPolicy(stack awscdk.Stack, accessLogs, archive awss3.IBucket, s *settings) []awsiam.PolicyStatement {
	return append(protection(accessLogs, s), accessLogDelivery(stack, accessLogs, archive))
}

// accessLogDelivery lets the S3 logging service deliver the archive bucket's server access
// logs, and only those.
func accessLogDelivery(stack awscdk.Stack, accessLogs, archive awss3.IBucket) awsiam.PolicyStatement {
	return statement(SidAllowServerAccessLogDelivery, awsiam.Effect_ALLOW, service(s3LoggingService), []string{"s3:PutObject"},
		[]*string{accessLogs.ArnForObjects(jsii.String(AccessLogPrefix + "*"))}, conditions{
			"ArnLike":      conditions{"aws:SourceArn": archive.BucketArn()},
			"StringEquals": conditions{"aws:SourceAccount": *stack.Account()},
		})
}

// keyPolicy is the KMS key's complete policy (CDK adds no default statement when a policy
// is given).
func keyPolicy(stack awscdk.Stack, s *settings) awsiam.PolicyDocument {
	all := []*string{jsii.String("*")}
	statements := append([]awsiam.PolicyStatement{
		// Keeps the key manageable through IAM in its own account (KMS refuses a policy that
		// would lock the key out), without letting identity policies use it.
		statement(SidKeyAdministration, awsiam.Effect_ALLOW, awsiam.NewAccountRootPrincipal(), keyAdminActions, all, nil),
		keypolicy.DenyGrantsExceptForAWSServices(),
	}, keyStatements(stack, s)...)
	return awsiam.NewPolicyDocument(&awsiam.PolicyDocumentProps{Statements: &statements})
}

// KeyPolicyStatements returns the key policy statements a LogArchive built with props in
// scope's stack needs on its key: CloudTrail's, for the organization trail only, and the
// readers'. Add them to the policy of an imported ExistingKey (the construct cannot; its
// WarningKeyPolicy warning carries them), rendered as the JSON to paste with
// statements.JSON(scope, logarchive.KeyPolicyStatements(scope, props)...). It panics like
// NewLogArchive if props are invalid.
func KeyPolicyStatements(scope constructs.Construct, props *LogArchiveProps) []awsiam.PolicyStatement {
	stack := awscdk.Stack_Of(scope)
	s, err := props.settings(stack)
	if err != nil {
		panic(err)
	}
	return keyStatements(stack, s)
}

// keyStatementSids names the statements keyStatements returns.
func keyStatementSids(s *settings) []string {
	sids := []string{SidCloudTrailEncrypt, SidCloudTrailDecrypt, SidCloudTrailDescribeKey}
	if len(s.readers) > 0 {
		sids = append(sids, SidReadersDecrypt)
	}
	if len(s.logFileReaders) > 0 {
		sids = append(sids, SidLogFileReadersDecrypt)
	}
	return sids
}

// keyStatements are the statements that let the trail and the readers use the key.
func keyStatements(stack awscdk.Stack, s *settings) []awsiam.PolicyStatement {
	all := []*string{jsii.String("*")}
	fromTrail := conditions{"aws:SourceArn": s.trail.arn}
	statements := []awsiam.PolicyStatement{
		statement(SidCloudTrailEncrypt, awsiam.Effect_ALLOW, service(cloudTrailService), []string{"kms:GenerateDataKey*"}, all, conditions{
			"StringEquals": fromTrail,
			"StringLike": conditions{
				"kms:EncryptionContext:aws:cloudtrail:arn": fmt.Sprintf("arn:%s:cloudtrail:*:%s:trail/*", s.trail.partition, s.trail.account),
			},
		}),
		// With an S3 Bucket Key, creating or updating the trail needs kms:Decrypt.
		statement(SidCloudTrailDecrypt, awsiam.Effect_ALLOW, service(cloudTrailService), []string{"kms:Decrypt"}, all,
			conditions{"StringEquals": fromTrail}),
		statement(SidCloudTrailDescribeKey, awsiam.Effect_ALLOW, service(cloudTrailService), []string{"kms:DescribeKey"}, all,
			conditions{"StringEquals": fromTrail}),
	}
	if len(s.readers) > 0 {
		statements = append(statements, statement(SidReadersDecrypt, awsiam.Effect_ALLOW, anyone(), []string{"kms:Decrypt"}, all, conditions{
			"ArnLike":      conditions{"aws:PrincipalArn": s.readers},
			"StringEquals": conditions{"kms:ViaService": "s3." + *stack.Region() + ".amazonaws.com"},
		}))
	}
	if len(s.logFileReaders) > 0 {
		statements = append(statements, statement(SidLogFileReadersDecrypt, awsiam.Effect_ALLOW, anyone(), []string{"kms:Decrypt"}, all, conditions{
			"ArnEquals": conditions{"aws:PrincipalArn": s.logFileReaders},
			"StringEquals": conditions{
				"kms:ViaService":                   "s3." + *stack.Region() + ".amazonaws.com",
				"kms:EncryptionContext:aws:s3:arn": "arn:" + *stack.Partition() + ":s3:::" + *s.bucketName,
			},
		}))
	}
	return statements
}
