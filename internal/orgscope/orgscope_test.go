package orgscope

import (
	"encoding/json"
	"slices"
	"testing"
)

const (
	org   = "o-a1b2c3d4e5"
	mgmt  = "111111111111"
	wl    = "222222222222"
	other = "999999999999"
)

func TestOutsideGrants(t *testing.T) {
	s := NewScope(org, mgmt, wl)
	tests := []struct {
		name   string
		policy string
		want   []string
	}{
		{"own account root", `{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":"s3:GetObject","Resource":"*"}}`, nil},
		{"org account by id", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":["111111111111"]},"Action":"s3:*","Resource":"*"}]}`, nil},
		{"outside account role", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999999999999:role/x"},"Action":"s3:*","Resource":"*"}]}`, []string{"arn:aws:iam::999999999999:role/x"}},
		{"outside among inside", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":["111111111111","999999999999"]},"Action":"s3:*","Resource":"*"}]}`, []string{other}},
		{"deny is not a grant", `{"Statement":[{"Effect":"Deny","Principal":{"AWS":"999999999999"},"Action":"s3:*","Resource":"*"}]}`, nil},
		{"star with our org id", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"}}}]}`, nil},
		{"star with another org id", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-zzzzzzzzzz"}}}]}`, []string{"*"}},
		{"star with org id IfExists (absent key passes)", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{"StringEqualsIfExists":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"}}}]}`, []string{"*"}},
		{"star with negated org id", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{"StringNotEquals":{"aws:PrincipalOrgID":"o-zzzzzzzzzz"}}}]}`, []string{"*"}},
		{"star with wildcard org id", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{"StringLike":{"aws:PrincipalOrgID":"o-*"}}}]}`, []string{"*"}},
		{"star with TLS only is still anyone", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}]}`, []string{"*"}},
		{"star with org paths", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:GetObject","Resource":"*","Condition":{"ForAnyValue:StringLike":{"aws:PrincipalOrgPaths":"o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/*"}}}]}`, nil},
		{"star with principal account mixed", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalAccount":["222222222222","999999999999"]}}}]}`, []string{"*"}},
		{"kms caller account inside", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"kms:Decrypt","Resource":"*","Condition":{"StringEquals":{"kms:CallerAccount":"222222222222","kms:ViaService":"s3.eu-west-1.amazonaws.com"}}}]}`, nil},
		{"service without source", `{"Statement":[{"Effect":"Allow","Principal":{"Service":"logging.s3.amazonaws.com"},"Action":"s3:PutObject","Resource":"*"}]}`, nil},
		{"service for an outside account", `{"Statement":[{"Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:PutObject","Resource":"*","Condition":{"StringEquals":{"aws:SourceAccount":"999999999999"}}}]}`, []string{"cloudtrail.amazonaws.com for 999999999999"}},
		{"service for own trail", `{"Statement":[{"Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:PutObject","Resource":"*","Condition":{"StringEquals":{"aws:SourceArn":"arn:aws:cloudtrail:eu-west-1:111111111111:trail/t"}}}]}`, nil},
		{"elb log delivery account", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::156460612806:root"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::logs/AWSLogs/*"}]}`, nil},
		{"cloudfront OAI", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E2QWRUHEXAMPLE"},"Action":"s3:GetObject","Resource":"*"}]}`, nil},
		{"not principal", `{"Statement":[{"Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":"s3:GetObject","Resource":"*"}]}`, []string{"*"}},
		{"canonical user", `{"Statement":[{"Effect":"Allow","Principal":{"CanonicalUser":"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"},"Action":"s3:GetObject","Resource":"*"}]}`, []string{"canonical user 79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"}},
		{"federated web identity", `{"Statement":[{"Effect":"Allow","Principal":{"Federated":"accounts.google.com"},"Action":"sts:AssumeRoleWithWebIdentity"}]}`, []string{"accounts.google.com"}},
		{"federated own saml", `{"Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::222222222222:saml-provider/AWSSSO_x_DO_NOT_DELETE"},"Action":"sts:AssumeRoleWithSAML"}]}`, nil},
		// Where the two halves of the engine read a statement differently, the reading AWS
		// documents. Effect is case sensitive:
		// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_effect.html
		{"lowercase allow is no Allow", `{"Statement":[{"Effect":"allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}]}`, nil},
		// Condition values may be numbers (policy grammar: "string", number or Boolean):
		// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html
		{"service for an outside account as a number", `{"Statement":[{"Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:PutObject","Resource":"*","Condition":{"StringEquals":{"aws:SourceAccount":999999999999}}}]}`, []string{"cloudtrail.amazonaws.com for 999999999999"}},
		{"star with principal account inside as a number", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalAccount":222222222222}}}]}`, nil},
		// ForAllValues is true when the request has no value for the key:
		// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
		{"star with org paths ForAllValues", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{"ForAllValues:StringLike":{"aws:PrincipalOrgPaths":"o-a1b2c3d4e5/*"}}}]}`, []string{"*"}},
		{"star with org id ForAnyValue IfExists", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{"ForAnyValue:StringEqualsIfExists":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"}}}]}`, []string{"*"}},
		{"star with org id in any case of operator and key", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{"stringequals":{"AWS:PRINCIPALORGID":"o-a1b2c3d4e5"}}}]}`, nil},
		{"wildcard account in principal arn condition", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/reader"}}}]}`, []string{"*"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p map[string]any
			if err := json.Unmarshal([]byte(tt.policy), &p); err != nil {
				t.Fatal(err)
			}
			got := s.OutsideGrants(p)
			if !slices.Equal(got, tt.want) {
				t.Errorf("OutsideGrants = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestScopeWithoutOrganization(t *testing.T) {
	s := NewScope("").WithOwn(wl)
	if !s.Contains("arn:aws:iam::222222222222:role/x") || s.Contains(mgmt) {
		t.Errorf("a scope of one account: Contains(own) = %v, Contains(other) = %v", s.Contains(wl), s.Contains(mgmt))
	}
	p := map[string]any{"Statement": map[string]any{"Effect": "Allow", "Principal": "*", "Condition": map[string]any{"StringEquals": map[string]any{"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}}}
	if got := s.OutsideGrants(p); len(got) != 0 {
		t.Errorf("without an organization id, any PrincipalOrgID is taken as ours: got %q", got)
	}
	p["Statement"].(map[string]any)["Condition"] = map[string]any{"StringLike": map[string]any{"aws:PrincipalOrgID": "o-*"}}
	if got := s.OutsideGrants(p); !slices.Equal(got, []string{"*"}) {
		t.Errorf("a wildcard organization id narrows nothing: got %q", got)
	}
}

func TestAWSOwnedAccount(t *testing.T) {
	if svc, ok := AWSOwnedAccount("156460612806"); !ok || svc != ServiceELBLogDelivery {
		t.Errorf("eu-west-1 ELB account: %q %v", svc, ok)
	}
	if _, ok := AWSOwnedAccount(other); ok {
		t.Error("an unknown account is not AWS-owned")
	}
	if got := ELBLogDeliveryAccount("us-east-1"); got != "127311923021" {
		t.Errorf("us-east-1: %q", got)
	}
}
