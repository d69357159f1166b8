// Package orgscope judges who a resource policy or a sharing request reaches, against an
// organization: the accounts of the organization, the AWS accounts AWS documents as acting for
// one of its services, and everyone else ("outside").
//
// It reads policies as package policy parses them (one reading of principals and condition
// operators for every judge) and as IAM evaluates them
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html):
// an Allow statement reaches its principals, narrowed by the condition keys that name who may
// act (aws:PrincipalOrgID, aws:PrincipalOrgPaths, aws:PrincipalAccount, aws:PrincipalArn,
// kms:CallerAccount, and for service principals aws:SourceAccount, aws:SourceOwner,
// aws:SourceArn, aws:SourceOrgID, aws:SourceOrgPaths:
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html).
// A condition narrows only with an operator that requires a value (StringEquals, StringLike,
// ArnEquals, ArnLike and their ForAnyValue forms: policy.Operator.Requires); negated
// operators, ...IfExists and ForAllValues (true when the key is absent, as it is for
// anonymous and service callers) narrow nothing.
//
// It is pure Go and needs no AWS access.
package orgscope

import (
	"regexp"
	"slices"
	"strings"

	"github.com/trailguard/trailguard/internal/policy"
)

// Scope is the organization a policy is judged against.
type Scope struct {
	// OrgID is the organization's id (o-...), or "" when unknown: then an organization named
	// by id or ARN (aws:PrincipalOrgID, an AMI shared with an organization) is taken to be
	// this one, as nothing says otherwise; give the id to judge them.
	OrgID string
	// Accounts are the organization's accounts. Without an organization (no config), the
	// caller passes the one account it knows is its own (WithOwn): the record's.
	Accounts map[string]bool
	own      string
}

// NewScope returns the scope of an organization and its accounts.
func NewScope(orgID string, accounts ...string) Scope {
	s := Scope{OrgID: orgID, Accounts: make(map[string]bool, len(accounts))}
	for _, a := range accounts {
		if a != "" {
			s.Accounts[a] = true
		}
	}
	return s
}

// WithOwn returns the scope with one more account of the organization (the account a record
// happened in: an organization trail records only the organization's accounts), without
// copying the others.
func (s Scope) WithOwn(account string) Scope {
	s.own = account
	return s
}

func (s Scope) has(account string) bool {
	return account != "" && (s.Accounts[account] || account == s.own)
}

var (
	accountRe   = regexp.MustCompile(`^[0-9]{12}$`)
	arnAccount  = regexp.MustCompile(`^arn:aws[a-z-]*:[a-z0-9-]*:[a-z0-9-]*:([0-9]{12}|cloudfront|aws)?:`)
	orgIDRe     = regexp.MustCompile(`^o-[a-z0-9]{10,32}$`)
	orgARNOrgID = regexp.MustCompile(`^arn:aws[a-z-]*:organizations::[0-9]{12}:(?:organization|ou|account|root)/(o-[a-z0-9]{10,32})(?:/|$)`)
)

// AccountOf returns the account an account id, an ARN or an organizations path names: the id
// itself, the ARN's account field ("cloudfront" and "aws" for AWS's own), or "".
func AccountOf(s string) string {
	if accountRe.MatchString(s) {
		return s
	}
	if m := arnAccount.FindStringSubmatch(s); m != nil {
		return m[1]
	}
	return ""
}

// Contains reports whether an account id or ARN belongs to the organization.
func (s Scope) Contains(accountOrARN string) bool {
	return s.has(AccountOf(accountOrARN))
}

// Reaches reports where a principal (an account id, an ARN) stands: in the organization, an
// account AWS documents for one of its services, or outside.
func (s Scope) Reaches(accountOrARN string) Reach {
	a := AccountOf(accountOrARN)
	switch {
	case s.has(a):
		return InOrg
	case a == "cloudfront" || a == "aws":
		// arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity ...:
		// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-restricting-access-to-s3.html
		return AWSOwned
	}
	if _, ok := AWSOwnedAccount(a); ok {
		return AWSOwned
	}
	return Outside
}

// Reach is where a principal stands relative to the organization.
type Reach int

// Reaches.
const (
	Outside Reach = iota
	InOrg
	AWSOwned
)

// OrgARNInScope reports whether an organizations ARN (organization, OU) belongs to the scope's
// organization, by the organization id in it.
func (s Scope) OrgARNInScope(arn string) bool {
	m := orgARNOrgID.FindStringSubmatch(arn)
	return m != nil && (s.OrgID == "" || m[1] == s.OrgID)
}

