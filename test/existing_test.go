package test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/trailguard/trailguard/constructs/accounttrail"
	"github.com/trailguard/trailguard/constructs/logarchive"
)

// Tests of "bring your own": the log archive and the local trail on buckets and keys their
// user supplies (Existing* props), built in the same stack or imported.

const (
	importedKeyArn     = "arn:aws:kms:eu-west-1:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	importedBucketName = "org-archive-222222222222"
)

// userKey is a key as a careful user would build it: rotating, retained.
func userKey(scope constructs.Construct, id string) awskms.Key {
	return awskms.NewKey(scope, jsii.String(id), &awskms.KeyProps{
		EnableKeyRotation: jsii.Bool(true),
		RemovalPolicy:     awscdk.RemovalPolicy_RETAIN,
	})
}

// userArchiveBucket is an archive bucket as a careful user would build it; edit changes its
// props first.
func userArchiveBucket(scope constructs.Construct, id string, key awskms.IKey, edit func(*awss3.BucketProps)) awss3.Bucket {
	p := &awss3.BucketProps{
		Encryption:                 awss3.BucketEncryption_KMS,
		EncryptionKey:              key,
		BlockPublicAccess:          awss3.BlockPublicAccess_BLOCK_ALL(),
		Versioned:                  jsii.Bool(true),
		ObjectLockEnabled:          jsii.Bool(true),
		ObjectLockDefaultRetention: awss3.ObjectLockRetention_Compliance(awscdk.Duration_Days(jsii.Number(365))),
		RemovalPolicy:              awscdk.RemovalPolicy_RETAIN,
	}
	if edit != nil {
		edit(p)
	}
	return awss3.NewBucket(scope, jsii.String(id), p)
}

// userAccessLogBucket is an access-log bucket as a careful user would build it.
func userAccessLogBucket(scope constructs.Construct, id string) awss3.Bucket {
	return awss3.NewBucket(scope, jsii.String(id), &awss3.BucketProps{
		Encryption:        awss3.BucketEncryption_S3_MANAGED,
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		Versioned:         jsii.Bool(true),
		RemovalPolicy:     awscdk.RemovalPolicy_RETAIN,
	})
}

// logicalID is c's logical id in its stack.
func logicalID(c constructs.IConstruct) string {
	return *awscdk.Stack_Of(c).GetLogicalId(c.Node().DefaultChild().(awscdk.CfnElement))
}

func samePath(t *testing.T, what string, got, want constructs.IConstruct) {
	t.Helper()
	if got == nil || *got.Node().Path() != *want.Node().Path() {
		t.Errorf("%s() = %v, want the supplied %s", what, got, *want.Node().Path())
	}
}

// policyOfBucket returns the one AWS::S3::BucketPolicy whose Bucket is bucket (a Ref or a
// literal name), and fails unless it is retained.
func policyOfBucket(t *testing.T, tmpl template, bucket any) any {
	t.Helper()
	var docs []any
	for id, p := range tmpl.resourcesOfType("AWS::S3::BucketPolicy") {
		if jsonEq(t, p.props()["Bucket"], bucket) {
			if p["DeletionPolicy"] != "RetainExceptOnCreate" {
				t.Errorf("bucket policy %s must be retained, got DeletionPolicy %v", id, p["DeletionPolicy"])
			}
			docs = append(docs, p.props()["PolicyDocument"])
		}
	}
	if len(docs) != 1 {
		t.Fatalf("bucket policies of %v = %d, want exactly 1 (statements merged into one policy)", bucket, len(docs))
	}
	return docs[0]
}

func sids(doc any) []string {
	var out []string
	for _, s := range statements(doc) {
		out = append(out, fmt.Sprint(s["Sid"]))
	}
	return out
}

func wantSids(t *testing.T, what string, doc any, want ...string) {
	t.Helper()
	got := sids(doc)
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("%s lacks statement %s; has %v", what, w, got)
		}
	}
}

var archiveSids = []string{
	logarchive.SidCloudTrailACLCheck, logarchive.SidCloudTrailWrite, logarchive.SidCloudTrailOrganizationWrite, logarchive.SidAllowReaders,
	logarchive.SidDenyInsecureTransport, logarchive.SidDenyOutsideOrganization, logarchive.SidDenyDeletingLogs, logarchive.SidDenyChangingProtection,
}

