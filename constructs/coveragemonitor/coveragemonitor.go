// Package coveragemonitor deploys trailguard's coverage monitor in the Security account: the
// table of each forwarding account's and region's last heartbeat (written by the detection
// stream function, which this construct grants and configures) and latest activity in the log
// archive (written by the detection archive function, likewise), the monitor function
// (cmd/coveragemonitor) run every coverage.MonitorInterval with the expected pairs bundled
// beside its binary, and an alarm, missing data breaching, on the metric the monitor puts at
// the end of every successful run, so a broken monitor alerts too.
//
// The heartbeats themselves come from every forwarder (package eventforwarder's schedule);
// package coverage has the logic and the latency arithmetic.
//
// Usage, in the Security account's stack beside the detection functions given the log
// archive (the package example, which go test compiles, shows the stream side alone); one
// per account:
//
//	d := detection.NewDetection(stack, jsii.String("Detection"), &detection.DetectionProps{
//		Stream: sink.Stream(), StreamKey: sink.StreamKey(), AlertTopic: sink.AlertTopic(), AlertKey: sink.AlertKey(),
//		ArchiveBucket: archive.Bucket(),
//	})
//	expected := &coverage.Expected{Complete: true} // every account and region that forwards
//	expected.Add("111111111111", "eu-west-1", "us-east-1")
//	expected.Add("222222222222", "eu-west-1", "us-east-1")
//	coveragemonitor.NewCoverageMonitor(stack, jsii.String("CoverageMonitor"), &coveragemonitor.CoverageMonitorProps{
//		Expected:        expected,
//		Recorder:        d.StreamFunction().(awslambda.Function),
//		ArchiveRecorder: d.ArchiveFunction().(awslambda.Function), // regions in use without a forwarder
//		AlertTopic:      sink.AlertTopic(),
//		AlertKey:        sink.AlertKey(),
//		AlertBus:        d.AlertBus(),
//	})
package coveragemonitor

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsscheduler"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/trailguard/trailguard/compliance"
	"github.com/trailguard/trailguard/constructs/internal/check"
	"github.com/trailguard/trailguard/constructs/internal/fnrole"
	"github.com/trailguard/trailguard/constructs/internal/gobuild"
	"github.com/trailguard/trailguard/constructs/internal/keypolicy"
	"github.com/trailguard/trailguard/constructs/internal/managed"
	"github.com/trailguard/trailguard/constructs/internal/stackenv"
	"github.com/trailguard/trailguard/constructs/internal/topics"
	"github.com/trailguard/trailguard/internal/alertspec"
	"github.com/trailguard/trailguard/internal/coveragespec"
)

// MonitorPackage is the import path of the monitor function's main package.
const MonitorPackage = "github.com/trailguard/trailguard/cmd/coveragemonitor"

// A synth that builds the monitor decides whether it is up to date in one go invocation
// with the other constructs' functions (see gobuild.Builder.Register).
func init() { gobuild.Default.Register(MonitorPackage) }

// Names, fixed so that the guardrails protect them by name.
const (
	// TableName names the coverage table.
	TableName = "trailguard-coverage"
	// FunctionName names the monitor function, its role, policy, log group, schedule and
	// alarm.
	FunctionName = "trailguard-coverage-monitor"
	// ScheduleRoleName names the role (and its policy) the schedule invokes the monitor
	// with.
	ScheduleRoleName = "trailguard-coverage-monitor-schedule"
	// RecorderPolicyName names the managed policy that lets the stream function record
	// heartbeats.
	RecorderPolicyName = "trailguard-coverage-heartbeats"
	// ArchiveRecorderPolicyName names the managed policy that lets the archive function
	// record archive activity.
	ArchiveRecorderPolicyName = "trailguard-coverage-archive-activity"
)

// AlarmPeriod is the monitor alarm's period: three monitor runs, so one late run is no alarm.
const AlarmPeriod = 3 * coveragespec.MonitorInterval

