// Package eventforwarder provides the member-account end of trailguard's real-time leg: rules
// on the default event bus that forward the account's CloudTrail API-call and console sign-in
// events to the Security account.
//
// One template serves every account and region: names are built from AWS::AccountId and
// AWS::Region, and the difference between the home region and the others is a pair of
// CloudFormation conditions.
//
//   - Home region (the stream's region): every event goes directly to the Security stream (a
//     same-region, cross-account Kinesis target with an execution role; one hop, no bus
//     charges). The high-risk subset also goes to the Security account's receiving bus,
//     only so that the alert rule there sees it; the bus does not put it on the stream again.
//   - Other regions: every event goes to the receiving bus (cross-account, cross-region),
//     whose rule puts it on the stream.
//
// The rules forward only events of this account and region, so events that other accounts
// forward to this account's default bus are never put on the stream twice.
//
// Every target has its own least-privilege role, an encrypted dead-letter queue with an alarm
// and the longest retry policy EventBridge allows.
package eventforwarder

import (
	"errors"
	"fmt"
	"regexp"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/trailguard/trailguard/constructs/eventdlq"
	"github.com/trailguard/trailguard/constructs/eventsink"
	"github.com/trailguard/trailguard/constructs/internal/keypolicy"
	"github.com/trailguard/trailguard/constructs/internal/topics"
)

// Role names. IAM names are global per account, so they include the region. The Security
// account's stream, key and bus policies allow exactly these names from the organization.
const (
	// StreamRoleNamePrefix starts the name of the home-region role that puts records on
	// the stream; the region follows.
	StreamRoleNamePrefix = eventsink.ResourcePrefix + "forwarder-stream-"
	// BusRoleNamePrefix starts the name of the role that puts events on the receiving bus;
	// the region follows.
	BusRoleNamePrefix = eventsink.ResourcePrefix + "forwarder-bus-"
	// BusRoleNamePattern matches the bus roles of every region.
	BusRoleNamePattern = BusRoleNamePrefix + "*"
)

// StreamRoleName is the name of the role that puts records on the stream in region (the
// home region).
func StreamRoleName(region string) string { return StreamRoleNamePrefix + region }

// Rule names. They start with eventsink.ResourcePrefix, so the alert pattern recognises
// changes to them.
const (
	StreamRuleName   = eventsink.ResourcePrefix + "forward-to-stream"
	BusRuleName      = eventsink.ResourcePrefix + "forward-to-bus"
	HighRiskRuleName = eventsink.ResourcePrefix + "forward-high-risk-to-bus"
)

// EventForwarderProps configures an EventForwarder.
type EventForwarderProps struct {
	// StreamArn is the ARN of the Security account's Kinesis stream. Its region is the home
	// region. Required.
	StreamArn *string
	// StreamKeyAlias is the alias of the stream's KMS key in the Security account, e.g.
	// "alias/trailguard/security-events": the key's id is unknown to member accounts.
	// Required.
	StreamKeyAlias *string
	// ReceivingBusArn is the ARN of the Security account's receiving event bus, in the
	// stream's account and region. Required.
	ReceivingBusArn *string
	// PartitionKeyPath is the JSONPath of the Kinesis partition key in the event.
	// Default: eventsink.PartitionKeyEventID ("$.id").
	PartitionKeyPath *string
	// ExtraDetailTypes are forwarded in addition to "AWS API Call via CloudTrail" and
	// "AWS Console Sign In via CloudTrail".
	// Default: none.
	ExtraDetailTypes *[]*string
	// IncludeReadOnlyEvents also forwards read-only management events (rule state
	// ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS). High volume and cost.
	// Default: false.
	IncludeReadOnlyEvents *bool
	// AlarmEmails are subscribed to the topic the dead-letter queue alarms notify.
	// Default: none (subscribe to AlarmTopic yourself).
	AlarmEmails *[]*string
}

var (
	streamArnRe = regexp.MustCompile(`^arn:(aws[a-z-]*):kinesis:([a-z0-9-]+):([0-9]{12}):stream/([A-Za-z0-9_.-]{1,128})$`)
	busArnRe    = regexp.MustCompile(`^arn:(aws[a-z-]*):events:([a-z0-9-]+):([0-9]{12}):event-bus/([A-Za-z0-9._-]{1,256})$`)
	aliasRe     = regexp.MustCompile(`^alias/[A-Za-z0-9/_-]{1,250}$`)
	emailRe     = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
)