var archiveKeySids = []string{logarchive.SidCloudTrailEncrypt, logarchive.SidCloudTrailDecrypt, logarchive.SidCloudTrailDescribeKey, logarchive.SidReadersDecrypt}

const reader = "arn:aws:iam::222222222222:role/Investigator"

func TestLogArchiveOnExistingBucketAndKey(t *testing.T) {
	t.Run("same-stack bucket and key", func(t *testing.T) {
		stack := newTestStack(t)
		key := userKey(stack, "UserKey")
		bucket := userArchiveBucket(stack, "UserBucket", key, nil)
		// A statement of the user's own, which must survive (merged, not replaced).
		bucket.AddToResourcePolicy(denyInsecureForTest(bucket))
		la := logarchive.NewLogArchive(stack, jsii.String("Archive"), &logarchive.LogArchiveProps{
			OrganizationId: jsii.String("o-a1b2c3d4e5"), TrailArn: jsii.String(trailArn), Readers: jsii.Strings(reader),
			ExistingBucket: bucket, ExistingKey: key,
		})
		samePath(t, "Bucket", la.Bucket(), bucket)
		samePath(t, "Key", la.Key(), key)
		if la.AccessLogBucket() != nil {
			t.Errorf("AccessLogBucket() = %v, want nil with ExistingBucket", la.AccessLogBucket())
		}
		tmpl := synthStack(t, stack)
		bucketID, keyID := logicalID(bucket), logicalID(key)
		onlyTheUsers(t, tmpl, "AWS::S3::Bucket", bucketID)
		onlyTheUsers(t, tmpl, "AWS::KMS::Key", keyID)
		doc := policyOfBucket(t, tmpl, ref(bucketID))
		wantSids(t, "the user's bucket policy", doc, append(archiveSids, "UsersOwnStatement")...)
		wantEq(t, "write", statementBySid(t, doc, logarchive.SidCloudTrailOrganizationWrite)["Resource"], objects(bucketID, "AWSLogs/o-a1b2c3d4e5/*"))
		keyDoc := get(map[string]any(tmpl), "Resources", keyID, "Properties", "KeyPolicy")
		wantSids(t, "the user's key policy", keyDoc, archiveKeySids...)
	})

	t.Run("same-stack key and access-log bucket, new archive bucket", func(t *testing.T) {
		stack := newTestStack(t)
		key := userKey(stack, "UserKey")
		accessLogs := userAccessLogBucket(stack, "UserAccessLogs")
		la := logarchive.NewLogArchive(stack, jsii.String("Archive"), &logarchive.LogArchiveProps{
			OrganizationId: jsii.String("o-a1b2c3d4e5"), TrailArn: jsii.String(trailArn),
			ExistingKey: key, ExistingAccessLogBucket: accessLogs,
		})
		samePath(t, "Key", la.Key(), key)
		samePath(t, "AccessLogBucket", la.AccessLogBucket(), accessLogs)
		tmpl := synthStack(t, stack)
		keyID, accessID := logicalID(key), logicalID(accessLogs)
		onlyTheUsers(t, tmpl, "AWS::KMS::Key", keyID)
		archiveID := logicalID(la.Bucket())
		if n := len(tmpl.resourcesOfType("AWS::S3::Bucket")); n != 2 {
			t.Errorf("buckets = %d, want the user's access-log bucket and the new archive bucket", n)
		}
		p := get(map[string]any(tmpl), "Resources", archiveID, "Properties")
		wantEq(t, "archive encryption key", get(p, "BucketEncryption", "ServerSideEncryptionConfiguration", 0, "ServerSideEncryptionByDefault", "KMSMasterKeyID"), getAtt(keyID, "Arn"))
		wantEq(t, "archive logging", get(p, "LoggingConfiguration", "DestinationBucketName"), ref(accessID))
		accessDoc := policyOfBucket(t, tmpl, ref(accessID))
		wantEq(t, "delivery", statementBySid(t, accessDoc, logarchive.SidAllowServerAccessLogDelivery)["Condition"], map[string]any{
			"ArnLike": map[string]any{"aws:SourceArn": getAtt(archiveID, "Arn")}, "StringEquals": map[string]any{"aws:SourceAccount": "222222222222"},
		})
		wantSids(t, "the user's key policy", get(map[string]any(tmpl), "Resources", keyID, "Properties", "KeyPolicy"), logarchive.SidCloudTrailEncrypt)
	})

	t.Run("imported bucket and key", func(t *testing.T) {
		stack := newTestStack(t)
		bucket := awss3.Bucket_FromBucketName(stack, jsii.String("UserBucket"), jsii.String(importedBucketName))
		key := awskms.Key_FromKeyArn(stack, jsii.String("UserKey"), jsii.String(importedKeyArn))
		props := &logarchive.LogArchiveProps{
			OrganizationId: jsii.String("o-a1b2c3d4e5"), TrailArn: jsii.String(trailArn), Readers: jsii.Strings(reader),
			ExistingBucket: bucket, ExistingKey: key,
			LogFileReaders: jsii.Strings("arn:aws:iam::222222222222:role/trailguard-detect-archive"),
		}
		la := logarchive.NewLogArchive(stack, jsii.String("Archive"), props)
		samePath(t, "Bucket", la.Bucket(), bucket)
		samePath(t, "Key", la.Key(), key)
		tmpl := synthStack(t, stack)
		onlyTheUsers(t, tmpl, "AWS::S3::Bucket")
		onlyTheUsers(t, tmpl, "AWS::KMS::Key")
		doc := policyOfBucket(t, tmpl, importedBucketName)
		wantSids(t, "the imported bucket's policy", doc, archiveSids...)
		if r := fmt.Sprint(statementBySid(t, doc, logarchive.SidCloudTrailWrite)["Resource"]); !strings.Contains(r, ":s3:::"+importedBucketName+"/AWSLogs/111111111111/*") {
			t.Errorf("write statement must name the imported bucket's objects, got %s", r)
		}
		// The key policy cannot be written: the construct says so, and the helper returns
		// the statements to add, for this bucket's name.
		msgs := warnings(stack)
		checkPasteable(t, msgs)
		info := strings.Join(msgs, "\n")
		if missing := missingSubstrings(info, logarchive.WarningKeyPolicy, "ExistingKey", importedKeyArn, "logarchive.KeyPolicyStatements",
			`"Sid":"`+logarchive.SidCloudTrailEncrypt+`"`, `"Sid":"`+logarchive.SidLogFileReadersDecrypt+`"`, `"kms:EncryptionContext:aws:s3:arn":"arn:aws:s3:::`+importedBucketName+`"`); len(missing) > 0 {
			t.Errorf("warnings lack %q:\n%s", missing, info)
		}
		var got []string
		for _, s := range logarchive.KeyPolicyStatements(stack, props) {
			got = append(got, *s.Sid())
			if *s.Sid() != logarchive.SidLogFileReadersDecrypt {
				continue
			}
			if j, _ := json.Marshal(stack.Resolve(s.ToStatementJson())); !strings.Contains(string(j), `:s3:::`+importedBucketName+`"`) {
				t.Errorf("log file readers statement must name the imported bucket: %s", j)
			}
		}
		wantEq(t, "KeyPolicyStatements", got, append(slices.Clone(archiveKeySids), logarchive.SidLogFileReadersDecrypt))
	})
}

