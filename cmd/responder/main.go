// Command responder is the automatic response function (docs/response.md): a Lambda function
// (runtime provided.al2023, arm64) reading the responder queue, to which the detection
// functions send the alerts of rules that carry a response (alerting.ResponderTarget). For
// each alert it decides with the same code as `trailguard respond --dry-run`
// (respond.Decider), applies the rate limit and circuit breaker (respond.Policy.Throttle,
// counts in the responder table), re-reads the resource through the trailguard-responder
// role of the alert's account and acts only if it is still wrong and the action is in
// enforce mode (package internal/respond/execute), and publishes an audit alert (rule
// trailguard-response) with the before and after state to the alert topic and bus. A skip
// for an exemption, or for a deployment's change a restoring action leaves alone, gets an
// audit alert too (respond.Decision.Audited); the other skips are logged, each decision whole.
//
// A message whose processing failed (the state could not be read, the action failed) is
// reported as failed (ReportBatchItemFailures) and retried by SQS, then moved to the
// dead-letter queue; every action is idempotent, so a retry finds nothing left to do.
//
// Environment: alerting.EnvTopicARN and alerting.EnvBusName (the audit alerts),
// respond.EnvTable, respond.EnvPartition; the rules as the detection functions load them
// (alerting.LoadEngine). Files bundled beside the binary: the response config
// (respond.ConfigFile), the users' rules (alerting.RulesDir), the deployed definitions
// (deployed.File) and the organization context (alerting.ContextFile: its deployers say which
// calls were deployments, as they do for the detection functions).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/trailguard/trailguard/deployed"
	"github.com/trailguard/trailguard/detect"
	"github.com/trailguard/trailguard/internal/alerting"
	"github.com/trailguard/trailguard/internal/respond"
	"github.com/trailguard/trailguard/internal/respond/action"
	"github.com/trailguard/trailguard/internal/respond/execute"
)

// AuditRule is the rule id of the audit alerts.
const AuditRule = "trailguard-response"

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	ctx := context.Background()
	h, err := newHandler(ctx, os.Getenv, log)
	if err != nil {
		log.Error("responder: cannot start", "error", err)
		os.Exit(1)
	}
	lambda.StartWithOptions(h.handle, lambda.WithContext(ctx))
}

type handler struct {
	decider *respond.Decider
	exec    *execute.Executor
	ledger  execute.Ledger
	pub     *alerting.Publisher
	log     *slog.Logger
	now     func() time.Time
}

func newHandler(ctx context.Context, getenv func(string) string, log *slog.Logger) (*handler, error) {
	engine, err := alerting.LoadEngine(getenv)
	if err != nil {
		return nil, err
	}
	root, err := alerting.TaskRoot(getenv)
	if err != nil {
		return nil, err
	}
	resp, err := respond.LoadConfig(root)
	if err != nil {
		return nil, err
	}
	partition := getenv(respond.EnvPartition)
	if partition == "" {
		partition = "aws"
	}
	cfg, err := alerting.LoadAWSConfig(ctx)
	if err != nil {
		return nil, err
	}
	pub, _, _, err := alerting.FromEnv(ctx, cfg, getenv)
	if err != nil {
		return nil, err
	}
	defs, err := loadDeployed(getenv)
	if err != nil {
		return nil, err
	}
	if defs == nil {
		log.Warn("responder: no " + deployed.File + " in the bundle: the restoring actions leave trails and rules as they are")
	}
	var ledger execute.Ledger = &execute.MemoryLedger{}
	if table := getenv(respond.EnvTable); table != "" {
		ledger = &execute.DynamoLedger{Client: dynamodb.NewFromConfig(cfg), Table: table}
	}
	return &handler{
		decider: respond.NewDecider(engine, &respond.Policy{Response: resp, Partition: partition}),
		exec:    &execute.Executor{Clients: execute.AssumeRoleClients(cfg, partition), Deployed: defs, Partition: partition},
		ledger:  ledger,
		pub:     pub,
		log:     log,
		now:     time.Now,
	}, nil
}

// loadDeployed reads the deployed definitions synth bundled beside the binary
// ($LAMBDA_TASK_ROOT, else the executable's directory, as the rules); nil without the file.
func loadDeployed(getenv func(string) string) (*deployed.Definitions, error) {
	root := getenv("LAMBDA_TASK_ROOT")
	if root == "" {
		exe, err := os.Executable()
		if err != nil {
			return nil, err
		}
		root = filepath.Dir(exe)
	}
	b, err := os.ReadFile(filepath.Join(root, deployed.File))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return deployed.Parse(b)
}

