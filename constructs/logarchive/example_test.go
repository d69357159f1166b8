package logarchive_test

import (
	"encoding/json"
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/jsii-runtime-go"

	"github.com/trailguard/trailguard/constructs/logarchive"
	"github.com/trailguard/trailguard/constructs/statements"
)

// The log archive of an organization trail, in the Security account. Deploy it before the
// trail (see package orgtrail), which names the bucket and the key alias.
func ExampleNewLogArchive() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("LogArchive"), &awscdk.StackProps{
		Env:                   &awscdk.Environment{Account: jsii.String("222222222222"), Region: jsii.String("eu-west-1")},
		TerminationProtection: jsii.Bool(true),
	})
	archive := logarchive.NewLogArchive(stack, jsii.String("LogArchive"), &logarchive.LogArchiveProps{
		OrganizationId: jsii.String("o-a1b2c3d4e5"),
		TrailArn:       jsii.String("arn:aws:cloudtrail:eu-west-1:111111111111:trail/org-trail"),
		BucketName:     jsii.String("org-trail-archive-222222222222"),
		KeyAlias:       jsii.String("alias/org-trail"),
		// Optional; these are the defaults but for the break-glass role and the reader.
		ObjectLockMode:       jsii.String(logarchive.ObjectLockCompliance),
		ObjectLockDays:       jsii.Number(365),
		RetentionDays:        jsii.Number(2557),
		BreakGlassPrincipals: jsii.Strings("arn:aws:iam::222222222222:role/BreakGlass"),
		Readers:              jsii.Strings("arn:aws:iam::222222222222:role/Investigator"),
	})
	awscdk.NewCfnOutput(stack, jsii.String("ArchiveBucketArn"), &awscdk.CfnOutputProps{Value: archive.Bucket().BucketArn()})
	app.Synth(nil)
}

// The archive on a bucket and key of your own, built in the same stack: the construct checks
// them (versioning, Object Lock, SSE-KMS with the key, Block Public Access, RETAIN, rotation)
// and adds its statements to their policies. It creates no bucket or key.
func ExampleNewLogArchive_existingBucketAndKey() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("LogArchive"), &awscdk.StackProps{
		Env: &awscdk.Environment{Account: jsii.String("222222222222"), Region: jsii.String("eu-west-1")},
	})
	key := awskms.NewKey(stack, jsii.String("Key"), &awskms.KeyProps{EnableKeyRotation: jsii.Bool(true)})
	bucket := awss3.NewBucket(stack, jsii.String("Archive"), &awss3.BucketProps{
		Encryption:                 awss3.BucketEncryption_KMS,
		EncryptionKey:              key,
		Versioned:                  jsii.Bool(true),
		ObjectLockEnabled:          jsii.Bool(true),
		ObjectLockDefaultRetention: awss3.ObjectLockRetention_Compliance(awscdk.Duration_Days(jsii.Number(365))),
		BlockPublicAccess:          awss3.BlockPublicAccess_BLOCK_ALL(),
		RemovalPolicy:              awscdk.RemovalPolicy_RETAIN,
	})
	logarchive.NewLogArchive(stack, jsii.String("LogArchive"), &logarchive.LogArchiveProps{
		OrganizationId: jsii.String("o-a1b2c3d4e5"),
		TrailArn:       jsii.String("arn:aws:cloudtrail:eu-west-1:111111111111:trail/org-trail"),
		ExistingBucket: bucket,
		ExistingKey:    key,
	})
	app.Synth(nil)
}

// An imported key's policy cannot be changed by CDK: print the statements its owner must add.
func ExampleKeyPolicyStatements() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("LogArchive"), &awscdk.StackProps{
		Env: &awscdk.Environment{Account: jsii.String("222222222222"), Region: jsii.String("eu-west-1")},
	})
	props := &logarchive.LogArchiveProps{
		OrganizationId: jsii.String("o-a1b2c3d4e5"),
		TrailArn:       jsii.String("arn:aws:cloudtrail:eu-west-1:111111111111:trail/org-trail"),
		ExistingKey:    awskms.Key_FromKeyArn(stack, jsii.String("Key"), jsii.String("arn:aws:kms:eu-west-1:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab")),
	}
	text, err := statements.JSON(stack, logarchive.KeyPolicyStatements(stack, props)...)
	if err != nil {
		panic(err)
	}
	// The JSON array to paste into the key policy's "Statement" list; here one statement.
	var list []map[string]any
	if err := json.Unmarshal([]byte(text), &list); err != nil {
		panic(err)
	}
	first, _ := json.MarshalIndent(list[0], "", "  ")
	fmt.Println(len(list), "statements; the first:")
	fmt.Println(string(first))
	// Output:
	// 3 statements; the first:
	// {
	//   "Action": "kms:GenerateDataKey*",
	//   "Condition": {
	//     "StringEquals": {
	//       "aws:SourceArn": "arn:aws:cloudtrail:eu-west-1:111111111111:trail/org-trail"
	//     },
	//     "StringLike": {
	//       "kms:EncryptionContext:aws:cloudtrail:arn": "arn:aws:cloudtrail:*:111111111111:trail/*"
	//     }
	//   },
	//   "Effect": "Allow",
	//   "Principal": {
	//     "Service": "cloudtrail.amazonaws.com"
	//   },
	//   "Resource": "*",
	//   "Sid": "AllowCloudTrailToEncryptLogs"
	// }
}
