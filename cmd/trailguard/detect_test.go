package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Records for the detect tests.
const (
	stopLogging  = `{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/mallory","accountId":"111122223333","userName":"mallory"},"eventTime":"2026-11-02T09:00:00Z","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","awsRegion":"eu-west-1","sourceIPAddress":"203.0.113.9","requestParameters":{"name":"main"},"responseElements":null,"eventID":"11111111-1111-1111-1111-111111111111","readOnly":false,"eventType":"AwsApiCall","recipientAccountId":"111122223333"}`
	startSession = `{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/mallory","accountId":"111122223333","userName":"mallory"},"eventTime":"2026-11-02T09:01:00Z","eventSource":"ssm.amazonaws.com","eventName":"StartSession","awsRegion":"eu-west-1","sourceIPAddress":"203.0.113.9","requestParameters":{"target":"i-0123456789abcdef0"},"eventID":"22222222-2222-2222-2222-222222222222","readOnly":false,"eventType":"AwsApiCall","recipientAccountId":"111122223333"}`
	listBuckets  = `{"eventVersion":"1.09","userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/ReadOnly/alice","accountId":"111122223333"},"eventTime":"2026-11-02T09:02:00Z","eventSource":"s3.amazonaws.com","eventName":"ListBuckets","awsRegion":"eu-west-1","sourceIPAddress":"203.0.113.10","requestParameters":null,"eventID":"33333333-3333-3333-3333-333333333333","readOnly":true,"eventType":"AwsApiCall","recipientAccountId":"111122223333"}`
)

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func gzipped(t *testing.T, s string) string {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write([]byte(s))
	zw.Close()
	return b.String()
}

// jsonAlerts decodes detect's JSON Lines output.
func jsonAlerts(t *testing.T, out string) []map[string]any {
	t.Helper()
	var alerts []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line == "" {
			continue
		}
		var a map[string]any
		if err := json.Unmarshal([]byte(line), &a); err != nil {
			t.Fatalf("output line is not a JSON object: %v\n%s", err, line)
		}
		alerts = append(alerts, a)
	}
	return alerts
}

func alertRules(alerts []map[string]any) []string {
	var out []string
	for _, a := range alerts {
		out = append(out, a["rule"].(string)+" "+a["eventID"].(string))
	}
	return out
}

// TestDetectDirectory reads a trail's S3 layout (gzipped log files, digest
// files skipped), JSON Lines and lookup-events output, each event once.
func TestDetectDirectory(t *testing.T) {
	dir := t.TempDir()
	logs := filepath.Join(dir, "AWSLogs", "111122223333", "CloudTrail", "eu-west-1", "2026", "11", "02")
	writeFile(t, filepath.Join(logs, "111122223333_CloudTrail_eu-west-1_20261102T0905Z_a.json.gz"),
		gzipped(t, `{"Records":[`+stopLogging+`,`+listBuckets+`]}`))
	writeFile(t, filepath.Join(dir, "AWSLogs", "111122223333", "CloudTrail-Digest", "eu-west-1", "digest.json.gz"),
		gzipped(t, `{"awsAccountId":"111122223333","digestStartTime":"2026-11-02T08:00:00Z"}`))
	writeFile(t, filepath.Join(dir, "notes.txt"), "not records")
	writeFile(t, filepath.Join(logs, "111122223333_CloudTrail_eu-west-1_20261102T0910Z_b.json.gz"), gzipped(t, `{"Records":[]}`))
	// The same StopLogging again, from Event History: no second alert.
	writeFile(t, filepath.Join(dir, "lookup.json"), `{"Events":[{"EventId":"11111111-1111-1111-1111-111111111111","CloudTrailEvent":`+strconvQuote(stopLogging)+`}]}`)
	writeFile(t, filepath.Join(dir, "stream.jsonl"), `{"version":"0","detail-type":"AWS API Call via CloudTrail","source":"aws.ssm","detail":`+startSession+"}\n")

	r := runCommand(t, "", false, "detect", "--format", "json", dir)
	if r.code != exitOK {
		t.Fatalf("exit code %d, want 0; stderr:\n%s", r.code, r.stderr)
	}
	alerts := jsonAlerts(t, r.stdout)
	want := []string{
		"cloudtrail-logging-stopped 11111111-1111-1111-1111-111111111111",
		"ssm-start-session 22222222-2222-2222-2222-222222222222",
	}
	if diff := cmp.Diff(alertRules(alerts), want); diff != "" {
		t.Errorf("alerts (-got +want):\n%s", diff)
	}
	a := alerts[0]
	for k, v := range map[string]any{
		"severity": "critical", "eventName": "StopLogging", "eventTime": "2026-11-02T09:00:00Z", "accountId": "111122223333",
		"region": "eu-west-1", "principal": "arn:aws:iam::111122223333:user/mallory", "sourceIPAddress": "203.0.113.9",
		"dedupeKey": "cloudtrail-logging-stopped/11111111-1111-1111-1111-111111111111",
	} {
		if a[k] != v {
			t.Errorf("alert %s = %v, want %v", k, a[k], v)
		}
	}
	if rec, _ := a["record"].(map[string]any); rec["eventName"] != "StopLogging" {
		t.Errorf("alert record = %v, want the CloudTrail record", a["record"])
	}
	if !strings.Contains(r.stderr, "checked 4 records in 4 files: 2 alerts (1 critical, 1 low), 1 duplicates dropped") {
		t.Errorf("stderr:\n%s", r.stderr)
	}
}

func strconvQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func TestDetectText(t *testing.T) {
	r := runCommand(t, stopLogging+"\n"+listBuckets+"\n", false, "detect", "-")
	if r.code != exitOK {
		t.Fatalf("exit code %d, want 0; stderr:\n%s", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "SEVERITY") ||
		!strings.Contains(lines[1], "CRITICAL") || !strings.Contains(lines[1], "cloudtrail-logging-stopped") ||
		!strings.Contains(lines[1], "arn:aws:iam::111122223333:user/mallory") {
		t.Errorf("stdout:\n%s", r.stdout)
	}
}

func TestDetectExitCodes(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "events.jsonl")
	writeFile(t, file, startSession+"\n"+listBuckets+"\n")
	broken := filepath.Join(dir, "broken.json")
	writeFile(t, broken, `{"Records":[`+stopLogging+`,{"eventID":`)
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStderr string
	}{
		{name: "alerts below --fail-on", args: []string{"--fail-on", "medium", file}, wantCode: exitOK},
		{name: "alerts at --fail-on", args: []string{"--fail-on", "low", file}, wantCode: exitAlerts, wantStderr: "1 alerts at or above low"},
		{name: "no path", args: nil, wantCode: exitUsage, wantStderr: "at least one PATH"},
		{name: "bad format", args: []string{"--format", "xml", file}, wantCode: exitUsage, wantStderr: "--format must be text or json"},
		{name: "bad severity", args: []string{"--fail-on", "urgent", file}, wantCode: exitUsage, wantStderr: `unknown severity "urgent"`},
		{name: "rules not a directory", args: []string{"--rules", file, file}, wantCode: exitUsage, wantStderr: "is not a directory"},
		{name: "disable one rule", args: []string{"--fail-on", "low", "--disable", "ssm-start-session", file}, wantCode: exitOK},
		{name: "disable a list", args: []string{"--fail-on", "low", "--disable", "root-activity,ssm-start-session", file}, wantCode: exitOK},
		{name: "disable an unknown rule", args: []string{"--disable", "no-such-rule", file}, wantCode: exitFailed, wantStderr: "--disable: rule no-such-rule: no rule has this id"},
		{name: "missing file", args: []string{filepath.Join(dir, "nope.json")}, wantCode: exitFailed, wantStderr: "nope.json: stat"},
		{
			// The broken file's first record is still checked, the other
			// file too, and the failure names the file and the record.
			name: "truncated file", args: []string{"--fail-on", "low", broken, file}, wantCode: exitFailed,
			wantStderr: "broken.json: record 2",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCommand(t, "", false, append([]string{"detect", "--format", "json"}, tt.args...)...)
			if r.code != tt.wantCode {
				t.Errorf("exit code %d, want %d; stderr:\n%s", r.code, tt.wantCode, r.stderr)
			}
			if !strings.Contains(r.stderr, tt.wantStderr) {
				t.Errorf("stderr does not contain %q:\n%s", tt.wantStderr, r.stderr)
			}
		})
	}
	r := runCommand(t, "", false, "detect", "--format", "json", broken, file)
	if got := alertRules(jsonAlerts(t, r.stdout)); len(got) != 2 {
		t.Errorf("alerts with a broken file: %v, want the broken file's first record's and the other file's", got)
	}
}