// denyInsecureForTest is a statement of the user's own on their bucket.
func denyInsecureForTest(b awss3.IBucket) awsiam.PolicyStatement {
	return awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid: jsii.String("UsersOwnStatement"), Effect: awsiam.Effect_DENY, Principals: &[]awsiam.IPrincipal{awsiam.NewAnyPrincipal()},
		Actions: jsii.Strings("s3:PutObjectAcl"), Resources: &[]*string{b.ArnForObjects(jsii.String("*"))},
	})
}

// onlyTheUsers fails unless the template's resources of typ are exactly ids.
func onlyTheUsers(t *testing.T, tmpl template, typ string, ids ...string) {
	t.Helper()
	got := keys(tmpl.resourcesOfType(typ))
	slices.Sort(got)
	slices.Sort(ids)
	if !slices.Equal(got, ids) {
		t.Errorf("%s resources = %v, want only the user's %v: the construct must create none of its own", typ, got, ids)
	}
}

func TestAccountTrailOnExistingBucketAndKey(t *testing.T) {
	trailArnIn := func(name string) map[string]any {
		return map[string]any{"Fn::Join": []any{"", []any{"arn:", ref("AWS::Partition"), ":cloudtrail:", ref("AWS::Region"), ":", ref("AWS::AccountId"), ":trail/" + name}}}
	}
	trailSids := []string{"AllowCloudTrailAclCheck", "AllowCloudTrailWrite", "DenyInsecureTransport"}

	t.Run("same-stack bucket and key", func(t *testing.T) {
		stack := newTestStack(t)
		key := userKey(stack, "UserKey")
		bucket := userArchiveBucket(stack, "UserBucket", key, func(p *awss3.BucketProps) { p.ObjectLockEnabled, p.ObjectLockDefaultRetention = nil, nil })
		bucket.AddToResourcePolicy(denyInsecureForTest(bucket))
		at := accounttrail.NewAccountTrail(stack, jsii.String("Trail"), &accounttrail.AccountTrailProps{
			CloudWatchLogs: jsii.Bool(true), ExistingBucket: bucket, ExistingKey: key,
		})
		samePath(t, "Bucket", at.Bucket(), bucket)
		samePath(t, "Key", at.Key(), key)
		if at.AccessLogBucket() != nil {
			t.Errorf("AccessLogBucket() = %v, want nil with ExistingBucket", at.AccessLogBucket())
		}
		tmpl := synthStack(t, stack)
		bucketID, keyID := logicalID(bucket), logicalID(key)
		onlyTheUsers(t, tmpl, "AWS::S3::Bucket", bucketID)
		onlyTheUsers(t, tmpl, "AWS::KMS::Key", keyID)
		_, trail := tmpl.only(t, "AWS::CloudTrail::Trail")
		wantEq(t, "trail bucket", trail.props()["S3BucketName"], ref(bucketID))
		wantEq(t, "trail key", trail.props()["KMSKeyId"], getAtt(keyID, "Arn"))
		doc := policyOfBucket(t, tmpl, ref(bucketID))
		wantSids(t, "the user's bucket policy", doc, append(trailSids, "UsersOwnStatement")...)
		wantEq(t, "write condition", statementBySid(t, doc, "AllowCloudTrailWrite")["Condition"], map[string]any{"StringEquals": map[string]any{
			"aws:SourceArn": trailArnIn("trailguard-local"), "s3:x-amz-acl": "bucket-owner-full-control",
		}})
		var policyID string
		for id := range tmpl.resourcesOfType("AWS::S3::BucketPolicy") {
			policyID = id
		}
		if !slices.Contains(strs(trail["DependsOn"]), policyID) {
			t.Errorf("the trail must depend on the bucket policy %s (CloudTrail checks it on creation), DependsOn %v", policyID, trail["DependsOn"])
		}
		keyDoc := get(map[string]any(tmpl), "Resources", keyID, "Properties", "KeyPolicy")
		wantSids(t, "the user's key policy", keyDoc, accounttrail.SidCloudTrailEncrypt, accounttrail.SidCloudTrailBucketKeys, accounttrail.SidCloudWatchLogsEncrypt)
		_, lg := tmpl.only(t, "AWS::Logs::LogGroup")
		wantEq(t, "log group key", lg.props()["KmsKeyId"], getAtt(keyID, "Arn"))
	})

	t.Run("same-stack access-log bucket, new log bucket", func(t *testing.T) {
		stack := newTestStack(t)
		accessLogs := userAccessLogBucket(stack, "UserAccessLogs")
		at := accounttrail.NewAccountTrail(stack, jsii.String("Trail"), &accounttrail.AccountTrailProps{ExistingAccessLogBucket: accessLogs})
		samePath(t, "AccessLogBucket", at.AccessLogBucket(), accessLogs)
		tmpl := synthStack(t, stack)
		accessID, bucketID := logicalID(accessLogs), logicalID(at.Bucket())
		if n := len(tmpl.resourcesOfType("AWS::S3::Bucket")); n != 2 {
			t.Errorf("buckets = %d, want the user's access-log bucket and the new log bucket", n)
		}
		wantEq(t, "logging", get(map[string]any(tmpl), "Resources", bucketID, "Properties", "LoggingConfiguration", "DestinationBucketName"), ref(accessID))
		accessDoc := policyOfBucket(t, tmpl, ref(accessID))
		wantEq(t, "delivery source", get(statementBySid(t, accessDoc, "AllowServerAccessLogDelivery"), "Condition", "ArnLike"), map[string]any{"aws:SourceArn": getAtt(bucketID, "Arn")})
	})

	t.Run("imported bucket and key", func(t *testing.T) {
		stack := newTestStack(t)
		bucket := awss3.Bucket_FromBucketArn(stack, jsii.String("UserBucket"), jsii.String("arn:aws:s3:::"+importedBucketName))
		key := awskms.Key_FromKeyArn(stack, jsii.String("UserKey"), jsii.String(importedKeyArn))
		at := accounttrail.NewAccountTrail(stack, jsii.String("Trail"), &accounttrail.AccountTrailProps{ExistingBucket: bucket, ExistingKey: key})
		samePath(t, "Bucket", at.Bucket(), bucket)
		samePath(t, "Key", at.Key(), key)
		tmpl := synthStack(t, stack)
		onlyTheUsers(t, tmpl, "AWS::S3::Bucket")
		onlyTheUsers(t, tmpl, "AWS::KMS::Key")
		_, trail := tmpl.only(t, "AWS::CloudTrail::Trail")
		wantEq(t, "trail bucket", trail.props()["S3BucketName"], importedBucketName)
		wantEq(t, "trail key", trail.props()["KMSKeyId"], importedKeyArn)
		wantSids(t, "the imported bucket's policy", policyOfBucket(t, tmpl, importedBucketName), trailSids...)
		msgs := warnings(stack)
		checkPasteable(t, msgs)
		info := strings.Join(msgs, "\n")
		if missing := missingSubstrings(info, accounttrail.WarningKeyPolicy, "ExistingKey", importedKeyArn, "accounttrail.KeyPolicyStatements",
			`"Sid":"`+accounttrail.SidCloudTrailEncrypt+`"`, "arn:aws:cloudtrail:eu-west-1:222222222222:trail/"); len(missing) > 0 {
			t.Errorf("warnings lack %q:\n%s", missing, info)
		}
		var got []string
		for _, s := range accounttrail.KeyPolicyStatements(stack, &accounttrail.AccountTrailProps{CloudWatchLogs: jsii.Bool(true)}) {
			got = append(got, *s.Sid())
		}
		wantEq(t, "KeyPolicyStatements", got, []string{accounttrail.SidCloudTrailEncrypt, accounttrail.SidCloudTrailBucketKeys, accounttrail.SidCloudWatchLogsEncrypt})
	})
}

