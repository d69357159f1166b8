package alerting

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/trailguard/trailguard/detect"
	"github.com/trailguard/trailguard/internal/alerting/alertingtest"
)

func engine(t *testing.T) *detect.Engine {
	t.Helper()
	e, err := detect.Load()
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestSubject(t *testing.T) {
	tests := []struct {
		name string
		a    detect.Alert
		want string
	}{
		{
			name: "IAM user",
			a:    detect.Alert{Severity: detect.Critical, Rule: "cloudtrail-logging-stopped", AccountID: "111122223333", Region: "eu-west-1", Principal: "arn:aws:iam::111122223333:user/build-bot"},
			want: "[CRITICAL] cloudtrail-logging-stopped 111122223333 eu-west-1 user/build-bot",
		},
		{
			name: "long role session shortened to 99 characters",
			a: detect.Alert{Severity: detect.High, Rule: "iam-access-key-created-for-another-user", AccountID: "111122223333", Region: "ap-southeast-2",
				Principal: "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_AdministratorAccess_0123456789abcdef/alice.example@example.com"},
			want: "[HIGH] iam-access-key-created-for-another-user 111122223333 ap-southeast-2 assumed-role/AWSReser...",
		},
		{
			name: "service principal, no region",
			a:    detect.Alert{Severity: detect.Low, Rule: "r", AccountID: "111122223333", Principal: "cloudformation.amazonaws.com"},
			want: "[LOW] r 111122223333 unknown cloudformation.amazonaws.com",
		},
		{
			name: "control and non-ASCII characters",
			a:    detect.Alert{Severity: detect.Medium, Rule: "r", AccountID: "1", Region: "eu-west-1", Principal: "IAMUser:jöhn\nx"},
			want: "[MEDIUM] r 1 eu-west-1 IAMUser:j?hn?x",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Subject(&tt.a)
			if got != tt.want {
				t.Errorf("Subject() = %q, want %q", got, tt.want)
			}
			if len(got) > MaxSubject {
				t.Errorf("Subject() is %d characters, want at most %d", len(got), MaxSubject)
			}
		})
	}
}

func TestBodyTooLarge(t *testing.T) {
	big := `{"eventID":"e1","requestParameters":{"policy":"` + strings.Repeat("x", 300*1024) + `"}}`
	a := &detect.Alert{Rule: "r", Severity: detect.High, DedupeKey: "r/e1", EventID: "e1", Record: json.RawMessage(big)}
	body, err := Body(a)
	if err != nil {
		t.Fatal(err)
	}
	if len(body) > maxMessage {
		t.Errorf("body is %d bytes, want at most %d", len(body), maxMessage)
	}
	var got struct {
		EventID string
		Record  struct {
			Omitted string
			Bytes   int
		}
	}
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	if got.EventID != "e1" || got.Record.Omitted == "" || got.Record.Bytes != len(big) {
		t.Errorf("body = %.200s, want the eventID and the record omitted with its size", body)
	}
	small := &detect.Alert{Rule: "r", Severity: detect.High, Record: json.RawMessage(`{"eventID":"e2"}`)}
	if body, _ := Body(small); !strings.Contains(string(body), `"record":{"eventID":"e2"}`) {
		t.Errorf("body = %s, want the record", body)
	}
}

func TestPublish(t *testing.T) {
	tests := []struct {
		name      string
		snsFail   string
		eventFail string
		bus       string
		wantErr   string
		wantSNS   int
		wantEvent int
	}{
		{name: "topic and bus", bus: "trailguard-alerts", wantSNS: 1, wantEvent: 1},
		{name: "no bus", wantSNS: 1},
		// A target that fails does not hold the others back: the retry sends to it alone.
		{name: "topic fails", bus: "b", snsFail: "cloudtrail", wantEvent: 1, wantErr: "publish cloudtrail-logging-stopped/e1 to the alert topic: fake sns: throttled"},
		{name: "bus rejects the entry", bus: "b", eventFail: "cloudtrail", wantSNS: 1, wantErr: "put cloudtrail-logging-stopped/e1 on bus b: InternalFailure: fake"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			topic, bus := &alertingtest.SNS{Fail: tt.snsFail}, &alertingtest.Events{Fail: tt.eventFail}
			p := &Publisher{SNS: topic, TopicARN: "arn:aws:sns:eu-west-1:999999999999:alerts", Events: bus, BusName: tt.bus}
			proc := NewProcessor(engine(t), p, nil, nil)
			res, err := proc.Process(context.Background(), "shard:1", []byte(alertingtest.Record("StopLogging", "e1")))
			if (err == nil) != (tt.wantErr == "") || (err != nil && err.Error() != tt.wantErr) {
				t.Fatalf("Process() error = %v, want %q", err, tt.wantErr)
			}
			if len(topic.Messages) != tt.wantSNS || len(bus.Entries) != tt.wantEvent {
				t.Fatalf("published %d messages and %d events, want %d and %d", len(topic.Messages), len(bus.Entries), tt.wantSNS, tt.wantEvent)
			}
			if tt.wantErr != "" {
				if res.Alerts != 0 {
					t.Errorf("Alerts = %d after a failure, want 0", res.Alerts)
				}
				return
			}
			m := topic.Messages[0]
			if got, want := aws.ToString(m.Subject), "[CRITICAL] cloudtrail-logging-stopped 111122223333 eu-west-1 user/build-bot"; got != want {
				t.Errorf("subject %q, want %q", got, want)
			}
			if got := aws.ToString(m.MessageAttributes["severity"].StringValue); got != "critical" {
				t.Errorf("severity attribute %q, want critical", got)
			}
			var a detect.Alert
			if err := json.Unmarshal([]byte(aws.ToString(m.Message)), &a); err != nil {
				t.Fatal(err)
			}
			if a.DedupeKey != "cloudtrail-logging-stopped/e1" || a.EventName != "StopLogging" || !strings.Contains(string(a.Record), `"eventID":"e1"`) {
				t.Errorf("message %s, want the alert with its record", aws.ToString(m.Message))
			}
			if tt.bus != "" {
				e := bus.Entries[0]
				if aws.ToString(e.Source) != EventSource || aws.ToString(e.DetailType) != EventDetailType || aws.ToString(e.EventBusName) != tt.bus || aws.ToString(e.Detail) != aws.ToString(m.Message) {
					t.Errorf("event %+v, want the alert on bus %s", e, tt.bus)
				}
			}
		})
	}
}

