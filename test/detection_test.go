package test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskinesis"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/jsii-runtime-go"

	"github.com/trailguard/trailguard/config"
	"github.com/trailguard/trailguard/constructs/archivequery"
	"github.com/trailguard/trailguard/constructs/coveragemonitor"
	"github.com/trailguard/trailguard/constructs/detection"
	"github.com/trailguard/trailguard/constructs/responder"
	"github.com/trailguard/trailguard/coverage"
	"github.com/trailguard/trailguard/detect"
	"github.com/trailguard/trailguard/internal/alerting"
)

// Tests of the detection functions in the Security stack.

// resourceByProp returns the one resource of type typ whose property prop is value.
func (tm template) resourceByProp(t *testing.T, typ, prop string, value any) (string, resource) {
	t.Helper()
	var ids []string
	var found resource
	for id, r := range tm.resourcesOfType(typ) {
		if jsonEq(t, r.props()[prop], value) {
			ids, found = append(ids, id), r
		}
	}
	if len(ids) != 1 {
		t.Fatalf("want one %s with %s %v, got %v", typ, prop, value, ids)
	}
	return ids[0], found
}

func checkRetained(t *testing.T, what string, r resource) {
	t.Helper()
	if r["DeletionPolicy"] != "RetainExceptOnCreate" || r["UpdateReplacePolicy"] != "Retain" {
		t.Errorf("%s must be retained, got DeletionPolicy %v, UpdateReplacePolicy %v", what, r["DeletionPolicy"], r["UpdateReplacePolicy"])
	}
}

func TestDetectionStreamFunction(t *testing.T) {
	tmpl := example.template(t, example.cfg.SecurityStackName())
	fnID, fn := tmpl.resourceByProp(t, "AWS::Lambda::Function", "FunctionName", detection.StreamFunctionName)
	p := fn.props()
	wantEq(t, "Runtime", p["Runtime"], "provided.al2023")
	wantEq(t, "Architectures", p["Architectures"], []any{"arm64"})
	wantEq(t, "Handler", p["Handler"], "bootstrap")
	keyID := get(p, "KmsKeyArn", "Fn::GetAtt", 0)
	if keyID == nil {
		t.Fatal("the environment must be encrypted with the detection key (KmsKeyArn)")
	}
	if got := keys(get(p, "Environment", "Variables").(map[string]any)); !slices.Equal(got, []string{alerting.EnvBusName, alerting.EnvTopicARN, coverage.EnvTable, alerting.EnvDedupeTable, alerting.EnvResponderQueueURL}) {
		t.Errorf("environment variables %v", got)
	}
	wantEq(t, "DeadLetterConfig", get(p, "DeadLetterConfig", "TargetArn", "Fn::GetAtt", 0) != nil, true)

	logsID, _ := get(p, "LoggingConfig", "LogGroup", "Ref").(string)
	logs := resource(tmpl["Resources"].(map[string]any)[logsID].(map[string]any))
	wantEq(t, "LogGroupName", logs.props()["LogGroupName"], "/aws/lambda/"+detection.StreamFunctionName)
	wantEq(t, "log RetentionInDays", logs.props()["RetentionInDays"], detection.DefaultLogRetentionDays)
	wantEq(t, "log KmsKeyId", logs.props()["KmsKeyId"], getAtt(keyID.(string), "Arn"))
	checkRetained(t, "the log group", logs)

	_, m := tmpl.resourceByProp(t, "AWS::Lambda::EventSourceMapping", "FunctionName", ref(fnID))
	mp := m.props()
	streamID, _ := tmpl.only(t, "AWS::Kinesis::Stream")
	wantEq(t, "EventSourceArn", mp["EventSourceArn"], getAtt(streamID, "Arn"))
	wantEq(t, "FunctionName", mp["FunctionName"], ref(fnID))
	wantEq(t, "BisectBatchOnFunctionError", mp["BisectBatchOnFunctionError"], true)
	wantEq(t, "FunctionResponseTypes", mp["FunctionResponseTypes"], []any{"ReportBatchItemFailures"})
	wantEq(t, "MaximumRetryAttempts", mp["MaximumRetryAttempts"], detection.DefaultRetryAttempts)
	wantEq(t, "BatchSize", mp["BatchSize"], detection.DefaultBatchSize)
	wantEq(t, "MaximumBatchingWindowInSeconds", mp["MaximumBatchingWindowInSeconds"], detection.DefaultBatchWindowSecond)
	wantEq(t, "ParallelizationFactor", mp["ParallelizationFactor"], 1)
	queueID, _ := get(mp, "DestinationConfig", "OnFailure", "Destination", "Fn::GetAtt", 0).(string)
	queueRes, ok := tmpl["Resources"].(map[string]any)[queueID].(map[string]any)
	if !ok {
		t.Fatalf("the stream mapping's on-failure destination is %v, want the ARN (Fn::GetAtt) of a queue of the template", get(mp, "DestinationConfig", "OnFailure", "Destination"))
	}
	queue := resource(queueRes)
	wantEq(t, "failure queue KmsMasterKeyId", queue.props()["KmsMasterKeyId"], getAtt(keyID.(string), "Arn"))
	wantEq(t, "failure queue MessageRetentionPeriod", queue.props()["MessageRetentionPeriod"], 14*24*3600)
	checkRetained(t, "the failure queue", queue)
	wantEq(t, "the function's dead-letter queue", get(p, "DeadLetterConfig", "TargetArn"), getAtt(queueID, "Arn"))

	// The mapping and the function wait for the role's permissions.
	roleID, _ := get(p, "Role", "Fn::GetAtt", 0).(string)
	policyID := ""
	for id, mp := range tmpl.resourcesOfType("AWS::IAM::ManagedPolicy") {
		if jsonEq(t, mp.props()["Roles"], []any{ref(roleID)}) && mp.props()["ManagedPolicyName"] != coveragemonitor.RecorderPolicyName {
			policyID = id
		}
	}
	for what, r := range map[string]resource{"function": fn, "mapping": m} {
		if !slices.Contains(strs(r["DependsOn"]), policyID) {
			t.Errorf("the %s must depend on the role's policy %s, got DependsOn %v", what, policyID, r["DependsOn"])
		}
	}
}