// TestDetectRules adds a rule, turns off a default one, and reports every
// problem of a rule directory at once.
func TestDetectRules(t *testing.T) {
	rules := t.TempDir()
	writeFile(t, filepath.Join(rules, "ours.yaml"), `
id: s3-list-buckets
title: Buckets listed
severity: info
match: eventName == "ListBuckets"
exceptions:
  - reason: the auditors
    principals: ["arn:aws:sts::*:assumed-role/Auditor/*"]
---
id: ssm-start-session
title: Session started (we do this all day)
severity: info
match: eventName == "StartSession"
disabled: true
`)
	file := filepath.Join(t.TempDir(), "events.jsonl")
	writeFile(t, file, startSession+"\n"+listBuckets+"\n")
	r := runCommand(t, "", false, "detect", "--format", "json", "--rules", rules, file)
	if r.code != exitOK {
		t.Fatalf("exit code %d; stderr:\n%s", r.code, r.stderr)
	}
	if diff := cmp.Diff(alertRules(jsonAlerts(t, r.stdout)), []string{"s3-list-buckets 33333333-3333-3333-3333-333333333333"}); diff != "" {
		t.Errorf("alerts (-got +want):\n%s", diff)
	}

	bad := t.TempDir()
	writeFile(t, filepath.Join(bad, "a.yaml"), `
id: broken-condition
title: Broken
severity: high
match: eventName == "X" &&
---
id: Bad_ID
title: ""
severity: urgent
match: eventName.size() > "x"
`)
	writeFile(t, filepath.Join(bad, "sub", "b.yml"), "id: typo\ntitle: t\nseverity: low\nmatch: true\nthreshhold: {}\n")
	r = runCommand(t, "", false, "detect", "--rules", bad, file)
	if r.code != exitFailed {
		t.Errorf("exit code %d, want 1", r.code)
	}
	for _, want := range []string{
		"rules have 6 problems",
		"a.yaml: rule Bad_ID: match: ERROR: <input>:1:18: found no matching overload",
		"a.yaml: rule Bad_ID: id: must be lowercase",
		"a.yaml: rule Bad_ID: title: is required",
		`a.yaml: rule Bad_ID: severity: unknown severity "urgent"`,
		"a.yaml: rule broken-condition: match: ERROR: <input>:1:",
		"sub/b.yml: document 1:",
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr does not contain %q:\n%s", want, r.stderr)
		}
	}
}

func TestDetectInterrupted(t *testing.T) {
	file := filepath.Join(t.TempDir(), "events.jsonl")
	writeFile(t, file, stopLogging+"\n")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var stdout, stderr bytes.Buffer
	code := run(ctx, []string{"detect", file}, &env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr})
	if code != exitInterrupted || !strings.Contains(stderr.String(), "interrupted") {
		t.Errorf("exit code %d, stderr %q; want %d, interrupted", code, stderr.String(), exitInterrupted)
	}
	if stdout.Len() > 0 {
		t.Errorf("stdout %q, want nothing after the interruption", stdout.String())
	}
}

