package guardrails_test

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/trailguard/trailguard/constructs/guardrails"
)

// The SCPs protecting trailguard's logging in every account under the root, with the cdk
// execution role and a break-glass role exempt, deployed by the OrganizationAccountAccessRole
// through the cdk bootstrap roles. Deploy them in the management account.
func ExampleNewGuardrails() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Management"), &awscdk.StackProps{
		Env: &awscdk.Environment{Account: jsii.String("111111111111"), Region: jsii.String("eu-west-1")},
	})
	g := guardrails.NewGuardrails(stack, jsii.String("Guardrails"), &guardrails.GuardrailsProps{
		TargetIds: jsii.Strings("r-ab12"),
		ExemptPrincipalArns: jsii.Strings(
			"arn:aws:iam::*:role/cdk-hnb659fds-cfn-exec-role-*",
			"arn:aws:iam::*:role/BreakGlass",
		),
		SecurityAccount:    jsii.String("222222222222"),
		DeployerArns:       jsii.Strings("arn:aws:iam::*:role/OrganizationAccountAccessRole"),
		DeploymentRoleArns: jsii.Strings("arn:aws:iam::*:role/cdk-hnb659fds-deploy-role-*", "arn:aws:iam::*:role/cdk-hnb659fds-file-publishing-role-*", "arn:aws:iam::*:role/cdk-hnb659fds-cfn-exec-role-*"),
	})
	_ = g.Documents() // the policies as attached, each at most guardrails.MaxPolicySize characters
	app.Synth(nil)
}