// TestDetectionStreamRoleIsLeastPrivilege pins every statement of the stream function's policy:
// a new permission must show up here.
func TestDetectionStreamRoleIsLeastPrivilege(t *testing.T) {
	cfg := example.cfg
	tmpl := example.template(t, cfg.SecurityStackName())
	_, fn := tmpl.resourceByProp(t, "AWS::Lambda::Function", "FunctionName", detection.StreamFunctionName)
	roleID, _ := get(fn.props(), "Role", "Fn::GetAtt", 0).(string)
	role := resource(tmpl["Resources"].(map[string]any)[roleID].(map[string]any))
	wantEq(t, "RoleName", role.props()["RoleName"], detection.StreamFunctionName)
	wantEq(t, "trust", get(role.props(), "AssumeRolePolicyDocument", "Statement", 0, "Principal"), map[string]any{"Service": "lambda.amazonaws.com"})
	// The coverage monitor's recorder policy is pinned in TestCoverageMonitorIsLeastPrivilege.
	doc := policyOfRole(t, withoutPolicy(tmpl, coveragemonitor.RecorderPolicyName), roleID)

	streamID, _ := tmpl.only(t, "AWS::Kinesis::Stream")
	streamKeyID, _ := tmpl.keyWithAlias(t, "alias/trailguard/security-events")
	topicID, _ := tmpl.only(t, "AWS::SNS::Topic")
	_, topic := tmpl.only(t, "AWS::SNS::Topic")
	alertKeyID, _ := get(topic.props(), "KmsMasterKeyId", "Fn::GetAtt", 0).(string)
	keyID, _ := get(fn.props(), "KmsKeyArn", "Fn::GetAtt", 0).(string)
	tableID, _ := tmpl.resourceByProp(t, "AWS::DynamoDB::Table", "TableName", detection.DedupeTableName)
	busID, _ := tmpl.resourceByProp(t, "AWS::Events::EventBus", "Name", detection.DefaultAlertBusName)
	queueID, _ := get(fn.props(), "DeadLetterConfig", "TargetArn", "Fn::GetAtt", 0).(string)
	responderQueueID, _ := tmpl.resourceByProp(t, "AWS::SQS::Queue", "QueueName", responder.QueueName)
	_, responderQueue := tmpl.resourceByProp(t, "AWS::SQS::Queue", "QueueName", responder.QueueName)
	responderKeyID, _ := get(responderQueue.props(), "KmsMasterKeyId", "Fn::GetAtt", 0).(string)
	region, account := cfg.HomeRegion, cfg.Organization.SecurityAccount
	via := func(svc string) string { return svc + "." + region + ".amazonaws.com" }

	want := []struct {
		sid        string
		actions    []string
		resource   any
		conditions map[string]any
	}{
		{"ReadStream", []string{"kinesis:DescribeStream", "kinesis:DescribeStreamSummary", "kinesis:GetRecords", "kinesis:GetShardIterator", "kinesis:ListShards"}, getAtt(streamID, "Arn"), nil},
		{"DecryptStream", []string{"kms:Decrypt"}, getAtt(streamKeyID, "Arn"), map[string]any{"StringEquals": map[string]any{
			"kms:ViaService": via("kinesis"), "kms:EncryptionContext:aws:kinesis:arn": getAtt(streamID, "Arn")}}},
		{"WriteLogs", []string{"logs:CreateLogStream", "logs:PutLogEvents"},
			"arn:aws:logs:" + region + ":" + account + ":log-group:/aws/lambda/" + detection.StreamFunctionName + ":log-stream:*", nil},
		{"SendFailures", []string{"sqs:SendMessage"}, getAtt(queueID, "Arn"), nil},
		{"EncryptFailures", []string{"kms:Decrypt", "kms:GenerateDataKey"}, getAtt(keyID, "Arn"), map[string]any{"StringEquals": map[string]any{
			"kms:ViaService": via("sqs"), "kms:EncryptionContext:aws:sqs:arn": getAtt(queueID, "Arn")}}},
		{"ClaimAlerts", []string{"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"}, getAtt(tableID, "Arn"), nil},
		{"CountThresholds", []string{"dynamodb:BatchGetItem", "dynamodb:UpdateItem"}, getAtt(tableID, "Arn"), nil},
		{"EncryptClaims", []string{"kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"}, getAtt(keyID, "Arn"), map[string]any{"StringEquals": map[string]any{
			"kms:ViaService": via("dynamodb")}}},
		{"PublishAlerts", []string{"sns:Publish"}, ref(topicID), nil},
		{"EncryptAlerts", []string{"kms:Decrypt", "kms:GenerateDataKey"}, getAtt(alertKeyID, "Arn"), map[string]any{"StringEquals": map[string]any{
			"kms:ViaService": via("sns"), "kms:EncryptionContext:aws:sns:topicArn": ref(topicID)}}},
		{"PutAlertEvents", []string{"events:PutEvents"}, getAtt(busID, "Arn"), nil},
		// The alerts of rules with a response, to the responder (docs/response.md).
		{"SendResponses", []string{"sqs:SendMessage"}, getAtt(responderQueueID, "Arn"), nil},
		{"EncryptResponses", []string{"kms:Decrypt", "kms:GenerateDataKey"}, getAtt(responderKeyID, "Arn"), map[string]any{"StringEquals": map[string]any{
			"kms:ViaService": via("sqs"), "kms:EncryptionContext:aws:sqs:arn": getAtt(responderQueueID, "Arn")}}},
	}
	var sids []string
	for _, s := range statements(doc) {
		sids = append(sids, s["Sid"].(string))
	}
	var wantSids []string
	for _, w := range want {
		wantSids = append(wantSids, w.sid)
		s := statementBySid(t, doc, w.sid)
		wantEq(t, w.sid+" Effect", s["Effect"], "Allow")
		wantEq(t, w.sid+" Action", strs(s["Action"]), w.actions)
		wantEq(t, w.sid+" Resource", s["Resource"], w.resource)
		if w.conditions == nil {
			if s["Condition"] != nil {
				t.Errorf("%s Condition = %v, want none", w.sid, s["Condition"])
			}
		} else {
			wantEq(t, w.sid+" Condition", s["Condition"], w.conditions)
		}
	}
	slices.Sort(sids)
	slices.Sort(wantSids)
	if !slices.Equal(sids, wantSids) {
		t.Errorf("statements %v, want exactly %v", sids, wantSids)
	}
}