// existingMisuse is one misuse of the Existing* props: build panics with every want.
type existingMisuse struct {
	name  string
	build func(s awscdk.Stack)
	want  []string
}

func runMisuse(t *testing.T, tests []existingMisuse) {
	t.Helper()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			stack := newTestStack(t)
			msg := mustPanic(t, func() { tc.build(stack) })
			if missing := missingSubstrings(msg, tc.want...); len(missing) > 0 {
				t.Errorf("panic message lacks %q:\n%s", missing, msg)
			}
		})
	}
}

func TestLogArchiveExistingMisuse(t *testing.T) {
	archive := func(s awscdk.Stack, edit func(p *logarchive.LogArchiveProps)) {
		p := &logarchive.LogArchiveProps{OrganizationId: jsii.String("o-a1b2c3d4e5"), TrailArn: jsii.String(trailArn)}
		edit(p)
		logarchive.NewLogArchive(s, jsii.String("Archive"), p)
	}
	// bad builds the user's bucket with edit and passes it with its key.
	bad := func(edit func(*awss3.BucketProps)) func(s awscdk.Stack) {
		return func(s awscdk.Stack) {
			key := userKey(s, "UserKey")
			b := userArchiveBucket(s, "UserBucket", key, edit)
			archive(s, func(p *logarchive.LogArchiveProps) { p.ExistingBucket, p.ExistingKey = b, key })
		}
	}
	runMisuse(t, []existingMisuse{
		{"bucket and new-bucket props", func(s awscdk.Stack) {
			b := awss3.Bucket_FromBucketName(s, jsii.String("B"), jsii.String(importedBucketName))
			archive(s, func(p *logarchive.LogArchiveProps) {
				p.ExistingBucket, p.BucketName, p.ObjectLockDays, p.LogFileQueue = b, jsii.String("trailguard-archive-x"), jsii.Number(30), awssqs.Queue_FromQueueArn(s, jsii.String("Q"), jsii.String("arn:aws:sqs:eu-west-1:222222222222:q"))
			})
		}, []string{
			"logarchive: ExistingBucket and BucketName are exclusive", "(ExistingBucket is TestStack/B (" + importedBucketName + "))",
			"ExistingBucket and ObjectLockDays are exclusive", "ExistingBucket and LogFileQueue are exclusive",
		}},
		{"key and alias", func(s awscdk.Stack) {
			k := awskms.Key_FromKeyArn(s, jsii.String("K"), jsii.String(importedKeyArn))
			archive(s, func(p *logarchive.LogArchiveProps) { p.ExistingKey, p.KeyAlias = k, jsii.String("alias/trailguard/x") })
		}, []string{"ExistingKey and KeyAlias are exclusive", importedKeyArn}},
		{"access-log bucket and its props", func(s awscdk.Stack) {
			b := userAccessLogBucket(s, "Logs")
			archive(s, func(p *logarchive.LogArchiveProps) {
				p.ExistingAccessLogBucket, p.AccessLogRetentionDays = b, jsii.Number(30)
			})
		}, []string{"ExistingAccessLogBucket and AccessLogRetentionDays are exclusive"}},
		{"same-stack bucket without versioning", bad(func(p *awss3.BucketProps) { p.Versioned = jsii.Bool(false) }),
			[]string{"logarchive: ExistingBucket must be versioned (Versioned: true), got bucket TestStack/UserBucket without versioning"}},
		{"same-stack bucket without Object Lock", bad(func(p *awss3.BucketProps) { p.ObjectLockEnabled, p.ObjectLockDefaultRetention = nil, nil }),
			[]string{"ExistingBucket must have Object Lock with a default retention", "got bucket TestStack/UserBucket with ObjectLockEnabled none and default retention none"}},
		{"same-stack bucket with Object Lock but no default retention", bad(func(p *awss3.BucketProps) { p.ObjectLockDefaultRetention = nil }),
			[]string{"ExistingBucket must have Object Lock with a default retention", "ObjectLockEnabled true and default retention none"}},
		{"same-stack bucket with SSE-S3", bad(func(p *awss3.BucketProps) { p.Encryption, p.EncryptionKey = awss3.BucketEncryption_S3_MANAGED, nil }),
			[]string{"ExistingBucket must be encrypted by default with SSE-KMS and the construct's key", "with algorithm AES256"}},
		{"same-stack bucket with another key", func(s awscdk.Stack) {
			key, other := userKey(s, "UserKey"), userKey(s, "OtherKey")
			b := userArchiveBucket(s, "UserBucket", other, nil)
			archive(s, func(p *logarchive.LogArchiveProps) { p.ExistingBucket, p.ExistingKey = b, key })
		}, []string{"ExistingBucket must be encrypted by default with SSE-KMS and the construct's key", "UserKey", "OtherKey"}},
		{"same-stack bucket without a key", func(s awscdk.Stack) {
			b := userArchiveBucket(s, "UserBucket", userKey(s, "UserKey"), nil)
			archive(s, func(p *logarchive.LogArchiveProps) { p.ExistingBucket = b })
		}, []string{"ExistingKey is required with ExistingBucket TestStack/UserBucket, a bucket built in the app"}},
		{"same-stack bucket not retained", bad(func(p *awss3.BucketProps) { p.RemovalPolicy = awscdk.RemovalPolicy_DESTROY }),
			[]string{"ExistingBucket must be retained (RemovalPolicy RETAIN_ON_UPDATE_OR_DELETE or RETAIN)", `DeletionPolicy "DELETE"`}},
		{"same-stack bucket with public access", bad(func(p *awss3.BucketProps) { p.BlockPublicAccess = awss3.BlockPublicAccess_BLOCK_ACLS() }),
			[]string{"ExistingBucket must block all public access", "blockPublicPolicy"}},
		{"same-stack key without rotation", func(s awscdk.Stack) {
			k := awskms.NewKey(s, jsii.String("UserKey"), &awskms.KeyProps{RemovalPolicy: awscdk.RemovalPolicy_RETAIN})
			archive(s, func(p *logarchive.LogArchiveProps) { p.ExistingKey = k })
		}, []string{"ExistingKey must rotate (EnableKeyRotation: true), got key TestStack/UserKey without rotation"}},
		{"same-stack access-log bucket with KMS", func(s awscdk.Stack) {
			b := userArchiveBucket(s, "Logs", userKey(s, "K"), nil)
			archive(s, func(p *logarchive.LogArchiveProps) { p.ExistingAccessLogBucket = b })
		}, []string{"ExistingAccessLogBucket must use SSE-S3 default encryption", "aws:kms", "ExistingAccessLogBucket must have no Object Lock default retention"}},
		{"imported key with a malformed account", func(s awscdk.Stack) {
			k := awskms.Key_FromKeyArn(s, jsii.String("K"), jsii.String("arn:aws:kms:eu-west-1:2222:key/abc"))
			archive(s, func(p *logarchive.LogArchiveProps) { p.ExistingKey = k })
		}, []string{`ExistingKey must be a KMS key, got key ARN "arn:aws:kms:eu-west-1:2222:key/abc"`}},
		{"imported key in another region", func(s awscdk.Stack) {
			k := awskms.Key_FromKeyArn(s, jsii.String("K"), jsii.String(strings.Replace(importedKeyArn, "eu-west-1", "us-east-1", 1)))
			archive(s, func(p *logarchive.LogArchiveProps) { p.ExistingKey = k })
		}, []string{"ExistingKey must be in the bucket's region eu-west-1", "us-east-1"}},
		{"imported bucket with a bad name", func(s awscdk.Stack) {
			b := awss3.Bucket_FromBucketName(s, jsii.String("B"), jsii.String("Org_Archive"))
			archive(s, func(p *logarchive.LogArchiveProps) { p.ExistingBucket = b })
		}, []string{`ExistingBucket must be an S3 bucket, got bucket name "Org_Archive"`}},
		{"bucket in another account", func(s awscdk.Stack) {
			other := awscdk.NewStack(s.Node().Scope().(constructs.Construct), jsii.String("Other"), &awscdk.StackProps{Env: &awscdk.Environment{Account: jsii.String("333333333333"), Region: jsii.String("eu-west-1")}})
			b := awss3.Bucket_FromBucketName(other, jsii.String("B"), jsii.String(importedBucketName))
			archive(s, func(p *logarchive.LogArchiveProps) { p.ExistingBucket = b })
		}, []string{"ExistingBucket must be in the account of stack TestStack (222222222222), got bucket Other/B in 333333333333"}},
		{"log file readers with an unnamed same-stack bucket", func(s awscdk.Stack) {
			key := userKey(s, "UserKey")
			b := userArchiveBucket(s, "UserBucket", key, nil)
			archive(s, func(p *logarchive.LogArchiveProps) {
				p.ExistingBucket, p.ExistingKey, p.LogFileReaders = b, key, jsii.Strings("arn:aws:iam::222222222222:role/trailguard-detect-archive")
			})
		}, []string{"LogFileReaders needs ExistingBucket's name at synth"}},
	})
}

