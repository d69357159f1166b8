package test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskinesis"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/jsii-runtime-go"

	"github.com/trailguard/trailguard/constructs/eventdlq"
	"github.com/trailguard/trailguard/constructs/eventforwarder"
	"github.com/trailguard/trailguard/constructs/eventsink"
)

// Tests of the real-time constructs with resources their users bring: defined in the same
// stack (L2 constructs, unresolved tokens) and imported by ARN.

const (
	byoStreamArn = "arn:aws:kinesis:eu-west-1:222222222222:stream/trailguard-byo"
	byoKeyArn    = "arn:aws:kms:eu-west-1:222222222222:key/11111111-2222-3333-4444-555555555555"
	byoBusArn    = "arn:aws:events:eu-west-1:222222222222:event-bus/trailguard-byo-bus"
	byoTopicArn  = "arn:aws:sns:eu-west-1:222222222222:trailguard-byo-alerts"
	byoQueueArn  = "arn:aws:sqs:eu-west-1:222222222222:trailguard-byo-dead-letters"
)

// byoSinkProps are the sink's props that bringing resources leaves: who may write.
func byoSinkProps() *eventsink.EventSinkProps {
	return &eventsink.EventSinkProps{
		OrganizationId:           jsii.String("o-a1b2c3d4e5"),
		StreamProducerRoleName:   jsii.String("trailguard-forwarder-stream-eu-west-1"),
		BusSenderRoleNamePattern: jsii.String("trailguard-forwarder-bus-*"),
	}
}

// sameStackResources defines, in s, a stream, its key, a bus and an encrypted topic the way
// the sink needs them.
type sameStackResources struct {
	streamKey, topicKey awskms.Key
	stream              awskinesis.Stream
	bus                 awsevents.EventBus
	topic               awssns.Topic
}

