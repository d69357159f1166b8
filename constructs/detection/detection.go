// Package detection deploys trailguard's detection functions in the Security account: the
// stream function (cmd/streamconsumer) reading the Kinesis stream of forwarded events, and,
// when the log archive is given, the archive function (cmd/archiveconsumer) reading the
// organization trail's log files as they arrive. Both run the detection engine (package
// detect) with the default rules (and the users', RuleFiles) and publish each alert to the alert topic and to the
// integrations bus (AlertBusName) once, whichever sees the event first, through one dedupe
// table (package internal/alerting).
//
// Nothing is lost silently: a record that keeps failing is retried, isolated by bisecting
// the batch, and recorded in an encrypted failure queue (retained, with an alarm on the alert
// topic); the shard moves on. Every role is least privilege: each KMS permission is scoped by
// kms:ViaService and the encryption context of the one resource it serves.
//
// Usage (as in the package example, which go test compiles): beside the sink (package
// eventsink) and, optionally, the log archive (package logarchive), which notifies the
// archive queue and lets the archive role decrypt, by their names:
//
//	sink := eventsink.NewEventSink(stack, jsii.String("EventSink"), &eventsink.EventSinkProps{ /* ... */ })
//	archive := logarchive.NewLogArchive(stack, jsii.String("LogArchive"), &logarchive.LogArchiveProps{
//		OrganizationId:  jsii.String("o-a1b2c3d4e5"),
//		TrailArn:        jsii.String("arn:aws:cloudtrail:eu-west-1:111111111111:trail/trailguard-org"),
//		BucketName:      jsii.String("trailguard-archive-222222222222"),
//		LogFileQueue: awssqs.Queue_FromQueueArn(stack, jsii.String("ArchiveQueue"),
//			jsii.String(detection.ArchiveQueueArn("aws", "eu-west-1", "222222222222"))),
//		LogFileReaders: jsii.Strings(detection.ArchiveRoleArn("aws", "222222222222")),
//	})
//	d := detection.NewDetection(stack, jsii.String("Detection"), &detection.DetectionProps{
//		Stream:        sink.Stream(),
//		StreamKey:     sink.StreamKey(),
//		AlertTopic:    sink.AlertTopic(),
//		AlertKey:      sink.AlertKey(),
//		ArchiveBucket: archive.Bucket(), // optional; its key comes with it
//	})
//	_ = d.AlertBus() // e.g. a rule sending critical alerts to a pager
//
// The construct makes the bucket's notification wait for the archive queue's policy (S3
// checks it). The guardrails (package guardrails) protect the functions by their roles
// (StreamRoleArn, ArchiveRoleArn: DetectionRoleArns) and the archive queue by its name
// (ArchiveFunctionName: DetectionQueueNames).
//
// Bring your own resources (as in the package's bringYourOwn example): give ExistingAlertBus
// instead of AlertBusName, ExistingFailureQueue, ExistingArchiveQueue. A bus or queue this app
// defines is checked for what the design depends on (RETAIN; for a queue a customer managed
// KMS key and 14 days' retention; for the archive queue a visibility timeout of at least the
// function's and a dead-letter queue) and gets S3's grants in its own policies. For an
// imported queue or key CDK cannot edit the policy (an AWS::SQS::QueuePolicy would replace
// the queue's whole policy): the construct leaves synth warnings with the statements to add,
// to acknowledge once they are in. A brought archive queue has its own ARN: pass it to the
// archive (logarchive's LogFileQueue), not one imported by ArchiveQueueArn; and the guardrails protect only
// queues and buses named trailguard-* (guardrails.GuardrailsProps.DetectionQueueNames):
//
//	archiveQueue := awssqs.Queue_FromQueueAttributes(stack, jsii.String("ArchiveQueue"), &awssqs.QueueAttributes{
//		QueueArn: jsii.String("arn:aws:sqs:eu-west-1:222222222222:trailguard-soc-log-files"),
//		KeyArn:   jsii.String("arn:aws:kms:eu-west-1:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab"),
//	})
//	// ... logarchive with LogFileQueue: archiveQueue
//	detection.NewDetection(stack, jsii.String("Detection"), &detection.DetectionProps{
//		Stream: sink.Stream(), StreamKey: sink.StreamKey(), AlertTopic: sink.AlertTopic(), AlertKey: sink.AlertKey(),
//		ExistingAlertBus:     bus,      // an awsevents.EventBus of the stack, retained
//		ExistingFailureQueue: failures, // an awssqs.Queue of the stack: KMS, 14 days, retained
//		ExistingArchiveQueue: archiveQueue,
//		ArchiveBucket:        archive.Bucket(),
//	})
//	// After adding the statements the warnings list to the queue's and its key's policies:
//	awscdk.Annotations_Of(stack).AcknowledgeWarning(jsii.String(detection.WarningArchiveQueuePolicy), jsii.String("statements added"))
//	awscdk.Annotations_Of(stack).AcknowledgeWarning(jsii.String(detection.WarningArchiveKeyPolicy), jsii.String("statements added"))
//
// An archive bucket this construct does not define (imported with awss3.Bucket_FromBucketName) cannot be
// made to notify the archive queue safely: S3 keeps one notification configuration per
// bucket and replaces it whole. The construct leaves the synth warning
// WarningArchiveBucketNotification with the queue configuration to add and the AWS CLI
// commands to add it; a bucket of the app that does not notify the queue gets the same.
//
// An imported log archive key (ArchiveKey) must let the archive function decrypt: unless a
// logarchive of the app asks for that statement (LogFileReaders, in its WarningKeyPolicy),
// the construct leaves WarningArchiveLogKeyPolicy with it.
//
// AlertKey must be AlertTopic's key: the functions' KMS permission names it. A topic that
// carries another key, or an imported topic beside a key this app creates (the sink's own
// AlertKey beside an ExistingAlertTopic), fails synth: import the topic with its key
// (awssns.Topic_FromTopicAttributes with KeyArn) and pass topic.MasterKey().
//
// Users' rule files: LoadRuleFiles reads a directory of them into RuleFiles.
//
// The rules judge records in the organization's context (package detect's Context): give
// OrganizationContext (detect.ContextFromConfig of a trailguard config) and it is baked into
// both functions' code beside the binary; RefreshOrganizationAccounts adds the accounts
// Organizations lists at cold start where the account may list them.
//
// The functions' key (Key) is always the construct's own: it encrypts the dedupe table and
// the log groups, whose key policy statements CloudWatch Logs needs.
package detection