// target is the parsed location of the stream and the bus.
type target struct {
	partition, region, account string
}

func (p *EventForwarderProps) validate() (target, error) {
	var t target
	if p == nil {
		return t, errors.New("eventforwarder: props are required")
	}
	var errs []error
	// The ARNs must be concrete: the home region and the Security account are derived
	// from them at synth time.
	if p.StreamArn == nil || *p.StreamArn == "" {
		errs = append(errs, errors.New("eventforwarder: StreamArn is required: the ARN of the Security account's stream"))
	} else if m := streamArnRe.FindStringSubmatch(*p.StreamArn); m == nil {
		errs = append(errs, fmt.Errorf("eventforwarder: StreamArn must be a Kinesis stream ARN such as arn:aws:kinesis:eu-west-1:222222222222:stream/trailguard-security-events, got %q", *p.StreamArn))
	} else {
		t = target{partition: m[1], region: m[2], account: m[3]}
	}
	if p.ReceivingBusArn == nil || *p.ReceivingBusArn == "" {
		errs = append(errs, errors.New("eventforwarder: ReceivingBusArn is required: the ARN of the Security account's receiving event bus"))
	} else if m := busArnRe.FindStringSubmatch(*p.ReceivingBusArn); m == nil {
		errs = append(errs, fmt.Errorf("eventforwarder: ReceivingBusArn must be an event bus ARN such as arn:aws:events:eu-west-1:222222222222:event-bus/trailguard-security-events, got %q", *p.ReceivingBusArn))
	} else if m[4] == "default" {
		errs = append(errs, fmt.Errorf("eventforwarder: ReceivingBusArn must name a custom bus, got %q", *p.ReceivingBusArn))
	} else if t.region != "" && (m[1] != t.partition || m[2] != t.region || m[3] != t.account) {
		errs = append(errs, fmt.Errorf("eventforwarder: ReceivingBusArn must be in the stream's account and region (%s, %s), got %q", t.account, t.region, *p.ReceivingBusArn))
	}
	if p.StreamKeyAlias == nil || *p.StreamKeyAlias == "" {
		errs = append(errs, errors.New("eventforwarder: StreamKeyAlias is required: the alias of the stream's KMS key, e.g. alias/trailguard/security-events"))
	} else if !aliasRe.MatchString(*p.StreamKeyAlias) {
		errs = append(errs, fmt.Errorf("eventforwarder: StreamKeyAlias must be a KMS alias name such as alias/trailguard/security-events, got %q", *p.StreamKeyAlias))
	}
	if k := p.PartitionKeyPath; k != nil && (len(*k) < 3 || (*k)[:2] != "$.") {
		errs = append(errs, fmt.Errorf("eventforwarder: PartitionKeyPath must be a JSONPath into the event such as %s or %s, got %q", eventsink.PartitionKeyEventID, eventsink.PartitionKeyAccount, *k))
	}
	if p.ExtraDetailTypes != nil {
		for i, d := range *p.ExtraDetailTypes {
			if d == nil || *d == "" {
				errs = append(errs, fmt.Errorf("eventforwarder: ExtraDetailTypes[%d] must be an EventBridge detail-type, got an empty value", i))
			}
		}
	}
	if p.AlarmEmails != nil {
		for i, e := range *p.AlarmEmails {
			if e == nil {
				errs = append(errs, fmt.Errorf("eventforwarder: AlarmEmails[%d] must be an email address, got an empty value", i))
			} else if !emailRe.MatchString(*e) {
				errs = append(errs, fmt.Errorf("eventforwarder: AlarmEmails[%d] must be an email address, got %q", i, *e))
			}
		}
	}
	return t, errors.Join(errs...)
}

// EventForwarder forwards a member account's CloudTrail events of one region to the
// Security account.
type EventForwarder interface {
	constructs.Construct
	// HomeRegionCondition is true when the stack is deployed in the stream's region. Use it
	// for other home-region-only resources (e.g. the local trail).
	HomeRegionCondition() awscdk.CfnCondition
	// AlarmTopic is notified by the dead-letter queue alarms.
	AlarmTopic() awssns.ITopic
	// Key encrypts the dead-letter queues and the alarm topic.
	Key() awskms.IKey
}