func newSameStackResources(s awscdk.Stack) *sameStackResources {
	r := &sameStackResources{}
	r.streamKey = hardenedKey(s, "MyStreamKey")
	r.stream = awskinesis.NewStream(s, jsii.String("MyStream"), &awskinesis.StreamProps{
		StreamName: jsii.String("trailguard-byo"), StreamMode: awskinesis.StreamMode_ON_DEMAND,
		Encryption: awskinesis.StreamEncryption_KMS, EncryptionKey: r.streamKey,
		RetentionPeriod: awscdk.Duration_Hours(jsii.Number(168)), RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	r.bus = awsevents.NewEventBus(s, jsii.String("MyBus"), &awsevents.EventBusProps{EventBusName: jsii.String("trailguard-byo-bus")})
	r.topicKey = hardenedKey(s, "MyTopicKey")
	r.topic = awssns.NewTopic(s, jsii.String("MyTopic"), &awssns.TopicProps{MasterKey: r.topicKey, EnforceSSL: jsii.Bool(true)})
	return r
}

func TestEventSinkBringYourOwn(t *testing.T) {
	t.Run("same stack", func(t *testing.T) {
		stack := newTestStack(t)
		r := newSameStackResources(stack)
		p := byoSinkProps()
		p.ExistingStream, p.ExistingBus, p.ExistingAlertTopic = r.stream, r.bus, r.topic
		sink := eventsink.NewEventSink(stack, jsii.String("Sink"), p)
		if sink.Stream() != r.stream || sink.Bus() != r.bus || sink.AlertTopic() != r.topic {
			t.Errorf("the accessors must return the brought resources")
		}
		tmpl := synthStack(t, stack)
		streamID, _ := tmpl.only(t, "AWS::Kinesis::Stream")
		busID, _ := tmpl.only(t, "AWS::Events::EventBus")
		topicID, _ := tmpl.only(t, "AWS::SNS::Topic")
		if streamID != *stack.GetLogicalId(r.stream.Node().DefaultChild().(awscdk.CfnElement)) ||
			busID != *stack.GetLogicalId(r.bus.Node().DefaultChild().(awscdk.CfnElement)) ||
			topicID != *stack.GetLogicalId(r.topic.Node().DefaultChild().(awscdk.CfnElement)) {
			t.Errorf("stream, bus and topic must be the brought ones, got %s, %s, %s", streamID, busID, topicID)
		}
		// The brought keys and the sink's AlertKey (for the dead-letter queues); no alias.
		if n := len(tmpl.resourcesOfType("AWS::KMS::Key")); n != 3 {
			t.Errorf("want 3 keys (stream, topic, dead letters), got %d", n)
		}
		if n := len(tmpl.resourcesOfType("AWS::KMS::Alias")); n != 0 {
			t.Errorf("want no alias with a brought key, got %d", n)
		}
		checkByoWiring(t, tmpl, getAtt(streamID, "Arn"), ref(busID), ref(topicID))

		// The grants are in the brought resources' own policies.
		_, pol := tmpl.only(t, "AWS::Kinesis::ResourcePolicy")
		wantEq(t, "stream policy ResourceArn", pol.props()["ResourceArn"], getAtt(streamID, "Arn"))
		if pol["DeletionPolicy"] != "RetainExceptOnCreate" {
			t.Errorf("stream policy must be retained")
		}
		statementBySid(t, pol.props()["ResourcePolicy"], "AllowOrganizationForwardersToPutRecords")
		res := tmpl["Resources"].(map[string]any)
		streamKeyID := *stack.GetLogicalId(r.streamKey.Node().DefaultChild().(awscdk.CfnElement))
		enc := statementBySid(t, get(res, streamKeyID, "Properties", "KeyPolicy"), "AllowOrganizationForwardersToEncryptStreamRecords")
		wantEq(t, "encryption context", get(enc, "Condition", "StringEquals", "kms:EncryptionContext:aws:kinesis:arn"),
			map[string]any{"Fn::Join": []any{"", []any{"arn:", ref("AWS::Partition"), ":kinesis:eu-west-1:222222222222:stream/trailguard-byo"}}})
		topicKeyID := *stack.GetLogicalId(r.topicKey.Node().DefaultChild().(awscdk.CfnElement))
		eb := statementBySid(t, get(res, topicKeyID, "Properties", "KeyPolicy"), "AllowEventBridgeToEncryptDeliveries")
		if eb["Condition"] != nil {
			t.Errorf("the topic key's EventBridge statement must carry no condition (unsupported for encrypted topics), got %v", eb["Condition"])
		}
		_, tp := tmpl.only(t, "AWS::SNS::TopicPolicy")
		statementBySid(t, tp.props()["PolicyDocument"], "AllowAlertRules")
		_, bp := tmpl.only(t, "AWS::Events::EventBusPolicy")
		wantEq(t, "bus policy EventBusName", bp.props()["EventBusName"], ref(busID))
		wantEq(t, "bus policy StatementId", bp.props()["StatementId"], eventsink.BusStatementId)
		if msgs := warnings(stack); len(msgs) != 0 {
			t.Errorf("same-stack resources need no hand-made grants, got warnings %v", msgs)
		}
	})

	t.Run("imported", func(t *testing.T) {
		stack := newTestStack(t)
		p := byoSinkProps()
		p.ExistingStream = awskinesis.Stream_FromStreamAttributes(stack, jsii.String("MyStream"), &awskinesis.StreamAttributes{
			StreamArn: jsii.String(byoStreamArn), EncryptionKey: awskms.Key_FromKeyArn(stack, jsii.String("MyKey"), jsii.String(byoKeyArn)),
		})
		p.ExistingBus = awsevents.EventBus_FromEventBusArn(stack, jsii.String("MyBus"), jsii.String(byoBusArn))
		p.ExistingAlertTopic = awssns.Topic_FromTopicArn(stack, jsii.String("MyTopic"), jsii.String(byoTopicArn))
		eventsink.NewEventSink(stack, jsii.String("Sink"), p)
		tmpl := synthStack(t, stack)
		for _, typ := range []string{"AWS::Kinesis::Stream", "AWS::Events::EventBus", "AWS::SNS::Topic", "AWS::KMS::Alias"} {
			if n := len(tmpl.resourcesOfType(typ)); n != 0 {
				t.Errorf("want no %s with brought resources, got %d", typ, n)
			}
		}
		tmpl.only(t, "AWS::KMS::Key") // AlertKey, for the dead-letter queues
		checkByoWiring(t, tmpl, byoStreamArn, "trailguard-byo-bus", byoTopicArn)
		_, pol := tmpl.only(t, "AWS::Kinesis::ResourcePolicy")
		wantEq(t, "stream policy ResourceArn", pol.props()["ResourceArn"], byoStreamArn)
		_, bp := tmpl.only(t, "AWS::Events::EventBusPolicy")
		wantEq(t, "bus policy EventBusName", bp.props()["EventBusName"], "trailguard-byo-bus")
		wantEq(t, "bus policy Resource", get(bp.props(), "Statement", "Resource"), byoBusArn)
		if bp["DeletionPolicy"] != "RetainExceptOnCreate" {
			t.Errorf("bus policy must be retained")
		}
		// What CDK cannot add is asked for, statement by statement.
		checkPasteable(t, warnings(stack))
		msgs := strings.Join(warnings(stack), "\n")
		for _, want := range []string{eventsink.WarningStreamKeyPolicy, "AllowOrganizationForwardersToEncryptStreamRecords", byoKeyArn,
			eventsink.WarningAlertTopicPolicy, "AllowAlertRules", "AllowDeadLetterAlarms", "AllowEventBridgeToEncryptDeliveries"} {
			if !strings.Contains(msgs, want) {
				t.Errorf("warnings do not mention %q:\n%s", want, msgs)
			}
		}
	})
}

// checkByoWiring checks that the sink's rules use the given stream, bus and topic.
func checkByoWiring(t *testing.T, tmpl template, stream, bus, topic any) {
	t.Helper()
	_, rule := ruleByName(t, tmpl, eventsink.BusStreamRuleName)
	wantEq(t, "bus-to-stream EventBusName", rule.props()["EventBusName"], bus)
	wantEq(t, "bus-to-stream target", get(rule.props(), "Targets", 0, "Arn"), stream)
	_, r := ruleByName(t, tmpl, eventsink.DeliveryAlertRuleName)
	wantEq(t, "delivery alert EventBusName", r.props()["EventBusName"], bus)
	wantEq(t, "delivery alert target", get(r.props(), "Targets", 0, "Arn"), topic)
}

// warnings returns the messages of the stack's synth warnings.
func warnings(stack awscdk.Stack) []string {
	var out []string
	for _, m := range *assertions.Annotations_FromStack(stack).FindWarning(jsii.String("*"), assertions.Match_AnyValue()) {
		out = append(out, fmt.Sprint(m.Entry.Data))
	}
	return out
}

// checkPasteable checks that every statement a warning asks the user to add is policy JSON
// as written: it parses, and carries none of jsii's wire markers.
func checkPasteable(t *testing.T, msgs []string) {
	t.Helper()
	for _, m := range msgs {
		// Each statement is a JSON object in the text.
		for rest := m; strings.Contains(rest, "{"); {
			rest = rest[strings.Index(rest, "{"):]
			dec := json.NewDecoder(strings.NewReader(rest))
			var v map[string]any
			if err := dec.Decode(&v); err != nil {
				t.Errorf("warning's statement is not JSON (%v): %s", err, m)
				break
			}
			rest = rest[dec.InputOffset():]
		}
		if strings.Contains(m, "$jsii") {
			t.Errorf("warning's statement carries a jsii marker, not policy JSON: %s", m)
		}
	}
}

func TestDeadLetterQueueBringYourOwn(t *testing.T) {
	rule := "arn:aws:events:eu-west-1:222222222222:rule/trailguard-r"
	t.Run("same stack", func(t *testing.T) {
		stack := newTestStack(t)
		key := awskms.NewKey(stack, jsii.String("MyKey"), &awskms.KeyProps{EnableKeyRotation: jsii.Bool(true)})
		q := awssqs.NewQueue(stack, jsii.String("MyQueue"), &awssqs.QueueProps{
			Encryption: awssqs.QueueEncryption_KMS, EncryptionMasterKey: key, EnforceSSL: jsii.Bool(true),
			RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)), RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
		})
		dlq := eventdlq.NewDeadLetterQueue(stack, jsii.String("DLQ"), &eventdlq.DeadLetterQueueProps{ExistingQueue: q, SourceRuleArns: jsii.Strings(rule), AlarmTopic: alarmTopic(stack)})
		if dlq.Queue() != q {
			t.Errorf("Queue() must be the brought queue")
		}
		tmpl := synthStack(t, stack)
		qID, _ := tmpl.only(t, "AWS::SQS::Queue")
		_, qp := tmpl.only(t, "AWS::SQS::QueuePolicy")
		wantEq(t, "queue policy Queues", qp.props()["Queues"], []any{ref(qID)})
		wantEq(t, "dead-letter source", get(statementBySid(t, qp.props()["PolicyDocument"], "AllowEventBridgeDeadLetters"), "Condition", "ArnEquals", "aws:SourceArn"), []any{rule})
		_, alarm := tmpl.only(t, "AWS::CloudWatch::Alarm")
		wantEq(t, "alarm dimension", get(alarm.props(), "Dimensions", 0, "Value"), getAtt(qID, "QueueName"))
		if msgs := warnings(stack); len(msgs) != 0 {
			t.Errorf("want no warnings, got %v", msgs)
		}
	})
	t.Run("imported", func(t *testing.T) {
		stack := newTestStack(t)
		q := awssqs.Queue_FromQueueArn(stack, jsii.String("MyQueue"), jsii.String(byoQueueArn))
		eventdlq.NewDeadLetterQueue(stack, jsii.String("DLQ"), &eventdlq.DeadLetterQueueProps{ExistingQueue: q, SourceRuleArns: jsii.Strings(rule), AlarmTopic: alarmTopic(stack)})
		tmpl := synthStack(t, stack)
		for _, typ := range []string{"AWS::SQS::Queue", "AWS::SQS::QueuePolicy"} {
			if n := len(tmpl.resourcesOfType(typ)); n != 0 {
				t.Errorf("want no %s with an imported queue, got %d", typ, n)
			}
		}
		_, alarm := tmpl.only(t, "AWS::CloudWatch::Alarm")
		wantEq(t, "alarm dimension", get(alarm.props(), "Dimensions", 0, "Value"), "trailguard-byo-dead-letters")
		checkPasteable(t, warnings(stack))
		msgs := strings.Join(warnings(stack), "\n")
		for _, want := range []string{eventdlq.WarningQueuePolicy, "AllowEventBridgeDeadLetters", rule, byoQueueArn} {
			if !strings.Contains(msgs, want) {
				t.Errorf("warnings do not mention %q:\n%s", want, msgs)
			}
		}
	})
}

