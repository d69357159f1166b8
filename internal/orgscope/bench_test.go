package orgscope

import (
	"encoding/json"
	"testing"
)

// BenchmarkOutsideGrants judges a decoded bucket policy of the shapes the
// sharing rules see: an organization-wide read, a service principal for a
// trail, a deny, and a grant to an outside account.
func BenchmarkOutsideGrants(b *testing.B) {
	var p map[string]any
	if err := json.Unmarshal([]byte(`{"Version":"2012-10-17","Statement":[
		{"Sid":"OrgRead","Effect":"Allow","Principal":"*","Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"],"Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"},"Bool":{"aws:SecureTransport":"true"}}},
		{"Sid":"Trail","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::b/AWSLogs/*","Condition":{"StringEquals":{"aws:SourceArn":"arn:aws:cloudtrail:eu-west-1:111111111111:trail/t","s3:x-amz-acl":"bucket-owner-full-control"}}},
		{"Sid":"TLS","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}},
		{"Sid":"Partner","Effect":"Allow","Principal":{"AWS":["arn:aws:iam::999999999999:root","222222222222"]},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`), &p); err != nil {
		b.Fatal(err)
	}
	s := NewScope(org, mgmt, wl)
	b.ReportAllocs()
	for b.Loop() {
		if got := s.OutsideGrants(p); len(got) != 1 {
			b.Fatalf("OutsideGrants = %q", got)
		}
	}
}
