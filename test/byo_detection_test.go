package test

import (
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskinesis"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/trailguard/trailguard/constructs/detection"
	"github.com/trailguard/trailguard/internal/alerting"
)

// Tests of the detection construct with the alert bus, failure queue, archive queue and
// archive bucket its users bring: defined in the same stack and imported.

const (
	byoAlertBusArn     = "arn:aws:events:eu-west-1:222222222222:event-bus/trailguard-byo-alerts"
	byoFailureQueueArn = "arn:aws:sqs:eu-west-1:222222222222:trailguard-byo-failures"
	byoArchiveQueueArn = "arn:aws:sqs:eu-west-1:222222222222:trailguard-byo-archive-queue"
	byoArchiveBucket   = "trailguard-byo-archive"
)

// byoDetectionProps are the detection's required props: an imported stream and its key, and
// a topic of s.
func byoDetectionProps(s awscdk.Stack) *detection.DetectionProps {
	topicKey := hardenedKey(s, "TopicKey")
	return &detection.DetectionProps{
		Stream:     awskinesis.Stream_FromStreamArn(s, jsii.String("Stream"), jsii.String(byoStreamArn)),
		StreamKey:  awskms.Key_FromKeyArn(s, jsii.String("StreamKey"), jsii.String(byoKeyArn)),
		AlertTopic: awssns.NewTopic(s, jsii.String("Topic"), &awssns.TopicProps{MasterKey: topicKey, EnforceSSL: jsii.Bool(true)}),
		AlertKey:   topicKey,
	}
}

// userQueues are a failure queue and an archive queue as the detection needs them.
type userQueues struct {
	key               awskms.Key
	failures, archive awssqs.Queue
	bus               awsevents.EventBus
}

func newUserQueues(s awscdk.Stack) *userQueues {
	u := &userQueues{key: hardenedKey(s, "MyQueueKey")}
	u.failures = awssqs.NewQueue(s, jsii.String("MyFailures"), &awssqs.QueueProps{
		Encryption: awssqs.QueueEncryption_KMS, EncryptionMasterKey: u.key, EnforceSSL: jsii.Bool(true),
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)), RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	u.archive = awssqs.NewQueue(s, jsii.String("MyArchiveQueue"), &awssqs.QueueProps{
		Encryption: awssqs.QueueEncryption_KMS, EncryptionMasterKey: u.key, EnforceSSL: jsii.Bool(true),
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(4)), RemovalPolicy: awscdk.RemovalPolicy_RETAIN_ON_UPDATE_OR_DELETE,
		VisibilityTimeout: awscdk.Duration_Minutes(jsii.Number(30)),
		DeadLetterQueue:   &awssqs.DeadLetterQueue{Queue: u.failures, MaxReceiveCount: jsii.Number(5)},
	})
	u.bus = awsevents.NewEventBus(s, jsii.String("MyAlertBus"), &awsevents.EventBusProps{EventBusName: jsii.String("trailguard-byo-alerts")})
	u.bus.ApplyRemovalPolicy(awscdk.RemovalPolicy_RETAIN)
	return u
}

// s3Arn is the ARN of an S3 resource in the stack's partition, as the construct builds it.
func s3Arn(resource string) any {
	return map[string]any{"Fn::Join": []any{"", []any{"arn:", ref("AWS::Partition"), ":s3:::" + resource}}}
}

// importedQueue is a queue imported by ARN with its key.
func importedQueue(s awscdk.Stack, id, arn string) awssqs.IQueue {
	return awssqs.Queue_FromQueueAttributes(s, jsii.String(id), &awssqs.QueueAttributes{QueueArn: jsii.String(arn), KeyArn: jsii.String(byoKeyArn)})
}

