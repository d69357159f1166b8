// Package orgscope judges who a resource policy or a sharing request reaches, against an
// organization: the accounts of the organization, the AWS accounts AWS documents as acting for
// one of its services, and everyone else ("outside").
//
// It reads policies as IAM evaluates them
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html):
// an Allow statement reaches its principals, narrowed by the condition keys that name who may
// act (aws:PrincipalOrgID, aws:PrincipalOrgPaths, aws:PrincipalAccount, aws:PrincipalArn,
// kms:CallerAccount, and for service principals aws:SourceAccount, aws:SourceOwner,
// aws:SourceArn, aws:SourceOrgID, aws:SourceOrgPaths:
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html).
// A condition narrows only with an operator that requires a value (StringEquals, StringLike,
// ArnEquals, ArnLike and their ForAnyValue forms); negated operators and ...IfExists (true
// when the key is absent, as it is for anonymous and service callers) narrow nothing.
//
// It is pure Go and needs no AWS access.
package orgscope

import (
	"regexp"
	"slices"
	"strings"
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

// Statement is an IAM policy statement as decoded from JSON.
type Statement = map[string]any

// OutsideGrants returns, for each Allow statement of the policy that reaches a principal
// outside the organization, a description of that principal ("*", an account id or ARN, a
// service "for" an account, a federated provider), sorted and without duplicates. The policy
// is a decoded document (Statement as an object or a list).
func (s Scope) OutsideGrants(policy map[string]any) []string {
	var out []string
	for _, st := range asList(policy["Statement"]) {
		m, ok := st.(map[string]any)
		if !ok {
			continue
		}
		out = append(out, s.StatementOutside(m)...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// StatementOutside returns who outside the organization an Allow statement reaches (nil when
// none or when it is not an Allow).
func (s Scope) StatementOutside(st Statement) []string {
	if eff, _ := st["Effect"].(string); eff != "Allow" {
		return nil
	}
	cond, _ := st["Condition"].(map[string]any)
	narrowed := s.narrowedToOrg(cond)
	if _, not := st["NotPrincipal"]; not {
		// Allow with NotPrincipal reaches everyone but the principals named.
		if narrowed {
			return nil
		}
		return []string{"*"}
	}
	var out []string
	add := func(p string) {
		if !narrowed {
			out = append(out, p)
		}
	}
	switch p := st["Principal"].(type) {
	case string:
		if p == "*" {
			add("*")
		}
	case map[string]any:
		for kind, vals := range p {
			for _, v := range asList(vals) {
				name, _ := v.(string)
				if name == "" {
					continue
				}
				switch kind {
				case "AWS":
					if name == "*" || s.Reaches(name) == Outside {
						add(name)
					}
				case "Service":
					if who := s.serviceSourceOutside(cond); who != "" {
						add(name + " for " + who)
					}
				case "Federated":
					// A provider ARN belongs to its account; a web identity provider
					// (accounts.google.com, cognito-identity.amazonaws.com, ...) is anyone
					// who signs in there.
					if a := AccountOf(name); a == "" || s.Reaches(name) == Outside {
						add(name)
					}
				case "CanonicalUser":
					// An S3 canonical user id names an account without saying which.
					add("canonical user " + name)
				default:
					add(kind + ":" + name)
				}
			}
		}
	}
	return out
}

// Condition keys that name who may act (the principal) by organization or account.
var principalOrgKeys = map[string]bool{
	"aws:principalorgid": true, "aws:principalorgpaths": true, "aws:principalaccount": true,
	"aws:principalarn": true, "kms:calleraccount": true, "aws:sourceorgid": true,
	"aws:sourceorgpaths": true, "aws:sourceaccount": true, "aws:sourceowner": true,
}

// narrowedToOrg reports whether a statement's conditions confine its principals to the
// organization (and the AWS-owned accounts): some key that names the principal's organization
// or account requires values that all lie inside.
func (s Scope) narrowedToOrg(cond map[string]any) bool {
	for op, block := range cond {
		if !requiring(op) {
			continue
		}
		keys, _ := block.(map[string]any)
		for key, vals := range keys {
			k := strings.ToLower(key)
			if !principalOrgKeys[k] && k != "aws:sourcearn" {
				continue
			}
			if s.valuesInside(k, asList(vals)) {
				return true
			}
		}
	}
	return false
}

// requiring reports whether a condition operator requires the key to have one of the values
// (so that it narrows who may act).
func requiring(op string) bool {
	o := strings.ToLower(op)
	if strings.HasSuffix(o, "ifexists") || strings.Contains(o, "not") || strings.HasPrefix(o, "forallvalues:") {
		return false
	}
	o = strings.TrimPrefix(o, "foranyvalue:")
	switch o {
	case "stringequals", "stringequalsignorecase", "stringlike", "arnequals", "arnlike":
		return true
	}
	return false
}

// valuesInside reports whether every value a key requires lies inside the organization.
func (s Scope) valuesInside(key string, vals []any) bool {
	if len(vals) == 0 {
		return false
	}
	for _, v := range vals {
		str, ok := v.(string)
		if !ok || !s.valueInside(key, str) {
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
func (s Scope) serviceSourceOutside(cond map[string]any) string {
	var outside []string
	for op, block := range cond {
		if !requiring(op) {
			continue
		}
		keys, _ := block.(map[string]any)
		for key, vals := range keys {
			k := strings.ToLower(key)
			switch k {
			case "aws:sourceaccount", "aws:sourceowner", "aws:sourcearn", "aws:sourceorgid", "aws:sourceorgpaths":
			default:
				continue
			}
			for _, v := range asList(vals) {
				str, _ := v.(string)
				if str == "" {
					continue
				}
				if k == "aws:sourcearn" && AccountOf(str) == "" {
					continue // an S3 bucket ARN has no account: it says nothing of who
				}
				if !s.valueInside(k, str) {
					outside = append(outside, str)
				}
			}
		}
	}
	slices.Sort(outside)
	return strings.Join(slices.Compact(outside), ",")
}

// IsOrgID reports whether s looks like an organization id.
func IsOrgID(s string) bool { return orgIDRe.MatchString(s) }

func asList(v any) []any {
	switch x := v.(type) {
	case nil:
		return nil
	case []any:
		return x
	}
	return []any{v}
}
