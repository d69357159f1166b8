// Package orgtrail provides an AWS Organizations organization trail that delivers to a log
// archive bucket and KMS key in another account (see package logarchive).
//
// The trail is multi-region, logs global service events and all management events (read and
// write), and has log file validation on. It can also deliver to a CMK-encrypted CloudWatch
// Logs log group, log data events through advanced event selectors, and turn on CloudTrail
// Insights. Data event selectors for S3 objects always exclude the log archive bucket (and
// any other excluded bucket): logging the trail's own deliveries as data events would make
// every delivery cause another one.
//
// It uses the CloudFormation resource AWS::CloudTrail::Trail directly: the CDK Trail
// construct's organization-trail support writes a bucket policy it cannot apply to a bucket
// in another account, grants CloudTrail nothing on the KMS key, and has no advanced event
// selectors. The archive's bucket and key policies belong to the archive's own stack.
//
// Before deploying:
//
//   - The organization must have all features enabled, and trusted access for CloudTrail:
//     aws organizations enable-aws-service-access --service-principal cloudtrail.amazonaws.com
//   - Deploy the stack holding the trail from the organization's management account.
//     CloudFormation cannot create an organization trail from a CloudTrail delegated
//     administrator account (the create fails with TrailNotFoundException).
//   - Deploy the log archive first: CloudTrail checks the bucket and key policies when it
//     creates the trail.
//
// Usage (as in the package example, which go test compiles):
//
//	app := awscdk.NewApp(nil)
//	stack := awscdk.NewStack(app, jsii.String("OrganizationTrail"), &awscdk.StackProps{
//		Env:                   &awscdk.Environment{Account: jsii.String("111111111111"), Region: jsii.String("eu-west-1")},
//		TerminationProtection: jsii.Bool(true),
//	})
//	trail := orgtrail.NewOrganizationTrail(stack, jsii.String("OrganizationTrail"), &orgtrail.OrganizationTrailProps{
//		TrailName:      jsii.String("org-trail"),
//		OrganizationId: jsii.String("o-a1b2c3d4e5"),
//		BucketName:     jsii.String("org-trail-archive-222222222222"),
//		KmsKeyArn:      jsii.String("arn:aws:kms:eu-west-1:222222222222:alias/org-trail"),
//		// Optional.
//		DataEventResourceTypes: jsii.Strings(orgtrail.DataEventS3Object), // never the archive's own objects
//		InsightTypes:           jsii.Strings(orgtrail.InsightAPICallRate),
//		SendToCloudWatchLogs:   jsii.Bool(true),
//		LogGroupRetentionDays:  jsii.Number(365),
//	})
//	awscdk.NewCfnOutput(stack, jsii.String("TrailArn"), &awscdk.CfnOutputProps{Value: trail.TrailArn()})
package orgtrail

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudtrail"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/trailguard/trailguard/compliance"
	"github.com/trailguard/trailguard/constructs/internal/check"
	"github.com/trailguard/trailguard/constructs/internal/keypolicy"
	"github.com/trailguard/trailguard/constructs/internal/managed"
)

// CloudTrail Insights types.
const (
	InsightAPICallRate  = "ApiCallRateInsight"
	InsightAPIErrorRate = "ApiErrorRateInsight"
)

// DataEventS3Object is the resource type of S3 object-level data events.
const DataEventS3Object = "AWS::S3::Object"

// DefaultLogGroupRetentionDays is the CloudWatch Logs retention when none is given.
const DefaultLogGroupRetentionDays = 365

// Selector names, as CloudTrail shows them.
const (
	ManagementEventsSelectorName = "Management events"
	dataEventsSelectorPrefix     = "Data events: "
)

