package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/trailguard/trailguard/coverage"
	"github.com/trailguard/trailguard/detect"
)

type fakeTable struct {
	rows  []coverage.PairState
	saved []coverage.PairState
}

func (f *fakeTable) Scan(context.Context) ([]coverage.PairState, error) { return f.rows, nil }
func (f *fakeTable) Save(_ context.Context, r coverage.PairState) error {
	f.saved = append(f.saved, r)
	return nil
}

type fakePub struct {
	alerts []*detect.Alert
	fail   bool
}

func (f *fakePub) Publish(_ context.Context, a *detect.Alert) error {
	if f.fail {
		return errors.New("topic unavailable")
	}
	f.alerts = append(f.alerts, a)
	return nil
}

func TestRun(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	exp := &coverage.Expected{Complete: true}
	exp.Add("111111111111", "eu-west-1", "us-east-1")
	rows := func() []coverage.PairState {
		return []coverage.PairState{
			{Pair: coverage.Pair{Account: "111111111111", Region: "eu-west-1"}, LastSeen: now.Add(-time.Hour), State: coverage.StateOK, Since: now.Add(-24 * time.Hour)},
			{Pair: coverage.Pair{Account: "111111111111", Region: "us-east-1"}, LastSeen: now.Add(-time.Minute), State: coverage.StateOK, Since: now.Add(-24 * time.Hour)},
		}
	}
	t.Run("silent pair alerts once, state saved, metric put", func(t *testing.T) {
		tbl, pub, out := &fakeTable{rows: rows()}, &fakePub{}, &bytes.Buffer{}
		m := &monitor{expected: exp, table: tbl, pub: pub, metrics: out, log: slog.New(slog.DiscardHandler)}
		if err := m.run(context.Background(), now); err != nil {
			t.Fatal(err)
		}
		if len(pub.alerts) != 1 || pub.alerts[0].Rule != coverage.RuleSilent || pub.alerts[0].Region != "eu-west-1" {
			t.Fatalf("alerts = %+v, want one %s for eu-west-1", pub.alerts, coverage.RuleSilent)
		}
		if len(tbl.saved) != 1 || tbl.saved[0].State != coverage.StateSilent {
			t.Errorf("saved = %+v, want the silent pair", tbl.saved)
		}
		var doc map[string]any
		if err := json.Unmarshal(out.Bytes(), &doc); err != nil || doc[coverage.MetricSilentPairs] != 1.0 {
			t.Errorf("metric line %q (%v), want %s = 1", out, err, coverage.MetricSilentPairs)
		}
		ns := doc["_aws"].(map[string]any)["CloudWatchMetrics"].([]any)[0].(map[string]any)["Namespace"]
		if ns != coverage.MetricNamespace {
			t.Errorf("namespace %v, want %s", ns, coverage.MetricNamespace)
		}
	})
	t.Run("activity in a region no forwarder covers alerts, and is no silent pair", func(t *testing.T) {
		r := rows()
		r[0].LastSeen = now.Add(-time.Minute)
		r = append(r, coverage.PairState{Pair: coverage.Pair{Account: "111111111111", Region: "sa-east-1"}, ArchiveSeen: now.Add(-20 * time.Minute)})
		tbl, pub, out := &fakeTable{rows: r}, &fakePub{}, &bytes.Buffer{}
		m := &monitor{expected: exp, table: tbl, pub: pub, metrics: out, log: slog.New(slog.DiscardHandler)}
		if err := m.run(context.Background(), now); err != nil {
			t.Fatal(err)
		}
		if len(pub.alerts) != 1 || pub.alerts[0].Rule != coverage.RuleUnforwarded || pub.alerts[0].Region != "sa-east-1" {
			t.Fatalf("alerts = %+v, want one %s for sa-east-1", pub.alerts, coverage.RuleUnforwarded)
		}
		if len(tbl.saved) != 1 || tbl.saved[0].State != coverage.StateUnforwarded || !tbl.saved[0].Since.Equal(now) {
			t.Errorf("saved = %+v, want the unforwarded pair, known since now", tbl.saved)
		}
		var doc map[string]any
		if err := json.Unmarshal(out.Bytes(), &doc); err != nil || doc[coverage.MetricSilentPairs] != 0.0 {
			t.Errorf("metric line %q (%v), want %s = 0", out, err, coverage.MetricSilentPairs)
		}
	})
	t.Run("publish fails: no state saved, no metric (the alarm on missing data tells)", func(t *testing.T) {
		tbl, pub, out := &fakeTable{rows: rows()}, &fakePub{fail: true}, &bytes.Buffer{}
		m := &monitor{expected: exp, table: tbl, pub: pub, metrics: out, log: slog.New(slog.DiscardHandler)}
		if err := m.run(context.Background(), now); err == nil {
			t.Fatal("run() succeeded, want the publish error")
		}
		if len(tbl.saved) != 0 || out.Len() != 0 {
			t.Errorf("saved %v and wrote metric %q, want neither: the next run must alert again", tbl.saved, out)
		}
	})
}

func TestNewMonitorReadsExpectedFile(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"LAMBDA_TASK_ROOT": dir, coverage.EnvTable: "trailguard-coverage", "TRAILGUARD_ALERT_TOPIC_ARN": "arn:aws:sns:eu-west-1:999999999999:t",
		"AWS_REGION": "eu-west-1"}
	getenv := func(k string) string { return env[k] }
	if _, err := newMonitor(context.Background(), getenv, slog.New(slog.DiscardHandler)); err == nil {
		t.Fatal("newMonitor() without the expected file succeeded")
	}
	if err := os.WriteFile(filepath.Join(dir, coverage.ExpectedFile), []byte(`{"complete":true,"accounts":{"111111111111":["eu-west-1"]}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := newMonitor(context.Background(), getenv, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if got := m.expected.Pairs(); len(got) != 1 || got[0].Key() != "111111111111:eu-west-1" {
		t.Errorf("expected pairs %v", got)
	}
	if err := os.WriteFile(filepath.Join(dir, coverage.ExpectedFile), []byte(`{"complete":false,"accounts":{"111111111111":["eu-west-1"]},"stackSetRegions":["eu-west-1","EU"]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := newMonitor(context.Background(), getenv, slog.New(slog.DiscardHandler)); err == nil {
		t.Error("newMonitor() with a StackSet region \"EU\" succeeded, want an error naming it")
	}
}