func TestAccountTrailExistingMisuse(t *testing.T) {
	trail := func(s awscdk.Stack, edit func(p *accounttrail.AccountTrailProps)) {
		p := &accounttrail.AccountTrailProps{}
		edit(p)
		accounttrail.NewAccountTrail(s, jsii.String("Trail"), p)
	}
	runMisuse(t, []existingMisuse{
		{"bucket and new-bucket props", func(s awscdk.Stack) {
			b := awss3.Bucket_FromBucketName(s, jsii.String("B"), jsii.String(importedBucketName))
			l := userAccessLogBucket(s, "Logs")
			trail(s, func(p *accounttrail.AccountTrailProps) {
				p.ExistingBucket, p.RetentionDays, p.ExistingAccessLogBucket = b, jsii.Number(30), l
			})
		}, []string{"accounttrail: ExistingBucket and RetentionDays are exclusive", "ExistingBucket and ExistingAccessLogBucket are exclusive", importedBucketName}},
		{"same-stack bucket without key, versioning or public access block", func(s awscdk.Stack) {
			b := awss3.NewBucket(s, jsii.String("UserBucket"), &awss3.BucketProps{RemovalPolicy: awscdk.RemovalPolicy_RETAIN, BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ACLS()})
			trail(s, func(p *accounttrail.AccountTrailProps) { p.ExistingBucket = b })
		}, []string{
			"accounttrail: ExistingKey is required with ExistingBucket TestStack/UserBucket",
			"ExistingBucket must be versioned", "ExistingBucket must block all public access",
		}},
		{"same-stack bucket with another key, not retained", func(s awscdk.Stack) {
			key := userKey(s, "UserKey")
			b := awss3.NewBucket(s, jsii.String("UserBucket"), &awss3.BucketProps{
				EncryptionKey: userKey(s, "OtherKey"), Versioned: jsii.Bool(true), BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
				RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
			})
			trail(s, func(p *accounttrail.AccountTrailProps) { p.ExistingBucket, p.ExistingKey = b, key })
		}, []string{"ExistingBucket must be encrypted by default with SSE-KMS and the construct's key", "OtherKey", "ExistingBucket must be retained"}},
		{"key not retained", func(s awscdk.Stack) {
			k := awskms.NewKey(s, jsii.String("UserKey"), &awskms.KeyProps{EnableKeyRotation: jsii.Bool(true), RemovalPolicy: awscdk.RemovalPolicy_DESTROY})
			trail(s, func(p *accounttrail.AccountTrailProps) { p.ExistingKey = k })
		}, []string{`accounttrail: ExistingKey must be retained (RemovalPolicy RETAIN_ON_UPDATE_OR_DELETE or RETAIN)`, `got key TestStack/UserKey with DeletionPolicy "DELETE"`}},
		{"imported key is an alias in another region", func(s awscdk.Stack) {
			k := awskms.Key_FromKeyArn(s, jsii.String("K"), jsii.String("arn:aws:kms:us-east-1:222222222222:alias/trail"))
			trail(s, func(p *accounttrail.AccountTrailProps) { p.ExistingKey = k })
		}, []string{"ExistingKey must be in the bucket's region eu-west-1", "arn:aws:kms:us-east-1:222222222222:alias/trail"}},
		{"imported access-log bucket ARN of another service", func(s awscdk.Stack) {
			b := awss3.Bucket_FromBucketAttributes(s, jsii.String("L"), &awss3.BucketAttributes{BucketArn: jsii.String("arn:aws:sqs:eu-west-1:222222222222:logs"), BucketName: jsii.String("logs")})
			trail(s, func(p *accounttrail.AccountTrailProps) {
				p.ExistingAccessLogBucket, p.AccessLogRetentionDays = b, jsii.Number(10)
			})
		}, []string{`ExistingAccessLogBucket must be an S3 bucket, got bucket ARN "arn:aws:sqs:eu-west-1:222222222222:logs"`, "ExistingAccessLogBucket and AccessLogRetentionDays are exclusive"}},
		{"a second trail in the stack is still refused", func(s awscdk.Stack) {
			k := awskms.Key_FromKeyArn(s, jsii.String("K"), jsii.String(importedKeyArn))
			trail(s, func(p *accounttrail.AccountTrailProps) { p.ExistingKey = k })
			accounttrail.NewAccountTrail(s, jsii.String("Second"), &accounttrail.AccountTrailProps{ExistingKey: k})
		}, []string{"accounttrail.AccountTrail: stack TestStack already holds one"}},
	})
}