// OrganizationTrailProps configures an OrganizationTrail.
type OrganizationTrailProps struct {
	// TrailName is the trail's name. The log archive's policies name the trail by the ARN
	// built from it. Required.
	TrailName *string
	// OrganizationId is the organization the trail logs, e.g. "o-a1b2c3d4e5"; member
	// accounts' logs land under AWSLogs/<OrganizationId>/ and their CloudWatch Logs streams
	// start with it. Required.
	OrganizationId *string
	// BucketName is the log archive bucket, in another account. Required.
	BucketName *string
	// KmsKeyArn is the ARN of the log archive's KMS key, or of an alias of it, e.g.
	// "arn:aws:kms:eu-west-1:222222222222:alias/org-trail". It must be in the bucket's
	// region. Required.
	KmsKeyArn *string
	// BucketRegion is the log archive bucket's region; KmsKeyArn must be in it.
	// Default: the stack's region.
	BucketRegion *string
	// DataEventResourceTypes are the resource types whose data events are logged in every
	// account, e.g. "AWS::S3::Object", "AWS::Lambda::Function". Data events are billed per
	// event.
	// Default: none.
	DataEventResourceTypes *[]*string
	// DataEventExcludedBucketNames are buckets whose S3 object data events are never logged,
	// in addition to BucketName, which always is excluded: for example the log archive's
	// access-log bucket, whose every object is a consequence of a trail delivery.
	// Default: none.
	DataEventExcludedBucketNames *[]*string
	// InsightTypes turn on CloudTrail Insights: InsightAPICallRate, InsightAPIErrorRate.
	// Default: none.
	InsightTypes *[]*string
	// SendToCloudWatchLogs also delivers the trail's events to a CloudWatch Logs log group
	// in the trail's account, encrypted with a new KMS key.
	// Default: false.
	SendToCloudWatchLogs *bool
	// LogGroupName names the log group.
	// Default: "cloudtrail/<TrailName>".
	LogGroupName *string
	// LogGroupRetentionDays is the log group's retention, one of the values CloudWatch Logs
	// accepts (1, 3, 5, 7, 14, 30, 60, 90, ..., 365, ..., 3653).
	// Default: 365.
	LogGroupRetentionDays *float64
}

// OrganizationTrail is the organization trail and its optional CloudWatch Logs delivery.
type OrganizationTrail interface {
	constructs.Construct
	// Trail is the trail resource.
	Trail() awscloudtrail.CfnTrail
	// TrailArn is the trail's ARN.
	TrailArn() *string
	// LogGroup receives the trail's events, or is nil without SendToCloudWatchLogs.
	LogGroup() awslogs.ILogGroup
}

type organizationTrail struct {
	constructs.Construct
	trail    awscloudtrail.CfnTrail
	logGroup awslogs.LogGroup
}

func (o *organizationTrail) Trail() awscloudtrail.CfnTrail { return o.trail }
func (o *organizationTrail) TrailArn() *string             { return o.trail.AttrArn() }
func (o *organizationTrail) LogGroup() awslogs.ILogGroup {
	if o.logGroup == nil {
		return nil
	}
	return o.logGroup
}