// CoverageMonitorProps configures CoverageMonitor.
type CoverageMonitorProps struct {
	// Expected are the account and region pairs that must send heartbeats, computed from
	// the config; bundled with the function as coverage.ExpectedFile. Required. The type is
	// coverage.Expected (an alias): it is defined in internal/coveragespec so that the
	// construct compiles without the AWS SDK client package coverage's table uses.
	Expected *coveragespec.Expected
	// Recorder is the function that records heartbeats from the stream (the detection
	// stream function, cmd/streamconsumer): it gets coverage.EnvTable in its environment and
	// a managed policy, RecorderPolicyName, on its role. Required.
	Recorder awslambda.Function
	// ArchiveRecorder is the function that records the log archive's activity per account
	// and region (the detection archive function, cmd/archiveconsumer): it gets
	// coverage.EnvTable in its environment and a managed policy, ArchiveRecorderPolicyName,
	// allowing only dynamodb:UpdateItem on the table. Without it no pair is ever active in
	// the archive, and coverage.RuleUnforwarded never alerts.
	// Default: none.
	ArchiveRecorder awslambda.Function
	// AlertTopic receives the monitor's alerts and its alarm. Required.
	AlertTopic awssns.ITopic
	// AlertKey encrypts the alert topic. Required.
	AlertKey awskms.IKey
	// AlertBus receives the alerts for integrations, as the detection functions' do.
	// Default: none.
	AlertBus awsevents.IEventBus
	// LogRetentionDays is the monitor's log retention, one of CloudWatch Logs' periods.
	// Default: 365.
	LogRetentionDays *float64
	// Code is the monitor function's code; it must hold coverage.ExpectedFile beside the
	// binary.
	// Default: MonitorPackage built for provided.al2023 on arm64 at synth, with Expected.
	Code awslambda.Code
}

