// Package guardrails provides Guardrails: service control policies (SCPs) that deny member-
// account principals every way of silencing trailguard's logging: stopping, deleting or
// changing trails and their selectors; disabling, deleting or re-targeting the forwarding
// rules and deleting their roles, policies and dead-letter queues; deleting the log buckets or
// changing their policies; disabling or scheduling deletion of the logging KMS keys; changing
// the Security account's stream and bus (including the actions IAM authorizes only on "*");
// deleting, replacing or throttling the detection functions, their mappings, log groups and
// dedupe table, or writing its items and taking the archive queue's messages unless one is a
// detection function; deleting or changing the archive query's Athena workgroup, saved queries
// and Glue database and table; changing, deleting or un-protecting trailguard's stacks, or assuming or passing the
// deployment roles, unless they are a deployer; and leaving the organization.
//
// Resources with a name are protected by ARN (every trailguard name starts with
// NamePrefix); the rest (queues, topics, keys, alarms, log groups) by their
// trailguard:managed-by tag, whose removal or change is denied too. Exempt principals (the
// CloudFormation roles that deploy trailguard, break-glass roles) are excluded by ARN pattern.
//
// SCPs never apply to the management account, nor to service-linked roles: the organization
// trail in the management account is protected by who can sign in there, not by this policy.
// The construct belongs in the management account's stack.
//
// Usage (as in the package example, which go test compiles):
//
//	app := awscdk.NewApp(nil)
//	stack := awscdk.NewStack(app, jsii.String("Management"), &awscdk.StackProps{
//		Env: &awscdk.Environment{Account: jsii.String("111111111111"), Region: jsii.String("eu-west-1")},
//	})
//	g := guardrails.NewGuardrails(stack, jsii.String("Guardrails"), &guardrails.GuardrailsProps{
//		TargetIds: jsii.Strings("r-ab12"),
//		ExemptPrincipalArns: jsii.Strings(
//			"arn:aws:iam::*:role/cdk-hnb659fds-cfn-exec-role-*",
//			"arn:aws:iam::*:role/BreakGlass",
//		),
//		SecurityAccount:    jsii.String("222222222222"),
//		DeployerArns:       jsii.Strings("arn:aws:iam::*:role/OrganizationAccountAccessRole"),
//		DeploymentRoleArns: jsii.Strings("arn:aws:iam::*:role/cdk-hnb659fds-deploy-role-*", "arn:aws:iam::*:role/cdk-hnb659fds-file-publishing-role-*", "arn:aws:iam::*:role/cdk-hnb659fds-cfn-exec-role-*"),
//	})
//	_ = g.Documents() // the policies as attached, each at most guardrails.MaxPolicySize characters
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

	"github.com/trailguard/trailguard/constructs/internal/managed"
)

// MaxPolicySize is the largest SCP document Organizations accepts, in characters.
const MaxPolicySize = 5120

// NamePrefix starts the name of every named logging resource trailguard creates.
const NamePrefix = "trailguard-"

// GlueNamePrefix starts the names of trailguard's Glue databases, whose names take no hyphen
// (archivequery.GlueNamePrefix).
const GlueNamePrefix = "trailguard_"

// TagKey and TagValue mark the logging resources protected by tag. Every trailguard
// construct tags the resources it creates with them.
const (
	TagKey   = managed.TagKey
	TagValue = managed.TagValue
)

