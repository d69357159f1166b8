// Package guardrails provides Guardrails: a service control policy (SCP) that denies member-
// account principals every way of silencing trailguard's logging: stopping, deleting or
// changing trails and their selectors; disabling, deleting or re-targeting the forwarding
// rules and deleting their roles, policies and dead-letter queues; deleting the log buckets or
// changing their policies; disabling or scheduling deletion of the logging KMS keys; changing
// the Security account's stream and bus; and leaving the organization.
//
// Resources with a name are protected by ARN (every trailguard name starts with
// NamePrefix); the rest (queues, topics, keys, alarms, log groups) by their
// trailguard:managed-by tag, whose removal or change is denied too. Exempt principals (the
// CloudFormation roles that deploy trailguard, break-glass roles) are excluded by ARN pattern.
//
// SCPs never apply to the management account, nor to service-linked roles: the organization
// trail in the management account is protected by who can sign in there, not by this policy.
// The construct belongs in the management account's stack.
package guardrails

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsorganizations"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// MaxPolicySize is the largest SCP document Organizations accepts, in characters.
const MaxPolicySize = 5120

// NamePrefix starts the name of every named logging resource trailguard creates.
const NamePrefix = "trailguard-"

// TagKey and TagValue mark the logging resources protected by tag.
const (
	TagKey   = "trailguard:managed-by"
	TagValue = "trailguard"
)

// GuardrailsProps configures Guardrails.
type GuardrailsProps struct {
	// PolicyName names the SCP. Default: "trailguard-protect-logging".
	PolicyName *string
	// TargetIds are the organization root ("r-...") or OUs ("ou-...") the SCP is attached to.
	TargetIds *[]*string
	// Partition is the ARN partition. Default: the stack's partition.
	Partition *string
	// ExtraNames are names of protected trails, buckets, streams and buses that do not start
	// with NamePrefix (names a config renamed). Default: none.
	ExtraNames *[]*string
	// ExemptPrincipalArns are IAM role ARN patterns that may still change the logging: the
	// roles that deploy it and break-glass roles. Wildcards are allowed.
	ExemptPrincipalArns *[]*string
	// SecurityAccount is the account of the event stream and the receiving bus. Actions
	// IAM authorizes only on "*" that could silence them (see WildcardOnlyActions) are denied
	// there to everyone but the exempt principals. Default: none, and those actions are not
	// denied anywhere.
	SecurityAccount *string
}

// WildcardOnlyActions are the actions that change the Security account's receiving bus or
// stream but have no resource-level permissions: IAM authorizes them on "*", so a deny that
// names the bus's or the stream's ARN never applies to them. Each was checked in the Service
// Authorization Reference (the Resource types column is empty) and in the IAM evaluation
// engine's copy of it, which the simulation tests use:
//   - events:PutPermission, events:RemovePermission: "Actions defined by Amazon EventBridge",
//     https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoneventbridge.html
//   - kinesis:UpdateShardCount, kinesis:UpdateStreamMode: "Actions defined by Amazon Kinesis
//     Data Streams",
//     https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonkinesisdatastreams.html
//
// They are denied in the Security account only, where the bus and the stream live (scoped by
// aws:PrincipalAccount), so member accounts keep managing their own buses and streams.
var WildcardOnlyActions = []string{"events:PutPermission", "events:RemovePermission", "kinesis:UpdateShardCount", "kinesis:UpdateStreamMode"}

// Guardrails is the service control policy protecting the logging.
type Guardrails interface {
	constructs.Construct
	// Policy is the underlying AWS::Organizations::Policy.
	Policy() awsorganizations.CfnPolicy
	// Document is the policy document, as attached.
	Document() string
}

type guardrails struct {
	constructs.Construct
	policy   awsorganizations.CfnPolicy
	document string
}

func (g *guardrails) Policy() awsorganizations.CfnPolicy { return g.policy }
func (g *guardrails) Document() string                   { return g.document }