import (
	"encoding/json"
	"fmt"
	"path"
	"regexp"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskinesis"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/trailguard/trailguard/compliance"
	"github.com/trailguard/trailguard/constructs/internal/check"
	"github.com/trailguard/trailguard/constructs/internal/delivery"
	"github.com/trailguard/trailguard/constructs/internal/fnrole"
	"github.com/trailguard/trailguard/constructs/internal/gobuild"
	"github.com/trailguard/trailguard/constructs/internal/keypolicy"
	"github.com/trailguard/trailguard/constructs/internal/managed"
	"github.com/trailguard/trailguard/constructs/internal/stackenv"
	"github.com/trailguard/trailguard/constructs/internal/topics"
	"github.com/trailguard/trailguard/detect"
	"github.com/trailguard/trailguard/internal/alertspec"
)

// Import paths of the functions' main packages, built at synth (package gobuild).
const (
	StreamConsumerPackage  = "github.com/trailguard/trailguard/cmd/streamconsumer"
	ArchiveConsumerPackage = "github.com/trailguard/trailguard/cmd/archiveconsumer"
)

// A synth that builds the functions of this package decides whether each is up to date in
// one go invocation with the other constructs' (see gobuild.Builder.Register).
func init() { gobuild.Default.Register(StreamConsumerPackage, ArchiveConsumerPackage) }

// Names of the resources, fixed so that the guardrails can protect them by name.
const (
	// DefaultAlertBusName is the integrations bus's default name.
	DefaultAlertBusName = "trailguard-alerts"
	// StreamFunctionName names the stream function, its role and its policy.
	StreamFunctionName = "trailguard-detect-stream"
	// ArchiveFunctionName names the archive function, its role, its policy and its queue.
	ArchiveFunctionName = "trailguard-detect-archive"
	// DedupeTableName names the dedupe table.
	DedupeTableName = "trailguard-detect-dedupe"
)

// What the functions put on the alert bus and look for beside their binary: a rule that
// matches AlertEventSource forwards every alert, and code of your own (StreamCode,
// ArchiveCode) bundles its rules and context where the functions read them.
const (
	// AlertEventSource is the source of every alert put on the alert bus.
	AlertEventSource = alertspec.EventSource
	// AlertDetailType is the detail-type of every alert put on the alert bus.
	AlertDetailType = alertspec.EventDetailType
	// RulesDir is the directory beside the function's binary that holds its rule files.
	RulesDir = alertspec.RulesDir
	// ContextFile is the file beside the function's binary that holds its organization context.
	ContextFile = alertspec.ContextFile
)

// Defaults of DetectionProps.
const (
	DefaultBatchSize         = 100
	DefaultBatchWindowSecond = 5
	DefaultRetryAttempts     = 10
	DefaultLogRetentionDays  = 365
	DefaultMemoryMiB         = 512
	// FailureRetentionDays is how long the failure queue keeps what failed: the SQS maximum.
	FailureRetentionDays = 14
	// ArchiveRetentionDays is how long the archive queue keeps a log file's notification.
	// Shorter than FailureRetentionDays: a message moved to a dead-letter queue keeps its
	// first enqueue time, so the failure queue keeps each one at least 7 days more
	// (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html).
	ArchiveRetentionDays = 7
	// ArchiveMaxReceives is how many times the archive queue delivers a message before it
	// moves to the failure queue.
	ArchiveMaxReceives = 5
	// ArchiveConcurrency bounds the archive function's concurrent invocations.
	ArchiveConcurrency = 5
	// LagAlarmMillis is the stream function's iterator age that raises an alarm.
	LagAlarmMillis = 10 * 60 * 1000
)

// functionTimeoutSeconds is the functions' timeout.
const functionTimeoutSeconds = 300