type eventForwarder struct {
	constructs.Construct
	isHome     awscdk.CfnCondition
	alarmTopic awssns.Topic
	key        awskms.Key
}

// NewEventForwarder creates the forwarding rules; the home-region stream rule is the child
// "Resource". It panics with a descriptive error if props are invalid.
func NewEventForwarder(scope constructs.Construct, id string, props *EventForwarderProps) EventForwarder {
	dst, err := props.validate()
	if err != nil {
		panic(err)
	}
	f := &eventForwarder{}
	constructs.NewConstruct_Override(f, scope, jsii.String(id))

	// Pseudo parameters, not the stack's env, so the template is the same in every account
	// and region.
	partition, region, account := awscdk.Aws_PARTITION(), awscdk.Aws_REGION(), awscdk.Aws_ACCOUNT_ID()
	join := func(parts ...*string) *string { return awscdk.Fn_Join(jsii.String(""), &parts) }
	ruleArn := func(name string) *string {
		return join(jsii.String("arn:"), partition, jsii.String(":events:"), region, jsii.String(":"), account, jsii.String(":rule/"+name))
	}
	streamRuleArn, busRuleArn, highRiskRuleArn := ruleArn(StreamRuleName), ruleArn(BusRuleName), ruleArn(HighRiskRuleName)

	f.isHome = awscdk.NewCfnCondition(f, jsii.String("IsHomeRegion"), &awscdk.CfnConditionProps{
		Expression: awscdk.Fn_ConditionEquals(region, jsii.String(dst.region)),
	})
	isOther := awscdk.NewCfnCondition(f, jsii.String("IsOtherRegion"), &awscdk.CfnConditionProps{
		Expression: awscdk.Fn_ConditionNot(f.isHome),
	})

	// --- Key for the dead-letter queues and the alarm topic. Its policy names the account
	// by pseudo parameter (the L2's default would write the stack's account id).
	accountRoot := join(jsii.String("arn:"), partition, jsii.String(":iam::"), account, jsii.String(":root"))
	f.key = awskms.NewKey(f, jsii.String("Key"), &awskms.KeyProps{
		Description:       jsii.String("trailguard: encrypts the event forwarder's dead-letter queues and alarm topic"),
		EnableKeyRotation: jsii.Bool(true),
		RemovalPolicy:     awscdk.RemovalPolicy_RETAIN,
		Policy: awsiam.NewPolicyDocument(&awsiam.PolicyDocumentProps{Statements: &[]awsiam.PolicyStatement{
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid:        jsii.String("AllowAccountAdministration"),
				Principals: &[]awsiam.IPrincipal{awsiam.NewArnPrincipal(accountRoot)},
				Actions:    jsii.Strings("kms:*"),
				Resources:  jsii.Strings("*"),
			}),
			keypolicy.AllowEventBridgeAndCloudWatch(account),
			keypolicy.DenyGrantsExceptForAWSServices(),
		}}),
	})

	f.alarmTopic = awssns.NewTopic(f, jsii.String("AlarmTopic"), &awssns.TopicProps{
		DisplayName: jsii.String("trailguard event forwarder alarms"),
		MasterKey:   f.key,
		EnforceSSL:  jsii.Bool(true),
	})
	topics.AllowCloudWatchAlarms(f.alarmTopic, account)
	topics.SubscribeEmails(f.alarmTopic, props.AlarmEmails)

	// --- What is forwarded: this account's and region's CloudTrail events only.
	detailTypes := []any{eventsink.DetailTypeAPICall, eventsink.DetailTypeConsoleSignIn}
	if props.ExtraDetailTypes != nil {
		for _, d := range *props.ExtraDetailTypes {
			detailTypes = append(detailTypes, *d)
		}
	}
	own := func(pattern map[string]any) map[string]any {
		pattern["account"] = []any{account}
		pattern["region"] = []any{region}
		return pattern
	}
	state := "ENABLED"
	if props.IncludeReadOnlyEvents != nil && *props.IncludeReadOnlyEvents {
		state = "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"
	}
	partitionKey := eventsink.PartitionKeyEventID
	if props.PartitionKeyPath != nil {
		partitionKey = *props.PartitionKeyPath
	}

	// --- Home region: directly to the stream.
	streamRole := awsiam.NewRole(f, jsii.String("StreamRole"), &awsiam.RoleProps{
		RoleName:    join(jsii.String(StreamRoleNamePrefix), region),
		Description: jsii.String("trailguard: lets the forwarding rule put this account's events on the Security stream"),
		AssumedBy:   eventsPrincipal(account, streamRuleArn),
	})
	keysOfStreamAccount := fmt.Sprintf("arn:%s:kms:%s:%s:key/*", dst.partition, dst.region, dst.account)
	// Managed policies rather than inline ones (NIST 800-53 AC-6 and friends ask for it).
	// Named like the role, so the guardrails can protect it by ARN.
	streamPolicy := awsiam.NewManagedPolicy(f, jsii.String("StreamRolePolicy"), &awsiam.ManagedPolicyProps{
		ManagedPolicyName: join(jsii.String(StreamRoleNamePrefix), region),
		Description:       jsii.String("trailguard: put this account's events on the Security stream"),
		Roles:             &[]awsiam.IRole{streamRole},
		Statements: &[]awsiam.PolicyStatement{
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid:       jsii.String("PutRecords"),
				Actions:   jsii.Strings("kinesis:PutRecord", "kinesis:PutRecords"),
				Resources: &[]*string{props.StreamArn},
			}),
			// The key's id is unknown here: match it by its alias.
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid:       jsii.String("EncryptRecords"),
				Actions:   jsii.Strings("kms:GenerateDataKey"),
				Resources: jsii.Strings(keysOfStreamAccount),
				Conditions: &map[string]any{
					"ForAnyValue:StringEquals": map[string]any{"kms:ResourceAliases": props.StreamKeyAlias},
					"StringEquals": map[string]any{
						"kms:ViaService":                        "kinesis." + dst.region + ".amazonaws.com",
						"kms:EncryptionContext:aws:kinesis:arn": props.StreamArn,
					},
				},
			}),
		},
	})
	cdknag.NagSuppressions_AddResourceSuppressions(streamPolicy, &[]*cdknag.NagPackSuppression{{
		Id:        jsii.String("AwsSolutions-IAM5"),
		AppliesTo: &[]any{"Resource::" + keysOfStreamAccount},
		Reason: jsii.String("The stream key's id is not known in member accounts (it is created in the Security account); the statement is narrowed to the one key by " +
			"kms:ResourceAliases (its alias), kms:ViaService (Kinesis in the home region) and the stream's encryption context, and the key policy allows only this role name from the organization."),
	}}, jsii.Bool(true))
	streamDLQ := eventdlq.NewDeadLetterQueue(f, "StreamDeadLetters", &eventdlq.DeadLetterQueueProps{
		EncryptionKey:  f.key,
		SourceRuleArns: &[]*string{streamRuleArn},
		AlarmTopic:     f.alarmTopic,
		Description:    jsii.String("the Security stream " + *props.StreamArn),
	})
	streamRule := awsevents.NewCfnRule(f, jsii.String("Resource"), &awsevents.CfnRuleProps{
		Name:         jsii.String(StreamRuleName),
		Description:  jsii.String("trailguard: forwards this account's CloudTrail events to the Security stream"),
		EventPattern: own(map[string]any{"detail-type": detailTypes}),
		State:        jsii.String(state),
		Targets: []any{&awsevents.CfnRule_TargetProperty{
			Id:                jsii.String("SecurityStream"),
			Arn:               props.StreamArn,
			RoleArn:           streamRole.RoleArn(),
			KinesisParameters: &awsevents.CfnRule_KinesisParametersProperty{PartitionKeyPath: jsii.String(partitionKey)},
			DeadLetterConfig:  &awsevents.CfnRule_DeadLetterConfigProperty{Arn: streamDLQ.Queue().QueueArn()},
			RetryPolicy:       retryPolicy(),
		}},
	})
	streamRule.Node().AddDependency(streamPolicy)

	// --- Every region: a role and dead-letter queue for the bus target. In the home region
	// the high-risk rule uses them, elsewhere the full forwarding rule.
	busRole := awsiam.NewRole(f, jsii.String("BusRole"), &awsiam.RoleProps{
		RoleName:    join(jsii.String(BusRoleNamePrefix), region),
		Description: jsii.String("trailguard: lets the forwarding rule put this account's events on the Security account's receiving bus"),
		AssumedBy:   eventsPrincipal(account, busRuleArn, highRiskRuleArn),
	})
	busPolicy := awsiam.NewManagedPolicy(f, jsii.String("BusRolePolicy"), &awsiam.ManagedPolicyProps{
		ManagedPolicyName: join(jsii.String(BusRoleNamePrefix), region),
		Description:       jsii.String("trailguard: put this account's events on the Security account's receiving bus"),
		Roles:             &[]awsiam.IRole{busRole},
		Statements: &[]awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("PutEvents"),
			Actions:   jsii.Strings("events:PutEvents"),
			Resources: &[]*string{props.ReceivingBusArn},
		})},
	})
	busDLQ := eventdlq.NewDeadLetterQueue(f, "BusDeadLetters", &eventdlq.DeadLetterQueueProps{
		EncryptionKey:  f.key,
		SourceRuleArns: &[]*string{busRuleArn, highRiskRuleArn},
		AlarmTopic:     f.alarmTopic,
		Description:    jsii.String("the Security account's receiving bus " + *props.ReceivingBusArn),
	})
	busTarget := func() *awsevents.CfnRule_TargetProperty {
		return &awsevents.CfnRule_TargetProperty{
			Id:               jsii.String("SecurityBus"),
			Arn:              props.ReceivingBusArn,
			RoleArn:          busRole.RoleArn(),
			DeadLetterConfig: &awsevents.CfnRule_DeadLetterConfigProperty{Arn: busDLQ.Queue().QueueArn()},
			RetryPolicy:      retryPolicy(),
		}
	}
	highRiskRule := awsevents.NewCfnRule(f, jsii.String("HighRiskRule"), &awsevents.CfnRuleProps{
		Name:         jsii.String(HighRiskRuleName),
		Description:  jsii.String("trailguard: sends this account's high-risk events to the Security account's alert rule (they reach the stream directly)"),
		EventPattern: own(eventsink.HighRiskEventPattern()),
		State:        jsii.String(state),
		Targets:      []any{busTarget()},
	})
	highRiskRule.Node().AddDependency(busPolicy)
	busRule := awsevents.NewCfnRule(f, jsii.String("BusRule"), &awsevents.CfnRuleProps{
		Name:         jsii.String(BusRuleName),
		Description:  jsii.String("trailguard: forwards this account's CloudTrail events to the Security account's receiving bus"),
		EventPattern: own(map[string]any{"detail-type": detailTypes}),
		State:        jsii.String(state),
		Targets:      []any{busTarget()},
	})
	busRule.Node().AddDependency(busPolicy)

	for _, c := range []constructs.IConstruct{streamRole, streamPolicy, streamDLQ, streamRule, highRiskRule} {
		setCondition(c, f.isHome)
	}
	setCondition(busRule, isOther)
	return f
}

