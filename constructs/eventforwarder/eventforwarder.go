// Package eventforwarder provides the account end of trailguard's real-time leg: rules on the
// default event bus that forward the account's CloudTrail API-call and console sign-in events
// of one region to the Security account. Every account of the organization needs one in every
// region it uses, the management and Security accounts included, and in the region where
// EventBridge delivers the global services' events (us-east-1 in the aws partition).
//
// One template serves every account and region: names are built from AWS::AccountId and
// AWS::Region, and the difference between the home region and the others is a pair of
// CloudFormation conditions.
//
//   - Home region (the stream's region): every event goes directly to the Security stream (a
//     same-region Kinesis target with an execution role; one hop, no bus charges). Alerts on
//     them come from the detection engine reading the stream.
//   - Other regions: every event goes to the receiving bus (cross-region), whose rule puts it
//     on the stream.
//   - Every region: the forwarder's own alarms go to the receiving bus, where the delivery
//     alert rule tells the Security account's recipients.
//
// The rules forward only events of this account and region, so events that other accounts
// forward to this account's default bus are never put on the stream twice.
//
// Every target has its own least-privilege role, an encrypted dead-letter queue with an alarm
// and the longest retry policy EventBridge allows; every rule has an alarm on its failed
// deliveries. Alarm names are fixed (FailureAlarmName), so an account and region holds one
// forwarder.
//
// Usage (as in the package example, which go test compiles):
//
//	app := awscdk.NewApp(nil)
//	stack := awscdk.NewStack(app, jsii.String("Member"), nil)
//	eventforwarder.NewEventForwarder(stack, jsii.String("EventForwarder"), &eventforwarder.EventForwarderProps{
//		StreamArn:       jsii.String("arn:aws:kinesis:eu-west-1:222222222222:stream/trailguard-security-events"),
//		StreamKeyAlias:  jsii.String("alias/trailguard/security-events"),
//		ReceivingBusArn: jsii.String("arn:aws:events:eu-west-1:222222222222:event-bus/trailguard-security-events"),
//	})
//
// In the sink's own stack (the Security account's home region), from the sink's stream and
// bus: their ARNs are tokens, from which nothing can read the home region and the Security
// account before deploy, so give them:
//
//	eventforwarder.NewEventForwarder(securityStack, jsii.String("EventForwarder"), &eventforwarder.EventForwarderProps{
//		StreamArn:       sink.Stream().StreamArn(),
//		ReceivingBusArn: sink.Bus().EventBusArn(),
//		StreamRegion:    securityStack.Region(),
//		StreamAccount:   securityStack.Account(),
//		StreamKeyAlias:  jsii.String("alias/trailguard/security-events"),
//	})
package eventforwarder

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/trailguard/trailguard/constructs/internal/check"

	"github.com/trailguard/trailguard/constructs/eventdlq"
	"github.com/trailguard/trailguard/constructs/eventsink"
	"github.com/trailguard/trailguard/constructs/internal/delivery"
	"github.com/trailguard/trailguard/constructs/internal/keypolicy"
	"github.com/trailguard/trailguard/constructs/internal/managed"
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

// SinkRoleNames returns the two role names eventsink.EventSinkProps needs from the
// forwarders, for a sink in homeRegion (the stream's region): StreamProducerRoleName, the
// home-region forwarders' stream role, and BusSenderRoleNamePattern, every region's bus
// role. They are the only values that let these forwarders deliver:
//
//	stream, bus := eventforwarder.SinkRoleNames("eu-west-1")
//	eventsink.NewEventSink(stack, jsii.String("EventSink"), &eventsink.EventSinkProps{
//		StreamProducerRoleName: stream, BusSenderRoleNamePattern: bus, // ...
//	})
func SinkRoleNames(homeRegion string) (streamProducerRoleName, busSenderRoleNamePattern *string) {
	stream, bus := StreamRoleName(homeRegion), BusRoleNamePattern
	return &stream, &bus
}

// Rule names. They start with eventsink.ResourcePrefix, so the alert patterns recognise
// changes to them.
const (
	StreamRuleName = eventsink.ResourcePrefix + "forward-to-stream"
	BusRuleName    = eventsink.ResourcePrefix + "forward-to-bus"
	AlarmsRuleName = eventsink.ResourcePrefix + "forward-alarms"
)