var (
	trailNameRe    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{1,126}[A-Za-z0-9]$`)
	adjacentRe     = regexp.MustCompile(`[._-]{2}`)
	resourceTypeRe = regexp.MustCompile(`^AWS::[A-Za-z0-9]+::[A-Za-z0-9]+$`)
	logGroupNameRe = regexp.MustCompile(`^[A-Za-z0-9_/.#-]{1,512}$`)
)

// NewOrganizationTrail creates the trail in scope's stack, which must be deployed in the
// organization's management account. The trail is the child "Resource". It panics with an
// error naming every invalid prop.
func NewOrganizationTrail(scope constructs.Construct, id *string, props *OrganizationTrailProps) OrganizationTrail {
	stack := awscdk.Stack_Of(scope)
	if err := props.validate(stack); err != nil {
		panic(err)
	}
	o := &organizationTrail{}
	constructs.NewConstruct_Override(o, scope, id)
	managed.Tag(o) // the guardrails protect the unnamed resources by this tag

	trailProps := &awscloudtrail.CfnTrailProps{
		TrailName:                  props.TrailName,
		IsLogging:                  jsii.Bool(true),
		IsOrganizationTrail:        jsii.Bool(true),
		IsMultiRegionTrail:         jsii.Bool(true),
		IncludeGlobalServiceEvents: jsii.Bool(true),
		EnableLogFileValidation:    jsii.Bool(true),
		S3BucketName:               props.BucketName,
		KmsKeyId:                   props.KmsKeyArn,
		AdvancedEventSelectors:     selectors(props, partitionOf(stack, props.KmsKeyArn)),
	}
	if insights := check.Strings(props.InsightTypes); len(insights) > 0 {
		var sel []*awscloudtrail.CfnTrail_InsightSelectorProperty
		for _, t := range insights {
			sel = append(sel, &awscloudtrail.CfnTrail_InsightSelectorProperty{InsightType: jsii.String(t)})
		}
		trailProps.InsightSelectors = &sel
	}
	if props.SendToCloudWatchLogs != nil && *props.SendToCloudWatchLogs {
		role := o.addLogGroup(stack, props)
		trailProps.CloudWatchLogsLogGroupArn = o.logGroup.LogGroupArn()
		trailProps.CloudWatchLogsRoleArn = role.RoleArn()
	}
	o.trail = awscloudtrail.NewCfnTrail(o, jsii.String("Resource"), trailProps)
	if trailProps.CloudWatchLogsLogGroupArn == nil {
		// A deliberate exception, carried by the construct so that it passes the gates
		// wherever it is used.
		const reason = "Real-time monitoring of the organization's API calls is trailguard's event stream: every account forwards its CloudTrail events " +
			"within seconds to the Kinesis stream in the Security account, where alert rules match high-risk events. " +
			"A CloudWatch Logs copy in the management account would duplicate that, at ingestion cost, in the account that should hold the least. " +
			"Set SendToCloudWatchLogs to deliver one anyway."
		compliance.Suppress(o, reason, "NIST.800.53.R5-CloudTrailCloudWatchLogsEnabled", "HIPAA.Security-CloudTrailCloudWatchLogsEnabled", "PCI.DSS.321-CloudTrailCloudWatchLogsEnabled")
		compliance.Acknowledge(o, "cloud_trail_cloud_watch_logs_enabled_check", reason)
	}
	return o
}

// addLogGroup creates the CMK-encrypted log group and the role CloudTrail delivers with.
func (o *organizationTrail) addLogGroup(stack awscdk.Stack, props *OrganizationTrailProps) awsiam.Role {
	name := logGroupName(props)
	partition, region, account := stack.Partition(), stack.Region(), stack.Account()
	logGroupArn := func(suffix string) *string {
		return jsii.String(fmt.Sprintf("arn:%s:logs:%s:%s:log-group:%s%s", *partition, *region, *account, name, suffix))
	}

	key := awskms.NewKey(o, jsii.String("LogGroupKey"), &awskms.KeyProps{
		Description:       jsii.String("Encrypts the CloudWatch Logs log group of organization trail " + *props.TrailName),
		EnableKeyRotation: jsii.Bool(true),
		// The logs stay readable only while the key exists.
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN_ON_UPDATE_OR_DELETE,
	})
	// The log group's name is fixed so that this statement can name it without a circular
	// reference between the key and the log group.
	key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowCloudWatchLogsForTheTrailLogGroup"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("logs."+*region+".amazonaws.com"), nil)},
		Actions:    jsii.Strings("kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"),
		Resources:  jsii.Strings("*"),
		Conditions: &map[string]any{
			"ArnEquals": map[string]any{"kms:EncryptionContext:aws:logs:arn": *logGroupArn("")},
		},
	}), nil)
	key.AddToResourcePolicy(keypolicy.DenyGrantsExceptForAWSServices(), nil)

	days := float64(DefaultLogGroupRetentionDays)
	if props.LogGroupRetentionDays != nil {
		days = *props.LogGroupRetentionDays
	}
	o.logGroup = awslogs.NewLogGroup(o, jsii.String("LogGroup"), &awslogs.LogGroupProps{
		LogGroupName:  jsii.String(name),
		EncryptionKey: key,
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN_ON_UPDATE_OR_DELETE,
	})
	// The L2 takes an enum; the L1 takes the number of days.
	o.logGroup.Node().DefaultChild().(awslogs.CfnLogGroup).SetRetentionInDays(&days)

	// CloudTrail names the streams <management account>_CloudTrail_<region> for the
	// management account's events and <organization id>_<account>_CloudTrail_<region> for
	// the members'. The trust policy has no aws:SourceArn or aws:SourceAccount condition: the
	// CloudTrail user guide ("Role policy document for CloudTrail to use CloudWatch Logs")
	// says this role does not support them, and delivery would fail.
	streams := []*string{
		logGroupArn(fmt.Sprintf(":log-stream:%s_CloudTrail_%s*", *account, *region)),
		logGroupArn(fmt.Sprintf(":log-stream:%s_*", *props.OrganizationId)),
	}
	// A managed policy, not an inline one (NIST 800-53 AC-6 and its HIPAA and PCI kin ask
	// for reusable, separately auditable policies).
	policy := awsiam.NewManagedPolicy(o, jsii.String("CloudWatchLogsPolicy"), &awsiam.ManagedPolicyProps{
		Description: jsii.String("Lets CloudTrail write organization trail " + *props.TrailName + " to its log group"),
		Statements: &[]awsiam.PolicyStatement{
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid:       jsii.String("AWSCloudTrailCreateLogStream"),
				Actions:   jsii.Strings("logs:CreateLogStream"),
				Resources: &streams,
			}),
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid:       jsii.String("AWSCloudTrailPutLogEvents"),
				Actions:   jsii.Strings("logs:PutLogEvents"),
				Resources: &streams,
			}),
		},
	})
	compliance.SuppressMatching(policy, "AwsSolutions-IAM5", "CloudTrail creates one log stream per account and region, named <management account>_CloudTrail_<region>... and <organization id>_<account>_CloudTrail_<region>...; "+
		"the stream names are only known by these prefixes. Both are confined to this one log group, and the actions to creating streams and putting events.",
		`^Resource::arn:[^:]+:logs:[^:]+:[^:]+:log-group:`+regexp.QuoteMeta(name)+`:log-stream:[^*]+\*$`)
	return awsiam.NewRole(o, jsii.String("CloudWatchLogsRole"), &awsiam.RoleProps{
		Description:     jsii.String("CloudTrail delivers organization trail " + *props.TrailName + " to CloudWatch Logs with this role"),
		AssumedBy:       awsiam.NewServicePrincipal(jsii.String("cloudtrail.amazonaws.com"), nil),
		ManagedPolicies: &[]awsiam.IManagedPolicy{policy},
	})
}

