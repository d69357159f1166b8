package alerting

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"
	"testing/fstest"
	"time"

	"github.com/trailguard/trailguard/alerting/alertingtest"
	"github.com/trailguard/trailguard/detect"
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
		{name: "a record seen by both paths counts once", recs: []obs{login(false, "e1", 0), login(true, "e1", 0), login(true, "e2", 1), login(false, "e2", 1)}},
		{name: "the archive reads the first record late", recs: []obs{login(false, "e2", 4), login(false, "e3", 5), login(true, "e1", 0)},
			want: []string{"logins/arn:aws:iam::111122223333:user/mallory/2026-11-02T09:00:00Z"}, count: 3},
		{name: "spread over more than the window and a bucket", recs: []obs{login(false, "e1", 0), login(true, "e2", 7), login(false, "e3", 14)}},
		{name: "one secret read again and again", recs: []obs{read(false, "e1", 0, "a"), read(true, "e2", 1, "a"), read(false, "e3", 3, "a"), read(true, "e4", 5, "a")}},
		{name: "one record naming a secret twice", recs: []obs{read(false, "e1", 0, "a"), read(true, "e2", 1, "b"), read(false, "e3", 2, "b,b")}},
		{name: "three secrets over two paths and buckets", recs: []obs{read(false, "e1", 0, "a"), read(true, "e2", 3, "a"), read(true, "e3", 5, "b"), read(false, "e4", 8, "c")},
			want: []string{"secrets/arn:aws:iam::111122223333:user/mallory/2026-11-02T09:00:00Z"}, count: 3},
	}
	for _, tt := range tests {
		for _, unprocessed := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/unprocessed=%v", tt.name, unprocessed), func(t *testing.T) {
				e := thresholdEngine(t)
				table := &alertingtest.DynamoDB{Key: KeyAttribute, UnprocessFirst: unprocessed}
				topic := &alertingtest.SNS{}
				pub := &Publisher{SNS: topic, TopicARN: "t"}
				store := &DynamoStore{Client: table, Table: "dedupe"}
				stream := NewSharedProcessor(e, pub, store, &DynamoThresholds{Client: table, Table: "dedupe"}, nil)
				archive := NewSharedProcessor(e, pub, store, &DynamoThresholds{Client: table, Table: "dedupe"}, nil)
				for _, o := range tt.recs {
					p := stream
					if o.archive {
						p = archive
					}
					if _, err := p.Process(context.Background(), []byte(thresholdRecord(o.name, o.id, o.minute, o.secret))); err != nil {
						t.Fatal(err)
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
	if table.Updates != 3 || hits != 4 {
		t.Errorf("%d updates, %d hits; want 3 (the bucket full at the count) and 4", table.Updates, hits)
	}
}

func TestSharedThresholdsError(t *testing.T) {
	boom := errors.New("throttled")
	table := &alertingtest.DynamoDB{Key: KeyAttribute, Err: boom}
	p := NewSharedProcessor(thresholdEngine(t), &Publisher{SNS: &alertingtest.SNS{}, TopicARN: "t"}, nil, &DynamoThresholds{Client: table, Table: "dedupe"}, nil)
	if _, err := p.Process(context.Background(), []byte(thresholdRecord("ConsoleLogin", "e1", 0, ""))); !errors.Is(err, boom) {
		t.Errorf("error %v, want the table's (the record is retried)", err)
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
