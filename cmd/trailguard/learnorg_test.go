package main

import (
	"bytes"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// shareAMI is account 111122223333 sharing an image with account to.
func shareAMI(id, to string) string {
	return `{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/mallory","accountId":"111122223333","userName":"mallory"},` +
		`"eventTime":"2026-11-02T09:00:00Z","eventSource":"ec2.amazonaws.com","eventName":"ModifyImageAttribute","awsRegion":"eu-west-1","sourceIPAddress":"203.0.113.9",` +
		`"requestParameters":{"imageId":"ami-0123456789abcdef0","launchPermission":{"add":{"items":[{"userId":"` + to + `"}]}},"attributeType":"launchPermission"},` +
		`"responseElements":{"_return":true},"eventID":"` + id + `","readOnly":false,"eventType":"AwsApiCall","recipientAccountId":"111122223333"}`
}

// TestDetectLearnsTheOrganizationFromTheRecords: without --config, the accounts whose trails
// received the records are the organization's, so sharing with one of them is not "outside";
// an account with no record here still is, and from standard input only each record's own
// account is known.
func TestDetectLearnsTheOrganizationFromTheRecords(t *testing.T) {
	dir := t.TempDir()
	inOrg := strings.ReplaceAll(listBuckets, "111122223333", "444455556666")
	writeFile(t, filepath.Join(dir, "a.json.gz"), gzipped(t, `{"Records":[`+shareAMI("e-in", "444455556666")+`,`+shareAMI("e-out", "999988887777")+`]}`))
	writeFile(t, filepath.Join(dir, "b.json"), `{"Records":[`+inOrg+`]}`)

	r := runCommand(t, "", false, "detect", "--format", "json", dir)
	if diff := cmp.Diff(alertRules(jsonAlerts(t, r.stdout)), []string{"ec2-ami-shared e-out"}); diff != "" {
		t.Errorf("alerts over files (-got +want):\n%s\nstderr:\n%s", diff, r.stderr)
	}
	if !strings.Contains(r.stderr, "the organization is taken to be the 2 accounts") {
		t.Errorf("stderr does not say which accounts were taken for the organization's:\n%s", r.stderr)
	}

	stdin := shareAMI("e-in", "444455556666") + "\n" + inOrg + "\n"
	r = runCommand(t, stdin, false, "detect", "--format", "json", "-")
	if diff := cmp.Diff(alertRules(jsonAlerts(t, r.stdout)), []string{"ec2-ami-shared e-in"}); diff != "" {
		t.Errorf("alerts over standard input (-got +want):\n%s", diff)
	}
	if !strings.Contains(r.stderr, "only each record's own account") {
		t.Errorf("stderr does not say only each record's own account is known:\n%s", r.stderr)
	}
}

// TestScanRecipients finds every recipientAccountId, one split across two reads included,
// in plain and gzipped files, and nothing that is not 12 digits.
func TestScanRecipients(t *testing.T) {
	rec := func(acct string) string { return `{"eventName":"X","recipientAccountId":"` + acct + `"}` }
	// Put the second record's key across the 1 MiB read boundary.
	pad := strings.Repeat(" ", 1<<20-len(rec("111111111111"))-10)
	text := rec("111111111111") + pad + rec("222222222222") + rec("12345") + rec("33333333333x") + `"recipientAccountId":"444444444444"`
	for name, data := range map[string]string{"plain": text, "gzip": gzipped(t, text)} {
		seen := map[string]bool{}
		scanRecipients(bytes.NewReader([]byte(data)), seen)
		var got []string
		for a := range seen {
			got = append(got, a)
		}
		slices.Sort(got)
		if diff := cmp.Diff(got, []string{"111111111111", "222222222222", "444444444444"}); diff != "" {
			t.Errorf("%s: accounts (-got +want):\n%s", name, diff)
		}
	}
}
