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
// Each alert is delivered under a lease of its dedupe key (Store, delivery.go): every target
// gets it at least once, each once unless the transport itself copies it, and every message
// carries the alert ID (docs/detection.md, "Delivery").
package alerting

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/trailguard/trailguard/detect"
	"github.com/trailguard/trailguard/internal/alertspec"
)

// Environment variables the functions read (set by the construct that deploys them). They
// are defined in internal/alertspec, which the constructs import without the AWS SDK.
const (
	// EnvTopicARN is the alert topic's ARN.
	EnvTopicARN = alertspec.EnvTopicARN
	// EnvBusName is the name of the event bus alerts are put on for integrations.
	EnvBusName = alertspec.EnvBusName
	// EnvDedupeTable is the dedupe table's name; without it each function instance
	// deduplicates only in memory.
	EnvDedupeTable = alertspec.EnvDedupeTable
	// EnvDisabledRules is a comma-separated list of the ids of rules turned off
	// (the config's detection.disabledRules). Default: none.
	EnvDisabledRules = alertspec.EnvDisabledRules
	// EnvRefreshAccounts, when "true", makes the functions add the accounts Organizations
	// lists (ListAccounts) to the organization context at cold start; a failure keeps the
	// baked accounts and is logged. Default: off (the accounts baked at synth).
	EnvRefreshAccounts = alertspec.EnvRefreshAccounts
)

// RulesDir is the directory beside the function's binary (in its asset) holding the users'
// rule files, loaded after the default rules.
const RulesDir = alertspec.RulesDir

// ContextFile is the file beside the function's binary (in its asset) holding the
// organization context (detect.Context as JSON) the rules judge records in, baked at synth
// from the config. Without it only each record's own account is the organization's.
const ContextFile = alertspec.ContextFile

