package test

import (
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskinesis"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/trailguard/trailguard/constructs/accounttrail"
	"github.com/trailguard/trailguard/constructs/archivequery"
	"github.com/trailguard/trailguard/constructs/coveragemonitor"
	"github.com/trailguard/trailguard/constructs/detection"
	"github.com/trailguard/trailguard/constructs/eventdlq"
	"github.com/trailguard/trailguard/constructs/eventforwarder"
	"github.com/trailguard/trailguard/constructs/eventsink"
	"github.com/trailguard/trailguard/constructs/historyreader"
	"github.com/trailguard/trailguard/constructs/logarchive"
	"github.com/trailguard/trailguard/constructs/orgtrail"
	"github.com/trailguard/trailguard/constructs/responder"
	"github.com/trailguard/trailguard/constructs/responderrole"
	"github.com/trailguard/trailguard/coverage"
)

// TestEachConstructPassesTheGatesAlone builds each construct with its required props only, in
// a stack of its own as a platform team would, and runs the compliance gates with the cdk.json
// context: every deliberate exception travels with the construct, so none needs a suppression
// from its user.
func TestEachConstructPassesTheGatesAlone(t *testing.T) {
	env := &awscdk.Environment{Account: jsii.String("222222222222"), Region: jsii.String("eu-west-1")}
	for _, tc := range []struct {
		name  string
		build func(s awscdk.Stack)
	}{
		{"logarchive", func(s awscdk.Stack) {
			logarchive.NewLogArchive(s, jsii.String("Archive"), &logarchive.LogArchiveProps{OrganizationId: jsii.String("o-a1b2c3d4e5"), TrailArn: jsii.String(trailArn)})
		}},
		{"orgtrail", func(s awscdk.Stack) {
			orgtrail.NewOrganizationTrail(s, jsii.String("Trail"), &orgtrail.OrganizationTrailProps{
				TrailName: jsii.String("trailguard-org"), OrganizationId: jsii.String("o-a1b2c3d4e5"),
				BucketName: jsii.String("trailguard-archive-222222222222"), KmsKeyArn: jsii.String("arn:aws:kms:eu-west-1:222222222222:alias/trailguard/org"),
			})
		}},
		{"accounttrail", func(s awscdk.Stack) { accounttrail.NewAccountTrail(s, jsii.String("Trail"), nil) }},
		// Its access logs need a bucket of the stack: the log archive's, as it is deployed.
		{"archivequery beside a logarchive", func(s awscdk.Stack) {
			archive := logarchive.NewLogArchive(s, jsii.String("Archive"), &logarchive.LogArchiveProps{OrganizationId: jsii.String("o-a1b2c3d4e5"), TrailArn: jsii.String(trailArn)})
			archivequery.NewArchiveQuery(s, jsii.String("Query"), &archivequery.ArchiveQueryProps{
				OrganizationId: jsii.String("o-a1b2c3d4e5"), ArchiveBucket: awss3.Bucket_FromBucketName(s, jsii.String("ArchiveByName"), jsii.String("trailguard-archive-222222222222")),
				Accounts: jsii.Strings("111111111111", "222222222222"), Regions: jsii.Strings("eu-west-1", "us-east-1"),
				InvestigatorArns: jsii.Strings("arn:aws:iam::222222222222:role/security-investigator"), AccessLogBucket: archive.AccessLogBucket(),
			})
		}},
		// Bring your own: imported resources (nothing of the user's in the stack, so every
		// finding would be the construct's), and a key of the user's in the stack.
		{"logarchive on an imported bucket and key", func(s awscdk.Stack) {
			logarchive.NewLogArchive(s, jsii.String("Archive"), &logarchive.LogArchiveProps{
				OrganizationId: jsii.String("o-a1b2c3d4e5"), TrailArn: jsii.String(trailArn),
				ExistingBucket: awss3.Bucket_FromBucketName(s, jsii.String("Bucket"), jsii.String(importedBucketName)),
				ExistingKey:    awskms.Key_FromKeyArn(s, jsii.String("Key"), jsii.String(importedKeyArn)),
			})
		}},
		{"logarchive with a key of the stack and an imported access-log bucket", func(s awscdk.Stack) {
			logarchive.NewLogArchive(s, jsii.String("Archive"), &logarchive.LogArchiveProps{
				OrganizationId: jsii.String("o-a1b2c3d4e5"), TrailArn: jsii.String(trailArn),
				ExistingKey:             compliantUserKey(s),
				ExistingAccessLogBucket: awss3.Bucket_FromBucketName(s, jsii.String("AccessLogs"), jsii.String("org-access-logs-222222222222")),
			})
		}},
		{"accounttrail on an imported bucket and key", func(s awscdk.Stack) {
			accounttrail.NewAccountTrail(s, jsii.String("Trail"), &accounttrail.AccountTrailProps{
				ExistingBucket: awss3.Bucket_FromBucketName(s, jsii.String("Bucket"), jsii.String(importedBucketName)),
				ExistingKey:    awskms.Key_FromKeyArn(s, jsii.String("Key"), jsii.String(importedKeyArn)),
			})
		}},
		{"accounttrail with a key of the stack and an imported access-log bucket", func(s awscdk.Stack) {
			accounttrail.NewAccountTrail(s, jsii.String("Trail"), &accounttrail.AccountTrailProps{
				ExistingKey:             compliantUserKey(s),
				ExistingAccessLogBucket: awss3.Bucket_FromBucketName(s, jsii.String("AccessLogs"), jsii.String("org-access-logs-222222222222")),
			})
		}},
		{"eventsink", func(s awscdk.Stack) {
			eventsink.NewEventSink(s, jsii.String("Sink"), &eventsink.EventSinkProps{
				OrganizationId: jsii.String("o-a1b2c3d4e5"), StreamName: jsii.String("trailguard-s"), BusName: jsii.String("trailguard-b"),
				KeyAlias: jsii.String("alias/trailguard/s"), StreamProducerRoleName: jsii.String("trailguard-forwarder-stream-eu-west-1"),
				BusSenderRoleNamePattern: jsii.String("trailguard-forwarder-bus-*"),
			})
		}},
		{"eventforwarder", func(s awscdk.Stack) {
			eventforwarder.NewEventForwarder(s, jsii.String("Forwarder"), &eventforwarder.EventForwarderProps{
				StreamArn:       jsii.String("arn:aws:kinesis:eu-west-1:222222222222:stream/trailguard-s"),
				StreamKeyAlias:  jsii.String("alias/trailguard/s"),
				ReceivingBusArn: jsii.String("arn:aws:events:eu-west-1:222222222222:event-bus/trailguard-b"),
			})
		}},
		// Bring your own: the same constructs with the resources a platform team already has,
		// defined in the stack or imported. An imported key's or topic's grants are synth
		// warnings until the user adds them and acknowledges them, as here.
		{"eventsink with same-stack resources", func(s awscdk.Stack) {
			r := newSameStackResources(s)
			p := byoSinkProps()
			p.ExistingStream, p.ExistingBus, p.ExistingAlertTopic = r.stream, r.bus, r.topic
			eventsink.NewEventSink(s, jsii.String("Sink"), p)
		}},
		{"eventsink with imported resources", func(s awscdk.Stack) {
			p := byoSinkProps()
			p.ExistingStream = awskinesis.Stream_FromStreamArn(s, jsii.String("MyStream"), jsii.String(byoStreamArn))
			p.ExistingStreamKey = awskms.Key_FromKeyArn(s, jsii.String("MyKey"), jsii.String(byoKeyArn))
			p.ExistingBus = awsevents.EventBus_FromEventBusArn(s, jsii.String("MyBus"), jsii.String(byoBusArn))
			p.ExistingAlertTopic = awssns.Topic_FromTopicArn(s, jsii.String("MyTopic"), jsii.String(byoTopicArn))
			eventsink.NewEventSink(s, jsii.String("Sink"), p)
			for _, id := range []string{eventsink.WarningStreamKeyPolicy, eventsink.WarningAlertTopicPolicy} {
				awscdk.Annotations_Of(s).AcknowledgeWarning(jsii.String(id), jsii.String("added to the policy by hand"))
			}
		}},
		{"eventforwarder in the sink's stack", func(s awscdk.Stack) {
			sink := eventsink.NewEventSink(s, jsii.String("Sink"), &eventsink.EventSinkProps{
				OrganizationId: jsii.String("o-a1b2c3d4e5"), StreamName: jsii.String("trailguard-s"), BusName: jsii.String("trailguard-b"),
				KeyAlias: jsii.String("alias/trailguard/s"), StreamProducerRoleName: jsii.String("trailguard-forwarder-stream-eu-west-1"),
				BusSenderRoleNamePattern: jsii.String("trailguard-forwarder-bus-*"),
			})
			eventforwarder.NewEventForwarder(s, jsii.String("Forwarder"), &eventforwarder.EventForwarderProps{
				StreamArn: sink.Stream().StreamArn(), ReceivingBusArn: sink.Bus().EventBusArn(),
				StreamRegion: s.Region(), StreamAccount: s.Account(), StreamKeyAlias: jsii.String("alias/trailguard/s"),
			})
		}},
		{"eventdlq with a same-stack queue", func(s awscdk.Stack) {
			key := hardenedKey(s, "MyKey")
			q := awssqs.NewQueue(s, jsii.String("MyQueue"), &awssqs.QueueProps{
				Encryption: awssqs.QueueEncryption_KMS, EncryptionMasterKey: key, EnforceSSL: jsii.Bool(true),
				RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)), RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
			})
			eventdlq.NewDeadLetterQueue(s, jsii.String("DLQ"), &eventdlq.DeadLetterQueueProps{ExistingQueue: q, SourceRuleArns: jsii.Strings("arn:aws:events:eu-west-1:222222222222:rule/trailguard-r"), AlarmTopic: alarmTopic(s)})
		}},
		{"eventdlq with an imported queue", func(s awscdk.Stack) {
			q := awssqs.Queue_FromQueueArn(s, jsii.String("MyQueue"), jsii.String(byoQueueArn))
			eventdlq.NewDeadLetterQueue(s, jsii.String("DLQ"), &eventdlq.DeadLetterQueueProps{ExistingQueue: q, SourceRuleArns: jsii.Strings("arn:aws:events:eu-west-1:222222222222:rule/trailguard-r"), AlarmTopic: alarmTopic(s)})
			awscdk.Annotations_Of(s).AcknowledgeWarning(jsii.String(eventdlq.WarningQueuePolicy), jsii.String("added to the queue policy by hand"))
		}},
		{"detection with a same-stack bus and queues, on an imported archive", func(s awscdk.Stack) {
			u := newUserQueues(s)
			p := byoDetectionProps(s)
			p.ExistingAlertBus, p.ExistingFailureQueue, p.ExistingArchiveQueue = u.bus, u.failures, u.archive
			p.ArchiveBucket = awss3.Bucket_FromBucketName(s, jsii.String("Archive"), jsii.String(byoArchiveBucket))
			p.ArchiveKey = awskms.Key_FromKeyArn(s, jsii.String("ArchiveKey"), jsii.String(importedKeyArn))
			detection.NewDetection(s, jsii.String("Detection"), p)
		}},
		{"detection with an imported bus and queues", func(s awscdk.Stack) {
			p := byoDetectionProps(s)
			p.ExistingAlertBus = awsevents.EventBus_FromEventBusArn(s, jsii.String("MyAlertBus"), jsii.String(byoAlertBusArn))
			p.ExistingFailureQueue = importedQueue(s, "MyFailures", byoFailureQueueArn)
			p.ExistingArchiveQueue = importedQueue(s, "MyArchiveQueue", byoArchiveQueueArn)
			p.ArchiveBucket = awss3.Bucket_FromBucketName(s, jsii.String("Archive"), jsii.String(byoArchiveBucket))
			p.ArchiveKey = awskms.Key_FromKeyArn(s, jsii.String("ArchiveKey"), jsii.String(importedKeyArn))
			detection.NewDetection(s, jsii.String("Detection"), p)
			for _, id := range []string{detection.WarningArchiveQueuePolicy, detection.WarningArchiveKeyPolicy} {
				awscdk.Annotations_Of(s).AcknowledgeWarning(jsii.String(id), jsii.String("added to the policy by hand"))
			}
		}},
		{"historyreader", func(s awscdk.Stack) {
			historyreader.NewHistoryReader(s, jsii.String("Reader"), &historyreader.HistoryReaderProps{InvestigatorArns: jsii.Strings("arn:aws:iam::222222222222:role/ir")})
		}},
		{"responderrole", func(s awscdk.Stack) {
			responderrole.NewResponderRole(s, jsii.String("ResponderRole"), &responderrole.ResponderRoleProps{SecurityAccount: jsii.String("222222222222")})
		}},
		{"detection and responder, beside the sink", func(s awscdk.Stack) {
			sink := eventsink.NewEventSink(s, jsii.String("Sink"), &eventsink.EventSinkProps{
				OrganizationId: jsii.String("o-a1b2c3d4e5"), StreamName: jsii.String("trailguard-s"), BusName: jsii.String("trailguard-b"),
				KeyAlias: jsii.String("alias/trailguard/s"), StreamProducerRoleName: jsii.String("trailguard-forwarder-stream-eu-west-1"),
				BusSenderRoleNamePattern: jsii.String("trailguard-forwarder-bus-*"),
			})
			d := detection.NewDetection(s, jsii.String("Detection"), &detection.DetectionProps{
				Stream: sink.Stream(), StreamKey: sink.StreamKey(), AlertTopic: sink.AlertTopic(), AlertKey: sink.AlertKey(),
			})
			r := responder.NewResponder(s, jsii.String("Responder"), &responder.ResponderProps{
				OrganizationId: jsii.String("o-a1b2c3d4e5"), AlertTopic: sink.AlertTopic(), AlertKey: sink.AlertKey(), AlertBus: d.AlertBus(),
			})
			d.SendResponsesTo(r.Queue(), r.Key())
		}},
		{"detection and coveragemonitor, beside the sink", func(s awscdk.Stack) {
			sink := eventsink.NewEventSink(s, jsii.String("Sink"), &eventsink.EventSinkProps{
				OrganizationId: jsii.String("o-a1b2c3d4e5"), StreamName: jsii.String("trailguard-s"), BusName: jsii.String("trailguard-b"),
				KeyAlias: jsii.String("alias/trailguard/s"), StreamProducerRoleName: jsii.String("trailguard-forwarder-stream-eu-west-1"),
				BusSenderRoleNamePattern: jsii.String("trailguard-forwarder-bus-*"),
			})
			d := detection.NewDetection(s, jsii.String("Detection"), &detection.DetectionProps{
				Stream: sink.Stream(), StreamKey: sink.StreamKey(), AlertTopic: sink.AlertTopic(), AlertKey: sink.AlertKey(),
			})
			expected := &coverage.Expected{Complete: true}
			expected.Add("111111111111", "eu-west-1")
			coveragemonitor.NewCoverageMonitor(s, jsii.String("CoverageMonitor"), &coveragemonitor.CoverageMonitorProps{
				Expected: expected, Recorder: d.StreamFunction().(awslambda.Function),
				AlertTopic: sink.AlertTopic(), AlertKey: sink.AlertKey(), AlertBus: d.AlertBus(),
			})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, report := gatedSynth(t, func(scope constructs.Construct) awscdk.Stack {
				s := awscdk.NewStack(scope, jsii.String("Alone"), &awscdk.StackProps{Env: env})
				tc.build(s)
				return s
			})
			for _, f := range report.Findings {
				t.Errorf("%s alone: unsuppressed finding %s", tc.name, f)
			}
		})
	}
}

