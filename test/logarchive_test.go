package test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/trailguard/trailguard/config"
	"github.com/trailguard/trailguard/constructs/archivequery"
	"github.com/trailguard/trailguard/constructs/logarchive"
)

// Tests of the log archive in the Security account: the organization trail's bucket, its
// access-log bucket and the KMS key.

// bucketNamed returns the AWS::S3::Bucket named name.
func (tm template) bucketNamed(t *testing.T, name string) (string, resource) {
	t.Helper()
	var names []string
	for id, b := range tm.resourcesOfType("AWS::S3::Bucket") {
		if b.props()["BucketName"] == name {
			return id, b
		}
		names = append(names, fmt.Sprint(b.props()["BucketName"]))
	}
	t.Fatalf("no bucket named %q; have %v", name, names)
	return "", nil
}

// bucketPolicyOf returns the policy document of the bucket with logical id bucketID.
func (tm template) bucketPolicyOf(t *testing.T, bucketID string) any {
	t.Helper()
	for _, p := range tm.resourcesOfType("AWS::S3::BucketPolicy") {
		if jsonEq(t, p.props()["Bucket"], ref(bucketID)) {
			return p.props()["PolicyDocument"]
		}
	}
	t.Fatalf("no bucket policy for %s", bucketID)
	return nil
}

// archive holds the logical ids of the example's log archive resources.
type archive struct {
	tmpl                          template
	bucket, accessLogs, key       string
	bucketPolicy, accessLogPolicy any
	keyPolicy                     any
}

func exampleArchive(t *testing.T) archive {
	t.Helper()
	cfg := example.cfg
	a := archive{tmpl: example.template(t, cfg.SecurityStackName())}
	a.bucket, _ = a.tmpl.bucketNamed(t, cfg.LogArchive.BucketName)
	a.accessLogs, _ = a.tmpl.bucketNamed(t, cfg.AccessLogBucketName())
	var key resource
	a.key, key = a.tmpl.keyWithAlias(t, config.TrailKeyAlias)
	a.bucketPolicy = a.tmpl.bucketPolicyOf(t, a.bucket)
	a.accessLogPolicy = a.tmpl.bucketPolicyOf(t, a.accessLogs)
	a.keyPolicy = key.props()["KeyPolicy"]
	return a
}

func (a archive) resource(id string) resource {
	return resource(a.tmpl["Resources"].(map[string]any)[id].(map[string]any))
}

// bucketAndObjects is the Resource of a statement about a whole bucket: the bucket and its
// objects.
func bucketAndObjects(id string) []any {
	return []any{getAtt(id, "Arn"), map[string]any{"Fn::Join": []any{"", []any{getAtt(id, "Arn"), "/*"}}}}
}

func objects(id, prefix string) map[string]any {
	return map[string]any{"Fn::Join": []any{"", []any{getAtt(id, "Arn"), "/" + prefix}}}
}

func TestLogArchiveBucketPolicyLetsOnlyTheOrganizationTrailWrite(t *testing.T) {
	cfg := example.cfg
	a := exampleArchive(t)
	trail := cfg.OrganizationTrailARN()
	cloudtrail := map[string]any{"Service": "cloudtrail.amazonaws.com"}

	acl := statementBySid(t, a.bucketPolicy, logarchive.SidCloudTrailACLCheck)
	wantEq(t, "ACL check", acl, map[string]any{
		"Sid": logarchive.SidCloudTrailACLCheck, "Effect": "Allow", "Principal": cloudtrail,
		"Action": "s3:GetBucketAcl", "Resource": getAtt(a.bucket, "Arn"),
		"Condition": map[string]any{"StringEquals": map[string]any{"aws:SourceArn": trail}},
	})
	for sid, prefix := range map[string]string{
		logarchive.SidCloudTrailWrite:             "AWSLogs/" + cfg.Organization.ManagementAccount + "/*",
		logarchive.SidCloudTrailOrganizationWrite: "AWSLogs/" + cfg.Organization.ID + "/*",
	} {
		wantEq(t, sid, statementBySid(t, a.bucketPolicy, sid), map[string]any{
			"Sid": sid, "Effect": "Allow", "Principal": cloudtrail,
			"Action": "s3:PutObject", "Resource": objects(a.bucket, prefix),
			"Condition": map[string]any{"StringEquals": map[string]any{
				"aws:SourceArn": trail,
				"s3:x-amz-acl":  "bucket-owner-full-control",
			}},
		})
	}

	// Every Allow is one of CloudTrail's or the readers'; nothing else may write.
	for _, s := range statements(a.bucketPolicy) {
		if s["Effect"] != "Allow" {
			continue
		}
		switch s["Sid"] {
		case logarchive.SidCloudTrailACLCheck, logarchive.SidCloudTrailWrite, logarchive.SidCloudTrailOrganizationWrite:
		case logarchive.SidAllowReaders:
			if slices.ContainsFunc(strs(s["Action"]), func(a string) bool { return !strings.HasPrefix(a, "s3:Get") && !strings.HasPrefix(a, "s3:List") }) {
				t.Errorf("readers may only get and list, got %v", s["Action"])
			}
			wantEq(t, "readers", s["Condition"], map[string]any{"ArnLike": map[string]any{"aws:PrincipalArn": cfg.LogArchive.Readers}})
		default:
			t.Errorf("unexpected Allow in the archive bucket policy: %v", s)
		}
	}
}

