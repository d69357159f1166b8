package detection

// Bringing your own alert bus, failure queue, archive queue and archive bucket: what is
// checked, and how the grants reach policies that CDK cannot edit.

import (
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/jsii-runtime-go"

	"github.com/trailguard/trailguard/constructs/internal/check"
	"github.com/trailguard/trailguard/constructs/internal/existing"
	"github.com/trailguard/trailguard/constructs/internal/topics"
	"github.com/trailguard/trailguard/constructs/statements"
)

// Ids of the synth warnings left when a grant cannot be added because the policy belongs to
// an imported queue or key (an AWS::SQS::QueuePolicy replaces a queue's whole policy, and
// CloudFormation writes a key policy only on the AWS::KMS::Key itself). Each warning carries
// the statement to add; once it is in, acknowledge it with
// awscdk.Annotations_Of(scope).AcknowledgeWarning(id, reason). `cdk synth --strict` fails
// while one is unacknowledged.
const (
	WarningArchiveQueuePolicy = "trailguard:detection:archiveQueuePolicy"
	WarningArchiveKeyPolicy   = "trailguard:detection:archiveQueueKeyPolicy"
)

// WarningArchiveBucketNotification is the id of the synth warning left when the archive
// bucket does not notify the archive queue of new log files and the construct cannot make it
// (an imported bucket, or a bucket of the app without the notification).
// It carries the queue configuration to add (ArchiveNotificationId) and the AWS CLI commands
// to add it; acknowledge it once done. Without the notification the archive function never
// runs, and nothing else says so.
const WarningArchiveBucketNotification = "trailguard:detection:archiveBucketNotification"

// WarningArchiveLogKeyPolicy is the id of the synth warning left when the log archive's key
// (ArchiveKey, or ArchiveBucket's) is imported and nothing else asks its owner to let the
// archive function decrypt the log files (logarchive's LogFileReaders do, in its
// WarningKeyPolicy): it carries the key policy statement to add.
const WarningArchiveLogKeyPolicy = "trailguard:detection:archiveLogKeyPolicy"

// ArchiveNotificationId is the Id of the archive bucket's queue configuration the
// WarningArchiveBucketNotification warning asks for.
const ArchiveNotificationId = "trailguard-archive-log-files"

// validateExisting records the problems with the Existing* props and ArchiveBucket: shaping
// props given with them, and what a resource defined in this app lacks (an imported one is
// checked only by its ARN).
func (p *DetectionProps) validateExisting(c *check.Problems, stack awscdk.Stack) {
	if b := p.ExistingAlertBus; b != nil {
		if p.AlertBusName != nil {
			c.Addf("AlertBusName must be unset with ExistingAlertBus (it names a new bus), got %q", *p.AlertBusName)
		}
		if cfn, ok := b.Node().DefaultChild().(awsevents.CfnEventBus); ok {
			if n := cfn.Name(); check.Known(n) && *n == "default" {
				c.Addf(`ExistingAlertBus %s must be a custom event bus, got "default": the alerts go to integrations, not to the account's AWS service events`, *b.Node().Path())
			}
			retained(c, "ExistingAlertBus", "bus", *b.Node().Path(), cfn)
		} else {
			if n := b.EventBusName(); check.Known(n) && *n == "default" {
				c.Addf("ExistingAlertBus must be a custom event bus, got the default bus (%s): the alerts go to integrations, not to the account's AWS service events", *b.EventBusArn())
			}
			sameEnv(c, stack, "ExistingAlertBus", b.EventBusArn())
		}
	}
	if q := p.ExistingFailureQueue; q != nil {
		checkQueue(c, stack, "ExistingFailureQueue", q, false)
	}
	if q := p.ExistingArchiveQueue; q != nil {
		if p.ArchiveBucket == nil {
			c.Addf("ExistingArchiveQueue needs ArchiveBucket: the archive function reads that bucket's log files, notified through the queue")
		}
		checkQueue(c, stack, "ExistingArchiveQueue", q, true)
	}
	if b := p.ArchiveBucket; b != nil {
		if cfn, ok := b.Node().DefaultChild().(awss3.CfnBucket); ok {
			if !check.Known(cfn.BucketName()) {
				c.Addf("ArchiveBucket %s must have a BucketName: the queue policy and the function's policy name the bucket by ARN, and a generated name would make the bucket and the queue depend on each other", *b.Node().Path())
			}
			if s := awscdk.Stack_Of(b); *s.Node().Path() != *stack.Node().Path() {
				c.Addf("ArchiveBucket %s must be in the detection's stack %s, got stack %s: the bucket's notification must wait for the queue's policy; import it into this stack by name instead (awss3.Bucket_FromBucketName, with ArchiveKey imported by ARN), and set the notification only once this stack is deployed", *b.Node().Path(), *stack.Node().Path(), *s.Node().Path())
			}
		} else if n := b.BucketName(); !check.Known(n) {
			c.Addf("ArchiveBucket %s must be imported by name (awss3.Bucket_FromBucketName), got no known name", *b.Node().Path())
		} else {
			existing.ImportedBucket(c, "ArchiveBucket", b)
		}
		if p.ArchiveKey == nil && b.EncryptionKey() == nil {
			c.Addf("ArchiveKey is required with ArchiveBucket %s, which carries no key: the key the log archive is encrypted with", *b.Node().Path())
		}
	}
}