// compliantUserKey is a key of the user's that passes the gates by itself: rotating,
// retained, and grants only for AWS services.
func compliantUserKey(s awscdk.Stack) awskms.Key {
	return denyGrantsExceptForAWSServices(userKey(s, "UserKey"))
}

// hardenedKey is a customer managed key as the gates want it: rotated, grants only for AWS
// services.
func hardenedKey(s awscdk.Stack, id string) awskms.Key {
	return denyGrantsExceptForAWSServices(awskms.NewKey(s, jsii.String(id), &awskms.KeyProps{EnableKeyRotation: jsii.Bool(true)}))
}

// denyGrantsExceptForAWSServices adds the statement Control Tower's CT.KMS.PR.3 asks of a key
// policy: only AWS services may create grants.
func denyGrantsExceptForAWSServices(k awskms.Key) awskms.Key {
	k.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid: jsii.String("DenyGrantsExceptForAWSServices"), Effect: awsiam.Effect_DENY,
		Principals: &[]awsiam.IPrincipal{awsiam.NewAnyPrincipal()}, Actions: jsii.Strings("kms:CreateGrant"), Resources: jsii.Strings("*"),
		Conditions: &map[string]any{"BoolIfExists": map[string]any{"kms:GrantIsForAWSResource": "false", "aws:PrincipalIsAWSService": "false"}},
	}), jsii.Bool(false))
	return k
}

// alarmTopic is an encrypted topic for a construct's alarms.
func alarmTopic(s awscdk.Stack) awssns.ITopic {
	return awssns.NewTopic(s, jsii.String("Alarms"), &awssns.TopicProps{MasterKey: hardenedKey(s, "AlarmsKey"), EnforceSSL: jsii.Bool(true)})
}