// DetectionProps configures Detection.
type DetectionProps struct {
	// Stream is the Kinesis stream of forwarded events (eventsink's Stream). Required.
	Stream awskinesis.IStream
	// StreamKey encrypts the stream; the stream function decrypts with it, through Kinesis
	// for this stream only. Required.
	StreamKey awskms.IKey
	// AlertTopic receives the alerts and the functions' alarms. Required.
	AlertTopic awssns.ITopic
	// AlertKey encrypts the alert topic; the functions publish through SNS with it, for this
	// topic only. It must be the topic's key: a topic that carries another key (MasterKey()),
	// or an imported topic beside a key this app creates, fails synth. Required.
	AlertKey awskms.IKey
	// AlertBusName is the custom event bus alerts are put on for integrations (source
	// AlertEventSource, detail-type AlertDetailType, the alert as detail). It is
	// created and retained. Unset with ExistingAlertBus.
	// Default: DefaultAlertBusName.
	AlertBusName *string
	// ExistingAlertBus is a custom event bus of this stack's account and region to put the
	// alerts on instead of a new one; AlertBusName must then be unset. One this app defines
	// must be retained (RemovalPolicy RETAIN). The functions put events with their roles'
	// identity policies: the bus's policy needs nothing. The guardrails protect only buses
	// named trailguard-*.
	// Default: a new bus named AlertBusName.
	ExistingAlertBus awsevents.IEventBus
	// ExistingFailureQueue is an SQS queue of this stack's account and region to hold what
	// failed detection instead of a new one (the stream mapping's on-failure destination, the
	// functions' and the archive queue's dead-letter queue). One this app defines must be
	// encrypted with a customer managed key, keep messages FailureRetentionDays days and be
	// retained; an imported one must carry its key (awssqs.Queue_FromQueueAttributes with
	// KeyArn), whose policy must let the account's IAM policies allow its use (the key's
	// default policy does). The construct adds its alarm on the alert topic either way.
	// Default: a new queue encrypted with Key.
	ExistingFailureQueue awssqs.IQueue
	// ExistingArchiveQueue is an SQS queue of this stack's account and region that the log
	// archive bucket notifies instead of a new one (with ArchiveBucket).
	// One this app defines must be as ExistingFailureQueue's, but keep messages less than
	// FailureRetentionDays days (ArchiveRetentionDays here), with a VisibilityTimeout of at
	// least 300 seconds (the function's timeout) and a dead-letter queue; it gets the
	// statement for S3 in its policy and its key's. An imported one must carry its key; the
	// statements its policy and its key's need are synth warnings (WarningArchiveQueuePolicy,
	// WarningArchiveKeyPolicy) to add by hand and acknowledge. The bucket must notify this
	// queue: pass it as logarchive's LogFileQueue (ArchiveQueueArn computes only the
	// new queue's). The guardrails protect only queues named trailguard-*
	// (guardrails.GuardrailsProps.DetectionQueueNames).
	// Default: a new queue named ArchiveFunctionName, encrypted with Key.
	ExistingArchiveQueue awssqs.IQueue
	// BatchSize is the most stream records the function receives at once, 1 to 10,000.
	// Default: 100.
	BatchSize *float64
	// BatchWindowSeconds is how long Lambda gathers records before invoking, 0 to 300: the
	// price of fewer invocations is that much more latency.
	// Default: 5.
	BatchWindowSeconds *float64
	// RetryAttempts is how many times a failing batch is retried (bisected each time) before
	// the failed records' positions go to the failure queue, 0 to 10,000.
	// Default: 10.
	RetryAttempts *float64
	// LogRetentionDays is the functions' log retention, one of CloudWatch Logs' periods.
	// Default: 365.
	LogRetentionDays *float64
	// MemoryMiB is the functions' memory (and so CPU), 128 to 10,240.
	// Default: 512.
	MemoryMiB *float64
	// ArchiveBucket is the log archive bucket (logarchive's Bucket()): when set, the archive
	// function reads each new CloudTrail log file, notified through the archive queue
	// (ArchiveQueue: the bucket must notify it, as logarchive's LogFileQueue does, and its
	// key must let the archive role decrypt through S3, as logarchive's LogFileReaders do).
	// A bucket this app defines must be in this stack and have a BucketName (the policies
	// name it by its ARN, built from the name, so that the bucket can depend on the queue
	// without a cycle); the construct makes its notification configuration wait for the
	// queue and its policy, which S3 checks. A bucket this stack does not define (in another
	// stack of the account, or made outside CDK) must be imported into this stack by name
	// (awss3.Bucket_FromBucketName), with ArchiveKey; its notification configuration must then
	// be made after this stack deploys. The bucket must notify the archive queue of new log
	// files: a bucket of the app that does not (its NotificationConfiguration has no queue
	// configuration to the queue), and any imported one, get the synth warning
	// WarningArchiveBucketNotification with what to add.
	// Default: no archive function.
	ArchiveBucket awss3.IBucket
	// ArchiveKey encrypts the log archive. Required with an ArchiveBucket that carries no key
	// (EncryptionKey()), such as an imported one.
	// Default: ArchiveBucket's key.
	ArchiveKey awskms.IKey
	// ArchiveCode is the archive function's code (with ArchiveBucket).
	// Default: ArchiveConsumerPackage built like StreamCode.
	ArchiveCode awslambda.Code
	// StreamCode is the stream function's code.
	// Default: StreamConsumerPackage built for provided.al2023 on arm64 at synth, which needs
	// the go command and this module in the module cache (or as the main module).
	StreamCode awslambda.Code
	// RuleFiles are the users' rule files (detect's YAML), by path relative to their rules
	// directory (e.g. "team/iam.yaml"), loaded after the default rules by both functions: a
	// rule with a default rule's id replaces it. They are checked at synth with the engine
	// (an invalid rule panics naming its file, rule and problem) and bundled in the
	// functions' built code, under RulesDir beside the binary. Not with StreamCode
	// or ArchiveCode (bundle them in your code yourself).
	// LoadRuleFiles reads a directory of them.
	// Default: the default rules only.
	RuleFiles *map[string]*string
	// DisabledRules are the ids of rules turned off in both functions (alerting's
	// EnvDisabledRules); each must name a default or user rule.
	// Default: none.
	DisabledRules *[]*string
	// OrganizationContext is the organization the rules judge records in (its accounts, OUs,
	// deployers: detect.ContextFromConfig of the trailguard config), baked into the functions'
	// built code as ContextFile beside the binary. Not with StreamCode or ArchiveCode
	// (bundle the file in your code yourself).
	// Default: none: only each record's own account is the organization's.
	OrganizationContext *detect.Context
	// RefreshOrganizationAccounts makes the functions add the accounts Organizations lists
	// (organizations:ListAccounts, which has no resource-level permissions, so on "*") to
	// OrganizationContext's at cold start: accounts a stackset reaches or that joined after
	// the synth. ListAccounts answers only the management account and delegated
	// administrators; elsewhere, or on any failure, the functions keep the baked accounts and
	// log a warning.
	// Default: false.
	RefreshOrganizationAccounts *bool
}

// CheckRules loads the default rules with the users' rule files and disabled rule ids as the
// functions will (detect.LoadWith), and returns every problem at once, each naming its file,
// rule and field. filesName and disabledName say where the files and ids come from.
func CheckRules(files map[string]string, filesName string, disabled []string, disabledName string) error {
	if len(files) == 0 && len(disabled) == 0 {
		return nil
	}
	_, err := detect.LoadWith(detect.LoadOptions{Files: byteFiles(files), FilesName: filesName, Disabled: disabled, DisabledName: disabledName})
	return err
}

func byteFiles(files map[string]string) map[string][]byte {
	out := make(map[string][]byte, len(files))
	for n, c := range files {
		out[n] = []byte(c)
	}
	return out
}

// ruleFiles returns RuleFiles as a plain map.
func (p *DetectionProps) ruleFiles() map[string]string {
	if p.RuleFiles == nil {
		return nil
	}
	out := map[string]string{}
	for n, c := range *p.RuleFiles {
		if c != nil {
			out[n] = *c
		}
	}
	return out
}

// disabledRules returns DisabledRules as a plain slice.
func (p *DetectionProps) disabledRules() []string {
	var out []string
	if p.DisabledRules != nil {
		for _, id := range *p.DisabledRules {
			if id != nil {
				out = append(out, *id)
			}
		}
	}
	return out
}

var busNameRe = regexp.MustCompile(`^[A-Za-z0-9._-]{1,256}$`)

