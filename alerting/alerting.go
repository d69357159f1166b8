// Package alerting is what the detection functions share around the engine (package detect):
// publishing an alert to the alert topic and to the integrations bus, and the dedupe store
// both functions write, so that an event alerts once whichever path sees it first.
//
// With shared threshold counts (NewSharedProcessor and a DynamoThresholds) the threshold
// rules are counted for a whole batch at Processor.Flush, and their alerts come then.
//
// It uses the AWS SDK through small interfaces (SNSAPI, EventBridgeAPI, DynamoDBAPI) so that
// the functions' tests run on fakes; no CDK.
//
// Order of work for each alert (Processor.Process): claim its dedupe key with a conditional
// put, publish, and release the claim if publishing failed, so that the retry of the record
// alerts. An alert is published at least once: when the topic accepted it and the bus did
// not, the retry publishes it to the topic again.
package alerting

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/trailguard/trailguard/detect"
)

// Environment variables the functions read (set by the construct that deploys them).
const (
	// EnvTopicARN is the alert topic's ARN.
	EnvTopicARN = "TRAILGUARD_ALERT_TOPIC_ARN"
	// EnvBusName is the name of the event bus alerts are put on for integrations.
	EnvBusName = "TRAILGUARD_ALERT_BUS_NAME"
	// EnvDedupeTable is the dedupe table's name; without it each function instance
	// deduplicates only in memory.
	EnvDedupeTable = "TRAILGUARD_DEDUPE_TABLE"
	// EnvDisabledRules is a comma-separated list of the ids of rules turned off
	// (the config's detection.disabledRules). Default: none.
	EnvDisabledRules = "TRAILGUARD_DISABLED_RULES"
	// EnvRefreshAccounts, when "true", makes the functions add the accounts Organizations
	// lists (ListAccounts) to the organization context at cold start; a failure keeps the
	// baked accounts and is logged. Default: off (the accounts baked at synth).
	EnvRefreshAccounts = "TRAILGUARD_REFRESH_ACCOUNTS"
)

// RulesDir is the directory beside the function's binary (in its asset) holding the users'
// rule files, loaded after the default rules.
const RulesDir = "rules"

// ContextFile is the file beside the function's binary (in its asset) holding the
// organization context (detect.Context as JSON) the rules judge records in, baked at synth
// from the config. Without it only each record's own account is the organization's.
const ContextFile = "organization.json"

// Event fields of the alerts put on the bus.
const (
	// EventSource is the source of alert events.
	EventSource = "trailguard.detect"
	// EventDetailType is the detail-type of alert events; the detail is the alert.
	EventDetailType = "trailguard alert"
)

// Size limits of one SNS message and one PutEvents entry (256 KiB each), less room for the
// envelope and attributes.
const maxMessage = 250 * 1024

// MaxSubject is the longest SNS subject: fewer than 100 characters.
const MaxSubject = 99

// SNSAPI is the part of the SNS client the publisher uses.
type SNSAPI interface {
	Publish(ctx context.Context, in *sns.PublishInput, opts ...func(*sns.Options)) (*sns.PublishOutput, error)
}

// EventBridgeAPI is the part of the EventBridge client the publisher uses.
type EventBridgeAPI interface {
	PutEvents(ctx context.Context, in *eventbridge.PutEventsInput, opts ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error)
}

// Publisher sends alerts to the alert topic and the integrations bus.
type Publisher struct {
	// SNS and TopicARN: the alert topic. Required.
	SNS      SNSAPI
	TopicARN string
	// Events and BusName: the bus alerts are put on for integrations. Default: none.
	Events  EventBridgeAPI
	BusName string
}

