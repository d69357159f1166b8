// Package existing checks and wires buckets and keys that a construct's user brings instead of
// letting the construct create them (the Existing* props, as in aws-solutions-constructs).
//
// Two kinds of resource arrive through an awss3.IBucket or awskms.IKey:
//
//   - an L2 (awss3.Bucket, awskms.Key) built in the app: its L1 default child is inspected, so
//     the properties a construct's guarantees rest on are checked at construct time, and
//     statements are added to its own policy (they merge into its one policy resource);
//   - an imported one (fromBucketName, fromBucketArn, fromKeyArn): nothing about it can be
//     checked, a bucket policy written for it replaces the bucket's whole policy, and its key
//     policy cannot be edited at all. The constructs document what the user must guarantee.
package existing

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/trailguard/trailguard/constructs/internal/check"
)

// Describe names an existing resource in messages: its construct path, and its name or ARN
// when known.
func Describe(c constructs.IConstruct, nameOrArn *string) string {
	s := *c.Node().Path()
	if check.Known(nameOrArn) {
		s += fmt.Sprintf(" (%s)", *nameOrArn)
	}
	return s
}

// Exclusive records a problem for every prop in shaping that is set next to existingField:
// those props shape a resource the construct creates, which it does not with an existing one.
// set reports, per prop name, whether it is set; names lists them in a stable order.
func Exclusive(p *check.Problems, existingField, existing string, names []string, set map[string]bool) {
	for _, n := range names {
		if set[n] {
			p.Addf("%s and %s are exclusive: %s shapes the resource the construct creates, and with %s it creates none; got both (%s is %s)",
				existingField, n, n, existingField, existingField, existing)
		}
	}
}

// CfnBucket returns b's CloudFormation resource if b is an L2 awss3.Bucket built in the app,
// or nil if it is imported.
func CfnBucket(b awss3.IBucket) awss3.CfnBucket {
	c, _ := b.Node().DefaultChild().(awss3.CfnBucket)
	return c
}

// BucketName is b's name as written in the template: its L1's BucketName for a bucket of the
// app (whose BucketName() is a Ref, which would make a policy naming it depend on the
// bucket), or the name it was imported with. Nil or a token when it is not known at synth.
func BucketName(b awss3.IBucket) *string {
	if cfn := CfnBucket(b); cfn != nil {
		return cfn.BucketName()
	}
	return b.BucketName()
}

// CfnKey returns k's CloudFormation resource if k is an L2 awskms.Key built in the app, or nil
// if it is imported.
func CfnKey(k awskms.IKey) awskms.CfnKey {
	c, _ := k.Node().DefaultChild().(awskms.CfnKey)
	return c
}

// SameEnvironment records a problem if c lives in a stack whose account or region is known and
// differs from stack's.
func SameEnvironment(p *check.Problems, field, what string, c constructs.IConstruct, stack awscdk.Stack) {
	other := awscdk.Stack_Of(c)
	for _, v := range []struct {
		name string
		a, b *string
	}{
		{"account", other.Account(), stack.Account()},
		{"region", other.Region(), stack.Region()},
	} {
		if check.Known(v.a) && check.Known(v.b) && *v.a != *v.b {
			p.Addf("%s must be in the %s of stack %s (%s), got %s %s in %s", field, v.name, *stack.Node().Path(), *v.b, what, *c.Node().Path(), *v.a)
		}
	}
}

// bucketNameRe is any S3 general-purpose bucket name (an existing bucket may have dots).
var bucketNameRe = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)

