// Package appdeps holds the test that keeps trailguard's CDK app small to compile: the app
// (`go run ./app`, what `make synth` and `cdk synth` run) and the public constructs must not
// import a package the synth never runs but a cold build compiles (issue #20):
//
//   - the AWS SDK for Go v2 service clients (github.com/aws/aws-sdk-go-v2/service/...),
//     which only the Lambda functions and the command use: the constructs take the names
//     they share with the functions from internal/alertspec and internal/coveragespec;
//   - aws-cdk-lib's aws_lambda_event_sources (awslambdaeventsources), whose Go package alone
//     pulls API Gateway, Cognito, Pinpoint, SageMaker and Step Functions into the build:
//     constructs/detection implements its one use, the SQS on-failure destination, itself.
//
// It has no code of its own; `go test ./internal/appdeps` runs `go list -deps` (pure Go, no
// CDK, about a second) and names the import chain of any such package.
package appdeps