// checkQueue records what makes a brought queue unfit: a queue this app defines must be
// encrypted with a customer managed key, keep messages FailureRetentionDays days (the archive
// queue less) and be retained (the archive queue also outlive the function's timeout and have a dead-letter
// queue); an imported one must carry its key (its ARN names it) and be in this stack's
// account and region.
func checkQueue(c *check.Problems, stack awscdk.Stack, field string, q awssqs.IQueue, archive bool) {
	cfn, ok := q.Node().DefaultChild().(awssqs.CfnQueue)
	if !ok {
		sameEnv(c, stack, field, q.QueueArn())
		if q.EncryptionMasterKey() == nil {
			c.Addf("%s %s must carry its customer managed KMS key: import it with awssqs.Queue_FromQueueAttributes and KeyArn, so that the functions' role can use the key for this queue only", field, *q.QueueArn())
		}
		return
	}
	who := *q.Node().Path()
	switch k := cfn.KmsMasterKeyId(); {
	case k == nil:
		c.Addf("%s %s must be encrypted with a customer managed KMS key (Encryption: QueueEncryption_KMS with EncryptionMasterKey), got no KmsMasterKeyId: failed records and log file notifications name the organization's resources", field, who)
	case check.Known(k) && strings.HasPrefix(*k, "alias/aws/"):
		c.Addf("%s %s must be encrypted with a customer managed KMS key, got %q: S3 cannot send notifications to a queue encrypted with an AWS managed key, whose policy cannot be changed", field, who, *k)
	}
	r, got := cfn.MessageRetentionPeriod(), "the default 345600 (4 days)"
	if r != nil {
		got = fmt.Sprintf("%.0f", *r)
	}
	switch {
	case !archive && (r == nil || *r != FailureRetentionDays*86400):
		c.Addf("%s %s must keep messages %d days (RetentionPeriod %d seconds), got %s", field, who, FailureRetentionDays, FailureRetentionDays*86400, got)
	case archive && r != nil && *r >= FailureRetentionDays*86400:
		// A message moved to a dead-letter queue keeps its first enqueue time.
		c.Addf("%s %s must keep messages less than the failure queue's %d days (e.g. RetentionPeriod %d seconds, %d days): a dead-letter queue keeps a message's first enqueue time, so it must outlive its source; got %s",
			field, who, FailureRetentionDays, ArchiveRetentionDays*86400, ArchiveRetentionDays, got)
	}
	retained(c, field, "queue", who, cfn)
	if !archive {
		return
	}
	// Lambda refuses an SQS source whose visibility timeout is shorter than the function's
	// (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html).
	if v := cfn.VisibilityTimeout(); v == nil || *v < functionTimeoutSeconds {
		got := "the default 30"
		if v != nil {
			got = fmt.Sprint(*v)
		}
		c.Addf("%s %s must have a VisibilityTimeout of at least the function's timeout, %d seconds (Lambda advises six times it), got %s", field, who, functionTimeoutSeconds, got)
	}
	if cfn.RedrivePolicy() == nil {
		c.Addf("%s %s must have a dead-letter queue (DeadLetterQueue, e.g. the FailureQueue with MaxReceiveCount %d): a log file that keeps failing would be dropped silently when its message expires", field, who, ArchiveMaxReceives)
	}
}

func retained(c *check.Problems, field, kind, who string, cfn awscdk.CfnResource) {
	if dp := cfn.CfnOptions().DeletionPolicy(); !check.Retained(dp) {
		got := fmt.Sprintf("DeletionPolicy %q", dp)
		if dp == "" {
			got = "no DeletionPolicy (CloudFormation deletes it)"
		}
		c.Addf("%s %s must be retained (RemovalPolicy RETAIN_ON_UPDATE_OR_DELETE or RETAIN), got %s: deleting the stack would lose the %s and what it holds", field, who, got, kind)
	}
}

