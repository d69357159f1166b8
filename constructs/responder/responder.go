// Package responder provides the Security account's automatic response (docs/response.md):
// the responder queue, to which the detection functions send the alerts of rules that carry
// a response; the responder function reading it (cmd/responder), whose role may assume only
// the trailguard-responder role of the organization's accounts (constructs/responderrole);
// the responder table counting its actions for the rate limit and circuit breaker; and
// their key.
//
// Usage, in the Security stack after the detection functions:
//
//	r := responder.NewResponder(stack, jsii.String("Responder"), &responder.ResponderProps{
//		OrganizationId: jsii.String("o-a1b2c3d4e5"),
//		AlertTopic:     sink.AlertTopic(), AlertKey: sink.AlertKey(), AlertBus: d.AlertBus(),
//	})
//	d.SendResponsesTo(r.Queue(), r.Key())
package responder

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/trailguard/trailguard/compliance"
	"github.com/trailguard/trailguard/config"
	"github.com/trailguard/trailguard/constructs/internal/delivery"
	"github.com/trailguard/trailguard/constructs/internal/fnrole"
	"github.com/trailguard/trailguard/constructs/internal/gobuild"
	"github.com/trailguard/trailguard/constructs/internal/keypolicy"
	"github.com/trailguard/trailguard/constructs/internal/managed"
	"github.com/trailguard/trailguard/constructs/internal/stackenv"
	"github.com/trailguard/trailguard/constructs/internal/topics"
	"github.com/trailguard/trailguard/constructs/responderrole"
	"github.com/trailguard/trailguard/deployed"
	"github.com/trailguard/trailguard/detect"
	"github.com/trailguard/trailguard/internal/alertspec"
	"github.com/trailguard/trailguard/internal/respond"
)

// Names and defaults.
const (
	// FunctionName is the function's name, its role's and its policy's: the member accounts'
	// trailguard-responder roles trust this role by name.
	FunctionName = responderrole.DefaultFunctionRoleName
	// QueueName is the responder queue's name.
	QueueName = "trailguard-responder"
	// TableName is the responder table's name.
	TableName = "trailguard-responder"
	// Package is the function's Go package.
	Package = "github.com/trailguard/trailguard/cmd/responder"
	// DefaultLogRetentionDays is the function's log retention.
	DefaultLogRetentionDays = 365
	// timeoutSeconds is the function's timeout: a batch of one message, a few API calls.
	timeoutSeconds = 60
	// maxReceives is how often a message is tried before it goes to the dead-letter queue.
	maxReceives = 5
	// dlqRetentionDays exceeds the queue's 4 days: a dead-letter queue keeps a message's
	// first enqueue time.
	dlqRetentionDays = 14
)

// A synth that builds the responder decides whether it is up to date in one go invocation
// with the other constructs' functions (see gobuild.Builder.Register).
func init() { gobuild.Default.Register(Package) }

// ResponderProps configures a Responder.
type ResponderProps struct {
	// OrganizationId limits the roles the function may assume to the organization's
	// accounts (aws:ResourceOrgID). Required.
	OrganizationId *string
	// AlertTopic and AlertKey: the audit alerts' topic and its key. Required.
	AlertTopic awssns.ITopic
	AlertKey   awskms.IKey
	// AlertBus is the integrations bus the audit alerts are put on too. Required.
	AlertBus awsevents.IEventBus
	// ResponseConfig is the config's response section as JSON (config.Response): modes,
	// exemptions, limits. It is bundled with the function's code as response.json (not an
	// environment variable: Lambda allows 4 KB of those in all). An unknown field, action or
	// mode fails the synth. Default: every action in dry-run, no exemptions.
	ResponseConfig *string
	// RuleFiles are the users' rule files (as for the detection functions), bundled so that
	// the function knows their responses. Default: none.
	RuleFiles *map[string]*string
	// DisabledRules are the ids of rules turned off. Default: none.
	DisabledRules *[]*string
	// Deployed is the configuration, as JSON (deployed.Definitions), of the trails and
	// forwarder rules the restoring actions put back: bundled with the function
	// (deployed.File), so that a restore never takes a value from the event.
	// Default: none, and cloudtrail-restore-trail and events-restore-forwarder-rule leave
	// every resource as it is.
	Deployed *string
	// OrganizationContext is the organization context the detection functions judge records
	// in (detection.DetectionProps.OrganizationContext; detect.ContextFromConfig of the
	// trailguard config), bundled beside the binary as alertspec.ContextFile. Its deployers say
	// which calls were deployments, whose changes the restoring actions leave alone: give the
	// detection functions' context, or the two would judge deployments differently.
	// Default: none: the default deployers (detect.DefaultDeployer and the CDK bootstrap
	// roles of detect.DefaultBootstrapQualifier).
	OrganizationContext *detect.Context
}

