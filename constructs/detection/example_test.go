package detection_test

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/jsii-runtime-go"

	"github.com/trailguard/trailguard/constructs/detection"
	"github.com/trailguard/trailguard/constructs/eventsink"
	"github.com/trailguard/trailguard/constructs/logarchive"
)

// The detection functions beside the Security account's sink and, optionally, the log
// archive. The function code is built from this module at synth: the go command must be
// installed, and a module of your own must require github.com/trailguard/trailguard.
func ExampleNewDetection() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Security"), &awscdk.StackProps{
		Env: &awscdk.Environment{Account: jsii.String("222222222222"), Region: jsii.String("eu-west-1")},
	})
	sink := eventsink.NewEventSink(stack, jsii.String("EventSink"), &eventsink.EventSinkProps{
		OrganizationId:           jsii.String("o-a1b2c3d4e5"),
		StreamName:               jsii.String("trailguard-security-events"),
		BusName:                  jsii.String("trailguard-security-events"),
		KeyAlias:                 jsii.String("alias/trailguard/security-events"),
		StreamProducerRoleName:   jsii.String("trailguard-forwarder-stream-eu-west-1"),
		BusSenderRoleNamePattern: jsii.String("trailguard-forwarder-bus-*"),
	})
	// Optional: the archive function reads the organization trail's log files too. The
	// archive notifies the archive queue and lets the archive role decrypt, by their names.
	archive := logarchive.NewLogArchive(stack, jsii.String("LogArchive"), &logarchive.LogArchiveProps{
		OrganizationId: jsii.String("o-a1b2c3d4e5"),
		TrailArn:       jsii.String("arn:aws:cloudtrail:eu-west-1:111111111111:trail/trailguard-org"),
		BucketName:     jsii.String("trailguard-archive-222222222222"),
		LogFileQueue: awssqs.Queue_FromQueueArn(stack, jsii.String("ArchiveQueue"),
			jsii.String(detection.ArchiveQueueArn("aws", "eu-west-1", "222222222222"))),
		LogFileReaders: jsii.Strings(detection.ArchiveRoleArn("aws", "222222222222")),
	})
	d := detection.NewDetection(stack, jsii.String("Detection"), &detection.DetectionProps{
		Stream:        sink.Stream(),
		StreamKey:     sink.StreamKey(),
		AlertTopic:    sink.AlertTopic(),
		AlertKey:      sink.AlertKey(),
		ArchiveBucket: archive.Bucket(), // its key comes with it
		BatchSize:     jsii.Number(500),
	})
	_ = d.AlertBus() // e.g. a rule sending critical alerts to a pager
	app.Synth(nil)
}

// The detection functions on an alert bus and queues of your own: a bus and a failure queue
// defined in the same stack, and an archive queue imported with its key. The construct checks
// the ones it can see and adds S3's grants to their policies; an imported queue's are synth
// warnings to add by hand and acknowledge. The archive notifies the brought queue by its ARN.
func ExampleNewDetection_bringYourOwn() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Security"), &awscdk.StackProps{
		Env: &awscdk.Environment{Account: jsii.String("222222222222"), Region: jsii.String("eu-west-1")},
	})
	sink := eventsink.NewEventSink(stack, jsii.String("EventSink"), &eventsink.EventSinkProps{
		OrganizationId:           jsii.String("o-a1b2c3d4e5"),
		StreamName:               jsii.String("trailguard-security-events"),
		BusName:                  jsii.String("trailguard-security-events"),
		KeyAlias:                 jsii.String("alias/trailguard/security-events"),
		StreamProducerRoleName:   jsii.String("trailguard-forwarder-stream-eu-west-1"),
		BusSenderRoleNamePattern: jsii.String("trailguard-forwarder-bus-*"),
	})
	bus := awsevents.NewEventBus(stack, jsii.String("AlertBus"), &awsevents.EventBusProps{EventBusName: jsii.String("trailguard-soc-alerts")})
	bus.ApplyRemovalPolicy(awscdk.RemovalPolicy_RETAIN)
	key := awskms.NewKey(stack, jsii.String("QueueKey"), &awskms.KeyProps{EnableKeyRotation: jsii.Bool(true), RemovalPolicy: awscdk.RemovalPolicy_RETAIN})
	failures := awssqs.NewQueue(stack, jsii.String("Failures"), &awssqs.QueueProps{
		Encryption: awssqs.QueueEncryption_KMS, EncryptionMasterKey: key, EnforceSSL: jsii.Bool(true),
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(detection.FailureRetentionDays)), RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	archiveQueue := awssqs.Queue_FromQueueAttributes(stack, jsii.String("ArchiveQueue"), &awssqs.QueueAttributes{
		QueueArn: jsii.String("arn:aws:sqs:eu-west-1:222222222222:trailguard-soc-log-files"),
		KeyArn:   jsii.String("arn:aws:kms:eu-west-1:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab"),
	})
	archive := logarchive.NewLogArchive(stack, jsii.String("LogArchive"), &logarchive.LogArchiveProps{
		OrganizationId: jsii.String("o-a1b2c3d4e5"),
		TrailArn:       jsii.String("arn:aws:cloudtrail:eu-west-1:111111111111:trail/trailguard-org"),
		BucketName:     jsii.String("trailguard-archive-222222222222"),
		LogFileQueue:   archiveQueue, // not ArchiveQueueArn: that names the queue the construct would create
		LogFileReaders: jsii.Strings(detection.ArchiveRoleArn("aws", "222222222222")),
	})
	detection.NewDetection(stack, jsii.String("Detection"), &detection.DetectionProps{
		Stream:               sink.Stream(),
		StreamKey:            sink.StreamKey(),
		AlertTopic:           sink.AlertTopic(),
		AlertKey:             sink.AlertKey(),
		ExistingAlertBus:     bus,
		ExistingFailureQueue: failures,
		ExistingArchiveQueue: archiveQueue,
		ArchiveBucket:        archive.Bucket(),
	})
	// After adding the statements the warnings list to the queue's and its key's policies:
	for _, id := range []string{detection.WarningArchiveQueuePolicy, detection.WarningArchiveKeyPolicy} {
		awscdk.Annotations_Of(stack).AcknowledgeWarning(jsii.String(id), jsii.String("statements added"))
	}
	app.Synth(nil)
}