// handle processes each message on its own and reports the failed ones for SQS to retry.
func (h *handler) handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	var resp events.SQSEventResponse
	for _, m := range ev.Records {
		if err := h.message(ctx, []byte(m.Body)); err != nil {
			h.log.Warn("alert not handled: retried", "messageId", m.MessageId, "error", err)
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
		}
	}
	return resp, nil
}

// message handles one alert.
func (h *handler) message(ctx context.Context, body []byte) error {
	var a detect.Alert
	if err := json.Unmarshal(body, &a); err != nil {
		return fmt.Errorf("not an alert: %w", err)
	}
	d, err := h.decider.Decide(&a)
	if err != nil {
		return err
	}
	// Every decision is logged whole, as `trailguard respond --dry-run --format json` prints
	// it: the same decisions, comparable line for line.
	h.log.Info("decision", "decision", d)
	if !d.Act {
		if !d.Audited() {
			return nil
		}
		// An exemption, or a deployment's change left alone, is a decision to trace: it gets
		// an audit alert of its own.
		audit, err := auditAlert(&a, execute.Outcome{Decision: d, Result: execute.Skipped}, false)
		if err != nil {
			return err
		}
		return h.pub.Publish(ctx, audit)
	}
	counts, err := h.ledger.Counts(ctx, d.Target, h.now().Add(-execute.Window))
	if err != nil {
		return err
	}
	d, tripped := h.decider.Policy().Throttle(d, counts)
	start := h.now()
	out, err := h.exec.Execute(ctx, d)
	if err != nil {
		return err
	}
	if out.Result == execute.Acted {
		if err := h.ledger.Record(ctx, d.Target, d.AlertID, start); err != nil {
			return err
		}
	}
	h.log.Info("response", "alertId", d.AlertID, "action", d.Action, "mode", d.Mode, "result", out.Result, "target", d.Target.String(),
		"tripped", tripped, "ms", float64(h.now().Sub(start).Microseconds())/1000)
	audit, err := auditAlert(&a, out, tripped)
	if err != nil {
		return err
	}
	return h.pub.Publish(ctx, audit)
}

// audit is the response member of an audit alert.
type audit struct {
	execute.Outcome
	// Undo says how to reverse the action.
	Undo string `json:"undo,omitempty"`
	// CircuitBreaker is set when the rate limit switched the action to dry-run.
	CircuitBreaker bool `json:"circuitBreaker,omitempty"`
}

// auditAlert is the alert that records an execution: the triggering alert's event, account
// and principal, the triggering record, and the outcome. Its ID is
// "trailguard-response/<the triggering alert's ID>", so that a retry publishes the same ID.
func auditAlert(a *detect.Alert, o execute.Outcome, tripped bool) (*detect.Alert, error) {
	d := o.Decision
	spec, _ := action.Lookup(d.Action)
	body, err := json.Marshal(audit{Outcome: o, Undo: spec.Undo, CircuitBreaker: tripped})
	if err != nil {
		return nil, err
	}
	sev, title := detect.Info, ""
	switch o.Result {
	case execute.Acted:
		sev, title = detect.Medium, fmt.Sprintf("Response %s done on %s", d.Action, d.Target)
	case execute.WouldAct:
		sev, title = detect.Low, fmt.Sprintf("Response %s would act on %s (dry-run)", d.Action, d.Target)
	case execute.AlreadyRight:
		title = fmt.Sprintf("Response %s: %s is already right, nothing done", d.Action, d.Target)
	case execute.Gone:
		title = fmt.Sprintf("Response %s: %s no longer exists", d.Action, d.Target)
	default:
		title = fmt.Sprintf("Response %s skipped on %s: %s", d.Action, d.Target, d.Reason)
	}
	key := AuditRule + "/" + a.DedupeKey
	if tripped {
		sev = detect.High
		title = fmt.Sprintf("Response circuit breaker tripped on %s: switched to dry-run", d.Target)
		if o.Stack != "" {
			title += "; CloudFormation stack " + o.Stack + " keeps changing it: fix the template"
		}
	}
	return &detect.Alert{
		Rule: AuditRule, Severity: sev, Title: strings.TrimSpace(title), DedupeKey: key,
		EventID: a.EventID, EventName: a.EventName, EventSource: a.EventSource, EventTime: a.EventTime,
		AccountID: d.Target.Account, Region: d.Target.Region, Principal: a.Principal,
		SourceIPAddress: a.SourceIPAddress, UserAgent: a.UserAgent,
		Response: body, Record: a.Record,
	}, nil
}
