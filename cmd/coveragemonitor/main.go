// Command coveragemonitor is the coverage monitor's function: a Lambda function (runtime
// provided.al2023, arm64) that a schedule invokes every coverage.MonitorInterval. It reads
// the coverage table (each account's and region's last heartbeat, written by the stream
// function, and latest activity in the log archive, written by the archive function),
// compares it with the expected pairs (coverage.ExpectedFile beside the binary, computed
// from the config at synth), publishes an alert in the detection engine's format to the
// alert topic and bus for each kind of transition (silent, recovered, unexpected,
// unforwarded),
// records the new states, and then puts the number of silent pairs as a metric: a missing
// metric means the monitor itself is broken, and its alarm treats missing data as breaching.
//
// Environment: coverage.EnvTable, alerting.EnvTopicARN, alerting.EnvBusName.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/trailguard/trailguard/coverage"
	"github.com/trailguard/trailguard/detect"
	"github.com/trailguard/trailguard/internal/alerting"
)

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	ctx := context.Background()
	m, err := newMonitor(ctx, os.Getenv, log)
	if err != nil {
		log.Error("coveragemonitor: cannot start", "error", err)
		os.Exit(1)
	}
	lambda.StartWithOptions(func(ctx context.Context) error { return m.run(ctx, time.Now()) }, lambda.WithContext(ctx))
}

type table interface {
	Scan(ctx context.Context) ([]coverage.PairState, error)
	Save(ctx context.Context, r coverage.PairState) error
}

type publisher interface {
	Publish(ctx context.Context, a *detect.Alert) error
}

type monitor struct {
	expected *coverage.Expected
	table    table
	pub      publisher
	// metrics receives the metric as one line of CloudWatch's embedded metric format
	// (stdout in Lambda, from which CloudWatch Logs extracts it: no cloudwatch:PutMetricData
	// permission needed).
	metrics io.Writer
	log     *slog.Logger
}

func newMonitor(ctx context.Context, getenv func(string) string, log *slog.Logger) (*monitor, error) {
	name := getenv(coverage.EnvTable)
	if name == "" {
		return nil, fmt.Errorf("%s is required: the coverage table's name", coverage.EnvTable)
	}
	dir := getenv("LAMBDA_TASK_ROOT")
	if dir == "" {
		exe, err := os.Executable()
		if err != nil {
			return nil, err
		}
		dir = filepath.Dir(exe)
	}
	expected, err := coverage.ReadExpected(filepath.Join(dir, coverage.ExpectedFile))
	if err != nil {
		return nil, err
	}
	cfg, err := alerting.LoadAWSConfig(ctx)
	if err != nil {
		return nil, err
	}
	pub, _, _, err := alerting.FromEnv(ctx, cfg, getenv)
	if err != nil {
		return nil, err
	}
	return &monitor{
		expected: expected,
		table:    &coverage.Table{Client: dynamodb.NewFromConfig(cfg), Name: name},
		pub:      pub,
		metrics:  os.Stdout,
		log:      log,
	}, nil
}

// run is one monitor run at now. Alerts are published before the states they report are
// saved, so a failed run alerts again on the next (at least once); the metric is put last,
// so a run that failed anywhere leaves it missing.
func (m *monitor) run(ctx context.Context, now time.Time) error {
	rows, err := m.table.Scan(ctx)
	if err != nil {
		return err
	}
	res := coverage.Evaluate(now, m.expected, rows, coverage.Options{})
	for _, a := range coverage.Alerts(now, res) {
		if err := m.pub.Publish(ctx, a); err != nil {
			return err
		}
		m.log.Info("alert", "rule", a.Rule, "dedupeKey", a.DedupeKey)
	}
	for _, u := range res.Updates {
		if err := m.table.Save(ctx, u); err != nil {
			return err
		}
	}
	if err := writeMetric(m.metrics, now, res.Silent); err != nil {
		return fmt.Errorf("put metric %s/%s: %w", coverage.MetricNamespace, coverage.MetricSilentPairs, err)
	}
	m.log.Info("run", "pairs", len(rows), "silent", res.Silent, "newlySilent", coverage.Describe(res.NewlySilent),
		"recovered", coverage.Describe(res.Recovered), "unexpected", coverage.Describe(res.Unexpected), "unforwarded", coverage.Describe(res.Unforwarded), "updates", len(res.Updates))
	return nil
}

// writeMetric writes the number of silent pairs at now to w as one embedded metric format
// document
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html):
// no dimensions, so the alarm names the metric by namespace and name alone.
func writeMetric(w io.Writer, now time.Time, silent int) error {
	doc := map[string]any{
		"_aws": map[string]any{
			"Timestamp": now.UnixMilli(),
			"CloudWatchMetrics": []any{map[string]any{
				"Namespace":  coverage.MetricNamespace,
				"Dimensions": [][]string{{}},
				"Metrics":    []any{map[string]any{"Name": coverage.MetricSilentPairs, "Unit": "Count"}},
			}},
		},
		coverage.MetricSilentPairs: silent,
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}