// TestProcessOnce runs the stream's and the archive's processors over the same event with one
// store: one alert. A publish that failed is published on the retry.
func TestProcessOnce(t *testing.T) {
	e := engine(t)
	table := &alertingtest.DynamoDB{Key: KeyAttribute}
	store := &DynamoStore{Client: table, Table: "dedupe"}
	topic := &alertingtest.SNS{Fail: "e2"}
	pub := &Publisher{SNS: topic, TopicARN: "t"}
	stream, archive := NewProcessor(e, pub, store, nil), NewProcessor(e, pub, store, nil)
	ctx := context.Background()

	steps := []struct {
		name       string
		p          *Processor
		data       string
		fix        bool // the topic works again
		wantAlerts int
		wantDups   int
		wantErr    bool
	}{
		{name: "stream sees e1", p: stream, data: alertingtest.Event(alertingtest.Record("StopLogging", "e1")), wantAlerts: 1},
		{name: "archive sees e1", p: archive, data: alertingtest.Record("StopLogging", "e1"), wantDups: 1},
		{name: "stream retries e1", p: stream, data: alertingtest.Event(alertingtest.Record("StopLogging", "e1")), wantDups: 1},
		{name: "e2 fails to publish", p: stream, data: alertingtest.Record("StopLogging", "e2"), wantErr: true},
		{name: "e2 retried", p: stream, data: alertingtest.Record("StopLogging", "e2"), fix: true, wantAlerts: 1},
		{name: "no alert", p: archive, data: alertingtest.Record("DescribeInstances", "e3")},
	}
	for _, s := range steps {
		if s.fix {
			topic.Fail = ""
		}
		res, err := s.p.Process(ctx, s.name, []byte(s.data))
		if (err != nil) != s.wantErr || res.Alerts != s.wantAlerts || res.Duplicates != s.wantDups {
			t.Errorf("%s: got %+v, %v; want %d alerts, %d duplicates, error %v", s.name, res, err, s.wantAlerts, s.wantDups, s.wantErr)
		}
	}
	if len(topic.Messages) != 2 {
		t.Errorf("%d messages published, want 2 (e1 and e2 once each)", len(topic.Messages))
	}
}

func TestProcessErrors(t *testing.T) {
	tests := []struct {
		name    string
		data    string
		store   Store
		wantErr string
		isRec   bool
	}{
		{name: "not JSON", data: "\x00garbage", store: NewMemoryStore(), wantErr: "undecodable record", isRec: true},
		{name: "JSON but not a record", data: `[1,2]`, store: NewMemoryStore(), wantErr: "undecodable record", isRec: true},
		{name: "an object without eventName", data: `{"eventSource":"x"}`, store: NewMemoryStore(), wantErr: "undecodable record", isRec: true},
		{name: "an event whose detail is not an object", data: `{"detail-type":"x","detail":"y"}`, store: NewMemoryStore(), wantErr: "undecodable record", isRec: true},
		{name: "dedupe table down", data: alertingtest.Record("StopLogging", "e1"),
			store:   &DynamoStore{Client: &alertingtest.DynamoDB{Key: KeyAttribute, Err: errors.New("ProvisionedThroughputExceededException")}, Table: "dedupe"},
			wantErr: "lease of alert cloudtrail-logging-stopped/e1: dedupe table dedupe: ProvisionedThroughputExceededException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			topic := &alertingtest.SNS{}
			p := NewProcessor(engine(t), &Publisher{SNS: topic, TopicARN: "t"}, tt.store, nil)
			_, err := p.Process(context.Background(), "shard:1", []byte(tt.data))
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Process() error = %v, want one containing %q", err, tt.wantErr)
			}
			if errors.Is(err, ErrRecord) != tt.isRec {
				t.Errorf("errors.Is(err, ErrRecord) = %v, want %v", !tt.isRec, tt.isRec)
			}
			if len(topic.Messages) != 0 {
				t.Errorf("%d messages published, want none", len(topic.Messages))
			}
		})
	}
}

// TestProcessIgnoresOtherEvents: an EventBridge event of another detail-type (forwarded with
// eventStream.extraDetailTypes) is no failure and raises nothing.
func TestProcessIgnoresOtherEvents(t *testing.T) {
	topic := &alertingtest.SNS{}
	p := NewProcessor(engine(t), &Publisher{SNS: topic, TopicARN: "t"}, nil, nil)
	ev := `{"version":"0","id":"1","detail-type":"GuardDuty Finding","source":"aws.guardduty","account":"111122223333","region":"eu-west-1","detail":{"type":"Recon:EC2/PortProbeUnprotectedPort"}}`
	res, err := p.Process(context.Background(), "shard:1", []byte(ev))
	if err != nil || res != (Result{Ignored: 1}) {
		t.Errorf("Process() = %+v, %v; want the event ignored", res, err)
	}
	if len(topic.Messages) != 0 {
		t.Errorf("%d messages published, want none", len(topic.Messages))
	}
}