var orgIDRe = regexp.MustCompile(`^o-[a-z0-9]{10,32}$`)

func (p *ResponderProps) validate() error {
	if p == nil {
		return errors.New("responder: props are required")
	}
	var errs []error
	if p.OrganizationId == nil || (!*awscdk.Token_IsUnresolved(p.OrganizationId) && !orgIDRe.MatchString(*p.OrganizationId)) {
		errs = append(errs, fmt.Errorf("responder: OrganizationId must match o-[a-z0-9]{10,32}, got %q", deref(p.OrganizationId)))
	}
	if p.AlertTopic == nil || p.AlertKey == nil {
		errs = append(errs, errors.New("responder: AlertTopic and AlertKey are required: the audit alerts are published there"))
	}
	if msg := topics.KeyMismatch("AlertTopic", p.AlertTopic, "AlertKey", p.AlertKey); msg != "" {
		errs = append(errs, errors.New("responder: "+msg))
	}
	if p.AlertBus == nil {
		errs = append(errs, errors.New("responder: AlertBus is required: the audit alerts are put there for integrations"))
	}
	if p.ResponseConfig != nil {
		if _, err := respond.ParseConfig([]byte(*p.ResponseConfig)); err != nil {
			errs = append(errs, fmt.Errorf("responder: ResponseConfig: %w", err))
		}
	}
	if p.OrganizationContext != nil {
		if err := p.OrganizationContext.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("responder: OrganizationContext: %w", err))
		}
	}
	if p.Deployed != nil {
		if _, err := deployed.Parse([]byte(*p.Deployed)); err != nil {
			errs = append(errs, fmt.Errorf("responder: Deployed must be deployed.Definitions as JSON: %w", err))
		}
	}
	return errors.Join(errs...)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// Responder is the automatic response in the Security account.
type Responder interface {
	constructs.Construct
	// Function is the responder function (child "Resource").
	Function() awslambda.IFunction
	// Queue is the responder queue the detection functions send to.
	Queue() awssqs.IQueue
	// DeadLetterQueue holds the alerts the function could not handle after every retry.
	DeadLetterQueue() awssqs.IQueue
	// Key encrypts the queues, the table, the logs and the environment.
	Key() awskms.IKey
	// Table is the responder table.
	Table() awsdynamodb.ITable
}

type responder struct {
	constructs.Construct
	props    *ResponderProps
	env      stackenv.Env
	key      awskms.Key
	queue    awssqs.Queue
	dlq      awssqs.Queue
	table    awsdynamodb.Table
	function awslambda.Function
}

// NewResponder creates the responder. It panics with a descriptive error if props are
// invalid, and if the function cannot be built.
func NewResponder(scope constructs.Construct, id *string, props *ResponderProps) Responder {
	if err := props.validate(); err != nil {
		panic(err)
	}
	r := &responder{props: props}
	constructs.NewConstruct_Override(r, scope, id)
	managed.Tag(r)
	r.env = stackenv.Of(r)
	r.addKey()
	r.addQueues()
	r.addTable()
	r.addFunction()
	return r
}

func (r *responder) addKey() {
	r.key = awskms.NewKey(r, jsii.String("Key"), &awskms.KeyProps{
		Description:       jsii.String("trailguard: encrypts the responder's queues, table, logs and environment"),
		EnableKeyRotation: jsii.Bool(true),
		RemovalPolicy:     awscdk.RemovalPolicy_RETAIN_ON_UPDATE_OR_DELETE,
	})
	r.key.AddToResourcePolicy(keypolicy.DenyGrantsExceptForAWSServices(), jsii.Bool(false))
	r.key.AddToResourcePolicy(keypolicy.AllowCloudWatchLogs("AllowCloudWatchLogsForTheResponderLogGroup", r.env.Region,
		r.env.Arn("logs", "log-group:/aws/lambda/"+FunctionName)), jsii.Bool(true))
}

