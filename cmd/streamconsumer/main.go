// Command streamconsumer is the real-time detection function: a Lambda function (runtime
// provided.al2023, arm64) reading the Security account's Kinesis stream through an event
// source mapping. Each record is an EventBridge event whose detail is a CloudTrail record;
// the rules (the defaults of package detect and the users' rules bundled in the asset:
// alerting.LoadEngine) evaluate it, and each alert goes to the alert topic and the
// integrations bus once (package alerting), whichever of this function and the archive
// function sees the event first.
//
// Failures are reported per record (ReportBatchItemFailures): the first record that failed
// is returned, so Lambda checkpoints before it and retries from it; with
// BisectBatchOnFunctionError a record that keeps failing ends up alone in a batch and, after
// the mapping's retries, in its on-failure destination, and the shard moves on.
//
// Heartbeats of the coverage monitor (package coverage) are not evaluated: each is recorded
// as its account's and region's last heartbeat in the coverage table, when one is configured.
//
// Environment: see the Env* constants of package alerting, and coverage.EnvTable.
package main

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/trailguard/trailguard/coverage"
	"github.com/trailguard/trailguard/detect"
	"github.com/trailguard/trailguard/internal/alerting"
)

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	ctx := context.Background()
	h, err := newHandler(ctx, os.Getenv, log)
	if err != nil {
		log.Error("streamconsumer: cannot start", "error", err)
		os.Exit(1)
	}
	lambda.StartWithOptions(h.handle, lambda.WithContext(ctx))
}

// handler adapts Kinesis batches to the processor.
type handler struct {
	engine *detect.Engine
	proc   *alerting.Processor
	log    *slog.Logger
	// heartbeats records the coverage monitor's heartbeats; nil skips them like any other
	// event that carries no CloudTrail record.
	heartbeats heartbeatRecorder
}

// heartbeatRecorder is what the handler needs of coverage.Table.
type heartbeatRecorder interface {
	Record(ctx context.Context, hb coverage.Heartbeat) error
}

func newHandler(ctx context.Context, getenv func(string) string, log *slog.Logger) (*handler, error) {
	fn, err := alerting.NewFunction(ctx, getenv, log)
	if err != nil {
		return nil, err
	}
	h := &handler{engine: fn.Engine, proc: fn.Processor, log: log}
	if table := getenv(coverage.EnvTable); table != "" {
		h.heartbeats = &coverage.Table{Client: dynamodb.NewFromConfig(fn.AWS), Name: table}
	}
	return h, nil
}

// handle processes the batch in order and stops at the first record that fails, reporting
// it: Lambda retries the batch from that record (the records before it are done, the ones
// after it not yet).
func (h *handler) handle(ctx context.Context, ev events.KinesisEvent) (events.KinesisEventResponse, error) {
	var resp events.KinesisEventResponse
	var alerts, dups, ignored, beats int
	for _, r := range ev.Records {
		arrived := r.Kinesis.ApproximateArrivalTimestamp.Time
		if arrived.IsZero() {
			arrived = time.Now()
		}
		if hb, ok := coverage.ParseHeartbeat(r.Kinesis.Data, arrived); ok && h.heartbeats != nil {
			if err := h.heartbeats.Record(ctx, hb); err != nil {
				h.log.Warn("heartbeat not recorded: retried from here", "error", err, "sequenceNumber", r.Kinesis.SequenceNumber)
				resp.BatchItemFailures = []events.KinesisBatchItemFailure{{ItemIdentifier: r.Kinesis.SequenceNumber}}
				break
			}
			beats++
			continue
		}
		// The record's event ID (shard and sequence number) owns the leases of its alerts: a
		// shard is read in order, so only its own retry can hold them at once.
		res, err := h.proc.Process(ctx, r.EventID, r.Kinesis.Data)
		alerts, dups, ignored = alerts+res.Alerts, dups+res.Duplicates, ignored+res.Ignored
		if err != nil {
			attrs := []any{"error", err, "eventSourceARN", r.EventSourceArn, "eventID", r.EventID,
				"sequenceNumber", r.Kinesis.SequenceNumber, "partitionKey", r.Kinesis.PartitionKey}
			if errors.Is(err, alerting.ErrRecord) {
				h.log.Error("poison record: reported as failed until it reaches the on-failure destination", attrs...)
			} else {
				h.log.Warn("record failed: retried from here", attrs...)
			}
			resp.BatchItemFailures = []events.KinesisBatchItemFailure{{ItemIdentifier: r.Kinesis.SequenceNumber}}
			break
		}
	}
	// Threshold rules are counted for the whole batch, here (alerting.Processor.Flush): when
	// that fails, the batch is retried from its first record (counting it again changes
	// nothing; its alerts already published are duplicates).
	owner := ""
	if len(ev.Records) > 0 {
		owner = ev.Records[0].EventID
	}
	if res, err := h.proc.Flush(ctx, owner); err != nil && len(ev.Records) > 0 {
		h.log.Warn("threshold counts failed: batch retried from its first record", "error", err, "eventSourceARN", ev.Records[0].EventSourceArn)
		resp.BatchItemFailures = []events.KinesisBatchItemFailure{{ItemIdentifier: ev.Records[0].Kinesis.SequenceNumber}}
	} else {
		alerts, dups = alerts+res.Alerts, dups+res.Duplicates
	}
	stats := h.proc.Stats()
	h.log.Info("batch", "records", len(ev.Records), "alerts", alerts, "duplicates", dups, "ignored", ignored, "heartbeats", beats,
		"failed", len(resp.BatchItemFailures), "ruleFailures", stats.EvalErrors)
	return resp, nil
}