// Publish sends a to the topic and then to the bus. The message is the alert's JSON (the
// CloudTrail record included, unless that would exceed the message size limit); the subject
// is Subject(a); the message attributes severity, rule and account let subscriptions filter.
func (p *Publisher) Publish(ctx context.Context, a *detect.Alert) error {
	body, err := Body(a)
	if err != nil {
		return err
	}
	_, err = p.SNS.Publish(ctx, &sns.PublishInput{
		TopicArn: aws.String(p.TopicARN),
		Subject:  aws.String(Subject(a)),
		Message:  aws.String(string(body)),
		MessageAttributes: map[string]snstypes.MessageAttributeValue{
			"severity": {DataType: aws.String("String"), StringValue: aws.String(a.Severity.String())},
			"rule":     {DataType: aws.String("String"), StringValue: aws.String(a.Rule)},
			"account":  {DataType: aws.String("String"), StringValue: aws.String(nonEmpty(a.AccountID))},
		},
	})
	if err != nil {
		return fmt.Errorf("publish %s to the alert topic: %w", a.DedupeKey, err)
	}
	if p.Events == nil || p.BusName == "" {
		return nil
	}
	out, err := p.Events.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{{
		EventBusName: aws.String(p.BusName),
		Source:       aws.String(EventSource),
		DetailType:   aws.String(EventDetailType),
		Detail:       aws.String(string(body)),
	}}})
	if err != nil {
		return fmt.Errorf("put %s on bus %s: %w", a.DedupeKey, p.BusName, err)
	}
	if out.FailedEntryCount > 0 {
		msg := "unknown error"
		if len(out.Entries) > 0 && out.Entries[0].ErrorCode != nil {
			msg = *out.Entries[0].ErrorCode + ": " + aws.ToString(out.Entries[0].ErrorMessage)
		}
		return fmt.Errorf("put %s on bus %s: %s", a.DedupeKey, p.BusName, msg)
	}
	return nil
}

