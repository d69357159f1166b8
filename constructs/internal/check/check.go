// Package check collects the problems in a construct's props so that the construct can report
// all of them at once, each naming the field and showing the value.
//
// Values that are unresolved CDK tokens are not checked: they are only known at deploy time.
package check

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"

	"github.com/trailguard/trailguard/constructs/statements"
)

// Common patterns.
var (
	// OrganizationID is an AWS Organizations organization id.
	OrganizationID = regexp.MustCompile(`^o-[a-z0-9]{10,32}$`)
	// BucketName is an S3 general-purpose bucket name without dots (a dotted name breaks
	// virtual-hosted TLS, and the buckets these constructs make are TLS-only).
	BucketName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$`)
	// Region is an AWS region name such as eu-west-1.
	Region = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)
	// PrincipalARN is an IAM role or user ARN.
	PrincipalARN = regexp.MustCompile(`^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/[A-Za-z0-9+=,.@_/-]+$`)
	// PrincipalARNPattern is an IAM role or user ARN with wildcards allowed, for ArnLike
	// conditions on aws:PrincipalArn in Deny statements.
	PrincipalARNPattern = regexp.MustCompile(`^arn:aws[a-z-]*:iam::([0-9]{12}|\*):(role|user)/[A-Za-z0-9+=,.@_/*?-]+$`)
)

// NamePrefix starts the name of every resource trailguard creates: the guardrails protect
// named resources by it, and the alert rules and detection rules recognise tampering with
// trailguard's own resources by it (guardrails.NamePrefix and eventsink.ResourcePrefix are the
// same string).
const NamePrefix = "trailguard-"

// Unprotected returns the problem with a name that lacks NamePrefix, or "" if it has it or is
// not known yet: a resource named otherwise is neither protected by the guardrails nor
// recognised by the alerts, silently.
func Unprotected(field string, v *string) string {
	if v == nil || Unresolved(v) || strings.HasPrefix(*v, NamePrefix) {
		return ""
	}
	return fmt.Sprintf("%s must start with %s: the guardrails protect trailguard's resources and the alerts recognise tampering with them by that prefix, so a resource named otherwise would be neither protected nor watched; got %q", field, NamePrefix, *v)
}

// Protected records a problem if the name v lacks NamePrefix (see Unprotected).
func (p *Problems) Protected(field string, v *string) {
	if msg := Unprotected(field, v); msg != "" {
		p.Addf("%s", msg)
	}
}

// LogGroupRetentionDays are the retention periods, in days, CloudWatch Logs accepts.
var LogGroupRetentionDays = []float64{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

// Problems collects the problems of one props struct.
type Problems struct {
	prefix string
	errs   []error
}

// New starts collecting problems for the construct package pkg, whose name prefixes every
// message ("logarchive: ...").
func New(pkg string) *Problems {
	return &Problems{prefix: pkg + ": "}
}

// Addf records a problem.
func (p *Problems) Addf(format string, args ...any) {
	p.errs = append(p.errs, fmt.Errorf(p.prefix+format, args...))
}

// Err returns every problem recorded, one per line, or nil.
func (p *Problems) Err() error {
	return errors.Join(p.errs...)
}

// Unresolved reports whether v is a CDK token, whose value is only known at deploy time.
func Unresolved(v *string) bool {
	return v != nil && *awscdk.Token_IsUnresolved(v)
}

// Known reports whether v is set and not a token, i.e. whether its value can be checked now.
func Known(v *string) bool {
	return v != nil && !Unresolved(v)
}

// Required records a problem if field is unset or empty and reports whether it is set.
func (p *Problems) Required(field string, v *string, want string) bool {
	if v == nil || *v == "" {
		p.Addf("%s is required: %s", field, want)
		return false
	}
	return true
}

// Match records a problem if the field's value is set, known and does not match re. want
// describes a valid value.
func (p *Problems) Match(field string, v *string, re *regexp.Regexp, want string) bool {
	if !Known(v) || re.MatchString(*v) {
		return true
	}
	p.Addf("%s must be %s, got %q", field, want, *v)
	return false
}

// RequiredMatch is Required followed by Match.
func (p *Problems) RequiredMatch(field string, v *string, re *regexp.Regexp, want string) bool {
	return p.Required(field, v, want) && p.Match(field, v, re, want)
}

// Days records a problem if the field is set and is not a whole number of days in [lo, hi].
func (p *Problems) Days(field string, v *float64, lo, hi int) bool {
	if v == nil {
		return true
	}
	if *v != float64(int(*v)) || int(*v) < lo || int(*v) > hi {
		p.Addf("%s must be a whole number of days from %d to %d, got %v", field, lo, hi, *v)
		return false
	}
	return true
}

// List records a problem for every entry of the list field that is empty, a duplicate or,
// when known, does not match re.
func (p *Problems) List(field string, vs *[]*string, re *regexp.Regexp, want string) {
	if vs == nil {
		return
	}
	seen := map[string]int{}
	for i, v := range *vs {
		name := fmt.Sprintf("%s[%d]", field, i)
		if v == nil || *v == "" {
			p.Addf("%s must be %s, got an empty value", name, want)
			continue
		}
		if first, dup := seen[*v]; dup {
			p.Addf("%s repeats %s[%d] (%q)", name, field, first, *v)
			continue
		}
		seen[*v] = i
		p.Match(name, v, re, want)
	}
}

// Strings returns the non-nil entries of vs.
func Strings(vs *[]*string) []string {
	if vs == nil {
		return nil
	}
	out := make([]string, 0, len(*vs))
	for _, v := range *vs {
		if v != nil {
			out = append(out, *v)
		}
	}
	return out
}

// ARN is the parsed form of an Amazon Resource Name.
type ARN struct {
	Partition, Service, Region, Account, Resource string
}

// ParseARN splits an ARN into its parts; ok is false if s is not an ARN.
func ParseARN(s string) (a ARN, ok bool) {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[1] == "" || parts[2] == "" {
		return ARN{}, false
	}
	return ARN{Partition: parts[1], Service: parts[2], Region: parts[3], Account: parts[4], Resource: parts[5]}, true
}

// OnePerStack returns an error if scope's stack already holds a construct for which same
// reports true: constructs whose resources have fixed names (per account and region, or per
// account for IAM) can exist once per stack, and a second would fail to deploy with a name
// conflict. kind names the construct type and path the new one's path, for the message.
func OnePerStack(scope constructs.IConstruct, same func(constructs.IConstruct) bool, kind, path, why string) error {
	stack := awscdk.Stack_Of(scope)
	for _, c := range *stack.Node().FindAll(constructs.ConstructOrder_PREORDER) {
		if same(c) {
			return fmt.Errorf("%s: stack %s already holds one at %s, and a second at %s would not deploy: %s", kind, *stack.Node().Path(), *c.Node().Path(), path, why)
		}
	}
	return nil
}

// Statement renders statement as the JSON a user adds to a policy that CDK cannot edit (an
// imported resource's), with the values known at synth filled in (package statements), for
// the synth warning that asks for it.
func Statement(scope constructs.IConstruct, statement awsiam.PolicyStatement) string {
	out, err := statements.Value(scope, statement.ToStatementJson())
	if err != nil {
		return fmt.Sprint(statement.ToStatementJson())
	}
	return out
}

// Retained reports whether a DeletionPolicy keeps the resource when its stack is deleted:
// Retain, or RetainExceptOnCreate (RemovalPolicy RETAIN_ON_UPDATE_OR_DELETE), which also
// keeps it except when the operation that created it rolls back, so that a failed first
// deploy leaves no fixed name behind for the retry to collide with.
// https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-deletionpolicy.html
func Retained(dp awscdk.CfnDeletionPolicy) bool {
	return dp == awscdk.CfnDeletionPolicy_RETAIN || dp == awscdk.CfnDeletionPolicy_RETAIN_EXCEPT_ON_CREATE
}