// sameEnv records a problem if arn is known and not in the stack's account and region, as far
// as both are known: the functions use resources of their own account and region.
func sameEnv(c *check.Problems, stack awscdk.Stack, field string, arn *string) {
	if !check.Known(arn) {
		return
	}
	a, ok := check.ParseARN(*arn)
	if !ok {
		c.Addf("%s must have an ARN, got %q", field, *arn)
		return
	}
	if r := stack.Region(); check.Known(r) && a.Region != *r {
		c.Addf("%s must be in the stack's region %s, got %q", field, *r, *arn)
	}
	if acct := stack.Account(); check.Known(acct) && a.Account != *acct {
		c.Addf("%s must be in the stack's account %s, got %q", field, *acct, *arn)
	}
}

// archiveBucketName is ArchiveBucket's name (its L1's literal name: a Ref would make the
// queue policy depend on the bucket, which depends on the queue), or nil.
func (p *DetectionProps) archiveBucketName() *string {
	if b := p.ArchiveBucket; b != nil {
		if cfn, ok := b.Node().DefaultChild().(awss3.CfnBucket); ok {
			return cfn.BucketName()
		}
		return b.BucketName()
	}
	return nil
}

// archiveKey is ArchiveKey, or the ArchiveBucket's key.
func (p *DetectionProps) archiveKey() awskms.IKey {
	if p.ArchiveKey == nil && p.ArchiveBucket != nil {
		return p.ArchiveBucket.EncryptionKey()
	}
	return p.ArchiveKey
}

// grantOrWarn adds statement to the queue's or key's policy with add; if it cannot (an
// imported resource), it leaves a synth warning with id carrying the statement.
func (d *detection) grantOrWarn(added bool, id, what string, statement awsiam.PolicyStatement) {
	if added {
		return
	}
	awscdk.Annotations_Of(d).AddWarningV2(jsii.String(id), jsii.String(fmt.Sprintf(
		"%s is imported: CDK cannot edit its policy, so add this statement to it, or S3 cannot notify the archive function of new log files: %s",
		what, check.Statement(d, statement))))
}

func added(r *awsiam.AddToResourcePolicyResult) bool {
	return r != nil && r.StatementAdded != nil && *r.StatementAdded
}

// checkArchiveNotification leaves WarningArchiveBucketNotification unless the archive bucket
// is one of the app whose notification configuration already sends new log files to the
// archive queue (as logarchive's LogFileQueue does).
//
// The construct does not set the notification of a bucket it does not define. S3 keeps one
// notification configuration per bucket, which PutBucketNotificationConfiguration replaces
// whole (https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketNotificationConfiguration.html);
// CDK's custom resource for an imported bucket (BucketNotifications) reads and rewrites it
// from a Lambda function on every deploy, racing whoever else configures the bucket, and
// trailguard's own log archive policy denies s3:PutBucketNotification to all but its
// break-glass and deployment roles. The bucket's owner adds it once instead.
func (d *detection) checkArchiveNotification() {
	queueArn := d.archiveQueue.QueueArn()
	if d.props.ExistingArchiveQueue == nil {
		// The new queue's ARN from its fixed name: a literal when the stack's environment is
		// known, not a reference to a resource to look up after the deploy.
		queueArn = awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String("arn:"), d.partition, jsii.String(":sqs:"), d.region, jsii.String(":"), d.account, jsii.String(":" + ArchiveFunctionName)})
	}
	render := func(v any) string {
		out, _ := statements.Value(d, v)
		return out
	}
	if b := d.props.ArchiveBucket; b != nil {
		if cfn, ok := b.Node().DefaultChild().(awss3.CfnBucket); ok {
			for _, q := range queueTargets(awscdk.Stack_Of(d), cfn) {
				if got := render(q); got == render(queueArn) || got == render(d.archiveQueue.QueueArn()) {
					return
				}
			}
		}
	}
	bucketName := strings.Trim(render(d.props.archiveBucketName()), `"`)
	config := map[string]any{
		"Id":       ArchiveNotificationId,
		"QueueArn": queueArn,
		"Events":   []any{"s3:ObjectCreated:*"},
		"Filter": map[string]any{"Key": map[string]any{"FilterRules": []any{
			map[string]any{"Name": "prefix", "Value": "AWSLogs/"},
			map[string]any{"Name": "suffix", "Value": ".json.gz"},
		}}},
	}
	awscdk.Annotations_Of(d).AddWarningV2(jsii.String(WarningArchiveBucketNotification), jsii.String(fmt.Sprintf(
		"The archive bucket %[1]s does not notify the archive queue of new log files, and this construct does not change a bucket it does not define "+
			"(S3 keeps one notification configuration per bucket and replaces it whole; the log archive's policy allows that only to its break-glass and deployment roles): "+
			"add this entry to the bucket's \"QueueConfigurations\", or the archive detection function never runs: %[2]s. "+
			"As a principal allowed s3:PutBucketNotification on the bucket, after this stack is deployed (S3 checks the queue's policy): "+
			"aws s3api get-bucket-notification-configuration --bucket %[1]s > notification.json; add the entry to \"QueueConfigurations\" keeping every other entry (an empty file means none: make it an object whose \"QueueConfigurations\" list holds the entry); "+
			"aws s3api put-bucket-notification-configuration --bucket %[1]s --notification-configuration file://notification.json. "+
			"S3 refuses a second configuration for the same events whose prefix and suffix overlap: if the bucket already notifies something of AWSLogs/ objects, fan out through an SNS topic instead",
		bucketName, render(config))))
}