// FailureAlarmName is the name of the alarm on rule's failed deliveries. Every forwarder
// alarm's name starts with eventsink.ForwarderAlarmPrefix, by which the Security account's
// delivery alert recognises it.
func FailureAlarmName(rule string) string {
	return eventsink.ForwarderAlarmPrefix + strings.TrimPrefix(rule, eventsink.ResourcePrefix) + "-failed"
}

// EventForwarderProps configures an EventForwarder.
type EventForwarderProps struct {
	// StreamArn is the ARN of the Security account's Kinesis stream. Its region is the home
	// region. It may be a token, e.g. sink.Stream().StreamArn() for a forwarder in the sink's
	// own stack (the Security account's home region); then give StreamRegion and
	// StreamAccount. Required.
	StreamArn *string
	// StreamRegion is the stream's region, the home region. A token cannot tell it before
	// deploy, and the home-region condition and the key grant's kms:ViaService need it.
	// Required when StreamArn is a token; otherwise unset or equal to the ARN's region.
	StreamRegion *string
	// StreamAccount is the stream's account, the Security account, whose keys the stream role
	// may encrypt with. Required when StreamArn is a token; otherwise unset or equal to the
	// ARN's account.
	StreamAccount *string
	// StreamKeyAlias is the alias of the stream's KMS key in the Security account, e.g.
	// "alias/trailguard/security-events": the key's id is unknown to member accounts.
	// Required.
	StreamKeyAlias *string
	// ReceivingBusArn is the ARN of the Security account's receiving custom event bus, in the
	// stream's account and region; it may be a token. Not the default bus: EventBridge allows
	// a cross-account rule to target another account's default bus (with that bus's policy,
	// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-bus-example-policy-cross-account.html),
	// but a forwarder runs in the Security account's home region too, with its rules on that
	// default bus: its alert-copy and alarm rules would target the bus they are on and match
	// their own copies again, a loop. Required.
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
	accountRe   = regexp.MustCompile(`^[0-9]{12}$`)
	emailRe     = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
)

// target is the location of the stream and the bus: parsed from StreamArn, or with a token
// the AWS::Partition pseudo parameter and StreamRegion and StreamAccount.
type target struct {
	partition, region, account *string
	// concrete is true when all three are known at synth.
	concrete bool
}

