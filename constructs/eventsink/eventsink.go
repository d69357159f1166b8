// Package eventsink provides the Security account's end of trailguard's real-time leg: the
// CMK-encrypted Kinesis stream that receives every CloudTrail API-call and console sign-in
// event of the organization, the receiving event bus for the regions that cannot deliver to
// the stream directly, the encrypted SNS alert topic (the detection functions of package
// detection publish their alerts to it) and the delivery alert rule that tells it of the
// forwarders' alarms.
//
// Event flow and the exactly-once argument (see docs/realtime-leg.md):
//
//   - Forwarders (package eventforwarder) in the home region put every event on the stream
//     directly (a same-region Kinesis target, cross-account except in the Security account),
//     and their alarms' state changes to the receiving bus.
//   - Forwarders in other regions send every event to the receiving bus.
//   - The bus's stream rule matches CloudTrail events whose region is not the home region, so
//     a home-region event never reaches the stream a second time.
//   - The alert rule on the bus (DeliveryAlertRuleName, DeliveryAlertPattern) matches the
//     forwarders' alarms from every account and region. CloudTrail events alert through the
//     detection engine, which reads the stream (package detection), once each. Deploy a forwarder in the
//     Security account too: the sink sees the Security account's own API calls only through
//     it.
//
// Usage (as in the package example, which go test compiles):
//
//	app := awscdk.NewApp(nil)
//	stack := awscdk.NewStack(app, jsii.String("Security"), &awscdk.StackProps{
//		Env: &awscdk.Environment{Account: jsii.String("222222222222"), Region: jsii.String("eu-west-1")},
//	})
//	sink := eventsink.NewEventSink(stack, jsii.String("EventSink"), &eventsink.EventSinkProps{
//		OrganizationId:           jsii.String("o-a1b2c3d4e5"),
//		StreamName:               jsii.String("trailguard-security-events"),
//		BusName:                  jsii.String("trailguard-security-events"),
//		KeyAlias:                 jsii.String("alias/trailguard/security-events"),
//		StreamProducerRoleName:   jsii.String("trailguard-forwarder-stream-eu-west-1"),
//		BusSenderRoleNamePattern: jsii.String("trailguard-forwarder-bus-*"),
//		AlertEmails:              jsii.Strings("security-oncall@example.com"),
//	})
//	sink.GrantStreamRead(siemRole) // a managed policy: the gates refuse Stream().GrantRead's inline one
//
// Bring your own resources (as in the package's bringYourOwn example): give ExistingStream,
// ExistingStreamKey, ExistingBus or ExistingAlertTopic instead of the props that shape a new
// one (StreamName, Mode, ShardCount, RetentionHours; KeyAlias; BusName). A resource this app
// defines is checked for what the design depends on (the stream: a customer managed KMS key,
// at least 168 hours, RETAIN, a name; the topic: a customer managed key) and gets the grants
// in its own policies. For an imported one CloudFormation adds what it can to an existing
// resource (the stream's AWS::Kinesis::ResourcePolicy, which replaces any policy the stream
// had; an AWS::Events::EventBusPolicy statement beside the bus's others); what it cannot (an
// imported key's policy, an imported topic's policy) is a synth warning with the statements
// to add by hand, to acknowledge once they are in:
//
//	key := awskms.NewKey(stack, jsii.String("StreamKey"), &awskms.KeyProps{EnableKeyRotation: jsii.Bool(true)})
//	stream := awskinesis.NewStream(stack, jsii.String("Stream"), &awskinesis.StreamProps{
//		StreamName: jsii.String("trailguard-security-events"), StreamMode: awskinesis.StreamMode_ON_DEMAND,
//		Encryption: awskinesis.StreamEncryption_KMS, EncryptionKey: key,
//		RetentionPeriod: awscdk.Duration_Days(jsii.Number(7)), RemovalPolicy: awscdk.RemovalPolicy_RETAIN_ON_UPDATE_OR_DELETE,
//	})
//	eventsink.NewEventSink(stack, jsii.String("EventSink"), &eventsink.EventSinkProps{
//		OrganizationId:           jsii.String("o-a1b2c3d4e5"),
//		StreamProducerRoleName:   jsii.String("trailguard-forwarder-stream-eu-west-1"),
//		BusSenderRoleNamePattern: jsii.String("trailguard-forwarder-bus-*"),
//		ExistingStream:           stream, // its key comes with it
//		ExistingBus: awsevents.EventBus_FromEventBusArn(stack, jsii.String("Bus"),
//			jsii.String("arn:aws:events:eu-west-1:222222222222:event-bus/trailguard-security-events")),
//		ExistingAlertTopic: awssns.Topic_FromTopicArn(stack, jsii.String("Alerts"),
//			jsii.String("arn:aws:sns:eu-west-1:222222222222:security-alerts")),
//	})
//	// After adding the statements the warning lists to the topic's (and its key's) policy:
//	awscdk.Annotations_Of(stack).AcknowledgeWarning(jsii.String(eventsink.WarningAlertTopicPolicy), jsii.String("statements added"))
//
// The forwarders need an alias of a brought key (EventForwarderProps.StreamKeyAlias).
package eventsink

