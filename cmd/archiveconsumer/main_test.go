package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/trailguard/trailguard/coverage"
	"github.com/trailguard/trailguard/detect"
	"github.com/trailguard/trailguard/internal/alerting"
	"github.com/trailguard/trailguard/internal/alerting/alertingtest"
)

// fakeS3 serves objects by key; a key of failing fails once per read.
type fakeS3 struct {
	objects map[string][]byte
	failing map[string]bool
	gets    []string
}

func (f *fakeS3) GetObject(_ context.Context, in *s3.GetObjectInput, _ ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	key := aws.ToString(in.Key)
	f.gets = append(f.gets, key)
	if f.failing[key] {
		return nil, errors.New("fake s3: connection reset")
	}
	b, ok := f.objects[key]
	if !ok {
		return nil, errors.New("fake s3: NoSuchKey")
	}
	return &s3.GetObjectOutput{Body: io.NopCloser(bytes.NewReader(b))}, nil
}

func gz(t *testing.T, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	if _, err := w.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	w.Close()
	return b.Bytes()
}

func logFile(t *testing.T, records ...string) []byte {
	return gz(t, `{"Records":[`+strings.Join(records, ",")+`]}`)
}

// notification is an SQS message body with S3's notification of keys (URL-encoded, as S3
// sends them).
func notification(event string, keys ...string) string {
	var recs []string
	for _, k := range keys {
		recs = append(recs, fmt.Sprintf(`{"eventVersion":"2.1","eventSource":"aws:s3","awsRegion":"eu-west-1","eventName":%q,"s3":{"bucket":{"name":"archive","arn":"arn:aws:s3:::archive"},"object":{"key":%q,"size":1}}}`,
			event, url.QueryEscape(k)))
	}
	return `{"Records":[` + strings.Join(recs, ",") + `]}`
}

const (
	file1  = "AWSLogs/o-a1b2c3d4e5/111122223333/CloudTrail/eu-west-1/2026/11/02/111122223333_CloudTrail_eu-west-1_20261102T0905Z_a b.json.gz"
	file2  = "AWSLogs/o-a1b2c3d4e5/111122223333/CloudTrail/us-east-1/2026/11/02/111122223333_CloudTrail_us-east-1_20261102T0905Z_c.json.gz"
	digest = "AWSLogs/o-a1b2c3d4e5/111122223333/CloudTrail-Digest/eu-west-1/2026/11/02/111122223333_CloudTrail-Digest_eu-west-1_x.json.gz"
)

