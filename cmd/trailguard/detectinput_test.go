package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/trailguard/trailguard/internal/eventhistory/checkpoint"
	"github.com/trailguard/trailguard/internal/eventhistory/manifest"
)

// Inputs of the detect tests that are not CloudTrail records.
const (
	// trailguard's own heartbeat, as the stream carries it.
	heartbeat = `{"version":"0","id":"5f0b","detail-type":"trailguard heartbeat","source":"trailguard.heartbeat","account":"111122223333","time":"2026-11-02T09:00:00Z","region":"eu-west-1","resources":[],"detail":{}}`
	// A GuardDuty finding forwarded on the same bus.
	finding = `{"version":"0","id":"9a1c","detail-type":"GuardDuty Finding","source":"aws.guardduty","account":"111122223333","time":"2026-11-02T09:00:00Z","region":"eu-west-1","resources":[],"detail":{"schemaVersion":"2.0","type":"Recon:EC2/PortProbeUnprotectedPort"}}`
	// A CloudTrail digest file
	// (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-validation-digest-file-structure.html).
	digest = `{"awsAccountId":"111122223333","digestStartTime":"2026-11-02T08:05:00Z","digestEndTime":"2026-11-02T09:05:00Z","digestS3Bucket":"archive","digestS3Object":"AWSLogs/111122223333/CloudTrail-Digest/eu-west-1/2026/11/02/111122223333_CloudTrail-Digest_eu-west-1_main_eu-west-1_20261102T090500Z.json.gz","digestPublicKeyFingerprint":"0123","digestSignatureAlgorithm":"SHA256withRSA","newestEventTime":"2026-11-02T09:00:00Z","oldestEventTime":"2026-11-02T08:00:00Z","previousDigestS3Bucket":null,"previousDigestS3Object":null,"previousDigestHashValue":null,"previousDigestHashAlgorithm":null,"previousDigestSignature":null,"logFiles":[{"s3Bucket":"archive","s3Object":"AWSLogs/111122223333/CloudTrail/eu-west-1/2026/11/02/a.json.gz","hashValue":"00","hashAlgorithm":"SHA-256","newestEventTime":"2026-11-02T09:00:00Z","oldestEventTime":"2026-11-02T08:00:00Z"}]}`
	// AWS Config files as Config delivers them to S3
	// (https://docs.aws.amazon.com/config/latest/developerguide/deliver-snapshot-cli.html).
	configHistory  = `{"fileVersion":"1.0","configurationItems":[{"configurationItemVersion":"1.3","configurationItemCaptureTime":"2026-11-02T09:00:00.000Z","configurationStateId":1,"awsAccountId":"111122223333","configurationItemStatus":"OK","resourceType":"AWS::S3::Bucket","resourceId":"b","awsRegion":"eu-west-1","configuration":{}}]}`
	configSnapshot = `{"fileVersion":"1.0","configSnapshotId":"0b5c","configurationItems":[{"configurationItemVersion":"1.3","resourceType":"AWS::IAM::Role","resourceId":"AROA","awsRegion":"global"}]}`
)

// checkpointJSON is a history export's state file, as checkpoint writes it.
func checkpointJSON(t *testing.T) string {
	t.Helper()
	b, err := json.Marshal(&checkpoint.State{Version: 1, Format: "jsonl", Start: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC),
		End: time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC), Regions: map[string]*checkpoint.Region{"eu-west-1": {Done: true}}})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestDetectInputs runs detect over inputs that are not (only) CloudTrail