func TestDetectionDataIsEncryptedAndRetained(t *testing.T) {
	tmpl := example.template(t, example.cfg.SecurityStackName())
	_, fn := tmpl.resourceByProp(t, "AWS::Lambda::Function", "FunctionName", detection.StreamFunctionName)
	keyID, _ := get(fn.props(), "KmsKeyArn", "Fn::GetAtt", 0).(string)
	key := resource(tmpl["Resources"].(map[string]any)[keyID].(map[string]any))
	checkRetained(t, "the detection key", key)
	wantEq(t, "key rotation", key.props()["EnableKeyRotation"], true)
	checkDenyGrants(t, "the detection key", key.props()["KeyPolicy"])

	_, table := tmpl.resourceByProp(t, "AWS::DynamoDB::Table", "TableName", detection.DedupeTableName)
	p := table.props()
	wantEq(t, "TableName", p["TableName"], detection.DedupeTableName)
	wantEq(t, "KeySchema", p["KeySchema"], []any{map[string]any{"AttributeName": alerting.KeyAttribute, "KeyType": "HASH"}})
	wantEq(t, "SSESpecification", p["SSESpecification"], map[string]any{"KMSMasterKeyId": getAtt(keyID, "Arn"), "SSEEnabled": true, "SSEType": "KMS"})
	wantEq(t, "TimeToLiveSpecification", p["TimeToLiveSpecification"], map[string]any{"AttributeName": alerting.ExpiresAttribute, "Enabled": true})
	wantEq(t, "PointInTimeRecoveryEnabled", get(p, "PointInTimeRecoverySpecification", "PointInTimeRecoveryEnabled"), true)
	wantEq(t, "DeletionProtectionEnabled (a rolled-back first create must be able to delete it)", p["DeletionProtectionEnabled"], nil)
	checkRetained(t, "the dedupe table", table)

	_, bus := tmpl.resourceByProp(t, "AWS::Events::EventBus", "Name", detection.DefaultAlertBusName)
	checkRetained(t, "the alert bus", bus)
}