var (
	targetPattern  = regexp.MustCompile(`^(r-[0-9a-z]{4,32}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})$`)
	exemptPattern  = regexp.MustCompile(`^arn:[a-z*-]+:iam::([0-9]{12}|\*):role/[A-Za-z0-9+=,.@_/*-]+$`)
	namePattern    = regexp.MustCompile(`^[A-Za-z0-9._-]{1,256}$`)
	accountPattern = regexp.MustCompile(`^[0-9]{12}$`)
)

func (p *GuardrailsProps) validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf("guardrails: "+format, args...)) }
	if p.TargetIds == nil || len(*p.TargetIds) == 0 {
		add("TargetIds must name the root (r-...) or at least one OU (ou-...)")
	} else {
		for i, t := range *p.TargetIds {
			if t == nil || !targetPattern.MatchString(*t) {
				add("TargetIds[%d] must be a root id (r-...) or an OU id (ou-...), got %q", i, str(t))
			}
		}
	}
	if p.ExemptPrincipalArns == nil || len(*p.ExemptPrincipalArns) == 0 {
		add("ExemptPrincipalArns must name at least the role that deploys the logging stacks, or nobody could update them")
	} else {
		for i, a := range *p.ExemptPrincipalArns {
			if a == nil || !exemptPattern.MatchString(*a) {
				add("ExemptPrincipalArns[%d] must be an IAM role ARN pattern such as arn:aws:iam::*:role/BreakGlass, got %q", i, str(a))
			}
		}
	}
	if p.SecurityAccount != nil && !accountPattern.MatchString(*p.SecurityAccount) {
		add("SecurityAccount must be a 12-digit account id, got %q", *p.SecurityAccount)
	}
	if p.ExtraNames != nil {
		for i, n := range *p.ExtraNames {
			if n == nil || !namePattern.MatchString(*n) {
				add("ExtraNames[%d] must be a resource name, got %q", i, str(n))
			}
		}
	}
	return errors.Join(errs...)
}

