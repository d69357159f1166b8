package coverage

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/trailguard/trailguard/detect"
)

func TestParseLogKey(t *testing.T) {
	tests := []struct {
		key  string
		want Pair
		ok   bool
	}{
		{"AWSLogs/o-a1b2c3d4e5/111122223333/CloudTrail/sa-east-1/2026/11/30/111122223333_CloudTrail_sa-east-1_20261130T1205Z_a.json.gz", Pair{Account: "111122223333", Region: "sa-east-1"}, true},
		// The organization trail's files of the management account sit under the
		// organization id like every other account's.
		{"AWSLogs/o-a1b2c3d4e5/999999999999/CloudTrail/us-east-1/2026/11/30/999999999999_CloudTrail_us-east-1_20261130T1205Z_b.json.gz", Pair{Account: "999999999999", Region: "us-east-1"}, true},
		// A trail of one account (the management account's own path).
		{"AWSLogs/999999999999/CloudTrail/eu-west-1/2026/11/30/999999999999_CloudTrail_eu-west-1_20261130T1205Z_c.json.gz", Pair{Account: "999999999999", Region: "eu-west-1"}, true},
		{"AWSLogs/o-a1b2c3d4e5/111122223333/CloudTrail-Digest/sa-east-1/2026/11/30/111122223333_CloudTrail-Digest_sa-east-1_x.json.gz", Pair{}, false},
		{"AWSLogs/o-a1b2c3d4e5/111122223333/CloudTrail-Insight/sa-east-1/2026/11/30/x.json.gz", Pair{}, false},
		{"AWSLogs/o-a1b2c3d4e5/111122223333/CloudTrail/sa-east-1/2026/11/30/x.json", Pair{}, false},
		{"AWSLogs/o-a1b2c3d4e5/1111/CloudTrail/sa-east-1/2026/11/30/x.json.gz", Pair{}, false},
		{"AWSLogs/o-a1b2c3d4e5/111122223333/CloudTrail/not_a_region/2026/x.json.gz", Pair{}, false},
		{"prefix/AWSLogs/111122223333/CloudTrail/sa-east-1/x.json.gz", Pair{}, false},
		{"AWSLogs/o-a1b2c3d4e5/111122223333/CloudTrail/x.json.gz", Pair{}, false},
	}
	for _, tt := range tests {
		got, ok := ParseLogKey(tt.key)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseLogKey(%q) = %v, %v, want %v, %v", tt.key, got, ok, tt.want, tt.ok)
		}
	}
}

// record is a CloudTrail record with fields replaced by the JSON members in extra.
func record(extra string) string {
	base := `"eventVersion":"1.09","userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/admin/eve","accountId":"111122223333"},` +
		`"eventTime":"2026-11-30T11:40:00Z","eventSource":"ec2.amazonaws.com","eventName":"RunInstances","awsRegion":"sa-east-1","eventID":"e1",` +
		`"readOnly":false,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333"`
	if extra == "" {
		return "{" + base + "}"
	}
	// Later members win in encoding/json.
	return "{" + base + "," + extra + "}"
}

func TestActivity(t *testing.T) {
	tests := []struct {
		name, record string
		ok           bool
	}{
		{"a write call", record(""), true},
		{"a console sign-in", record(`"eventType":"AwsConsoleSignIn","eventName":"ConsoleLogin"`), true},
		{"readOnly missing counts", strings.Replace(record(""), `"readOnly":false,`, "", 1), true},
		{"a read-only call (the EC2 console's global view)", record(`"readOnly":true,"eventName":"DescribeInstances"`), false},
		{"an AWS service", record(`"userIdentity":{"type":"AWSService","invokedBy":"config.amazonaws.com"}`), false},
		{"a call through an AWS service", record(`"userIdentity":{"type":"AssumedRole","invokedBy":"securityhub.amazonaws.com"}`), false},
		{"a service event", record(`"eventType":"AwsServiceEvent"`), false},
		{"no event time", record(`"eventTime":""`), false},
		{"not JSON", `"not a record"`, false},
	}
	for _, tt := range tests {
		at, ok := Activity([]byte(tt.record))
		if ok != tt.ok {
			t.Errorf("%s: Activity() ok = %v, want %v", tt.name, ok, tt.ok)
		}
		if ok && !at.Equal(time.Date(2026, 11, 30, 11, 40, 0, 0, time.UTC)) {
			t.Errorf("%s: Activity() at = %v, want the eventTime", tt.name, at)
		}
	}
}