func (p *EventForwarderProps) validate() (target, error) {
	var t target
	if p == nil {
		return t, errors.New("eventforwarder: props are required")
	}
	var errs []error
	// The ARNs must be concrete: the home region and the Security account are derived
	// from them at synth time.
	// From a concrete ARN; a token (a stream of this app) needs StreamRegion and
	// StreamAccount, which nothing can read from it before deploy.
	streamGiven := func(field string, v *string, fromArn string) {
		if v != nil && check.Known(v) && *v != fromArn {
			errs = append(errs, fmt.Errorf("eventforwarder: %s must be unset or the StreamArn's (%s), got %q", field, fromArn, *v))
		}
	}
	if p.StreamArn == nil || *p.StreamArn == "" {
		errs = append(errs, errors.New("eventforwarder: StreamArn is required: the ARN of the Security account's stream"))
	} else if check.Unresolved(p.StreamArn) {
		t = target{partition: awscdk.Aws_PARTITION(), region: p.StreamRegion, account: p.StreamAccount}
		for _, f := range []struct {
			name string
			v    *string
			why  string
		}{
			{"StreamRegion", p.StreamRegion, "the home region"},
			{"StreamAccount", p.StreamAccount, "the Security account"},
		} {
			if f.v == nil || *f.v == "" {
				errs = append(errs, fmt.Errorf("eventforwarder: %s is required when StreamArn is a token (%s): %s cannot be read from a token before deploy", f.name, *p.StreamArn, f.why))
			}
		}
		if r := p.StreamRegion; check.Known(r) && !check.Region.MatchString(*r) {
			errs = append(errs, fmt.Errorf("eventforwarder: StreamRegion must be an AWS region such as eu-west-1, got %q", *r))
		}
		if a := p.StreamAccount; check.Known(a) && !accountRe.MatchString(*a) {
			errs = append(errs, fmt.Errorf("eventforwarder: StreamAccount must be a 12-digit account id, got %q", *a))
		}
	} else if m := streamArnRe.FindStringSubmatch(*p.StreamArn); m == nil {
		errs = append(errs, fmt.Errorf("eventforwarder: StreamArn must be a Kinesis stream ARN such as arn:aws:kinesis:eu-west-1:222222222222:stream/trailguard-security-events, got %q", *p.StreamArn))
	} else {
		t = target{partition: jsii.String(m[1]), region: jsii.String(m[2]), account: jsii.String(m[3]), concrete: true}
		streamGiven("StreamRegion", p.StreamRegion, m[2])
		streamGiven("StreamAccount", p.StreamAccount, m[3])
	}
	if p.ReceivingBusArn == nil || *p.ReceivingBusArn == "" {
		errs = append(errs, errors.New("eventforwarder: ReceivingBusArn is required: the ARN of the Security account's receiving event bus"))
	} else if check.Unresolved(p.ReceivingBusArn) {
		// Known at deploy: a bus of this app, e.g. sink.Bus().EventBusArn().
	} else if m := busArnRe.FindStringSubmatch(*p.ReceivingBusArn); m == nil {
		errs = append(errs, fmt.Errorf("eventforwarder: ReceivingBusArn must be an event bus ARN such as arn:aws:events:eu-west-1:222222222222:event-bus/trailguard-security-events, got %q", *p.ReceivingBusArn))
	} else if m[4] == "default" {
		errs = append(errs, fmt.Errorf("eventforwarder: ReceivingBusArn must name a custom bus, got %q: the Security account's own forwarder has its rules on that default bus, and its alert-copy and alarm rules would send their copies back to it in a loop", *p.ReceivingBusArn))
	} else if diff := func(want *string, got string) bool { return check.Known(want) && *want != got }; diff(t.partition, m[1]) || diff(t.region, m[2]) || diff(t.account, m[3]) {
		errs = append(errs, fmt.Errorf("eventforwarder: ReceivingBusArn must be in the stream's account and region (%s, %s), got %q", str(t.account), str(t.region), *p.ReceivingBusArn))
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
	// for other home-region-only resources (e.g. the local trail), with SetCondition.
	HomeRegionCondition() awscdk.CfnCondition
	// AlarmTopic is notified by the dead-letter queue alarms.
	AlarmTopic() awssns.ITopic
	// Key encrypts the dead-letter queues and the alarm topic.
	Key() awskms.IKey
	// Rules are the forwarding rules by name: StreamRuleName (deployed only in the home
	// region, under HomeRegionCondition), BusRuleName (only elsewhere) and AlarmsRuleName.
	// L1s: CloudFormation decides which exist where, so read them, do not retarget them.
	Rules() map[string]awsevents.CfnRule
	// StreamRole puts records on the stream (home region only); BusRole puts events on the
	// receiving bus. Their names are StreamRoleName and BusRoleNamePrefix + region.
	StreamRole() awsiam.IRole
	BusRole() awsiam.IRole
	// DeadLetterQueues hold what the rules could not deliver: the stream rule's (home region
	// only) and the bus rules'.
	DeadLetterQueues() []awssqs.IQueue
	// Alarms are the rules' delivery failure alarms and the dead-letter queues' alarms, on
	// AlarmTopic; the Security account hears of them through AlarmsRuleName.
	Alarms() []awscloudwatch.IAlarm
}

type eventForwarder struct {
	constructs.Construct
	props      *EventForwarderProps
	dst        target
	isHome     awscdk.CfnCondition
	isOther    awscdk.CfnCondition
	alarmTopic awssns.Topic
	key        awskms.Key
	// Pseudo parameters, not the stack's env, so the template is the same in every account
	// and region.
	partition, region, account *string
	// detailTypes are the CloudTrail detail-types forwarded; state is the CloudTrail rules'.
	detailTypes []any
	state       string
	// What the forwarder creates, for the accessors.
	rules               map[string]awsevents.CfnRule
	streamRole, busRole awsiam.IRole
	dlqs                []awssqs.IQueue
	alarms              []awscloudwatch.IAlarm
}

// NewEventForwarder creates the forwarding rules; the home-region stream rule is the child
// "Resource". It panics with a descriptive error if props are invalid.
func NewEventForwarder(scope constructs.Construct, id *string, props *EventForwarderProps) EventForwarder {
	dst, err := props.validate()
	if err != nil {
		panic(err)
	}
	if err := check.OnePerStack(scope, func(c constructs.IConstruct) bool { _, ok := c.(EventForwarder); return ok }, "eventforwarder.EventForwarder", *scope.Node().Path()+"/"+*id, "its rules, roles, policies and alarms have fixed names per account and region, which the Security account's policies and alerts rely on"); err != nil {
		panic(err)
	}
	f := &eventForwarder{
		props: props, dst: dst, rules: map[string]awsevents.CfnRule{},
		partition: awscdk.Aws_PARTITION(), region: awscdk.Aws_REGION(), account: awscdk.Aws_ACCOUNT_ID(),
		detailTypes: detailTypes(props),
		state:       eventsink.RuleState(props.IncludeReadOnlyEvents),
	}
	constructs.NewConstruct_Override(f, scope, id)
	managed.Tag(f) // the guardrails protect the unnamed resources by this tag

	f.addRegionConditions()
	f.addKeyAndAlarmTopic()
	f.addStreamPath()
	f.addBusPaths()
	f.addHeartbeat()
	return f
}

// addRegionConditions adds the conditions that tell the home region from the others.
func (f *eventForwarder) addRegionConditions() {
	f.isHome = awscdk.NewCfnCondition(f, jsii.String("IsHomeRegion"), &awscdk.CfnConditionProps{
		Expression: awscdk.Fn_ConditionEquals(f.region, f.dst.region),
	})
	f.isOther = awscdk.NewCfnCondition(f, jsii.String("IsOtherRegion"), &awscdk.CfnConditionProps{
		Expression: awscdk.Fn_ConditionNot(f.isHome),
	})
}

// addKeyAndAlarmTopic adds the key of the dead-letter queues and the alarm topic, and the
// topic. The key policy names the account by pseudo parameter (the L2's default would write
// the stack's account id).
func (f *eventForwarder) addKeyAndAlarmTopic() {
	accountRoot := f.join(jsii.String("arn:"), f.partition, jsii.String(":iam::"), f.account, jsii.String(":root"))
	f.key = awskms.NewKey(f, jsii.String("Key"), &awskms.KeyProps{
		Description:       jsii.String("trailguard: encrypts the event forwarder's dead-letter queues and alarm topic"),
		EnableKeyRotation: jsii.Bool(true),
		RemovalPolicy:     awscdk.RemovalPolicy_RETAIN_ON_UPDATE_OR_DELETE,
		Policy: awsiam.NewPolicyDocument(&awsiam.PolicyDocumentProps{Statements: &[]awsiam.PolicyStatement{
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid:        jsii.String("AllowAccountAdministration"),
				Principals: &[]awsiam.IPrincipal{awsiam.NewArnPrincipal(accountRoot)},
				Actions:    jsii.Strings("kms:*"),
				Resources:  jsii.Strings("*"),
			}),
			keypolicy.AllowEventBridge(),
			keypolicy.AllowCloudWatchAlarms(f.account),
			keypolicy.DenyGrantsExceptForAWSServices(),
		}}),
	})
	f.alarmTopic = awssns.NewTopic(f, jsii.String("AlarmTopic"), &awssns.TopicProps{
		DisplayName: jsii.String("trailguard event forwarder alarms"),
		MasterKey:   f.key,
		EnforceSSL:  jsii.Bool(true),
	})
	topics.AllowCloudWatchAlarms(f.alarmTopic, f.account)
	topics.SubscribeEmails(f.alarmTopic, f.props.AlarmEmails)
}