func str(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// NewGuardrails creates the SCP and attaches it to the targets. It panics with every problem
// in props at once, and when the policy would exceed MaxPolicySize.
func NewGuardrails(scope constructs.Construct, id string, props *GuardrailsProps) Guardrails {
	if props == nil {
		props = &GuardrailsProps{}
	}
	if err := props.validate(); err != nil {
		panic(err)
	}
	g := &guardrails{}
	constructs.NewConstruct_Override(g, scope, jsii.String(id))
	partition := str(props.Partition)
	if partition == "" {
		partition = *awscdk.Stack_Of(g).Partition()
	}
	var extra, exempt []string
	if props.ExtraNames != nil {
		for _, n := range *props.ExtraNames {
			extra = append(extra, *n)
		}
	}
	for _, a := range *props.ExemptPrincipalArns {
		exempt = append(exempt, *a)
	}
	doc, err := DocumentFor(partition, extra, exempt, str(props.SecurityAccount))
	if err != nil {
		panic(err)
	}
	g.document = doc
	name := props.PolicyName
	if name == nil {
		name = jsii.String("trailguard-protect-logging")
	}
	// Content is a JSON object in CloudFormation; Organizations stores it compactly, which is
	// the form whose size Document checks.
	var content map[string]any
	if err := json.Unmarshal([]byte(doc), &content); err != nil {
		panic(err)
	}
	g.policy = awsorganizations.NewCfnPolicy(g, jsii.String("Resource"), &awsorganizations.CfnPolicyProps{
		Name:        name,
		Type:        jsii.String("SERVICE_CONTROL_POLICY"),
		Description: jsii.String("trailguard: member accounts cannot stop, delete or alter the API-call logging"),
		Content:     content,
		TargetIds:   props.TargetIds,
	})
	// Deleting the stack must not silently lift the protection.
	g.policy.ApplyRemovalPolicy(awscdk.RemovalPolicy_RETAIN, nil)
	return g
}

// Protected lists, per CloudFormation resource type, how the policy protects resources of
// that type: "name" (by ARN, the name starting with NamePrefix or listed in ExtraNames), "tag"
// (by the trailguard:managed-by tag), or "parent" (a policy or alias changed only through
// actions on its parent resource, which are denied). Tests derive from the stacks that every
// resource they create is here.
var Protected = map[string]string{
	"AWS::CloudTrail::Trail":       "name",
	"AWS::S3::Bucket":              "name",
	"AWS::S3::BucketPolicy":        "parent",
	"AWS::Events::Rule":            "name",
	"AWS::Events::EventBus":        "name",
	"AWS::Events::EventBusPolicy":  "parent",
	"AWS::IAM::Role":               "name",
	"AWS::IAM::ManagedPolicy":      "name",
	"AWS::IAM::Policy":             "parent",
	"AWS::Kinesis::Stream":         "name",
	"AWS::Kinesis::ResourcePolicy": "parent",
	"AWS::KMS::Key":                "tag",
	"AWS::KMS::Alias":              "parent",
	"AWS::SQS::Queue":              "tag",
	"AWS::SQS::QueuePolicy":        "parent",
	"AWS::SNS::Topic":              "tag",
	"AWS::SNS::TopicPolicy":        "parent",
	"AWS::SNS::Subscription":       "parent",
	"AWS::CloudWatch::Alarm":       "tag",
	"AWS::Logs::LogGroup":          "tag",
}

// statement is one SCP statement.
type statement struct {
	Sid       string         `json:"Sid"`
	Effect    string         `json:"Effect"`
	Action    []string       `json:"Action"`
	Resource  any            `json:"Resource"`
	Condition map[string]any `json:"Condition,omitempty"`
}

// Document renders the policy for partition, protecting names starting with NamePrefix and
// extraNames, exempting principals matching exempt. It fails when the policy is over
// MaxPolicySize, naming the size.
func Document(partition string, extraNames, exempt []string) (string, error) {
	return DocumentFor(partition, extraNames, exempt, "")
}

// DocumentFor is Document that also denies WildcardOnlyActions in securityAccount (if not "").
func DocumentFor(partition string, extraNames, exempt []string, securityAccount string) (string, error) {
	names := append([]string{NamePrefix + "*"}, extraNames...)
	arns := func(format string) []string {
		var out []string
		for _, n := range names {
			out = append(out, fmt.Sprintf(format, partition, n))
		}
		return out
	}
	notExempt := map[string]any{"ArnNotLike": map[string]any{"aws:PrincipalArn": exempt}}
	withTag := map[string]any{
		"ArnNotLike":   map[string]any{"aws:PrincipalArn": exempt},
		"StringEquals": map[string]any{"aws:ResourceTag/" + TagKey: TagValue},
	}
	// One statement for every resource protected by name: an action only ever matches the
	// ARNs of its own service, so merging keeps the meaning and saves the policy's size.
	named := []string{}
	for _, f := range []string{
		"arn:%s:cloudtrail:*:*:trail/%s",
		"arn:%s:s3:::%s", "arn:%s:s3:::%s/*",
		"arn:%s:events:*:*:rule/%s", "arn:%s:events:*:*:rule/*/%s", "arn:%s:events:*:*:event-bus/%s",
		"arn:%s:iam::*:role/%s", "arn:%s:iam::*:policy/%s",
		"arn:%s:kinesis:*:*:stream/%s",
	} {
		named = append(named, arns(f)...)
	}
	stmts := []statement{
		{Sid: "ProtectNamedLogging", Resource: named, Condition: notExempt, Action: []string{
			// Trails and their selectors.
			"cloudtrail:StopLogging", "cloudtrail:DeleteTrail", "cloudtrail:UpdateTrail", "cloudtrail:Put*Selectors", "cloudtrail:RemoveTags",
			// Log buckets, their policies and configuration, and the logs in them.
			"s3:DeleteBucket*", "s3:PutBucket*", "s3:PutLifecycleConfiguration", "s3:PutEncryptionConfiguration", "s3:PutReplicationConfiguration",
			"s3:DeleteObject*", "s3:PutObjectRetention", "s3:PutObjectLegalHold", "s3:BypassGovernanceRetention",
			// Forwarding rules, their targets and the receiving bus.
			"events:DeleteRule", "events:DisableRule", "events:PutRule", "events:PutTargets", "events:RemoveTargets",
			"events:DeleteEventBus", "events:UpdateEventBus", "events:UntagResource",
			// The forwarders' roles and policies.
			"iam:DeleteRole*", "iam:PutRole*", "iam:UpdateRole*", "iam:UpdateAssumeRolePolicy", "iam:AttachRolePolicy", "iam:DetachRolePolicy",
			"iam:UntagRole", "iam:CreatePolicyVersion", "iam:DeletePolicy*", "iam:SetDefaultPolicyVersion",
			// The Security account's stream.
			"kinesis:DeleteStream", "kinesis:DecreaseStreamRetentionPeriod", "kinesis:StopStreamEncryption", "kinesis:MergeShards",
			"kinesis:UpdateMaxRecordSize", "kinesis:DeleteResourcePolicy", "kinesis:PutResourcePolicy", "kinesis:RemoveTagsFromStream",
		}},
		{Sid: "ProtectTaggedLogging", Resource: "*", Condition: withTag, Action: []string{
			"kms:DisableKey*", "kms:ScheduleKeyDeletion", "kms:PutKeyPolicy", "kms:DeleteAlias", "kms:UpdateAlias",
			"sqs:DeleteQueue", "sqs:PurgeQueue", "sqs:SetQueueAttributes", "sqs:RemovePermission",
			"sns:DeleteTopic", "sns:SetTopicAttributes", "sns:RemovePermission", "sns:Unsubscribe",
			"cloudwatch:DeleteAlarms", "cloudwatch:DisableAlarmActions", "cloudwatch:PutMetricAlarm",
			"logs:DeleteLogGroup", "logs:PutRetentionPolicy", "logs:DisassociateKmsKey",
		}},
		// Without its tag a resource would lose the protection above.
		{Sid: "ProtectTheTag", Resource: "*",
			Condition: map[string]any{"ArnNotLike": map[string]any{"aws:PrincipalArn": exempt}, "ForAnyValue:StringEquals": map[string]any{"aws:TagKeys": []string{TagKey}}},
			Action:    []string{"kms:*TagResource", "sqs:*TagQueue", "sns:*TagResource", "cloudwatch:*TagResource", "logs:*TagResource", "iam:*TagRole", "iam:*TagPolicy", "events:TagResource", "s3:PutBucketTagging", "kinesis:AddTagsToStream", "cloudtrail:AddTags"}},
		// An exemption by role name is only as strong as the role: nobody else may create a
		// role of an exempt name, or change who can assume one or what it may do.
		{Sid: "ProtectExemptRoles", Resource: exempt, Condition: notExempt, Action: []string{
			"iam:CreateRole", "iam:DeleteRole*", "iam:UpdateAssumeRolePolicy", "iam:PutRole*", "iam:UpdateRole*", "iam:AttachRolePolicy", "iam:DetachRolePolicy",
		}},
		{Sid: "StayInOrganization", Action: []string{"organizations:LeaveOrganization"}, Resource: "*"},
	}
	if securityAccount != "" {
		stmts = append(stmts, statement{Sid: "ProtectSecurityBusAndStream", Resource: "*", Action: WildcardOnlyActions, Condition: map[string]any{
			"ArnNotLike":   map[string]any{"aws:PrincipalArn": exempt},
			"StringEquals": map[string]any{"aws:PrincipalAccount": securityAccount},
		}})
	}
	for i := range stmts {
		stmts[i].Effect = "Deny"
	}
	b, err := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": stmts})
	if err != nil {
		return "", err
	}
	doc := string(b)
	if len(doc) > MaxPolicySize {
		return "", fmt.Errorf("guardrails: the service control policy is %d characters, over the %d Organizations allows: shorten or remove renamed resources (%s) or exempt principals (%d patterns), e.g. by using the default trailguard- names or one wildcard pattern",
			len(doc), MaxPolicySize, strings.Join(extraNames, ", "), len(exempt))
	}
	return doc, nil
}