func (p *DetectionProps) validate(stack awscdk.Stack) error {
	c := check.New("detection")
	if p == nil {
		c.Addf("props are required")
		return c.Err()
	}
	p.validateExisting(c, stack)
	if p.Stream == nil {
		c.Addf("Stream is required: the Kinesis stream of forwarded events")
	}
	if p.StreamKey == nil {
		c.Addf("StreamKey is required: the key the stream is encrypted with")
	}
	if p.AlertTopic == nil {
		c.Addf("AlertTopic is required: the topic alerts are published to")
	}
	if p.AlertKey == nil {
		c.Addf("AlertKey is required: the key the alert topic is encrypted with")
	}
	if msg := topics.KeyMismatch("AlertTopic", p.AlertTopic, "AlertKey", p.AlertKey); msg != "" {
		c.Addf("%s", msg)
	}
	if c.Match("AlertBusName", p.AlertBusName, busNameRe, "an event bus name (1-256 letters, digits, . _ -)") &&
		p.AlertBusName != nil && *p.AlertBusName == "default" {
		c.Addf(`AlertBusName must name a custom bus, got "default"`)
	}
	whole := func(field string, v *float64, lo, hi float64) {
		if v != nil && (*v != float64(int(*v)) || *v < lo || *v > hi) {
			c.Addf("%s must be a whole number from %v to %v, got %v", field, lo, hi, *v)
		}
	}
	whole("BatchSize", p.BatchSize, 1, 10000)
	whole("BatchWindowSeconds", p.BatchWindowSeconds, 0, 300)
	whole("RetryAttempts", p.RetryAttempts, 0, 10000)
	whole("MemoryMiB", p.MemoryMiB, 128, 10240)
	if d := p.LogRetentionDays; d != nil {
		ok := false
		for _, v := range check.LogGroupRetentionDays {
			ok = ok || v == *d
		}
		if !ok {
			c.Addf("LogRetentionDays must be one of %v, got %v", check.LogGroupRetentionDays, *d)
		}
	}
	switch {
	case p.ArchiveBucket != nil:
		// validateExisting checks it.
	case p.ArchiveKey != nil || p.ArchiveCode != nil:
		c.Addf("ArchiveKey and ArchiveCode need ArchiveBucket: the archive function reads that bucket")
	}
	if p.OrganizationContext != nil {
		if p.StreamCode != nil || p.ArchiveCode != nil {
			c.Addf("OrganizationContext cannot be bundled into StreamCode or ArchiveCode: bundle it as %s beside your bootstrap, or leave the code to the construct", alertspec.ContextFile)
		}
		if err := p.OrganizationContext.Validate(); err != nil {
			c.Addf("OrganizationContext: %v", err)
		}
	}
	if p.RuleFiles != nil && len(*p.RuleFiles) > 0 && (p.StreamCode != nil || p.ArchiveCode != nil) {
		c.Addf("RuleFiles cannot be bundled into StreamCode or ArchiveCode: bundle them under %s/ beside your bootstrap, or leave the code to the construct", alertspec.RulesDir)
	}
	for n := range p.ruleFiles() {
		if clean := path.Clean(n); clean != n || n == "" || strings.HasPrefix(n, "../") || path.IsAbs(n) {
			c.Addf("RuleFiles names must be clean relative paths, got %q", n)
		}
	}
	if err := CheckRules(p.ruleFiles(), "RuleFiles", p.disabledRules(), "DisabledRules"); err != nil {
		c.Addf("%v", err)
	}
	return c.Err()
}

// Detection is the Security account's detection functions.
type Detection interface {
	constructs.Construct
	// SendResponsesTo makes both functions send the alerts of rules that carry a response
	// to queue (encrypted with key), the responder's (constructs/responder).
	SendResponsesTo(queue awssqs.IQueue, key awskms.IKey)
	// StreamFunction is the function reading the stream.
	StreamFunction() awslambda.IFunction
	// AlertBus is the bus alerts are put on for integrations.
	AlertBus() awsevents.IEventBus
	// FailureQueue holds the positions of the stream records that kept failing.
	FailureQueue() awssqs.IQueue
	// ArchiveFunction is the function reading the log archive, or nil without ArchiveBucket.
	ArchiveFunction() awslambda.IFunction
	// ArchiveQueue receives the log archive's notifications of new log files (the
	// ExistingArchiveQueue if given), or nil without ArchiveBucket. S3 checks the queue's
	// policy when the bucket's notification is set: with a bucket of this stack the
	// construct orders them; with an imported one deploy this first.
	ArchiveQueue() awssqs.IQueue
	// DedupeTable remembers the alerts published.
	DedupeTable() awsdynamodb.ITable
	// Key encrypts the failure queue and the archive queue (unless brought), the dedupe
	// table, the log groups and the functions' environment.
	Key() awskms.IKey
	// MetricStreamLag is the stream function's iterator age, the maximum per 5 minutes in
	// milliseconds: how far detection is behind the stream. The construct alarms on it at
	// LagAlarmMillis; use it for dashboards or alarms of your own.
	MetricStreamLag() awscloudwatch.IMetric
	// MetricFailedRecords is the records and log files that failed detection after every
	// retry and wait in the failure queue, the maximum per 5 minutes. The construct alarms on
	// any.
	MetricFailedRecords() awscloudwatch.IMetric
}

type detection struct {
	constructs.Construct
	props                      *DetectionProps
	stackEnv                   stackenv.Env
	partition, region, account *string
	busName                    string
	key                        awskms.Key
	busRef                     awsevents.IEventBus
	table                      awsdynamodb.Table
	failures                   awssqs.IQueue
	failuresKey                awskms.IKey // encrypts failures
	streamFn                   awslambda.Function
	archiveFn                  awslambda.Function
	policies                   []awsiam.ManagedPolicy // of the functions
	archiveQueue               awssqs.IQueue
	archiveQueueKey            awskms.IKey // encrypts archiveQueue
}

// NewDetection creates the detection functions and what they need. The stream function is
// the child "Resource". It panics with a descriptive error if props are invalid, and if the
// function code cannot be built.
func NewDetection(scope constructs.Construct, id *string, props *DetectionProps) Detection {
	if err := props.validate(awscdk.Stack_Of(scope)); err != nil {
		panic(err)
	}
	d := &detection{props: props, busName: DefaultAlertBusName}
	switch b := props.ExistingAlertBus; {
	case b != nil:
		d.busName = *b.EventBusName()
		if cfn, ok := b.Node().DefaultChild().(awsevents.CfnEventBus); ok && check.Known(cfn.Name()) {
			d.busName = *cfn.Name()
		}
	case props.AlertBusName != nil:
		d.busName = *props.AlertBusName
	}
	constructs.NewConstruct_Override(d, scope, id)
	managed.Tag(d) // the guardrails protect the unnamed resources by this tag
	stack := awscdk.Stack_Of(d)
	d.stackEnv = stackenv.Of(stack)
	d.partition, d.region, d.account = d.stackEnv.Partition, d.stackEnv.Region, d.stackEnv.Account

	d.buildCode()
	d.addKey()
	d.addAlertBus()
	d.addDedupeTable()
	d.addFailureQueue()
	d.addStreamFunction()
	d.checkAlertTopicAlarms()
	if props.archiveBucketName() != nil {
		d.addArchiveFunction()
	}
	return d
}

func logGroupName(function string) string { return "/aws/lambda/" + function }

// addKey adds the key of the functions' own data: failure queue, dedupe table, log groups,
// environment.
func (d *detection) addKey() {
	d.key = awskms.NewKey(d, jsii.String("Key"), &awskms.KeyProps{
		Description:       jsii.String("trailguard: encrypts the detection functions' failure queue, dedupe table, logs and environment"),
		EnableKeyRotation: jsii.Bool(true),
		RemovalPolicy:     awscdk.RemovalPolicy_RETAIN_ON_UPDATE_OR_DELETE,
	})
	d.key.AddToResourcePolicy(keypolicy.DenyGrantsExceptForAWSServices(), jsii.Bool(false))
	d.key.AddToResourcePolicy(keypolicy.AllowCloudWatchLogs("AllowCloudWatchLogsForTheFunctionLogGroups", d.region,
		d.stackEnv.Arn("logs", "log-group:"+logGroupName(StreamFunctionName)),
		d.stackEnv.Arn("logs", "log-group:"+logGroupName(ArchiveFunctionName))), jsii.Bool(true))
}