// addStreamPath adds the home region's rule that puts every event directly on the stream,
// with its role, dead-letter queue and failure alarm, all conditioned on the home region.
func (f *eventForwarder) addStreamPath() {
	props, dst := f.props, f.dst
	streamRole := awsiam.NewRole(f, jsii.String("StreamRole"), &awsiam.RoleProps{
		RoleName:    f.join(jsii.String(StreamRoleNamePrefix), f.region),
		Description: jsii.String("trailguard: lets the forwarding rule put this account's events on the Security stream"),
		AssumedBy:   eventsPrincipal(f.account, f.ruleArn(StreamRuleName)),
	})
	keysOfStreamAccount := fmt.Sprintf("arn:%s:kms:%s:%s:key/*", *dst.partition, *dst.region, *dst.account)
	// Managed policies rather than inline ones (NIST 800-53 AC-6 and friends ask for it).
	// Named like the role, so the guardrails can protect it by ARN.
	streamPolicy := awsiam.NewManagedPolicy(f, jsii.String("StreamRolePolicy"), &awsiam.ManagedPolicyProps{
		ManagedPolicyName: f.join(jsii.String(StreamRoleNamePrefix), f.region),
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
						"kms:ViaService":                        "kinesis." + *dst.region + ".amazonaws.com",
						"kms:EncryptionContext:aws:kinesis:arn": props.StreamArn,
					},
				},
			}),
		},
	})
	// cdk-nag names the resource as rendered; with tokens in it, match the shape instead.
	var keysFinding any = "Resource::" + keysOfStreamAccount
	if !dst.concrete {
		keysFinding = &cdknag.RegexAppliesTo{Regex: jsii.String(`/^Resource::arn:.+:kms:.+:key\/\*$/`)}
	}
	cdknag.NagSuppressions_AddResourceSuppressions(streamPolicy, &[]*cdknag.NagPackSuppression{{
		Id:        jsii.String("AwsSolutions-IAM5"),
		AppliesTo: &[]any{keysFinding},
		Reason: jsii.String("The stream key's id is not known in member accounts (it is created in the Security account); the statement is narrowed to the one key by " +
			"kms:ResourceAliases (its alias), kms:ViaService (Kinesis in the home region) and the stream's encryption context, and the key policy allows only this role name from the organization."),
	}}, jsii.Bool(true))
	streamDLQ := eventdlq.NewDeadLetterQueue(f, jsii.String("StreamDeadLetters"), &eventdlq.DeadLetterQueueProps{
		EncryptionKey:  f.key,
		SourceRuleArns: &[]*string{f.ruleArn(StreamRuleName)},
		AlarmTopic:     f.alarmTopic,
		Description:    jsii.String("the Security stream " + *props.StreamArn),
		AlarmName:      jsii.String(StreamDeadLetterAlarmName),
	})
	partitionKey := eventsink.PartitionKeyEventID
	if props.PartitionKeyPath != nil {
		partitionKey = *props.PartitionKeyPath
	}
	streamRule := awsevents.NewCfnRule(f, jsii.String("Resource"), &awsevents.CfnRuleProps{
		Name:         jsii.String(StreamRuleName),
		Description:  jsii.String(streamRuleDescription),
		EventPattern: f.own(map[string]any{"detail-type": f.detailTypes}),
		State:        jsii.String(f.state),
		Targets: []any{&awsevents.CfnRule_TargetProperty{
			Id:                jsii.String("SecurityStream"),
			Arn:               props.StreamArn,
			RoleArn:           streamRole.RoleArn(),
			KinesisParameters: &awsevents.CfnRule_KinesisParametersProperty{PartitionKeyPath: jsii.String(partitionKey)},
			DeadLetterConfig:  &awsevents.CfnRule_DeadLetterConfigProperty{Arn: streamDLQ.Queue().QueueArn()},
			RetryPolicy:       retryPolicy(),
		}},
	})
	// The role's policy must exist before EventBridge first tries to use it.
	streamRule.Node().AddDependency(streamPolicy)
	streamAlarm := f.failureAlarm("StreamFailureAlarm", StreamRuleName, "the Security stream")
	f.streamRole, f.rules[StreamRuleName] = streamRole, streamRule
	f.dlqs = append(f.dlqs, streamDLQ.Queue())
	f.alarms = append(f.alarms, streamAlarm, streamDLQ.Alarm())
	for _, c := range []constructs.IConstruct{streamRole, streamPolicy, streamDLQ, streamRule, streamAlarm} {
		SetCondition(c, f.isHome)
	}
}

