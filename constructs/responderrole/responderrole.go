// Package responderrole provides the role the Security account's responder function
// (constructs/responder) assumes in each account to carry out the automatic response
// (docs/response.md): it may read and restore exactly what the response actions touch
// (Block Public Access of buckets and of the account, ingress rules of security groups,
// trail logging, access key status) and nothing else, and only the responder function's role
// may assume it.
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
}

var (
	accountRe  = regexp.MustCompile(`^[0-9]{12}$`)
	roleNameRe = regexp.MustCompile(`^[A-Za-z0-9+=,.@_-]{1,64}$`)
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
	cdknag.NagSuppressions_AddResourceSuppressions(policy, &[]*cdknag.NagPackSuppression{{
		Id: jsii.String("AwsSolutions-IAM5"),
		Reason: jsii.String("The responder acts on whichever bucket, security group, trail or user an event names, so its resources are every one of a type in this account; " +
			"the actions are only the reads and restores of the response actions, account Block Public Access and the EC2 describes have no resource type (authorized on *), " +
			"and only the Security account's responder function may assume the role."),
	}}, jsii.Bool(true))
	return r
}

func (r *responderRole) Role() awsiam.IRole { return r.role }
