// Package fnrole removes a redundant DependsOn that the Lambda Function L2 adds.
package fnrole

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
)

// DropRoleDependsOn removes fn's DependsOn on role, its execution role: the Function L2 adds
// one, though the function's Role property already refers to the role (Fn::GetAtt), from
// which CloudFormation infers the same order: cfn-lint W3005, "dependency already enforced"
// (https://github.com/aws-cloudformation/cfn-lint/blob/main/docs/rules.md). The function
// still waits for the role's managed policy through its own AddDependency.
//
// The CDK turns construct dependencies into DependsOn when it prepares the app for synthesis,
// after every aspect; validation runs after that and before the templates are written, so the
// removal is a validation that always passes.
func DropRoleDependsOn(fn awslambda.Function, role awsiam.Role) {
	fn.Node().AddValidation(&dropDependency{
		from: fn.Node().DefaultChild().(awscdk.CfnResource),
		to:   role.Node().DefaultChild().(awscdk.CfnResource),
	})
}

type dropDependency struct{ from, to awscdk.CfnResource }

// Validate removes the dependency and reports no problem.
func (d *dropDependency) Validate() *[]*string {
	d.from.RemoveResourceDependency(d.to)
	return &[]*string{}
}
