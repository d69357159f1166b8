// Command archiveconsumer is the archive detection function: a Lambda function (runtime
// provided.al2023, arm64) reading the queue the log archive bucket notifies of each new
// CloudTrail log file (AWSLogs/..., .json.gz). It reads each file ({"Records": [...]},
// gzipped), evaluates every record with the rules (the defaults of package detect and the
// users' rules bundled in the asset: alerting.LoadEngine), and publishes each alert to the
// alert topic and the integrations bus once (package alerting), whichever of this function
// and the stream function sees the event first. Read-only events, data
// events and everything else EventBridge does not deliver are detected here.
//
// Failures are reported per message (ReportBatchItemFailures): a message whose file could not
// be read or whose alerts could not be published is received again after the queue's
// visibility timeout, its alerts already published skipped by the dedupe table, and after the
// queue's maximum receives it moves to the dead-letter queue.
//
// With a coverage table (coverage.EnvTable), the function also records each log file's
// account and region and the time of its latest activity (coverage.Activity) as archive
// activity, one write per pair per invocation, after the batch's files are evaluated: the
// coverage monitor alerts on activity in a region no forwarder covers. A failed write fails
// the messages that named the pair, like a failed publish: detection is never held back
// (the files were evaluated before, and a retry finds their alerts claimed), and the
// signal survives a transient error through the queue's retries, or a lasting one (a
// broken grant or key) through the dead-letter queue, whose alarm says so and whose redrive
// records it. Logging the failure instead would lose the signal for good: one call in an
// uncovered region makes one log file, which nothing reads again.
//
// Environment: see the Env* constants of package alerting, and coverage.EnvTable.
package main

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/trailguard/trailguard/coverage"
	"github.com/trailguard/trailguard/internal/alerting"
)

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	ctx := context.Background()
	h, err := newHandler(ctx, os.Getenv, log)
	if err != nil {
		log.Error("archiveconsumer: cannot start", "error", err)
		os.Exit(1)
	}
	lambda.StartWithOptions(h.handle, lambda.WithContext(ctx))
}

// S3API is the part of the S3 client the function uses.
type S3API interface {
	GetObject(ctx context.Context, in *s3.GetObjectInput, opts ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}

// handler adapts queue messages of S3 notifications to the processor.
type handler struct {
	s3   S3API
	proc *alerting.Processor
	log  *slog.Logger
	// activity records the log files' archive activity in the coverage table; nil without
	// one.
	activity activityRecorder
}

// activityRecorder is what the handler needs of coverage.Table.
type activityRecorder interface {
	RecordArchive(ctx context.Context, a coverage.ArchiveActivity) error
}

func newHandler(ctx context.Context, getenv func(string) string, log *slog.Logger) (*handler, error) {
	fn, err := alerting.NewFunction(ctx, getenv, log)
	if err != nil {
		return nil, err
	}
	h := &handler{s3: s3.NewFromConfig(fn.AWS), proc: fn.Processor, log: log}
	if table := getenv(coverage.EnvTable); table != "" {
		h.activity = &coverage.Table{Client: dynamodb.NewFromConfig(fn.AWS), Name: table}
	}
	return h, nil
}

// handle processes each message, then records the batch's archive activity (one write per
// pair, its latest time), and reports the messages that failed.
func (h *handler) handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	var resp events.SQSEventResponse
	failed := map[string]bool{}
	fail := func(id string, err error) {
		if !failed[id] {
			failed[id] = true
			h.log.Warn("message failed: received again after the visibility timeout", "messageId", id, "error", err)
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: id})
		}
	}
	type pairActivity struct {
		at       coverage.ArchiveActivity
		messages []string
	}
	var pairs []*pairActivity // in the order first seen
	byPair := map[coverage.Pair]*pairActivity{}
	for _, m := range ev.Records {
		// Threshold rules are counted for the message's log files at its end
		// (alerting.Processor.Flush), and fail the message with them.
		acts, err := h.message(ctx, m.MessageId, m.Body)
		if _, ferr := h.proc.Flush(ctx, m.MessageId); ferr != nil {
			err = errors.Join(err, ferr)
		}
		for _, a := range acts {
			p := byPair[a.Pair]
			if p == nil {
				p = &pairActivity{at: a}
				byPair[a.Pair] = p
				pairs = append(pairs, p)
			}
			if a.At.After(p.at.At) {
				p.at.At = a.At
			}
			p.messages = append(p.messages, m.MessageId)
		}
		if err != nil {
			fail(m.MessageId, err)
		}
	}
	for _, p := range pairs {
		if err := h.activity.RecordArchive(ctx, p.at); err != nil {
			for _, id := range p.messages {
				fail(id, err)
			}
		}
	}
	return resp, nil
}

