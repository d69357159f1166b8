package orgstackset_test

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/trailguard/trailguard/constructs/orgstackset"
)

// A template deployed to every account of an OU, in two regions, including accounts that join
// the OU later. Deploy it in the management account.
func ExampleNewOrgStackSet() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Management"), &awscdk.StackProps{
		Env: &awscdk.Environment{Account: jsii.String("111111111111"), Region: jsii.String("eu-west-1")},
	})
	orgstackset.NewOrgStackSet(stack, jsii.String("Baseline"), &orgstackset.OrgStackSetProps{
		StackSetName:          jsii.String("baseline"),
		TemplateBody:          jsii.String(`{"Resources":{"Topic":{"Type":"AWS::SNS::Topic"}}}`),
		OrganizationalUnitIds: jsii.Strings("ou-ab12-cdefgh34"),
		Regions:               jsii.Strings("eu-west-1", "us-east-1"),
	})
	app.Synth(nil)
}
