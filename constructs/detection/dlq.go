package detection

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
)

// queueDlq is the on-failure destination of an event source mapping: a queue. It does what
// aws-cdk-lib's aws_lambda_event_sources.SqsDlq does (2.275, lib/sqs-dlq.js: bind grants the
// function send-messages on the queue and returns the queue's ARN), without importing
// awslambdaeventsources, whose package alone pulls awsapigateway, awscognito, awspinpoint,
// awssagemaker and awsstepfunctions into every build of the app (issue #20). jsii passes a Go
// value implementing awslambda.IEventSourceDlq to the mapping like a JavaScript one, and calls
// Bind back when the mapping is built.
type queueDlq struct {
	queue awssqs.IQueue
}

// Bind implements awslambda.IEventSourceDlq.
func (q *queueDlq) Bind(_ awslambda.IEventSourceMapping, handler awslambda.IFunction) *awslambda.DlqDestinationConfig {
	q.queue.GrantSendMessages(handler)
	return &awslambda.DlqDestinationConfig{Destination: q.queue.QueueArn()}
}
