package alerting

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/trailguard/trailguard/detect"
	"github.com/trailguard/trailguard/internal/alerting/alertingtest"
)

type fakeSQS struct{ sent []*sqs.SendMessageInput }

func (f *fakeSQS) SendMessage(_ context.Context, in *sqs.SendMessageInput, _ ...func(*sqs.Options)) (*sqs.SendMessageOutput, error) {
	f.sent = append(f.sent, in)
	return &sqs.SendMessageOutput{MessageId: aws.String("m")}, nil
}

// TestResponderTarget: only the alerts of rules that carry a response reach the queue, each
// with its alert ID.
func TestResponderTarget(t *testing.T) {
	engine, err := detect.Load()
	if err != nil {
		t.Fatal(err)
	}
	q := &fakeSQS{}
	pub := &Publisher{SNS: &alertingtest.SNS{}, TopicARN: "arn:aws:sns:eu-west-1:999999999999:alerts",
		Extra: []Target{NewResponderTarget(q, "https://sqs.eu-west-1.amazonaws.com/999999999999/trailguard-responder", engine)}}
	p := NewProcessor(engine, pub, nil, nil)
	// StopLogging: cloudtrail-logging-stopped carries a response. DeleteTrail's rule is the
	// same: its alert is sent too, and the responder decides to skip it.
	for _, rec := range []string{alertingtest.Record("StopLogging", "e1"), alertingtest.Record("StartSession", "e2")} {
		if _, err := p.Process(context.Background(), "src", []byte(rec)); err != nil {
			t.Fatal(err)
		}
	}
	if len(q.sent) != 1 {
		t.Fatalf("%d messages sent to the responder queue, want 1 (StopLogging's)", len(q.sent))
	}
	if got := aws.ToString(q.sent[0].MessageAttributes[AlertIDAttribute].StringValue); got != "cloudtrail-logging-stopped/e1" {
		t.Errorf("alertId attribute %q, want cloudtrail-logging-stopped/e1", got)
	}
}