// Event fields of the alerts put on the bus.
const (
	// EventSource is the source of alert events.
	EventSource = alertspec.EventSource
	// EventDetailType is the detail-type of alert events; the detail is the alert.
	EventDetailType = alertspec.EventDetailType
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

// Names of the targets an alert is delivered to, recorded per alert in the Store.
const (
	// TargetTopic is the alert topic.
	TargetTopic = "topic"
	// TargetBus is the integrations bus.
	TargetBus = "bus"
)

// AlertIDAttribute is the SNS message attribute that carries the alert's ID (its dedupe
// key, also the "dedupeKey" member of the message and of the bus event's detail): a
// subscriber drops a message whose ID it has seen, the duplicates no producer can prevent
// (a standard topic that accepted a request whose response was lost, a function that died
// between a target's acceptance and recording it).
const AlertIDAttribute = "alertId"

// Target is one place alerts are delivered to. Its name is recorded per alert once it
// accepted the alert, so that a retry sends only to the targets that did not.
type Target interface {
	// Name identifies the target in the delivery state: stable across versions.
	Name() string
	// Deliver sends the alert, whose JSON is body (see Body).
	Deliver(ctx context.Context, a *detect.Alert, body []byte) error
}

// Publisher sends alerts to the alert topic and the integrations bus.
type Publisher struct {
	// SNS and TopicARN: the alert topic. Required.
	SNS      SNSAPI
	TopicARN string
	// Events and BusName: the bus alerts are put on for integrations. Default: none.
	Events  EventBridgeAPI
	BusName string
	// Extra are further targets, delivered after the bus, such as the ResponderTarget.
	// Default: none.
	Extra []Target
}

// targets are the publisher's targets, in delivery order: the topic, then the bus.
func (p *Publisher) targets() []Target {
	ts := []Target{&topicTarget{p}}
	if p.Events != nil && p.BusName != "" {
		ts = append(ts, &busTarget{p})
	}
	return append(ts, p.Extra...)
}

// Publish sends a to every target, in order, stopping at the first that fails. The
// functions deliver through a Processor instead, which records each target's outcome.
func (p *Publisher) Publish(ctx context.Context, a *detect.Alert) error {
	body, err := Body(a)
	if err != nil {
		return err
	}
	for _, t := range p.targets() {
		if err := t.Deliver(ctx, a, body); err != nil {
			return err
		}
	}
	return nil
}

// topicTarget publishes to the alert topic. The message is the alert's JSON; the subject is
// Subject(a); the message attributes severity, rule and account let subscriptions filter,
// and alertId identifies the alert. On a FIFO topic the alert ID also deduplicates (SNS
// drops a message whose deduplication ID it saw in the last 5 minutes:
// https://docs.aws.amazon.com/sns/latest/dg/fifo-message-dedup.html).
type topicTarget struct{ p *Publisher }

func (t *topicTarget) Name() string { return TargetTopic }

func (t *topicTarget) Deliver(ctx context.Context, a *detect.Alert, body []byte) error {
	in := &sns.PublishInput{
		TopicArn: aws.String(t.p.TopicARN),
		Subject:  aws.String(Subject(a)),
		Message:  aws.String(string(body)),
		MessageAttributes: map[string]snstypes.MessageAttributeValue{
			"severity":       {DataType: aws.String("String"), StringValue: aws.String(a.Severity.String())},
			"rule":           {DataType: aws.String("String"), StringValue: aws.String(a.Rule)},
			"account":        {DataType: aws.String("String"), StringValue: aws.String(nonEmpty(a.AccountID))},
			AlertIDAttribute: {DataType: aws.String("String"), StringValue: aws.String(a.DedupeKey)},
		},
	}
	if strings.HasSuffix(t.p.TopicARN, ".fifo") {
		sum := sha256.Sum256([]byte(a.DedupeKey))
		in.MessageDeduplicationId = aws.String(hex.EncodeToString(sum[:]))
		in.MessageGroupId = aws.String(a.Rule)
	}
	if _, err := t.p.SNS.Publish(ctx, in); err != nil {
		return fmt.Errorf("publish %s to the alert topic: %w", a.DedupeKey, err)
	}
	return nil
}

// busTarget puts the alert on the integrations bus: source EventSource, detail-type
// EventDetailType, the alert's JSON as the detail (its dedupeKey member is the alert ID).
type busTarget struct{ p *Publisher }

func (t *busTarget) Name() string { return TargetBus }

func (t *busTarget) Deliver(ctx context.Context, a *detect.Alert, body []byte) error {
	out, err := t.p.Events.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{{
		EventBusName: aws.String(t.p.BusName),
		Source:       aws.String(EventSource),
		DetailType:   aws.String(EventDetailType),
		Detail:       aws.String(string(body)),
	}}})
	if err != nil {
		return fmt.Errorf("put %s on bus %s: %w", a.DedupeKey, t.p.BusName, err)
	}
	if out.FailedEntryCount > 0 {
		msg := "unknown error"
		if len(out.Entries) > 0 && out.Entries[0].ErrorCode != nil {
			msg = *out.Entries[0].ErrorCode + ": " + aws.ToString(out.Entries[0].ErrorMessage)
		}
		return fmt.Errorf("put %s on bus %s: %s", a.DedupeKey, t.p.BusName, msg)
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

// everyAlert is a detect.DedupeStore that lets every alert through: the Processor
// deduplicates around publishing instead, so that a failed publish can be retried.
type everyAlert struct{}

func (everyAlert) FirstSeen(string) (bool, error) { return true, nil }

// Processor evaluates records with the engine and delivers their alerts to the publisher's
// targets, each alert once per target across retries, instances and both functions as far
// as the store allows (see Store). It keeps threshold state across calls and is not safe for
// concurrent use (a Lambda function instance handles one invocation at a time).
type Processor struct {
	detector  *detect.Detector
	publisher *Publisher
	store     Store
	log       *slog.Logger
	now       func() time.Time
}

// NewProcessor returns a Processor running engine, publishing with publisher and keeping the
// delivery state in store (a MemoryStore when nil), counting thresholds in memory. log may be
// nil.
func NewProcessor(engine *detect.Engine, publisher *Publisher, store Store, log *slog.Logger) *Processor {
	return NewSharedProcessor(engine, publisher, store, nil, log)
}

// NewSharedProcessor is NewProcessor counting thresholds in thresholds (such as a
// DynamoThresholds that every function instance shares; in memory when nil).
func NewSharedProcessor(engine *detect.Engine, publisher *Publisher, store Store, thresholds detect.ThresholdStore, log *slog.Logger) *Processor {
	if store == nil {
		store = NewMemoryStore()
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Processor{detector: detect.NewDetectorWith(engine, everyAlert{}, thresholds), publisher: publisher, store: store, log: log, now: time.Now}
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
// delivers its alerts. source identifies the input that carried the record, the same on
// every retry of it and unique among inputs processed at the same time (a stream record's
// event ID, a queue message's ID): it owns the leases of the record's alerts, so that its
// retry takes them over at once. Process returns an error, after delivering what it could,
// when the record must be retried: it is undecodable (wrapping ErrRecord), the delivery
// state or threshold store failed (both count a retried record once), or an alert did not
// reach every target (the retry sends it to the others only).
func (p *Processor) Process(ctx context.Context, source string, data []byte) (Result, error) {
	var res Result
	rec, err := detect.ParseRecord(data)
	if err != nil {
		if otherEvent(data) {
			res.Ignored = 1
			return res, nil
		}
		return res, fmt.Errorf("%w: %v", ErrRecord, err)
	}
	return p.ProcessRecord(ctx, source, rec)
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
func (p *Processor) ProcessRecord(ctx context.Context, source string, rec *detect.Record) (Result, error) {
	alerts, err := p.detector.Process(rec)
	if err != nil {
		return Result{}, err
	}
	return p.publish(ctx, source, alerts)
}

// Flush ends a batch (a stream batch, an archive message): with shared threshold counts (a
// detect.BatchThresholdStore such as DynamoThresholds) it counts the batch's observations of
// threshold rules, a few calls for the whole batch, and delivers their alerts, owned by
// source (the batch's first record, the message); with counts in memory there is nothing to
// do. Call it after the batch's last record whatever happened to the others. An error means
// the batch must be retried from its first record: the counts take a record again once, and
// a burst is the same burst again (detect.ThresholdDedupeKey), delivered where it was not.
func (p *Processor) Flush(ctx context.Context, source string) (Result, error) {
	alerts, err := p.detector.Flush()
	if err != nil {
		return Result{}, err
	}
	return p.publish(ctx, source, alerts)
}

// publish delivers alerts, each once per target.
func (p *Processor) publish(ctx context.Context, source string, alerts []*detect.Alert) (Result, error) {
	var res Result
	var errs []error
	for _, a := range alerts {
		sent, err := p.deliver(ctx, source, a)
		switch {
		case err != nil:
			errs = append(errs, err)
		case sent:
			res.Alerts++
			p.log.Info("alert", "dedupeKey", a.DedupeKey, "severity", a.Severity.String(), "account", a.AccountID, "region", a.Region)
		default:
			res.Duplicates++
		}
	}
	return res, errors.Join(errs...)
}

// Stats returns the detector's counts, rule failures included.
func (p *Processor) Stats() detect.Stats { return p.detector.Stats() }