// ImportedBucket records a problem if the imported bucket's name or ARN is known and does not
// look like an S3 bucket's.
func ImportedBucket(p *check.Problems, field string, b awss3.IBucket) {
	if n := b.BucketName(); check.Known(n) && !bucketNameRe.MatchString(*n) {
		p.Addf("%s must be an S3 bucket, got bucket name %q: 3-63 lowercase letters, digits, dots and hyphens", field, *n)
	}
	if a := b.BucketArn(); check.Known(a) {
		if arn, ok := check.ParseARN(*a); !ok || arn.Service != "s3" || arn.Region != "" || arn.Account != "" || strings.Contains(arn.Resource, "/") {
			p.Addf("%s must be an S3 bucket, got bucket ARN %q (want arn:<partition>:s3:::<name>)", field, *a)
		}
	}
}

// ImportedKey records a problem if the imported key's ARN is known and is not a KMS key or
// alias ARN in region (when known): S3 and CloudTrail use a key only in the bucket's region
// (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/encrypting-cloudtrail-log-files-with-aws-kms.html).
func ImportedKey(p *check.Problems, field string, k awskms.IKey, region *string) {
	a := k.KeyArn()
	if !check.Known(a) {
		return
	}
	arn, ok := check.ParseARN(*a)
	if !ok || arn.Service != "kms" || len(arn.Account) != 12 || !(strings.HasPrefix(arn.Resource, "key/") || strings.HasPrefix(arn.Resource, "alias/")) {
		p.Addf("%s must be a KMS key, got key ARN %q (want arn:<partition>:kms:<region>:<account>:key/<id>)", field, *a)
		return
	}
	if check.Known(region) && arn.Region != *region {
		p.Addf("%s must be in the bucket's region %s (S3 and CloudTrail use a KMS key only in the bucket's region), got key ARN %q", field, *region, *a)
	}
}

// BucketWant lists the properties a construct's guarantees rest on.
type BucketWant struct {
	Versioned  bool
	ObjectLock bool        // Object Lock enabled, with a default retention
	Key        awskms.IKey // SSE-KMS by default with this key, if set
	BlockAll   bool        // all four Block Public Access settings
	Retain     bool        // DeletionPolicy and UpdateReplacePolicy Retain
	// AccessLogTarget: S3 server access logging delivers only to a bucket with SSE-S3 default
	// encryption and no Object Lock default retention
	// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html).
	AccessLogTarget bool
}

// CheckBucket records, for an L2 bucket, a problem for every property in want that it lacks.
// It does nothing for an imported bucket: nothing can be checked.
func CheckBucket(p *check.Problems, field string, stack awscdk.Stack, b awss3.IBucket, want BucketWant) {
	cfn := CfnBucket(b)
	if cfn == nil {
		return
	}
	who := *b.Node().Path()
	if want.Versioned && get(resolve(stack, cfn.VersioningConfiguration()), "status") != "Enabled" {
		p.Addf("%s must be versioned (Versioned: true), got bucket %s without versioning: without it an overwritten or deleted log file is gone", field, who)
	}
	if want.ObjectLock {
		enabled := resolve(stack, cfn.ObjectLockEnabled())
		retention := get(resolve(stack, cfn.ObjectLockConfiguration()), "rule", "defaultRetention")
		if enabled != true || retention == nil {
			p.Addf("%s must have Object Lock with a default retention (ObjectLockEnabled and ObjectLockDefaultRetention), got bucket %s with ObjectLockEnabled %v and default retention %v: Object Lock can only be turned on when a bucket is created",
				field, who, orNone(enabled), orNone(retention))
		}
	}
	if want.Key != nil {
		def := get(resolve(stack, cfn.BucketEncryption()), "serverSideEncryptionConfiguration", 0, "serverSideEncryptionByDefault")
		algo, key := get(def, "sseAlgorithm"), get(def, "kmsMasterKeyId")
		wantKey := resolve(stack, want.Key.KeyArn())
		if algo != "aws:kms" || !jsonEqual(key, wantKey) {
			p.Addf("%s must be encrypted by default with SSE-KMS and the construct's key %s (Encryption KMS, EncryptionKey the key), got bucket %s with algorithm %v and key %v",
				field, jsonString(wantKey), who, orNone(algo), orNone(jsonString(key)))
		}
	}
	if want.BlockAll {
		bpa := resolve(stack, cfn.PublicAccessBlockConfiguration())
		for _, s := range []string{"blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"} {
			if get(bpa, s) != true {
				p.Addf("%s must block all public access (BlockPublicAccess BLOCK_ALL), got bucket %s with %s %v", field, who, s, orNone(get(bpa, s)))
				break
			}
		}
	}
	if want.AccessLogTarget {
		algo := get(resolve(stack, cfn.BucketEncryption()), "serverSideEncryptionConfiguration", 0, "serverSideEncryptionByDefault", "sseAlgorithm")
		if algo != nil && algo != "AES256" {
			p.Addf("%s must use SSE-S3 default encryption (Encryption S3_MANAGED): S3 server access logging delivers to no other, got bucket %s with algorithm %v", field, who, algo)
		}
		if get(resolve(stack, cfn.ObjectLockConfiguration()), "rule", "defaultRetention") != nil {
			p.Addf("%s must have no Object Lock default retention: S3 server access logging cannot deliver to such a bucket, got bucket %s with one", field, who)
		}
	}
	if want.Retain {
		retained(p, field, "bucket", who, cfn)
	}
}