// addQueues adds the responder queue and its dead-letter queue, with an alarm on the alert
// topic when a message lands there (an alert the responder could not handle).
func (r *responder) addQueues() {
	r.dlq = awssqs.NewQueue(r, jsii.String("DeadLetterQueue"), &awssqs.QueueProps{
		QueueName:           jsii.String(QueueName + "-failed"),
		Encryption:          awssqs.QueueEncryption_KMS,
		EncryptionMasterKey: r.key,
		RetentionPeriod:     awscdk.Duration_Days(jsii.Number(dlqRetentionDays)),
		EnforceSSL:          jsii.Bool(true),
		RemovalPolicy:       awscdk.RemovalPolicy_RETAIN_ON_UPDATE_OR_DELETE,
	})
	const reason = "This queue is the responder queue's dead-letter queue: a dead-letter queue of it would only move the same messages; its alarm makes any message visible."
	compliance.Suppress(r.dlq, reason, "AwsSolutions-SQS3")
	compliance.Acknowledge(r.dlq, "sqs_dlq_check", reason)
	r.queue = awssqs.NewQueue(r, jsii.String("Queue"), &awssqs.QueueProps{
		QueueName:           jsii.String(QueueName),
		Encryption:          awssqs.QueueEncryption_KMS,
		EncryptionMasterKey: r.key,
		DataKeyReuse:        awscdk.Duration_Hours(jsii.Number(1)),
		RetentionPeriod:     awscdk.Duration_Days(jsii.Number(4)),
		// Six times the function's timeout, as Lambda advises for queue sources.
		VisibilityTimeout: awscdk.Duration_Seconds(jsii.Number(6 * timeoutSeconds)),
		EnforceSSL:        jsii.Bool(true),
		DeadLetterQueue:   &awssqs.DeadLetterQueue{Queue: r.dlq, MaxReceiveCount: jsii.Number(maxReceives)},
		RemovalPolicy:     awscdk.RemovalPolicy_RETAIN_ON_UPDATE_OR_DELETE,
	})
	delivery.NewAlarmOnAny(r, "DeadLetterAlarm", nil,
		"trailguard: alerts the responder could not handle after every retry wait in this queue: read them, fix the cause (the responder's log says it), and send them to the responder queue again.",
		r.dlq.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{
			Period:    awscdk.Duration_Minutes(jsii.Number(5)),
			Statistic: jsii.String("Maximum"),
		}), r.props.AlertTopic)
	topics.WarnAlarmsUnlessAsked(r, WarningAlertTopicAlarms, r.props.AlertTopic, r.env.Account, "the responder's dead-letter alarm")
}

// WarningAlertTopicAlarms is the id of the synth warning left when AlertTopic is imported and
// nothing else (eventsink's WarningAlertTopicPolicy) asks its owner to let this account's
// CloudWatch alarms publish to it and use its key. It carries the statements to add.
const WarningAlertTopicAlarms = "trailguard:responder:alertTopicAlarms"

// addTable adds the responder table (execute.DynamoLedger): pk, sk, TTL expires.
func (r *responder) addTable() {
	r.table = awsdynamodb.NewTable(r, jsii.String("Table"), &awsdynamodb.TableProps{
		TableName:           jsii.String(TableName),
		PartitionKey:        &awsdynamodb.Attribute{Name: jsii.String("pk"), Type: awsdynamodb.AttributeType_STRING},
		SortKey:             &awsdynamodb.Attribute{Name: jsii.String("sk"), Type: awsdynamodb.AttributeType_STRING},
		BillingMode:         awsdynamodb.BillingMode_PAY_PER_REQUEST,
		Encryption:          awsdynamodb.TableEncryption_CUSTOMER_MANAGED,
		EncryptionKey:       r.key,
		TimeToLiveAttribute: jsii.String("expires"),
		PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{
			PointInTimeRecoveryEnabled: jsii.Bool(true),
		},
		// No DynamoDB deletion protection: CloudFormation could not delete the table when
		// a first create rolls back (the guardrails deny deleting it to everyone else).
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN_ON_UPDATE_OR_DELETE,
	})
	compliance.Suppress(r.table, "The table holds only the responder's action counts of the last day, for its rate limit; the audit alerts are the record. "+
		"Point-in-time recovery covers its loss.",
		"NIST.800.53.R5-DynamoDBInBackupPlan", "HIPAA.Security-DynamoDBInBackupPlan", "PCI.DSS.321-DynamoDBInBackupPlan")
}

