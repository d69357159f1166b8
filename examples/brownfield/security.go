package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/trailguard/trailguard/constructs/detection"
	"github.com/trailguard/trailguard/constructs/eventforwarder"
	"github.com/trailguard/trailguard/constructs/eventsink"
	"github.com/trailguard/trailguard/constructs/logarchive"
)

// rulesDir holds Acme's own detection rules, relative to the app (the cdk CLI runs it here).
const rulesDir = "rules"

// newSecurityStack is the Security account's stack in the home region: trailguard's policy on
// the existing archive, the event stream every account forwards to, alerts to the existing
// topic, and the detection functions over both feeds with Acme's own rule.
func newSecurityStack(scope constructs.Construct) awscdk.Stack {
	stack := newStack(scope, "brownfield-security", securityAccount, homeRegion,
		"Acme: trailguard on the existing log archive and alert topic")

	// The existing archive, imported by name and ARN. CloudFormation cannot change an
	// imported key's policy: the construct's warning (logarchive.WarningKeyPolicy) carries
	// the statements to add. Its bucket policy is written here and replaces the bucket's.
	bucket := awss3.Bucket_FromBucketName(stack, jsii.String("ExistingArchive"), jsii.String(existingArchiveBucket))
	key := awskms.Key_FromKeyArn(stack, jsii.String("ExistingArchiveKey"), jsii.String(existingArchiveKeyArn))
	archive := logarchive.NewLogArchive(stack, jsii.String("LogArchive"), &logarchive.LogArchiveProps{
		OrganizationId:       jsii.String(organizationID),
		TrailArn:             jsii.String(existingTrailArn),
		ExistingBucket:       bucket,
		ExistingKey:          key,
		BreakGlassPrincipals: jsii.Strings(breakGlassRole),
		// The archive detection function decrypts the log files, by the role name it will have.
		LogFileReaders: jsii.Strings(detection.ArchiveRoleArn("aws", securityAccount)),
	})

	// The existing alert topic, imported with its key: the detection functions publish with
	// that key, and a key this app made could not be the topic's (NewDetection refuses it).
	topic := awssns.Topic_FromTopicAttributes(stack, jsii.String("ExistingAlerts"), &awssns.TopicAttributes{
		TopicArn: jsii.String(existingAlertTopicArn),
		KeyArn:   jsii.String(existingAlertKeyArn),
	})
	// The forwarders' roles, by the names eventforwarder gives them.
	streamProducer, busSenders := eventforwarder.SinkRoleNames(homeRegion)
	sink := eventsink.NewEventSink(stack, jsii.String("EventSink"), &eventsink.EventSinkProps{
		OrganizationId:           jsii.String(organizationID),
		StreamName:               jsii.String(streamName),
		BusName:                  jsii.String(busName),
		KeyAlias:                 jsii.String(streamKeyAlias),
		StreamProducerRoleName:   streamProducer,
		BusSenderRoleNamePattern: busSenders,
		ExistingAlertTopic:       topic,
	})

	rules, err := detection.LoadRuleFiles(rulesDir)
	if err != nil {
		panic(err)
	}
	d := detection.NewDetection(stack, jsii.String("Detection"), &detection.DetectionProps{
		Stream:        sink.Stream(),
		StreamKey:     sink.StreamKey(),
		AlertTopic:    sink.AlertTopic(),
		AlertKey:      topic.MasterKey(), // the topic's own key, not sink.AlertKey()
		ArchiveBucket: archive.Bucket(),
		ArchiveKey:    archive.Key(),
		RuleFiles:     rules,
	})

	// The SIEM (in a tooling account) reads the stream with a role of Acme's: the grant is a
	// managed policy the gates accept, not Stream().GrantRead's inline policy.
	siem := awsiam.NewRole(stack, jsii.String("SIEMReader"), &awsiam.RoleProps{
		RoleName:  jsii.String("trailguard-acme-siem-reader"),
		AssumedBy: awsiam.NewArnPrincipal(jsii.String(siemCollectorRole)),
	})
	sink.GrantStreamRead(siem)

	// The security team's dashboard: is detection keeping up, and is anything lost?
	awscloudwatch.NewDashboard(stack, jsii.String("Dashboard"), &awscloudwatch.DashboardProps{
		DashboardName: jsii.String("trailguard-acme"),
		Widgets: &[]*[]awscloudwatch.IWidget{{
			awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
				Title: jsii.String("Detection lag (ms)"), Left: &[]awscloudwatch.IMetric{d.MetricStreamLag()},
			}),
			awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
				Title: jsii.String("Records failing detection"), Left: &[]awscloudwatch.IMetric{d.MetricFailedRecords()},
			}),
			// One graph each: the delivery failure metrics are math expressions over the same
			// metric names.
			awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
				Title: jsii.String("Other regions' events not put on the stream"), Left: &[]awscloudwatch.IMetric{sink.MetricBusToStreamFailures()},
			}),
			awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
				Title: jsii.String("Delivery alerts not published"), Left: &[]awscloudwatch.IMetric{sink.MetricAlertDeliveryFailures()},
			}),
		}},
	})
	return stack
}