// CheckKey records, for an L2 key, a problem if it is not a retained symmetric encryption key
// with rotation on. It does nothing for an imported key.
func CheckKey(p *check.Problems, field string, stack awscdk.Stack, k awskms.IKey) {
	cfn := CfnKey(k)
	if cfn == nil {
		return
	}
	who := *k.Node().Path()
	if spec := cfn.KeySpec(); spec != nil && *spec != "SYMMETRIC_DEFAULT" {
		p.Addf("%s must be a symmetric encryption key (S3 and CloudTrail use no other), got key %s with KeySpec %q", field, who, *spec)
	}
	if resolve(stack, cfn.EnableKeyRotation()) != true {
		p.Addf("%s must rotate (EnableKeyRotation: true), got key %s without rotation", field, who)
	}
	retained(p, field, "key", who, cfn)
}

func retained(p *check.Problems, field, kind, who string, cfn awscdk.CfnResource) {
	del, repl := cfn.CfnOptions().DeletionPolicy(), cfn.CfnOptions().UpdateReplacePolicy()
	if !check.Retained(del) || repl != awscdk.CfnDeletionPolicy_RETAIN {
		p.Addf("%s must be retained (RemovalPolicy RETAIN_ON_UPDATE_OR_DELETE or RETAIN): deleting the stack or replacing the %s would lose the logs, got %s %s with DeletionPolicy %q and UpdateReplacePolicy %q",
			field, kind, kind, who, del, repl)
	}
}

// AddToBucketPolicy adds statements to b's policy and returns the policy resource, retained.
//
// For an L2 bucket they merge into its own policy (created if it has none). An imported
// bucket has no policy CDK knows of, and its AddToResourcePolicy drops statements silently: a
// new AWS::S3::BucketPolicy is created in scope under id instead, which REPLACES the bucket's
// whole policy when deployed: CloudFormation writes it with PutBucketPolicy, which "completely
// replaces" a bucket's policy (https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketPolicy.html,
// https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-s3-bucketpolicy.html).
// Retained: RETAIN on a bucket does not reach its policy.
func AddToBucketPolicy(scope constructs.Construct, id string, b awss3.IBucket, statements []awsiam.PolicyStatement) awss3.BucketPolicy {
	var policy awss3.BucketPolicy
	if CfnBucket(b) != nil {
		for _, s := range statements {
			b.AddToResourcePolicy(s)
		}
		policy = b.Policy()
	} else {
		policy = awss3.NewBucketPolicy(scope, jsii.String(id), &awss3.BucketPolicyProps{Bucket: b})
		for _, s := range statements {
			policy.Document().AddStatements(s)
		}
	}
	policy.ApplyRemovalPolicy(awscdk.RemovalPolicy_RETAIN_ON_UPDATE_OR_DELETE)
	return policy
}