// code is the function's code: the binary, the response config (respond.ConfigFile, always
// written, so that the function never falls back on a default), the users' rule files, the
// deployed definitions and the organization context.
func (r *responder) code() awslambda.Code {
	dir, err := gobuild.Default.Build(Package)
	if err != nil {
		panic(err)
	}
	resp := config.Response{MaxActionsPerResource: config.DefaultMaxActionsPerResource, MaxActionsPerAccount: config.DefaultMaxActionsPerAccount}
	if r.props.ResponseConfig != nil {
		resp, _ = respond.ParseConfig([]byte(*r.props.ResponseConfig)) // validated in validate
	}
	cfg, err := respond.MarshalConfig(resp)
	if err != nil {
		panic(err)
	}
	bundled := map[string][]byte{respond.ConfigFile: cfg}
	if r.props.RuleFiles != nil {
		for n, c := range *r.props.RuleFiles {
			bundled[alertspec.RulesDir+"/"+n] = []byte(*c)
		}
	}
	if r.props.Deployed != nil {
		bundled[deployed.File] = []byte(*r.props.Deployed)
	}
	if oc := r.props.OrganizationContext; oc != nil {
		b, err := json.MarshalIndent(oc, "", "  ")
		if err != nil {
			panic(err)
		}
		bundled[alertspec.ContextFile] = append(b, '\n')
	}
	if dir, err = gobuild.WithFiles(dir, bundled); err != nil {
		panic(err)
	}
	return awslambda.Code_FromAsset(jsii.String(dir), nil)
}