// setCondition makes every CloudFormation resource in c's subtree conditional on cond.
func setCondition(c constructs.IConstruct, cond awscdk.CfnCondition) {
	for _, child := range *c.Node().FindAll(constructs.ConstructOrder_PREORDER) {
		if r, ok := child.(awscdk.CfnResource); ok {
			r.CfnOptions().SetCondition(cond)
		}
	}
}

// eventsPrincipal is EventBridge acting for the given rules of this account only (confused
// deputy protection).
func eventsPrincipal(account *string, ruleArns ...*string) awsiam.IPrincipal {
	return awsiam.NewServicePrincipal(jsii.String("events.amazonaws.com"), nil).WithConditions(&map[string]any{
		"StringEquals": map[string]any{"aws:SourceAccount": account},
		"ArnEquals":    map[string]any{"aws:SourceArn": ruleArns},
	})
}

func retryPolicy() *awsevents.CfnRule_RetryPolicyProperty {
	return &awsevents.CfnRule_RetryPolicyProperty{
		MaximumRetryAttempts:     jsii.Number(eventsink.MaxRetryAttempts),
		MaximumEventAgeInSeconds: jsii.Number(eventsink.MaxEventAgeSecond),
	}
}

func (f *eventForwarder) HomeRegionCondition() awscdk.CfnCondition { return f.isHome }
func (f *eventForwarder) AlarmTopic() awssns.ITopic                { return f.alarmTopic }
func (f *eventForwarder) Key() awskms.IKey                         { return f.key }