func TestDetectionBringYourOwn(t *testing.T) {
	t.Run("same stack", func(t *testing.T) {
		stack := newTestStack(t)
		u := newUserQueues(stack)
		archiveKey := userKey(stack, "MyArchiveKey")
		bucket := userArchiveBucket(stack, "MyArchive", archiveKey, func(p *awss3.BucketProps) { p.BucketName = jsii.String(byoArchiveBucket) })
		// The bucket notifies the brought queue of new log files, as logarchive's LogFileQueue
		// would: without it the construct warns (below, "imported").
		bucket.Node().DefaultChild().(awss3.CfnBucket).SetNotificationConfiguration(&awss3.CfnBucket_NotificationConfigurationProperty{
			QueueConfigurations: []any{&awss3.CfnBucket_QueueConfigurationProperty{Event: jsii.String("s3:ObjectCreated:*"), Queue: u.archive.QueueArn()}},
		})
		p := byoDetectionProps(stack)
		p.ExistingAlertBus, p.ExistingFailureQueue, p.ExistingArchiveQueue, p.ArchiveBucket = u.bus, u.failures, u.archive, bucket
		d := detection.NewDetection(stack, jsii.String("Detection"), p)
		samePath(t, "AlertBus", d.AlertBus(), u.bus)
		samePath(t, "FailureQueue", d.FailureQueue(), u.failures)
		samePath(t, "ArchiveQueue", d.ArchiveQueue(), u.archive)

		tmpl := synthStack(t, stack)
		busID, _ := tmpl.only(t, "AWS::Events::EventBus")
		wantEq(t, "the only bus", busID, logicalID(u.bus))
		if n := len(tmpl.resourcesOfType("AWS::SQS::Queue")); n != 2 {
			t.Errorf("want only the 2 brought queues, got %d", n)
		}
		failuresID, archiveQueueID, queueKeyID := logicalID(u.failures), logicalID(u.archive), logicalID(u.key)

		// The functions use the brought resources, with the brought queues' key.
		fnID, fn := tmpl.resourceByProp(t, "AWS::Lambda::Function", "FunctionName", detection.StreamFunctionName)
		wantEq(t, "bus env", get(fn.props(), "Environment", "Variables", alerting.EnvBusName), "trailguard-byo-alerts")
		wantEq(t, "the function's dead-letter queue", get(fn.props(), "DeadLetterConfig", "TargetArn"), getAtt(failuresID, "Arn"))
		_, m := tmpl.resourceByProp(t, "AWS::Lambda::EventSourceMapping", "FunctionName", ref(fnID))
		wantEq(t, "on-failure destination", get(m.props(), "DestinationConfig", "OnFailure", "Destination"), getAtt(failuresID, "Arn"))
		doc := policyOfRole(t, tmpl, get(fn.props(), "Role", "Fn::GetAtt", 0).(string))
		wantEq(t, "PutAlertEvents", statementBySid(t, doc, "PutAlertEvents")["Resource"], getAtt(busID, "Arn"))
		wantEq(t, "SendFailures", statementBySid(t, doc, "SendFailures")["Resource"], getAtt(failuresID, "Arn"))
		wantEq(t, "EncryptFailures", statementBySid(t, doc, "EncryptFailures")["Resource"], getAtt(queueKeyID, "Arn"))

		archiveFnID, archiveFn := tmpl.resourceByProp(t, "AWS::Lambda::Function", "FunctionName", detection.ArchiveFunctionName)
		_, am := tmpl.resourceByProp(t, "AWS::Lambda::EventSourceMapping", "FunctionName", ref(archiveFnID))
		wantEq(t, "archive mapping", am.props()["EventSourceArn"], getAtt(archiveQueueID, "Arn"))
		adoc := policyOfRole(t, tmpl, get(archiveFn.props(), "Role", "Fn::GetAtt", 0).(string))
		wantEq(t, "DecryptLogFileNotifications", statementBySid(t, adoc, "DecryptLogFileNotifications")["Resource"], getAtt(queueKeyID, "Arn"))
		wantEq(t, "DecryptLogFiles", statementBySid(t, adoc, "DecryptLogFiles")["Resource"], getAtt(logicalID(archiveKey), "Arn"))
		wantEq(t, "ReadLogFiles", statementBySid(t, adoc, "ReadLogFiles")["Resource"], s3Arn(byoArchiveBucket+"/AWSLogs/*"))

		// S3's grants are in the brought queue's and key's own policies, and the bucket's
		// notification waits for the queue's policy.
		res := tmpl["Resources"].(map[string]any)
		statementBySid(t, get(res, queueKeyID, "Properties", "KeyPolicy"), "AllowS3ToEncryptLogFileNotifications")
		var queuePolicyID string
		for id, qp := range tmpl.resourcesOfType("AWS::SQS::QueuePolicy") {
			if jsonEq(t, qp.props()["Queues"], []any{ref(archiveQueueID)}) {
				queuePolicyID = id
				s := statementBySid(t, qp.props()["PolicyDocument"], "AllowArchiveBucketNotifications")
				wantEq(t, "notification source", get(s, "Condition", "ArnEquals", "aws:SourceArn"), s3Arn(byoArchiveBucket))
			}
		}
		_, b := tmpl.resourceByProp(t, "AWS::S3::Bucket", "BucketName", byoArchiveBucket)
		if queuePolicyID == "" || !slices.Contains(strs(b["DependsOn"]), queuePolicyID) {
			t.Errorf("the archive bucket must depend on the archive queue's policy %q, got DependsOn %v", queuePolicyID, b["DependsOn"])
		}
		if msgs := warnings(stack); len(msgs) != 0 {
			t.Errorf("same-stack resources need no hand-made grants, got warnings %v", msgs)
		}
	})

	t.Run("imported", func(t *testing.T) {
		stack := newTestStack(t)
		p := byoDetectionProps(stack)
		p.ExistingAlertBus = awsevents.EventBus_FromEventBusArn(stack, jsii.String("MyAlertBus"), jsii.String(byoAlertBusArn))
		p.ExistingFailureQueue = importedQueue(stack, "MyFailures", byoFailureQueueArn)
		p.ExistingArchiveQueue = importedQueue(stack, "MyArchiveQueue", byoArchiveQueueArn)
		p.ArchiveBucket = awss3.Bucket_FromBucketName(stack, jsii.String("MyArchive"), jsii.String(byoArchiveBucket))
		p.ArchiveKey = awskms.Key_FromKeyArn(stack, jsii.String("MyArchiveKey"), jsii.String(importedKeyArn))
		// The alert topic imported with its key, without an eventsink to ask for the alarms'
		// statements.
		p.AlertTopic = awssns.Topic_FromTopicAttributes(stack, jsii.String("MyTopic"), &awssns.TopicAttributes{TopicArn: jsii.String(byoTopicArn), KeyArn: jsii.String(byoKeyArn)})
		p.AlertKey = p.AlertTopic.MasterKey()
		detection.NewDetection(stack, jsii.String("Detection"), p)
		tmpl := synthStack(t, stack)
		for _, typ := range []string{"AWS::Events::EventBus", "AWS::SQS::Queue", "AWS::SQS::QueuePolicy"} {
			if n := len(tmpl.resourcesOfType(typ)); n != 0 {
				t.Errorf("want no %s with brought resources, got %d", typ, n)
			}
		}
		_, fn := tmpl.resourceByProp(t, "AWS::Lambda::Function", "FunctionName", detection.StreamFunctionName)
		wantEq(t, "bus env", get(fn.props(), "Environment", "Variables", alerting.EnvBusName), "trailguard-byo-alerts")
		doc := policyOfRole(t, tmpl, get(fn.props(), "Role", "Fn::GetAtt", 0).(string))
		wantEq(t, "PutAlertEvents", statementBySid(t, doc, "PutAlertEvents")["Resource"], byoAlertBusArn)
		wantEq(t, "SendFailures", statementBySid(t, doc, "SendFailures")["Resource"], byoFailureQueueArn)
		wantEq(t, "EncryptFailures", statementBySid(t, doc, "EncryptFailures")["Resource"], byoKeyArn)
		_, archiveFn := tmpl.resourceByProp(t, "AWS::Lambda::Function", "FunctionName", detection.ArchiveFunctionName)
		adoc := policyOfRole(t, tmpl, get(archiveFn.props(), "Role", "Fn::GetAtt", 0).(string))
		wantEq(t, "ReceiveLogFileNotifications", statementBySid(t, adoc, "ReceiveLogFileNotifications")["Resource"], byoArchiveQueueArn)
		wantEq(t, "DecryptLogFiles", statementBySid(t, adoc, "DecryptLogFiles")["Resource"], importedKeyArn)
		// What CDK cannot add is asked for, statement by statement.
		checkPasteable(t, warnings(stack))
		msgs := strings.Join(warnings(stack), "\n")
		for _, want := range []string{detection.WarningArchiveQueuePolicy, "AllowArchiveBucketNotifications", byoArchiveQueueArn, ":s3:::" + byoArchiveBucket,
			detection.WarningArchiveKeyPolicy, "AllowS3ToEncryptLogFileNotifications", byoKeyArn,
			// Nothing else would set up the notification the archive function depends on.
			detection.WarningArchiveBucketNotification, `"Id":"` + detection.ArchiveNotificationId + `"`, `"QueueArn":"` + byoArchiveQueueArn + `"`,
			`"Events":["s3:ObjectCreated:*"]`, `{"Name":"prefix","Value":"AWSLogs/"}`, `{"Name":"suffix","Value":".json.gz"}`,
			"aws s3api get-bucket-notification-configuration --bucket " + byoArchiveBucket + " > notification.json",
			"aws s3api put-bucket-notification-configuration --bucket " + byoArchiveBucket + " --notification-configuration file://notification.json",
			// No logarchive asks the imported archive key's owner for the function's decrypt.
			detection.WarningArchiveLogKeyPolicy, `"aws:PrincipalArn":"arn:aws:iam::222222222222:role/` + detection.ArchiveFunctionName + `"`,
			`"kms:EncryptionContext:aws:s3:arn":"arn:aws:s3:::` + byoArchiveBucket + `"`, `"kms:ViaService":"s3.eu-west-1.amazonaws.com"`,
			// Nor for the alarms on the imported topic.
			detection.WarningAlertTopicAlarms, `"Sid":"AllowDeadLetterAlarms"`, `"Resource":"` + byoTopicArn + `"`, `"Sid":"AllowCloudWatchAlarmsOfThisAccount"`} {
			if !strings.Contains(msgs, want) {
				t.Errorf("warnings do not mention %q:\n%s", want, msgs)
			}
		}
	})
}

