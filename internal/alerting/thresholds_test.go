package alerting

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/trailguard/trailguard/detect"
	"github.com/trailguard/trailguard/internal/alerting/alertingtest"
)

// thresholdEngine has a record-counting and a distinct-value threshold rule.
func thresholdEngine(t *testing.T) *detect.Engine {
	t.Helper()
	rules, err := detect.ParseFS(fstest.MapFS{"r.yaml": {Data: []byte(`
id: logins
title: Logins
severity: medium
match: eventName == "ConsoleLogin"
threshold: {count: 3, window: 10m}
---
id: stops
title: Stops
severity: critical
match: eventName == "StopLogging"
---
id: secrets
title: Secrets
severity: high
match: eventName == "GetSecretValue"
threshold:
  count: 3
  window: 10m
  distinct: 'requestParameters.secretId.split(",")'
`)}}, ".", "test")
	if err != nil {
		t.Fatal(err)
	}
	e, err := detect.Compile(rules)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// thresholdRecord is a record of name by one user at 09:<minute>, with secretId secret.
func thresholdRecord(name, id string, minute int, secret string) string {
	return fmt.Sprintf(`{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/mallory","accountId":"111122223333"},`+
		`"eventTime":"2026-11-02T09:%02d:00Z","eventSource":"x.amazonaws.com","eventName":%q,"awsRegion":"eu-west-1","requestParameters":{"secretId":%q},`+
		`"eventID":%q,"recipientAccountId":"111122223333"}`, minute, name, secret, id)
}

// TestSharedThresholds runs two processors, the stream's and the archive's (or two shards'),
// over one table: a burst split between them alerts, a record both see counts once, distinct
// values count once across buckets and processors.
func TestSharedThresholds(t *testing.T) {
	type obs struct {
		archive bool // else the stream
		name    string
		id      string
		minute  int
		secret  string
	}
	login := func(archive bool, id string, minute int) obs { return obs{archive, "ConsoleLogin", id, minute, ""} }
	read := func(archive bool, id string, minute int, secret string) obs {
		return obs{archive, "GetSecretValue", id, minute, secret}
	}
	tests := []struct {
		name  string
		recs  []obs
		want  []string // the dedupe keys published
		count int      // the count of the alert
	}{
		{name: "a burst split between the paths", recs: []obs{login(false, "e1", 0), login(true, "e2", 1), login(false, "e3", 2)},
			want: []string{"logins/arn:aws:iam::111122223333:user/mallory/2026-11-02T09:00:00Z"}, count: 3},
		{name: "a burst in one batch", recs: []obs{login(false, "e1", 0), login(false, "e2", 1), login(false, "e3", 2)},
			want: []string{"logins/arn:aws:iam::111122223333:user/mallory/2026-11-02T09:00:00Z"}, count: 3},
		{name: "a record twice in one batch counts once", recs: []obs{login(false, "e1", 0), login(false, "e1", 0), login(false, "e2", 1)}},
		{name: "a batch of each path holding the same records", recs: []obs{login(false, "e1", 0), login(false, "e2", 1), login(true, "e1", 0), login(true, "e2", 1)}},
		{name: "a record seen by both paths counts once", recs: []obs{login(false, "e1", 0), login(true, "e1", 0), login(true, "e2", 1), login(false, "e2", 1)}},
		{name: "the archive reads the first record late", recs: []obs{login(false, "e2", 4), login(false, "e3", 5), login(true, "e1", 0)},
			want: []string{"logins/arn:aws:iam::111122223333:user/mallory/2026-11-02T09:00:00Z"}, count: 3},
		{name: "spread over more than the window and a bucket", recs: []obs{login(false, "e1", 0), login(true, "e2", 7), login(false, "e3", 14)}},
		{name: "one secret read again and again", recs: []obs{read(false, "e1", 0, "a"), read(true, "e2", 1, "a"), read(false, "e3", 3, "a"), read(true, "e4", 5, "a")}},
		{name: "one record naming a secret twice", recs: []obs{read(false, "e1", 0, "a"), read(true, "e2", 1, "b"), read(false, "e3", 2, "b,b")}},
		{name: "one secret read again and again in one batch", recs: []obs{read(false, "e1", 0, "a"), read(false, "e2", 1, "a"), read(false, "e3", 3, "a,a")}},
		{name: "three secrets in one batch", recs: []obs{read(false, "e1", 0, "a"), read(false, "e2", 1, "b,a"), read(false, "e3", 2, "c"), read(false, "e4", 2, "c")},
			want: []string{"secrets/arn:aws:iam::111122223333:user/mallory/2026-11-02T09:00:00Z"}, count: 3},
		{name: "three secrets over two paths and buckets", recs: []obs{read(false, "e1", 0, "a"), read(true, "e2", 3, "a"), read(true, "e3", 5, "b"), read(false, "e4", 8, "c")},
			want: []string{"secrets/arn:aws:iam::111122223333:user/mallory/2026-11-02T09:00:00Z"}, count: 3},
	}
	for _, tt := range tests {
		for _, mode := range []string{"record", "batch", "batch/unprocessed"} {
			t.Run(tt.name+"/"+mode, func(t *testing.T) {
				e := thresholdEngine(t)
				table := &alertingtest.DynamoDB{Key: KeyAttribute, UnprocessFirst: mode == "batch/unprocessed"}
				topic := &alertingtest.SNS{}
				pub := &Publisher{SNS: topic, TopicARN: "t"}
				store := &DynamoStore{Client: table, Table: "dedupe"}
				stream := NewSharedProcessor(e, pub, store, &DynamoThresholds{Client: table, Table: "dedupe"}, nil)
				archive := NewSharedProcessor(e, pub, store, &DynamoThresholds{Client: table, Table: "dedupe"}, nil)
				// A batch ends after each record ("record"), or when the path changes: the
				// records of one path in a row are one batch.
				for i, o := range tt.recs {
					p := stream
					if o.archive {
						p = archive
					}
					if _, err := p.Process(context.Background(), "m1", []byte(thresholdRecord(o.name, o.id, o.minute, o.secret))); err != nil {
						t.Fatal(err)
					}
					if mode == "record" || i == len(tt.recs)-1 || tt.recs[i+1].archive != o.archive {
						if _, err := p.Flush(context.Background(), "m1"); err != nil {
							t.Fatal(err)
						}
					}
				}
				var got []string
				for _, m := range topic.Messages {
					a := alertOf(t, *m.Message)
					got = append(got, a.DedupeKey)
					if a.Threshold == nil || a.Threshold.Count != tt.count {
						t.Errorf("threshold %+v, want a count of %d", a.Threshold, tt.count)
					} else if n := max(len(a.Threshold.Values), len(a.Threshold.EventIDs)); n != tt.count {
						t.Errorf("threshold %+v lists %d members, want %d", a.Threshold, n, tt.count)
					}
				}
				if !slices.Equal(got, tt.want) {
					t.Errorf("alerts %v, want %v", got, tt.want)
				}
			})
		}
	}
}

// TestSharedThresholdsBucketFull: a bucket stops growing at the threshold's count, and the
// count still alerts.
func TestSharedThresholdsBucketFull(t *testing.T) {
	table := &alertingtest.DynamoDB{Key: KeyAttribute}
	s := &DynamoThresholds{Client: table, Table: "dedupe"}
	var hits int
	for i := range 6 {
		hit, err := s.Count(detect.Observation{Rule: "r", Group: "g", Threshold: detect.Threshold{Count: 3, Window: 600e9},
			EventTime: mustTime(t, "2026-11-02T09:00:00Z"), EventID: fmt.Sprint("e", i)})
		if err != nil {
			t.Fatal(err)
		}
		if hit != nil {
			hits++
		}
	}
	if table.Updates != 4 || hits != 4 {
		t.Errorf("%d updates, %d hits; want 4 (3 members, the bucket full at the count, and the burst) and 4", table.Updates, hits)
	}
}

// TestSharedThresholdsBatchError: when the counts fail at the end of a batch, the batch
// fails, its other alerts stay published, and its retry alerts once.
func TestSharedThresholdsBatchError(t *testing.T) {
	boom := errors.New("throttled")
	table := &alertingtest.DynamoDB{Key: KeyAttribute, ThresholdErr: boom}
	topic := &alertingtest.SNS{}
	p := NewSharedProcessor(thresholdEngine(t), &Publisher{SNS: topic, TopicARN: "t"}, &DynamoStore{Client: table, Table: "dedupe"},
		&DynamoThresholds{Client: table, Table: "dedupe"}, nil)
	batch := []string{thresholdRecord("StopLogging", "e0", 0, ""), thresholdRecord("ConsoleLogin", "e1", 0, ""),
		thresholdRecord("ConsoleLogin", "e2", 1, ""), thresholdRecord("ConsoleLogin", "e3", 2, "")}
	run := func() (Result, error) {
		var sum Result
		for _, r := range batch {
			res, err := p.Process(context.Background(), "m1", []byte(r))
			if err != nil {
				t.Fatal(err) // the counts fail at the end of the batch only
			}
			sum.Alerts, sum.Duplicates = sum.Alerts+res.Alerts, sum.Duplicates+res.Duplicates
		}
		res, err := p.Flush(context.Background(), "m1")
		sum.Alerts, sum.Duplicates = sum.Alerts+res.Alerts, sum.Duplicates+res.Duplicates
		return sum, err
	}
	if res, err := run(); !errors.Is(err, boom) || res.Alerts != 1 {
		t.Fatalf("%+v, error %v; want the stop alert and the table's error (the batch is retried)", res, err)
	}
	table.ThresholdErr = nil
	if res, err := run(); err != nil || res.Alerts != 1 || res.Duplicates != 1 {
		t.Fatalf("retry: %+v, error %v; want the threshold alert and the stop alert a duplicate", res, err)
	}
	if res, err := run(); err != nil || res.Alerts != 0 || res.Duplicates != 2 {
		t.Fatalf("second retry: %+v, error %v; want both alerts duplicates", res, err)
	}
	var got []string
	for _, m := range topic.Messages {
		got = append(got, alertOf(t, *m.Message).Rule)
	}
	if !slices.Equal(got, []string{"stops", "logins"}) {
		t.Errorf("alerts of rules %v, want [stops logins]", got)
	}
}

// TestSharedThresholdsBatchCalls: the counts of a batch take a few calls however many
// records match: one UpdateItem per bucket written (each bucket up to the count), one
// BatchGetItem per 100 items read (buckets and bursts), one UpdateItem per burst that
// alerted.
func TestSharedThresholdsBatchCalls(t *testing.T) {
	tests := []struct {
		name  string
		rec   func(i int) string
		calls int
	}{
		// One bucket (two minutes) written, its window's 11 and the burst read, the burst
		// written.
		{name: "records", rec: func(i int) string { return thresholdRecord("ConsoleLogin", fmt.Sprint("e", i), 0, "") }, calls: 3},
		{name: "distinct values", rec: func(i int) string {
			return thresholdRecord("GetSecretValue", fmt.Sprint("e", i), 0, fmt.Sprint("s", i))
		}, calls: 3},
		// Ten minutes: five buckets written, 15 and the burst read, one burst written.
		{name: "over a window", rec: func(i int) string { return thresholdRecord("ConsoleLogin", fmt.Sprint("e", i), i%10, "") }, calls: 7},
		// 30 groups of 11 buckets and a burst: 360 keys, four reads; 30 bursts written.
		{name: "many groups", rec: func(i int) string {
			return strings.Replace(thresholdRecord("ConsoleLogin", fmt.Sprint("e", i), 0, ""), "mallory", fmt.Sprint("user", i%30), 1)
		}, calls: 30 + 4 + 30},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			table := &alertingtest.DynamoDB{Key: KeyAttribute}
			topic := &alertingtest.SNS{}
			p := NewSharedProcessor(thresholdEngine(t), &Publisher{SNS: topic, TopicARN: "t"}, &DynamoStore{Client: table, Table: "dedupe"},
				&DynamoThresholds{Client: table, Table: "dedupe"}, nil)
			for i := range 1000 {
				if _, err := p.Process(context.Background(), "m1", []byte(tt.rec(i))); err != nil {
					t.Fatal(err)
				}
			}
			if table.ThresholdCalls != 0 {
				t.Errorf("%d calls before the end of the batch, want none", table.ThresholdCalls)
			}
			res, err := p.Flush(context.Background(), "m1")
			if err != nil {
				t.Fatal(err)
			}
			if table.ThresholdCalls != tt.calls {
				t.Errorf("%d calls for 1000 records, want %d", table.ThresholdCalls, tt.calls)
			}
			groups := 1
			if tt.name == "many groups" {
				groups = 30
			}
			if res.Alerts != groups || len(topic.Messages) != groups {
				t.Errorf("%d alerts, want %d (one per group)", res.Alerts, groups)
			}
			for k, item := range table.Items {
				if m, ok := item[MembersAttribute].(*ddbtypes.AttributeValueMemberSS); ok && len(m.Value) > 3 {
					t.Errorf("bucket %s holds %d members, want at most the count, 3", k, len(m.Value))
				}
			}
		})
	}
}

func alertOf(t *testing.T, body string) *detect.Alert {
	t.Helper()
	var a detect.Alert
	if err := json.Unmarshal([]byte(body), &a); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	return &a
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
