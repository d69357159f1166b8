package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trailguard/trailguard/examples"
)

const publicBucket = `{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/mallory","accountId":"111122223333","userName":"mallory"},"eventTime":"2026-11-02T09:03:00Z","eventSource":"s3.amazonaws.com","eventName":"PutBucketPolicy","awsRegion":"eu-west-1","sourceIPAddress":"203.0.113.9","requestParameters":{"bucketName":"%s","bucketPolicy":{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::x/*"}]}},"eventID":"%s","readOnly":false,"eventType":"AwsApiCall","recipientAccountId":"111122223333"}`

// Records of a forwarder rule disabled and a trail re-scoped (the restoring actions).
const (
	ruleDisabled  = `{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/mallory","accountId":"111122223333","userName":"mallory"},"eventTime":"2026-11-02T09:04:00Z","eventSource":"events.amazonaws.com","eventName":"DisableRule","awsRegion":"eu-west-1","sourceIPAddress":"203.0.113.9","requestParameters":{"name":"trailguard-forward-to-stream"},"eventID":"66666666-6666-6666-6666-666666666666","readOnly":false,"eventType":"AwsApiCall","recipientAccountId":"111122223333"}`
	trailRescoped = `{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/mallory","accountId":"111122223333","userName":"mallory"},"eventTime":"2026-11-02T09:05:00Z","eventSource":"cloudtrail.amazonaws.com","eventName":"UpdateTrail","awsRegion":"eu-west-1","sourceIPAddress":"203.0.113.9","requestParameters":{"name":"trailguard-local","isMultiRegionTrail":false},"eventID":"77777777-7777-7777-7777-777777777777","readOnly":false,"eventType":"AwsApiCall","recipientAccountId":"111122223333"}`
)

func TestRespondDryRun(t *testing.T) {
	dir := t.TempDir()
	records := strings.Join([]string{
		stopLogging,
		startSession, // an alert of a rule without a response: not shown
		strings.Replace(strings.Replace(publicBucket, "%s", "reports", 1), "%s", "44444444-4444-4444-4444-444444444444", 1),
		strings.Replace(strings.Replace(publicBucket, "%s", "www-site", 1), "%s", "55555555-5555-5555-5555-555555555555", 1),
		ruleDisabled, trailRescoped,
	}, "\n")
	writeFile(t, filepath.Join(dir, "events.jsonl"), records)
	// A line that is not JSON, then a public bucket: read as detect reads it, the line is
	// reported and the rest of the file decided.
	writeFile(t, filepath.Join(dir, "bad", "events.jsonl"), stopLogging+"\n{not json\n"+
		strings.Replace(strings.Replace(publicBucket, "%s", "after-bad-line", 1), "%s", "66666666-6666-6666-6666-666666666666", 1)+"\n")
	cfg := string(examples.Default) + "\nresponse:\n  actions:\n    s3-block-public-access: {mode: enforce}\n  exemptions:\n    buckets: ['www-*']\n"
	writeFile(t, filepath.Join(dir, "org.yaml"), cfg)
	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     []string
		notWant  []string
	}{
		{name: "without --dry-run", args: []string{"respond", filepath.Join(dir, "events.jsonl")}, wantCode: exitUsage},
		{name: "defaults: dry-run", args: []string{"respond", "--dry-run", filepath.Join(dir, "events.jsonl")},
			want: []string{"would report (dry-run)  cloudtrail-start-logging", "trail main", "bucket reports", "bucket www-site",
				"would report (dry-run)  events-restore-forwarder-rule", "rule trailguard-forward-to-stream in eu-west-1",
				"would report (dry-run)  cloudtrail-restore-trail", "the configuration of trail trailguard-local"}, notWant: []string{"enforce", "StartSession"}},
		{name: "config: enforce and an exemption", args: []string{"respond", "--dry-run", "--config", filepath.Join(dir, "org.yaml"), filepath.Join(dir, "events.jsonl")},
			want: []string{"would act (enforce)     s3-block-public-access", "bucket reports", "skip (exempt), audited", "bucket www-site is exempt (response.exemptions.buckets: www-*)"}},
		{name: "a bad line: reported, the rest of the file decided", args: []string{"respond", "--dry-run", filepath.Join(dir, "bad")}, wantCode: exitFailed,
			want: []string{"trail main", "bucket after-bad-line"}},
		{name: "json", args: []string{"respond", "--dry-run", "--format", "json", filepath.Join(dir, "events.jsonl")},
			want: []string{`"alertId":"s3-bucket-made-public/44444444-4444-4444-4444-444444444444"`, `"act":true`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), tt.args, &env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr})
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, tt.wantCode, stderr.String())
			}
			for _, w := range tt.want {
				if !strings.Contains(stdout.String(), w) {
					t.Errorf("output does not say %q:\n%s", w, stdout.String())
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(stdout.String(), w) {
					t.Errorf("output says %q:\n%s", w, stdout.String())
				}
			}
		})
	}
}
