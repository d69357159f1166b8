// Package responderrole provides the role the Security account's responder function
// (constructs/responder) assumes in each account to carry out the automatic response
// (docs/response.md): it may read and restore exactly what the response actions touch
// (Block Public Access of buckets and of the account, ingress rules of security groups,
// trail logging, access key status, and with TrailNames and ForwarderTargetArns trailguard's
// own trails and forwarder rules as deployed) and nothing else, and only the responder
// function's role may assume it.
//
// Usage, in every account's stack (IAM is global: create it in one region only):
//
//	responderrole.NewResponderRole(stack, jsii.String("ResponderRole"), &responderrole.ResponderRoleProps{
//		SecurityAccount:      jsii.String("222222222222"),
//		ResponderFunctionRoleName: jsii.String("trailguard-responder-function"),
//	})
package responderrole

import (
	"errors"
	"fmt"
	"regexp"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/trailguard/trailguard/constructs/accounttrail"
	"github.com/trailguard/trailguard/constructs/eventforwarder"
	"github.com/trailguard/trailguard/constructs/internal/managed"
	"github.com/trailguard/trailguard/internal/respond"
)

// RoleName is the role's name: the responder assumes it by this name in every account.
const RoleName = respond.RoleName

// DefaultFunctionRoleName is the name of the responder function's role in the Security
// account.
const DefaultFunctionRoleName = "trailguard-responder-function"

// ResponderRoleProps configures a ResponderRole.
type ResponderRoleProps struct {
	// SecurityAccount is the Security account's id, where the responder function runs.
	// Required.
	SecurityAccount *string
	// ResponderFunctionRoleName is the name of the responder function's role in the Security
	// account: the only principal that may assume this role.
	// Default: DefaultFunctionRoleName.
	ResponderFunctionRoleName *string
	// TrailNames are the names of trailguard's trails (the organization trail's, the local
	// trails'), which the role may restore as deployed (cloudtrail-restore-trail): read their
	// configuration, UpdateTrail, PutEventSelectors, PutInsightSelectors and StartLogging, on
	// those trails of its own account only. Default: none, and the role restores no trail.
	TrailNames *[]*string
	// ForwarderTargetArns are the ARNs of the forwarders' targets (the Security account's
	// stream and receiving bus): with them the role may restore the forwarder rules
	// (eventforwarder's StreamRuleName, BusRuleName, AlarmsRuleName) as deployed
	// (events-restore-forwarder-rule): DescribeRule, ListTargetsByRule, EnableRule, PutRule,
	// and PutTargets to these targets only, passing only the forwarders' roles to
	// EventBridge. Default: none, and the role restores no rule.
	ForwarderTargetArns *[]*string
}

