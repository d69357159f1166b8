package eventsink

// Bringing your own stream, stream key, receiving bus and alert topic: what is checked, and
// how the grants reach policies that CDK cannot edit.

import (
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskinesis"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/trailguard/trailguard/constructs/internal/check"
	"github.com/trailguard/trailguard/constructs/internal/existing"
	"github.com/trailguard/trailguard/constructs/internal/keypolicy"
	"github.com/trailguard/trailguard/constructs/internal/topics"
)

// Ids of the synth warnings the sink leaves when a grant cannot be added because the policy
// belongs to an imported key or topic (CloudFormation can only write a key policy on the
// AWS::KMS::Key itself, and an AWS::SNS::TopicPolicy replaces a topic's whole policy). Each
// warning carries the statements to add; once they are in, acknowledge it with
// awscdk.Annotations_Of(scope).AcknowledgeWarning(id, reason). `cdk synth --strict` fails
// while one is unacknowledged.
const (
	WarningStreamKeyPolicy  = "trailguard:eventsink:streamKeyPolicy"
	WarningAlertTopicPolicy = "trailguard:eventsink:alertTopicPolicy"
	WarningAlertKeyPolicy   = "trailguard:eventsink:alertKeyPolicy"
)

// BusStatementId is the Sid of the receiving bus's policy statement (and the StatementId of
// the AWS::Events::EventBusPolicy that adds it to an ExistingBus). Statement ids are unique
// per bus.
const BusStatementId = "trailguard-organization-forwarders"

// validateExisting returns the problems with the Existing* props: shaping props given with
// them, and what a resource defined in this app lacks (an imported one has no CloudFormation
// resource here to inspect).
func (p *EventSinkProps) validateExisting(stack awscdk.Stack) []error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf("eventsink: "+format, args...)) }
	unset := func(field, with string, v any) {
		switch x := v.(type) {
		case *string:
			if x != nil {
				add("%s must be unset with %s (it shapes a new one), got %q", field, with, *x)
			}
		case *float64:
			if x != nil {
				add("%s must be unset with %s (it shapes a new one), got %v", field, with, *x)
			}
		}
	}
	if st := p.ExistingStream; st != nil {
		unset("StreamName", "ExistingStream", p.StreamName)
		unset("Mode", "ExistingStream", p.Mode)
		unset("ShardCount", "ExistingStream", p.ShardCount)
		unset("RetentionHours", "ExistingStream", p.RetentionHours)
		checkStream(add, stack, st)
		switch key := st.EncryptionKey(); {
		case key != nil && p.ExistingStreamKey != nil:
			add("ExistingStreamKey must be unset when ExistingStream %s carries its key (EncryptionKey()): the producers must use the stream's own key", *st.Node().Path())
		case key == nil && p.ExistingStreamKey == nil:
			add("ExistingStreamKey is required with ExistingStream %s, which carries no key: import the stream with awskinesis.Stream_FromStreamAttributes and its EncryptionKey, or give the customer managed key that encrypts it", *st.Node().Path())
		}
	}
	if p.ExistingStream != nil || p.ExistingStreamKey != nil {
		unset("KeyAlias", "a brought stream key (ExistingStreamKey or ExistingStream's key); give the forwarders an alias the key already has", p.KeyAlias)
	}
	if k := p.ExistingStreamKey; k != nil {
		if arn := k.KeyArn(); check.Known(arn) && strings.Contains(*arn, "alias/aws/") {
			add("ExistingStreamKey must be a customer managed key, got %q: producers in other accounts cannot use an AWS managed key, whose policy cannot be changed", *arn)
		}
		sameEnv(add, stack, "ExistingStreamKey", k.KeyArn())
	}
	if b := p.ExistingBus; b != nil {
		unset("BusName", "ExistingBus", p.BusName)
		// EventBridge lets another account's rule target a default bus
		// (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-bus-example-policy-cross-account.html),
		// but the Security account's own home-region forwarder has its rules on this very
		// default bus: its alert-copy and alarm rules would target the bus they are on and
		// match their own copies again (a loop), and the alert rules here would see the
		// account's own events twice.
		if n := b.EventBusName(); check.Known(n) && *n == "default" {
			add(`ExistingBus must be a custom event bus, got the default bus (%s): the Security account's own forwarder has its rules on the default bus, and they would send their copies back to it in a loop`, *b.EventBusArn())
		}
		sameEnv(add, stack, "ExistingBus", b.EventBusArn())
	}
	if t := p.ExistingAlertTopic; t != nil {
		if cfn, ok := t.Node().DefaultChild().(awssns.CfnTopic); ok {
			switch k := cfn.KmsMasterKeyId(); {
			case k == nil:
				add("ExistingAlertTopic %s must be encrypted with a customer managed KMS key (MasterKey), got none: alerts name the resources and principals involved", *t.Node().Path())
			case check.Known(k) && strings.Contains(*k, "alias/aws/"):
				add("ExistingAlertTopic %s must be encrypted with a customer managed KMS key, got %q: EventBridge cannot publish to a topic encrypted with an AWS managed key", *t.Node().Path(), *k)
			}
		} else {
			sameEnv(add, stack, "ExistingAlertTopic", t.TopicArn())
		}
	}
	return errs
}