// records: each is reported for what it is, the rest is checked, and the
// summary says what was checked and skipped.
func TestDetectInputs(t *testing.T) {
	ct := "AWSLogs/111122223333/CloudTrail/eu-west-1/2026/11/02/"
	tests := []struct {
		name  string
		files map[string]string // relative path: content
		args  []string          // relative to the directory; none: the directory
		stdin string
		code  int
		// alerts are the alerts' rules and eventIDs.
		alerts []string
		// stderr holds each of these, and none of notStderr.
		stderr, notStderr []string
	}{
		{
			name:   "heartbeat and other EventBridge events skipped and counted, the rest checked",
			files:  map[string]string{"stream.jsonl": heartbeat + "\n" + finding + "\n" + stopLogging + "\n" + heartbeat + "\n"},
			code:   exitOK,
			alerts: []string{"cloudtrail-logging-stopped 11111111-1111-1111-1111-111111111111"},
			stderr: []string{
				"checked 1 records in 1 files",
				`skipped 3 records that are not CloudTrail records (EventBridge event of detail-type "trailguard heartbeat": 2; EventBridge event of detail-type "GuardDuty Finding": 1)`,
			},
		},
		{
			name:   "objects that are not records inside a log file skipped",
			files:  map[string]string{ct + "a.json": `{"Records":[{"note":"x"},` + stopLogging + `,[1],` + listBuckets + `]}`},
			code:   exitOK,
			alerts: []string{"cloudtrail-logging-stopped 11111111-1111-1111-1111-111111111111"},
			stderr: []string{"checked 2 records in 1 files", "skipped 2 records that are not CloudTrail records (JSON array: 1; JSON object without eventName: 1)"},
		},
		{
			name:  "a corrupt line reported with its line, the rest of the file checked",
			files: map[string]string{"events.jsonl": startSession + "\n" + `{"eventID":"x","eventName":` + "\n" + "\n" + stopLogging + "\n"},
			code:  exitFailed,
			alerts: []string{
				"ssm-start-session 22222222-2222-2222-2222-222222222222",
				"cloudtrail-logging-stopped 11111111-1111-1111-1111-111111111111",
			},
			stderr: []string{"events.jsonl: line 2: not valid JSON", "checked 2 records in 1 files", "the input was not fully read (see above): 1 lines in 1 files were not valid JSON and were not checked"},
		},
		{
			name:  "a corrupt first line of JSON Lines on standard input",
			stdin: `{"eventName":"x",` + "\n" + stopLogging + "\n" + listBuckets + "\n",
			args:  []string{"-"},
			code:  exitFailed,
			alerts: []string{
				"cloudtrail-logging-stopped 11111111-1111-1111-1111-111111111111",
			},
			stderr: []string{"standard input: line 1: not valid JSON", "checked 2 records in 1 files"},
		},
		{
			name: "a history export directory: its state files ignored",
			files: map[string]string{
				checkpoint.FileName:    checkpointJSON(t),
				".trailguard-org.json": `{"version":1,"format":"jsonl","roleName":"trailguard-event-history-reader"}`,
				".trailguard-accounts/111122223333/" + checkpoint.FileName: checkpointJSON(t),
				manifest.FileName:              "00  eu-west-1.jsonl\n",
				"eu-west-1.jsonl":              stopLogging + "\n",
				"111122223333/eu-west-1.jsonl": listBuckets + "\n",
			},
			code:   exitOK,
			alerts: []string{"cloudtrail-logging-stopped 11111111-1111-1111-1111-111111111111"},
			stderr: []string{"checked 2 records in 2 files", "skipped 4 files that hold no CloudTrail records (history export state file: 3; file not of a record type: 1)"},
		},
		{
			name: "an unfinished export's staging records are not read twice",
			files: map[string]string{
				checkpoint.FileName: checkpointJSON(t),
				"AWSLogs/111122223333/CloudTrail/eu-west-1/2026/11/02/111122223333_CloudTrail_eu-west-1_20261102T0900Z_trailguard000001.json.gz": gzipped(t, `{"Records":[`+stopLogging+`]}`),
				".trailguard-staging/eu-west-1/000002.jsonl": listBuckets + "\n",
			},
			code:   exitOK,
			alerts: []string{"cloudtrail-logging-stopped 11111111-1111-1111-1111-111111111111"},
			stderr: []string{"checked 1 records in 1 files", "skipped 2 files that hold no CloudTrail records (history export state file: 1; staging file of an unfinished history export: run the export again to finish it, then detect again: 1)"},
		},
		{
			name:   "a digest file given by name",
			files:  map[string]string{"AWSLogs/111122223333/CloudTrail-Digest/eu-west-1/2026/11/02/111122223333_CloudTrail-Digest_eu-west-1_main_eu-west-1_20261102T090500Z.json.gz": gzipped(t, digest)},
			args:   []string{"AWSLogs/111122223333/CloudTrail-Digest/eu-west-1/2026/11/02/111122223333_CloudTrail-Digest_eu-west-1_main_eu-west-1_20261102T090500Z.json.gz"},
			code:   exitFailed,
			stderr: []string{"a CloudTrail digest file, not a log file: use `trailguard archive verify`"},
		},
		{
			name:   "a digest file under another name",
			files:  map[string]string{"d.json": digest},
			args:   []string{"d.json"},
			code:   exitFailed,
			stderr: []string{"d.json: a CloudTrail digest file, not a log file: use `trailguard archive verify`"},
		},
		{
			name:      "random bytes",
			files:     map[string]string{"blob.json": "\x8f\x03\x00\xffM\x9a\x10garbage\x00\x01"},
			args:      []string{"blob.json"},
			code:      exitFailed,
			stderr:    []string{"blob.json: not JSON or CSV text (it starts with 8f 03 00 ff): not CloudTrail records"},
			notStderr: []string{"column"},
		},
		{
			// Nothing says it is not a damaged log file: an error, not a skip.
			name:   "random bytes in a directory",
			files:  map[string]string{ct + "a.json.gz": gzipped(t, "\x8f\x03\x00\xff"), "events.jsonl": stopLogging + "\n"},
			code:   exitFailed,
			alerts: []string{"cloudtrail-logging-stopped 11111111-1111-1111-1111-111111111111"},
			stderr: []string{"a.json.gz: not JSON or CSV text (it starts with 8f 03 00 ff): not CloudTrail records", "checked 1 records in 2 files"},
		},
		{
			name:      "text that is neither JSON nor CSV",
			files:     map[string]string{"notes.json": "incident notes\nnothing here\n"},
			args:      []string{"notes.json"},
			code:      exitFailed,
			stderr:    []string{"notes.json: not JSON or CSV text"},
			notStderr: []string{"column"},
		},
		{
			name:   "a truncated log file: its records before the break checked",
			files:  map[string]string{"broken.json": `{"Records":[` + stopLogging + `,{"eventID":`},
			args:   []string{"broken.json"},
			code:   exitFailed,
			alerts: []string{"cloudtrail-logging-stopped 11111111-1111-1111-1111-111111111111"},
			stderr: []string{"broken.json: record 2: not valid JSON at byte 509: unexpected EOF within \"/Records/1/eventID\" after offset 521 (the file is cut short); the rest of the file was not read"},
		},
		{
			name: "a Control Tower log archive: Config files and digests skipped with a count",
			files: map[string]string{
				"o-aa111bb222/AWSLogs/o-aa111bb222/111122223333/CloudTrail/eu-west-1/2026/11/02/111122223333_CloudTrail_eu-west-1_20261102T0905Z_a.json.gz":                                                             gzipped(t, `{"Records":[`+stopLogging+`]}`),
				"o-aa111bb222/AWSLogs/o-aa111bb222/111122223333/CloudTrail-Digest/eu-west-1/2026/11/02/111122223333_CloudTrail-Digest_eu-west-1_aws-controltower-BaselineCloudTrail_us-east-1_20261102T090500Z.json.gz": gzipped(t, digest),
				"o-aa111bb222/AWSLogs/111122223333/Config/eu-west-1/2026/11/2/ConfigHistory/111122223333_Config_eu-west-1_ConfigHistory_AWS::S3::Bucket_20261102T090000Z_20261102T100000Z_1.json.gz":                    gzipped(t, configHistory),
				"o-aa111bb222/AWSLogs/111122223333/Config/eu-west-1/2026/11/2/ConfigSnapshot/111122223333_Config_eu-west-1_ConfigSnapshot_20261102T090000Z_0b5c.json.gz":                                                gzipped(t, configSnapshot),
				"o-aa111bb222/AWSLogs/111122223333/Config/ConfigWritabilityCheckFile":                                                                                                                                   "",
			},
			code:   exitOK,
			alerts: []string{"cloudtrail-logging-stopped 11111111-1111-1111-1111-111111111111"},
			stderr: []string{"checked 1 records in 1 files", "skipped 4 files that hold no CloudTrail records (AWS Config file: 2; CloudTrail digest file, for `trailguard archive verify`: 1; file not of a record type: 1)"},
		},
		{
			name:   "an AWS Config file found by its content in a directory skipped",
			files:  map[string]string{"config.json": configSnapshot, "events.jsonl": stopLogging + "\n"},
			code:   exitOK,
			alerts: []string{"cloudtrail-logging-stopped 11111111-1111-1111-1111-111111111111"},
			stderr: []string{"checked 1 records in 1 files", "skipped 1 files that hold no CloudTrail records (AWS Config file: 1)"},
		},
		{
			name:   "an AWS Config file given by name",
			files:  map[string]string{"config.json.gz": gzipped(t, configHistory)},
			args:   []string{"config.json.gz"},
			code:   exitFailed,
			stderr: []string{"config.json.gz: an AWS Config file, not CloudTrail records"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for p, c := range tt.files {
				writeFile(t, filepath.Join(dir, filepath.FromSlash(p)), c)
			}
			args := []string{dir}
			if tt.args != nil {
				args = nil
				for _, a := range tt.args {
					if a != "-" {
						a = filepath.Join(dir, filepath.FromSlash(a))
					}
					args = append(args, a)
				}
			}
			r := runCommand(t, tt.stdin, false, append([]string{"detect", "--format", "json"}, args...)...)
			if r.code != tt.code {
				t.Errorf("exit code %d, want %d; stderr:\n%s", r.code, tt.code, r.stderr)
			}
			got := alertRules(jsonAlerts(t, r.stdout))
			if diff := cmp.Diff(got, tt.alerts, cmpEmpty); diff != "" {
				t.Errorf("alerts (-got +want):\n%s", diff)
			}
			for _, s := range tt.stderr {
				if !strings.Contains(r.stderr, s) {
					t.Errorf("stderr does not contain %q:\n%s", s, r.stderr)
				}
			}
			for _, s := range tt.notStderr {
				if strings.Contains(r.stderr, s) {
					t.Errorf("stderr contains %q:\n%s", s, r.stderr)
				}
			}
		})
	}
}

