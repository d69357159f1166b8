package accounttrail_test

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/jsii-runtime-go"

	"github.com/trailguard/trailguard/constructs/accounttrail"
)

// A member account's local trail with CloudWatch Logs delivery.
func ExampleNewAccountTrail() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Member"), nil)
	trail := accounttrail.NewAccountTrail(stack, jsii.String("AccountTrail"), &accounttrail.AccountTrailProps{
		RetentionDays:         jsii.Number(365),
		CloudWatchLogs:        jsii.Bool(true),
		LogGroupRetentionDays: jsii.Number(90),
	})
	_ = trail.Bucket()
	app.Synth(nil)
}

// The local trail on a bucket and key of your own, built in the same stack: the construct
// checks them (versioning, SSE-KMS with the key, Block Public Access, RETAIN, rotation), points
// the trail at them and adds its statements to their policies. It creates no bucket or key.
func ExampleNewAccountTrail_existingBucketAndKey() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Member"), nil)
	key := awskms.NewKey(stack, jsii.String("Key"), &awskms.KeyProps{EnableKeyRotation: jsii.Bool(true)})
	bucket := awss3.NewBucket(stack, jsii.String("Logs"), &awss3.BucketProps{
		Encryption:        awss3.BucketEncryption_KMS,
		EncryptionKey:     key,
		Versioned:         jsii.Bool(true),
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		RemovalPolicy:     awscdk.RemovalPolicy_RETAIN,
	})
	accounttrail.NewAccountTrail(stack, jsii.String("AccountTrail"), &accounttrail.AccountTrailProps{
		ExistingBucket: bucket,
		ExistingKey:    key,
	})
	app.Synth(nil)
}