// OutsideGrants returns, for each Allow statement of the policy that reaches a principal
// outside the organization, a description of that principal ("*", an account id or ARN, a
// service "for" an account, a federated provider), sorted and without duplicates. The policy
// is a document as policy.Statements reads it (an object, JSON text or URL-encoded JSON text).
func (s Scope) OutsideGrants(doc any) []string {
	var out []string
	for _, st := range policy.Statements(doc) {
		out = append(out, s.StatementOutside(st)...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// StatementOutside returns who outside the organization an Allow statement reaches (nil when
// none or when it is not an Allow).
func (s Scope) StatementOutside(st policy.Statement) []string {
	if !st.Allows() {
		return nil
	}
	narrowed := s.narrowedToOrg(st)
	if st.NotPrincipal != nil {
		// Allow with NotPrincipal reaches everyone but the principals named.
		if narrowed {
			return nil
		}
		return []string{"*"}
	}
	if narrowed {
		return nil
	}
	var out []string
	for p := range policy.Principals(st.Principal) {
		name := p.Value
		if name == "" {
			continue
		}
		switch p.Kind {
		case "":
			// The policy grammar writes only "*" as a string.
			if name == "*" {
				out = append(out, "*")
			}
		case "AWS":
			if name == "*" || s.Reaches(name) == Outside {
				out = append(out, name)
			}
		case "Service":
			if who := s.serviceSourceOutside(st); who != "" {
				out = append(out, name+" for "+who)
			}
		case "Federated":
			// A provider ARN belongs to its account; a web identity provider
			// (accounts.google.com, cognito-identity.amazonaws.com, ...) is anyone
			// who signs in there.
			if a := AccountOf(name); a == "" || s.Reaches(name) == Outside {
				out = append(out, name)
			}
		case "CanonicalUser":
			// An S3 canonical user id names an account without saying which.
			out = append(out, "canonical user "+name)
		default:
			out = append(out, p.Kind+":"+name)
		}
	}
	return out
}

// Condition keys that name who may act (the principal) by organization or account.
var principalOrgKeys = map[string]bool{
	"aws:principalorgid": true, "aws:principalorgpaths": true, "aws:principalaccount": true,
	"aws:principalarn": true, "kms:calleraccount": true, "aws:sourceorgid": true,
	"aws:sourceorgpaths": true, "aws:sourceaccount": true, "aws:sourceowner": true,
	"aws:sourcearn": true,
}

// narrowedToOrg reports whether a statement's conditions confine its principals to the
// organization (and the AWS-owned accounts): some key that names the principal's organization
// or account requires, with a string operator, values that all lie inside.
func (s Scope) narrowedToOrg(st policy.Statement) bool {
	for c := range st.Required() {
		if c.Op.MatchesStrings() && principalOrgKeys[c.Key] && s.valuesInside(c.Key, c.Values) {
			return true
		}
	}
	return false
}

// valuesInside reports whether every value a key requires lies inside the organization.
func (s Scope) valuesInside(key string, vals []string) bool {
	if len(vals) == 0 {
		return false
	}
	for _, v := range vals {
		if !s.valueInside(key, v) {
			return false
		}
	}
	return true
}

func (s Scope) valueInside(key, v string) bool {
	switch key {
	case "aws:principalorgid", "aws:sourceorgid":
		return IsOrgID(v) && (s.OrgID == "" || v == s.OrgID)
	case "aws:principalorgpaths", "aws:sourceorgpaths":
		// o-xxxx/r-xxxx/ou-xxxx/...: the organization comes first and is fixed.
		org, _, _ := strings.Cut(v, "/")
		return IsOrgID(org) && (s.OrgID == "" || org == s.OrgID)
	default:
		// account ids and ARNs: the account must be fixed text inside the organization.
		a := AccountOf(v)
		if a == "" || strings.ContainsAny(a, "*?") {
			return false
		}
		return s.Reaches(a) != Outside
	}
}

// serviceSourceOutside returns the outside account (or organization) a service principal's
// grant is made for by its source conditions (aws:SourceAccount, aws:SourceOwner,
// aws:SourceArn, aws:SourceOrgID), or "" when the conditions name none outside: a service
// principal without source conditions acts for whoever configures the service, which IAM
// documents as the confused-deputy risk
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html), not as a grant to a
// named stranger.
func (s Scope) serviceSourceOutside(st policy.Statement) string {
	var outside []string
	for c := range st.Required() {
		if !c.Op.MatchesStrings() {
			continue
		}
		switch c.Key {
		case "aws:sourceaccount", "aws:sourceowner", "aws:sourcearn", "aws:sourceorgid", "aws:sourceorgpaths":
		default:
			continue
		}
		for _, v := range c.Values {
			if v == "" {
				continue
			}
			if c.Key == "aws:sourcearn" && AccountOf(v) == "" {
				continue // an S3 bucket ARN has no account: it says nothing of who
			}
			if !s.valueInside(c.Key, v) {
				outside = append(outside, v)
			}
		}
	}
	slices.Sort(outside)
	return strings.Join(slices.Compact(outside), ",")
}

// IsOrgID reports whether s looks like an organization id.
func IsOrgID(s string) bool { return orgIDRe.MatchString(s) }