func (p *CoverageMonitorProps) validate() error {
	c := check.New("coveragemonitor")
	if p == nil {
		c.Addf("props are required")
		return c.Err()
	}
	if p.Expected == nil || len(p.Expected.Accounts) == 0 {
		c.Addf("Expected is required: the accounts and regions that must send heartbeats")
	}
	if p.Recorder == nil {
		c.Addf("Recorder is required: the function that records heartbeats from the stream (detection's stream function)")
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
	if d := p.LogRetentionDays; d != nil {
		ok := false
		for _, v := range check.LogGroupRetentionDays {
			ok = ok || v == *d
		}
		if !ok {
			c.Addf("LogRetentionDays must be one of %v, got %v", check.LogGroupRetentionDays, *d)
		}
	}
	return c.Err()
}

// CoverageMonitor is the Security account's coverage monitor.
type CoverageMonitor interface {
	constructs.Construct
	// Function is the monitor function.
	Function() awslambda.IFunction
	// Table holds each pair's last heartbeat and the monitor's state.
	Table() awsdynamodb.ITable
	// Alarm goes off when the monitor stops reporting.
	Alarm() awscloudwatch.IAlarm
}

type coverageMonitor struct {
	constructs.Construct
	props                      *CoverageMonitorProps
	stackEnv                   stackenv.Env
	partition, region, account *string
	key                        awskms.Key
	table                      awsdynamodb.Table
	fn                         awslambda.Function
	alarm                      awscloudwatch.Alarm
}

// NewCoverageMonitor creates the monitor; the function is the child "Resource". It panics
// with a descriptive error if props are invalid or the function cannot be built.
func NewCoverageMonitor(scope constructs.Construct, id *string, props *CoverageMonitorProps) CoverageMonitor {
	if err := props.validate(); err != nil {
		panic(err)
	}
	if err := check.OnePerStack(scope, func(c constructs.IConstruct) bool { _, ok := c.(CoverageMonitor); return ok }, "coveragemonitor.CoverageMonitor",
		*scope.Node().Path()+"/"+*id, "its table is named "+TableName+" and its roles and policies have fixed names, unique per account"); err != nil {
		panic(err)
	}
	m := &coverageMonitor{props: props}
	constructs.NewConstruct_Override(m, scope, id)
	managed.Tag(m)
	stack := awscdk.Stack_Of(m)
	m.stackEnv = stackenv.Of(stack)
	m.partition, m.region, m.account = m.stackEnv.Partition, m.stackEnv.Region, m.stackEnv.Account
	m.addKey()
	m.addTable()
	m.grantRecorder()
	m.grantArchiveRecorder()
	m.addFunction()
	m.addAlarm()
	return m
}

// addKey adds the key of the table, the log group and the environment.
func (m *coverageMonitor) addKey() {
	m.key = awskms.NewKey(m, jsii.String("Key"), &awskms.KeyProps{
		Description:       jsii.String("trailguard: encrypts the coverage monitor's table, logs and environment"),
		EnableKeyRotation: jsii.Bool(true),
		RemovalPolicy:     awscdk.RemovalPolicy_RETAIN_ON_UPDATE_OR_DELETE,
	})
	m.key.AddToResourcePolicy(keypolicy.DenyGrantsExceptForAWSServices(), jsii.Bool(false))
	m.key.AddToResourcePolicy(keypolicy.AllowCloudWatchLogs("AllowCloudWatchLogsForTheMonitorLogGroup", m.region,
		m.stackEnv.Arn("logs", "log-group:/aws/lambda/"+FunctionName)), jsii.Bool(true))
}

// addTable adds the coverage table: one item per pair, encrypted, point-in-time recovery,
// retained.
func (m *coverageMonitor) addTable() {
	m.table = awsdynamodb.NewTable(m, jsii.String("Table"), &awsdynamodb.TableProps{
		TableName:     jsii.String(TableName),
		PartitionKey:  &awsdynamodb.Attribute{Name: jsii.String(coveragespec.KeyAttribute), Type: awsdynamodb.AttributeType_STRING},
		BillingMode:   awsdynamodb.BillingMode_PAY_PER_REQUEST,
		Encryption:    awsdynamodb.TableEncryption_CUSTOMER_MANAGED,
		EncryptionKey: m.key,
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
	compliance.Suppress(m.table, "The table holds each account's and region's last heartbeat time and the monitor's verdict: "+
		"the next heartbeats rebuild it within minutes; point-in-time recovery covers its loss, and it holds no evidence.",
		"NIST.800.53.R5-DynamoDBInBackupPlan", "HIPAA.Security-DynamoDBInBackupPlan", "PCI.DSS.321-DynamoDBInBackupPlan")
}

// tableStatements let a role use the table with actions, encrypting through DynamoDB.
func (m *coverageMonitor) tableStatements(sid string, actions ...string) []awsiam.PolicyStatement {
	return []awsiam.PolicyStatement{
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String(sid),
			Actions:   jsii.Strings(actions...),
			Resources: &[]*string{m.table.TableArn()},
		}),
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String(sid + "Encrypted"),
			Actions:   jsii.Strings("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"),
			Resources: &[]*string{m.key.KeyArn()},
			Conditions: &map[string]any{"StringEquals": map[string]any{
				"kms:ViaService": m.stackEnv.ViaService("dynamodb"),
			}},
		}),
	}
}

// grantRecorder lets the stream function record heartbeats (UpdateItem only) and tells it
// the table.
func (m *coverageMonitor) grantRecorder() {
	rec := m.props.Recorder
	stmts := m.tableStatements("RecordHeartbeats", "dynamodb:UpdateItem")
	policy := awsiam.NewManagedPolicy(m, jsii.String("RecorderPolicy"), &awsiam.ManagedPolicyProps{
		ManagedPolicyName: jsii.String(RecorderPolicyName),
		Description:       jsii.String("trailguard: lets the detection stream function record heartbeats in the coverage table"),
		// By name: the function's role takes no policy updates through the L2.
		Roles:      &[]awsiam.IRole{rec.Role()},
		Statements: &stmts,
	})
	rec.AddEnvironment(jsii.String(coveragespec.EnvTable), m.table.TableName(), nil)
	// Heartbeats arriving before the grant fail and are retried; after it they are recorded.
	rec.Node().AddDependency(policy)
}

