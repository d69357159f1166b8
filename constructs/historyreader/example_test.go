package historyreader_test

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"

	"github.com/trailguard/trailguard/constructs/historyreader"
)

// The Event History reader role in a member account's stack (one region: IAM is global),
// assumable by the Security account's investigators; `trailguard history export --org`
// assumes it by its default name in every account.
func ExampleNewHistoryReader() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Member"), &awscdk.StackProps{
		Env: &awscdk.Environment{Account: jsii.String("333333333333"), Region: jsii.String("eu-west-1")},
	})
	reader := historyreader.NewHistoryReader(stack, jsii.String("EventHistoryReader"), &historyreader.HistoryReaderProps{
		InvestigatorArns: jsii.Strings("arn:aws:iam::222222222222:role/security-investigator"),
	})
	// Investigators' identity policies allow sts:AssumeRole on the role by this name.
	fmt.Println(*reader.Role().Node().DefaultChild().(awsiam.CfnRole).RoleName())
	app.Synth(nil)
	// Output: trailguard-event-history-reader
}