func logGroupName(props *OrganizationTrailProps) string {
	if props.LogGroupName != nil {
		return *props.LogGroupName
	}
	return "cloudtrail/" + *props.TrailName
}

// selectors returns the trail's advanced event selectors: all management events, and the
// data events of each resource type, S3 objects without those of the excluded buckets.
func selectors(props *OrganizationTrailProps, partition string) *[]*awscloudtrail.CfnTrail_AdvancedEventSelectorProperty {
	field := func(name string, equals, notStartsWith []string) *awscloudtrail.CfnTrail_AdvancedFieldSelectorProperty {
		f := &awscloudtrail.CfnTrail_AdvancedFieldSelectorProperty{Field: jsii.String(name)}
		if equals != nil {
			f.EqualTo = jsii.Strings(equals...)
		}
		if notStartsWith != nil {
			f.NotStartsWith = jsii.Strings(notStartsWith...)
		}
		return f
	}
	out := []*awscloudtrail.CfnTrail_AdvancedEventSelectorProperty{{
		Name:           jsii.String(ManagementEventsSelectorName),
		FieldSelectors: []*awscloudtrail.CfnTrail_AdvancedFieldSelectorProperty{field("eventCategory", []string{"Management"}, nil)},
	}}
	for _, typ := range check.Strings(props.DataEventResourceTypes) {
		fields := []*awscloudtrail.CfnTrail_AdvancedFieldSelectorProperty{
			field("eventCategory", []string{"Data"}, nil),
			field("resources.type", []string{typ}, nil),
		}
		if typ == DataEventS3Object {
			fields = append(fields, field("resources.ARN", nil, excludedObjectARNPrefixes(partition, *props.BucketName, check.Strings(props.DataEventExcludedBucketNames)...)))
		}
		out = append(out, &awscloudtrail.CfnTrail_AdvancedEventSelectorProperty{
			Name:           jsii.String(dataEventsSelectorPrefix + typ),
			FieldSelectors: fields,
		})
	}
	return &out
}

// excludedObjectARNPrefixes returns the S3 object ARN prefixes the S3 data event selector
// excludes: every object of the log archive bucket and of the other excluded buckets.
func excludedObjectARNPrefixes(partition, archiveBucket string, otherBuckets ...string) []string {
	out := []string{fmt.Sprintf("arn:%s:s3:::%s/", partition, archiveBucket)}
	for _, b := range otherBuckets {
		out = append(out, fmt.Sprintf("arn:%s:s3:::%s/", partition, b))
	}
	return out
}

// partitionOf returns the partition of the (validated, literal) key ARN, which is the
// archive's and so the excluded buckets' partition.
func partitionOf(stack awscdk.Stack, keyArn *string) string {
	if a, ok := check.ParseARN(*keyArn); ok {
		return a.Partition
	}
	return *stack.Partition()
}