// addAlertBus adds the integrations bus, retained.
func (d *detection) addAlertBus() {
	if b := d.props.ExistingAlertBus; b != nil {
		d.busRef = b
		return
	}
	bus := awsevents.NewCfnEventBus(d, jsii.String("AlertBus"), &awsevents.CfnEventBusProps{
		Name:        jsii.String(d.busName),
		Description: jsii.String("trailguard: alerts of the detection functions, for integrations"),
	})
	bus.ApplyRemovalPolicy(awscdk.RemovalPolicy_RETAIN_ON_UPDATE_OR_DELETE, nil)
	d.busRef = awsevents.EventBus_FromEventBusArn(d, jsii.String("AlertBusRef"), bus.AttrArn())
}

// addDedupeTable adds the table both functions claim alerts in: encrypted, point-in-time
// recovery, time to live, retained.
func (d *detection) addDedupeTable() {
	d.table = awsdynamodb.NewTable(d, jsii.String("DedupeTable"), &awsdynamodb.TableProps{
		TableName:           jsii.String(DedupeTableName),
		PartitionKey:        &awsdynamodb.Attribute{Name: jsii.String(alertspec.KeyAttribute), Type: awsdynamodb.AttributeType_STRING},
		BillingMode:         awsdynamodb.BillingMode_PAY_PER_REQUEST,
		Encryption:          awsdynamodb.TableEncryption_CUSTOMER_MANAGED,
		EncryptionKey:       d.key,
		TimeToLiveAttribute: jsii.String(alertspec.ExpiresAttribute),
		PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{
			PointInTimeRecoveryEnabled: jsii.Bool(true),
		},
		// No DynamoDB deletion protection: CloudFormation could not delete the table when
		// the deploy that created it rolls back (RetainExceptOnCreate), and the retry would
		// collide with its fixed name. It is kept on stack deletion and replacement by its
		// DeletionPolicy and UpdateReplacePolicy, and the guardrails deny deleting it to all
		// but the CloudFormation execution role.
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN_ON_UPDATE_OR_DELETE,
	})
	compliance.Suppress(d.table, "The table holds only the dedupe keys of alerts already published, each expiring after "+
		fmt.Sprint(alertspec.DefaultTTL)+"; point-in-time recovery covers its loss, and a lost table costs at most a repeated alert, not evidence.",
		"NIST.800.53.R5-DynamoDBInBackupPlan", "HIPAA.Security-DynamoDBInBackupPlan", "PCI.DSS.321-DynamoDBInBackupPlan")
}

// addFailureQueue adds the on-failure destination of the stream function's event source
// mapping, with an alarm on the alert topic.
func (d *detection) addFailureQueue() {
	if q := d.props.ExistingFailureQueue; q != nil {
		d.failures, d.failuresKey = q, q.EncryptionMasterKey()
	} else {
		d.failures = awssqs.NewQueue(d, jsii.String("FailureQueue"), &awssqs.QueueProps{
			Encryption:          awssqs.QueueEncryption_KMS,
			EncryptionMasterKey: d.key,
			DataKeyReuse:        awscdk.Duration_Hours(jsii.Number(1)),
			RetentionPeriod:     awscdk.Duration_Days(jsii.Number(FailureRetentionDays)),
			EnforceSSL:          jsii.Bool(true),
			RemovalPolicy:       awscdk.RemovalPolicy_RETAIN_ON_UPDATE_OR_DELETE,
		})
		d.failuresKey = d.key
	}
	if _, inApp := d.failures.Node().DefaultChild().(awssqs.CfnQueue); inApp {
		const reason = "This queue is itself the on-failure destination of the detection functions (and their dead-letter queue): " +
			"a dead-letter queue of it would only move the same messages; its alarm on the alert topic makes any message visible instead."
		compliance.Suppress(d.failures, reason, "AwsSolutions-SQS3")
		compliance.Acknowledge(d.failures, "sqs_dlq_check", reason)
	}
	delivery.NewAlarmOnAny(d, "FailureQueueAlarm", nil,
		fmt.Sprintf("trailguard: records failed detection after every retry and wait in this queue (kept %d days). "+
			"A stream failure holds the shard and sequence numbers: read the records from the stream within its retention. "+
			"A log file notification names the file: after fixing the cause, send it to the archive queue again.", FailureRetentionDays),
		d.MetricFailedRecords(), d.props.AlertTopic)
}

// MetricFailedRecords implements Detection.
func (d *detection) MetricFailedRecords() awscloudwatch.IMetric {
	return d.failures.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{
		Period:    awscdk.Duration_Minutes(jsii.Number(5)),
		Statistic: jsii.String("Maximum"),
	})
}

// MetricStreamLag implements Detection.
func (d *detection) MetricStreamLag() awscloudwatch.IMetric {
	return d.streamFn.Metric(jsii.String("IteratorAge"), &awscloudwatch.MetricOptions{
		Period:    awscdk.Duration_Minutes(jsii.Number(5)),
		Statistic: jsii.String("Maximum"),
	})
}

// buildCode builds the functions the props give no code for, in parallel (about a second
// with a warm Go build cache).
func (d *detection) buildCode() {
	var pkgs []string
	if d.props.StreamCode == nil {
		pkgs = append(pkgs, StreamConsumerPackage)
	}
	if d.props.archiveBucketName() != nil && d.props.ArchiveCode == nil {
		pkgs = append(pkgs, ArchiveConsumerPackage)
	}
	if len(pkgs) > 0 {
		if _, err := gobuild.Default.BuildAll(pkgs...); err != nil {
			panic(err)
		}
	}
}

// functionCode returns code, or the package built for Lambda with the users' rule files
// under RulesDir beside the binary.
func (d *detection) functionCode(code awslambda.Code, importPath string) awslambda.Code {
	if code != nil {
		return code
	}
	dir, err := gobuild.Default.Build(importPath)
	if err != nil {
		panic(err)
	}
	bundled := map[string][]byte{}
	for n, c := range d.props.ruleFiles() {
		bundled[alertspec.RulesDir+"/"+n] = []byte(c)
	}
	if oc := d.props.OrganizationContext; oc != nil {
		b, err := json.MarshalIndent(oc, "", "  ")
		if err != nil {
			panic(err)
		}
		bundled[alertspec.ContextFile] = append(b, '\n')
	}
	if len(bundled) > 0 {
		if dir, err = gobuild.WithFiles(dir, bundled); err != nil {
			panic(err)
		}
	}
	return awslambda.Code_FromAsset(jsii.String(dir), nil)
}