// cmpEmpty makes nil and empty slices equal.
var cmpEmpty = cmp.Comparer(func(a, b []string) bool { return slices.Equal(a, b) })

// TestDetectFormats reads the same record in every format detect accepts.
func TestDetectFormats(t *testing.T) {
	pretty, err := json.MarshalIndent(json.RawMessage(`{"Records":[`+stopLogging+`]}`), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	prettyRecord, _ := json.MarshalIndent(json.RawMessage(stopLogging), "", "\t")
	tests := []struct{ name, file, content string }{
		{"log file", "a.json", `{"Records":[` + stopLogging + `]}`},
		{"gzipped log file", "a.json.gz", gzipped(t, `{"Records":[`+stopLogging+`]}`)},
		{"pretty-printed log file (console download)", "a.json", string(pretty)},
		{"array of records", "a.json", "[" + stopLogging + "]"},
		{"one pretty-printed record", "a.json", string(prettyRecord)},
		{"concatenated pretty-printed records", "a.json", string(prettyRecord) + "\n" + string(prettyRecord)},
		{"a record a line inside Records", "a.json", "{\"Records\": [\n" + listBuckets + ",\n" + stopLogging + "\n]}\n"},
		{"a record a line inside an array", "a.json", "[\n" + listBuckets + ",\n" + stopLogging + "\n]\n"},
		{"JSON Lines", "a.jsonl", listBuckets + "\n" + stopLogging + "\n"},
		{"JSON Lines without the extension", "a.txt", listBuckets + "\n" + stopLogging},
		{"gzipped JSON Lines", "a.ndjson.gz", gzipped(t, listBuckets+"\n"+stopLogging+"\n")},
		{"EventBridge events", "a.jsonl", `{"version":"0","detail-type":"AWS API Call via CloudTrail","source":"aws.cloudtrail","detail":` + stopLogging + "}\n"},
		{"lookup-events output", "a.json", `{"Events":[{"EventId":"11111111-1111-1111-1111-111111111111","EventName":"StopLogging","CloudTrailEvent":` + strconvQuote(stopLogging) + `}],"NextToken":"x"}`},
		{"lookup-events output, member order", "a.json", `{"NextToken":"x","Events":[{"EventId":"11111111-1111-1111-1111-111111111111","CloudTrailEvent":` + strconvQuote(stopLogging) + `}]}`},
		{"Event History CSV", "a.csv", "Event ID,Event name,CloudTrail event\n11111111-1111-1111-1111-111111111111,StopLogging," + csvQuote(stopLogging) + "\n"},
		{"byte order mark", "a.json", "\ufeff" + `{"Records":[` + stopLogging + `]}`},
		// A line longer than the reader's 1 MiB buffer.
		{"JSON Lines with a 3 MiB line", "a.jsonl", strings.Replace(listBuckets, `"requestParameters":null`, `"requestParameters":{"x":"`+strings.Repeat("a", 3<<20)+`"}`, 1) + "\n" + stopLogging + "\n"},
		{"a log file with a 3 MiB record", "a.json", `{"Records":[` + strings.Replace(listBuckets, `"requestParameters":null`, `"requestParameters":{"x":"`+strings.Repeat("a", 3<<20)+`"}`, 1) + "," + stopLogging + `]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), tt.file)
			writeFile(t, path, tt.content)
			r := runCommand(t, "", false, "detect", "--format", "json", path)
			if r.code != exitOK {
				t.Errorf("exit code %d, want 0; stderr:\n%s", r.code, r.stderr)
			}
			if diff := cmp.Diff(alertRules(jsonAlerts(t, r.stdout)), []string{"cloudtrail-logging-stopped 11111111-1111-1111-1111-111111111111"}); diff != "" {
				t.Errorf("alerts (-got +want):\n%s", diff)
			}
		})
	}
}

func csvQuote(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// TestSkipPath classifies the files of a directory by their path.
func TestSkipPath(t *testing.T) {
	tests := []struct{ path, want string }{
		{"AWSLogs/111122223333/CloudTrail/eu-west-1/2026/11/02/111122223333_CloudTrail_eu-west-1_20261102T0905Z_a.json.gz", ""},
		{"AWSLogs/o-aa111bb222/111122223333/CloudTrail/eu-west-1/2026/11/02/a.json.gz", ""},
		{"prefix/AWSLogs/o-aa111bb222/111122223333/CloudTrail-Insight/eu-west-1/2026/11/02/a.json.gz", ""},
		{"AWSLogs/111122223333/CloudTrail-Digest/eu-west-1/2026/11/02/111122223333_CloudTrail-Digest_eu-west-1_t_us-east-1_20261102T090500Z.json.gz", skipDigest},
		{"digests/111122223333_CloudTrail-Digest_eu-west-1_t_us-east-1_20261102T090500Z.json.gz", skipDigest},
		{"o-aa111bb222/AWSLogs/111122223333/Config/eu-west-1/2026/11/2/ConfigHistory/x.json.gz", skipConfig},
		{"AWSLogs/111122223333/GuardDuty/eu-west-1/2026/11/02/x.jsonl.gz", "GuardDuty file (not CloudTrail)"},
		{"AWSLogs/111122223333/elasticloadbalancing/eu-west-1/2026/11/02/x.log.gz", skipOtherType},
		{".trailguard-export.json", skipExport},
		{".trailguard-org.json", skipExport},
		{".trailguard-accounts/111122223333/.trailguard-export.json", skipExport},
		{".trailguard-staging/111122223333/eu-west-1/000001.jsonl", skipStaging},
		{"MANIFEST.sha256", skipOtherType},
		{"events.jsonl", ""},
		{"Event history.csv", ""},
		{"111122223333/eu-west-1.jsonl", ""},
		{"notes.txt", skipOtherType},
		// Not an account after AWSLogs: an ordinary folder.
		{"AWSLogs/readme/Config/x.json", ""},
	}
	for _, tt := range tests {
		if got := skipPath(tt.path); got != tt.want {
			t.Errorf("skipPath(%q) = %q, want %q", tt.path, got, tt.want)
		}
	}
}

// TestDetectCPUProfile writes the profile that cmd/detectbench's docs use.
func TestDetectCPUProfile(t *testing.T) {
	dir := t.TempDir()
	file, prof := filepath.Join(dir, "events.jsonl"), filepath.Join(dir, "cpu.prof")
	writeFile(t, file, stopLogging+"\n")
	r := runCommand(t, "", false, "detect", "--quiet", "--cpuprofile", prof, file)
	if r.code != exitOK {
		t.Fatalf("exit code %d; stderr:\n%s", r.code, r.stderr)
	}
	if fi, err := os.Stat(prof); err != nil || fi.Size() == 0 {
		t.Errorf("profile: %v, %v; want a profile", fi, err)
	}
}