func (p *OrganizationTrailProps) validate(stack awscdk.Stack) error {
	problems := check.New("orgtrail")
	if p == nil {
		problems.Addf("props are required (TrailName, OrganizationId, BucketName and KmsKeyArn at least)")
		return problems.Err()
	}
	const trailWant = "a trail name: 3-128 letters, digits, periods, underscores and hyphens, starting and ending with a letter or digit"
	if problems.RequiredMatch("TrailName", p.TrailName, trailNameRe, trailWant) && check.Known(p.TrailName) && adjacentRe.MatchString(*p.TrailName) {
		problems.Addf("TrailName must not have adjacent periods, underscores or hyphens, got %q", *p.TrailName)
	}
	problems.RequiredMatch("OrganizationId", p.OrganizationId, check.OrganizationID, "an organization id matching o-[a-z0-9]{10,32}")
	problems.RequiredMatch("BucketName", p.BucketName, check.BucketName, "the log archive bucket's name: 3-63 lowercase letters, digits and hyphens, no dots")
	problems.Match("BucketRegion", p.BucketRegion, check.Region, "an AWS region such as eu-west-1")

	const keyWant = "the ARN of the log archive's KMS key or of its alias, arn:<partition>:kms:<region>:<account>:key/<id> or ...:alias/<name>"
	if problems.Required("KmsKeyArn", p.KmsKeyArn, keyWant) {
		if check.Unresolved(p.KmsKeyArn) {
			problems.Addf("KmsKeyArn must be a literal ARN, got a token: the key is in the log archive's account, so name it by its alias ARN")
		} else if a, ok := check.ParseARN(*p.KmsKeyArn); !ok || a.Service != "kms" || !check.Region.MatchString(a.Region) || len(a.Account) != 12 ||
			!(strings.HasPrefix(a.Resource, "key/") || strings.HasPrefix(a.Resource, "alias/")) {
			problems.Addf("KmsKeyArn must be %s, got %q", keyWant, *p.KmsKeyArn)
		} else {
			bucketRegion, from := stack.Region(), "the stack's region"
			if p.BucketRegion != nil {
				bucketRegion, from = p.BucketRegion, "BucketRegion"
			}
			if check.Known(bucketRegion) && *bucketRegion != a.Region {
				problems.Addf("KmsKeyArn is in region %s but the log archive bucket is in %s (%s): CloudTrail requires the KMS key in the bucket's region, got %q",
					a.Region, *bucketRegion, from, *p.KmsKeyArn)
			}
		}
	}

	problems.List("DataEventResourceTypes", p.DataEventResourceTypes, resourceTypeRe, "a CloudTrail data event resource type such as AWS::S3::Object")
	problems.List("DataEventExcludedBucketNames", p.DataEventExcludedBucketNames, check.BucketName, "an S3 bucket name")
	if p.DataEventExcludedBucketNames != nil && !slices.Contains(check.Strings(p.DataEventResourceTypes), DataEventS3Object) && len(*p.DataEventExcludedBucketNames) > 0 {
		problems.Addf("DataEventExcludedBucketNames only applies when DataEventResourceTypes includes %s; remove it or log S3 object data events", DataEventS3Object)
	}
	problems.List("InsightTypes", p.InsightTypes, regexp.MustCompile("^("+InsightAPICallRate+"|"+InsightAPIErrorRate+")$"),
		InsightAPICallRate+" or "+InsightAPIErrorRate)

	cwl := p.SendToCloudWatchLogs != nil && *p.SendToCloudWatchLogs
	if !cwl && (p.LogGroupName != nil || p.LogGroupRetentionDays != nil) {
		problems.Addf("LogGroupName and LogGroupRetentionDays only apply with SendToCloudWatchLogs; set it to true or remove them")
	}
	problems.Match("LogGroupName", p.LogGroupName, logGroupNameRe, "a CloudWatch Logs log group name: 1-512 letters, digits and _ / . # -")
	if d := p.LogGroupRetentionDays; d != nil && !slices.Contains(check.LogGroupRetentionDays, *d) {
		problems.Addf("LogGroupRetentionDays must be a retention CloudWatch Logs accepts (%s), got %v",
			strings.Trim(fmt.Sprint(check.LogGroupRetentionDays), "[]"), *d)
	}
	return problems.Err()
}
