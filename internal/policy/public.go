package policy

import (
	"strings"
)

// restrictingKeys are the condition keys that, compared with fixed values,
// limit a statement that names everyone to a known caller, so that S3 Block
// Public Access does not consider it public (lowercase, as IAM compares key
// names case-insensitively):
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html#access-control-block-public-access-policy-status
// and https://docs.aws.amazon.com/AmazonS3/latest/API/API_PublicAccessBlockConfiguration.html.
//
// trailguard adds aws:PrincipalArn, aws:PrincipalAccount, aws:PrincipalOrgID
// and aws:PrincipalOrgPaths: they name who may act as surely as a fixed
// principal does. Whether that who is outside the organization is judged
// elsewhere (the organization context), not here.
var restrictingKeys = map[string]bool{
	"aws:sourcearn":     true,
	"aws:sourcevpc":     true,
	"aws:sourcevpce":    true,
	"aws:sourceowner":   true,
	"aws:sourceaccount": true,
	"aws:userid":        true, // unless AROLEID:* (see fixedValue)
	"s3:x-amz-server-side-encryption-aws-kms-key-id": true,
	"s3:dataaccesspointarn":                          true,
	"s3:dataaccesspointaccount":                      true,
	"aws:principalarn":                               true,
	"aws:principalaccount":                           true,
	"aws:principalorgid":                             true,
	"aws:principalorgpaths":                          true,
}

// Public reports whether a resource policy (bucket, access point, or any
// resource policy of the same language) grants access to anyone, as S3
// Block Public Access defines it: some Allow statement names every
// principal (Principal "*", {"AWS": "*"}, {"CanonicalUser": "*"}, or a
// NotPrincipal, which allows everyone but the listed) and no condition of
// it limits the caller to fixed values of the keys above, or the source
// address to a range smaller than the internet (see OpensInternet).
// Conditions on anything else (aws:SecureTransport, s3:prefix, dates,
// headers) do not make a statement non-public.
func Public(doc any) bool {
	for _, s := range Statements(doc) {
		if s.Public() {
			return true
		}
	}
	return false
}

// Public reports whether this statement grants access to anyone (see the
// package function Public).
func (s Statement) Public() bool {
	if !s.Allows() || !s.EveryPrincipal() {
		return false
	}
	return !s.restrictsCaller()
}

// EveryPrincipal reports whether the statement names every principal:
// Principal "*" or a "*" member, or a NotPrincipal.
func (s Statement) EveryPrincipal() bool {
	if s.NotPrincipal != nil {
		return true
	}
	for _, p := range s.Principals() {
		if p == "*" {
			return true
		}
	}
	return false
}

// restrictsCaller reports whether some condition of the statement limits
// the caller to fixed values of a restricting key, or the source address to
// less than the internet.
func (s Statement) restrictsCaller() bool {
	for c := range s.Required() {
		switch {
		case c.Key == "aws:sourceip":
			if c.Op.Base == "ipaddress" && !OpensInternet(c.Values) {
				return true
			}
		case restrictingKeys[c.Key]:
			if c.Op.MatchesStrings() && allFixed(c.Values) {
				return true
			}
		}
	}
	return false
}

// allFixed reports whether every value is fixed: no wildcard (which also
// rules out aws:userid's role-wide pattern "AROLEID:*").
func allFixed(vals []string) bool {
	for _, v := range vals {
		if v == "" || strings.ContainsAny(v, "*?") {
			return false
		}
	}
	return true
}

// allUsersGroups are the S3 ACL grantee groups that make a grant public:
// everyone, and every AWS account
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html#specifying-grantee-predefined-groups).
var allUsersGroups = []string{
	"acs.amazonaws.com/groups/global/allusers",
	"acs.amazonaws.com/groups/global/authenticatedusers",
}

// publicCannedACLs are the canned ACLs that grant AllUsers or
// AuthenticatedUsers
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html#canned-acl).
var publicCannedACLs = map[string]bool{
	"public-read":        true,
	"public-read-write":  true,
	"authenticated-read": true,
}

// PublicACL reports whether S3 request parameters (of PutBucketAcl,
// PutObjectAcl, CreateBucket, PutObject, CopyObject) grant the AllUsers or
// AuthenticatedUsers group anything: a public canned ACL (x-amz-acl), an
// x-amz-grant-* header naming the group, or an AccessControlPolicy grant to
// it, as JSON or as XML text.
func PublicACL(params any) bool {
	found := false
	walk(params, "", func(key string, v string) {
		lk := strings.ToLower(key)
		lv := strings.ToLower(strings.TrimSpace(v))
		if (lk == "x-amz-acl" || lk == "acl" || lk == "cannedacl") && publicCannedACLs[lv] {
			found = true
		}
		for _, g := range allUsersGroups {
			if strings.Contains(lv, g) {
				found = true
			}
		}
	})
	return found
}

// walk calls f with every string in v and the name of the member holding it
// (list elements take their list's name).
func walk(v any, key string, f func(key, v string)) {
	switch x := v.(type) {
	case string:
		f(key, x)
	case []any:
		for _, e := range x {
			walk(e, key, f)
		}
	case map[string]any:
		for k, e := range x {
			walk(e, k, f)
		}
	}
}