// addBusPaths adds the rules that deliver to the Security account's receiving bus, sharing
// one role and dead-letter queue: outside the home region every event (the bus puts them on
// the stream), and everywhere the forwarder's alarm state changes.
func (f *eventForwarder) addBusPaths() {
	busRuleArns := []*string{f.ruleArn(BusRuleName), f.ruleArn(AlarmsRuleName)}
	busRole := awsiam.NewRole(f, jsii.String("BusRole"), &awsiam.RoleProps{
		RoleName:    f.join(jsii.String(BusRoleNamePrefix), f.region),
		Description: jsii.String("trailguard: lets the forwarding rule put this account's events on the Security account's receiving bus"),
		AssumedBy:   eventsPrincipal(f.account, busRuleArns...),
	})
	busPolicy := awsiam.NewManagedPolicy(f, jsii.String("BusRolePolicy"), &awsiam.ManagedPolicyProps{
		ManagedPolicyName: f.join(jsii.String(BusRoleNamePrefix), f.region),
		Description:       jsii.String("trailguard: put this account's events on the Security account's receiving bus"),
		Roles:             &[]awsiam.IRole{busRole},
		Statements: &[]awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("PutEvents"),
			Actions:   jsii.Strings("events:PutEvents"),
			Resources: &[]*string{f.props.ReceivingBusArn},
		})},
	})
	busDLQ := eventdlq.NewDeadLetterQueue(f, jsii.String("BusDeadLetters"), &eventdlq.DeadLetterQueueProps{
		EncryptionKey:  f.key,
		SourceRuleArns: &busRuleArns,
		AlarmTopic:     f.alarmTopic,
		Description:    jsii.String("the Security account's receiving bus " + *f.props.ReceivingBusArn),
		AlarmName:      jsii.String(BusDeadLetterAlarmName),
	})
	f.busRole = busRole
	f.dlqs = append(f.dlqs, busDLQ.Queue())
	f.alarms = append(f.alarms, busDLQ.Alarm())
	busRule := func(id, name, description string, pattern map[string]any, state string, cond awscdk.CfnCondition) {
		rule := awsevents.NewCfnRule(f, jsii.String(id), &awsevents.CfnRuleProps{
			Name:         jsii.String(name),
			Description:  jsii.String(description),
			EventPattern: f.own(pattern),
			State:        jsii.String(state),
			Targets: []any{&awsevents.CfnRule_TargetProperty{
				Id:               jsii.String("SecurityBus"),
				Arn:              f.props.ReceivingBusArn,
				RoleArn:          busRole.RoleArn(),
				DeadLetterConfig: &awsevents.CfnRule_DeadLetterConfigProperty{Arn: busDLQ.Queue().QueueArn()},
				RetryPolicy:      retryPolicy(),
			}},
		})
		rule.Node().AddDependency(busPolicy)
		alarm := f.failureAlarm(strings.TrimSuffix(id, "Rule")+"FailureAlarm", name, "the Security account's receiving bus")
		f.rules[name] = rule
		f.alarms = append(f.alarms, alarm)
		if cond != nil {
			SetCondition(rule, cond)
			SetCondition(alarm, cond)
		}
	}
	busRule("BusRule", BusRuleName, busRuleDescription,
		map[string]any{"detail-type": f.detailTypes}, f.state, f.isOther)
	// So that the Security account hears of failed deliveries without a subscription in every
	// account and region.
	busRule("AlarmsRule", AlarmsRuleName, alarmsRuleDescription, eventsink.DeliveryAlertPattern(), eventsink.StateEnabled, nil)
}

