package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/trailguard/trailguard/coverage"
	"github.com/trailguard/trailguard/detect"
	"github.com/trailguard/trailguard/internal/alerting"
	"github.com/trailguard/trailguard/internal/alerting/alertingtest"
)

// batch is a Kinesis event of the given record payloads, sequence numbers 1, 2, ...
func batch(data ...string) events.KinesisEvent {
	var ev events.KinesisEvent
	for i, d := range data {
		ev.Records = append(ev.Records, events.KinesisEventRecord{
			EventSourceArn: "arn:aws:kinesis:eu-west-1:999999999999:stream/trailguard-security-events",
			EventID:        fmt.Sprintf("shardId-000000000000:%d", i+1),
			Kinesis:        events.KinesisRecord{Data: []byte(d), SequenceNumber: fmt.Sprint(i + 1), PartitionKey: "k"},
		})
	}
	return ev
}

func stop(id string) string  { return alertingtest.Event(alertingtest.Record("StopLogging", id)) }
func quiet(id string) string { return alertingtest.Event(alertingtest.Record("DescribeInstances", id)) }

func TestHandle(t *testing.T) {
	engine, err := detect.Load()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		batch      events.KinesisEvent
		snsFail    string
		wantFailed string   // the sequence number reported, or ""
		wantAlerts []string // event ids published, in order
		wantBus    []string // event ids put on the bus, when not wantAlerts
	}{
		{name: "empty batch", batch: batch()},
		{name: "no alerts", batch: batch(quiet("q1"), quiet("q2"))},
		{name: "alerts", batch: batch(stop("e1"), quiet("q1"), stop("e2")), wantAlerts: []string{"e1", "e2"}},
		{name: "the same event twice", batch: batch(stop("e1"), stop("e1")), wantAlerts: []string{"e1"}},
		{name: "poison record in the middle", batch: batch(stop("e1"), "not json", stop("e2")), wantFailed: "2", wantAlerts: []string{"e1"}},
		{name: "another detail-type is skipped", batch: batch(`{"detail-type":"GuardDuty Finding","detail":{"type":"x"}}`, stop("e1")), wantAlerts: []string{"e1"}},
		{name: "poison record first", batch: batch(`{"detail":"x"}`, stop("e1")), wantFailed: "1"},
		// The bus takes e2 all the same: the retry sends it to the topic alone.
		{name: "topic fails on a record", batch: batch(stop("e1"), stop("e2"), stop("e3")), snsFail: `"eventID":"e2"`, wantFailed: "2",
			wantAlerts: []string{"e1"}, wantBus: []string{"e1", "e2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			topic, bus := &alertingtest.SNS{Fail: tt.snsFail}, &alertingtest.Events{}
			pub := &alerting.Publisher{SNS: topic, TopicARN: "arn:aws:sns:eu-west-1:999999999999:alerts", Events: bus, BusName: "trailguard-alerts"}
			h := &handler{proc: alerting.NewProcessor(engine, pub, alerting.NewMemoryStore(), nil), log: slog.New(slog.DiscardHandler)}
			resp, err := h.handle(context.Background(), tt.batch)
			if err != nil {
				t.Fatalf("handle() error = %v, want failures reported per record", err)
			}
			var failed string
			if n := len(resp.BatchItemFailures); n > 1 {
				t.Fatalf("%d failures reported, want at most 1 (the first)", n)
			} else if n == 1 {
				failed = resp.BatchItemFailures[0].ItemIdentifier
			}
			if failed != tt.wantFailed {
				t.Errorf("failed record %q, want %q", failed, tt.wantFailed)
			}
			var got []string
			for _, m := range topic.Messages {
				got = append(got, eventID(t, aws.ToString(m.Message)))
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.wantAlerts) {
				t.Errorf("alerts published for %v, want %v", got, tt.wantAlerts)
			}
			wantBus := tt.wantBus
			if wantBus == nil {
				wantBus = tt.wantAlerts
			}
			var onBus []string
			for _, e := range bus.Entries {
				onBus = append(onBus, eventID(t, aws.ToString(e.Detail)))
			}
			if fmt.Sprint(onBus) != fmt.Sprint(wantBus) {
				t.Errorf("alerts on the bus for %v, want %v", onBus, wantBus)
			}
			if tt.wantFailed == "" {
				return
			}
			// Lambda retries from the failed record; once it succeeds, nothing alerts twice.
			topic.Fail = ""
			var rest []events.KinesisEventRecord
			for _, r := range tt.batch.Records {
				if r.Kinesis.SequenceNumber >= failed && !(r.Kinesis.SequenceNumber == failed && tt.snsFail == "") {
					rest = append(rest, r)
				}
			}
			if _, err := h.handle(context.Background(), events.KinesisEvent{Records: rest}); err != nil {
				t.Fatal(err)
			}
			seen, seenBus := map[string]int{}, map[string]int{}
			for _, m := range topic.Messages {
				seen[eventID(t, aws.ToString(m.Message))]++
			}
			for _, e := range bus.Entries {
				seenBus[eventID(t, aws.ToString(e.Detail))]++
			}
			for id, n := range seen {
				if n > 1 || seenBus[id] != 1 {
					t.Errorf("event %s alerted %d times on the topic and %d on the bus after the retry, want once each", id, n, seenBus[id])
				}
			}
		})
	}
}