var (
	accountRe   = regexp.MustCompile(`^[0-9]{12}$`)
	roleNameRe  = regexp.MustCompile(`^[A-Za-z0-9+=,.@_-]{1,64}$`)
	trailNameRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{2,127}$`)
	targetArnRe = regexp.MustCompile(`^arn:aws[a-z-]*:(kinesis:[a-z0-9-]+:[0-9]{12}:stream|events:[a-z0-9-]+:[0-9]{12}:event-bus)/[A-Za-z0-9._-]+$`)
)

func (p *ResponderRoleProps) validate() error {
	if p == nil {
		return errors.New("responderrole: props are required")
	}
	var errs []error
	if p.SecurityAccount == nil || (!*awscdk.Token_IsUnresolved(p.SecurityAccount) && !accountRe.MatchString(*p.SecurityAccount)) {
		errs = append(errs, fmt.Errorf("responderrole: SecurityAccount must be a 12-digit account id, got %q", deref(p.SecurityAccount)))
	}
	if n := p.ResponderFunctionRoleName; n != nil && !*awscdk.Token_IsUnresolved(n) && !roleNameRe.MatchString(*n) {
		errs = append(errs, fmt.Errorf("responderrole: ResponderFunctionRoleName must be an IAM role name (at most 64 of A-Za-z0-9+=,.@_-), got %q", *n))
	}
	if p.TrailNames != nil {
		for i, n := range *p.TrailNames {
			if n == nil || (!*awscdk.Token_IsUnresolved(n) && !trailNameRe.MatchString(*n)) {
				errs = append(errs, fmt.Errorf("responderrole: TrailNames[%d] must be a trail name (3-128 letters, digits, periods, underscores, hyphens; no wildcard), got %q", i, deref(n)))
			}
		}
	}
	if p.ForwarderTargetArns != nil {
		for i, a := range *p.ForwarderTargetArns {
			if a == nil || !targetArnRe.MatchString(*a) {
				errs = append(errs, fmt.Errorf("responderrole: ForwarderTargetArns[%d] must be a Kinesis stream or event bus ARN such as arn:aws:kinesis:eu-west-1:222222222222:stream/trailguard-security-events, got %q", i, deref(a)))
			}
		}
	}
	return errors.Join(errs...)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// ResponderRole is the responder's role in one account.
type ResponderRole interface {
	constructs.Construct
	// Role is the role.
	Role() awsiam.IRole
}

type responderRole struct {
	constructs.Construct
	role awsiam.Role
}

// NewResponderRole creates the role (child "Resource") and its managed policy. It panics
// with a descriptive error if props are invalid.
func NewResponderRole(scope constructs.Construct, id *string, props *ResponderRoleProps) ResponderRole {
	if err := props.validate(); err != nil {
		panic(err)
	}
	fnRole := DefaultFunctionRoleName
	if props.ResponderFunctionRoleName != nil {
		fnRole = *props.ResponderFunctionRoleName
	}
	r := &responderRole{}
	constructs.NewConstruct_Override(r, scope, id)
	managed.Tag(r)

	// Trusted by the Security account narrowed to the function's role by aws:PrincipalArn,
	// never by the role's ARN as principal: IAM refuses a trust policy naming a role that
	// does not exist yet, and breaks it when the role is re-created
	// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-roles).
	fnArn := awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String("arn:"), awscdk.Aws_PARTITION(), jsii.String(":iam::" + *props.SecurityAccount + ":role/" + fnRole)})
	// The account's root as an ARN with the partition as a pseudo parameter, so that the
	// template is the same in a member stack and in the StackSet.
	root := awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String("arn:"), awscdk.Aws_PARTITION(), jsii.String(":iam::" + *props.SecurityAccount + ":root")})
	principal := awsiam.NewArnPrincipal(root).WithConditions(&map[string]any{
		"ArnEquals": map[string]any{"aws:PrincipalArn": fnArn},
	})
	r.role = awsiam.NewRole(r, jsii.String("Resource"), &awsiam.RoleProps{
		RoleName:           jsii.String(RoleName),
		Description:        jsii.String("trailguard: the automatic response (docs/response.md), assumed only by the Security account's responder function"),
		AssumedBy:          principal,
		MaxSessionDuration: awscdk.Duration_Hours(jsii.Number(1)),
	})
	arn := func(parts ...string) *string {
		ps := []*string{jsii.String("arn:"), awscdk.Aws_PARTITION()}
		for _, p := range parts {
			switch p {
			case "{account}":
				ps = append(ps, awscdk.Aws_ACCOUNT_ID())
			default:
				ps = append(ps, jsii.String(p))
			}
		}
		return awscdk.Fn_Join(jsii.String(""), &ps)
	}
	// Actions and resource types from the Service Authorization Reference:
	// https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html,
	// list_amazonec2.html, list_awscloudtrail.html, list_awsidentityandaccessmanagementiam.html.
	policy := awsiam.NewManagedPolicy(r, jsii.String("Policy"), &awsiam.ManagedPolicyProps{
		ManagedPolicyName: jsii.String(RoleName),
		Description:       jsii.String("trailguard: read and restore what the response actions touch, nothing else"),
		Roles:             &[]awsiam.IRole{r.role},
		Statements: &[]awsiam.PolicyStatement{
			// GetPublicAccessBlock and PutPublicAccessBlock on a bucket are authorized as
			// s3:GetBucketPublicAccessBlock and s3:PutBucketPublicAccessBlock.
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid:       jsii.String("BucketBlockPublicAccess"),
				Actions:   jsii.Strings("s3:GetBucketPublicAccessBlock", "s3:PutBucketPublicAccessBlock", "s3:GetBucketTagging"),
				Resources: &[]*string{arn(":s3:::*")},
			}),
			// The account's setting has no resource type: authorized on *.
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid:       jsii.String("AccountBlockPublicAccess"),
				Actions:   jsii.Strings("s3:GetAccountPublicAccessBlock", "s3:PutAccountPublicAccessBlock"),
				Resources: jsii.Strings("*"),
			}),
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid:       jsii.String("DescribeSecurityGroups"),
				Actions:   jsii.Strings("ec2:DescribeSecurityGroupRules", "ec2:DescribeSecurityGroups"),
				Resources: jsii.Strings("*"),
			}),
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid:       jsii.String("RevokeIngress"),
				Actions:   jsii.Strings("ec2:RevokeSecurityGroupIngress"),
				Resources: &[]*string{arn(":ec2:*:", "{account}", ":security-group/*")},
			}),
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid:       jsii.String("StartLogging"),
				Actions:   jsii.Strings("cloudtrail:GetTrailStatus", "cloudtrail:StartLogging"),
				Resources: &[]*string{arn(":cloudtrail:*:", "{account}", ":trail/*")},
			}),
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid:       jsii.String("DeactivateAccessKey"),
				Actions:   jsii.Strings("iam:ListAccessKeys", "iam:UpdateAccessKey"),
				Resources: &[]*string{arn(":iam::", "{account}", ":user/*")},
			}),
		},
	})
	for _, st := range restoreStatements(props, arn) {
		policy.AddStatements(st)
	}
	cdknag.NagSuppressions_AddResourceSuppressions(policy, &[]*cdknag.NagPackSuppression{{
		Id: jsii.String("AwsSolutions-IAM5"),
		Reason: jsii.String("The responder acts on whichever bucket, security group, trail or user an event names, so its resources are every one of a type in this account; " +
			"its restores are on trailguard's trails and forwarder rules by name, the local trails' buckets and the forwarders' roles by their trailguard- prefixes with the region or account at the end; " +
			"the actions are only the reads and restores of the response actions, account Block Public Access and the EC2 describes have no resource type (authorized on *), " +
			"and only the Security account's responder function may assume the role."),
	}}, jsii.Bool(true))
	return r
}

func (r *responderRole) Role() awsiam.IRole { return r.role }

// restoreStatements are the permissions of the restoring actions: exactly their reads and
// calls, on trailguard's trails (by name) and forwarder rules (by name) of the role's own
// account, targets limited to the deployed ones by events:TargetArn, and iam:PassRole of the
// forwarders' roles only to EventBridge. Not StopLogging, DeleteTrail, DisableRule,
// DeleteRule or RemoveTargets: nothing that could silence logging. UpdateTrail and
// PutEventSelectors take any parameters (IAM has no condition keys for them): that the
// responder writes only synth's definitions is the function's code, which only the
// deployers may change (the guardrails).
// https://docs.aws.amazon.com/service-authorization/latest/reference/list_awscloudtrail.html,
// list_amazoneventbridge.html, list_amazoncloudwatch.html, list_amazons3.html.
func restoreStatements(props *ResponderRoleProps, arn func(parts ...string) *string) []awsiam.PolicyStatement {
	var out []awsiam.PolicyStatement
	if names := strs(props.TrailNames); len(names) > 0 {
		var trails []*string
		for _, n := range names {
			trails = append(trails, arn(":cloudtrail:*:", "{account}", ":trail/"+n))
		}
		out = append(out,
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid: jsii.String("RestoreTrails"),
				Actions: jsii.Strings("cloudtrail:GetTrail", "cloudtrail:GetTrailStatus", "cloudtrail:GetEventSelectors", "cloudtrail:GetInsightSelectors",
					"cloudtrail:UpdateTrail", "cloudtrail:PutEventSelectors", "cloudtrail:PutInsightSelectors", "cloudtrail:StartLogging"),
				Resources: &trails,
			}),
			// UpdateTrail of an organization trail checks CloudTrail's trusted access in
			// Organizations with the caller's rights (InsufficientDependencyServiceAccessPermission):
			// https://docs.aws.amazon.com/awscloudtrail/latest/userguide/creating-an-organizational-trail-prepare.html.
			// Reads only, with no resource type.
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid:       jsii.String("ReadOrganizationForTheOrganizationTrail"),
				Actions:   jsii.Strings("organizations:DescribeOrganization", "organizations:ListAWSServiceAccessForOrganization"),
				Resources: jsii.Strings("*"),
			}),
			// The local trail's key is the one its bucket encrypts with by default.
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid:       jsii.String("ReadLocalTrailBucketKey"),
				Actions:   jsii.Strings("s3:GetEncryptionConfiguration"),
				Resources: &[]*string{arn(":s3:::"+accounttrail.BucketNamePrefix, "{account}", "-*")},
			}),
		)
	}
	if targets := strs(props.ForwarderTargetArns); len(targets) > 0 {
		var rules []*string
		for _, n := range []string{eventforwarder.StreamRuleName, eventforwarder.BusRuleName, eventforwarder.AlarmsRuleName} {
			rules = append(rules, arn(":events:*:", "{account}", ":rule/"+n))
		}
		out = append(out,
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid:       jsii.String("RestoreForwarderRules"),
				Actions:   jsii.Strings("events:DescribeRule", "events:ListTargetsByRule", "events:EnableRule", "events:PutRule"),
				Resources: &rules,
			}),
			// events:TargetArn holds every target of a PutTargets call: all must be the
			// deployed ones.
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid:       jsii.String("RestoreForwarderTargets"),
				Actions:   jsii.Strings("events:PutTargets"),
				Resources: &rules,
				Conditions: &map[string]any{
					"ForAllValues:ArnEquals": map[string]any{"events:TargetArn": targets},
					"Null":                   map[string]any{"events:TargetArn": "false"},
				},
			}),
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid:     jsii.String("PassForwarderRolesToEventBridge"),
				Actions: jsii.Strings("iam:PassRole"),
				Resources: &[]*string{
					arn(":iam::", "{account}", ":role/"+eventforwarder.StreamRoleNamePrefix+"*"),
					arn(":iam::", "{account}", ":role/"+eventforwarder.BusRoleNamePrefix+"*"),
				},
				Conditions: &map[string]any{"StringEquals": map[string]any{"iam:PassedToService": "events.amazonaws.com"}},
			}),
			// The dead-letter queues' names are CloudFormation's: their alarms name them.
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid:     jsii.String("FindForwarderDeadLetterQueues"),
				Actions: jsii.Strings("cloudwatch:DescribeAlarms"),
				Resources: &[]*string{
					arn(":cloudwatch:*:", "{account}", ":alarm:"+eventforwarder.StreamDeadLetterAlarmName),
					arn(":cloudwatch:*:", "{account}", ":alarm:"+eventforwarder.BusDeadLetterAlarmName),
				},
			}),
		)
	}
	return out
}

func strs(l *[]*string) []string {
	if l == nil {
		return nil
	}
	out := make([]string, 0, len(*l))
	for _, s := range *l {
		out = append(out, *s)
	}
	return out
}