// GuardrailsProps configures Guardrails.
type GuardrailsProps struct {
	// PolicyName names the SCP. Default: "trailguard-protect-logging".
	PolicyName *string
	// TargetIds are the organization root ("r-...") or OUs ("ou-...") the SCP is attached to.
	// Required.
	TargetIds *[]*string
	// Partition is the ARN partition. Default: the stack's partition.
	Partition *string
	// ExtraNames are names of protected trails, buckets, streams and buses that do not start
	// with NamePrefix. The SCP protects them, but trailguard's tamper alerts recognise
	// resources by NamePrefix only: they are not alerted on (trailguard's config refuses such
	// names for that reason). Default: none.
	ExtraNames *[]*string
	// ExemptPrincipalArns are IAM role ARN patterns that may still change the logging: the
	// roles that deploy it and break-glass roles. Wildcards are allowed. Required.
	ExemptPrincipalArns *[]*string
	// SecurityAccount is the account of the event stream and the receiving bus. Actions
	// IAM authorizes only on "*" that could silence them (see WildcardOnlyActions) are denied
	// there to everyone but the exempt principals. Default: none, and those actions are not
	// denied anywhere.
	SecurityAccount *string
	// DeployerArns are IAM role ARN patterns of who deploys trailguard: only they (and
	// DeploymentRoleArns, acting for them) may update, delete or un-protect the stacks named
	// by StackNames, assume or pass DeploymentRoleArns, or create and change the exempt and
	// deployment roles (as cdk bootstrap does). Default: none, and the stacks and deployment
	// roles are not guarded (any account admin can act through CloudFormation).
	DeployerArns *[]*string
	// DeploymentRoleArns are the IAM role ARN patterns deployers act through: the cdk
	// bootstrap deploy, file-publishing and CloudFormation execution roles. Default: none.
	DeploymentRoleArns *[]*string
	// DeploymentBucketNames are the name patterns of the buckets deployers stage templates
	// and assets in (the cdk bootstrap staging buckets): a template changed there would be
	// deployed with the execution role's rights, so only deployers and DeploymentRoleArns may
	// write, delete or re-police them. Default: none.
	DeploymentBucketNames *[]*string
	// StackNames are the stack name patterns guarded. Default: NamePrefix+"*" and
	// "StackSet-"+NamePrefix+"*" (the stack instances of a StackSet named with NamePrefix).
	StackNames *[]*string
	// DetectionRoleArns are the IAM role ARN patterns of the detection functions: only they
	// (and the exempt principals) may write or delete items in the protected tables (a dedupe
	// key claimed by anyone else silences its alert) or take messages from DetectionQueueNames
	// (a message taken by anyone else is never checked). Default: none, and only the exempt
	// principals may.
	DetectionRoleArns *[]*string
	// DetectionQueueNames are the names of the queues only DetectionRoleArns consume. Not a
	// pattern: CloudFormation names a stack's unnamed queues (dead-letter and failure queues,
	// which people read) after the stack, trailguard-*. Default: none.
	DetectionQueueNames *[]*string
	// ResponderRoleArns are the IAM role ARN patterns of the automatic response's role in
	// each account (constructs/responderrole): besides the exempt principals, only they may
	// make the calls that restore a trailguard trail or forwarder rule as deployed
	// (RestoringActions) on the protected trails, rules and roles; every other protection
	// holds for them. Default: none.
	ResponderRoleArns *[]*string
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

// Guardrails are the service control policies protecting the logging: one for the logging
// resources, one for the ways around it (the exempt and deployment roles, the CloudFormation
// stacks, the actions without resource-level permissions) and the organization. Two, because
// one would exceed MaxPolicySize; Organizations allows 5 SCPs per target, FullAWSAccess
// included.
type Guardrails interface {
	constructs.Construct
	// Policy is the AWS::Organizations::Policy protecting the logging resources.
	Policy() awsorganizations.CfnPolicy
	// Policies are every AWS::Organizations::Policy, Policy first.
	Policies() []awsorganizations.CfnPolicy
	// Documents are the policy documents, as attached, in the order of Policies.
	Documents() []string
}

type guardrails struct {
	constructs.Construct
	policies  []awsorganizations.CfnPolicy
	documents []string
}

func (g *guardrails) Policy() awsorganizations.CfnPolicy     { return g.policies[0] }
func (g *guardrails) Policies() []awsorganizations.CfnPolicy { return g.policies }
func (g *guardrails) Documents() []string                    { return g.documents }

var (
	targetPattern    = regexp.MustCompile(`^(r-[0-9a-z]{4,32}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})$`)
	exemptPattern    = regexp.MustCompile(`^arn:[a-z*-]+:iam::([0-9]{12}|\*):role/[A-Za-z0-9+=,.@_/*-]+$`)
	namePattern      = regexp.MustCompile(`^[A-Za-z0-9._-]{1,256}$`)
	accountPattern   = regexp.MustCompile(`^[0-9]{12}$`)
	stackNamePattern = regexp.MustCompile(`^[A-Za-z*][A-Za-z0-9*-]{0,127}$`)
	bucketPattern    = regexp.MustCompile(`^[a-z0-9*][a-z0-9*.-]{1,62}$`)
	queuePattern     = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}(\.fifo)?$`)
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
	for _, list := range []struct {
		name string
		arns *[]*string
	}{{"DeployerArns", p.DeployerArns}, {"DeploymentRoleArns", p.DeploymentRoleArns}, {"DetectionRoleArns", p.DetectionRoleArns}, {"ResponderRoleArns", p.ResponderRoleArns}} {
		if list.arns == nil {
			continue
		}
		for i, a := range *list.arns {
			if a == nil || !exemptPattern.MatchString(*a) {
				add("%s[%d] must be an IAM role ARN pattern such as arn:aws:iam::*:role/trailguard-deployer, got %q", list.name, i, str(a))
			}
		}
	}
	if p.DeploymentBucketNames != nil {
		for i, n := range *p.DeploymentBucketNames {
			if n == nil || !bucketPattern.MatchString(*n) {
				add("DeploymentBucketNames[%d] must be a bucket name pattern such as cdk-hnb659fds-assets-*, got %q", i, str(n))
			}
		}
	}
	if p.DetectionQueueNames != nil {
		for i, n := range *p.DetectionQueueNames {
			if n == nil || !queuePattern.MatchString(*n) {
				add("DetectionQueueNames[%d] must be a queue name, got %q", i, str(n))
			}
		}
	}
	if p.StackNames != nil {
		for i, n := range *p.StackNames {
			if n == nil || !stackNamePattern.MatchString(*n) {
				add("StackNames[%d] must be a stack name pattern such as trailguard-*, got %q", i, str(n))
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

// values returns the strings list points to ("" for nil elements).
func values(list *[]*string) []string {
	if list == nil {
		return nil
	}
	var out []string
	for _, s := range *list {
		out = append(out, str(s))
	}
	return out
}

func str(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// NewGuardrails creates the SCP and attaches it to the targets. It panics with every problem
// in props at once, and when the policy would exceed MaxPolicySize.
func NewGuardrails(scope constructs.Construct, id *string, props *GuardrailsProps) Guardrails {
	if props == nil {
		props = &GuardrailsProps{}
	}
	if err := props.validate(); err != nil {
		panic(err)
	}
	g := &guardrails{}
	constructs.NewConstruct_Override(g, scope, id)
	managed.Tag(g) // the guardrails protect the unnamed resources by this tag
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
	opts := DocumentOptions{Partition: partition, ExtraNames: extra, Exempt: exempt, SecurityAccount: str(props.SecurityAccount),
		Deployers: values(props.DeployerArns), DeploymentRoles: values(props.DeploymentRoleArns), DeploymentBuckets: values(props.DeploymentBucketNames),
		StackNames: values(props.StackNames), DetectionRoles: values(props.DetectionRoleArns),
		DetectionQueues: values(props.DetectionQueueNames), Responders: values(props.ResponderRoleArns)}
	docs, err := opts.Documents()
	if err != nil {
		panic(err)
	}
	g.documents = docs
	name := str(props.PolicyName)
	if name == "" {
		name = "trailguard-protect-logging"
	}
	parts := []struct{ id, name, description string }{
		{"Resource", name, "trailguard: member accounts cannot stop, delete or alter the API-call logging"},
		{"Deployment", name + "-deployment", "trailguard: only the deployers change trailguard's stacks and deployment roles; the Security account's bus and stream; staying in the organization"},
	}
	for i, doc := range docs {
		// Content is a JSON object in CloudFormation; Organizations stores it compactly, which
		// is the form whose size Documents checks.
		var content map[string]any
		if err := json.Unmarshal([]byte(doc), &content); err != nil {
			panic(err)
		}
		p := awsorganizations.NewCfnPolicy(g, jsii.String(parts[i].id), &awsorganizations.CfnPolicyProps{
			Name:        jsii.String(parts[i].name),
			Type:        jsii.String("SERVICE_CONTROL_POLICY"),
			Description: jsii.String(parts[i].description),
			Content:     content,
			TargetIds:   props.TargetIds,
		})
		// Deleting the stack must not silently lift the protection.
		p.ApplyRemovalPolicy(awscdk.RemovalPolicy_RETAIN_ON_UPDATE_OR_DELETE, nil)
		g.policies = append(g.policies, p)
	}
	return g
}

// Protected lists, per CloudFormation resource type, how the policy protects resources of
// that type: "name" (by ARN, the name starting with NamePrefix or listed in ExtraNames; a log
// group's also after /aws/lambda/, the name Lambda gives a function's log group), "tag" (by
// the trailguard:managed-by tag), "parent" (a policy or alias changed only through actions on
// its parent resource, which are denied) or "function" (an event source mapping, by the name
// of the function it invokes). Tests derive from the stacks that every resource they create
// is here.
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
	"AWS::Logs::LogGroup":          "name",
	"AWS::Lambda::Function":        "name",
	"AWS::DynamoDB::Table":         "name",
	"AWS::Scheduler::Schedule":     "name",
	"AWS::Athena::WorkGroup":       "name",
	"AWS::Athena::NamedQuery":      "parent",
	"AWS::Glue::Database":          "name",
	"AWS::Glue::Table":             "name",
	// An event source mapping's ARN is a UUID: it is protected by the function it invokes
	// (the condition key lambda:FunctionArn).
	"AWS::Lambda::EventSourceMapping": "function",
}

// union returns the distinct values of lists, in order.
func union(lists ...[]string) []string {
	var out []string
	seen := map[string]bool{}
	for _, l := range lists {
		for _, v := range l {
			if !seen[v] {
				seen[v] = true
				out = append(out, v)
			}
		}
	}
	return out
}

// statement is one SCP statement.
type statement struct {
	Sid       string         `json:"Sid"`
	Effect    string         `json:"Effect"`
	Action    []string       `json:"Action"`
	Resource  any            `json:"Resource"`
	Condition map[string]any `json:"Condition,omitempty"`
}

// DocumentOptions are what the policy documents are rendered from; the fields mirror
// GuardrailsProps: names starting with NamePrefix and ExtraNames are protected, principals
// matching Exempt are not restricted.
type DocumentOptions struct {
	// Partition is the ARN partition, such as "aws" (GuardrailsProps.Partition).
	Partition string
	// ExtraNames are GuardrailsProps.ExtraNames.
	ExtraNames []string
	// Exempt are GuardrailsProps.ExemptPrincipalArns.
	Exempt []string
	// SecurityAccount is GuardrailsProps.SecurityAccount; "" for none.
	SecurityAccount string
	// Deployers are GuardrailsProps.DeployerArns.
	Deployers []string
	// DeploymentRoles are GuardrailsProps.DeploymentRoleArns.
	DeploymentRoles []string
	// DeploymentBuckets are GuardrailsProps.DeploymentBucketNames.
	DeploymentBuckets []string
	// StackNames are GuardrailsProps.StackNames; empty for its default.
	StackNames []string
	// DetectionRoles are GuardrailsProps.DetectionRoleArns.
	DetectionRoles []string
	// DetectionQueues are GuardrailsProps.DetectionQueueNames.
	DetectionQueues []string
	// Responders are GuardrailsProps.ResponderRoleArns.
	Responders []string
}

// RestoringActions are the calls the automatic response makes to put a trailguard trail or
// forwarder rule back as deployed (cloudtrail-restore-trail, events-restore-forwarder-rule),
// and iam:PassRole of the forwarders' target roles to EventBridge (PutTargets needs it). The
// guardrails allow them to the responder role too; the responder role's own policy limits
// them to trailguard's trails, its forwarder rules, their deployed targets and events.amazonaws.com.
// The calls that silence logging (StopLogging, DeleteTrail, DisableRule, DeleteRule,
// RemoveTargets) stay denied to it.
var RestoringActions = []string{"cloudtrail:UpdateTrail", "cloudtrail:Put*Selectors", "events:PutRule", "events:PutTargets", "iam:PassRole"}

// Documents renders the policies: the logging resources' first, then (if it has statements)
// the deployment path's. It fails when one is over MaxPolicySize, naming its size.
func (o DocumentOptions) Documents() ([]string, error) {
	partition, extraNames, exempt, securityAccount := o.Partition, o.ExtraNames, o.Exempt, o.SecurityAccount
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
		"arn:%s:lambda:*:*:function:%s", "arn:%s:dynamodb:*:*:table/%s",
		// The forwarders' heartbeat schedules (in any schedule group).
		"arn:%s:scheduler:*:*:schedule/*/%s",
		// Lambda names a function's log group /aws/lambda/<function>.
		"arn:%s:logs:*:*:log-group:%s", "arn:%s:logs:*:*:log-group:/aws/lambda/%s",
		// The archive query workgroup (its named queries are authorized on it).
		"arn:%s:athena:*:*:workgroup/%s",
	} {
		named = append(named, arns(f)...)
	}
	// The archive query's Glue database and its tables: Glue names take no hyphen. Glue
	// authorizes table actions on the catalog, the database and the table
	// (https://docs.aws.amazon.com/glue/latest/dg/glue-specifying-resource-arns.html): a deny
	// on the database's ARN covers its tables.
	named = append(named, fmt.Sprintf("arn:%s:glue:*:*:database/%s*", partition, GlueNamePrefix), fmt.Sprintf("arn:%s:glue:*:*:table/%s*/*", partition, GlueNamePrefix))
	stmts := []statement{
		{Sid: "ProtectNamedLogging", Resource: named, Condition: notExempt, Action: []string{
			// Trails and their selectors.
			"cloudtrail:StopLogging", "cloudtrail:DeleteTrail", "cloudtrail:RemoveTags",
			// Log buckets, their policies and configuration, and the logs in them.
			"s3:DeleteBucket*", "s3:PutBucket*", "s3:PutLifecycleConfiguration", "s3:PutEncryptionConfiguration", "s3:PutReplicationConfiguration",
			"s3:DeleteObject*", "s3:PutObjectRetention", "s3:PutObjectLegalHold", "s3:BypassGovernanceRetention",
			// Forwarding rules, their targets and the receiving bus.
			"events:DeleteRule", "events:DisableRule", "events:RemoveTargets",
			"events:DeleteEventBus", "events:UpdateEventBus", "events:UntagResource",
			// The heartbeat schedules: deleted or changed, a forwarder would look alive or dead
			// at will (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoneventbridgescheduler.html).
			"scheduler:DeleteSchedule", "scheduler:UpdateSchedule", "scheduler:UntagResource",
			// The forwarders' roles and policies.
			"iam:DeleteRole*", "iam:PutRole*", "iam:UpdateRole*", "iam:UpdateAssumeRolePolicy", "iam:AttachRolePolicy", "iam:DetachRolePolicy",
			"iam:UntagRole", "iam:CreatePolicyVersion", "iam:DeletePolicy*", "iam:SetDefaultPolicyVersion",
			// The Security account's stream.
			"kinesis:DeleteStream", "kinesis:DecreaseStreamRetentionPeriod", "kinesis:StopStreamEncryption", "kinesis:MergeShards",
			"kinesis:UpdateMaxRecordSize", "kinesis:DeleteResourcePolicy", "kinesis:PutResourcePolicy", "kinesis:RemoveTagsFromStream",
			// The detection functions: deleted, replaced, throttled (reserved concurrency 0),
			// re-configured, exposed; and whoever could pass their roles to a function of
			// their own would act with them (claim dedupe keys, decrypt the archive).
			"lambda:DeleteFunction*", "lambda:UpdateFunction*", "lambda:PutFunction*", "lambda:PutRuntimeManagementConfig", "lambda:CreateFunctionUrlConfig",
			"lambda:AddPermission", "lambda:RemovePermission", "lambda:PutResourcePolicy", "lambda:DeleteResourcePolicy", "lambda:UntagResource",
			// The dedupe table (deletion protection, expiry, recovery, policy) and the
			// functions' logs.
			"dynamodb:DeleteTable", "dynamodb:UpdateTable", "dynamodb:UpdateTimeToLive", "dynamodb:UpdateContinuousBackups", "dynamodb:PutResourcePolicy",
			"dynamodb:DeleteResourcePolicy", "dynamodb:UntagResource",
			"logs:DeleteLogGroup", "logs:DeleteLogStream", "logs:PutRetentionPolicy", "logs:DeleteRetentionPolicy", "logs:DisassociateKmsKey", "logs:*SubscriptionFilter",
			// The archive query: its workgroup (results location, encryption, scan cutoff), its
			// saved queries and its table (a changed location or SerDe answers wrongly).
			"athena:DeleteWorkGroup", "athena:UpdateWorkGroup", "athena:DeleteNamedQuery", "athena:UpdateNamedQuery", "athena:UntagResource",
			"glue:DeleteDatabase", "glue:UpdateDatabase", "glue:DeleteTable", "glue:BatchDeleteTable", "glue:UpdateTable", "glue:DeleteTableVersion", "glue:BatchDeleteTableVersion",
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
	}
	// The second policy: the ways around the first (exempt and deployment roles,
	// CloudFormation), the actions without resource ARNs, and the organization itself.
	second := []statement{
		// An exemption by role name is only as strong as the role: nobody else may create a
		// role of an exempt name, or change who can assume one or what it may do. The
		// deployers' roles and the deployment roles too: cdk bootstrap, run by a deployer,
		// creates them.
		{Sid: "ProtectExemptRoles", Resource: union(exempt, o.DeploymentRoles, o.Deployers),
			Condition: map[string]any{"ArnNotLike": map[string]any{"aws:PrincipalArn": union(exempt, o.Deployers)}}, Action: []string{
				"iam:CreateRole", "iam:DeleteRole*", "iam:UpdateAssumeRolePolicy", "iam:PutRole*", "iam:UpdateRole*", "iam:AttachRolePolicy", "iam:DetachRolePolicy",
			}},
		{Sid: "StayInOrganization", Action: []string{"organizations:LeaveOrganization"}, Resource: "*"},
	}
	if len(o.Deployers) > 0 {
		// CloudFormation acts with the execution role, which is exempt: whoever could change
		// or delete a trailguard stack, assume the deploy role or pass the execution role
		// would act with its rights. Only deployers, and the deploy role or StackSets acting
		// for them, may.
		stacks := o.StackNames
		if len(stacks) == 0 {
			stacks = []string{NamePrefix + "*", "StackSet-" + NamePrefix + "*"}
		}
		var res []string
		for _, n := range stacks {
			res = append(res, fmt.Sprintf("arn:%s:cloudformation:*:*:stack/%s/*", partition, n))
		}
		for _, b := range o.DeploymentBuckets {
			res = append(res, fmt.Sprintf("arn:%s:s3:::%s", partition, b), fmt.Sprintf("arn:%s:s3:::%s/*", partition, b))
		}
		second = append(second, statement{Sid: "ProtectDeployment", Resource: union(res, o.DeploymentRoles),
			Condition: map[string]any{"ArnNotLike": map[string]any{"aws:PrincipalArn": union(exempt, o.Deployers, o.DeploymentRoles)}},
			Action: []string{"cloudformation:UpdateStack", "cloudformation:DeleteStack", "cloudformation:UpdateTerminationProtection", "cloudformation:CreateChangeSet", "cloudformation:ExecuteChangeSet",
				"cloudformation:SetStackPolicy", "cloudformation:ContinueUpdateRollback", "cloudformation:RollbackStack", "sts:AssumeRole", "iam:PassRole",
				"s3:PutObject", "s3:DeleteObject*", "s3:PutBucketPolicy", "s3:DeleteBucket*"}})
	}
	// The restoring calls (RestoringActions) on the protected trails, rules and roles: denied
	// to all but the exempt principals and the responder role, whose own policy limits them to
	// its restores. An action only matches its own service's ARNs: these are all it needs.
	second = append(second, statement{Sid: "ProtectNamedLoggingRestores", Resource: union(arns("arn:%s:cloudtrail:*:*:trail/%s"), arns("arn:%s:events:*:*:rule/%s"), arns("arn:%s:events:*:*:rule/*/%s"), arns("arn:%s:iam::*:role/%s")),
		Condition: map[string]any{"ArnNotLike": map[string]any{"aws:PrincipalArn": union(exempt, o.Responders)}}, Action: RestoringActions})
	if len(o.Responders) > 0 {
		// The responder passes only the forwarders' target roles, and only to EventBridge
		// (PutTargets): a role passed to any other service would act with its rights.
		second = append(second, statement{Sid: "ResponderPassesOnlyToEventBridge", Resource: arns("arn:%s:iam::*:role/%s"), Action: []string{"iam:PassRole"},
			Condition: map[string]any{"ArnLike": map[string]any{"aws:PrincipalArn": o.Responders}, "StringNotEquals": map[string]any{"iam:PassedToService": "events.amazonaws.com"}}})
	}
	// The detection functions' state: only the functions claim dedupe keys (a key claimed by
	// anyone else silences the alert it stands for) and take the archive queue's messages (a
	// message taken by anyone else is never checked).
	state := statement{Sid: "ProtectDetectionState", Resource: arns("arn:%s:dynamodb:*:*:table/%s"),
		Condition: map[string]any{"ArnNotLike": map[string]any{"aws:PrincipalArn": union(exempt, o.DetectionRoles)}},
		Action:    []string{"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem", "dynamodb:PartiQL*"}}
	if len(o.DetectionQueues) > 0 {
		for _, q := range o.DetectionQueues {
			state.Resource = append(state.Resource.([]string), fmt.Sprintf("arn:%s:sqs:*:*:%s", partition, q))
		}
		state.Action = append(state.Action, "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility")
	}
	second = append(second, state)
	// An event source mapping's ARN is a UUID: it is protected by the function it invokes.
	// lambda:CreateEventSourceMapping has no resource-level permissions (Service
	// Authorization Reference, "Actions defined by AWS Lambda",
	// https://docs.aws.amazon.com/service-authorization/latest/reference/list_awslambda.html),
	// hence "*" for all three.
	second = append(second, statement{Sid: "ProtectDetectionMappings", Resource: "*", Action: []string{"lambda:CreateEventSourceMapping", "lambda:UpdateEventSourceMapping", "lambda:DeleteEventSourceMapping"},
		Condition: map[string]any{"ArnNotLike": map[string]any{"aws:PrincipalArn": exempt}, "ArnLike": map[string]any{"lambda:FunctionArn": arns("arn:%s:lambda:*:*:function:%s")}}})
	if securityAccount != "" {
		second = append(second, statement{Sid: "ProtectSecurityBusAndStream", Resource: "*", Action: WildcardOnlyActions, Condition: map[string]any{
			"ArnNotLike":   map[string]any{"aws:PrincipalArn": exempt},
			"StringEquals": map[string]any{"aws:PrincipalAccount": securityAccount},
		}})
	}
	var docs []string
	for i, list := range [][]statement{stmts, second} {
		for j := range list {
			list[j].Effect = "Deny"
		}
		b, err := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": list})
		if err != nil {
			return nil, err
		}
		doc := string(b)
		if len(doc) > MaxPolicySize {
			return nil, fmt.Errorf("guardrails: service control policy %d of 2 is %d characters, over the %d Organizations allows: shorten or remove renamed resources (%s), exempt principals (%d patterns) or deployers (%d patterns), e.g. by using the default trailguard- names or one wildcard pattern",
				i+1, len(doc), MaxPolicySize, strings.Join(extraNames, ", "), len(exempt), len(o.Deployers))
		}
		docs = append(docs, doc)
	}
	return docs, nil
}