func nonEmpty(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// Body is the alert's JSON. When it is too large for one message, the record is replaced by
// {"omitted": "<reason>", "bytes": N}: the alert's other fields identify the event in the
// archive.
func Body(a *detect.Alert) ([]byte, error) {
	body, err := json.Marshal(a)
	if err != nil {
		return nil, fmt.Errorf("encode alert %s: %w", a.DedupeKey, err)
	}
	if len(body) <= maxMessage {
		return body, nil
	}
	short := *a
	short.Record = json.RawMessage(fmt.Sprintf(`{"omitted":"too large for one message; find the record by eventID in the archive","bytes":%d}`, len(a.Record)))
	if short.Threshold != nil && len(short.Threshold.EventIDs) > 100 {
		th := *short.Threshold
		th.EventIDs = th.EventIDs[len(th.EventIDs)-100:]
		short.Threshold = &th
	}
	return json.Marshal(&short)
}

// Subject is the SNS subject of an alert: severity, rule, account, region and principal, in
// ASCII, shortened to MaxSubject characters (the principal goes first). The principal is
// shortened to what follows its account in the ARN, since the account is in the subject.
func Subject(a *detect.Alert) string {
	principal := a.Principal
	if rest, ok := strings.CutPrefix(principal, "arn:"); ok {
		// arn:partition:service:region:account:resource
		if parts := strings.SplitN(rest, ":", 5); len(parts) == 5 {
			principal = parts[4]
		}
	}
	s := fmt.Sprintf("[%s] %s %s %s %s", strings.ToUpper(a.Severity.String()), a.Rule, nonEmpty(a.AccountID), nonEmpty(a.Region), nonEmpty(principal))
	var b strings.Builder
	for _, r := range s {
		if r < 0x20 || r > 0x7e {
			r = '?'
		}
		b.WriteRune(r)
	}
	s = b.String()
	if len(s) > MaxSubject {
		s = s[:MaxSubject-3] + "..."
	}
	return s
}

// Store remembers the dedupe keys of the alerts published.
type Store interface {
	// Claim records key and reports whether it was new: only the caller that claims a key
	// publishes its alert.
	Claim(ctx context.Context, key string) (bool, error)
	// Release forgets key, after its alert failed to publish.
	Release(ctx context.Context, key string) error
}

// MemoryStore is a Store for one process.
type MemoryStore map[string]struct{}

// Claim implements Store.
func (m MemoryStore) Claim(_ context.Context, key string) (bool, error) {
	if _, ok := m[key]; ok {
		return false, nil
	}
	m[key] = struct{}{}
	return true, nil
}

// Release implements Store.
func (m MemoryStore) Release(_ context.Context, key string) error {
	delete(m, key)
	return nil
}

// everyAlert is a detect.DedupeStore that lets every alert through: the Processor
// deduplicates around publishing instead, so that a failed publish can be retried.
type everyAlert struct{}

func (everyAlert) FirstSeen(string) (bool, error) { return true, nil }

// Processor evaluates records with the engine and publishes their alerts, each dedupe key
// once. It keeps threshold state across calls and is not safe for concurrent use (a Lambda
// function instance handles one invocation at a time).
type Processor struct {
	detector  *detect.Detector
	publisher *Publisher
	store     Store
	log       *slog.Logger
}

// NewProcessor returns a Processor running engine, publishing with publisher and
// deduplicating in store (a MemoryStore when nil), counting thresholds in memory. log may be
// nil.
func NewProcessor(engine *detect.Engine, publisher *Publisher, store Store, log *slog.Logger) *Processor {
	return NewSharedProcessor(engine, publisher, store, nil, log)
}

// NewSharedProcessor is NewProcessor counting thresholds in thresholds (such as a
// DynamoThresholds that every function instance shares; in memory when nil).
func NewSharedProcessor(engine *detect.Engine, publisher *Publisher, store Store, thresholds detect.ThresholdStore, log *slog.Logger) *Processor {
	if store == nil {
		store = MemoryStore{}
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Processor{detector: detect.NewDetectorWith(engine, everyAlert{}, thresholds), publisher: publisher, store: store, log: log}
}

// Result counts what Process did with one record.
type Result struct {
	// Alerts were published; Duplicates were published before (by either path).
	Alerts, Duplicates int
	// Ignored is 1 for an EventBridge event that carries no CloudTrail record (another
	// detail-type forwarded with eventStream.extraDetailTypes): nothing to evaluate.
	Ignored int
}

// ErrRecord marks a record that cannot be decoded: retrying it cannot help, but the caller
// reports it as failed all the same so that it reaches the on-failure destination.
var ErrRecord = errors.New("undecodable record")

// Process evaluates one CloudTrail record (or an EventBridge event whose detail is one) and
// publishes its alerts. It returns an error, after publishing what it could, when the record
// must be retried: it is undecodable (wrapping ErrRecord), the dedupe or threshold store
// failed (both count a retried record once), or an
// alert could not be published (its claim released, so the retry publishes it).
func (p *Processor) Process(ctx context.Context, data []byte) (Result, error) {
	var res Result
	rec, err := detect.ParseRecord(data)
	if err != nil {
		if otherEvent(data) {
			res.Ignored = 1
			return res, nil
		}
		return res, fmt.Errorf("%w: %v", ErrRecord, err)
	}
	return p.ProcessRecord(ctx, rec)
}

// otherEvent reports whether data is an EventBridge event whose detail is an object but not
// a CloudTrail record.
func otherEvent(data []byte) bool {
	var ev struct {
		DetailType *string         `json:"detail-type"`
		Detail     json.RawMessage `json:"detail"`
	}
	if json.Unmarshal(data, &ev) != nil || ev.DetailType == nil {
		return false
	}
	var detail map[string]json.RawMessage
	if json.Unmarshal(ev.Detail, &detail) != nil || detail == nil {
		return false
	}
	_, hasName := detail["eventName"]
	return !hasName
}

// ProcessRecord is Process for a decoded record.
func (p *Processor) ProcessRecord(ctx context.Context, rec *detect.Record) (Result, error) {
	alerts, err := p.detector.Process(rec)
	if err != nil {
		return Result{}, err
	}
	return p.publish(ctx, alerts)
}

// Flush ends a batch (a stream batch, an archive message): with shared threshold counts (a
// detect.BatchThresholdStore such as DynamoThresholds) it counts the batch's observations of
// threshold rules, a few calls for the whole batch, and publishes their alerts; with counts
// in memory there is nothing to do. Call it after the batch's last record whatever happened
// to the others. An error means the batch must be retried from its first record: the counts
// take a record again once, and the alerts already published are duplicates then.
func (p *Processor) Flush(ctx context.Context) (Result, error) {
	alerts, err := p.detector.Flush()
	if err != nil {
		return Result{}, err
	}
	return p.publish(ctx, alerts)
}

// publish claims and publishes alerts, each once.
func (p *Processor) publish(ctx context.Context, alerts []*detect.Alert) (Result, error) {
	var res Result
	var errs []error
	for _, a := range alerts {
		first, err := p.store.Claim(ctx, a.DedupeKey)
		if err != nil {
			errs = append(errs, fmt.Errorf("claim %s: %w", a.DedupeKey, err))
			continue
		}
		if !first {
			res.Duplicates++
			continue
		}
		if err := p.publisher.Publish(ctx, a); err != nil {
			if rerr := p.store.Release(ctx, a.DedupeKey); rerr != nil {
				// The alert is lost to the retries: say so loudly, with the alert.
				p.log.Error("alert not published and its claim not released: it will not be retried",
					"dedupeKey", a.DedupeKey, "error", err, "releaseError", rerr, "alert", a)
			}
			errs = append(errs, err)
			continue
		}
		res.Alerts++
		p.log.Info("alert", "dedupeKey", a.DedupeKey, "severity", a.Severity.String(), "account", a.AccountID, "region", a.Region)
	}
	return res, errors.Join(errs...)
}

// Stats returns the detector's counts, rule failures included.
func (p *Processor) Stats() detect.Stats { return p.detector.Stats() }