// message processes the log files one S3 notification names, and returns their archive
// activity (none without a coverage table). messageID owns the leases of their alerts
// (alerting.Processor.Process): a message is invisible while it is processed, so only its
// own retry can hold them at once.
func (h *handler) message(ctx context.Context, messageID, body string) ([]coverage.ArchiveActivity, error) {
	var n events.S3Event
	if err := json.Unmarshal([]byte(body), &n); err != nil {
		return nil, fmt.Errorf("not an S3 notification: %w", err)
	}
	var acts []coverage.ArchiveActivity
	var errs []error
	for _, r := range n.Records {
		if !strings.HasPrefix(r.EventName, "ObjectCreated:") {
			continue
		}
		key, err := url.QueryUnescape(r.S3.Object.Key) // keys arrive URL-encoded, spaces as +
		if err != nil {
			errs = append(errs, fmt.Errorf("object key %q: %w", r.S3.Object.Key, err))
			continue
		}
		if !IsLogFile(key) {
			continue
		}
		act, err := h.file(ctx, messageID, r.S3.Bucket.Name, key)
		if err != nil {
			errs = append(errs, fmt.Errorf("s3://%s/%s: %w", r.S3.Bucket.Name, key, err))
		}
		if !act.At.IsZero() {
			acts = append(acts, act)
		}
	}
	return acts, errors.Join(errs...)
}

// IsLogFile reports whether key is a CloudTrail log file: AWSLogs/.../CloudTrail/....json.gz,
// not a digest (CloudTrail-Digest), an Insights file (CloudTrail-Insight) or anything else.
func IsLogFile(key string) bool {
	return strings.HasPrefix(key, "AWSLogs/") && strings.Contains(key, "/CloudTrail/") && strings.HasSuffix(key, ".json.gz")
}

// file reads one gzipped CloudTrail log file and processes its records. A record that cannot
// be decoded is logged and skipped: the file is CloudTrail's, retrying cannot change it, and
// the record stays in the archive. With a coverage table it returns the file's activity: its
// key's account and region and its latest activity's time (zero At when none).
func (h *handler) file(ctx context.Context, messageID, bucket, key string) (coverage.ArchiveActivity, error) {
	var act coverage.ArchiveActivity
	out, err := h.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return act, err
	}
	defer out.Body.Close()
	// An unreadable file fails the message: a broken download looks the same as a broken
	// file, and after the queue's retries the message waits in the dead-letter queue.
	records, err := readLogFile(out.Body)
	if err != nil {
		return act, fmt.Errorf("read log file: %w", err)
	}
	pair, recordActivity := coverage.ParseLogKey(key)
	recordActivity = recordActivity && h.activity != nil
	var errs []error
	alerts, dups := 0, 0
	for i, raw := range records {
		if recordActivity {
			if at, ok := coverage.Activity(raw); ok && at.After(act.At) {
				act = coverage.ArchiveActivity{Pair: pair, At: at}
			}
		}
		res, err := h.proc.Process(ctx, messageID, raw)
		alerts, dups = alerts+res.Alerts, dups+res.Duplicates
		switch {
		case errors.Is(err, alerting.ErrRecord):
			h.log.Error("undecodable record: skipped", "bucket", bucket, "key", key, "index", i, "error", err)
		case err != nil:
			errs = append(errs, err)
		}
	}
	h.log.Info("log file", "bucket", bucket, "key", key, "records", len(records), "alerts", alerts, "duplicates", dups, "failed", len(errs))
	return act, errors.Join(errs...)
}

// readLogFile decodes a gzipped CloudTrail log file into its records.
func readLogFile(r io.Reader) ([]json.RawMessage, error) {
	gz, err := gzip.NewReader(r)
	if err != nil {
		return nil, err
	}
	defer gz.Close()
	var f struct {
		Records []json.RawMessage `json:"Records"`
	}
	if err := json.NewDecoder(gz).Decode(&f); err != nil {
		return nil, err
	}
	return f.Records, nil
}
