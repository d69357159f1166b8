package alerting

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/trailguard/trailguard/detect"
	"github.com/trailguard/trailguard/internal/alertspec"
)

// EnvResponderQueueURL is the URL of the responder's queue (docs/response.md); without it no
// alert is sent for an automatic response.
const EnvResponderQueueURL = alertspec.EnvResponderQueueURL

// TargetResponder is the responder's queue.
const TargetResponder = "responder"

// SQSAPI is the part of the SQS client the responder target uses.
type SQSAPI interface {
	SendMessage(ctx context.Context, in *sqs.SendMessageInput, opts ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
}

// ResponderTarget sends the alerts of rules that carry a response to the responder's queue
// (encrypted, with a dead-letter queue): the message is the alert's JSON, its alertId
// attribute the alert ID. Alerts of other rules are accepted without a message.
type ResponderTarget struct {
	SQS      SQSAPI
	QueueURL string
	// Rules are the ids of the rules that carry a response.
	Rules map[string]bool
}

// NewResponderTarget returns the responder target for engine's rules that carry a response.
func NewResponderTarget(client SQSAPI, queueURL string, engine *detect.Engine) *ResponderTarget {
	rules := map[string]bool{}
	for _, r := range engine.Rules() {
		if r.Response != nil && !r.Disabled {
			rules[r.ID] = true
		}
	}
	return &ResponderTarget{SQS: client, QueueURL: queueURL, Rules: rules}
}

// Name implements Target.
func (t *ResponderTarget) Name() string { return TargetResponder }

// Deliver implements Target.
func (t *ResponderTarget) Deliver(ctx context.Context, a *detect.Alert, body []byte) error {
	if !t.Rules[a.Rule] {
		return nil
	}
	_, err := t.SQS.SendMessage(ctx, &sqs.SendMessageInput{
		QueueUrl:    aws.String(t.QueueURL),
		MessageBody: aws.String(string(body)),
		MessageAttributes: map[string]sqstypes.MessageAttributeValue{
			AlertIDAttribute: {DataType: aws.String("String"), StringValue: aws.String(a.DedupeKey)},
		},
	})
	if err != nil {
		return fmt.Errorf("send %s to the responder queue: %w", a.DedupeKey, err)
	}
	return nil
}