func (r *responder) addFunction() {
	logGroup := awslogs.NewLogGroup(r, jsii.String("Logs"), &awslogs.LogGroupProps{
		LogGroupName:  jsii.String("/aws/lambda/" + FunctionName),
		EncryptionKey: r.key,
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN_ON_UPDATE_OR_DELETE,
	})
	logGroup.Node().DefaultChild().(awslogs.CfnLogGroup).SetRetentionInDays(jsii.Number(DefaultLogRetentionDays))
	role := awsiam.NewRole(r, jsii.String("Role"), &awsiam.RoleProps{
		RoleName:    jsii.String(FunctionName),
		Description: jsii.String("trailguard: the execution role of " + FunctionName + "; the only principal the accounts' " + respond.RoleName + " roles trust"),
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
	})
	statements := []awsiam.PolicyStatement{
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("WriteLogs"),
			Actions:   jsii.Strings("logs:CreateLogStream", "logs:PutLogEvents"),
			Resources: &[]*string{r.env.Arn("logs", "log-group:/aws/lambda/"+FunctionName+":log-stream:*")},
		}),
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("ReadQueue"),
			Actions:   jsii.Strings("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"),
			Resources: &[]*string{r.queue.QueueArn()},
		}),
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("DecryptQueue"),
			Actions:   jsii.Strings("kms:Decrypt"),
			Resources: &[]*string{r.key.KeyArn()},
			Conditions: &map[string]any{"StringEquals": map[string]any{
				"kms:ViaService":                    r.env.ViaService("sqs"),
				"kms:EncryptionContext:aws:sqs:arn": r.queue.QueueArn(),
			}},
		}),
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("CountActions"),
			Actions:   jsii.Strings("dynamodb:Query", "dynamodb:PutItem"),
			Resources: &[]*string{r.table.TableArn()},
		}),
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("EncryptCounts"),
			Actions:   jsii.Strings("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"),
			Resources: &[]*string{r.key.KeyArn()},
			Conditions: &map[string]any{"StringEquals": map[string]any{
				"kms:ViaService": r.env.ViaService("dynamodb"),
			}},
		}),
		// The responder role of the organization's accounts, and nothing else.
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:     jsii.String("AssumeResponderRoles"),
			Actions: jsii.Strings("sts:AssumeRole"),
			Resources: &[]*string{awscdk.Fn_Join(jsii.String(""), &[]*string{
				jsii.String("arn:"), r.env.Partition, jsii.String(":iam::*:role/" + respond.RoleName),
			})},
			Conditions: &map[string]any{"StringEquals": map[string]any{"aws:ResourceOrgID": r.props.OrganizationId}},
		}),
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("PutAuditAlerts"),
			Actions:   jsii.Strings("events:PutEvents"),
			Resources: &[]*string{r.props.AlertBus.EventBusArn()},
		}),
	}
	statements = append(statements, topics.PublishStatements(r.env, r.props.AlertTopic, r.props.AlertKey)...)
	policy := awsiam.NewManagedPolicy(r, jsii.String("Policy"), &awsiam.ManagedPolicyProps{
		ManagedPolicyName: jsii.String(FunctionName),
		Description:       jsii.String("trailguard: what " + FunctionName + " needs, and nothing else"),
		Roles:             &[]awsiam.IRole{role},
		Statements:        &statements,
	})
	compliance.SuppressMatching(policy, "AwsSolutions-IAM5",
		"Lambda names the function's log streams when it creates them (known only by prefix, in its own log group); "+
			"the responder assumes the trailguard-responder role of whichever account an alert names, limited to the organization by aws:ResourceOrgID.",
		`^Resource::arn:.+:logs:.+:log-group:/aws/lambda/`+FunctionName+`:log-stream:\*$`,
		`^Resource::arn:(aws[a-z-]*|<AWS::Partition>):iam::\*:role/`+respond.RoleName+`$`)
	env := map[string]*string{
		alertspec.EnvTopicARN: r.props.AlertTopic.TopicArn(),
		alertspec.EnvBusName:  r.props.AlertBus.EventBusName(),
		respond.EnvTable:      r.table.TableName(),
		respond.EnvPartition:  r.env.Partition,
	}
	if r.props.DisabledRules != nil && len(*r.props.DisabledRules) > 0 {
		var ids []string
		for _, id := range *r.props.DisabledRules {
			ids = append(ids, *id)
		}
		env[alertspec.EnvDisabledRules] = jsii.String(strings.Join(ids, ","))
	}
	r.function = awslambda.NewFunction(r, jsii.String("Resource"), &awslambda.FunctionProps{
		FunctionName:          jsii.String(FunctionName),
		Description:           jsii.String("trailguard: the automatic response (docs/response.md)"),
		Runtime:               awslambda.Runtime_PROVIDED_AL2023(),
		Architecture:          awslambda.Architecture_ARM_64(),
		Handler:               jsii.String(gobuild.Binary),
		Code:                  r.code(),
		MemorySize:            jsii.Number(256),
		Timeout:               awscdk.Duration_Seconds(jsii.Number(timeoutSeconds)),
		Environment:           &env,
		Role:                  role.WithoutPolicyUpdates(nil),
		EnvironmentEncryption: r.key,
		LogGroup:              logGroup,
		LoggingFormat:         awslambda.LoggingFormat_JSON,
	})
	r.function.Node().AddDependency(policy)
	fnrole.DropRoleDependsOn(r.function, role)
	mapping := awslambda.NewEventSourceMapping(r, jsii.String("QueueMapping"), &awslambda.EventSourceMappingProps{
		Target:                  r.function,
		EventSourceArn:          r.queue.QueueArn(),
		BatchSize:               jsii.Number(1),
		ReportBatchItemFailures: jsii.Bool(true),
	})
	mapping.Node().AddDependency(policy)
	compliance.Suppress(r.function, "The function calls only AWS APIs (SQS, STS, S3, EC2, IAM, CloudTrail, CloudWatch, SNS, EventBridge, DynamoDB) and serves no network: "+
		"a VPC would add NAT or interface endpoints and no control.",
		"NIST.800.53.R5-LambdaInsideVPC", "HIPAA.Security-LambdaInsideVPC", "PCI.DSS.321-LambdaInsideVPC")
	compliance.Acknowledge(r.function, "lambda_inside_vpc_check", "The function calls only AWS APIs and serves no network; see the cdk-nag suppression's reason.")
	compliance.Suppress(r.function, "Concurrency is bounded by the queue's batch of one and the rate limits; a reservation would fail the deploy in accounts at the default concurrency quota.",
		"NIST.800.53.R5-LambdaConcurrency", "HIPAA.Security-LambdaConcurrency", "PCI.DSS.321-LambdaConcurrency")
	compliance.Suppress(r.function, "Its failures are retried by the queue and then kept in the queue's dead-letter queue; nothing invokes it asynchronously.",
		"NIST.800.53.R5-LambdaDLQ", "HIPAA.Security-LambdaDLQ", "PCI.DSS.321-LambdaDLQ")
}

func (r *responder) Function() awslambda.IFunction  { return r.function }
func (r *responder) Queue() awssqs.IQueue           { return r.queue }
func (r *responder) Key() awskms.IKey               { return r.key }
func (r *responder) DeadLetterQueue() awssqs.IQueue { return r.dlq }
func (r *responder) Table() awsdynamodb.ITable      { return r.table }
