package quota

// Quota is one AWS service quota a deploy can hit.
type Quota struct {
	// ID names the quota in findings and in Options.Raised, e.g. "events.event-pattern-size".
	ID string
	// Name says what is limited.
	Name string
	// Limit is the default value: the largest value allowed (for names of at least
	// MinLength, the longest name).
	Limit int
	// MinLength is the shortest allowed name, for name lengths; 0 otherwise.
	MinLength int
	// Unit is what Limit counts: "characters", "bytes", "non-whitespace characters", ...
	Unit string
	// Adjustable is set when the quota can be raised with Service Quotas.
	Adjustable bool
	// Doc is the AWS documentation page that states the quota.
	Doc string
	// Fix says how to get under the quota.
	Fix string
}

// Documentation pages the quotas come from.
const (
	docEventBridge    = "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html"
	docPutRule        = "https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutRule.html"
	docCreateEventBus = "https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_CreateEventBus.html"
	docOrganizations  = "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html"
	docKMS            = "https://docs.aws.amazon.com/kms/latest/APIReference/API_PutKeyPolicy.html"
	docKMSAlias       = "https://docs.aws.amazon.com/kms/latest/developerguide/alias-create.html"
	docS3Policy       = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-iam-policies.html"
	docS3Names        = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html"
	docSNSPolicy      = "https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-language-api-permissions-reference.html"
	docSNSNames       = "https://docs.aws.amazon.com/sns/latest/api/API_CreateTopic.html"
	docSQSPolicy      = "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-policies.html"
	docSQSNames       = "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html"
	docIAM            = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html"
	docKinesisNames   = "https://docs.aws.amazon.com/kinesis/latest/APIReference/API_CreateStream.html"
	docLogGroupNames  = "https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html"
	docAlarmNames     = "https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html"
	docCloudFormation = "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html"
	docLambda         = "https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html"
)