// queueTargets returns the queues the bucket's notification configuration sends to, as
// resolved in stack.
func queueTargets(stack awscdk.Stack, cfn awss3.CfnBucket) []any {
	n := cfn.NotificationConfiguration()
	if n == nil {
		return nil
	}
	resolved, ok := stack.Resolve(n).(map[string]any)
	if !ok {
		return nil
	}
	var out []any
	qs, _ := resolved["queueConfigurations"].([]any)
	if len(qs) == 0 {
		qs, _ = resolved["QueueConfigurations"].([]any)
	}
	for _, q := range qs {
		if m, ok := q.(map[string]any); ok {
			for _, k := range []string{"queue", "Queue"} {
				if v, ok := m[k]; ok {
					out = append(out, v)
				}
			}
		}
	}
	return out
}

// WarningAlertTopicAlarms is the id of the synth warning left when AlertTopic is imported and
// nothing else (eventsink's WarningAlertTopicPolicy) asks its owner to let this account's
// CloudWatch alarms publish to it and use its key: the construct's alarms (stream lag,
// failed records) notify the topic. It carries the statements to add.
const WarningAlertTopicAlarms = "trailguard:detection:alertTopicAlarms"

// checkAlertTopicAlarms leaves WarningAlertTopicAlarms at synth when AlertTopic is imported
// and no construct of the app asks for the alarms' statements.
func (d *detection) checkAlertTopicAlarms() {
	topics.WarnAlarmsUnlessAsked(d, WarningAlertTopicAlarms, d.props.AlertTopic, d.account, "the detection functions' alarms (stream lag, failed records)")
}

// checkArchiveLogKey leaves WarningArchiveLogKeyPolicy, at synth, when the log archive's key
// is imported and no construct of the app (a logarchive with LogFileReaders) asks its owner
// for the archive function's decrypt statement: CloudFormation cannot edit an imported key's
// policy, and without the statement every log file fails to decrypt. An aspect, so that a
// logarchive built after this construct counts too.
func (d *detection) checkArchiveLogKey() {
	k := d.props.archiveKey()
	if k == nil || existing.CfnKey(k) != nil {
		return
	}
	existing.AtSynth(d, func() { d.askArchiveLogKey(k) })
}

// askArchiveLogKey leaves WarningArchiveLogKeyPolicy unless a construct already asks k's
// owner for the archive function's decrypt.
func (d *detection) askArchiveLogKey(k awskms.IKey) {
	role := awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String("arn:"), d.partition, jsii.String(":iam::"), d.account, jsii.String(":role/" + ArchiveFunctionName)})
	rendered, _ := statements.Value(d, role)
	if existing.DecryptAsked(k, strings.Trim(rendered, `"`)) {
		return
	}
	bucketArn := awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String("arn:"), d.partition, jsii.String(":s3:::"), d.props.archiveBucketName()})
	// The role is named by aws:PrincipalArn, not as the principal: IAM refuses a key policy
	// naming a role that does not exist yet (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html).
	st := awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowArchiveDetectionToDecryptLogFiles"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewAnyPrincipal()},
		Actions:    jsii.Strings("kms:Decrypt"),
		Resources:  jsii.Strings("*"),
		Conditions: &map[string]any{
			"ArnEquals": map[string]any{"aws:PrincipalArn": role},
			"StringEquals": map[string]any{
				"kms:ViaService":                   d.stackEnv.ViaService("s3"),
				"kms:EncryptionContext:aws:s3:arn": bucketArn,
			},
		},
	})
	awscdk.Annotations_Of(d).AddWarningV2(jsii.String(WarningArchiveLogKeyPolicy), jsii.String(fmt.Sprintf(
		"The log archive's key %s is imported: CDK cannot edit its policy, so add this statement to it, or the archive detection function cannot decrypt a single log file: %s",
		existing.Describe(k, k.KeyArn()), check.Statement(d, st))))
}