// num returns *v, or def when v is nil.
func num(v *float64, def float64) *float64 {
	if v != nil {
		return v
	}
	return jsii.Number(def)
}

// newFunction adds a function named name with its role, managed policy (statements) and log
// group, all named after it, to scope under id ("Resource" for the primary one).
func (d *detection) newFunction(id, name, description string, code awslambda.Code, env map[string]*string, statements []awsiam.PolicyStatement) (awslambda.Function, awsiam.ManagedPolicy) {
	logGroup := awslogs.NewLogGroup(d, jsii.String(id+"Logs"), &awslogs.LogGroupProps{
		LogGroupName:  jsii.String(logGroupName(name)),
		EncryptionKey: d.key,
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN_ON_UPDATE_OR_DELETE,
	})
	// The L2 takes an enum of names; the props take days.
	logGroup.Node().DefaultChild().(awslogs.CfnLogGroup).SetRetentionInDays(num(d.props.LogRetentionDays, DefaultLogRetentionDays))
	role := awsiam.NewRole(d, jsii.String(id+"Role"), &awsiam.RoleProps{
		RoleName:    jsii.String(name),
		Description: jsii.String("trailguard: the execution role of " + name),
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
	})
	if r := d.props.RefreshOrganizationAccounts; r != nil && *r {
		// ListAccounts has no resource-level permissions:
		// https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsorganizations.html
		statements = append(statements, awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("ListOrganizationAccounts"),
			Actions:   jsii.Strings("organizations:ListAccounts"),
			Resources: jsii.Strings("*"),
		}))
	}
	statements = append(statements,
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("WriteLogs"),
			Actions:   jsii.Strings("logs:CreateLogStream", "logs:PutLogEvents"),
			Resources: &[]*string{d.stackEnv.Arn("logs", "log-group:"+logGroupName(name)+":log-stream:*")},
		}),
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("SendFailures"),
			Actions:   jsii.Strings("sqs:SendMessage"),
			Resources: &[]*string{d.failures.QueueArn()},
		}),
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("EncryptFailures"),
			Actions:   jsii.Strings("kms:GenerateDataKey", "kms:Decrypt"),
			Resources: &[]*string{d.failuresKey.KeyArn()},
			Conditions: &map[string]any{"StringEquals": map[string]any{
				"kms:ViaService":                    d.stackEnv.ViaService("sqs"),
				"kms:EncryptionContext:aws:sqs:arn": d.failures.QueueArn(),
			}},
		}),
		// Each alert's delivery state (alerting's DynamoStore): a lease taken or taken over
		// with a conditional UpdateItem (a PutItem when the item expired), read with GetItem
		// when busy, targets and completion recorded with UpdateItem. Nothing deletes an item:
		// a function cannot erase what it delivered.
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("ClaimAlerts"),
			Actions:   jsii.Strings("dynamodb:UpdateItem", "dynamodb:PutItem", "dynamodb:GetItem"),
			Resources: &[]*string{d.table.TableArn()},
		}),
		// Threshold rules count in the same table, shared by both functions (alerting's
		// DynamoThresholds): an UpdateItem adds to a bucket, a BatchGetItem reads a window.
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("CountThresholds"),
			Actions:   jsii.Strings("dynamodb:UpdateItem", "dynamodb:BatchGetItem"),
			Resources: &[]*string{d.table.TableArn()},
		}),
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("EncryptClaims"),
			Actions:   jsii.Strings("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"),
			Resources: &[]*string{d.key.KeyArn()},
			Conditions: &map[string]any{"StringEquals": map[string]any{
				"kms:ViaService": d.stackEnv.ViaService("dynamodb"),
			}},
		}),
	)
	statements = append(statements, topics.PublishStatements(d.stackEnv, d.props.AlertTopic, d.props.AlertKey)...)
	statements = append(statements,
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("PutAlertEvents"),
			Actions:   jsii.Strings("events:PutEvents"),
			Resources: &[]*string{d.busRef.EventBusArn()},
		}),
	)
	// A managed policy rather than an inline one (NIST 800-53 AC-6), named like the role.
	policy := awsiam.NewManagedPolicy(d, jsii.String(id+"Policy"), &awsiam.ManagedPolicyProps{
		ManagedPolicyName: jsii.String(name),
		Description:       jsii.String("trailguard: what " + name + " needs, and nothing else"),
		Roles:             &[]awsiam.IRole{role},
		Statements:        &statements,
	})
	compliance.SuppressMatching(policy, "AwsSolutions-IAM5",
		"Lambda names the function's log streams by date and instance when it creates them: known only by prefix, in the function's own log group.",
		`^Resource::arn:.+:logs:.+:log-group:/aws/lambda/`+name+`:log-stream:\*$`)
	if r := d.props.RefreshOrganizationAccounts; r != nil && *r {
		compliance.SuppressMatching(policy, "AwsSolutions-IAM5",
			"organizations:ListAccounts has no resource-level permissions: it is authorized on * only, and only reads the organization's account list.",
			`^Resource::\*$`)
	}

	fn := awslambda.NewFunction(d, jsii.String(id), &awslambda.FunctionProps{
		FunctionName: jsii.String(name),
		Description:  jsii.String(description),
		Runtime:      awslambda.Runtime_PROVIDED_AL2023(),
		Architecture: awslambda.Architecture_ARM_64(),
		Handler:      jsii.String(gobuild.Binary),
		Code:         code,
		MemorySize:   num(d.props.MemoryMiB, DefaultMemoryMiB),
		Timeout:      awscdk.Duration_Seconds(jsii.Number(functionTimeoutSeconds)),
		Environment:  &env,
		// Every grant is in the managed policy above: the L2s must not add inline policies.
		Role: role.WithoutPolicyUpdates(nil),
		// Lambda decrypts the environment with a grant it creates on the key when the
		// function is deployed (the key's grant guard allows grants for AWS resources): the
		// role needs no kms:Decrypt for it.
		EnvironmentEncryption: d.key,
		LogGroup:              logGroup,
		LoggingFormat:         awslambda.LoggingFormat_JSON,
		// For asynchronous invocations, which nothing makes: the mapping's failures go to
		// the same queue through its on-failure destination.
		DeadLetterQueueEnabled: jsii.Bool(true),
		DeadLetterQueue:        d.failures,
	})
	// The role must hold its permissions before Lambda first uses it.
	fn.Node().AddDependency(policy)
	fnrole.DropRoleDependsOn(fn, role)
	d.policies = append(d.policies, policy)
	compliance.Suppress(fn, "The functions call only AWS APIs (Kinesis, SQS, SNS, EventBridge, DynamoDB, KMS) and serve no network: "+
		"a VPC would add NAT or six interface endpoints and no control; their permissions are limited to the named resources instead.",
		"NIST.800.53.R5-LambdaInsideVPC", "HIPAA.Security-LambdaInsideVPC", "PCI.DSS.321-LambdaInsideVPC")
	compliance.Acknowledge(fn, "lambda_inside_vpc_check", "The functions call only AWS APIs and serve no network; see the cdk-nag suppression's reason.")
	compliance.Suppress(fn, "Concurrency is bounded by the event source: one concurrent batch per stream shard (ParallelizationFactor 1) and the archive queue's "+
		"MaximumConcurrency. A reservation would fail the deploy in accounts whose concurrency quota is at the new-account default of 10.",
		"NIST.800.53.R5-LambdaConcurrency", "HIPAA.Security-LambdaConcurrency", "PCI.DSS.321-LambdaConcurrency")
	return fn, policy
}