import (
	"errors"
	"fmt"
	"regexp"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskinesis"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/trailguard/trailguard/constructs/eventdlq"
	"github.com/trailguard/trailguard/constructs/internal/check"
	"github.com/trailguard/trailguard/constructs/internal/delivery"
	"github.com/trailguard/trailguard/constructs/internal/keypolicy"
	"github.com/trailguard/trailguard/constructs/internal/managed"
	"github.com/trailguard/trailguard/constructs/internal/topics"
)

// Stream capacity modes.
const (
	// ModeOnDemand scales the stream automatically.
	ModeOnDemand = "ON_DEMAND"
	// ModeProvisioned uses a fixed number of shards.
	ModeProvisioned = "PROVISIONED"
)

// Partition key paths (JSONPath into the EventBridge event).
const (
	// PartitionKeyEventID spreads records evenly over the shards.
	PartitionKeyEventID = "$.id"
	// PartitionKeyAccount keeps each account's records in order on one shard.
	PartitionKeyAccount = "$.account"
)

// Retry policy of every trailguard EventBridge target: the maxima EventBridge allows, so a
// target outage of up to a day loses nothing before the dead-letter queue takes over.
const (
	MaxRetryAttempts  = 185
	MaxEventAgeSecond = 86400
)

// BusStreamRuleName is the name of the rule that puts other regions' events on the stream.
// It starts with ResourcePrefix, so the alert patterns recognise changes to it.
const BusStreamRuleName = ResourcePrefix + "bus-to-stream"

// RuleStates: what EventBridge delivers to a rule. Read-only management events reach only rules
// in state ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS, on the default bus and on custom
// buses alike (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-cloudtrail-management.html).
const (
	// StateEnabled delivers CloudTrail events other than read-only management events.
	StateEnabled = "ENABLED"
	// StateEnabledWithReadOnly delivers read-only management events too.
	StateEnabledWithReadOnly = "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"
)

// RuleState returns the state of a rule over CloudTrail events: StateEnabledWithReadOnly when
// includeReadOnly is set and true, else StateEnabled.
func RuleState(includeReadOnly *bool) string {
	if includeReadOnly != nil && *includeReadOnly {
		return StateEnabledWithReadOnly
	}
	return StateEnabled
}

// EventSinkProps configures an EventSink.
type EventSinkProps struct {
	// OrganizationId is the organization whose forwarders may write, e.g. "o-a1b2c3d4e5".
	// Required.
	OrganizationId *string
	// StreamName is the new Kinesis stream's name. Required unless ExistingStream is given
	// (then unset).
	StreamName *string
	// BusName is the new receiving custom event bus's name. Required unless ExistingBus is
	// given (then unset).
	BusName *string
	// KeyAlias is the new stream key's alias, by which member accounts refer to the key.
	// Required, e.g. "alias/trailguard/security-events", unless the key is brought
	// (ExistingStreamKey, or ExistingStream's key): then unset, and give the forwarders an
	// alias the brought key already has.
	KeyAlias *string
	// StreamProducerRoleName is the name of the role that member accounts' home-region
	// forwarders use to put records on the stream. The stream and key policies allow it in
	// any account of the organization. eventforwarder.SinkRoleNames returns it (with
	// BusSenderRoleNamePattern) for the forwarders of package eventforwarder. Required.
	StreamProducerRoleName *string
	// BusSenderRoleNamePattern is the name pattern (IAM wildcards) of the roles member
	// accounts' forwarders use to put events on the receiving bus
	// (eventforwarder.SinkRoleNames). Required.
	BusSenderRoleNamePattern *string
	// Mode is ModeOnDemand or ModeProvisioned (new stream only).
	// Default: ModeOnDemand.
	Mode *string
	// ShardCount is the number of shards in ModeProvisioned (new stream only).
	// Default: 1.
	ShardCount *float64
	// RetentionHours is the new stream's retention, 168 (7 days) to 8760 (365 days).
	// Default: 168.
	RetentionHours *float64
	// PartitionKeyPath is the JSONPath of the record partition key for events the bus puts
	// on the stream; use the same as the forwarders.
	// Default: PartitionKeyEventID.
	PartitionKeyPath *string
	// AlertEmails are subscribed to the alert topic (a brought one too); each must confirm
	// the subscription.
	// Default: none.
	AlertEmails *[]*string
	// ExistingStream is a stream to use instead of creating one (see the package doc);
	// StreamName, Mode, ShardCount and RetentionHours must then be unset. One
	// defined in this app must be KMS-encrypted with a customer managed key, keep records at
	// least 168 hours (Security Hub Kinesis.3), be retained and have a concrete StreamName.
	// An imported one is trusted to be, must carry its key (Stream_FromStreamAttributes with
	// EncryptionKey) or come with ExistingStreamKey, and gets an AWS::Kinesis::ResourcePolicy,
	// which becomes its whole resource policy.
	// Default: a new stream.
	ExistingStream awskinesis.IStream
	// ExistingStreamKey is the customer managed key that encrypts ExistingStream (when the
	// stream does not carry it) or the new stream. Its key policy gets the forwarders' grant
	// if this app defines the key; for an imported key the grant is a synth warning
	// (WarningStreamKeyPolicy) to add by hand and acknowledge.
	// Default: the stream's own key, or a new key.
	ExistingStreamKey awskms.IKey
	// ExistingBus is a custom event bus, in this stack's account and region, to receive the
	// other regions' events instead of a new one; BusName must then be unset. The
	// organization's grant is added as an AWS::Events::EventBusPolicy statement, which
	// CloudFormation adds to an existing bus's policy beside the others. The default bus is
	// refused (see validateExisting).
	// Default: a new bus.
	ExistingBus awsevents.IEventBus
	// ExistingAlertTopic is an SNS topic to receive the alerts instead of a new one. One this
	// app defines must be encrypted with a customer managed key; its topic and key policies
	// get the grants. For an imported topic or key the grants are synth warnings
	// (WarningAlertTopicPolicy, WarningAlertKeyPolicy) to add by hand and acknowledge. The
	// key's statement for events.amazonaws.com must carry no aws:SourceAccount or
	// aws:SourceArn condition: EventBridge cannot publish to an encrypted topic with them
	// (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services).
	// A new AlertKey still encrypts the dead-letter queues: it is not the topic's key, so give
	// the publishers (detection's, coveragemonitor's, responder's AlertKey) the topic's own key
	// (import the topic with awssns.Topic_FromTopicAttributes and KeyArn and pass
	// topic.MasterKey()); they refuse AlertKey() beside an imported topic.
	// Default: a new topic encrypted with AlertKey.
	ExistingAlertTopic awssns.ITopic
	// IncludeReadOnlyEvents makes the bus's stream rule and alert rules receive read-only
	// management events too; set it when the forwarders forward them (their
	// IncludeReadOnlyEvents), or read-only events of other regions never reach the stream.
	// Default: false.
	IncludeReadOnlyEvents *bool
}

