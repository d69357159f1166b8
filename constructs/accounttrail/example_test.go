package accounttrail_test

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
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