// addStreamFunction adds the stream function and its event source mapping.
func (d *detection) addStreamFunction() {
	statements := []awsiam.PolicyStatement{
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("ReadStream"),
			Actions:   jsii.Strings("kinesis:DescribeStream", "kinesis:DescribeStreamSummary", "kinesis:GetRecords", "kinesis:GetShardIterator", "kinesis:ListShards"),
			Resources: &[]*string{d.props.Stream.StreamArn()},
		}),
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("DecryptStream"),
			Actions:   jsii.Strings("kms:Decrypt"),
			Resources: &[]*string{d.props.StreamKey.KeyArn()},
			Conditions: &map[string]any{"StringEquals": map[string]any{
				"kms:ViaService":                        d.stackEnv.ViaService("kinesis"),
				"kms:EncryptionContext:aws:kinesis:arn": d.props.Stream.StreamArn(),
			}},
		}),
	}
	fn, policy := d.newFunction("Resource", StreamFunctionName,
		"trailguard: detection rules over the Security stream; alerts to the alert topic and bus "+d.busName,
		d.functionCode(d.props.StreamCode, StreamConsumerPackage), d.env(), statements)
	d.streamFn = fn
	mapping := awslambda.NewEventSourceMapping(d, jsii.String("StreamMapping"), &awslambda.EventSourceMappingProps{
		Target:                  fn,
		EventSourceArn:          d.props.Stream.StreamArn(),
		StartingPosition:        awslambda.StartingPosition_TRIM_HORIZON,
		BatchSize:               num(d.props.BatchSize, DefaultBatchSize),
		MaxBatchingWindow:       awscdk.Duration_Seconds(num(d.props.BatchWindowSeconds, DefaultBatchWindowSecond)),
		BisectBatchOnError:      jsii.Bool(true),
		RetryAttempts:           num(d.props.RetryAttempts, DefaultRetryAttempts),
		ReportBatchItemFailures: jsii.Bool(true),
		ParallelizationFactor:   jsii.Number(1),
		// The role is immutable to the L2s: the DLQ's grant adds nothing; SendFailures allows it.
		OnFailure: &queueDlq{queue: d.failures},
	})
	// Lambda checks the role's access to the stream when it creates the mapping.
	mapping.Node().AddDependency(policy)
	lag := awscloudwatch.NewAlarm(d, jsii.String("StreamLagAlarm"), &awscloudwatch.AlarmProps{
		AlarmDescription:   jsii.String("trailguard: the stream function is more than 10 minutes behind the stream (throttled, failing or overloaded): alerts are late."),
		Metric:             d.MetricStreamLag(),
		Threshold:          jsii.Number(LagAlarmMillis),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD,
		EvaluationPeriods:  jsii.Number(1),
		TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
	})
	lag.AddAlarmAction(topics.AlarmAction(d.props.AlertTopic))
	lag.AddOkAction(topics.AlarmAction(d.props.AlertTopic))
}

// env is the functions' environment.
func (d *detection) env() map[string]*string {
	env := map[string]*string{
		alertspec.EnvTopicARN:    d.props.AlertTopic.TopicArn(),
		alertspec.EnvBusName:     jsii.String(d.busName),
		alertspec.EnvDedupeTable: d.table.TableName(),
	}
	if ids := d.props.disabledRules(); len(ids) > 0 {
		env[alertspec.EnvDisabledRules] = jsii.String(strings.Join(ids, ","))
	}
	if r := d.props.RefreshOrganizationAccounts; r != nil && *r {
		env[alertspec.EnvRefreshAccounts] = jsii.String("true")
	}
	return env
}

// SendResponsesTo implements Detection.
func (d *detection) SendResponsesTo(queue awssqs.IQueue, key awskms.IKey) {
	for _, fn := range []awslambda.Function{d.streamFn, d.archiveFn} {
		if fn != nil {
			fn.AddEnvironment(jsii.String(alertspec.EnvResponderQueueURL), queue.QueueUrl(), nil)
		}
	}
	for _, p := range d.policies {
		p.AddStatements(
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid:       jsii.String("SendResponses"),
				Actions:   jsii.Strings("sqs:SendMessage"),
				Resources: &[]*string{queue.QueueArn()},
			}),
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid:       jsii.String("EncryptResponses"),
				Actions:   jsii.Strings("kms:GenerateDataKey", "kms:Decrypt"),
				Resources: &[]*string{key.KeyArn()},
				Conditions: &map[string]any{"StringEquals": map[string]any{
					"kms:ViaService":                    d.stackEnv.ViaService("sqs"),
					"kms:EncryptionContext:aws:sqs:arn": queue.QueueArn(),
				}},
			}),
		)
	}
}

func (d *detection) StreamFunction() awslambda.IFunction { return d.streamFn }
func (d *detection) ArchiveFunction() awslambda.IFunction {
	if d.archiveFn == nil {
		return nil
	}
	return d.archiveFn
}
func (d *detection) ArchiveQueue() awssqs.IQueue {
	if d.archiveQueue == nil {
		return nil
	}
	return d.archiveQueue
}
func (d *detection) AlertBus() awsevents.IEventBus   { return d.busRef }
func (d *detection) FailureQueue() awssqs.IQueue     { return d.failures }
func (d *detection) DedupeTable() awsdynamodb.ITable { return d.table }
func (d *detection) Key() awskms.IKey                { return d.key }