func TestHandle(t *testing.T) {
	engine, err := detect.Load()
	if err != nil {
		t.Fatal(err)
	}
	rec := alertingtest.Record
	objects := func(t *testing.T) map[string][]byte {
		return map[string][]byte{
			file1:   logFile(t, rec("StopLogging", "e1"), rec("DescribeInstances", "q1"), `"not a record"`, rec("StopLogging", "e2")),
			file2:   logFile(t, rec("StopLogging", "e3")),
			digest:  gz(t, `{"awsAccountId":"111122223333"}`),
			"other": []byte("x"),
			"AWSLogs/o-a1b2c3d4e5/111122223333/CloudTrail/eu-west-1/broken.json.gz": []byte("not gzip"),
		}
	}
	tests := []struct {
		name       string
		bodies     []string
		failing    string // a key whose read fails
		snsFail    string
		wantFailed []string // message ids (m0, m1, ...)
		wantAlerts []string
		wantGets   []string
	}{
		{name: "one file", bodies: []string{notification("ObjectCreated:Put", file1)}, wantAlerts: []string{"e1", "e2"}, wantGets: []string{file1}},
		{name: "two messages", bodies: []string{notification("ObjectCreated:Put", file1), notification("ObjectCreated:Put", file2)},
			wantAlerts: []string{"e1", "e2", "e3"}, wantGets: []string{file1, file2}},
		{name: "digest and other keys skipped", bodies: []string{notification("ObjectCreated:Put", digest, "other")}},
		{name: "S3's test event", bodies: []string{`{"Service":"Amazon S3","Event":"s3:TestEvent","Time":"2026-11-02T09:00:00.000Z","Bucket":"archive"}`}},
		{name: "not JSON", bodies: []string{"garbage"}, wantFailed: []string{"m0"}},
		{name: "read fails", bodies: []string{notification("ObjectCreated:Put", file1), notification("ObjectCreated:Put", file2)}, failing: file1,
			wantFailed: []string{"m0"}, wantAlerts: []string{"e3"}, wantGets: []string{file1, file2}},
		{name: "not gzip", bodies: []string{notification("ObjectCreated:Put", "AWSLogs/o-a1b2c3d4e5/111122223333/CloudTrail/eu-west-1/broken.json.gz")},
			wantFailed: []string{"m0"}, wantGets: []string{"AWSLogs/o-a1b2c3d4e5/111122223333/CloudTrail/eu-west-1/broken.json.gz"}},
		{name: "publish fails for one alert", bodies: []string{notification("ObjectCreated:Put", file1)}, snsFail: `"eventID":"e1"`,
			wantFailed: []string{"m0"}, wantAlerts: []string{"e2"}, wantGets: []string{file1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := &fakeS3{objects: objects(t), failing: map[string]bool{tt.failing: true}}
			topic := &alertingtest.SNS{Fail: tt.snsFail}
			pub := &alerting.Publisher{SNS: topic, TopicARN: "arn:aws:sns:eu-west-1:999999999999:alerts"}
			h := &handler{s3: store, proc: alerting.NewProcessor(engine, pub, alerting.NewMemoryStore(), nil), log: slog.New(slog.DiscardHandler)}
			var ev events.SQSEvent
			for i, b := range tt.bodies {
				ev.Records = append(ev.Records, events.SQSMessage{MessageId: fmt.Sprint("m", i), Body: b})
			}
			resp, err := h.handle(context.Background(), ev)
			if err != nil {
				t.Fatal(err)
			}
			var failed []string
			for _, f := range resp.BatchItemFailures {
				failed = append(failed, f.ItemIdentifier)
			}
			if !slices.Equal(failed, tt.wantFailed) {
				t.Errorf("failed messages %v, want %v", failed, tt.wantFailed)
			}
			var alerts []string
			for _, m := range topic.Messages {
				r, err := detect.ParseRecord([]byte(aws.ToString(m.Message)))
				if err != nil {
					t.Fatal(err)
				}
				alerts = append(alerts, r.EventID())
			}
			if !slices.Equal(alerts, tt.wantAlerts) {
				t.Errorf("alerts for %v, want %v", alerts, tt.wantAlerts)
			}
			if !slices.Equal(store.gets, tt.wantGets) {
				t.Errorf("read %v, want %v", store.gets, tt.wantGets)
			}
			if len(tt.wantFailed) == 0 {
				return
			}
			// The failed messages come back: each alert is published once in all.
			topic.Fail, store.failing = "", nil
			if _, err := h.handle(context.Background(), ev); err != nil {
				t.Fatal(err)
			}
			seen := map[string]int{}
			for _, m := range topic.Messages {
				r, _ := detect.ParseRecord([]byte(aws.ToString(m.Message)))
				seen[r.EventID()]++
			}
			for id, n := range seen {
				if n > 1 {
					t.Errorf("event %s alerted %d times, want once", id, n)
				}
			}
		})
	}
}

func TestIsLogFile(t *testing.T) {
	for key, want := range map[string]bool{
		file1:  true,
		digest: false,
		"AWSLogs/111122223333/CloudTrail/eu-west-1/2026/11/02/x.json.gz":                      true,
		"AWSLogs/o-a1b2c3d4e5/111122223333/CloudTrail-Insight/eu-west-1/2026/11/02/x.json.gz": false,
		"AWSLogs/o-a1b2c3d4e5/111122223333/CloudTrail/eu-west-1/2026/11/02/x.json":            false,
		"other/AWSLogs/o-a1b2c3d4e5/111122223333/CloudTrail/eu-west-1/2026/11/02/x.json.gz":   false,
	} {
		if got := IsLogFile(key); got != want {
			t.Errorf("IsLogFile(%q) = %v, want %v", key, got, want)
		}
	}
}

// fakeActivity records the archive activity written; fail, when set, fails the writes of
// that pair.
type fakeActivity struct {
	writes []coverage.ArchiveActivity
	fail   coverage.Pair
}