var (
	orgIDRe       = regexp.MustCompile(`^o-[a-z0-9]{10,32}$`)
	streamNameRe  = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,128}$`)
	busNameRe     = regexp.MustCompile(`^[A-Za-z0-9._-]{1,256}$`)
	aliasRe       = regexp.MustCompile(`^alias/[A-Za-z0-9/_-]{1,250}$`)
	roleNameRe    = regexp.MustCompile(`^[A-Za-z0-9+=,.@_-]{1,64}$`)
	rolePatternRe = regexp.MustCompile(`^[A-Za-z0-9+=,.@_*?-]{1,64}$`)
	emailRe       = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
)

func (p *EventSinkProps) validate(stack awscdk.Stack) error {
	if p == nil {
		return errors.New("eventsink: props are required")
	}
	errs := p.validateExisting(stack)
	brought := map[string]bool{
		"StreamName": p.ExistingStream != nil, "BusName": p.ExistingBus != nil,
		"KeyAlias": p.ExistingStream != nil || p.ExistingStreamKey != nil,
	}
	match := func(field string, v *string, re *regexp.Regexp, want string) {
		switch {
		case brought[field]:
			// validateExisting reports a value given with the existing resource.
		case v == nil || *v == "":
			errs = append(errs, fmt.Errorf("eventsink: %s is required: %s", field, want))
		case *awscdk.Token_IsUnresolved(v):
		case !re.MatchString(*v):
			errs = append(errs, fmt.Errorf("eventsink: %s must be %s, got %q", field, want, *v))
		}
	}
	match("OrganizationId", p.OrganizationId, orgIDRe, "an organization id matching o-[a-z0-9]{10,32}")
	match("StreamName", p.StreamName, streamNameRe, "a Kinesis stream name (1-128 letters, digits, _ . -)")
	match("BusName", p.BusName, busNameRe, "an event bus name (1-256 letters, digits, . _ -)")
	for _, f := range []struct {
		name string
		v    *string
	}{{"StreamName", p.StreamName}, {"BusName", p.BusName}} {
		if msg := check.Unprotected(f.name, f.v); msg != "" {
			errs = append(errs, errors.New("eventsink: "+msg))
		}
	}
	if p.BusName != nil && *p.BusName == "default" {
		errs = append(errs, errors.New(`eventsink: BusName must name a custom bus, got "default": the default bus is not opened to the organization`))
	}
	match("KeyAlias", p.KeyAlias, aliasRe, "a KMS alias name such as alias/trailguard/security-events")
	if p.KeyAlias != nil && len(*p.KeyAlias) > 10 && (*p.KeyAlias)[:10] == "alias/aws/" {
		errs = append(errs, fmt.Errorf("eventsink: KeyAlias must not start with alias/aws/ (reserved for AWS managed keys), got %q", *p.KeyAlias))
	}
	match("StreamProducerRoleName", p.StreamProducerRoleName, roleNameRe, "an IAM role name")
	match("BusSenderRoleNamePattern", p.BusSenderRoleNamePattern, rolePatternRe, "an IAM role name pattern such as trailguard-forwarder-bus-*")
	mode := ModeOnDemand
	if p.ExistingStream != nil {
		mode = "" // validateExisting reports stream shape props given with ExistingStream.
	} else if p.Mode != nil {
		mode = *p.Mode
	}
	switch mode {
	case ModeOnDemand:
		if p.ShardCount != nil {
			errs = append(errs, fmt.Errorf("eventsink: ShardCount only applies to Mode %s, got %v with Mode %s", ModeProvisioned, *p.ShardCount, mode))
		}
	case ModeProvisioned:
		if p.ShardCount != nil && (*p.ShardCount < 1 || *p.ShardCount != float64(int(*p.ShardCount))) {
			errs = append(errs, fmt.Errorf("eventsink: ShardCount must be a whole number of at least 1, got %v", *p.ShardCount))
		}
	case "":
	default:
		errs = append(errs, fmt.Errorf("eventsink: Mode must be %s or %s, got %q", ModeOnDemand, ModeProvisioned, mode))
	}
	if h := p.RetentionHours; h != nil && p.ExistingStream == nil && (*h < 168 || *h > 8760 || *h != float64(int(*h))) {
		errs = append(errs, fmt.Errorf("eventsink: RetentionHours must be a whole number from 168 (Security Hub Kinesis.3) to 8760, got %v", *h))
	}
	if k := p.PartitionKeyPath; k != nil && (len(*k) < 3 || (*k)[:2] != "$.") {
		errs = append(errs, fmt.Errorf("eventsink: PartitionKeyPath must be a JSONPath into the event such as %s or %s, got %q", PartitionKeyEventID, PartitionKeyAccount, *k))
	}
	if p.AlertEmails != nil {
		for i, e := range *p.AlertEmails {
			if e == nil {
				errs = append(errs, fmt.Errorf("eventsink: AlertEmails[%d] must be an email address, got an empty value", i))
			} else if !emailRe.MatchString(*e) {
				errs = append(errs, fmt.Errorf("eventsink: AlertEmails[%d] must be an email address, got %q", i, *e))
			}
		}
	}
	return errors.Join(errs...)
}

// EventSink is the Security account's stream, receiving bus and alerting.
type EventSink interface {
	constructs.Construct
	// Stream is the Kinesis stream every forwarded event lands on.
	Stream() awskinesis.IStream
	// StreamKey encrypts the stream; consumers need kms:Decrypt on it.
	StreamKey() awskms.IKey
	// Bus is the receiving event bus.
	Bus() awsevents.IEventBus
	// AlertTopic receives the detection alerts, the delivery alerts and the dead-letter queue alarms.
	AlertTopic() awssns.ITopic
	// AlertKey encrypts the alert topic (and the dead-letter queues); with ExistingAlertTopic
	// it encrypts only the dead-letter queues, and publishers need the topic's own key.
	// Otherwise publishers need kms:GenerateDataKey and kms:Decrypt on it.
	AlertKey() awskms.IKey
	// GrantStreamRead lets role read the stream (a consumer such as a SIEM): the Kinesis read
	// actions on the stream, and kms:Decrypt on its key through Kinesis for this stream
	// only. The statements are a customer managed policy attached to role, returned; unlike
	// Stream().GrantRead(role), whose inline policy the NIST, HIPAA and PCI packs refuse.
	GrantStreamRead(role awsiam.IRole) awsiam.ManagedPolicy
	// GrantAlertPublish lets role publish to the alert topic, encrypting with the topic's key
	// through SNS for this topic only, as a customer managed policy attached to role. With
	// an ExistingAlertTopic imported without its key it panics: import it with
	// awssns.Topic_FromTopicAttributes and KeyArn.
	GrantAlertPublish(role awsiam.IRole) awsiam.ManagedPolicy
	// MetricBusToStreamFailures is the events from other regions the receiving bus failed
	// to put on the stream, per 5 minutes (FailedInvocations + InvocationsFailedToBeSentToDlq
	// of BusStreamRuleName). The sink alarms on it already; use it for dashboards. A math
	// expression over "failed" and "lost": CloudWatch takes one such per graph or alarm.
	MetricBusToStreamFailures() awscloudwatch.IMetric
	// MetricAlertDeliveryFailures is the forwarders' alarm changes the delivery alert rule
	// failed to publish to the alert topic, per 5 minutes (DeliveryAlertRuleName).
	MetricAlertDeliveryFailures() awscloudwatch.IMetric
}

func (s *eventSink) stack() awscdk.Stack { return awscdk.Stack_Of(s) }

type eventSink struct {
	constructs.Construct
	props      *EventSinkProps
	stream     awskinesis.IStream
	streamKey  awskms.IKey
	cfnBus     awsevents.CfnEventBus // nil with ExistingBus
	bus        awsevents.IEventBus
	alertKey   awskms.Key
	alertTopic awssns.ITopic
	// busName is the receiving bus's name (a token with ExistingBus); busRef is its name as
	// the rules refer to it.
	busName string
	busRef  *string
	// The stack's partition, region and account.
	partition, region, account *string
	// state is the state of the rules over CloudTrail events.
	state string
}

// NewEventSink creates the sink. The stream is the child "Resource" (unless ExistingStream is
// given). It panics with a descriptive error if props are invalid.
func NewEventSink(scope constructs.Construct, id *string, props *EventSinkProps) EventSink {
	if err := props.validate(awscdk.Stack_Of(scope)); err != nil {
		panic(err)
	}
	s := &eventSink{props: props, state: RuleState(props.IncludeReadOnlyEvents)}
	constructs.NewConstruct_Override(s, scope, id)
	managed.Tag(s) // the guardrails protect the unnamed resources by this tag
	stack := awscdk.Stack_Of(s)
	s.partition, s.region, s.account = stack.Partition(), stack.Region(), stack.Account()
	if props.ExistingBus != nil {
		s.busName = *props.ExistingBus.EventBusName()
	} else {
		s.busName = *props.BusName
	}

	if props.ExistingStream != nil {
		s.useExistingStream()
	} else {
		s.addStream()
	}
	deliveryRuleArn := s.ruleArn(DeliveryAlertRuleName)
	s.addAlertTopic([]*string{deliveryRuleArn})
	if props.ExistingBus != nil {
		s.useExistingBus()
	} else {
		s.addBus()
	}
	s.addBusToStream()
	s.addDeliveryAlertRule(deliveryRuleArn)
	return s
}

// ruleArn is the ARN of the rule named name on the receiving bus.
func (s *eventSink) ruleArn(name string) *string {
	return awscdk.Fn_Join(jsii.String(""), &[]*string{
		jsii.String("arn:"), s.partition, jsii.String(":events:"), s.region, jsii.String(":"), s.account, jsii.String(":rule/" + s.busName + "/" + name),
	})
}

// orgCondition limits a grant to principals of the organization.
func (s *eventSink) orgCondition() map[string]any {
	return map[string]any{"aws:PrincipalOrgID": s.props.OrganizationId}
}

// addStream adds the stream, its key (the forwarders encrypt through Kinesis with it) and
// its resource policy.
func (s *eventSink) addStream() {
	streamArn := awscdk.Fn_Join(jsii.String(""), &[]*string{
		jsii.String("arn:"), s.partition, jsii.String(":kinesis:"), s.region, jsii.String(":"), s.account, jsii.String(":stream/"), s.props.StreamName,
	})
	if s.props.ExistingStreamKey != nil {
		s.streamKey = s.props.ExistingStreamKey
	} else {
		s.addStreamKey()
	}
	s.grantProducersTheKey(streamArn)

	// --- Stream. The L2 renders an explicit StreamEncryption when a key is given.
	mode := awskinesis.StreamMode_ON_DEMAND
	var shards *float64
	if s.props.Mode != nil && *s.props.Mode == ModeProvisioned {
		mode = awskinesis.StreamMode_PROVISIONED
		shards = jsii.Number(1)
		if s.props.ShardCount != nil {
			shards = s.props.ShardCount
		}
	}
	hours := 168.0
	if s.props.RetentionHours != nil {
		hours = *s.props.RetentionHours
	}
	stream := awskinesis.NewStream(s, jsii.String("Resource"), &awskinesis.StreamProps{
		StreamName:      s.props.StreamName,
		StreamMode:      mode,
		ShardCount:      shards,
		RetentionPeriod: awscdk.Duration_Hours(jsii.Number(hours)),
		Encryption:      awskinesis.StreamEncryption_KMS,
		EncryptionKey:   s.streamKey,
		RemovalPolicy:   awscdk.RemovalPolicy_RETAIN_ON_UPDATE_OR_DELETE,
	})
	s.stream = stream
	cdknag.NagSuppressions_AddResourceSuppressions(stream, &[]*cdknag.NagPackSuppression{{
		Id: jsii.String("AwsSolutions-KDS3"),
		Reason: jsii.String("A customer managed key is required: producers in other accounts of the organization cannot use the AWS managed aws/kinesis key (its policy cannot be changed), " +
			"and the CMK's policy limits them to this stream (encryption context, kms:ViaService, organization and role name) and is retained with the stream."),
	}}, jsii.Bool(true))
	s.addStreamPolicy()
}

// producerRoleArn matches the forwarders' stream role in every account.
func (s *eventSink) producerRoleArn() *string {
	return awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String("arn:"), s.partition, jsii.String(":iam::*:role/"), s.props.StreamProducerRoleName})
}

// addStreamKey adds the stream's key, with the alias member accounts know it by.
func (s *eventSink) addStreamKey() {
	key := awskms.NewKey(s, jsii.String("StreamKey"), &awskms.KeyProps{
		Description:       jsii.String("trailguard: encrypts the Security event stream " + *s.props.StreamName),
		EnableKeyRotation: jsii.Bool(true),
		RemovalPolicy:     awscdk.RemovalPolicy_RETAIN_ON_UPDATE_OR_DELETE,
	})
	s.streamKey = key
	// Member accounts find the key by this alias: it stays with the key.
	awskms.NewAlias(s, jsii.String("StreamKeyAlias"), &awskms.AliasProps{
		AliasName:     s.props.KeyAlias,
		TargetKey:     key,
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN_ON_UPDATE_OR_DELETE,
	})
	key.AddToResourcePolicy(keypolicy.DenyGrantsExceptForAWSServices(), jsii.Bool(false))
}

// grantProducersTheKey lets the forwarders' stream role encrypt records of the stream named by
// streamArn (computed, not the stream's attribute: the stream depends on the key) with the
// stream key.
func (s *eventSink) grantProducersTheKey(streamArn *string) {
	s.grant(s.streamKey, WarningStreamKeyPolicy, "the stream key's key policy", awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowOrganizationForwardersToEncryptStreamRecords"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewAnyPrincipal()},
		Actions:    jsii.Strings("kms:GenerateDataKey"),
		Resources:  jsii.Strings("*"),
		Conditions: &map[string]any{
			"StringEquals": map[string]any{
				"aws:PrincipalOrgID":                    s.props.OrganizationId,
				"kms:ViaService":                        awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String("kinesis."), s.region, jsii.String(".amazonaws.com")}),
				"kms:EncryptionContext:aws:kinesis:arn": streamArn,
			},
			"ArnLike": map[string]any{"aws:PrincipalArn": s.producerRoleArn()},
		},
	}))
}

// addStreamPolicy adds the stream's resource policy: cross-account writes, only
// PutRecord(s), only the home-region forwarder role, only from the organization. Kinesis
// resource policies accept only stream actions.
func (s *eventSink) addStreamPolicy() {
	policy := awskinesis.NewCfnResourcePolicy(s, jsii.String("StreamPolicy"), &awskinesis.CfnResourcePolicyProps{
		ResourceArn: s.stream.StreamArn(),
		ResourcePolicy: map[string]any{
			"Version": "2012-10-17",
			"Statement": []any{map[string]any{
				"Sid":       "AllowOrganizationForwardersToPutRecords",
				"Effect":    "Allow",
				"Principal": map[string]any{"AWS": "*"},
				"Action":    []any{"kinesis:PutRecord", "kinesis:PutRecords"},
				"Resource":  s.stream.StreamArn(),
				"Condition": map[string]any{
					"StringEquals": s.orgCondition(),
					"ArnLike":      map[string]any{"aws:PrincipalArn": s.producerRoleArn()},
				},
			}},
		},
	})
	policy.ApplyRemovalPolicy(awscdk.RemovalPolicy_RETAIN_ON_UPDATE_OR_DELETE, nil)
}

// addAlertTopic adds the alert topic, encrypted with its own key that EventBridge and
// CloudWatch may use, publishable by the rules of ruleArns and this account's alarms.
func (s *eventSink) addAlertTopic(ruleArns []*string) {
	s.alertKey = awskms.NewKey(s, jsii.String("AlertKey"), &awskms.KeyProps{
		Description:       jsii.String("trailguard: encrypts the Security alert topic and the dead-letter queues"),
		EnableKeyRotation: jsii.Bool(true),
		RemovalPolicy:     awscdk.RemovalPolicy_RETAIN_ON_UPDATE_OR_DELETE,
	})
	s.alertKey.AddToResourcePolicy(keypolicy.DenyGrantsExceptForAWSServices(), jsii.Bool(false))
	s.alertKey.AddToResourcePolicy(keypolicy.AllowEventBridge(), jsii.Bool(true))
	s.alertKey.AddToResourcePolicy(keypolicy.AllowCloudWatchAlarms(s.account), jsii.Bool(true))
	if s.props.ExistingAlertTopic != nil {
		s.useExistingAlertTopic(ruleArns)
		topics.SubscribeEmails(s.alertTopic, s.props.AlertEmails)
		return
	}
	s.alertTopic = awssns.NewTopic(s, jsii.String("AlertTopic"), &awssns.TopicProps{
		DisplayName: jsii.String("trailguard security alerts"),
		MasterKey:   s.alertKey,
		EnforceSSL:  jsii.Bool(true),
	})
	s.alertTopic.AddToResourcePolicy(alertRulesStatement(s.alertTopic, ruleArns))
	topics.AllowCloudWatchAlarms(s.alertTopic, s.account)
	topics.SubscribeEmails(s.alertTopic, s.props.AlertEmails)
}

// alertRulesStatement lets the alert rules of ruleArns, and no other rule, publish to topic.
func alertRulesStatement(topic awssns.ITopic, ruleArns []*string) awsiam.PolicyStatement {
	return awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowAlertRules"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("events.amazonaws.com"), nil)},
		Actions:    jsii.Strings("sns:Publish"),
		Resources:  &[]*string{topic.TopicArn()},
		Conditions: &map[string]any{"ArnEquals": map[string]any{"aws:SourceArn": &ruleArns}},
	})
}

// addBus adds the receiving bus, open to the organization's forwarder roles only.
func (s *eventSink) addBus() {
	// The policy is the bus's own Policy property: one resource, retained with the bus (an
	// AWS::Events::EventBusPolicy would be a second resource with a deprecated schema).
	s.cfnBus = awsevents.NewCfnEventBus(s, jsii.String("Bus"), &awsevents.CfnEventBusProps{
		Name:        s.props.BusName,
		Description: jsii.String("trailguard: receives CloudTrail events forwarded from the organization's accounts"),
	})
	s.cfnBus.ApplyRemovalPolicy(awscdk.RemovalPolicy_RETAIN_ON_UPDATE_OR_DELETE, nil)
	busArn := awscdk.Fn_Join(jsii.String(""), &[]*string{
		jsii.String("arn:"), s.partition, jsii.String(":events:"), s.region, jsii.String(":"), s.account, jsii.String(":event-bus/"), s.props.BusName,
	})
	s.cfnBus.SetPolicy(map[string]any{
		"Version":   "2012-10-17",
		"Statement": []any{s.busStatement(busArn)},
	})
	s.bus = awsevents.EventBus_FromEventBusArn(s, jsii.String("BusRef"), s.cfnBus.AttrArn())
	s.busRef = s.cfnBus.Ref()
}

// busStatement is the receiving bus's policy statement: PutEvents by the organization's
// forwarder bus roles only.
func (s *eventSink) busStatement(busArn *string) map[string]any {
	return map[string]any{
		"Sid":       BusStatementId,
		"Effect":    "Allow",
		"Principal": map[string]any{"AWS": "*"},
		"Action":    "events:PutEvents",
		"Resource":  busArn,
		"Condition": map[string]any{
			"StringEquals": s.orgCondition(),
			"ArnLike": map[string]any{"aws:PrincipalArn": awscdk.Fn_Join(jsii.String(""), &[]*string{
				jsii.String("arn:"), s.partition, jsii.String(":iam::*:role/"), s.props.BusSenderRoleNamePattern,
			})},
		},
	}
}

// addBusToStream adds the rule that puts events from regions other than this one on the
// stream. Home-region events arrive on the bus only as the copies for alerting; they are on
// the stream already (direct path), so this rule must not match them.
func (s *eventSink) addBusToStream() {
	busStreamRuleArn := s.ruleArn(BusStreamRuleName)
	partitionKey := PartitionKeyEventID
	if s.props.PartitionKeyPath != nil {
		partitionKey = *s.props.PartitionKeyPath
	}
	// Named (like its policy) so the guardrails can protect it by ARN.
	busStreamRole := awsiam.NewRole(s, jsii.String("BusToStreamRole"), &awsiam.RoleProps{
		RoleName:    jsii.String(ResourcePrefix + "bus-to-stream"),
		Description: jsii.String("trailguard: lets the receiving bus's rule put events on the Security stream"),
		AssumedBy:   eventsPrincipal(busStreamRuleArn, s.account),
	})
	// A managed policy rather than an inline one (NIST 800-53 AC-6 and friends ask for it).
	busStreamPolicy := awsiam.NewManagedPolicy(s, jsii.String("BusToStreamPolicy"), &awsiam.ManagedPolicyProps{
		ManagedPolicyName: jsii.String(ResourcePrefix + "bus-to-stream"),
		Description:       jsii.String("trailguard: put events on the Security stream"),
		Roles:             &[]awsiam.IRole{busStreamRole},
		Statements: &[]awsiam.PolicyStatement{
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid:       jsii.String("PutRecords"),
				Actions:   jsii.Strings("kinesis:PutRecord", "kinesis:PutRecords"),
				Resources: &[]*string{s.stream.StreamArn()},
			}),
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid:       jsii.String("EncryptRecords"),
				Actions:   jsii.Strings("kms:GenerateDataKey"),
				Resources: &[]*string{s.streamKey.KeyArn()},
				Conditions: &map[string]any{"StringEquals": map[string]any{
					"kms:ViaService":                        awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String("kinesis."), s.region, jsii.String(".amazonaws.com")}),
					"kms:EncryptionContext:aws:kinesis:arn": s.stream.StreamArn(),
				}},
			}),
		},
	})
	busStreamDLQ := eventdlq.NewDeadLetterQueue(s, jsii.String("BusToStreamDeadLetters"), &eventdlq.DeadLetterQueueProps{
		EncryptionKey:  s.alertKey,
		SourceRuleArns: &[]*string{busStreamRuleArn},
		AlarmTopic:     s.alertTopic,
		Description:    jsii.String("the Security stream from the receiving bus"),
	})
	busStreamRule := awsevents.NewCfnRule(s, jsii.String("BusToStreamRule"), &awsevents.CfnRuleProps{
		Name:         jsii.String(BusStreamRuleName),
		Description:  jsii.String("trailguard: puts events forwarded from other regions on the Security stream"),
		EventBusName: s.busRef,
		// Only CloudTrail events: the forwarders' alarm state changes come for the alerts.
		EventPattern: map[string]any{
			"region":      []any{map[string]any{"anything-but": s.region}},
			"detail-type": []any{map[string]any{"anything-but": []any{DetailTypeAlarmStateChange}}},
		},
		State: jsii.String(s.state),
		Targets: []any{&awsevents.CfnRule_TargetProperty{
			Id:                jsii.String("SecurityStream"),
			Arn:               s.stream.StreamArn(),
			RoleArn:           busStreamRole.RoleArn(),
			KinesisParameters: &awsevents.CfnRule_KinesisParametersProperty{PartitionKeyPath: jsii.String(partitionKey)},
			DeadLetterConfig:  &awsevents.CfnRule_DeadLetterConfigProperty{Arn: busStreamDLQ.Queue().QueueArn()},
			RetryPolicy:       retryPolicy(),
		}},
	})
	// The role's policy must exist before EventBridge first tries to use it.
	busStreamRule.Node().AddDependency(busStreamPolicy)

	delivery.NewFailureAlarm(s, "BusToStreamFailureAlarm", &delivery.AlarmProps{
		RuleName: jsii.String(BusStreamRuleName),
		BusName:  jsii.String(s.busName),
		Topic:    s.alertTopic,
		What:     "the Security stream",
	})
}

// addDeliveryAlertRule adds the delivery alert rule on the receiving bus, publishing to the
// alert topic, with its dead-letter queue and failure alarm. Its construct ids are those of
// the "delivery" rule when there were several alert rules: renaming them would replace the
// deployed resources.
func (s *eventSink) addDeliveryAlertRule(ruleArn *string) {
	name := DeliveryAlertRuleName
	id := "AlertRuleDelivery"
	dlq := eventdlq.NewDeadLetterQueue(s, jsii.String(id+"DeadLetters"), &eventdlq.DeadLetterQueueProps{
		EncryptionKey:  s.alertKey,
		SourceRuleArns: &[]*string{ruleArn},
		AlarmTopic:     s.alertTopic,
		Description:    jsii.String("the alert topic from rule " + name),
	})
	awsevents.NewCfnRule(s, jsii.String(id), &awsevents.CfnRuleProps{
		Name:         jsii.String(name),
		Description:  jsii.String("trailguard: alerts on delivery events forwarded from the organization's accounts"),
		EventBusName: s.busRef,
		EventPattern: DeliveryAlertPattern(),
		// Alarm state changes are no CloudTrail events: read-only forwarding does not apply.
		State: jsii.String(StateEnabled),
		Targets: []any{&awsevents.CfnRule_TargetProperty{
			Id:               jsii.String("AlertTopic"),
			Arn:              s.alertTopic.TopicArn(),
			DeadLetterConfig: &awsevents.CfnRule_DeadLetterConfigProperty{Arn: dlq.Queue().QueueArn()},
			RetryPolicy:      retryPolicy(),
		}},
	})
	delivery.NewFailureAlarm(s, id+"FailureAlarm", &delivery.AlarmProps{
		RuleName: jsii.String(name),
		BusName:  jsii.String(s.busName),
		Topic:    s.alertTopic,
		What:     "the alert topic",
	})
}

// eventsPrincipal is EventBridge acting for the given rule of this account only (confused
// deputy protection).
func eventsPrincipal(ruleArn, account *string) awsiam.IPrincipal {
	return awsiam.NewServicePrincipal(jsii.String("events.amazonaws.com"), nil).WithConditions(&map[string]any{
		"StringEquals": map[string]any{"aws:SourceAccount": account},
		"ArnEquals":    map[string]any{"aws:SourceArn": ruleArn},
	})
}

func retryPolicy() *awsevents.CfnRule_RetryPolicyProperty {
	return &awsevents.CfnRule_RetryPolicyProperty{
		MaximumRetryAttempts:     jsii.Number(MaxRetryAttempts),
		MaximumEventAgeInSeconds: jsii.Number(MaxEventAgeSecond),
	}
}

func (s *eventSink) Stream() awskinesis.IStream { return s.stream }
func (s *eventSink) StreamKey() awskms.IKey     { return s.streamKey }
func (s *eventSink) Bus() awsevents.IEventBus   { return s.bus }
func (s *eventSink) AlertTopic() awssns.ITopic  { return s.alertTopic }
func (s *eventSink) AlertKey() awskms.IKey      { return s.alertKey }
