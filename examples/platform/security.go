package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/trailguard/trailguard/constructs/detection"
	"github.com/trailguard/trailguard/constructs/eventforwarder"
	"github.com/trailguard/trailguard/constructs/eventsink"
	"github.com/trailguard/trailguard/constructs/logarchive"
)

// newSecurityLoggingStack is the Security account's stack in the home region: the log archive
// the organization trail delivers to, the event stream every account forwards to, the
// detection functions reading both, and the SIEM's reader role. Deploy it first.
func newSecurityLoggingStack(scope constructs.Construct) awscdk.Stack {
	stack := newStack(scope, "platform-security-logging", securityAccount, homeRegion,
		"Platform: organization log archive, security event stream and detection")

	// The platform makes its keys itself (newPlatformKey: its aliases, its key policy
	// convention) and gives them to the constructs, which add the statements CloudTrail, S3,
	// Kinesis and the readers need. Unlike the constructs' own keys, CDK's default key policy
	// lets the Security account's IAM policies allow others to use them: the account's
	// administrators decide who (go doc .../constructs/logarchive LogArchiveProps.ExistingKey).
	trailKey := newPlatformKey(stack, "TrailKey", trailKeyAlias,
		"Encrypts the organization trail's log files in the archive")
	archive := logarchive.NewLogArchive(stack, jsii.String("LogArchive"), &logarchive.LogArchiveProps{
		OrganizationId:       jsii.String(organizationID),
		TrailArn:             jsii.String(trailArn()),
		BucketName:           jsii.String(archiveBucket),
		AccessLogBucketName:  jsii.String(accessLogs),
		ExistingKey:          trailKey, // the trail names it by its alias ARN (trailKeyAliasArn)
		BreakGlassPrincipals: jsii.Strings(breakGlassRole),
		Readers:              jsii.Strings(siemReaderRole),
		// The archive detection function, by the names it will have.
		LogFileQueue: awssqs.Queue_FromQueueArn(stack, jsii.String("DetectionArchiveQueue"),
			jsii.String(detection.ArchiveQueueArn("aws", homeRegion, securityAccount))),
		LogFileReaders: jsii.Strings(detection.ArchiveRoleArn("aws", securityAccount)),
	})

	streamKey := newPlatformKey(stack, "StreamKey", streamKeyAlias,
		"Encrypts the security event stream")
	sink := eventsink.NewEventSink(stack, jsii.String("EventSink"), &eventsink.EventSinkProps{
		OrganizationId:           jsii.String(organizationID),
		StreamName:               jsii.String(streamName),
		BusName:                  jsii.String(busName),
		ExistingStreamKey:        streamKey, // the forwarders name it by its alias
		StreamProducerRoleName:   jsii.String(streamProducerRole()),
		BusSenderRoleNamePattern: jsii.String(eventforwarder.BusRoleNamePattern),
		RetentionHours:           jsii.Number(24 * 14),
		AlertEmails:              jsii.Strings("security-oncall@platform.example.com"),
	})

	d := detection.NewDetection(stack, jsii.String("Detection"), &detection.DetectionProps{
		Stream:        sink.Stream(),
		StreamKey:     sink.StreamKey(),
		AlertTopic:    sink.AlertTopic(),
		AlertKey:      sink.AlertKey(),
		ArchiveBucket: archive.Bucket(), // its key comes with it
	})

	addSIEMReader(stack, sink)
	addSIEMAlertForwarding(stack, d, sink)
	awscdk.NewCfnOutput(stack, jsii.String("StreamArn"), &awscdk.CfnOutputProps{Value: sink.Stream().StreamArn()})
	awscdk.NewCfnOutput(stack, jsii.String("ArchiveBucketName"), &awscdk.CfnOutputProps{Value: archive.Bucket().BucketName()})
	return stack
}

// addSIEMReader adds the platform's own role that the SIEM (in a tooling account) assumes to
// read the event stream; the archive lets it read through LogArchiveProps.Readers. Its
// permissions are a managed policy, not the inline policy Grant* methods write (NIST, HIPAA
// and PCI want managed policies).
func addSIEMReader(stack awscdk.Stack, sink eventsink.EventSink) {
	role := awsiam.NewRole(stack, jsii.String("SIEMReader"), &awsiam.RoleProps{
		RoleName:    jsii.String("trailguard-platform-siem-reader"),
		Description: jsii.String("The SIEM reads the security event stream and the log archive"),
		AssumedBy:   awsiam.NewArnPrincipal(jsii.String("arn:aws:iam::390000000004:role/siem-collector")),
	})
	awsiam.NewManagedPolicy(stack, jsii.String("SIEMReaderPolicy"), &awsiam.ManagedPolicyProps{
		ManagedPolicyName: jsii.String("trailguard-platform-siem-reader"),
		Roles:             &[]awsiam.IRole{role},
		Statements: &[]awsiam.PolicyStatement{
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Actions: jsii.Strings("kinesis:DescribeStreamSummary", "kinesis:GetRecords",
					"kinesis:GetShardIterator", "kinesis:ListShards"),
				Resources: jsii.Strings(*sink.Stream().StreamArn()),
			}),
			// Decrypt the stream's records, through Kinesis only.
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Actions:    jsii.Strings("kms:Decrypt"),
				Resources:  jsii.Strings(*sink.StreamKey().KeyArn()),
				Conditions: &map[string]any{"StringEquals": map[string]any{"kms:ViaService": "kinesis." + homeRegion + ".amazonaws.com"}},
			}),
		},
	})
}