func eventID(t *testing.T, msg string) string {
	t.Helper()
	rec, err := detect.ParseRecord([]byte(msg))
	if err != nil {
		t.Fatal(err)
	}
	return rec.Fields["eventID"].(string)
}

func TestNewHandlerNeedsTopic(t *testing.T) {
	_, err := newHandler(context.Background(), func(string) string { return "" }, slog.New(slog.DiscardHandler))
	if err == nil || err.Error() != alerting.EnvTopicARN+" is required: the alert topic's ARN" {
		t.Errorf("newHandler() error = %v, want the missing topic named", err)
	}
}

// TestUserRules starts the function as Lambda does, from an asset holding the users' rules
// beside the binary (as the detection construct bundles them): a user rule fires, a disabled
// default rule does not, and a broken rule file stops the cold start with its file and rule.
func TestUserRules(t *testing.T) {
	root := t.TempDir()
	rule := "id: instances-described\ntitle: Instances described\nseverity: low\nmatch: eventName == \"DescribeInstances\"\n"
	writeFile(t, filepath.Join(root, alerting.RulesDir, "team", "discovery.yaml"), rule)
	env := map[string]string{
		"LAMBDA_TASK_ROOT":        root,
		alerting.EnvTopicARN:      "arn:aws:sns:eu-west-1:999999999999:alerts",
		alerting.EnvDisabledRules: "cloudtrail-logging-stopped",
		"AWS_REGION":              "eu-west-1",
	}
	getenv := func(k string) string { return env[k] }
	h, err := newHandler(context.Background(), getenv, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	topic := &alertingtest.SNS{}
	h.proc = alerting.NewProcessor(h.engine, &alerting.Publisher{SNS: topic, TopicARN: env[alerting.EnvTopicARN]}, nil, nil)
	if _, err := h.handle(context.Background(), batch(quiet("q1"), stop("e1"))); err != nil {
		t.Fatal(err)
	}
	var rules []string
	for _, m := range topic.Messages {
		rules = append(rules, aws.ToString(m.MessageAttributes["rule"].StringValue))
	}
	if want := []string{"instances-described"}; !slices.Equal(rules, want) {
		t.Errorf("alerts of rules %v, want %v (the user rule, and not the disabled default)", rules, want)
	}

	writeFile(t, filepath.Join(root, alerting.RulesDir, "broken.yaml"), "id: broken\ntitle: B\nseverity: low\nmatch: eventName ==\n")
	_, err = newHandler(context.Background(), getenv, slog.New(slog.DiscardHandler))
	if err == nil || !strings.Contains(err.Error(), "broken.yaml: rule broken: match") {
		t.Errorf("cold start with a broken rule: error %v, want the file and the rule named", err)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// heartbeats is a heartbeatRecorder in memory that fails on the pairs in fail.
type heartbeats struct {
	got  []coverage.Heartbeat
	fail string
}

func (r *heartbeats) Record(_ context.Context, hb coverage.Heartbeat) error {
	if hb.Pair.Key() == r.fail {
		return errors.New("throttled")
	}
	r.got = append(r.got, hb)
	return nil
}

func heartbeat(account, region string) string {
	return `{"version":"0","id":"1","source":"` + coverage.Source + `","detail-type":"` + coverage.DetailType + `","account":"` + account +
		`","region":"` + region + `","time":"2026-11-30T12:00:00Z","resources":[],"detail":{"intervalMinutes":10}}`
}

func TestHandleHeartbeats(t *testing.T) {
	engine, err := detect.Load()
	if err != nil {
		t.Fatal(err)
	}
	arrived := time.Date(2026, 11, 30, 12, 0, 3, 0, time.UTC)
	tests := []struct {
		name       string
		batch      events.KinesisEvent
		fail       string
		wantBeats  []string
		wantFailed string
		wantAlerts int
	}{
		{name: "heartbeats recorded, events evaluated", batch: batch(heartbeat("111111111111", "eu-west-1"), stop("e1"), heartbeat("222222222222", "us-east-1")),
			wantBeats: []string{"111111111111:eu-west-1", "222222222222:us-east-1"}, wantAlerts: 1},
		{name: "a record failing: retried from it", batch: batch(heartbeat("111111111111", "eu-west-1"), heartbeat("222222222222", "us-east-1"), stop("e1")),
			fail: "222222222222:us-east-1", wantBeats: []string{"111111111111:eu-west-1"}, wantFailed: "2"},
		{name: "a look-alike is evaluated, not recorded", batch: batch(`{"source":"x","detail-type":"` + coverage.DetailType + `","account":"111111111111","region":"eu-west-1","detail":{}}`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for i := range tt.batch.Records {
				tt.batch.Records[i].Kinesis.ApproximateArrivalTimestamp.Time = arrived
			}
			topic := &alertingtest.SNS{}
			rec := &heartbeats{fail: tt.fail}
			pub := &alerting.Publisher{SNS: topic, TopicARN: "arn:aws:sns:eu-west-1:999999999999:alerts"}
			h := &handler{proc: alerting.NewProcessor(engine, pub, alerting.NewMemoryStore(), nil), log: slog.New(slog.DiscardHandler), heartbeats: rec}
			resp, err := h.handle(context.Background(), tt.batch)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, hb := range rec.got {
				got = append(got, hb.Pair.Key())
				if !hb.Arrived.Equal(arrived) {
					t.Errorf("heartbeat of %s recorded at %v, want the record's arrival %v", hb.Pair, hb.Arrived, arrived)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.wantBeats) {
				t.Errorf("heartbeats recorded %v, want %v", got, tt.wantBeats)
			}
			var failed string
			if len(resp.BatchItemFailures) > 0 {
				failed = resp.BatchItemFailures[0].ItemIdentifier
			}
			if failed != tt.wantFailed {
				t.Errorf("failed record %q, want %q", failed, tt.wantFailed)
			}
			if len(topic.Messages) != tt.wantAlerts {
				t.Errorf("%d alerts, want %d (heartbeats never alert)", len(topic.Messages), tt.wantAlerts)
			}
		})
	}
}

// password is a GetPasswordData call for instance: three instances within 15 minutes raise
// the threshold alert ec2-password-data-retrieval.
func password(id, instance string) string {
	r := alertingtest.Record("GetPasswordData", id)
	r = strings.Replace(r, `"cloudtrail.amazonaws.com"`, `"ec2.amazonaws.com"`, 1)
	r = strings.Replace(r, `"name":"arn:aws:cloudtrail:eu-west-1:111122223333:trail/management-events"`, `"instanceId":"`+instance+`"`, 1)
	return alertingtest.Event(r)
}

// TestHandleThresholdFlushFails: the shared threshold counts fail at the end of the batch:
// the first record is reported, and the retry of the whole batch alerts each alert once.
func TestHandleThresholdFlushFails(t *testing.T) {
	engine, err := detect.Load()
	if err != nil {
		t.Fatal(err)
	}
	table := &alertingtest.DynamoDB{Key: alerting.KeyAttribute, ThresholdErr: errors.New("throttled")}
	topic := &alertingtest.SNS{}
	pub := &alerting.Publisher{SNS: topic, TopicARN: "arn:aws:sns:eu-west-1:999999999999:alerts"}
	proc := alerting.NewSharedProcessor(engine, pub, &alerting.DynamoStore{Client: table, Table: "d"}, &alerting.DynamoThresholds{Client: table, Table: "d"}, nil)
	h := &handler{proc: proc, log: slog.New(slog.DiscardHandler)}
	ev := batch(quiet("q1"), password("p1", "i-1"), stop("e1"), password("p2", "i-2"), password("p3", "i-3"))
	resp, err := h.handle(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != "1" {
		t.Fatalf("failures %+v, want the first record (1)", resp.BatchItemFailures)
	}
	table.ThresholdErr = nil
	if resp, err := h.handle(context.Background(), ev); err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("retry: failures %+v, error %v; want none", resp.BatchItemFailures, err)
	}
	var got []string
	for _, m := range topic.Messages {
		got = append(got, eventID(t, aws.ToString(m.Message)))
	}
	// The stop alert at its record, the threshold alert at the end of the retried batch,
	// for the batch's first record of the burst.
	if !slices.Equal(got, []string{"e1", "p1"}) {
		t.Errorf("alerts published for %v, want [e1 p1]", got)
	}
}