// TestUnforwardedLatency checks the arithmetic the docs promise: a call in a region no
// forwarder covers alerts within UnforwardedLatency of the call, whatever the monitor's
// phase, when its log file arrives within ArchiveDelay.
func TestUnforwardedLatency(t *testing.T) {
	if UnforwardedLatency != 21*time.Minute {
		t.Errorf("UnforwardedLatency = %v, want the 21 minutes docs/realtime-leg.md states", UnforwardedLatency)
	}
	exp := &Expected{Complete: true}
	exp.Add("111111111111", "eu-west-1", "us-east-1")
	call := t0
	recorded := call.Add(ArchiveDelay + DeliveryAllowance)
	for phase := time.Duration(0); phase < MonitorInterval; phase += time.Minute {
		var rows []PairState
		for run := call.Add(phase); ; run = run.Add(MonitorInterval) {
			if !run.Before(recorded) && rows == nil {
				rows = []PairState{{Pair: Pair{Account: "111111111111", Region: "sa-east-1"}, ArchiveSeen: call}}
			}
			if res := Evaluate(run, exp, rows, Options{}); len(res.Unforwarded) == 1 {
				if d := run.Sub(call); d > UnforwardedLatency {
					t.Errorf("phase %v: alerted %v after the call, want at most %v", phase, d, UnforwardedLatency)
				}
				break
			}
			if run.Sub(call) > time.Hour {
				t.Fatalf("phase %v: never alerted", phase)
			}
		}
	}
}

func TestUnforwardedAlert(t *testing.T) {
	res := Result{Unforwarded: []PairState{{Pair: Pair{Account: "111111111111", Region: "sa-east-1"}, ArchiveSeen: ago(20 * time.Minute)}}}
	alerts := Alerts(t0, res)
	if len(alerts) != 1 {
		t.Fatalf("got %d alerts, want 1", len(alerts))
	}
	a := alerts[0]
	if a.Rule != RuleUnforwarded || a.Severity != detect.High || a.AccountID != "111111111111" || a.Region != "sa-east-1" ||
		a.EventName != "ArchiveActivity" || a.DedupeKey != RuleUnforwarded+"/2026-11-30T12:00:00Z" {
		t.Errorf("unforwarded alert = %+v", a)
	}
	var rec struct {
		Pairs []map[string]string `json:"pairs"`
	}
	if err := json.Unmarshal(a.Record, &rec); err != nil || len(rec.Pairs) != 1 || rec.Pairs[0]["archiveSeen"] != "2026-11-30T11:40:00Z" || rec.Pairs[0]["lastSeen"] != "" {
		t.Errorf("unforwarded alert record = %s (%v)", a.Record, err)
	}
}

func TestTableArchive(t *testing.T) {
	ctx := context.Background()
	db := &fakeDynamo{items: map[string]map[string]ddbtypes.AttributeValue{}, page: 10}
	tbl := &Table{Client: db, Name: "trailguard-coverage"}
	p := Pair{Account: "111111111111", Region: "sa-east-1"}
	if err := tbl.Record(ctx, Heartbeat{p, t0.Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	for _, at := range []time.Time{t0, t0.Add(-time.Minute)} {
		if err := tbl.RecordArchive(ctx, ArchiveActivity{p, at}); err != nil {
			t.Fatalf("RecordArchive(%v) = %v, want an older activity ignored without error", at, err)
		}
	}
	rows, err := tbl.Scan(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || !rows[0].ArchiveSeen.Equal(t0) || !rows[0].LastSeen.Equal(t0.Add(-time.Hour)) {
		t.Errorf("rows = %+v: want the latest archive activity beside the heartbeat, neither moving the other", rows)
	}
}