func TestDetectionPropsErrors(t *testing.T) {
	tests := []struct {
		name  string
		props *detection.DetectionProps
		want  []string
	}{
		{name: "nil", props: nil, want: []string{"detection: props are required"}},
		{name: "empty", props: &detection.DetectionProps{}, want: []string{
			"detection: Stream is required", "detection: StreamKey is required", "detection: AlertTopic is required", "detection: AlertKey is required"}},
		{name: "out of range", props: &detection.DetectionProps{
			AlertBusName: jsii.String("default"), BatchSize: jsii.Number(0), BatchWindowSeconds: jsii.Number(301), RetryAttempts: jsii.Number(1.5),
			MemoryMiB: jsii.Number(64), LogRetentionDays: jsii.Number(2),
		}, want: []string{
			`detection: AlertBusName must name a custom bus, got "default"`,
			"detection: BatchSize must be a whole number from 1 to 10000, got 0",
			"detection: BatchWindowSeconds must be a whole number from 0 to 300, got 301",
			"detection: RetryAttempts must be a whole number from 0 to 10000, got 1.5",
			"detection: MemoryMiB must be a whole number from 128 to 10240, got 64",
			"detection: LogRetentionDays must be one of [1 3 5 7 14 30 60 90 120 150 180 365 400 545 731 1096 1827 2192 2557 2922 3288 3653], got 2",
		}},
		{name: "bad bus name", props: &detection.DetectionProps{AlertBusName: jsii.String("a/b")}, want: []string{
			`detection: AlertBusName must be an event bus name (1-256 letters, digits, . _ -), got "a/b"`}},
		{name: "invalid user rules", props: &detection.DetectionProps{
			RuleFiles: &map[string]*string{
				"team/gpu.yaml":   jsii.String("id: gpu\ntitle: GPU\nseverity: urgent\nmatch: eventName.size() > \"x\"\n"),
				"../outside.yaml": jsii.String("id: outside\ntitle: O\nseverity: low\nmatch: \"true\"\n"),
			},
			DisabledRules: jsii.Strings("root-activity", "no-such-rule"),
			StreamCode:    awslambda.Code_FromInline(jsii.String("x")),
		}, want: []string{
			"RuleFiles/team/gpu.yaml: rule gpu: severity: unknown severity \"urgent\"",
			"RuleFiles/team/gpu.yaml: rule gpu: match: ERROR",
			`RuleFiles names must be clean relative paths, got "../outside.yaml"`,
			"DisabledRules: rule no-such-rule: no rule has this id",
			"RuleFiles cannot be bundled into StreamCode or ArchiveCode",
		}},
		{name: "invalid organization context", props: &detection.DetectionProps{
			OrganizationContext: &detect.Context{Organization: detect.Organization{ID: "o-1"}},
			StreamCode:          awslambda.Code_FromInline(jsii.String("x")),
		}, want: []string{
			"OrganizationContext cannot be bundled into StreamCode or ArchiveCode",
			"OrganizationContext: organization.id must match o-[a-z0-9]{10,32}, got \"o-1\"",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stack := newTestStack(t)
			msg := mustPanic(t, func() { detection.NewDetection(stack, jsii.String("Detection"), tt.props) })
			if missing := missingSubstrings(msg, tt.want...); len(missing) > 0 {
				t.Errorf("panic %q is missing %s", msg, strings.Join(missing, "; "))
			}
		})
	}
}