// TestDetectionBringYourOwnMisuse: every misuse fails at construct time, all problems at once,
// each naming the prop and the value.
func TestDetectionBringYourOwnMisuse(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(s awscdk.Stack, p *detection.DetectionProps)
		want []string
	}{
		{"bus name with an existing bus", func(s awscdk.Stack, p *detection.DetectionProps) {
			p.AlertBusName = jsii.String("trailguard-x")
			p.ExistingAlertBus = awsevents.EventBus_FromEventBusArn(s, jsii.String("Bus"), jsii.String(byoAlertBusArn))
		}, []string{`detection: AlertBusName must be unset with ExistingAlertBus (it names a new bus), got "trailguard-x"`}},
		{"imported resources elsewhere, default bus, no key", func(s awscdk.Stack, p *detection.DetectionProps) {
			p.ExistingAlertBus = awsevents.EventBus_FromEventBusName(s, jsii.String("Bus"), jsii.String("default"))
			p.ExistingFailureQueue = awssqs.Queue_FromQueueArn(s, jsii.String("Failures"), jsii.String("arn:aws:sqs:us-east-1:222222222222:trailguard-f"))
			p.ExistingArchiveQueue = importedQueue(s, "Archive", "arn:aws:sqs:eu-west-1:333333333333:trailguard-a")
		}, []string{"detection: ExistingAlertBus must be a custom event bus, got the default bus",
			`detection: ExistingFailureQueue must be in the stack's region eu-west-1, got "arn:aws:sqs:us-east-1:222222222222:trailguard-f"`,
			"detection: ExistingFailureQueue arn:aws:sqs:us-east-1:222222222222:trailguard-f must carry its customer managed KMS key: import it with awssqs.Queue_FromQueueAttributes and KeyArn",
			`detection: ExistingArchiveQueue must be in the stack's account 222222222222, got "arn:aws:sqs:eu-west-1:333333333333:trailguard-a"`,
			"detection: ExistingArchiveQueue needs ArchiveBucket"}},
		{"unfit same-stack bus and queues", func(s awscdk.Stack, p *detection.DetectionProps) {
			p.ExistingAlertBus = awsevents.NewEventBus(s, jsii.String("Bus"), &awsevents.EventBusProps{EventBusName: jsii.String("trailguard-b")})
			p.ExistingFailureQueue = awssqs.NewQueue(s, jsii.String("Failures"), &awssqs.QueueProps{Encryption: awssqs.QueueEncryption_SQS_MANAGED})
			p.ExistingArchiveQueue = awssqs.NewQueue(s, jsii.String("Archive"), &awssqs.QueueProps{
				Encryption: awssqs.QueueEncryption_KMS_MANAGED, RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)), RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
				VisibilityTimeout: awscdk.Duration_Seconds(jsii.Number(60)),
			})
			p.ArchiveBucket, p.ArchiveKey = awss3.Bucket_FromBucketName(s, jsii.String("ArchiveBucket"), jsii.String(byoArchiveBucket)), awskms.Key_FromKeyArn(s, jsii.String("K"), jsii.String(importedKeyArn))
		}, []string{"detection: ExistingAlertBus TestStack/Bus must be retained (RemovalPolicy RETAIN_ON_UPDATE_OR_DELETE or RETAIN), got no DeletionPolicy (CloudFormation deletes it)",
			"detection: ExistingFailureQueue TestStack/Failures must be encrypted with a customer managed KMS key (Encryption: QueueEncryption_KMS with EncryptionMasterKey), got no KmsMasterKeyId",
			"detection: ExistingFailureQueue TestStack/Failures must keep messages 14 days (RetentionPeriod 1209600 seconds), got the default 345600 (4 days)",
			`detection: ExistingFailureQueue TestStack/Failures must be retained (RemovalPolicy RETAIN_ON_UPDATE_OR_DELETE or RETAIN), got DeletionPolicy "DELETE"`,
			`detection: ExistingArchiveQueue TestStack/Archive must be encrypted with a customer managed KMS key, got "alias/aws/sqs"`,
			"detection: ExistingArchiveQueue TestStack/Archive must have a VisibilityTimeout of at least the function's timeout, 300 seconds (Lambda advises six times it), got 60",
			"detection: ExistingArchiveQueue TestStack/Archive must have a dead-letter queue",
			"detection: ExistingArchiveQueue TestStack/Archive must keep messages less than the failure queue's 14 days (e.g. RetentionPeriod 604800 seconds, 7 days): a dead-letter queue keeps a message's first enqueue time, so it must outlive its source; got 1209600"}},
		{"archive bucket unnamed, in another stack, without a key", func(s awscdk.Stack, p *detection.DetectionProps) {
			other := awscdk.NewStack(s.Node().Scope().(constructs.Construct), jsii.String("Other"), &awscdk.StackProps{Env: &awscdk.Environment{Account: s.Account(), Region: s.Region()}})
			p.ArchiveBucket = awss3.NewBucket(other, jsii.String("Archive"), nil)
		}, []string{"detection: ArchiveBucket Other/Archive must have a BucketName",
			"detection: ArchiveBucket Other/Archive must be in the detection's stack TestStack, got stack Other",
			"detection: ArchiveKey is required with ArchiveBucket Other/Archive, which carries no key"}},
		{"archive bucket imported by a name no S3 bucket has, without a key", func(s awscdk.Stack, p *detection.DetectionProps) {
			p.ArchiveBucket = awss3.Bucket_FromBucketName(s, jsii.String("Archive"), jsii.String("Archive_Logs"))
		}, []string{`detection: ArchiveBucket must be an S3 bucket, got bucket name "Archive_Logs"`,
			"detection: ArchiveKey is required with ArchiveBucket TestStack/Archive, which carries no key"}},
		// The alert key must be the topic's: the publishers' KMS permission names it.
		{"a key of the app beside an imported topic (the sink's own AlertKey with an ExistingAlertTopic)", func(s awscdk.Stack, p *detection.DetectionProps) {
			p.AlertTopic = awssns.Topic_FromTopicArn(s, jsii.String("Imported"), jsii.String(byoTopicArn))
		}, []string{"detection: AlertTopic TestStack/Imported (" + byoTopicArn + ") is imported and carries no key, but AlertKey is key TestStack/TopicKey, which this app creates",
			"every alert would fail to publish at run time", "awskms.Key_FromKeyArn", "awssns.Topic_FromTopicAttributes"}},
		{"an imported topic that carries another key", func(s awscdk.Stack, p *detection.DetectionProps) {
			p.AlertTopic = awssns.Topic_FromTopicAttributes(s, jsii.String("Imported"), &awssns.TopicAttributes{TopicArn: jsii.String(byoTopicArn), KeyArn: jsii.String(byoKeyArn)})
			p.AlertKey = awskms.Key_FromKeyArn(s, jsii.String("Other"), jsii.String(importedKeyArn))
		}, []string{"detection: AlertTopic TestStack/Imported is encrypted with key " + byoKeyArn + ", but AlertKey is key " + importedKeyArn}},
		{"a topic of the app encrypted with another key of the app", func(s awscdk.Stack, p *detection.DetectionProps) {
			p.AlertKey = hardenedKey(s, "Another")
		}, []string{"detection: AlertTopic TestStack/Topic is encrypted with key", "but AlertKey is key"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stack := newTestStack(t)
			p := byoDetectionProps(stack)
			tc.edit(stack, p)
			msg := mustPanic(t, func() { detection.NewDetection(stack, jsii.String("Detection"), p) })
			for _, m := range missingSubstrings(msg, tc.want...) {
				t.Errorf("panic message does not contain %q:\n%s", m, msg)
			}
		})
	}
}
