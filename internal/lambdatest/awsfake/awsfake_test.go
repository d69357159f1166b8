package awsfake

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// sdkConfig is the configuration of an SDK client reaching org as a function under test does:
// through org as HTTP proxy (here set on the transport; a function gets HTTP_PROXY).
func sdkConfig(t *testing.T, org *Org) aws.Config {
	proxy, err := url.Parse(org.URL)
	if err != nil {
		t.Fatal(err)
	}
	return aws.Config{
		Region:      "eu-west-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIDLOCAL", "local", ""),
		HTTPClient:  &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(proxy)}},
	}
}

// assumed is cfg with the credentials of the responder role of account.
func assumed(cfg aws.Config, org *Org, account string) aws.Config {
	c := cfg.Copy()
	client := sts.NewFromConfig(cfg, func(o *sts.Options) { o.BaseEndpoint = aws.String(org.URL) })
	c.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(client, "arn:aws:iam::"+account+":role/trailguard-responder"))
	return c
}

func code(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// TestS3ControlAsTheSDKSendsIt: the SDK's S3 Control client reaches the fake at
// {AccountId}.<endpoint host>; an assumed role acts in its own account only.
func TestS3ControlAsTheSDKSendsIt(t *testing.T) {
	org := New(t)
	cfg := sdkConfig(t, org)
	client := s3control.NewFromConfig(assumed(cfg, org, "333333333333"), func(o *s3control.Options) {
		o.BaseEndpoint = aws.String(org.Endpoints()["S3_CONTROL"])
	})
	ctx := context.Background()
	if _, err := client.GetPublicAccessBlock(ctx, &s3control.GetPublicAccessBlockInput{AccountId: aws.String("333333333333")}); code(err) != "NoSuchPublicAccessBlockConfiguration" {
		t.Fatalf("get without a configuration: %v, want NoSuchPublicAccessBlockConfiguration", err)
	}
	calls := org.Calls()
	if got := calls[len(calls)-1].Host; got != "333333333333."+S3ControlHost {
		t.Errorf("host %s, want the account prefix on %s", got, S3ControlHost)
	}
	if _, err := client.GetPublicAccessBlock(ctx, &s3control.GetPublicAccessBlockInput{AccountId: aws.String("444455556666")}); code(err) != "AccessDenied" {
		t.Errorf("another account: %v, want AccessDenied", err)
	}
	// A request without the host prefix would not reach the account in AWS: refused.
	req, _ := http.NewRequest(http.MethodGet, org.URL+"/v20180820/configuration/publicAccessBlock", nil)
	req.Header.Set("X-Amz-Account-Id", "333333333333")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=ASIAFAKE00000001/20261206/eu-west-1/s3/aws4_request, SignedHeaders=host, Signature=x")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusBadRequest {
		t.Errorf("without the host prefix: status %d, want 400", res.StatusCode)
	}
	if got := Ops(Changes(org.Calls())); strings.Contains(got, "Put") {
		t.Errorf("changes %s, want none", got)
	}
}