// TestDetectionArchivePath: the archive bucket notifies the archive queue of new log files,
// only the bucket may send to it, and the archive function may read and decrypt only that
// bucket's log files.
func TestDetectionArchivePath(t *testing.T) {
	cfg := example.cfg
	tmpl := example.template(t, cfg.SecurityStackName())
	region, account := cfg.HomeRegion, cfg.Organization.SecurityAccount
	bucketArn := "arn:aws:s3:::" + cfg.LogArchive.BucketName

	queueID, queue := tmpl.resourceByProp(t, "AWS::SQS::Queue", "QueueName", detection.ArchiveFunctionName)
	fnID, fn := tmpl.resourceByProp(t, "AWS::Lambda::Function", "FunctionName", detection.ArchiveFunctionName)
	keyID, _ := get(fn.props(), "KmsKeyArn", "Fn::GetAtt", 0).(string)
	failuresID, _ := get(fn.props(), "DeadLetterConfig", "TargetArn", "Fn::GetAtt", 0).(string)
	wantEq(t, "archive queue key", queue.props()["KmsMasterKeyId"], getAtt(keyID, "Arn"))
	wantEq(t, "archive queue redrive", queue.props()["RedrivePolicy"], map[string]any{
		"deadLetterTargetArn": getAtt(failuresID, "Arn"), "maxReceiveCount": detection.ArchiveMaxReceives})
	wantEq(t, "archive queue VisibilityTimeout", queue.props()["VisibilityTimeout"], 1800)
	checkRetained(t, "the archive queue", queue)
	if got := detection.ArchiveQueueArn("aws", region, account); !strings.HasSuffix(got, ":"+detection.ArchiveFunctionName) {
		t.Errorf("ArchiveQueueArn = %s", got)
	}

	// The bucket notifies the queue, after the queue's policy exists.
	bucketID, bucket := tmpl.resourceByProp(t, "AWS::S3::Bucket", "BucketName", cfg.LogArchive.BucketName)
	wantEq(t, "QueueConfigurations", get(bucket.props(), "NotificationConfiguration", "QueueConfigurations"), []any{map[string]any{
		"Event": "s3:ObjectCreated:*",
		"Queue": detection.ArchiveQueueArn("aws", region, account),
		"Filter": map[string]any{"S3Key": map[string]any{"Rules": []any{
			map[string]any{"Name": "prefix", "Value": "AWSLogs/"},
			map[string]any{"Name": "suffix", "Value": ".json.gz"},
		}}},
	}})
	wantEq(t, "EventBridgeEnabled", get(bucket.props(), "NotificationConfiguration", "EventBridgeConfiguration", "EventBridgeEnabled"), true)
	var queuePolicyID string
	for id, qp := range tmpl.resourcesOfType("AWS::SQS::QueuePolicy") {
		if jsonEq(t, qp.props()["Queues"], []any{ref(queueID)}) {
			queuePolicyID = id
			wantEq(t, "archive queue policy", statementBySid(t, qp.props()["PolicyDocument"], "AllowArchiveBucketNotifications"), map[string]any{
				"Sid": "AllowArchiveBucketNotifications", "Effect": "Allow",
				"Principal": map[string]any{"Service": "s3.amazonaws.com"},
				"Action":    "sqs:SendMessage",
				"Resource":  getAtt(queueID, "Arn"),
				"Condition": map[string]any{"ArnEquals": map[string]any{"aws:SourceArn": bucketArn}, "StringEquals": map[string]any{"aws:SourceAccount": account}},
			})
		}
	}
	if !slices.Contains(strs(bucket["DependsOn"]), queuePolicyID) || queuePolicyID == "" {
		t.Errorf("bucket %s must depend on the archive queue's policy %q, got DependsOn %v", bucketID, queuePolicyID, bucket["DependsOn"])
	}

	// The archive key lets the archive role (and the archive query role, which Athena reads
	// the log files with) decrypt this bucket's objects through S3 only.
	logFileReaders := []any{detection.ArchiveRoleArn("aws", account)}
	if example.cfg.ArchiveQuery.Enabled {
		logFileReaders = append(logFileReaders, archivequery.RoleArn("aws", account))
	}
	archiveKeyID, _ := tmpl.keyWithAlias(t, config.TrailKeyAlias)
	archiveKey := resource(tmpl["Resources"].(map[string]any)[archiveKeyID].(map[string]any))
	wantEq(t, "archive key statement", statementBySid(t, archiveKey.props()["KeyPolicy"], "AllowLogFileReadersToDecryptThisBucketThroughS3"), map[string]any{
		"Sid": "AllowLogFileReadersToDecryptThisBucketThroughS3", "Effect": "Allow",
		"Principal": map[string]any{"AWS": "*"},
		"Action":    "kms:Decrypt",
		"Resource":  "*",
		"Condition": map[string]any{
			"ArnEquals":    map[string]any{"aws:PrincipalArn": logFileReaders},
			"StringEquals": map[string]any{"kms:ViaService": "s3." + region + ".amazonaws.com", "kms:EncryptionContext:aws:s3:arn": bucketArn},
		},
	})

	roleID, _ := get(fn.props(), "Role", "Fn::GetAtt", 0).(string)
	role := resource(tmpl["Resources"].(map[string]any)[roleID].(map[string]any))
	wantEq(t, "archive RoleName", role.props()["RoleName"], detection.ArchiveFunctionName)
	// The coverage monitor's archive recorder policy is pinned in TestCoverageMonitorIsLeastPrivilege.
	doc := policyOfRole(t, withoutPolicy(tmpl, coveragemonitor.ArchiveRecorderPolicyName), roleID)
	via := func(svc string) string { return svc + "." + region + ".amazonaws.com" }
	for _, w := range []struct {
		sid        string
		actions    []string
		resource   any
		conditions any
	}{
		{"ReadLogFiles", []string{"s3:GetObject"}, bucketArn + "/AWSLogs/*", nil},
		{"DecryptLogFiles", []string{"kms:Decrypt"}, getAtt(archiveKeyID, "Arn"), map[string]any{"StringEquals": map[string]any{
			"kms:ViaService": via("s3"), "kms:EncryptionContext:aws:s3:arn": bucketArn}}},
		{"ReceiveLogFileNotifications", []string{"sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"}, getAtt(queueID, "Arn"), nil},
		{"DecryptLogFileNotifications", []string{"kms:Decrypt"}, getAtt(keyID, "Arn"), map[string]any{"StringEquals": map[string]any{
			"kms:ViaService": via("sqs"), "kms:EncryptionContext:aws:sqs:arn": getAtt(queueID, "Arn")}}},
		{"PublishAlerts", []string{"sns:Publish"}, nil, nil},
		{"ClaimAlerts", []string{"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"}, nil, nil},
		{"CountThresholds", []string{"dynamodb:BatchGetItem", "dynamodb:UpdateItem"}, nil, nil},
	} {
		s := statementBySid(t, doc, w.sid)
		wantEq(t, w.sid+" Action", strs(s["Action"]), w.actions)
		if w.resource != nil {
			wantEq(t, w.sid+" Resource", s["Resource"], w.resource)
			wantEq(t, w.sid+" Condition", s["Condition"], w.conditions)
		}
	}
	if n := len(statements(doc)); n != 15 {
		t.Errorf("the archive role has %d statements, want 15 (the 11 both functions share and 4 of its own)", n)
	}

	_, m := tmpl.resourceByProp(t, "AWS::Lambda::EventSourceMapping", "FunctionName", ref(fnID))
	wantEq(t, "archive mapping", m.props()["EventSourceArn"], getAtt(queueID, "Arn"))
	wantEq(t, "archive FunctionResponseTypes", m.props()["FunctionResponseTypes"], []any{"ReportBatchItemFailures"})
	wantEq(t, "archive ScalingConfig", m.props()["ScalingConfig"], map[string]any{"MaximumConcurrency": detection.ArchiveConcurrency})
}

