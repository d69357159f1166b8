package statements_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/jsii-runtime-go"

	"github.com/trailguard/trailguard/constructs/statements"
)

// statement is what the constructs ask for on an imported queue: a service principal, an ARN
// built from the stack's partition, and condition blocks that jsii wraps.
func statement(stack awscdk.Stack, resource *string) awsiam.PolicyStatement {
	return awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowArchiveBucketNotifications"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("s3.amazonaws.com"), nil)},
		Actions:    jsii.Strings("sqs:SendMessage"),
		Resources:  &[]*string{resource},
		Conditions: &map[string]any{
			"ArnEquals":    map[string]any{"aws:SourceArn": awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String("arn:"), stack.Partition(), jsii.String(":s3:::my-archive")})},
			"StringEquals": map[string]any{"aws:SourceAccount": stack.Account()},
		},
	})
}

func TestJSON(t *testing.T) {
	app := awscdk.NewApp(&awscdk.AppProps{StackTraces: jsii.Bool(false)})
	for _, tc := range []struct {
		name string
		env  *awscdk.Environment
		// resource is the statement's resource: a literal, or a token of a resource of the stack.
		resource func(awscdk.Stack) *string
		want     string
	}{
		{"known environment: every value resolved", &awscdk.Environment{Account: jsii.String("222222222222"), Region: jsii.String("eu-west-1")},
			func(awscdk.Stack) *string { return jsii.String("arn:aws:sqs:eu-west-1:222222222222:q") },
			`[{"Action":"sqs:SendMessage","Condition":{"ArnEquals":{"aws:SourceArn":"arn:aws:s3:::my-archive"},"StringEquals":{"aws:SourceAccount":"222222222222"}},"Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Resource":"arn:aws:sqs:eu-west-1:222222222222:q","Sid":"AllowArchiveBucketNotifications"}]`},
		{"China region: its partition", &awscdk.Environment{Account: jsii.String("222222222222"), Region: jsii.String("cn-north-1")},
			func(awscdk.Stack) *string { return jsii.String("*") },
			`[{"Action":"sqs:SendMessage","Condition":{"ArnEquals":{"aws:SourceArn":"arn:aws-cn:s3:::my-archive"},"StringEquals":{"aws:SourceAccount":"222222222222"}},"Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Resource":"*","Sid":"AllowArchiveBucketNotifications"}]`},
		{"unknown environment: pseudo parameters stay", nil,
			func(awscdk.Stack) *string { return jsii.String("*") },
			`[{"Action":"sqs:SendMessage","Condition":{"ArnEquals":{"aws:SourceArn":{"Fn::Join":["",["arn:",{"Ref":"AWS::Partition"},":s3:::my-archive"]]}},"StringEquals":{"aws:SourceAccount":{"Ref":"AWS::AccountId"}}},"Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Resource":"*","Sid":"AllowArchiveBucketNotifications"}]`},
		{"a resource of the stack: its attribute stays", &awscdk.Environment{Account: jsii.String("222222222222"), Region: jsii.String("eu-west-1")},
			func(s awscdk.Stack) *string { return awssqs.NewQueue(s, jsii.String("Q"), nil).QueueArn() },
			`"Resource":{"Fn::GetAtt":["Q`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stack := awscdk.NewStack(app, jsii.String(strings.ReplaceAll(tc.name, " ", "")[:10]), &awscdk.StackProps{Env: tc.env})
			got, err := statements.JSON(stack, statement(stack, tc.resource(stack)))
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(got, "$jsii") {
				t.Errorf("jsii wrapper left: %s", got)
			}
			var v []map[string]any
			if err := json.Unmarshal([]byte(got), &v); err != nil || len(v) != 1 {
				t.Errorf("not a JSON array of one statement (%v): %s", err, got)
			}
			if !strings.Contains(got, tc.want) {
				t.Errorf("JSON:\n got %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestDocument(t *testing.T) {
	app := awscdk.NewApp(&awscdk.AppProps{StackTraces: jsii.Bool(false)})
	stack := awscdk.NewStack(app, jsii.String("S"), &awscdk.StackProps{Env: &awscdk.Environment{Account: jsii.String("222222222222"), Region: jsii.String("eu-west-1")}})
	got, err := statements.Document(stack, statement(stack, jsii.String("*")), statement(stack, jsii.String("*")))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Version   string
		Statement []map[string]any
	}
	if err := json.Unmarshal([]byte(got), &doc); err != nil || doc.Version != "2012-10-17" || len(doc.Statement) != 2 {
		t.Errorf("want a policy document of two statements, got %s (%v)", got, err)
	}
}