// grantArchiveRecorder lets the archive function record archive activity (UpdateItem only)
// and tells it the table.
func (m *coverageMonitor) grantArchiveRecorder() {
	rec := m.props.ArchiveRecorder
	if rec == nil {
		return
	}
	stmts := m.tableStatements("RecordArchiveActivity", "dynamodb:UpdateItem")
	policy := awsiam.NewManagedPolicy(m, jsii.String("ArchiveRecorderPolicy"), &awsiam.ManagedPolicyProps{
		ManagedPolicyName: jsii.String(ArchiveRecorderPolicyName),
		Description:       jsii.String("trailguard: lets the detection archive function record each account's and region's activity in the coverage table"),
		Roles:             &[]awsiam.IRole{rec.Role()},
		Statements:        &stmts,
	})
	rec.AddEnvironment(jsii.String(coveragespec.EnvTable), m.table.TableName(), nil)
	// A write refused before the grant fails its messages, which the queue delivers again.
	rec.Node().AddDependency(policy)
}

// addFunction adds the monitor function, its role, policy and log group, and the rule that
// runs it every coverage.MonitorInterval.
func (m *coverageMonitor) addFunction() {
	code := m.props.Code
	if code == nil {
		dir, err := bundle(m.props.Expected)
		if err != nil {
			panic(err)
		}
		code = awslambda.Code_FromAsset(jsii.String(dir), nil)
	}
	logGroup := awslogs.NewLogGroup(m, jsii.String("Logs"), &awslogs.LogGroupProps{
		LogGroupName:  jsii.String("/aws/lambda/" + FunctionName),
		EncryptionKey: m.key,
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN_ON_UPDATE_OR_DELETE,
	})
	days := 365.0
	if m.props.LogRetentionDays != nil {
		days = *m.props.LogRetentionDays
	}
	logGroup.Node().DefaultChild().(awslogs.CfnLogGroup).SetRetentionInDays(jsii.Number(days))
	role := awsiam.NewRole(m, jsii.String("Role"), &awsiam.RoleProps{
		RoleName:    jsii.String(FunctionName),
		Description: jsii.String("trailguard: the execution role of " + FunctionName),
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
	})
	stmts := []awsiam.PolicyStatement{
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("WriteLogs"),
			Actions:   jsii.Strings("logs:CreateLogStream", "logs:PutLogEvents"),
			Resources: &[]*string{m.stackEnv.Arn("logs", "log-group:/aws/lambda/"+FunctionName+":log-stream:*")},
		}),
	}
	stmts = append(stmts, topics.PublishStatements(m.stackEnv, m.props.AlertTopic, m.props.AlertKey)...)
	stmts = append(stmts, m.tableStatements("ReadAndJudgeHeartbeats", "dynamodb:Scan", "dynamodb:UpdateItem")...)
	env := map[string]*string{
		coveragespec.EnvTable: m.table.TableName(),
		alertspec.EnvTopicARN: m.props.AlertTopic.TopicArn(),
	}
	if bus := m.props.AlertBus; bus != nil {
		stmts = append(stmts, awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("PutAlertEvents"),
			Actions:   jsii.Strings("events:PutEvents"),
			Resources: &[]*string{bus.EventBusArn()},
		}))
		env[alertspec.EnvBusName] = bus.EventBusName()
	}
	policy := awsiam.NewManagedPolicy(m, jsii.String("Policy"), &awsiam.ManagedPolicyProps{
		ManagedPolicyName: jsii.String(FunctionName),
		Description:       jsii.String("trailguard: what " + FunctionName + " needs, and nothing else"),
		Roles:             &[]awsiam.IRole{role},
		Statements:        &stmts,
	})
	compliance.SuppressMatching(policy, "AwsSolutions-IAM5",
		"Lambda names the function's log streams by date and instance when it creates them: known only by prefix, in the function's own log group.",
		`^Resource::arn:.+:logs:.+:log-group:/aws/lambda/`+FunctionName+`:log-stream:\*$`)
	m.fn = awslambda.NewFunction(m, jsii.String("Resource"), &awslambda.FunctionProps{
		FunctionName: jsii.String(FunctionName),
		Description:  jsii.String("trailguard: alerts when a forwarding account and region stops sending heartbeats"),
		Runtime:      awslambda.Runtime_PROVIDED_AL2023(),
		Architecture: awslambda.Architecture_ARM_64(),
		Handler:      jsii.String(gobuild.Binary),
		Code:         code,
		MemorySize:   jsii.Number(256),
		Timeout:      awscdk.Duration_Minutes(jsii.Number(2)),
		Environment:  &env,
		Role:         role.WithoutPolicyUpdates(nil),
		// Lambda decrypts the environment with a grant it creates at deploy.
		EnvironmentEncryption: m.key,
		LogGroup:              logGroup,
		LoggingFormat:         awslambda.LoggingFormat_JSON,
	})
	m.fn.Node().AddDependency(policy)
	fnrole.DropRoleDependsOn(m.fn, role)
	const noDLQ = "The function is invoked by a schedule every few minutes with no input worth keeping: a failed run is followed by the next, " +
		"and runs that keep failing set off the monitor's alarm (missing data breaching)."
	compliance.Suppress(m.fn, noDLQ, "NIST.800.53.R5-LambdaDLQ", "HIPAA.Security-LambdaDLQ", "PCI.DSS.321-LambdaDLQ")
	compliance.Acknowledge(m.fn, "lambda_dlq_check", noDLQ)
	compliance.Suppress(m.fn, "The function calls only AWS APIs (DynamoDB, SNS, EventBridge, KMS) and serves no network: "+
		"a VPC would add NAT or interface endpoints and no control; its permissions are limited to the named resources instead.",
		"NIST.800.53.R5-LambdaInsideVPC", "HIPAA.Security-LambdaInsideVPC", "PCI.DSS.321-LambdaInsideVPC")
	compliance.Acknowledge(m.fn, "lambda_inside_vpc_check", "The function calls only AWS APIs and serves no network; see the cdk-nag suppression's reason.")
	compliance.Suppress(m.fn, "One invocation every few minutes from one schedule: a reservation would only take concurrency from accounts at the new-account quota of 10.",
		"NIST.800.53.R5-LambdaConcurrency", "HIPAA.Security-LambdaConcurrency", "PCI.DSS.321-LambdaConcurrency")

	m.addSchedule()
}

