package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDocsUpToDate fails when docs/detection.md's report is not what the rules and corpora
// give now: run make detection-report.
func TestDocsUpToDate(t *testing.T) {
	report, err := Report("../..")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile("../../" + detectionDocs)
	if err != nil {
		t.Fatal(err)
	}
	updated, err := Splice(doc, report)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(doc, updated) {
		t.Errorf("%s is not up to date: run make detection-report", detectionDocs)
	}
}

func TestSpliceNeedsMarkers(t *testing.T) {
	if _, err := Splice([]byte("# doc\n"), "x"); err == nil || !strings.Contains(err.Error(), beginMarker) {
		t.Errorf("want an error naming the markers, got %v", err)
	}
	got, err := Splice([]byte("a\n"+beginMarker+"\nold\n"+endMarker+"\nb\n"), "new\n")
	if err != nil || string(got) != "a\n"+beginMarker+"\nnew\n"+endMarker+"\nb\n" {
		t.Errorf("Splice = %q, %v", got, err)
	}
}

// TestCoverage measures a small attack corpus: a behaviour counts as fully detected only when
// every variant alerts on one of its rules.
func TestCoverage(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, attacksDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	stop := `{"Records":[{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/x","accountId":"111122223333","userName":"x"},"eventTime":"2026-11-02T09:00:00Z","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","awsRegion":"eu-west-1","sourceIPAddress":"203.0.113.1","requestParameters":{"name":"t"},"eventID":"e1","recipientAccountId":"111122223333"}]}`
	quiet := strings.Replace(stop, "StopLogging", "DescribeTrails", 1)
	for name, body := range map[string]string{"stop.json": stop, "quiet.json": quiet} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	manifest := `behaviours:
  - id: trail-stopped
    title: Trail stopped
    variants:
      - {name: stop, file: stop.json, rules: [cloudtrail-logging-stopped]}
  - id: half
    title: Half detected
    variants:
      - {name: stop, file: stop.json, rules: [cloudtrail-logging-stopped]}
      - {name: quiet, file: quiet.json, rules: [cloudtrail-logging-stopped]}
`
	if err := os.WriteFile(filepath.Join(dir, "manifest.yaml"), []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := coverage(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"1 of 2 behaviours fully detected; 2 of 3 variants alert", "| `half` | Half detected | 1/2 | missed: quiet |"} {
		if !strings.Contains(got, want) {
			t.Errorf("coverage lacks %q:\n%s", want, got)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "manifest.yaml"), []byte("behaviours:\n  - id: x\n    description: more than the report reads\n    variants:\n      - {name: v}\n"), 0o644); err == nil {
		_, err := coverage(root)
		for _, want := range []string{"behaviours[0] (x).variants[0].file is empty", "behaviours[0] (x).variants[0].rules: none"} {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("a variant without file and rules: want %q, got %v", want, err)
			}
		}
	}
	if got, _ := coverage(t.TempDir()); !strings.Contains(got, "not measured") {
		t.Errorf("without a manifest: %q", got)
	}
}