// The quotas the gate checks. Each number is the one on the page in Doc; where a page says
// "KB" without a byte count, the smaller reading (1,000 bytes) is taken, so the gate errs
// on the side of failing.
var (
	// EventPatternSize: "Event pattern size | Each supported Region: 2,048 | Yes |
	// Maximum event pattern size, in characters" (EventBridge quotas page).
	EventPatternSize = Quota{ID: "events.event-pattern-size", Name: "EventBridge event pattern size", Limit: 2048, Unit: "characters", Adjustable: true, Doc: docEventBridge,
		Fix: "split the rule into rules with smaller patterns (the same targets), or shorten the pattern (prefix matching, fewer event names)"}
	// EventBusPolicySize: "Event bus policy size | Each supported Region: 10,240 | Yes |
	// Maximum policy size, in characters" (EventBridge quotas page). Every statement on a
	// bus counts: the policy grows with each grant.
	EventBusPolicySize = Quota{ID: "events.event-bus-policy-size", Name: "EventBridge event bus policy size", Limit: 10240, Unit: "characters", Adjustable: true, Doc: docEventBridge,
		Fix: "grant whole organizations or organizational units (aws:PrincipalOrgID, aws:PrincipalOrgPaths) instead of accounts one by one"}
	// TargetsPerRule: "Targets: Up to 5 targets per rule" (EventBridge quotas page, also
	// PutTargets).
	TargetsPerRule = Quota{ID: "events.targets-per-rule", Name: "EventBridge targets per rule", Limit: 5, Unit: "targets", Doc: docEventBridge,
		Fix: "split the rule: a second rule with the same pattern for the other targets"}
	// RuleName: PutRule Name, "Length Constraints: Minimum length of 1. Maximum length of
	// 64."
	RuleName = Quota{ID: "events.rule-name", Name: "EventBridge rule name length", Limit: 64, MinLength: 1, Unit: "characters", Doc: docPutRule, Fix: "shorten the rule name"}
	// EventBusName: CreateEventBus Name, "Maximum length of 256".
	EventBusName = Quota{ID: "events.event-bus-name", Name: "EventBridge event bus name length", Limit: 256, MinLength: 1, Unit: "characters", Doc: docCreateEventBus, Fix: "shorten the event bus name"}

	// SCPSize: "Maximum size of a policy document: Service control policies: 5,120
	// characters" (Organizations quotas page).
	SCPSize = Quota{ID: "organizations.scp-size", Name: "Organizations service control policy size", Limit: 5120, Unit: "characters", Doc: docOrganizations,
		Fix: "split the policy into several SCPs (up to 5 attached per target), or shorten it (wildcards in actions, fewer ARNs)"}
	// RCPSize: "Resource control policies: 5,120 characters" (same page).
	RCPSize = Quota{ID: "organizations.rcp-size", Name: "Organizations resource control policy size", Limit: 5120, Unit: "characters", Doc: docOrganizations,
		Fix: "split the policy into several policies, or shorten it"}
	// TagPolicySize: "Tag policies: 10,000 characters" (same page).
	TagPolicySize = Quota{ID: "organizations.tag-policy-size", Name: "Organizations tag policy size", Limit: 10000, Unit: "characters", Doc: docOrganizations,
		Fix: "split the policy into several policies, or shorten it"}
	// BackupPolicySize: "Backup policies: 10,000 characters" (same page).
	BackupPolicySize = Quota{ID: "organizations.backup-policy-size", Name: "Organizations backup policy size", Limit: 10000, Unit: "characters", Doc: docOrganizations,
		Fix: "split the policy into several policies, or shorten it"}
	// AIOptOutPolicySize: "AI services opt-out policies: 2,500 characters" (same page).
	AIOptOutPolicySize = Quota{ID: "organizations.ai-opt-out-policy-size", Name: "Organizations AI services opt-out policy size", Limit: 2500, Unit: "characters", Doc: docOrganizations,
		Fix: "split the policy into several policies, or shorten it"}

	// KeyPolicySize: PutKeyPolicy Policy, "The policy size limit is 32 KiB (32768 bytes)";
	// the KMS quotas page lists the key policy document size as not adjustable.
	KeyPolicySize = Quota{ID: "kms.key-policy-size", Name: "KMS key policy size", Limit: 32768, Unit: "bytes", Doc: docKMS,
		Fix: "merge statements with the same effect and principal, or grant with IAM policies in the principals' accounts"}
	// KMSAliasName: "The alias must be string of 1–256 characters" (Create aliases).
	KMSAliasName = Quota{ID: "kms.alias-name", Name: "KMS alias name length", Limit: 256, MinLength: 1, Unit: "characters", Doc: docKMSAlias, Fix: "shorten the alias"}

	// BucketPolicySize: "Bucket policies are limited to 20 KB in size" (Bucket policies
	// and user policies).
	BucketPolicySize = Quota{ID: "s3.bucket-policy-size", Name: "S3 bucket policy size", Limit: 20000, Unit: "bytes", Doc: docS3Policy,
		Fix: "merge statements, use prefixes and condition keys (aws:PrincipalOrgID) instead of lists"}
	// BucketName: "Bucket names must be between 3 (min) and 63 (max) characters long"
	// (General purpose bucket naming rules).
	BucketName = Quota{ID: "s3.bucket-name", Name: "S3 bucket name length", Limit: 63, MinLength: 3, Unit: "characters", Doc: docS3Names, Fix: "shorten the bucket name"}

	// TopicPolicySize: SNS "Policy quotas: Bytes 30 kb".
	TopicPolicySize = Quota{ID: "sns.topic-policy-size", Name: "SNS topic policy size", Limit: 30000, Unit: "bytes", Doc: docSNSPolicy, Fix: "merge statements"}
	// TopicPolicyStatements: SNS "Policy quotas: Statements 100".
	TopicPolicyStatements = Quota{ID: "sns.topic-policy-statements", Name: "SNS topic policy statements", Limit: 100, Unit: "statements", Doc: docSNSPolicy, Fix: "merge statements"}
	// TopicName: CreateTopic Name, "must be between 1 and 256 characters long".
	TopicName = Quota{ID: "sns.topic-name", Name: "SNS topic name length", Limit: 256, MinLength: 1, Unit: "characters", Doc: docSNSNames, Fix: "shorten the topic name"}

	// QueuePolicySize: "Amazon SQS policy quotas: Bytes 8,192".
	QueuePolicySize = Quota{ID: "sqs.queue-policy-size", Name: "SQS queue policy size", Limit: 8192, Unit: "bytes", Doc: docSQSPolicy, Fix: "merge statements"}
	// QueuePolicyStatements: "Amazon SQS policy quotas: Statements 20".
	QueuePolicyStatements = Quota{ID: "sqs.queue-policy-statements", Name: "SQS queue policy statements", Limit: 20, Unit: "statements", Doc: docSQSPolicy, Fix: "merge statements"}
	// QueueName: CreateQueue QueueName, "A queue name can have up to 80 characters".
	QueueName = Quota{ID: "sqs.queue-name", Name: "SQS queue name length", Limit: 80, MinLength: 1, Unit: "characters", Doc: docSQSNames, Fix: "shorten the queue name"}

	// ManagedPolicySize: "Managed policy size: 6,144 characters"; "IAM does not count white
	// space when calculating the size of a policy against this quota" (IAM and AWS STS
	// quotas, character quotas; not adjustable).
	ManagedPolicySize = Quota{ID: "iam.managed-policy-size", Name: "IAM managed policy size", Limit: 6144, Unit: "non-whitespace characters", Doc: docIAM,
		Fix: "split the policy into several managed policies (up to 10 attached per role by default)"}
	// RoleInlinePolicySize: "the total aggregate policy size (the sum size of all inline
	// policies) per entity cannot exceed: Role policy size: 10,240 characters"; white space
	// not counted (same page).
	RoleInlinePolicySize = Quota{ID: "iam.role-inline-policies-size", Name: "IAM role inline policies, aggregate size", Limit: 10240, Unit: "non-whitespace characters", Doc: docIAM,
		Fix: "move statements into managed policies attached to the role"}
	// RoleTrustPolicySize: "Role trust policy length: 2048 characters" default, adjustable
	// (IAM object quotas); white space not counted (AssumeRolePolicySizeQuota counts
	// non-whitespace characters).
	RoleTrustPolicySize = Quota{ID: "iam.role-trust-policy-length", Name: "IAM role trust policy length", Limit: 2048, Unit: "non-whitespace characters", Adjustable: true, Doc: docIAM,
		Fix: "merge principals and conditions into fewer statements"}
	// RoleName: "Role name: 64 characters" (IAM and STS character quotas).
	RoleName = Quota{ID: "iam.role-name", Name: "IAM role name length", Limit: 64, MinLength: 1, Unit: "characters", Doc: docIAM, Fix: "shorten the role name"}
	// PolicyName: "Policy name: 128 characters" (same table).
	PolicyName = Quota{ID: "iam.policy-name", Name: "IAM policy name length", Limit: 128, MinLength: 1, Unit: "characters", Doc: docIAM, Fix: "shorten the policy name"}
	// InstanceProfileName: "Instance profile name: 128 characters" (same table).
	InstanceProfileName = Quota{ID: "iam.instance-profile-name", Name: "IAM instance profile name length", Limit: 128, MinLength: 1, Unit: "characters", Doc: docIAM, Fix: "shorten the instance profile name"}

	// StreamName: CreateStream StreamName, "Maximum length of 128".
	StreamName = Quota{ID: "kinesis.stream-name", Name: "Kinesis stream name length", Limit: 128, MinLength: 1, Unit: "characters", Doc: docKinesisNames, Fix: "shorten the stream name"}
	// LogGroupName: CreateLogGroup logGroupName, "Maximum length of 512".
	LogGroupName = Quota{ID: "logs.log-group-name", Name: "CloudWatch Logs log group name length", Limit: 512, MinLength: 1, Unit: "characters", Doc: docLogGroupNames, Fix: "shorten the log group name"}
	// AlarmName: PutMetricAlarm AlarmName, "Maximum length of 255".
	AlarmName = Quota{ID: "cloudwatch.alarm-name", Name: "CloudWatch alarm name length", Limit: 255, MinLength: 1, Unit: "characters", Doc: docAlarmNames, Fix: "shorten the alarm name"}

	// FunctionEnvironmentSize: "Function environment variables: 4 KB, for all environment
	// variables associated with the function, in aggregate" (Lambda quotas, not adjustable;
	// https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html). Lambda
	// measures the variables as it reports them when refusing a function, as the JSON object
	// of names and values; "4 KB" read as 4,000 bytes.
	FunctionEnvironmentSize = Quota{ID: "lambda.environment-size", Name: "Lambda function environment variables, aggregate size", Limit: 4000, Unit: "bytes", Doc: docLambda,
		Fix: "move large values (configuration, lists) into a file bundled with the function's code and read it at start, as the responder reads response.json"}

	// Resources: "Resources: Maximum number of resources that you can declare in your
	// CloudFormation template: 500 resources" (CloudFormation quotas).
	Resources = Quota{ID: "cloudformation.resources", Name: "CloudFormation resources per template", Limit: 500, Unit: "resources", Doc: docCloudFormation,
		Fix: "split the stack (nested stacks, or a stack per concern)"}
	// Outputs: "Outputs: 200 outputs" (same page).
	Outputs = Quota{ID: "cloudformation.outputs", Name: "CloudFormation outputs per template", Limit: 200, Unit: "outputs", Doc: docCloudFormation, Fix: "remove outputs nobody reads, or split the stack"}
	// Parameters: "Parameters: 200 parameters" (same page).
	Parameters = Quota{ID: "cloudformation.parameters", Name: "CloudFormation parameters per template", Limit: 200, Unit: "parameters", Doc: docCloudFormation, Fix: "use mappings or list parameters, or split the stack"}
	// TemplateSize: "Template body size in an Amazon S3 object: 1 MB" (same page); the CDK
	// CLI deploys through the bootstrap bucket.
	TemplateSize = Quota{ID: "cloudformation.template-size", Name: "CloudFormation template size (S3)", Limit: 1000000, Unit: "bytes", Doc: docCloudFormation,
		Fix: "split the stack (nested stacks)"}
	// TemplateBodySize: "Template body size in a request: 51,200 bytes" (same page): what a
	// StackSet's inline TemplateBody may hold.
	TemplateBodySize = Quota{ID: "cloudformation.template-body-size", Name: "CloudFormation inline template body size", Limit: 51200, Unit: "bytes", Doc: docCloudFormation,
		Fix: "deploy the template from S3 (TemplateURL; orgstackset's TemplateFile)"}
	// TemplateDescription: "Template description: 1,024 bytes" (same page).
	TemplateDescription = Quota{ID: "cloudformation.template-description", Name: "CloudFormation template description size", Limit: 1024, Unit: "bytes", Doc: docCloudFormation, Fix: "shorten the stack description"}
)

// All are the quotas the gate checks.
var All = []Quota{
	EventPatternSize, EventBusPolicySize, TargetsPerRule, RuleName, EventBusName,
	SCPSize, RCPSize, TagPolicySize, BackupPolicySize, AIOptOutPolicySize,
	KeyPolicySize, KMSAliasName,
	BucketPolicySize, BucketName,
	TopicPolicySize, TopicPolicyStatements, TopicName,
	QueuePolicySize, QueuePolicyStatements, QueueName,
	ManagedPolicySize, RoleInlinePolicySize, RoleTrustPolicySize, RoleName, PolicyName, InstanceProfileName,
	StreamName, LogGroupName, AlarmName,
	FunctionEnvironmentSize,
	Resources, Outputs, Parameters, TemplateSize, TemplateBodySize, TemplateDescription,
}