// addSchedule adds the schedule that invokes the monitor every coverage.MonitorInterval:
// EventBridge Scheduler's templated Lambda Invoke target, with a role allowed to invoke only
// this function (https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-targets-templated.html),
// trusting Scheduler for this account's default schedule group only
// (https://docs.aws.amazon.com/scheduler/latest/UserGuide/setting-up.html#setting-up-execution-role).
func (m *coverageMonitor) addSchedule() {
	role := awsiam.NewRole(m, jsii.String("ScheduleRole"), &awsiam.RoleProps{
		RoleName:    jsii.String(ScheduleRoleName),
		Description: jsii.String("trailguard: lets the schedule invoke " + FunctionName),
		AssumedBy: awsiam.NewServicePrincipal(jsii.String("scheduler.amazonaws.com"), nil).WithConditions(&map[string]any{
			"StringEquals": map[string]any{"aws:SourceAccount": m.account, "aws:SourceArn": m.stackEnv.Arn("scheduler", "schedule-group/default")},
		}),
	})
	policy := awsiam.NewManagedPolicy(m, jsii.String("SchedulePolicy"), &awsiam.ManagedPolicyProps{
		ManagedPolicyName: jsii.String(ScheduleRoleName),
		Description:       jsii.String("trailguard: invoke " + FunctionName),
		Roles:             &[]awsiam.IRole{role},
		Statements: &[]awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("InvokeMonitor"),
			Actions:   jsii.Strings("lambda:InvokeFunction"),
			Resources: &[]*string{m.fn.FunctionArn()},
		})},
	})
	schedule := awsscheduler.NewCfnSchedule(m, jsii.String("Schedule"), &awsscheduler.CfnScheduleProps{
		Name:               jsii.String(FunctionName),
		Description:        jsii.String("trailguard: runs the coverage monitor"),
		ScheduleExpression: jsii.String(fmt.Sprintf("rate(%d minutes)", int(coveragespec.MonitorInterval.Minutes()))),
		FlexibleTimeWindow: &awsscheduler.CfnSchedule_FlexibleTimeWindowProperty{Mode: jsii.String("OFF")},
		State:              jsii.String("ENABLED"),
		Target: &awsscheduler.CfnSchedule_TargetProperty{
			Arn:     m.fn.FunctionArn(),
			RoleArn: role.RoleArn(),
			// A run that cannot start within an interval is replaced by the next one; runs
			// that keep failing put no metric, and the alarm goes off.
			RetryPolicy: &awsscheduler.CfnSchedule_RetryPolicyProperty{
				MaximumEventAgeInSeconds: jsii.Number(coveragespec.MonitorInterval.Seconds()),
				MaximumRetryAttempts:     jsii.Number(2),
			},
		},
	})
	schedule.Node().AddDependency(policy)
}

