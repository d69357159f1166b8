package policy

import (
	"encoding/json"
	"net/url"
	"testing"
)

func doc(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("%v: %s", err, s)
	}
	return v
}

func TestPublic(t *testing.T) {
	tests := []struct {
		name   string
		policy string
		want   bool
	}{
		{"Principal *", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`, true},
		{"AWS *", `{"Statement":{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:*","Resource":"*"}}`, true},
		{"AWS list holding *", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:root","*"]},"Action":"s3:GetObject","Resource":"*"}]}`, true},
		{"CanonicalUser *", `{"Statement":[{"Effect":"Allow","Principal":{"CanonicalUser":"*"},"Action":"s3:GetObject","Resource":"*"}]}`, true},
		{"NotPrincipal", `{"Statement":[{"Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"s3:GetObject","Resource":"*"}]}`, true},
		{"SecureTransport does not restrict who", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}]}`, true},
		{"prefix condition", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:ListBucket","Resource":"*","Condition":{"StringLike":{"s3:prefix":"public/*"}}}]}`, true},
		{"negated SourceVpce", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{"StringNotEquals":{"aws:SourceVpce":"vpce-1a2b3c4d"}}}]}`, true},
		{"IfExists SourceVpc", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{"StringEqualsIfExists":{"aws:SourceVpc":"vpc-111bbb22"}}}]}`, true},
		{"wildcard SourceArn", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:PutObject","Resource":"*","Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:*"}}}]}`, true},
		{"aws:userid role wide", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{"StringLike":{"aws:userid":"AROAEXAMPLEID:*"}}}]}`, true},
		{"SourceIp half the internet", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":["0.0.0.0/1","128.0.0.0/1"]}}}]}`, true},
		{"URL-encoded text", url.QueryEscape(`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}]}`), true},
		{"fixed SourceVpce", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:SourceVpce":"vpce-1a2b3c4d"}}}]}`, false},
		{"fixed SourceAccount", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:PutObject","Resource":"*","Condition":{"StringEquals":{"AWS:SourceAccount":"111122223333"}}}]}`, false},
		{"PrincipalOrgID", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"}}}]}`, false},
		{"office SourceIp", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"198.51.100.0/24"}}}]}`, false},
		{"SecureTransport and fixed SourceVpc", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"},"StringEquals":{"aws:SourceVpc":"vpc-111bbb22"}}}]}`, false},
		{"Deny everyone", `{"Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`, false},
		{"named account", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"s3:GetObject","Resource":"*"}]}`, false},
		{"service principal", `{"Statement":[{"Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:PutObject","Resource":"*"}]}`, false},
		// Effect is case sensitive:
		// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_effect.html
		{"lowercase allow is no Allow", `{"Statement":[{"Effect":"allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}]}`, false},
		{"ForAllValues SourceVpce (true without the key)", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{"ForAllValues:StringEquals":{"aws:SourceVpce":"vpce-1a2b3c4d"}}}]}`, true},
		{"ForAnyValue SourceVpce", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{"ForAnyValue:StringEquals":{"aws:SourceVpce":"vpce-1a2b3c4d"}}}]}`, false},
		{"fixed SourceAccount as a number", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:PutObject","Resource":"*","Condition":{"StringEquals":{"aws:SourceAccount":111122223333}}}]}`, false},
		{"not a policy", `"hello"`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d any = tt.policy
			if tt.name != "URL-encoded text" {
				d = doc(t, tt.policy)
			}
			if got := Public(d); got != tt.want {
				t.Errorf("Public() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestPublicACL(t *testing.T) {
	tests := []struct {
		name   string
		params string
		want   bool
	}{
		{"canned public-read", `{"bucketName":"b","acl":"","x-amz-acl":["public-read"]}`, true},
		{"canned authenticated-read", `{"bucketName":"b","x-amz-acl":"authenticated-read"}`, true},
		{"grant header", `{"bucketName":"b","x-amz-grant-read":["uri=\"http://acs.amazonaws.com/groups/global/AllUsers\""]}`, true},
		{"grant JSON", `{"bucketName":"b","AccessControlPolicy":{"AccessControlList":{"Grant":[{"Grantee":{"xsi:type":"Group","URI":"http://acs.amazonaws.com/groups/global/AuthenticatedUsers"},"Permission":"READ"}]}}}`, true},
		{"grant XML", `{"bucketName":"b","AccessControlPolicy":"<AccessControlPolicy><AccessControlList><Grant><Grantee xsi:type=\"Group\"><URI>http://acs.amazonaws.com/groups/global/AllUsers</URI></Grantee><Permission>READ</Permission></Grant></AccessControlList></AccessControlPolicy>"}`, true},
		{"private", `{"bucketName":"b","x-amz-acl":["private"]}`, false},
		{"log delivery group", `{"bucketName":"b","x-amz-grant-write":["uri=\"http://acs.amazonaws.com/groups/s3/LogDelivery\""]}`, false},
		{"owner full control", `{"bucketName":"b","x-amz-acl":["bucket-owner-full-control"]}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := PublicACL(doc(t, tt.params)); got != tt.want {
				t.Errorf("PublicACL() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestAdmin(t *testing.T) {
	tests := []struct {
		name   string
		policy string
		want   bool
	}{
		{"* on *", `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`, true},
		{"*:* on *", `{"Statement":{"Effect":"Allow","Action":["*:*"],"Resource":["*"]}}`, true},
		{"iam:* on *", `{"Statement":[{"Effect":"Allow","Action":"iam:*","Resource":"*"}]}`, true},
		{"iam:Put* on *", `{"Statement":[{"Effect":"Allow","Action":["s3:GetObject","iam:Put*"],"Resource":"*"}]}`, true},
		{"mixed case action", `{"Statement":[{"Effect":"Allow","Action":"IAM:attachuserpolicy","Resource":"*"}]}`, true},
		{"NotAction s3", `{"Statement":[{"Effect":"Allow","NotAction":"s3:*","Resource":"*"}]}`, true},
		{"NotResource", `{"Statement":[{"Effect":"Allow","Action":"*","NotResource":"arn:aws:s3:::audit/*"}]}`, true},
		{"attach on every role", `{"Statement":[{"Effect":"Allow","Action":"iam:AttachRolePolicy","Resource":"arn:aws:iam::111122223333:role/*"}]}`, true},
		{"with MFA condition", `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}`, true},
		{"lowercase allow is no Allow", `{"Statement":[{"Effect":"allow","Action":"*","Resource":"*"}]}`, false},
		{"PowerUser shape", `{"Statement":[{"Effect":"Allow","NotAction":["iam:*","organizations:*","account:*"],"Resource":"*"}]}`, false},
		{"s3:* on *", `{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`, false},
		{"* on one bucket", `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::b/*"}]}`, false},
		{"iam:* on one role", `{"Statement":[{"Effect":"Allow","Action":"iam:*","Resource":"arn:aws:iam::111122223333:role/app"}]}`, false},
		{"read-only iam", `{"Statement":[{"Effect":"Allow","Action":["iam:Get*","iam:List*"],"Resource":"*"}]}`, false},
		{"Deny *", `{"Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Admin(doc(t, tt.policy)); got != tt.want {
				t.Errorf("Admin() = %v, want %v", got, tt.want)
			}
			// The same document as JSON text (how IAM records some policies).
			if got := Admin(tt.policy); got != tt.want {
				t.Errorf("Admin(text) = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestAdminPolicyARN(t *testing.T) {
	for arn, want := range map[string]bool{
		"arn:aws:iam::aws:policy/AdministratorAccess":              true,
		"arn:aws-us-gov:iam::aws:policy/AdministratorAccess":       true,
		"arn:aws:iam::aws:policy/IAMFullAccess":                    true,
		"arn:aws:iam::aws:policy/PowerUserAccess":                  true,
		"arn:aws:iam::aws:policy/ReadOnlyAccess":                   false,
		"arn:aws:iam::aws:policy/job-function/SystemAdministrator": false,
		"arn:aws:iam::111122223333:policy/AdministratorAccess":     false,
	} {
		if got := AdminPolicyARN(arn); got != want {
			t.Errorf("AdminPolicyARN(%s) = %v, want %v", arn, got, want)
		}
	}
}

func TestOpensInternet(t *testing.T) {
	tests := []struct {
		name  string
		cidrs []string
		want  bool
	}{
		{"0.0.0.0/0", []string{"0.0.0.0/0"}, true},
		{"::/0", []string{"::/0"}, true},
		{"IPv4 halves", []string{"0.0.0.0/1", "128.0.0.0/1"}, true},
		{"one IPv4 half", []string{"128.0.0.0/1"}, true},
		{"IPv6 halves", []string{"::/1", "8000::/1"}, true},
		{"IPv6 global unicast", []string{"2000::/3"}, true},
		{"a /8", []string{"52.0.0.0/8"}, true},
		{"sixteen /16s", func() []string {
			var out []string
			for i := 0; i < 16; i++ {
				out = append(out, "81."+itoa(i)+".0.0/16")
			}
			return out
		}(), true},
		{"host bits set", []string{"1.2.3.4/4"}, true},
		{"private /8", []string{"10.0.0.0/8"}, false},
		{"all private ranges", []string{"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"}, false},
		{"office /24", []string{"198.51.100.0/24"}, false},
		{"a /16", []string{"81.2.0.0/16"}, false},
		{"ULA", []string{"fc00::/7"}, false},
		{"a /48 of IPv6", []string{"2001:db8:1234::/48"}, false},
		{"garbage", []string{"sg-0123", ""}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := OpensInternet(tt.cidrs); got != tt.want {
				v4, v6 := OpenAddresses(tt.cidrs)
				t.Errorf("OpensInternet(%v) = %v (v4 %d, v6 %d), want %v", tt.cidrs, got, v4, v6, tt.want)
			}
		})
	}
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

func TestOpenAddressesUnion(t *testing.T) {
	v4, _ := OpenAddresses([]string{"0.0.0.0/0", "0.0.0.0/1", "8.8.8.8/32"})
	// 2^32 minus the special-purpose space, counted once.
	if v4 >= 1<<32 || v4 < 3<<30 {
		t.Errorf("v4 = %d, want the public IPv4 space once", v4)
	}
}

func TestGlob(t *testing.T) {
	for _, tt := range []struct {
		p, s string
		want bool
	}{{"*", "", true}, {"iam:*", "iam:putrolepolicy", true}, {"iam:put*policy", "iam:putrolepolicy", true}, {"iam:?ut*", "iam:put", true}, {"s3:*", "iam:x", false}, {"a*b*c", "aXbYc", true}, {"a*b*c", "aXbY", false}} {
		if got := Glob(tt.p, tt.s); got != tt.want {
			t.Errorf("Glob(%q, %q) = %v", tt.p, tt.s, got)
		}
	}
}

func TestPublicAddress(t *testing.T) {
	for s, want := range map[string]bool{
		"203.0.113.7": true, "2001:db8::1": true, "::ffff:198.51.100.1": true,
		"10.1.2.3": false, "172.31.0.5": false, "fd00::1": false, "AWS Internal": false, "cloudformation.amazonaws.com": false, "": false,
	} {
		if got := PublicAddress(s); got != want {
			t.Errorf("PublicAddress(%q) = %v, want %v", s, got, want)
		}
	}
}

// TestParseOperator pins the one reading of condition operators that every judge of a
// statement shares (Public here, "outside the organization" in package orgscope), from
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html:
// a negated operator and ...IfExists are true without the key, ForAllValues is true when the
// request has no value for it; only the rest require the key to match.
func TestParseOperator(t *testing.T) {
	tests := []struct {
		name     string
		base     string
		requires bool
		strings  bool
	}{
		{"StringEquals", "stringequals", true, true},
		{"stringlike", "stringlike", true, true},
		{"ArnLike", "arnlike", true, true},
		{"ForAnyValue:StringLike", "stringlike", true, true},
		{"StringEqualsIfExists", "stringequals", false, true},
		{"forallvalues:STRINGEQUALSIFEXISTS", "stringequals", false, true},
		{"ForAnyValue:StringEqualsIfExists", "stringequals", false, true},
		{"ForAllValues:StringEquals", "stringequals", false, true},
		{"StringNotEquals", "stringnotequals", false, false},
		{"ForAnyValue:StringNotLike", "stringnotlike", false, false},
		{"ArnNotLikeIfExists", "arnnotlike", false, false},
		{"NotIpAddress", "notipaddress", false, false},
		{"IpAddress", "ipaddress", true, false},
		{"Bool", "bool", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			op := ParseOperator(tt.name)
			if op.Base != tt.base || op.Requires() != tt.requires || op.MatchesStrings() != tt.strings {
				t.Errorf("ParseOperator(%q) = %+v, Requires %v, MatchesStrings %v; want base %q, Requires %v, MatchesStrings %v",
					tt.name, op, op.Requires(), op.MatchesStrings(), tt.base, tt.requires, tt.strings)
			}
		})
	}
}
