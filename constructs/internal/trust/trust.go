// Package trust builds the trust of roles that configured principals assume.
package trust

import (
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"
)

// PrincipalsByArn returns a principal that lets exactly the principals of arns (IAM role or
// user ARNs) assume a role: their accounts, narrowed by aws:PrincipalArn to arns.
//
// IAM refuses a trust policy that names a role which does not exist ("Invalid principal in
// policy"), and one naming a role breaks when the role is deleted and re-created (IAM stores
// the role's unique id). Trusting their accounts narrowed by aws:PrincipalArn deploys before
// they exist and keeps working when they are re-created; their own identity policies must
// allow sts:AssumeRole on the role, as for any role in another account.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-roles
func PrincipalsByArn(arns []*string) awsiam.IPrincipal {
	var accounts []awsiam.IPrincipal
	var values []string
	seen := map[string]bool{}
	for _, a := range arns {
		values = append(values, *a)
		root := AccountRoot(a)
		if !seen[*root] {
			seen[*root] = true
			accounts = append(accounts, awsiam.NewArnPrincipal(root))
		}
	}
	return awsiam.NewPrincipalWithConditions(awsiam.NewCompositePrincipal(accounts...), &map[string]any{
		"ArnEquals": map[string]any{"aws:PrincipalArn": values},
	})
}

// AccountRoot is the root principal ARN (arn:<partition>:iam::<account>:root) of the account
// of arn, resolved at synth when arn is known, else with Fn::Select over its parts.
func AccountRoot(arn *string) *string {
	if !*awscdk.Token_IsUnresolved(arn) {
		parts := strings.Split(*arn, ":")
		return jsii.String("arn:" + parts[1] + ":iam::" + parts[4] + ":root")
	}
	part := func(i float64) *string {
		return awscdk.Fn_Select(jsii.Number(i), awscdk.Fn_Split(jsii.String(":"), arn, nil))
	}
	return awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String("arn:"), part(1), jsii.String(":iam::"), part(4), jsii.String(":root")})
}