func (f *fakeActivity) RecordArchive(_ context.Context, a coverage.ArchiveActivity) error {
	if a.Pair == f.fail {
		return errors.New("fake dynamodb: throttled")
	}
	f.writes = append(f.writes, a)
	return nil
}

// TestHandleRecordsArchiveActivity checks the coverage side of the archive function: one
// write per pair per invocation with the latest activity of the batch, read-only files and
// digests recording nothing, and a failed write failing only the messages that named the
// pair, after their alerts were published.
func TestHandleRecordsArchiveActivity(t *testing.T) {
	engine, err := detect.Load()
	if err != nil {
		t.Fatal(err)
	}
	rec := alertingtest.Record
	at := func(r, time string) string {
		return strings.Replace(r, `"eventTime":"2026-11-02T09:00:00Z"`, `"eventTime":"`+time+`"`, 1)
	}
	readOnly := func(r string) string { return strings.Replace(r, `"readOnly":false`, `"readOnly":true`, 1) }
	const (
		later    = "AWSLogs/o-a1b2c3d4e5/111122223333/CloudTrail/eu-west-1/2026/11/02/111122223333_CloudTrail_eu-west-1_20261102T0910Z_d.json.gz"
		quiet    = "AWSLogs/o-a1b2c3d4e5/111122223333/CloudTrail/sa-east-1/2026/11/02/111122223333_CloudTrail_sa-east-1_20261102T0910Z_e.json.gz"
		mgmtOwn  = "AWSLogs/999999999999/CloudTrail/sa-east-1/2026/11/02/999999999999_CloudTrail_sa-east-1_20261102T0910Z_f.json.gz"
		euWest1  = "111122223333:eu-west-1"
		usEast1  = "111122223333:us-east-1"
		saEast1M = "999999999999:sa-east-1"
	)
	objects := map[string][]byte{
		file1:   logFile(t, rec("StopLogging", "e1"), at(rec("CreateUser", "w1"), "2026-11-02T09:03:00Z"), readOnly(at(rec("DescribeInstances", "q1"), "2026-11-02T09:04:00Z"))),
		later:   logFile(t, at(rec("CreateUser", "w2"), "2026-11-02T09:06:00Z"), at(rec("CreateUser", "w4"), "2026-11-02T09:01:00Z")),
		file2:   logFile(t, rec("StopLogging", "e3")),
		quiet:   logFile(t, readOnly(rec("DescribeInstances", "q2"))),
		mgmtOwn: logFile(t, at(rec("CreateUser", "w3"), "2026-11-02T09:07:00Z")),
		digest:  gz(t, `{"awsAccountId":"111122223333"}`),
	}
	tests := []struct {
		name       string
		bodies     []string
		fail       string // a pair whose write fails
		recorder   bool
		wantWrites []string // pair@time, in order
		wantFailed []string
		wantAlerts []string
	}{
		{name: "one write per pair, the batch's latest activity", recorder: true,
			bodies:     []string{notification("ObjectCreated:Put", file1), notification("ObjectCreated:Put", later, file2)},
			wantWrites: []string{euWest1 + "@09:06", usEast1 + "@09:00"}, wantAlerts: []string{"e1", "e3"}},
		{name: "read-only files and digests record nothing", recorder: true,
			bodies: []string{notification("ObjectCreated:Put", quiet, digest)}},
		{name: "a trail of the management account alone", recorder: true,
			bodies: []string{notification("ObjectCreated:Put", mgmtOwn)}, wantWrites: []string{saEast1M + "@09:07"}},
		{name: "a failed write fails the messages naming the pair, after detection", recorder: true, fail: euWest1,
			bodies:     []string{notification("ObjectCreated:Put", file1), notification("ObjectCreated:Put", file2), notification("ObjectCreated:Put", later)},
			wantWrites: []string{usEast1 + "@09:00"}, wantFailed: []string{"m0", "m2"}, wantAlerts: []string{"e1", "e3"}},
		{name: "no coverage table", bodies: []string{notification("ObjectCreated:Put", file1)}, wantAlerts: []string{"e1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			topic := &alertingtest.SNS{}
			pub := &alerting.Publisher{SNS: topic, TopicARN: "arn:aws:sns:eu-west-1:999999999999:alerts"}
			h := &handler{s3: &fakeS3{objects: objects}, proc: alerting.NewProcessor(engine, pub, alerting.NewMemoryStore(), nil), log: slog.New(slog.DiscardHandler)}
			act := &fakeActivity{}
			if tt.fail != "" {
				account, region, _ := strings.Cut(tt.fail, ":")
				act.fail = coverage.Pair{Account: account, Region: region}
			}
			if tt.recorder {
				h.activity = act
			}
			var ev events.SQSEvent
			for i, b := range tt.bodies {
				ev.Records = append(ev.Records, events.SQSMessage{MessageId: fmt.Sprint("m", i), Body: b})
			}
			resp, err := h.handle(context.Background(), ev)
			if err != nil {
				t.Fatal(err)
			}
			var writes []string
			for _, w := range act.writes {
				writes = append(writes, w.Pair.Key()+"@"+w.At.Format("15:04"))
			}
			if !slices.Equal(writes, tt.wantWrites) {
				t.Errorf("archive activity written %v, want %v", writes, tt.wantWrites)
			}
			var failed []string
			for _, f := range resp.BatchItemFailures {
				failed = append(failed, f.ItemIdentifier)
			}
			if !slices.Equal(failed, tt.wantFailed) {
				t.Errorf("failed messages %v, want %v", failed, tt.wantFailed)
			}
			var alerts []string
			for _, m := range topic.Messages {
				r, err := detect.ParseRecord([]byte(aws.ToString(m.Message)))
				if err != nil {
					t.Fatal(err)
				}
				alerts = append(alerts, r.EventID())
			}
			if !slices.Equal(alerts, tt.wantAlerts) {
				t.Errorf("alerts for %v, want %v: detection must not wait for the coverage table", alerts, tt.wantAlerts)
			}
		})
	}
}

