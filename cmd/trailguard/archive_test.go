package main

import (
	"strings"
	"testing"
	"time"

	"github.com/trailguard/trailguard/internal/archiveverify/archivetest"
)

func TestArchiveVerify(t *testing.T) {
	start := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	a, err := archivetest.New(archivetest.Options{
		OrgID: "o-exampleorg1", Accounts: []string{"111111111111", "222222222222"}, Regions: []string{"us-east-1"},
		Start: start, Hours: 3, LogsPerHour: 2, RecordsPerLog: 3,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	useServer(t, nil)
	t.Setenv("AWS_ENDPOINT_URL_S3", a.S3URL())
	t.Setenv("AWS_ENDPOINT_URL_CLOUDTRAIL", a.CloudTrailURL())
	args := []string{"archive", "verify", "--bucket", a.Bucket, "--start", "2026-03-02", "--end", "2026-03-02T03:00", "--s3-path-style"}

	r := runCommand(t, "", false, args...)
	if r.code != exitOK {
		t.Fatalf("untouched archive: exit code %d, stderr:\n%s", r.code, r.stderr)
	}
	for _, want := range []string{"| 111111111111 | us-east-1 | org-trail | 3 | 6 | ok |", "| 222222222222 | us-east-1 | org-trail | 3 | 6 | ok |"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
	if !strings.Contains(r.stderr, "validated 6 digests and 12 log files in 2 account-regions") {
		t.Errorf("stderr:\n%s", r.stderr)
	}

	log := a.Logs[archivetest.Where("222222222222", "us-east-1")][3]
	if err := a.Delete(log); err != nil {
		t.Fatal(err)
	}
	r = runCommand(t, "", false, args...)
	if r.code != exitFailed || !strings.Contains(r.stderr, "trailguard: 222222222222 us-east-1: log file missing: "+log) ||
		!strings.Contains(r.stderr, "archive verification failed: 1 problem in 1 of 2 account-regions") {
		t.Errorf("deleted log file: exit code %d, stderr:\n%s", r.code, r.stderr)
	}

	r = runCommand(t, "", false, "archive", "verify", "--bucket", a.Bucket, "--start", "2026-03-05", "--end", "2026-03-06", "--s3-path-style")
	if r.code != exitFailed || !strings.Contains(r.stderr, "no digest files in the range") {
		t.Errorf("empty range: exit code %d, stderr:\n%s", r.code, r.stderr)
	}
	// --end defaults to now; --account-id keeps one account; --verbose
	// lists every file with its status.
	r = runCommand(t, "", false, "archive", "verify", "--bucket", a.Bucket, "--start", "2026-03-02", "--s3-path-style",
		"--account-id", "111111111111", "--regions", "us-east-1", "--verbose")
	if r.code != exitOK || strings.Contains(r.stdout, "222222222222") ||
		!strings.Contains(r.stdout, "valid\ts3://"+a.Bucket+"/"+a.Logs[archivetest.Where("111111111111", "us-east-1")][0]+"\n") ||
		!strings.Contains(r.stdout, "valid\ts3://"+a.Bucket+"/"+a.Digests[archivetest.Where("111111111111", "us-east-1")][0]+"\n") {
		t.Errorf("--account-id, --verbose, no --end: exit code %d, stdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	r = runCommand(t, "", false, "archive", "verify", "--bucket", a.Bucket, "--start", "2026-03-02", "--s3-path-style", "--verbose")
	if r.code != exitFailed || !strings.Contains(r.stdout, "missing\ts3://"+a.Bucket+"/"+log+"\n") {
		t.Errorf("--verbose with a log file deleted: exit code %d, stdout:\n%s", r.code, r.stdout)
	}
	r = runCommand(t, "", false, "archive", "verify", "--bucket", a.Bucket, "--start", "7d", "--account-id", "1234")
	if r.code != exitUsage || !strings.Contains(r.stderr, `--account-id: "1234" is not an AWS account ID`) {
		t.Errorf("bad --account-id: exit code %d, stderr:\n%s", r.code, r.stderr)
	}
	r = runCommand(t, "", false, "archive", "verify", "--start", "7d", "--end", "1d")
	if r.code != exitUsage || !strings.Contains(r.stderr, "--bucket is required") {
		t.Errorf("no bucket: exit code %d, stderr:\n%s", r.code, r.stderr)
	}
}