// AddToKeyPolicy adds statements to k's policy if k is an L2 key and reports whether it did.
// An imported key's policy cannot be edited by CDK: the caller documents the statements.
func AddToKeyPolicy(k awskms.IKey, statements []awsiam.PolicyStatement) bool {
	if CfnKey(k) == nil {
		return false
	}
	for _, s := range statements {
		k.AddToResourcePolicy(s, jsii.Bool(false))
	}
	return true
}

// resolve returns v resolved in stack as plain JSON values, or nil if v is nil.
func resolve(stack awscdk.Stack, v any) any {
	if v == nil {
		return nil
	}
	if rv := reflect.ValueOf(v); (rv.Kind() == reflect.Pointer || rv.Kind() == reflect.Interface) && rv.IsNil() {
		return nil
	}
	b, err := json.Marshal(stack.Resolve(v))
	if err != nil {
		return nil
	}
	var out any
	if json.Unmarshal(b, &out) != nil {
		return nil
	}
	return out
}

// get walks v by map keys and slice indexes.
func get(v any, path ...any) any {
	for _, k := range path {
		switch k := k.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			s, _ := v.([]any)
			if k >= len(s) {
				return nil
			}
			v = s[k]
		}
	}
	return v
}

func jsonString(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func jsonEqual(a, b any) bool { return jsonString(a) == jsonString(b) }

func orNone(v any) any {
	if v == nil || v == "null" {
		return "none"
	}
	return v
}

// Asked records that a synth warning asks the owner of the imported resource c for each of
// grants (e.g. "decrypt:<principal ARN>", topics.AlarmsGrant): see WasAsked. The record is
// an empty construct in c's stack, which renders nothing (an imported resource's own node
// takes no context once it has children).
func Asked(c constructs.IConstruct, grants ...string) {
	stack := awscdk.Stack_Of(c)
	for _, g := range grants {
		if !WasAsked(c, g) {
			constructs.NewConstruct(stack, jsii.String(askedID(c, g)))
		}
	}
}

// WasAsked reports whether a construct's warning already asks c's owner for grant (Asked).
func WasAsked(c constructs.IConstruct, grant string) bool {
	return awscdk.Stack_Of(c).Node().TryFindChild(jsii.String(askedID(c, grant))) != nil
}

// askedID is the id of the construct recording grant on c: grants hold ARNs, whose slashes a
// construct id cannot.
func askedID(c constructs.IConstruct, grant string) string {
	sum := sha256.Sum256([]byte(*c.Node().Path() + "\x00" + grant))
	return "TrailguardAsked" + hex.EncodeToString(sum[:8])
}

// AskedDecrypt records that a warning asks the imported key k's owner to let principals
// decrypt with it.
func AskedDecrypt(k awskms.IKey, principals []string) {
	var grants []string
	for _, p := range principals {
		grants = append(grants, "decrypt:"+p)
	}
	Asked(k, grants...)
}

// DecryptAsked reports whether a warning asks k's owner to let principal decrypt with it.
func DecryptAsked(k awskms.IKey, principal string) bool { return WasAsked(k, "decrypt:"+principal) }

// AtSynth runs check once every construct of the app exists, when scope is visited by the
// aspects at synth: a construct built after scope (the one that asks for a grant, Asked)
// then counts.
func AtSynth(scope constructs.IConstruct, check func()) {
	awscdk.Aspects_Of(scope).Add(&synthCheck{path: *scope.Node().Path(), check: check}, nil)
}

type synthCheck struct {
	path  string
	check func()
}

// Visit implements awscdk.IAspect: it acts once, on the scope itself.
func (c *synthCheck) Visit(node constructs.IConstruct) {
	if *node.Node().Path() == c.path {
		c.check()
	}
}