// TestHandleThresholds: the shared threshold counts of a message's log file are written at
// its end; when they fail the message fails, and its retry alerts once.
func TestHandleThresholds(t *testing.T) {
	engine, err := detect.Load()
	if err != nil {
		t.Fatal(err)
	}
	// GetPasswordData for three instances within 15 minutes: ec2-password-data-retrieval.
	password := func(id, instance string) string {
		r := alertingtest.Record("GetPasswordData", id)
		r = strings.Replace(r, `"cloudtrail.amazonaws.com"`, `"ec2.amazonaws.com"`, 1)
		return strings.Replace(r, `"name":"arn:aws:cloudtrail:eu-west-1:111122223333:trail/management-events"`, `"instanceId":"`+instance+`"`, 1)
	}
	store := &fakeS3{objects: map[string][]byte{file1: logFile(t, password("p1", "i-1"), password("p2", "i-2"), password("p3", "i-3"))}}
	table := &alertingtest.DynamoDB{Key: alerting.KeyAttribute, ThresholdErr: errors.New("throttled")}
	topic := &alertingtest.SNS{}
	pub := &alerting.Publisher{SNS: topic, TopicARN: "arn:aws:sns:eu-west-1:999999999999:alerts"}
	h := &handler{s3: store, log: slog.New(slog.DiscardHandler),
		proc: alerting.NewSharedProcessor(engine, pub, &alerting.DynamoStore{Client: table, Table: "d"}, &alerting.DynamoThresholds{Client: table, Table: "d"}, nil)}
	ev := events.SQSEvent{Records: []events.SQSMessage{{MessageId: "m0", Body: notification("ObjectCreated:Put", file1)}}}
	for _, want := range []int{1, 0, 0} { // failed messages: the counts fail once
		resp, err := h.handle(context.Background(), ev)
		if err != nil || len(resp.BatchItemFailures) != want {
			t.Fatalf("failures %+v, error %v; want %d", resp.BatchItemFailures, err, want)
		}
		table.ThresholdErr = nil
	}
	if len(topic.Messages) != 1 || !strings.Contains(aws.ToString(topic.Messages[0].Message), "ec2-password-data-retrieval") {
		t.Errorf("%d alerts, want the threshold alert once", len(topic.Messages))
	}
}