func TestLogArchiveBucketPolicyDeniesTamperingExceptBreakGlassAndDeployer(t *testing.T) {
	cfg := example.cfg
	a := exampleArchive(t)
	deployer := cfg.CloudFormationExecutionRoleARN(cfg.Organization.SecurityAccount, cfg.HomeRegion)
	breakGlass := cfg.LogArchive.BreakGlassPrincipals
	if len(breakGlass) == 0 {
		t.Fatal("the example must name a break-glass principal for this test")
	}

	for _, tc := range []struct {
		name   string
		doc    any
		bucket string
	}{
		{"archive", a.bucketPolicy, a.bucket},
		{"access logs", a.accessLogPolicy, a.accessLogs},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tls := statementBySid(t, tc.doc, logarchive.SidDenyInsecureTransport)
			wantEq(t, "TLS deny", tls, map[string]any{
				"Sid": logarchive.SidDenyInsecureTransport, "Effect": "Deny", "Principal": map[string]any{"AWS": "*"},
				"Action": "s3:*", "Resource": bucketAndObjects(tc.bucket),
				"Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}},
			})
			org := statementBySid(t, tc.doc, logarchive.SidDenyOutsideOrganization)
			wantEq(t, "organization deny", org, map[string]any{
				"Sid": logarchive.SidDenyOutsideOrganization, "Effect": "Deny", "Principal": map[string]any{"AWS": "*"},
				"Action": "s3:*", "Resource": bucketAndObjects(tc.bucket),
				"Condition": map[string]any{
					"StringNotEquals": map[string]any{"aws:PrincipalOrgID": cfg.Organization.ID},
					"BoolIfExists":    map[string]any{"aws:PrincipalIsAWSService": "false"},
				},
			})

			del := statementBySid(t, tc.doc, logarchive.SidDenyDeletingLogs)
			if del["Effect"] != "Deny" || !jsonEq(t, del["Principal"], map[string]any{"AWS": "*"}) || !jsonEq(t, del["Resource"], bucketAndObjects(tc.bucket)) {
				t.Errorf("deletion deny must deny everyone on the bucket and its objects, got %v", del)
			}
			for _, action := range []string{"s3:DeleteObject", "s3:DeleteObjectVersion", "s3:BypassGovernanceRetention"} {
				if !slices.Contains(strs(del["Action"]), action) {
					t.Errorf("deletion deny lacks %s: %v", action, del["Action"])
				}
			}
			// Only break-glass principals may delete; the deployer never needs to.
			wantEq(t, "deletion deny exemptions", del["Condition"], map[string]any{"ArnNotLike": map[string]any{"aws:PrincipalArn": breakGlass}})

			cfgDeny := statementBySid(t, tc.doc, logarchive.SidDenyChangingProtection)
			if cfgDeny["Effect"] != "Deny" || !jsonEq(t, cfgDeny["Principal"], map[string]any{"AWS": "*"}) || !jsonEq(t, cfgDeny["Resource"], getAtt(tc.bucket, "Arn")) {
				t.Errorf("configuration deny must deny everyone on the bucket, got %v", cfgDeny)
			}
			// s3:DeleteBucket too: S3 deletes only an empty bucket, and CloudFormation must
			// when the deploy that created it rolls back.
			for _, action := range []string{
				"s3:DeleteBucket", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy", "s3:PutLifecycleConfiguration", "s3:PutBucketObjectLockConfiguration",
				"s3:PutBucketLogging", "s3:PutBucketVersioning", "s3:PutEncryptionConfiguration", "s3:PutBucketPublicAccessBlock",
				"s3:PutReplicationConfiguration", "s3:PutBucketNotification",
			} {
				if !slices.Contains(strs(cfgDeny["Action"]), action) {
					t.Errorf("configuration deny lacks %s: %v", action, cfgDeny["Action"])
				}
			}
			// A policy that locks out its own deployer is a defect: CloudFormation's role must
			// still be able to update the bucket.
			wantEq(t, "configuration deny exemptions", cfgDeny["Condition"],
				map[string]any{"ArnNotLike": map[string]any{"aws:PrincipalArn": append(slices.Clone(breakGlass), deployer)}})

			// Digest files are SSE-S3: no statement may refuse uploads without SSE-KMS.
			for _, s := range statements(tc.doc) {
				for _, cond := range asMap(s["Condition"]) {
					if v, ok := asMap(cond)["s3:x-amz-server-side-encryption"]; ok && s["Effect"] == "Deny" && !slices.Contains(strs(v), "AES256") {
						t.Errorf("statement %v denies uploads that are not SSE-KMS; CloudTrail's SSE-S3 digest files would be refused", s["Sid"])
					}
				}
			}
		})
	}
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func TestLogArchiveKeyPolicyLetsTheTrailEncryptAndOnlyReadersDecrypt(t *testing.T) {
	cfg := example.cfg
	a := exampleArchive(t)
	key := a.resource(a.key)
	if key.props()["EnableKeyRotation"] != true {
		t.Error("key rotation must be on")
	}
	trail := cfg.OrganizationTrailARN()
	cloudtrail := map[string]any{"Service": "cloudtrail.amazonaws.com"}
	fromTrail := map[string]any{"StringEquals": map[string]any{"aws:SourceArn": trail}}

	wantEq(t, "encrypt", statementBySid(t, a.keyPolicy, logarchive.SidCloudTrailEncrypt), map[string]any{
		"Sid": logarchive.SidCloudTrailEncrypt, "Effect": "Allow", "Principal": cloudtrail,
		"Action": "kms:GenerateDataKey*", "Resource": "*",
		"Condition": map[string]any{
			"StringEquals": map[string]any{"aws:SourceArn": trail},
			"StringLike":   map[string]any{"kms:EncryptionContext:aws:cloudtrail:arn": "arn:aws:cloudtrail:*:" + cfg.Organization.ManagementAccount + ":trail/*"},
		},
	})
	// With an S3 Bucket Key, CloudTrail needs kms:Decrypt to create the trail.
	wantEq(t, "bucket key decrypt", statementBySid(t, a.keyPolicy, logarchive.SidCloudTrailDecrypt), map[string]any{
		"Sid": logarchive.SidCloudTrailDecrypt, "Effect": "Allow", "Principal": cloudtrail,
		"Action": "kms:Decrypt", "Resource": "*", "Condition": fromTrail,
	})
	wantEq(t, "describe", statementBySid(t, a.keyPolicy, logarchive.SidCloudTrailDescribeKey), map[string]any{
		"Sid": logarchive.SidCloudTrailDescribeKey, "Effect": "Allow", "Principal": cloudtrail,
		"Action": "kms:DescribeKey", "Resource": "*", "Condition": fromTrail,
	})
	wantEq(t, "readers", statementBySid(t, a.keyPolicy, logarchive.SidReadersDecrypt), map[string]any{
		"Sid": logarchive.SidReadersDecrypt, "Effect": "Allow", "Principal": map[string]any{"AWS": "*"},
		"Action": "kms:Decrypt", "Resource": "*",
		"Condition": map[string]any{
			"ArnLike":      map[string]any{"aws:PrincipalArn": cfg.LogArchive.Readers},
			"StringEquals": map[string]any{"kms:ViaService": "s3." + cfg.HomeRegion + ".amazonaws.com"},
		},
	})
	checkDenyGrants(t, "archive key", a.keyPolicy)

	// The account may administer the key but not use it: no identity policy can read logs.
	admin := statementBySid(t, a.keyPolicy, logarchive.SidKeyAdministration)
	wantEq(t, "administrator", admin["Principal"], map[string]any{"AWS": "arn:aws:iam::" + cfg.Organization.SecurityAccount + ":root"})
	for _, action := range strs(admin["Action"]) {
		if action == "kms:*" || strings.HasPrefix(action, "kms:Encrypt") || strings.HasPrefix(action, "kms:Decrypt") ||
			strings.HasPrefix(action, "kms:GenerateDataKey") || strings.HasPrefix(action, "kms:ReEncrypt") || action == "kms:CreateGrant" {
			t.Errorf("the account's administrators must not be able to use the key, but may %s", action)
		}
	}
	if !slices.Contains(strs(admin["Action"]), "kms:PutKeyPolicy") {
		t.Error("the key must stay manageable: administrators need kms:PutKeyPolicy")
	}
	// Nothing more: every other Allow is conditioned.
	for _, s := range statements(a.keyPolicy) {
		if s["Effect"] == "Allow" && s["Sid"] != logarchive.SidKeyAdministration && s["Condition"] == nil {
			t.Errorf("unconditioned Allow in the archive key policy: %v", s)
		}
	}
}

