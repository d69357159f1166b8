// Package historyreader provides the role that incident responders assume in each account to
// export its CloudTrail Event History (`trailguard history export --org`): it may call
// cloudtrail:LookupEvents and account:ListRegions (on its own account), nothing else, and
// only the investigator principals it names may assume it. The trust names their accounts
// and the investigators by aws:PrincipalArn, so they need not exist before the role; their own
// identity policies must allow sts:AssumeRole on it.
//
// Usage, in every account's stack (IAM is global: create it in one region only):
//
//	historyreader.NewHistoryReader(stack, jsii.String("EventHistoryReader"), &historyreader.HistoryReaderProps{
//		InvestigatorArns: jsii.Strings("arn:aws:iam::222222222222:role/security-investigator"),
//	})
package historyreader

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/trailguard/trailguard/constructs/internal/check"
	"github.com/trailguard/trailguard/constructs/internal/managed"
	"github.com/trailguard/trailguard/constructs/internal/trust"
)

// DefaultRoleName is the role's name unless RoleName says otherwise; the history export
// assumes it by this name (its --role-name default).
const DefaultRoleName = "trailguard-event-history-reader"

// HistoryReaderProps configures a HistoryReader.
type HistoryReaderProps struct {
	// InvestigatorArns are the IAM role ARNs that may assume the role: exact ARNs, no
	// wildcards, no account roots. They need not exist yet: the trust policy names their
	// accounts, narrowed to these ARNs by aws:PrincipalArn. Required.
	InvestigatorArns *[]*string
	// RoleName is the role's name. It must start with "trailguard-" so that the guardrails
	// and alerts recognise it.
	// Default: DefaultRoleName.
	RoleName *string
}

var (
	roleArnRe  = regexp.MustCompile(`^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+$`)
	roleNameRe = regexp.MustCompile(`^trailguard-[A-Za-z0-9+=,.@_-]{1,53}$`)
)

func (p *HistoryReaderProps) validate() error {
	if p == nil {
		return errors.New("historyreader: props are required")
	}
	var errs []error
	if p.InvestigatorArns == nil || len(*p.InvestigatorArns) == 0 {
		errs = append(errs, errors.New("historyreader: InvestigatorArns is required: the IAM role ARNs of the incident responders who may export Event History"))
	} else {
		for i, a := range *p.InvestigatorArns {
			switch {
			case a == nil:
				errs = append(errs, fmt.Errorf("historyreader: InvestigatorArns[%d] must be an IAM role ARN, got an empty value", i))
			case *awscdk.Token_IsUnresolved(a):
			case !roleArnRe.MatchString(*a):
				errs = append(errs, fmt.Errorf("historyreader: InvestigatorArns[%d] must be an IAM role ARN such as arn:aws:iam::222222222222:role/security-investigator (no wildcards, no account root), got %q", i, *a))
			}
		}
	}
	if n := p.RoleName; n != nil && !*awscdk.Token_IsUnresolved(n) && !roleNameRe.MatchString(*n) {
		errs = append(errs, fmt.Errorf("historyreader: RoleName must be an IAM role name of at most 64 characters starting with trailguard- (the guardrails and alerts recognise trailguard's resources by it), got %q", *n))
	}
	return errors.Join(errs...)
}

// HistoryReader is the Event History reader role.
type HistoryReader interface {
	constructs.Construct
	// Role is the role investigators assume.
	Role() awsiam.IRole
}

type historyReader struct {
	constructs.Construct
	name string
	role awsiam.Role
}

// NewHistoryReader creates the role (child "Resource") and its managed policy. It panics with
// a descriptive error if props are invalid.
func NewHistoryReader(scope constructs.Construct, id *string, props *HistoryReaderProps) HistoryReader {
	if err := props.validate(); err != nil {
		panic(err)
	}
	name := DefaultRoleName
	if props.RoleName != nil {
		name = *props.RoleName
	}
	same := func(c constructs.IConstruct) bool {
		r, ok := c.(*historyReader)
		return ok && r.name == name
	}
	if err := check.OnePerStack(scope, same, "historyreader.HistoryReader", *scope.Node().Path()+"/"+*id, "its role and policy are both named "+name+", and IAM names are unique per account"); err != nil {
		panic(err)
	}
	r := &historyReader{name: name}
	constructs.NewConstruct_Override(r, scope, id)
	managed.Tag(r) // the guardrails protect the unnamed resources by this tag

	// The investigators' accounts narrowed to them by aws:PrincipalArn: they need not exist
	// before the role (trust.PrincipalsByArn).
	var arns []string
	for _, a := range *props.InvestigatorArns {
		arns = append(arns, *a)
	}
	r.role = awsiam.NewRole(r, jsii.String("Resource"), &awsiam.RoleProps{
		RoleName:    jsii.String(name),
		Description: jsii.String("trailguard: lets incident responders export this account's CloudTrail Event History (" + strings.Join(arns, ", ") + ")"),
		AssumedBy:   trust.PrincipalsByArn(*props.InvestigatorArns),
	})
	// A managed policy named like the role, so the guardrails can protect it by ARN.
	policy := awsiam.NewManagedPolicy(r, jsii.String("Policy"), &awsiam.ManagedPolicyProps{
		ManagedPolicyName: jsii.String(name),
		Description:       jsii.String("trailguard: read CloudTrail Event History and list the account's regions"),
		Roles:             &[]awsiam.IRole{r.role},
		Statements: &[]awsiam.PolicyStatement{
			// The Service Authorization Reference lists no resource type for LookupEvents: IAM
			// authorizes it only on *.
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid:       jsii.String("LookupEvents"),
				Actions:   jsii.Strings("cloudtrail:LookupEvents"),
				Resources: jsii.Strings("*"),
			}),
			// ListRegions takes the account resource: this account only.
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid:     jsii.String("ListRegions"),
				Actions: jsii.Strings("account:ListRegions"),
				Resources: &[]*string{awscdk.Fn_Join(jsii.String(""), &[]*string{
					jsii.String("arn:"), awscdk.Aws_PARTITION(), jsii.String(":account::"), awscdk.Aws_ACCOUNT_ID(), jsii.String(":account"),
				})},
			}),
		},
	})
	cdknag.NagSuppressions_AddResourceSuppressions(policy, &[]*cdknag.NagPackSuppression{{
		Id:        jsii.String("AwsSolutions-IAM5"),
		AppliesTo: &[]any{"Resource::*"},
		Reason: jsii.String("cloudtrail:LookupEvents has no resource type in the Service Authorization Reference (AWS CloudTrail), so IAM authorizes it only on *; " +
			"the statement allows nothing else, and only the named investigators may assume the role."),
	}}, jsii.Bool(true))
	return r
}

func (r *historyReader) Role() awsiam.IRole { return r.role }
