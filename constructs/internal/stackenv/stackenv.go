// Package stackenv builds the ARNs and service names of a stack's own partition, region and
// account as CloudFormation values, so that one template serves any account and region.
package stackenv

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Env is a stack's partition, region and account (tokens), read once: each read is a jsii
// round trip.
type Env struct {
	Partition, Region, Account *string
}

// Of returns the environment of the stack holding scope.
func Of(scope constructs.IConstruct) Env {
	s := awscdk.Stack_Of(scope)
	return Env{Partition: s.Partition(), Region: s.Region(), Account: s.Account()}
}

// Arn is the ARN of resource of service in this partition, region and account.
func (e Env) Arn(service, resource string) *string {
	return awscdk.Fn_Join(jsii.String(""), &[]*string{
		jsii.String("arn:"), e.Partition, jsii.String(":" + service + ":"), e.Region, jsii.String(":"), e.Account, jsii.String(":" + resource),
	})
}

// ViaService is the kms:ViaService value of service in this region, e.g.
// "dynamodb.eu-west-1.amazonaws.com".
func (e Env) ViaService(service string) *string {
	return awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String(service + "."), e.Region, jsii.String(".amazonaws.com")})
}