// TestEventForwarderInTheSinkStack builds the Security account's home-region forwarder in the
// sink's own stack, from the sink's stream and bus (tokens).
func TestEventForwarderInTheSinkStack(t *testing.T) {
	stack := newTestStack(t)
	sink := eventsink.NewEventSink(stack, jsii.String("Sink"), &eventsink.EventSinkProps{
		OrganizationId: jsii.String("o-a1b2c3d4e5"), StreamName: jsii.String("trailguard-s"), BusName: jsii.String("trailguard-b"),
		KeyAlias: jsii.String("alias/trailguard/s"), StreamProducerRoleName: jsii.String(eventforwarder.StreamRoleName("eu-west-1")),
		BusSenderRoleNamePattern: jsii.String(eventforwarder.BusRoleNamePattern),
	})
	eventforwarder.NewEventForwarder(stack, jsii.String("Fwd"), &eventforwarder.EventForwarderProps{
		StreamArn: sink.Stream().StreamArn(), ReceivingBusArn: sink.Bus().EventBusArn(),
		StreamRegion: stack.Region(), StreamAccount: stack.Account(),
		StreamKeyAlias: jsii.String("alias/trailguard/s"),
	})
	tmpl := synthStack(t, stack)
	streamID, _ := tmpl.only(t, "AWS::Kinesis::Stream")
	busID, _ := tmpl.only(t, "AWS::Events::EventBus")
	_, rule := ruleByName(t, tmpl, eventforwarder.StreamRuleName)
	wantEq(t, "stream rule target", get(rule.props(), "Targets", 0, "Arn"), getAtt(streamID, "Arn"))
	_, busRule := ruleByName(t, tmpl, eventforwarder.BusRuleName)
	wantEq(t, "bus rule target", get(busRule.props(), "Targets", 0, "Arn"), getAtt(busID, "Arn"))
	conds, _ := tmpl["Conditions"].(map[string]any)
	found := false
	for _, c := range conds {
		found = found || jsonEq(t, c, map[string]any{"Fn::Equals": []any{ref("AWS::Region"), "eu-west-1"}})
	}
	if !found {
		t.Errorf("want a home-region condition on eu-west-1, got %v", conds)
	}
	roleID := get(rule.props(), "Targets", 0, "RoleArn", "Fn::GetAtt", 0).(string)
	enc := statementBySid(t, policyOfRole(t, tmpl, roleID), "EncryptRecords")
	wantEq(t, "EncryptRecords Resource", enc["Resource"], map[string]any{"Fn::Join": []any{"", []any{"arn:", ref("AWS::Partition"), ":kms:eu-west-1:222222222222:key/*"}}})
	wantEq(t, "EncryptRecords ViaService", get(enc, "Condition", "StringEquals", "kms:ViaService"), "kinesis.eu-west-1.amazonaws.com")
}

