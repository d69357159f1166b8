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
// Environment: see the Env* constants of package alerting.
package main

import (
	"context"
	"errors"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/trailguard/trailguard/alerting"
	"github.com/trailguard/trailguard/detect"
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
}

func newHandler(ctx context.Context, getenv func(string) string, log *slog.Logger) (*handler, error) {
	engine, err := alerting.LoadEngine(getenv)
	if err != nil {
		return nil, err
	}
	pub, store, thresholds, err := alerting.FromEnv(ctx, getenv)
	if err != nil {
		return nil, err
	}
	return &handler{engine: engine, proc: alerting.NewSharedProcessor(engine, pub, store, thresholds, log), log: log}, nil
}

// handle processes the batch in order and stops at the first record that fails, reporting
// it: Lambda retries the batch from that record (the records before it are done, the ones
// after it not yet).
func (h *handler) handle(ctx context.Context, ev events.KinesisEvent) (events.KinesisEventResponse, error) {
	var resp events.KinesisEventResponse
	var alerts, dups, ignored int
	for _, r := range ev.Records {
		res, err := h.proc.Process(ctx, r.Kinesis.Data)
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
	stats := h.proc.Stats()
	h.log.Info("batch", "records", len(ev.Records), "alerts", alerts, "duplicates", dups, "ignored", ignored,
		"failed", len(resp.BatchItemFailures), "ruleFailures", stats.EvalErrors)
	return resp, nil
}