// TestDetectFailingRule checks that a rule failing on records is reported
// and does not stop the others.
func TestDetectFailingRule(t *testing.T) {
	rules := t.TempDir()
	writeFile(t, filepath.Join(rules, "r.yaml"), "id: fragile\ntitle: F\nseverity: low\nmatch: requestParameters.target.startsWith(\"i-\")\n")
	file := filepath.Join(t.TempDir(), "events.jsonl")
	writeFile(t, file, startSession+"\n"+listBuckets+"\n")
	r := runCommand(t, "", false, "detect", "--format", "json", "--rules", rules, file)
	if r.code != exitOK {
		t.Fatalf("exit code %d; stderr:\n%s", r.code, r.stderr)
	}
	if diff := cmp.Diff(alertRules(jsonAlerts(t, r.stdout)), []string{
		"ssm-start-session 22222222-2222-2222-2222-222222222222",
		"fragile 22222222-2222-2222-2222-222222222222",
	}); diff != "" {
		t.Errorf("alerts (-got +want):\n%s", diff)
	}
	if want := "rule fragile failed on 1 records (they did not match it); first: no such key: target"; !strings.Contains(r.stderr, want) {
		t.Errorf("stderr does not contain %q:\n%s", want, r.stderr)
	}
}

// TestDetectConfig runs the ordinary organization day with and without its config: with
// it, sharing with the organization's accounts and deployments by its deployers are no
// alerts; its detection.rulesDir and disabledRules apply; a bad config is an error naming it.
func TestDetectConfig(t *testing.T) {
	day := filepath.Join("..", "..", "detect", "testdata", "orgday", "day.json.gz")
	orgCfg, err := os.ReadFile(filepath.Join("..", "..", "detect", "testdata", "orgday", "org.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "org.yaml")
	writeFile(t, cfgPath, string(orgCfg)+"detection:\n  rulesDir: rules\n  disabledRules: [root-activity]\n")
	writeFile(t, filepath.Join(dir, "rules", "ours.yaml"), "id: vended-account\ntitle: Account created\nseverity: info\nmatch: eventName == \"CreateAccount\"\n")

	dayBytes, err := os.ReadFile(day)
	if err != nil {
		t.Fatal(err)
	}
	// From standard input only each record's own account is known; over files, the accounts
	// that received the records are the organization's.
	stdin := runCommand(t, string(dayBytes), false, "detect", "--format", "json", "-")
	without := runCommand(t, "", false, "detect", "--format", "json", day)
	with := runCommand(t, "", false, "detect", "--format", "json", "--config", cfgPath, day)
	if stdin.code != exitOK || without.code != exitOK || with.code != exitOK {
		t.Fatalf("exit codes %d, %d, %d; stderr:\n%s\n%s\n%s", stdin.code, without.code, with.code, stdin.stderr, without.stderr, with.stderr)
	}
	count := func(alerts []map[string]any, rule string) int {
		n := 0
		for _, a := range alerts {
			if a["rule"] == rule {
				n++
			}
		}
		return n
	}
	si, wo, wi := jsonAlerts(t, stdin.stdout), jsonAlerts(t, without.stdout), jsonAlerts(t, with.stdout)
	for rule, want := range map[string][3]int{
		"ec2-ami-shared":                 {3, 0, 0}, // the image pipeline shares with the workload accounts
		"rds-snapshot-shared":            {1, 0, 0},
		"s3-bucket-policy-other-account": {2, 1, 1}, // the vendor's account stays
		"root-activity":                  {1, 1, 0}, // disabled by the config
		"vended-account":                 {0, 0, 1}, // the config's rulesDir
	} {
		if got := [3]int{count(si, rule), count(wo, rule), count(wi, rule)}; got != want {
			t.Errorf("%s alerts from standard input, over the file without and with the config = %v, want %v", rule, got, want)
		}
	}
	if !strings.Contains(without.stderr, "no --config") || strings.Contains(with.stderr, "no --config") {
		t.Errorf("the note on running without a config:\nwithout: %s\nwith: %s", without.stderr, with.stderr)
	}

	writeFile(t, cfgPath, "organization:\n  id: o-1\n")
	r := runCommand(t, "", false, "detect", "--config", cfgPath, day)
	if r.code != exitFailed || !strings.Contains(r.stderr, "organization.id") {
		t.Errorf("bad config: exit %d, stderr:\n%s", r.code, r.stderr)
	}
	r = runCommand(t, "", false, "detect", "--config", filepath.Join(dir, "missing.yaml"), day)
	if r.code != exitUsage || !strings.Contains(r.stderr, "--config") {
		t.Errorf("missing config: exit %d, stderr:\n%s", r.code, r.stderr)
	}
}
