package test

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/trailguard/trailguard/constructs/eventforwarder"
	"github.com/trailguard/trailguard/constructs/eventsink"
	"github.com/trailguard/trailguard/constructs/responder"
)

// TestEventSinkGrants: GrantStreamRead and GrantAlertPublish give a role of the user's what
// an L2's GrantRead gives, as a managed policy that passes the gates, where
// Stream().GrantRead(role), the L2 habit, writes an inline policy the NIST, HIPAA and PCI
// packs refuse.
func TestEventSinkGrants(t *testing.T) {
	env := &awscdk.Environment{Account: jsii.String("222222222222"), Region: jsii.String("eu-west-1")}
	for _, tc := range []struct {
		name     string
		grant    func(sink eventsink.EventSink, role awsiam.IRole)
		findings bool
	}{
		{"GrantStreamRead and GrantAlertPublish", func(sink eventsink.EventSink, role awsiam.IRole) {
			sink.GrantStreamRead(role)
			sink.GrantAlertPublish(role)
		}, false},
		{"the L2's inline GrantRead", func(sink eventsink.EventSink, role awsiam.IRole) {
			sink.Stream().GrantRead(role)
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var roleID string
			tmpl, report := gatedSynth(t, func(scope constructs.Construct) awscdk.Stack {
				s := awscdk.NewStack(scope, jsii.String("Grants"), &awscdk.StackProps{Env: env})
				sink := eventsink.NewEventSink(s, jsii.String("Sink"), &eventsink.EventSinkProps{
					OrganizationId: jsii.String("o-a1b2c3d4e5"), StreamName: jsii.String("trailguard-s"), BusName: jsii.String("trailguard-b"),
					KeyAlias: jsii.String("alias/trailguard/s"), StreamProducerRoleName: jsii.String("trailguard-forwarder-stream-eu-west-1"),
					BusSenderRoleNamePattern: jsii.String("trailguard-forwarder-bus-*"),
				})
				role := awsiam.NewRole(s, jsii.String("Consumer"), &awsiam.RoleProps{AssumedBy: awsiam.NewAccountPrincipal(jsii.String("333333333333"))})
				roleID = logicalID(role)
				tc.grant(sink, role)
				return s
			})
			if got := len(report.Findings) > 0; got != tc.findings {
				t.Fatalf("findings %v, want findings: %v", report.Findings, tc.findings)
			}
			if tc.findings {
				return
			}
			stream, _ := tmpl.only(t, "AWS::Kinesis::Stream")
			var docs []any
			for _, mp := range tmpl.resourcesOfType("AWS::IAM::ManagedPolicy") {
				if jsonEq(t, mp.props()["Roles"], []any{ref(roleID)}) {
					docs = append(docs, mp.props()["PolicyDocument"])
				}
			}
			if n := len(tmpl.resourcesOfType("AWS::IAM::Policy")); n != 0 {
				t.Errorf("want no inline policies, got %d", n)
			}
			if len(docs) != 2 {
				t.Fatalf("want two managed policies on the role, got %d", len(docs))
			}
			sids := map[string]bool{}
			for _, d := range docs {
				for _, st := range statements(d) {
					sids[st["Sid"].(string)] = true
					if st["Sid"] == "ReadStream" {
						wantEq(t, "ReadStream resource", st["Resource"], getAtt(stream, "Arn"))
					}
					if st["Sid"] == "DecryptStream" {
						wantEq(t, "DecryptStream via", get(st, "Condition", "StringEquals", "kms:ViaService"), "kinesis.eu-west-1.amazonaws.com")
						wantEq(t, "DecryptStream context", get(st, "Condition", "StringEquals", "kms:EncryptionContext:aws:kinesis:arn"), getAtt(stream, "Arn"))
					}
					if st["Sid"] == "EncryptAlerts" {
						if get(st, "Condition", "StringEquals", "kms:EncryptionContext:aws:sns:topicArn") == nil {
							t.Errorf("EncryptAlerts must be for the alert topic only: %v", st)
						}
					}
				}
			}
			for _, want := range []string{"ReadStream", "DecryptStream", "PublishAlerts", "EncryptAlerts"} {
				if !sids[want] {
					t.Errorf("the role's managed policies lack %s: %v", want, sids)
				}
			}
		})
	}
}