// addArchiveFunction adds the archive queue, which the log archive bucket notifies, and the
// archive function reading it.
func (d *detection) addArchiveFunction() {
	bucketArn := awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String("arn:"), d.partition, jsii.String(":s3:::"), d.props.archiveBucketName()})
	if q := d.props.ExistingArchiveQueue; q != nil {
		d.archiveQueue, d.archiveQueueKey = q, q.EncryptionMasterKey()
	} else {
		d.archiveQueue = awssqs.NewQueue(d, jsii.String("ArchiveQueue"), &awssqs.QueueProps{
			QueueName:           jsii.String(ArchiveFunctionName),
			Encryption:          awssqs.QueueEncryption_KMS,
			EncryptionMasterKey: d.key,
			DataKeyReuse:        awscdk.Duration_Hours(jsii.Number(1)),
			RetentionPeriod:     awscdk.Duration_Days(jsii.Number(ArchiveRetentionDays)),
			// Six times the function's timeout, as Lambda advises for queue sources.
			VisibilityTimeout: awscdk.Duration_Seconds(jsii.Number(6 * functionTimeoutSeconds)),
			EnforceSSL:        jsii.Bool(true),
			DeadLetterQueue:   &awssqs.DeadLetterQueue{Queue: d.failures, MaxReceiveCount: jsii.Number(ArchiveMaxReceives)},
			RemovalPolicy:     awscdk.RemovalPolicy_RETAIN_ON_UPDATE_OR_DELETE,
		})
		d.archiveQueueKey = d.key
	}
	// S3 encrypts its notifications with the queue's key. The SQS and S3 guides' key policy
	// for this has no conditions; the queue policy admits only the archive bucket
	// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/grant-destinations-permissions-to-s3.html).
	keyStatement := awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowS3ToEncryptLogFileNotifications"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("s3.amazonaws.com"), nil)},
		Actions:    jsii.Strings("kms:GenerateDataKey", "kms:Decrypt"),
		Resources:  jsii.Strings("*"),
	})
	d.grantOrWarn(added(d.archiveQueueKey.AddToResourcePolicy(keyStatement, jsii.Bool(true))), WarningArchiveKeyPolicy,
		"ExistingArchiveQueue's key "+*d.archiveQueueKey.KeyArn(), keyStatement)
	queueStatement := awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowArchiveBucketNotifications"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("s3.amazonaws.com"), nil)},
		Actions:    jsii.Strings("sqs:SendMessage"),
		Resources:  &[]*string{d.archiveQueue.QueueArn()},
		Conditions: &map[string]any{
			"ArnEquals":    map[string]any{"aws:SourceArn": bucketArn},
			"StringEquals": map[string]any{"aws:SourceAccount": d.account},
		},
	})
	// An imported queue's policy cannot be edited by CDK, and an AWS::SQS::QueuePolicy would
	// replace its whole policy (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-sqs-queuepolicy.html).
	d.grantOrWarn(added(d.archiveQueue.AddToResourcePolicy(queueStatement)), WarningArchiveQueuePolicy,
		"ExistingArchiveQueue "+*d.archiveQueue.QueueArn(), queueStatement)
	// S3 checks the queue's policy when the bucket's notification is set: the queue (with
	// its policy) comes first.
	if b := d.props.ArchiveBucket; b != nil {
		if cfn, ok := b.Node().DefaultChild().(awss3.CfnBucket); ok {
			cfn.Node().AddDependency(d.archiveQueue)
		}
	}
	d.checkArchiveNotification()
	d.checkArchiveLogKey()
	statements := []awsiam.PolicyStatement{
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("ReadLogFiles"),
			Actions:   jsii.Strings("s3:GetObject"),
			Resources: &[]*string{awscdk.Fn_Join(jsii.String(""), &[]*string{bucketArn, jsii.String("/AWSLogs/*")})},
		}),
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("DecryptLogFiles"),
			Actions:   jsii.Strings("kms:Decrypt"),
			Resources: &[]*string{d.props.archiveKey().KeyArn()},
			Conditions: &map[string]any{"StringEquals": map[string]any{
				"kms:ViaService":                   d.stackEnv.ViaService("s3"),
				"kms:EncryptionContext:aws:s3:arn": bucketArn,
			}},
		}),
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("ReceiveLogFileNotifications"),
			Actions:   jsii.Strings("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"),
			Resources: &[]*string{d.archiveQueue.QueueArn()},
		}),
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("DecryptLogFileNotifications"),
			Actions:   jsii.Strings("kms:Decrypt"),
			Resources: &[]*string{d.archiveQueueKey.KeyArn()},
			Conditions: &map[string]any{"StringEquals": map[string]any{
				"kms:ViaService":                    d.stackEnv.ViaService("sqs"),
				"kms:EncryptionContext:aws:sqs:arn": d.archiveQueue.QueueArn(),
			}},
		}),
	}
	fn, policy := d.newFunction("Archive", ArchiveFunctionName,
		"trailguard: detection rules over the log archive's new CloudTrail log files; alerts to the alert topic and bus "+d.busName,
		d.functionCode(d.props.ArchiveCode, ArchiveConsumerPackage), d.env(), statements)
	compliance.SuppressMatching(policy, "AwsSolutions-IAM5",
		"CloudTrail names each log file by account, region, date and a random part: the function reads any of them, and only under AWSLogs/ of the archive bucket.",
		`^Resource::arn:.+:s3:::.+/AWSLogs/\*$`)
	d.archiveFn = fn
	mapping := awslambda.NewEventSourceMapping(d, jsii.String("ArchiveMapping"), &awslambda.EventSourceMappingProps{
		Target:                  fn,
		EventSourceArn:          d.archiveQueue.QueueArn(),
		BatchSize:               jsii.Number(10),
		ReportBatchItemFailures: jsii.Bool(true),
		MaxConcurrency:          jsii.Number(ArchiveConcurrency),
	})
	mapping.Node().AddDependency(policy)
}

// StreamRoleArn is the stream function's role ARN in account, e.g. for the guardrails'
// DetectionRoleArns.
func StreamRoleArn(partition, account string) string {
	return "arn:" + partition + ":iam::" + account + ":role/" + StreamFunctionName
}

// ArchiveRoleArn is the archive function's role ARN in account, for the log archive's key
// policy (logarchive's LogFileReaders) and the guardrails' DetectionRoleArns.
func ArchiveRoleArn(partition, account string) string {
	return "arn:" + partition + ":iam::" + account + ":role/" + ArchiveFunctionName
}

// ArchiveQueueArn is the new archive queue's ARN, for the log archive's notification
// (logarchive's LogFileQueue, imported with awssqs.Queue_FromQueueArn). With
// ExistingArchiveQueue pass that queue instead.
func ArchiveQueueArn(partition, region, account string) string {
	return "arn:" + partition + ":sqs:" + region + ":" + account + ":" + ArchiveFunctionName
}