// addAlarm adds the alarm on the monitor's metric: it goes off when no run succeeded for
// AlarmPeriod (missing data is breaching), whatever the cause.
func (m *coverageMonitor) addAlarm() {
	m.alarm = awscloudwatch.NewAlarm(m, jsii.String("Alarm"), &awscloudwatch.AlarmProps{
		AlarmName: jsii.String(FunctionName),
		AlarmDescription: jsii.String(fmt.Sprintf("trailguard: the coverage monitor has not completed a run in %v (it runs every %v): "+
			"silent accounts and regions would go unnoticed. See the function's log.", AlarmPeriod, coveragespec.MonitorInterval)),
		Metric: awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace:  jsii.String(coveragespec.MetricNamespace),
			MetricName: jsii.String(coveragespec.MetricSilentPairs),
			Statistic:  jsii.String("SampleCount"),
			Period:     awscdk.Duration_Seconds(jsii.Number(AlarmPeriod.Seconds())),
		}),
		Threshold:          jsii.Number(1),
		ComparisonOperator: awscloudwatch.ComparisonOperator_LESS_THAN_THRESHOLD,
		EvaluationPeriods:  jsii.Number(1),
		TreatMissingData:   awscloudwatch.TreatMissingData_BREACHING,
	})
	m.alarm.AddAlarmAction(topics.AlarmAction(m.props.AlertTopic))
	m.alarm.AddOkAction(topics.AlarmAction(m.props.AlertTopic))
	topics.WarnAlarmsUnlessAsked(m, WarningAlertTopicAlarms, m.props.AlertTopic, m.stackEnv.Account, "the monitor's alarm")
}

// WarningAlertTopicAlarms is the id of the synth warning left when AlertTopic is imported and
// nothing else (eventsink's WarningAlertTopicPolicy) asks its owner to let this account's
// CloudWatch alarms publish to it and use its key. It carries the statements to add.
const WarningAlertTopicAlarms = "trailguard:coveragemonitor:alertTopicAlarms"

// bundle returns a directory holding the monitor's binary and the expected pairs, under the
// function build cache, named by their content: the same inputs give the same directory (and
// asset hash) on every synth.
func bundle(expected *coveragespec.Expected) (string, error) {
	bin, err := gobuild.Default.Build(MonitorPackage)
	if err != nil {
		return "", err
	}
	pairs, err := expected.Marshal()
	if err != nil {
		return "", fmt.Errorf("coveragemonitor: expected pairs: %w", err)
	}
	dir, err := gobuild.WithFiles(bin, map[string][]byte{coveragespec.ExpectedFile: pairs})
	if err != nil {
		return "", fmt.Errorf("coveragemonitor: %w", err)
	}
	return dir, nil
}

func (m *coverageMonitor) Function() awslambda.IFunction { return m.fn }
func (m *coverageMonitor) Table() awsdynamodb.ITable     { return m.table }
func (m *coverageMonitor) Alarm() awscloudwatch.IAlarm   { return m.alarm }
