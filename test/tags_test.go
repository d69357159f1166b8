package test

import (
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/trailguard/trailguard/constructs/accounttrail"
	"github.com/trailguard/trailguard/constructs/coveragemonitor"
	"github.com/trailguard/trailguard/constructs/detection"
	"github.com/trailguard/trailguard/constructs/eventdlq"
	"github.com/trailguard/trailguard/constructs/eventforwarder"
	"github.com/trailguard/trailguard/constructs/eventsink"
	"github.com/trailguard/trailguard/constructs/guardrails"
	"github.com/trailguard/trailguard/constructs/historyreader"
	"github.com/trailguard/trailguard/constructs/logarchive"
	"github.com/trailguard/trailguard/constructs/orgtrail"
	"github.com/trailguard/trailguard/constructs/responder"
	"github.com/trailguard/trailguard/constructs/responderrole"
	"github.com/trailguard/trailguard/coverage"
)

// probeTag is added by the test to a construct's scope: every resource that carries it is one
// that CDK tags (a taggable resource in the construct's subtree).
const probeTag = "test:probe"

// TestEachConstructTagsItsOwnResources builds each construct alone, in a stack with no tags of
// its own, as an outside app would: every taggable resource it creates must carry
// guardrails.TagKey=TagValue, by which the guardrails protect the resources without fixed
// names. The stacks package adds the tag too, so only this test sees a construct forget it.
func TestEachConstructTagsItsOwnResources(t *testing.T) {
	sinkProps := func() *eventsink.EventSinkProps {
		return &eventsink.EventSinkProps{
			OrganizationId: jsii.String("o-a1b2c3d4e5"), StreamName: jsii.String("trailguard-s"), BusName: jsii.String("trailguard-b"),
			KeyAlias: jsii.String("alias/trailguard/s"), StreamProducerRoleName: jsii.String("trailguard-forwarder-stream-eu-west-1"),
			BusSenderRoleNamePattern: jsii.String("trailguard-forwarder-bus-*"),
		}
	}
	for _, tc := range []struct {
		name  string
		build func(s awscdk.Stack) constructs.IConstruct
	}{
		{"logarchive", func(s awscdk.Stack) constructs.IConstruct {
			return logarchive.NewLogArchive(s, jsii.String("Archive"), &logarchive.LogArchiveProps{OrganizationId: jsii.String("o-a1b2c3d4e5"), TrailArn: jsii.String(trailArn)})
		}},
		{"orgtrail", func(s awscdk.Stack) constructs.IConstruct {
			return orgtrail.NewOrganizationTrail(s, jsii.String("Trail"), &orgtrail.OrganizationTrailProps{
				TrailName: jsii.String("trailguard-org"), OrganizationId: jsii.String("o-a1b2c3d4e5"),
				BucketName: jsii.String("trailguard-archive-222222222222"), KmsKeyArn: jsii.String("arn:aws:kms:eu-west-1:222222222222:alias/trailguard/org"),
				SendToCloudWatchLogs: jsii.Bool(true),
			})
		}},
		{"accounttrail", func(s awscdk.Stack) constructs.IConstruct {
			return accounttrail.NewAccountTrail(s, jsii.String("Trail"), &accounttrail.AccountTrailProps{CloudWatchLogs: jsii.Bool(true)})
		}},
		{"eventsink", func(s awscdk.Stack) constructs.IConstruct {
			return eventsink.NewEventSink(s, jsii.String("Sink"), sinkProps())
		}},
		{"eventforwarder", func(s awscdk.Stack) constructs.IConstruct {
			return eventforwarder.NewEventForwarder(s, jsii.String("Forwarder"), &eventforwarder.EventForwarderProps{
				StreamArn:       jsii.String("arn:aws:kinesis:eu-west-1:222222222222:stream/trailguard-s"),
				StreamKeyAlias:  jsii.String("alias/trailguard/s"),
				ReceivingBusArn: jsii.String("arn:aws:events:eu-west-1:222222222222:event-bus/trailguard-b"),
			})
		}},
		{"eventdlq", func(s awscdk.Stack) constructs.IConstruct {
			return eventdlq.NewDeadLetterQueue(s, jsii.String("DLQ"), &eventdlq.DeadLetterQueueProps{
				EncryptionKey: hardenedKey(s, "MyKey"), SourceRuleArns: jsii.Strings("arn:aws:events:eu-west-1:222222222222:rule/trailguard-r"), AlarmTopic: alarmTopic(s),
			})
		}},
		{"historyreader", func(s awscdk.Stack) constructs.IConstruct {
			return historyreader.NewHistoryReader(s, jsii.String("Reader"), &historyreader.HistoryReaderProps{InvestigatorArns: jsii.Strings("arn:aws:iam::222222222222:role/ir")})
		}},
		{"detection", func(s awscdk.Stack) constructs.IConstruct {
			sink := eventsink.NewEventSink(s, jsii.String("Sink"), sinkProps())
			return detection.NewDetection(s, jsii.String("Detection"), &detection.DetectionProps{
				Stream: sink.Stream(), StreamKey: sink.StreamKey(), AlertTopic: sink.AlertTopic(), AlertKey: sink.AlertKey(),
			})
		}},
		{"coveragemonitor", func(s awscdk.Stack) constructs.IConstruct {
			sink := eventsink.NewEventSink(s, jsii.String("Sink"), sinkProps())
			d := detection.NewDetection(s, jsii.String("Detection"), &detection.DetectionProps{
				Stream: sink.Stream(), StreamKey: sink.StreamKey(), AlertTopic: sink.AlertTopic(), AlertKey: sink.AlertKey(),
			})
			expected := &coverage.Expected{Complete: true}
			expected.Add("111111111111", "eu-west-1")
			return coveragemonitor.NewCoverageMonitor(s, jsii.String("CoverageMonitor"), &coveragemonitor.CoverageMonitorProps{
				Expected: expected, Recorder: d.StreamFunction().(awslambda.Function),
				AlertTopic: sink.AlertTopic(), AlertKey: sink.AlertKey(), AlertBus: d.AlertBus(),
			})
		}},
		{"responderrole", func(s awscdk.Stack) constructs.IConstruct {
			return responderrole.NewResponderRole(s, jsii.String("ResponderRole"), &responderrole.ResponderRoleProps{SecurityAccount: jsii.String("222222222222")})
		}},
		{"responder", func(s awscdk.Stack) constructs.IConstruct {
			sink := eventsink.NewEventSink(s, jsii.String("Sink"), sinkProps())
			d := detection.NewDetection(s, jsii.String("Detection"), &detection.DetectionProps{
				Stream: sink.Stream(), StreamKey: sink.StreamKey(), AlertTopic: sink.AlertTopic(), AlertKey: sink.AlertKey(),
			})
			return responder.NewResponder(s, jsii.String("Responder"), &responder.ResponderProps{
				OrganizationId: jsii.String("o-a1b2c3d4e5"), AlertTopic: sink.AlertTopic(), AlertKey: sink.AlertKey(), AlertBus: d.AlertBus(),
			})
		}},
		{"guardrails", func(s awscdk.Stack) constructs.IConstruct {
			return guardrails.NewGuardrails(s, jsii.String("Guardrails"), &guardrails.GuardrailsProps{
				TargetIds: jsii.Strings("r-ab12"), ExemptPrincipalArns: jsii.Strings("arn:aws:iam::*:role/cdk-hnb659fds-cfn-exec-role-*"),
			})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newTestStack(t)
			c := tc.build(s)
			awscdk.Tags_Of(c).Add(jsii.String(probeTag), jsii.String("1"), nil)
			tmpl := synthStack(t, s)
			taggable := 0
			res, _ := tmpl["Resources"].(map[string]any)
			for id, raw := range res {
				r := resource(raw.(map[string]any))
				tags := tagsOf(r)
				if _, ok := tags[probeTag]; !ok {
					continue
				}
				taggable++
				if got := tags[guardrails.TagKey]; got != guardrails.TagValue {
					t.Errorf("%s: %s (%s) has tag %s=%q, want %q", tc.name, id, r["Type"], guardrails.TagKey, got, guardrails.TagValue)
				}
			}
			if taggable == 0 {
				t.Fatalf("%s: no taggable resource in the construct: the test proves nothing", tc.name)
			}
		})
	}
}

// tagsOf returns a resource's tags, in either form CloudFormation uses: a list of {Key, Value}
// (most types) or a map of key to value (e.g. AWS::SSM::Parameter).
func tagsOf(r resource) map[string]string {
	out := map[string]string{}
	switch tags := r.props()["Tags"].(type) {
	case []any:
		for _, tag := range tags {
			k, _ := get(tag, "Key").(string)
			v, _ := get(tag, "Value").(string)
			out[k] = v
		}
	case map[string]any:
		for k, v := range tags {
			s, _ := v.(string)
			out[k] = s
		}
	}
	return out
}