// own narrows pattern to this account's and region's events: events that other accounts or
// regions forward to this default bus are never forwarded a second time.
func (f *eventForwarder) own(pattern map[string]any) map[string]any {
	pattern["account"] = []any{f.account}
	pattern["region"] = []any{f.region}
	return pattern
}

func (f *eventForwarder) join(parts ...*string) *string {
	return awscdk.Fn_Join(jsii.String(""), &parts)
}

// ruleArn is the ARN of this account's and region's default-bus rule named name.
func (f *eventForwarder) ruleArn(name string) *string {
	return f.join(jsii.String("arn:"), f.partition, jsii.String(":events:"), f.region, jsii.String(":"), f.account, jsii.String(":rule/"+name))
}

// failureAlarm adds the alarm on the failed deliveries of the rule named rule, notifying the
// alarm topic.
func (f *eventForwarder) failureAlarm(id, rule, what string) awscloudwatch.Alarm {
	return delivery.NewFailureAlarm(f, id, &delivery.AlarmProps{
		RuleName:  jsii.String(rule),
		AlarmName: jsii.String(FailureAlarmName(rule)),
		Topic:     f.alarmTopic,
		What:      what,
	})
}

// SetCondition makes every CloudFormation resource in c's subtree conditional on cond, e.g. a
// local trail or an IAM role on HomeRegionCondition() so that a template deployed in every
// region creates it once.
func SetCondition(c constructs.IConstruct, cond awscdk.CfnCondition) {
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

// str is *v, or "" if v is nil.
func str(v *string) string {
	if v == nil {
		return ""
	}
	return *v
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
func (f *eventForwarder) Rules() map[string]awsevents.CfnRule      { return f.rules }
func (f *eventForwarder) StreamRole() awsiam.IRole                 { return f.streamRole }
func (f *eventForwarder) BusRole() awsiam.IRole                    { return f.busRole }
func (f *eventForwarder) DeadLetterQueues() []awssqs.IQueue        { return f.dlqs }
func (f *eventForwarder) Alarms() []awscloudwatch.IAlarm           { return f.alarms }