// checkStream records what makes ExistingStream unfit for the sink. A stream defined in this
// app is inspected through its CloudFormation resource; an imported one only by its ARN.
func checkStream(add func(string, ...any), stack awscdk.Stack, st awskinesis.IStream) {
	cfn, ok := st.Node().DefaultChild().(awskinesis.CfnStream)
	if !ok {
		sameEnv(add, stack, "ExistingStream", st.StreamArn())
		return
	}
	where := *st.Node().Path()
	// Resolved, the L1 property is {encryptionType, keyId} or, with the L2's default, an
	// Fn::If.
	var enc map[string]any
	if e := cfn.StreamEncryption(); e != nil {
		enc, _ = awscdk.Stack_Of(st).Resolve(e).(map[string]any)
	}
	switch {
	case enc == nil || enc["encryptionType"] != "KMS":
		add("ExistingStream %s must be encrypted with a customer managed KMS key (Encryption: StreamEncryption_KMS with EncryptionKey), got StreamEncryption %v", where, enc)
	case enc["keyId"] == "alias/aws/kinesis":
		add("ExistingStream %s must be encrypted with a customer managed KMS key, got the AWS managed alias/aws/kinesis (StreamEncryption_MANAGED): producers in other accounts cannot use it", where)
	}
	if h := cfn.RetentionPeriodHours(); h == nil || *h < 168 {
		got := "24 (the default)"
		if h != nil {
			got = fmt.Sprint(*h)
		}
		add("ExistingStream %s must keep records at least 168 hours (RetentionPeriod, Security Hub Kinesis.3), got %s", where, got)
	}
	if dp := cfn.CfnOptions().DeletionPolicy(); !check.Retained(dp) {
		add("ExistingStream %s must be retained (RemovalPolicy RETAIN_ON_UPDATE_OR_DELETE or RETAIN), got DeletionPolicy %q: it holds the organization's events", where, dp)
	}
	if !check.Known(cfn.Name()) {
		add("ExistingStream %s must have a StreamName: the key policy names the stream by its ARN, and the stream's generated ARN would make the key and the stream depend on each other", where)
	}
}

// sameEnv records a problem if arn is known and not in the stack's account and region, as far
// as both are known: the rules here deliver to and run on resources of their own region.
func sameEnv(add func(string, ...any), stack awscdk.Stack, field string, arn *string) {
	if !check.Known(arn) {
		return
	}
	a, ok := check.ParseARN(*arn)
	if !ok {
		add("%s must have an ARN, got %q", field, *arn)
		return
	}
	if r := stack.Region(); check.Known(r) && a.Region != *r {
		add("%s must be in the stack's region %s, got %q", field, *r, *arn)
	}
	if acct := stack.Account(); check.Known(acct) && a.Account != *acct {
		add("%s must be in the stack's account %s, got %q", field, *acct, *arn)
	}
}

// useExistingStream wires ExistingStream and its key: the forwarders' grants on the key and the
// stream, and the stream's cdk-nag exception if this app defines it.
func (s *eventSink) useExistingStream() {
	st := s.props.ExistingStream
	s.stream, s.streamKey = st, s.props.ExistingStreamKey
	if s.streamKey == nil {
		s.streamKey = st.EncryptionKey()
	}
	arn := st.StreamArn()
	if cfn, ok := st.Node().DefaultChild().(awskinesis.CfnStream); ok {
		// Computed from the name: the key policy cannot refer to the stream that refers to
		// the key.
		home := awscdk.Stack_Of(st)
		arn = awscdk.Fn_Join(jsii.String(""), &[]*string{
			jsii.String("arn:"), home.Partition(), jsii.String(":kinesis:"), home.Region(), jsii.String(":"), home.Account(), jsii.String(":stream/"), cfn.Name(),
		})
		cdknag.NagSuppressions_AddResourceSuppressions(st, &[]*cdknag.NagPackSuppression{{
			Id:     jsii.String("AwsSolutions-KDS3"),
			Reason: jsii.String("A customer managed key is required: producers in other accounts of the organization cannot use the AWS managed aws/kinesis key (its policy cannot be changed)."),
		}}, jsii.Bool(true))
	}
	s.grantProducersTheKey(arn)
	res := st.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowOrganizationForwardersToPutRecords"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewAnyPrincipal()},
		Actions:    jsii.Strings("kinesis:PutRecord", "kinesis:PutRecords"),
		Resources:  &[]*string{st.StreamArn()},
		Conditions: &map[string]any{
			"StringEquals": s.orgCondition(),
			"ArnLike":      map[string]any{"aws:PrincipalArn": s.producerRoleArn()},
		},
	}))
	if added(res) {
		// The stream's own policy resource, beside its owner's statements: retained like
		// the stream.
		for _, c := range *st.Node().FindAll(constructs.ConstructOrder_PREORDER) {
			if p, ok := c.(awskinesis.CfnResourcePolicy); ok {
				p.ApplyRemovalPolicy(awscdk.RemovalPolicy_RETAIN_ON_UPDATE_OR_DELETE, nil)
			}
		}
		return
	}
	// An imported stream: CloudFormation attaches a policy to an existing stream of the
	// account (AWS::Kinesis::ResourcePolicy, https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-kinesis-resourcepolicy.html).
	// PutResourcePolicy takes the whole document, so it replaces a policy the stream had
	// (https://docs.aws.amazon.com/kinesis/latest/APIReference/API_PutResourcePolicy.html).
	s.addStreamPolicy()
}

