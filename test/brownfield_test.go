package test

import (
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/trailguard/trailguard/constructs/detection"
	"github.com/trailguard/trailguard/constructs/eventsink"
	"github.com/trailguard/trailguard/constructs/logarchive"
)

// brownfieldDir is the outside-module example on existing resources, relative to the
// repository root.
const brownfieldDir = "examples/brownfield"

// brownfieldSummary matches the example app's verdict line (examples/brownfield/main.go).
var brownfieldSummary = regexp.MustCompile(`brownfield: (\d+) stack\(s\); gates: (\d+) finding\(s\), \d+ suppressed by the constructs with a reason; (\d+) step\(s\) to do by hand`)

// brownfieldStacks are the stacks the example lays out.
var brownfieldStacks = []string{
	"brownfield-security",
	"brownfield-workload-eu-west-1", "brownfield-workload-us-east-1", "brownfield-workload-eu-central-1",
}

// TestBrownfieldExample builds the outside-module example that imports an existing log
// archive bucket and key and an existing alert topic, and synthesizes it with the real cdk
// CLI on a clean copy of the repository: it must vet and pass the gates with zero findings,
// and for every imported resource a construct depends on at run time, say what to add by
// hand, with the JSON to paste, both in its own summary and in the cdk CLI's warnings.
func TestBrownfieldExample(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the example module and runs cdk synth, a complete synth with the gates (-short)")
	}
	w := newWorkspace(t, "eu-west-1")
	r, m := synthExample(t, w, brownfieldDir, brownfieldSummary, len(brownfieldStacks))
	// Each imported resource the app depends on at run time, and what its step must say.
	steps := []struct {
		id   string
		want []string
	}{
		// The archive key: CloudTrail encrypts, the archive function decrypts.
		{logarchive.WarningKeyPolicy, []string{`"Sid":"` + logarchive.SidCloudTrailEncrypt + `"`, `"Sid":"` + logarchive.SidLogFileReadersDecrypt + `"`,
			`"aws:SourceArn":"arn:aws:cloudtrail:eu-west-1:410000000001:trail/acme-org-trail"`, `"arn:aws:iam::410000000002:role/` + detection.ArchiveFunctionName + `"`}},
		// The alert topic: the delivery alert rule and the alarms publish to it.
		{eventsink.WarningAlertTopicPolicy, []string{`"Sid":"AllowAlertRules"`, `"Sid":"AllowDeadLetterAlarms"`, `"Resource":"arn:aws:sns:eu-west-1:410000000002:acme-security-alerts"`}},
		// The alert topic's key: EventBridge and CloudWatch encrypt with it.
		{eventsink.WarningAlertKeyPolicy, []string{`"Sid":"AllowEventBridgeToEncryptDeliveries"`, `"Sid":"AllowCloudWatchAlarmsOfThisAccount"`}},
		// The archive bucket: nothing else would notify the archive function of new log files.
		{detection.WarningArchiveBucketNotification, []string{`"QueueArn":"arn:aws:sqs:eu-west-1:410000000002:` + detection.ArchiveFunctionName + `"`,
			"aws s3api put-bucket-notification-configuration --bucket acme-org-cloudtrail-archive"}},
	}
	if m != nil && m[3] != strconv.Itoa(len(steps)) {
		t.Errorf("example: %s steps by hand, want %d; output:\n%s", m[3], len(steps), r.output)
	}
	var lines []string
	for _, l := range strings.Split(r.output, "\n") {
		if strings.Contains(l, "step ") || strings.HasPrefix(l, "WARNING ") {
			lines = append(lines, l)
		}
	}
	checkPasteable(t, lines)
	for _, s := range steps {
		var step string
		for _, l := range lines {
			if strings.Contains(l, s.id+": ") {
				step = l
			}
		}
		if step == "" {
			t.Errorf("example: no step %s; output:\n%s", s.id, r.output)
			continue
		}
		for _, w := range s.want {
			if !strings.Contains(step, w) {
				t.Errorf("example: step %s does not say %s:\n%s", s.id, w, step)
			}
		}
		if strings.Contains(step, "Fn::") || strings.Contains(step, `"Ref"`) {
			t.Errorf("example: step %s leaves a value unresolved that the stack's environment fixes:\n%s", s.id, step)
		}
	}
	for _, s := range brownfieldStacks {
		var tmpl template
		if err := readJSON(filepath.Join(w.dir, brownfieldDir, "cdk.out", s+".template.json"), &tmpl); err != nil {
			t.Errorf("example: stack %s not synthesized: %v", s, err)
		}
	}
}

// TestBrownfieldExampleHasNoSuppressions: the example excepts and acknowledges nothing itself.
func TestBrownfieldExampleHasNoSuppressions(t *testing.T) {
	checkNoSuppressions(t, brownfieldDir)
}