// TestDetectionBundlesUserRules: the users' rule files reach both functions' assets, beside
// the binary under alerting.RulesDir (where alerting.LoadEngine reads them, as the functions'
// TestUserRules checks), and the disabled rules their environment.
func TestDetectionBundlesUserRules(t *testing.T) {
	outdir := t.TempDir()
	app := awscdk.NewApp(&awscdk.AppProps{StackTraces: jsii.Bool(false), Outdir: jsii.String(outdir)})
	stack := awscdk.NewStack(app, jsii.String("TestStack"), &awscdk.StackProps{
		Env: &awscdk.Environment{Account: jsii.String("222222222222"), Region: jsii.String("eu-west-1")},
	})
	streamKey, alertKey := awskms.NewKey(stack, jsii.String("StreamKey"), nil), awskms.NewKey(stack, jsii.String("AlertKey"), nil)
	rule := "id: gpu-instances\ntitle: GPU instances\nseverity: medium\nmatch: eventName == \"RunInstances\"\n"
	detection.NewDetection(stack, jsii.String("Detection"), &detection.DetectionProps{
		Stream:        awskinesis.NewStream(stack, jsii.String("Stream"), &awskinesis.StreamProps{Encryption: awskinesis.StreamEncryption_KMS, EncryptionKey: streamKey}),
		StreamKey:     streamKey,
		AlertTopic:    awssns.NewTopic(stack, jsii.String("Topic"), &awssns.TopicProps{MasterKey: alertKey}),
		AlertKey:      alertKey,
		ArchiveBucket: awss3.Bucket_FromBucketName(stack, jsii.String("Archive"), jsii.String("trailguard-archive-222222222222-eu-west-1")),
		ArchiveKey:    awskms.NewKey(stack, jsii.String("ArchiveKey"), nil),
		RuleFiles:     &map[string]*string{"team/compute.yaml": jsii.String(rule)},
		DisabledRules: jsii.Strings("ses-enumeration"),
		OrganizationContext: &detect.Context{Organization: detect.Organization{ID: "o-a1b2c3d4e5", ManagementAccount: "111111111111",
			SecurityAccount: "222222222222", Accounts: []string{"333333333333"}}},
		RefreshOrganizationAccounts: jsii.Bool(true),
	})
	app.Synth(nil)
	var tmpl template
	if err := readJSON(filepath.Join(outdir, "TestStack.template.json"), &tmpl); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{detection.StreamFunctionName, detection.ArchiveFunctionName} {
		_, fn := tmpl.resourceByProp(t, "AWS::Lambda::Function", "FunctionName", name)
		hash := strings.TrimSuffix(fmt.Sprint(get(fn.props(), "Code", "S3Key")), ".zip")
		asset := filepath.Join(outdir, "asset."+hash)
		got, err := os.ReadFile(filepath.Join(asset, alerting.RulesDir, "team", "compute.yaml"))
		if err != nil || string(got) != rule {
			t.Errorf("%s: the user rule in the asset: %q, %v; want the file as given", name, got, err)
		}
		if _, err := os.Stat(filepath.Join(asset, "bootstrap")); err != nil {
			t.Errorf("%s: the asset lost its binary: %v", name, err)
		}
		wantEq(t, name+" disabled rules", get(fn.props(), "Environment", "Variables", alerting.EnvDisabledRules), "ses-enumeration")
		wantEq(t, name+" account refresh", get(fn.props(), "Environment", "Variables", alerting.EnvRefreshAccounts), "true")
		baked, err := os.ReadFile(filepath.Join(asset, alerting.ContextFile))
		if err != nil {
			t.Fatalf("%s: the organization context in the asset: %v", name, err)
		}
		if c, err := detect.ParseContext(baked); err != nil || c.Organization.Accounts[0] != "333333333333" {
			t.Errorf("%s: the baked organization context %q: %v", name, baked, err)
		}
		roleID, _ := get(fn.props(), "Role", "Fn::GetAtt", 0).(string)
		if doc := policyOfRole(t, tmpl, roleID); !strings.Contains(fmt.Sprint(doc), "organizations:ListAccounts") {
			t.Errorf("%s: no organizations:ListAccounts for the account refresh: %v", name, doc)
		}
	}
}