// useExistingBus opens ExistingBus to the organization's forwarders with a statement of its
// own: an AWS::Events::EventBusPolicy adds one statement, by StatementId, to any bus of the
// account, beside the statements it has
// (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-events-eventbuspolicy.html).
func (s *eventSink) useExistingBus() {
	b := s.props.ExistingBus
	s.bus, s.busRef = b, b.EventBusName()
	// A plain CfnResource: the CfnEventBusPolicy L1 makes jsii warn on every synth about its
	// deprecated Principal property even when unset.
	policy := awscdk.NewCfnResource(s, jsii.String("BusPolicy"), &awscdk.CfnResourceProps{
		Type: jsii.String("AWS::Events::EventBusPolicy"),
		Properties: &map[string]any{
			"EventBusName": b.EventBusName(),
			"StatementId":  BusStatementId,
			"Statement":    s.busStatement(b.EventBusArn()),
		},
	})
	policy.ApplyRemovalPolicy(awscdk.RemovalPolicy_RETAIN_ON_UPDATE_OR_DELETE, nil)
}

// useExistingAlertTopic grants the alert rules and this account's alarms the topic and its key.
func (s *eventSink) useExistingAlertTopic(ruleArns []*string) {
	t := s.props.ExistingAlertTopic
	s.alertTopic = t
	keyStatements := []awsiam.PolicyStatement{keypolicy.AllowEventBridge(), keypolicy.AllowCloudWatchAlarms(s.account)}
	var missing []string
	for _, st := range []awsiam.PolicyStatement{alertRulesStatement(t, ruleArns), topics.AlarmsStatement(t, s.account)} {
		if !added(t.AddToResourcePolicy(st)) {
			missing = append(missing, check.Statement(s, st))
		}
	}
	if len(missing) > 0 {
		msg := fmt.Sprintf("ExistingAlertTopic %s is imported: CDK cannot edit its policy, so add these statements to it or no alert arrives: %s", *t.TopicArn(), strings.Join(missing, " "))
		if t.MasterKey() == nil {
			msg += ". If the topic is encrypted, its key's policy needs these too (the events.amazonaws.com one without aws:SourceAccount/aws:SourceArn conditions, which EventBridge does not support for encrypted topics): " +
				check.Statement(s, keyStatements[0]) + " " + check.Statement(s, keyStatements[1])
		}
		awscdk.Annotations_Of(s).AddWarningV2(jsii.String(WarningAlertTopicPolicy), jsii.String(msg))
		// The detection functions' alarms need the same: asked once, here.
		existing.Asked(t, topics.AlarmsGrant)
	}
	if k := t.MasterKey(); k != nil {
		s.grant(k, WarningAlertKeyPolicy, "ExistingAlertTopic's key", keyStatements...)
	}
}

// grant adds statements to key's policy; those it cannot add (an imported key) go into one
// synth warning with the given id.
func (s *eventSink) grant(key awskms.IKey, warning, what string, statements ...awsiam.PolicyStatement) {
	var missing []string
	for _, st := range statements {
		if !added(key.AddToResourcePolicy(st, jsii.Bool(true))) {
			missing = append(missing, check.Statement(s, st))
		}
	}
	if len(missing) > 0 {
		awscdk.Annotations_Of(s).AddWarningV2(jsii.String(warning), jsii.String(fmt.Sprintf(
			"%s (%s) is imported: CDK cannot edit its key policy, so add these statements to it or the forwarding and alerting that need them fail: %s",
			what, *key.KeyArn(), strings.Join(missing, " "))))
	}
}

func added(r *awsiam.AddToResourcePolicyResult) bool {
	return r != nil && r.StatementAdded != nil && *r.StatementAdded
}