// TestEventForwarderAccessors: the forwarder exposes the rules, roles, queues and alarms it
// creates, each the one in the template.
func TestEventForwarderAccessors(t *testing.T) {
	stack := newTestStack(t)
	f := eventforwarder.NewEventForwarder(stack, jsii.String("Forwarder"), &eventforwarder.EventForwarderProps{
		StreamArn:       jsii.String("arn:aws:kinesis:eu-west-1:222222222222:stream/trailguard-s"),
		StreamKeyAlias:  jsii.String("alias/trailguard/s"),
		ReceivingBusArn: jsii.String("arn:aws:events:eu-west-1:222222222222:event-bus/trailguard-b"),
	})
	tmpl := synthStack(t, stack)
	for _, name := range []string{eventforwarder.StreamRuleName, eventforwarder.BusRuleName, eventforwarder.AlarmsRuleName} {
		rule, ok := f.Rules()[name]
		if !ok {
			t.Errorf("Rules() lacks %s", name)
			continue
		}
		id, _ := tmpl.resourceByProp(t, "AWS::Events::Rule", "Name", name)
		wantEq(t, "rule "+name, *stack.GetLogicalId(rule), id)
	}
	wantEq(t, "rules", len(f.Rules()), 3)
	for what, role := range map[string]awsiam.IRole{"StreamRole": f.StreamRole(), "BusRole": f.BusRole()} {
		if role == nil {
			t.Fatalf("%s() is nil", what)
		}
		if _, ok := tmpl["Resources"].(map[string]any)[logicalID(role)]; !ok {
			t.Errorf("%s() %s is not in the template", what, *role.Node().Path())
		}
	}
	wantEq(t, "dead-letter queues", len(f.DeadLetterQueues()), 2)
	for _, a := range f.Alarms() {
		if _, ok := tmpl["Resources"].(map[string]any)[logicalID(a)]; !ok {
			t.Errorf("alarm %s is not in the template", *a.Node().Path())
		}
	}
	wantEq(t, "alarms: 3 rules' and 2 queues'", len(f.Alarms()), 5)
}

// TestAlarmsOnAnImportedTopicAskedOnce: a construct whose alarms notify an imported alert
// topic asks for the alarms' topic and key statements, unless an eventsink with the topic as
// ExistingAlertTopic already does (one step by hand, not two).
func TestAlarmsOnAnImportedTopicAskedOnce(t *testing.T) {
	for _, withSink := range []bool{false, true} {
		t.Run(map[bool]string{false: "alone", true: "beside the sink"}[withSink], func(t *testing.T) {
			stack := newTestStack(t)
			topic := awssns.Topic_FromTopicAttributes(stack, jsii.String("Alerts"), &awssns.TopicAttributes{TopicArn: jsii.String(byoTopicArn), KeyArn: jsii.String(byoKeyArn)})
			bus := awsevents.EventBus_FromEventBusArn(stack, jsii.String("AlertBus"), jsii.String(byoAlertBusArn))
			responder.NewResponder(stack, jsii.String("Responder"), &responder.ResponderProps{
				OrganizationId: jsii.String("o-a1b2c3d4e5"), AlertTopic: topic, AlertKey: topic.MasterKey(), AlertBus: bus,
			})
			if withSink {
				// Built after the responder: the check runs at synth.
				p := byoSinkProps()
				p.StreamName, p.BusName, p.KeyAlias = jsii.String("trailguard-s"), jsii.String("trailguard-b"), jsii.String("alias/trailguard/s")
				p.ExistingAlertTopic = topic
				eventsink.NewEventSink(stack, jsii.String("Sink"), p)
			}
			msgs := strings.Join(warnings(stack), "\n")
			asked := strings.Count(msgs, `"Sid":"AllowDeadLetterAlarms"`)
			wantEq(t, "responder's warning", strings.Contains(msgs, responder.WarningAlertTopicAlarms), !withSink)
			wantEq(t, "the alarms' topic statement asked", asked, 1)
		})
	}
}