func TestLogArchiveBucketIsLockedEncryptedAndLogged(t *testing.T) {
	cfg := example.cfg
	la := cfg.LogArchive
	a := exampleArchive(t)
	p := a.resource(a.bucket).props()

	wantEq(t, "ObjectLockEnabled", p["ObjectLockEnabled"], true)
	wantEq(t, "ObjectLockConfiguration", p["ObjectLockConfiguration"], map[string]any{
		"ObjectLockEnabled": "Enabled",
		"Rule":              map[string]any{"DefaultRetention": map[string]any{"Mode": la.ObjectLock.Mode, "Days": la.ObjectLock.Days}},
	})
	wantEq(t, "VersioningConfiguration", p["VersioningConfiguration"], map[string]any{"Status": "Enabled"})
	wantEq(t, "BucketEncryption", p["BucketEncryption"], map[string]any{"ServerSideEncryptionConfiguration": []any{map[string]any{
		"BucketKeyEnabled":              true,
		"ServerSideEncryptionByDefault": map[string]any{"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": getAtt(a.key, "Arn")},
	}}})
	blockAll := map[string]any{"BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true}
	wantEq(t, "PublicAccessBlockConfiguration", p["PublicAccessBlockConfiguration"], blockAll)
	wantEq(t, "OwnershipControls", p["OwnershipControls"], map[string]any{"Rules": []any{map[string]any{"ObjectOwnership": "BucketOwnerEnforced"}}})
	wantEq(t, "LifecycleConfiguration", p["LifecycleConfiguration"], map[string]any{"Rules": []any{map[string]any{
		"Id":                             "expire-after-retention",
		"Status":                         "Enabled",
		"ExpirationInDays":               la.RetentionDays,
		"Transitions":                    []any{map[string]any{"StorageClass": "GLACIER_IR", "TransitionInDays": la.TransitionDays}},
		"NoncurrentVersionExpiration":    map[string]any{"NoncurrentDays": logarchive.DefaultNoncurrentVersionExpirationDays},
		"AbortIncompleteMultipartUpload": map[string]any{"DaysAfterInitiation": 7},
	}}})
	wantEq(t, "LoggingConfiguration", p["LoggingConfiguration"], map[string]any{
		"DestinationBucketName": ref(a.accessLogs), "LogFilePrefix": logarchive.AccessLogPrefix,
	})
	// Object events on EventBridge; new log files also to the archive detection function's
	// queue (TestDetectionArchivePath).
	wantEq(t, "EventBridgeConfiguration", get(p, "NotificationConfiguration", "EventBridgeConfiguration"), map[string]any{"EventBridgeEnabled": true})

	// The access-log bucket: SSE-S3 and no Object Lock, the only way S3 delivers access logs.
	alp := a.resource(a.accessLogs).props()
	wantEq(t, "access log encryption", alp["BucketEncryption"], map[string]any{"ServerSideEncryptionConfiguration": []any{map[string]any{
		"ServerSideEncryptionByDefault": map[string]any{"SSEAlgorithm": "AES256"},
	}}})
	if _, locked := alp["ObjectLockEnabled"]; locked {
		t.Error("the access-log bucket must not use Object Lock: S3 cannot deliver access logs to it")
	}
	wantEq(t, "access log public access", alp["PublicAccessBlockConfiguration"], blockAll)
	wantEq(t, "access log versioning", alp["VersioningConfiguration"], map[string]any{"Status": "Enabled"})
	wantEq(t, "access log expiry", get(alp, "LifecycleConfiguration", "Rules", 0, "ExpirationInDays"), la.AccessLogRetentionDays)

	// Its policy allows only the S3 logging service, only from the archive bucket (and, with
	// archiveQuery.enabled, from the query results bucket, under its own prefix).
	for _, s := range statements(a.accessLogPolicy) {
		if s["Effect"] == "Allow" && s["Sid"] != logarchive.SidAllowServerAccessLogDelivery &&
			!(cfg.ArchiveQuery.Enabled && s["Sid"] == archivequery.SidResultsAccessLogDelivery) {
			t.Errorf("unexpected Allow in the access-log bucket policy: %v", s)
		}
	}
	if cfg.ArchiveQuery.Enabled {
		wantEq(t, "query results log delivery", statementBySid(t, a.accessLogPolicy, archivequery.SidResultsAccessLogDelivery), map[string]any{
			"Sid": archivequery.SidResultsAccessLogDelivery, "Effect": "Allow",
			"Principal": map[string]any{"Service": "logging.s3.amazonaws.com"},
			"Action":    "s3:PutObject", "Resource": objects(a.accessLogs, archivequery.ResultsAccessLogPrefix+"*"),
			"Condition": map[string]any{
				"ArnLike":      map[string]any{"aws:SourceArn": fmt.Sprintf("arn:aws:s3:::trailguard-query-results-%s-%s", cfg.Organization.SecurityAccount, cfg.HomeRegion)},
				"StringEquals": map[string]any{"aws:SourceAccount": cfg.Organization.SecurityAccount},
			},
		})
	}
	wantEq(t, "log delivery", statementBySid(t, a.accessLogPolicy, logarchive.SidAllowServerAccessLogDelivery), map[string]any{
		"Sid": logarchive.SidAllowServerAccessLogDelivery, "Effect": "Allow",
		"Principal": map[string]any{"Service": "logging.s3.amazonaws.com"},
		"Action":    "s3:PutObject", "Resource": objects(a.accessLogs, logarchive.AccessLogPrefix+"*"),
		"Condition": map[string]any{
			"ArnLike":      map[string]any{"aws:SourceArn": getAtt(a.bucket, "Arn")},
			"StringEquals": map[string]any{"aws:SourceAccount": cfg.Organization.SecurityAccount},
		},
	})
}

func TestLogArchiveIsRetainedAndNeverEmptied(t *testing.T) {
	a := exampleArchive(t)
	n := 0
	for id, r := range a.tmpl["Resources"].(map[string]any) {
		r := resource(r.(map[string]any))
		if r["Type"] == "Custom::S3AutoDeleteObjects" {
			t.Errorf("%s: nothing in the Security stack may empty a bucket", id)
		}
		if !strings.HasPrefix(id, "LogArchive") {
			continue
		}
		n++
		if r["DeletionPolicy"] != "RetainExceptOnCreate" || r["UpdateReplacePolicy"] != "Retain" {
			t.Errorf("%s (%s) must be retained on deletion and replacement, got DeletionPolicy %v, UpdateReplacePolicy %v",
				id, r["Type"], r["DeletionPolicy"], r["UpdateReplacePolicy"])
		}
	}
	// Two buckets, two bucket policies, the key and its alias.
	if n != 6 {
		t.Errorf("log archive resources = %d, want 6 (buckets, policies, key, alias)", n)
	}
}

func TestSecurityStackOutputsTheArchive(t *testing.T) {
	a := exampleArchive(t)
	outputs, _ := a.tmpl["Outputs"].(map[string]any)
	for name, want := range map[string]any{
		"LogArchiveBucketArn":          getAtt(a.bucket, "Arn"),
		"LogArchiveAccessLogBucketArn": getAtt(a.accessLogs, "Arn"),
		"LogArchiveKeyArn":             getAtt(a.key, "Arn"),
	} {
		wantEq(t, "output "+name, get(outputs, name, "Value"), want)
	}
}

// trailArn is a valid organization trail ARN for construct-level tests.
const trailArn = "arn:aws:cloudtrail:eu-west-1:111111111111:trail/org-trail"

// TestLogArchiveDefaultsInAFreshApp builds the construct with only its required props in an
// app without trailguard's context, as another CDK Go app would.
func TestLogArchiveDefaultsInAFreshApp(t *testing.T) {
	stack := newTestStack(t)
	logarchive.NewLogArchive(stack, jsii.String("Archive"), &logarchive.LogArchiveProps{
		OrganizationId: jsii.String("o-a1b2c3d4e5"),
		TrailArn:       jsii.String(trailArn),
	})
	tmpl := synthStack(t, stack)
	buckets := tmpl.resourcesOfType("AWS::S3::Bucket")
	if len(buckets) != 2 {
		t.Fatalf("want the archive and access-log buckets, got %v", keys(buckets))
	}
	var archiveID, accessID string
	for id, b := range buckets {
		if b.props()["ObjectLockEnabled"] == true {
			archiveID = id
		} else {
			accessID = id
		}
	}
	p := buckets[archiveID].props()
	wantEq(t, "default retention", get(p, "ObjectLockConfiguration", "Rule", "DefaultRetention"),
		map[string]any{"Mode": logarchive.ObjectLockCompliance, "Days": logarchive.DefaultObjectLockDays})
	wantEq(t, "default expiry", get(p, "LifecycleConfiguration", "Rules", 0, "ExpirationInDays"), logarchive.DefaultRetentionDays)
	wantEq(t, "default transition", get(p, "LifecycleConfiguration", "Rules", 0, "Transitions", 0, "TransitionInDays"), logarchive.DefaultTransitionDays)
	wantEq(t, "default access log expiry", get(buckets[accessID].props(), "LifecycleConfiguration", "Rules", 0, "ExpirationInDays"), logarchive.DefaultAccessLogRetentionDays)
	if aliases := tmpl.resourcesOfType("AWS::KMS::Alias"); len(aliases) != 0 {
		t.Errorf("no alias without KeyAlias, got %v", keys(aliases))
	}

	doc := tmpl.bucketPolicyOf(t, archiveID)
	// Without break-glass principals no one may delete.
	if c := statementBySid(t, doc, logarchive.SidDenyDeletingLogs)["Condition"]; c != nil {
		t.Errorf("without break-glass principals the deletion deny must be unconditional, got %v", c)
	}
	// The default deployer is the bootstrap's CloudFormation execution role.
	wantEq(t, "default deployer", statementBySid(t, doc, logarchive.SidDenyChangingProtection)["Condition"], map[string]any{
		"ArnNotLike": map[string]any{"aws:PrincipalArn": []any{map[string]any{"Fn::Join": []any{"", []any{
			"arn:", ref("AWS::Partition"), ":iam::222222222222:role/cdk-hnb659fds-cfn-exec-role-222222222222-eu-west-1",
		}}}}},
	})
	for _, s := range statements(doc) {
		if s["Sid"] == logarchive.SidAllowReaders {
			t.Error("no reader statement without readers")
		}
	}
	for _, r := range tmpl["Resources"].(map[string]any) {
		if r := resource(r.(map[string]any)); r["Type"] != "AWS::KMS::Alias" && r["DeletionPolicy"] != "RetainExceptOnCreate" {
			t.Errorf("%s must be retained", r["Type"])
		}
	}
}

func TestLogArchiveGovernanceModeWithoutTransition(t *testing.T) {
	stack := newTestStack(t)
	logarchive.NewLogArchive(stack, jsii.String("Archive"), &logarchive.LogArchiveProps{
		OrganizationId: jsii.String("o-a1b2c3d4e5"),
		TrailArn:       jsii.String(trailArn),
		ObjectLockMode: jsii.String(logarchive.ObjectLockGovernance),
		ObjectLockDays: jsii.Number(30),
		RetentionDays:  jsii.Number(400),
		TransitionDays: jsii.Number(0),
		KeyAlias:       jsii.String("alias/org-trail"),
	})
	tmpl := synthStack(t, stack)
	for _, b := range tmpl.resourcesOfType("AWS::S3::Bucket") {
		if b.props()["ObjectLockEnabled"] != true {
			continue
		}
		wantEq(t, "retention", get(b.props(), "ObjectLockConfiguration", "Rule", "DefaultRetention"), map[string]any{"Mode": "GOVERNANCE", "Days": 30})
		rule := get(b.props(), "LifecycleConfiguration", "Rules", 0)
		wantEq(t, "expiry", get(rule, "ExpirationInDays"), 400)
		if tr := get(rule, "Transitions"); tr != nil {
			t.Errorf("TransitionDays 0 must keep logs in S3 Standard, got transitions %v", tr)
		}
	}
	_, alias := tmpl.only(t, "AWS::KMS::Alias")
	wantEq(t, "alias", alias.props()["AliasName"], "alias/org-trail")
}

func TestLogArchiveMisuse(t *testing.T) {
	valid := func() *logarchive.LogArchiveProps {
		return &logarchive.LogArchiveProps{OrganizationId: jsii.String("o-a1b2c3d4e5"), TrailArn: jsii.String(trailArn)}
	}
	with := func(edit func(p *logarchive.LogArchiveProps)) *logarchive.LogArchiveProps {
		p := valid()
		edit(p)
		return p
	}
	tests := []struct {
		name  string
		props *logarchive.LogArchiveProps
		stack func(t *testing.T) awscdk.Stack // default newTestStack
		want  []string
	}{
		{name: "no props", props: nil, want: []string{"logarchive: props are required"}},
		{name: "missing organization", props: with(func(p *logarchive.LogArchiveProps) { p.OrganizationId = nil }),
			want: []string{"logarchive: OrganizationId is required"}},
		{name: "bad organization", props: with(func(p *logarchive.LogArchiveProps) { p.OrganizationId = jsii.String("o-123") }),
			want: []string{`OrganizationId must be an organization id matching o-[a-z0-9]{10,32}, got "o-123"`}},
		{name: "missing trail", props: with(func(p *logarchive.LogArchiveProps) { p.TrailArn = nil }),
			want: []string{"TrailArn is required: the organization trail's ARN"}},
		{name: "trail is not a trail ARN", props: with(func(p *logarchive.LogArchiveProps) { p.TrailArn = jsii.String("arn:aws:s3:::bucket") }),
			want: []string{`TrailArn must be the organization trail's ARN`, `got "arn:aws:s3:::bucket"`}},
		{name: "trail is a token", props: with(func(p *logarchive.LogArchiveProps) { p.TrailArn = awscdk.Aws_STACK_ID() }),
			want: []string{"TrailArn must be a literal ARN, got a token"}},
		{name: "same bucket names", props: with(func(p *logarchive.LogArchiveProps) {
			p.BucketName, p.AccessLogBucketName = jsii.String("trailguard-logs-x"), jsii.String("trailguard-logs-x")
		}), want: []string{`AccessLogBucketName must differ from BucketName, got "trailguard-logs-x" for both`}},
		{name: "names the guardrails and alerts would not recognise", props: with(func(p *logarchive.LogArchiveProps) {
			p.BucketName, p.AccessLogBucketName = jsii.String("org-logs"), jsii.String("org-logs-access")
		}), want: []string{`BucketName must start with trailguard-: the guardrails protect`, `got "org-logs"`, `AccessLogBucketName must start with trailguard-`, `got "org-logs-access"`}},
		{name: "dotted bucket name", props: with(func(p *logarchive.LogArchiveProps) { p.BucketName = jsii.String("my.logs") }),
			want: []string{`BucketName must be an S3 bucket name: 3-63 lowercase letters, digits and hyphens, no dots, got "my.logs"`}},
		{name: "alias without prefix", props: with(func(p *logarchive.LogArchiveProps) { p.KeyAlias = jsii.String("org-trail") }),
			want: []string{`KeyAlias must start with alias/`}},
		{name: "reserved alias", props: with(func(p *logarchive.LogArchiveProps) { p.KeyAlias = jsii.String("alias/aws/s3") }),
			want: []string{`KeyAlias must not start with alias/aws/`}},
		{name: "lock longer than retention", props: with(func(p *logarchive.LogArchiveProps) {
			p.ObjectLockDays, p.RetentionDays = jsii.Number(400), jsii.Number(365)
		}), want: []string{"ObjectLockDays (400) must not exceed RetentionDays (365)"}},
		{name: "transition after expiry", props: with(func(p *logarchive.LogArchiveProps) {
			p.TransitionDays, p.RetentionDays = jsii.Number(400), jsii.Number(365)
		}), want: []string{"TransitionDays (400) must be less than RetentionDays (365)"}},
		{name: "fractional days", props: with(func(p *logarchive.LogArchiveProps) { p.AccessLogRetentionDays = jsii.Number(1.5) }),
			want: []string{"AccessLogRetentionDays must be a whole number of days from 1 to 36500, got 1.5"}},
		{name: "unknown lock mode", props: with(func(p *logarchive.LogArchiveProps) { p.ObjectLockMode = jsii.String("LEGAL_HOLD") }),
			want: []string{`ObjectLockMode must be COMPLIANCE or GOVERNANCE, got "LEGAL_HOLD"`}},
		{name: "wildcard reader", props: with(func(p *logarchive.LogArchiveProps) {
			p.Readers = jsii.Strings("arn:aws:iam::222222222222:role/reader-*")
		}), want: []string{`Readers[0] must be an IAM role or user ARN without wildcards`}},
		{name: "log file reader without the bucket's name", props: with(func(p *logarchive.LogArchiveProps) {
			p.LogFileReaders = jsii.Strings("arn:aws:iam::222222222222:role/trailguard-detect-archive")
		}), want: []string{"BucketName is required with LogFileReaders"}},
		{name: "wildcard log file reader", props: with(func(p *logarchive.LogArchiveProps) {
			p.BucketName, p.LogFileReaders = jsii.String("logs-x"), jsii.Strings("arn:aws:iam::222222222222:role/trailguard-*")
		}), want: []string{`LogFileReaders[0] must be an IAM role ARN without wildcards`}},
		{name: "duplicate break-glass", props: with(func(p *logarchive.LogArchiveProps) {
			p.BreakGlassPrincipals = jsii.Strings("arn:aws:iam::222222222222:role/BreakGlass", "arn:aws:iam::222222222222:role/BreakGlass")
		}), want: []string{`BreakGlassPrincipals[1] repeats BreakGlassPrincipals[0]`}},
		{name: "break-glass not an ARN", props: with(func(p *logarchive.LogArchiveProps) { p.BreakGlassPrincipals = jsii.Strings("BreakGlass") }),
			want: []string{`BreakGlassPrincipals[0] must be an IAM role or user ARN`, `got "BreakGlass"`}},
		{name: "no deployer with another synthesizer", props: valid(),
			stack: func(t *testing.T) awscdk.Stack {
				app := awscdk.NewApp(&awscdk.AppProps{StackTraces: jsii.Bool(false)})
				return awscdk.NewStack(app, jsii.String("Legacy"), &awscdk.StackProps{Synthesizer: awscdk.NewLegacyStackSynthesizer()})
			},
			want: []string{"DeploymentRoleArn is required when the stack does not use the DefaultStackSynthesizer"}},
		{name: "every problem at once", props: &logarchive.LogArchiveProps{
			OrganizationId: jsii.String("org"), ObjectLockMode: jsii.String("x"), RetentionDays: jsii.Number(0),
		}, want: []string{"OrganizationId must be", "TrailArn is required", "ObjectLockMode must be", "RetentionDays must be a whole number"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			newStack := tc.stack
			if newStack == nil {
				newStack = func(t *testing.T) awscdk.Stack { return newTestStack(t) }
			}
			stack := newStack(t)
			msg := mustPanic(t, func() { logarchive.NewLogArchive(stack, jsii.String("Archive"), tc.props) })
			if missing := missingSubstrings(msg, tc.want...); len(missing) > 0 {
				t.Errorf("panic message lacks %q:\n%s", missing, msg)
			}
		})
	}
}