// TestRealtimeBringYourOwnMisuse: every misuse fails at construct time, all problems at once,
// each naming the prop and the value.
func TestRealtimeBringYourOwnMisuse(t *testing.T) {
	importedStream := func(s awscdk.Stack, arn string) awskinesis.IStream {
		return awskinesis.Stream_FromStreamAttributes(s, jsii.String("MyStream"), &awskinesis.StreamAttributes{
			StreamArn: jsii.String(arn), EncryptionKey: awskms.Key_FromKeyArn(s, jsii.String("MyKey"), jsii.String(byoKeyArn)),
		})
	}
	for _, tc := range []struct {
		name  string
		build func(s awscdk.Stack)
		want  []string
	}{
		{"sink: shaping props with existing resources", func(s awscdk.Stack) {
			p := byoSinkProps()
			p.ExistingStream = importedStream(s, byoStreamArn)
			p.ExistingBus = awsevents.EventBus_FromEventBusArn(s, jsii.String("MyBus"), jsii.String(byoBusArn))
			p.StreamName, p.Mode, p.RetentionHours, p.KeyAlias, p.BusName = jsii.String("trailguard-s"), jsii.String("ON_DEMAND"), jsii.Number(200), jsii.String("alias/k"), jsii.String("trailguard-b")
			eventsink.NewEventSink(s, jsii.String("Sink"), p)
		}, []string{`StreamName must be unset with ExistingStream (it shapes a new one), got "trailguard-s"`, `Mode must be unset with ExistingStream`, `RetentionHours must be unset with ExistingStream (it shapes a new one), got 200`,
			`KeyAlias must be unset with a brought stream key`, `got "alias/k"`, `BusName must be unset with ExistingBus (it shapes a new one), got "trailguard-b"`}},
		{"sink: same-stack stream unfit", func(s awscdk.Stack) {
			p := byoSinkProps()
			p.ExistingStream = awskinesis.NewStream(s, jsii.String("MyStream"), &awskinesis.StreamProps{
				Encryption: awskinesis.StreamEncryption_UNENCRYPTED, RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
			})
			p.ExistingStreamKey = awskms.NewKey(s, jsii.String("MyKey"), nil)
			eventsink.NewEventSink(s, jsii.String("Sink"), p)
		}, []string{"ExistingStream TestStack/MyStream must be encrypted with a customer managed KMS key", "must keep records at least 168 hours (RetentionPeriod, Security Hub Kinesis.3), got 24",
			`must be retained (RemovalPolicy RETAIN_ON_UPDATE_OR_DELETE or RETAIN), got DeletionPolicy "DELETE"`, "must have a StreamName"}},
		{"sink: AWS managed stream key", func(s awscdk.Stack) {
			p := byoSinkProps()
			p.ExistingStream = awskinesis.NewStream(s, jsii.String("MyStream"), &awskinesis.StreamProps{
				StreamName: jsii.String("trailguard-x"), Encryption: awskinesis.StreamEncryption_MANAGED,
				RetentionPeriod: awscdk.Duration_Hours(jsii.Number(168)), RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
			})
			eventsink.NewEventSink(s, jsii.String("Sink"), p)
		}, []string{"got the AWS managed alias/aws/kinesis", "ExistingStreamKey is required with ExistingStream TestStack/MyStream, which carries no key"}},
		{"sink: imported resources elsewhere, default bus, unencrypted topic", func(s awscdk.Stack) {
			p := byoSinkProps()
			p.ExistingStream = importedStream(s, "arn:aws:kinesis:us-east-1:222222222222:stream/trailguard-byo")
			p.ExistingBus = awsevents.EventBus_FromEventBusName(s, jsii.String("MyBus"), jsii.String("default"))
			p.ExistingAlertTopic = awssns.NewTopic(s, jsii.String("MyTopic"), nil)
			eventsink.NewEventSink(s, jsii.String("Sink"), p)
		}, []string{`ExistingStream must be in the stack's region eu-west-1, got "arn:aws:kinesis:us-east-1:222222222222:stream/trailguard-byo"`,
			"ExistingBus must be a custom event bus, got the default bus", "ExistingAlertTopic TestStack/MyTopic must be encrypted with a customer managed KMS key (MasterKey), got none"}},
		{"dlq: both queue and key, then an unfit queue", func(s awscdk.Stack) {
			eventdlq.NewDeadLetterQueue(s, jsii.String("DLQ"), &eventdlq.DeadLetterQueueProps{
				ExistingQueue:  awssqs.NewQueue(s, jsii.String("Q"), nil),
				EncryptionKey:  awskms.NewKey(s, jsii.String("K"), nil),
				SourceRuleArns: jsii.Strings("arn:aws:events:eu-west-1:222222222222:rule/r"),
			})
		}, []string{"eventdlq: EncryptionKey must be unset with ExistingQueue, got both"}},
		{"dlq: unfit same-stack queue", func(s awscdk.Stack) {
			eventdlq.NewDeadLetterQueue(s, jsii.String("DLQ"), &eventdlq.DeadLetterQueueProps{
				ExistingQueue: awssqs.NewQueue(s, jsii.String("Q"), &awssqs.QueueProps{Encryption: awssqs.QueueEncryption_SQS_MANAGED}),
			})
		}, []string{"eventdlq: ExistingQueue TestStack/Q must be encrypted with a customer managed KMS key", "must keep messages 14 days (RetentionPeriod 1209600 seconds), got the default 345600 (4 days)",
			`must be retained (RemovalPolicy RETAIN_ON_UPDATE_OR_DELETE or RETAIN), got DeletionPolicy "DELETE"`, "eventdlq: SourceRuleArns is required"}},
		{"dlq: neither queue nor key", func(s awscdk.Stack) {
			eventdlq.NewDeadLetterQueue(s, jsii.String("DLQ"), &eventdlq.DeadLetterQueueProps{SourceRuleArns: jsii.Strings("arn:aws:events:eu-west-1:222222222222:rule/r")})
		}, []string{"eventdlq: EncryptionKey is required without ExistingQueue"}},
		{"forwarder: token stream ARN without its region and account", func(s awscdk.Stack) {
			stream := awskinesis.NewStream(s, jsii.String("S"), &awskinesis.StreamProps{Encryption: awskinesis.StreamEncryption_KMS})
			eventforwarder.NewEventForwarder(s, jsii.String("Fwd"), &eventforwarder.EventForwarderProps{
				StreamArn: stream.StreamArn(), StreamKeyAlias: jsii.String("alias/k"), ReceivingBusArn: jsii.String(byoBusArn),
			})
		}, []string{"eventforwarder: StreamRegion is required when StreamArn is a token (${Token[", "the home region cannot be read from a token before deploy",
			"eventforwarder: StreamAccount is required when StreamArn is a token"}},
		{"forwarder: region and account that contradict the ARN, default bus", func(s awscdk.Stack) {
			eventforwarder.NewEventForwarder(s, jsii.String("Fwd"), &eventforwarder.EventForwarderProps{
				StreamArn: jsii.String(byoStreamArn), StreamRegion: jsii.String("us-east-1"), StreamAccount: jsii.String("111111111111"),
				StreamKeyAlias: jsii.String("alias/k"), ReceivingBusArn: jsii.String("arn:aws:events:eu-west-1:222222222222:event-bus/default"),
			})
		}, []string{`eventforwarder: StreamRegion must be unset or the StreamArn's (eu-west-1), got "us-east-1"`, `StreamAccount must be unset or the StreamArn's (222222222222), got "111111111111"`,
			`ReceivingBusArn must name a custom bus, got "arn:aws:events:eu-west-1:222222222222:event-bus/default": the Security account's own forwarder`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stack := newTestStack(t)
			msg := mustPanic(t, func() { tc.build(stack) })
			for _, m := range missingSubstrings(msg, tc.want...) {
				t.Errorf("panic message does not contain %q:\n%s", m, msg)
			}
		})
	}
}
