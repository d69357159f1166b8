package lambdatest_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/google/go-cmp/cmp"

	"github.com/trailguard/trailguard/config"
	"github.com/trailguard/trailguard/detect"
	"github.com/trailguard/trailguard/examples"
	"github.com/trailguard/trailguard/internal/alerting"
	"github.com/trailguard/trailguard/internal/lambdatest"
	"github.com/trailguard/trailguard/internal/lambdatest/awsfake"
	"github.com/trailguard/trailguard/internal/respond"
)

// parityConfig is the organization config both sides get: an action in enforce, one off,
// exemptions of each kind.
const parityConfig = `
response:
  actions:
    s3-block-public-access: {mode: enforce}
    iam-deactivate-access-key: {mode: "off"}
    cloudtrail-restore-trail: {mode: enforce}
  exemptions:
    buckets: ['www-*']
    accounts: ['444455556666']
    securityGroups: [sg-0fedcba9876543210]
`

// parityOrg is the example org with a deployer of its own (deployment.deployers), which only
// the organization context bundled with each function tells apart.
func parityOrg(t *testing.T) []byte {
	t.Helper()
	const comment = "  # deployers:"
	if !bytes.Contains(examples.Default, []byte(comment)) {
		t.Fatalf("examples.Default has no %q line to replace", comment)
	}
	org := bytes.Replace(examples.Default, []byte(comment), []byte("  deployers: ['arn:aws:iam::*:role/ci-deploy']\n"+comment), 1)
	return append(org, parityConfig...)
}

// parityCorpus is every record of the attack corpus (detect/testdata/attacks) and records
// that reach each kind of decision: each action (the restoring ones too), each exemption, the action off, a failed
// call, the responder's own call, an event that names nothing to restore.
func parityCorpus(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("../../detect/testdata/attacks/*/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("the attack corpus: %v", err)
	}
	var out []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var file struct{ Records []json.RawMessage }
		if err := json.Unmarshal(b, &file); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, r := range file.Records {
			var buf bytes.Buffer
			if err := json.Compact(&buf, r); err != nil {
				t.Fatal(err)
			}
			out = append(out, buf.String())
		}
	}
	failed := strings.Replace(publicBucketRecord("reports", "p-failed", ""), `"eventID"`, `"errorCode":"AccessDenied","errorMessage":"Access Denied","eventID"`, 1)
	return append(out,
		publicBucketRecord("reports", "p-bucket", ""),
		publicBucketRecord("www-site", "p-exempt-bucket", ""),
		inAccount(publicBucketRecord("reports", "p-exempt-account", ""), "444455556666"),
		publicBucketRecord("reports", "p-own", "trailguard-responder"),
		failed,
		accountPublicRecord("p-account"),
		openSSHRecord("p-sg"),
		strings.ReplaceAll(openSSHRecord("p-exempt-sg"), "sg-0a1b2c3d4e5f60718", "sg-0fedcba9876543210"),
		stopLoggingRecord("p-trail"),
		ctRecord(byAlice, "cloudtrail.amazonaws.com", "DeleteTrail", "eu-west-1", "p-deleted", `{"name":"trailguard-local"}`, "null"),
		accessKeyRecord("p-key"),
		updateTrailRecord("p-rescoped", "trailguard-local"),
		inAccount(narrowSelectorsRecord("p-narrowed", "trailguard-organization"), managementAccount),
		ruleRecord("DisableRule", "eu-west-1", "p-rule-disabled", "trailguard-forward-to-stream"),
		ruleRecord("DeleteRule", "us-east-1", "p-rule-deleted", "trailguard-forward-to-bus"),
		// A trailguard-named rule on another bus: no forwarder rule to restore.
		ctRecord(byAlice, "events.amazonaws.com", "DisableRule", "eu-west-1", "p-rule-other-bus", `{"name":"trailguard-forward-to-stream","eventBusName":"orders"}`, "null"),
		// Deployments' changes are left alone: CloudFormation acting with the CDK execution role,
		// and for the org's own deployer; for anyone else it is restored.
		asDeployment(updateTrailRecord("p-deploy-trail", "trailguard-local")),
		asCloudFormationFor(ruleRecord("DisableRule", "eu-west-1", "p-deploy-rule", "trailguard-forward-to-stream"), "ci-deploy", "run-7"),
		asCloudFormationFor(updateTrailRecord("p-cfn-dev", "trailguard-local"), "dev", "mallory"),
	)
}

// TestDryRunParity: `trailguard respond --dry-run` and the deployed functions make the same
// decisions for the same records. One side is the CLI binary with the config file; the other
// is the pipeline as deployed: the stream detection function (the organization context and
// the disabled rules as the construct bundles and sets them) sends the alerts of rules with a
// response to the responder queue, and the responder function (the response config and the
// organization context as the construct bundles them) decides each. The decisions are
// compared whole, field by field.
func TestDryRunParity(t *testing.T) {
	dir := t.TempDir()
	orgYAML := filepath.Join(dir, "org.yaml")
	if err := os.WriteFile(orgYAML, parityOrg(t), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(orgYAML, parityOrg(t))
	if err != nil {
		t.Fatal(err)
	}
	records := parityCorpus(t)
	corpus := filepath.Join(dir, "corpus.jsonl")
	if err := os.WriteFile(corpus, []byte(strings.Join(records, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	// The CLI.
	cmd := exec.Command(binary(t, "trailguard"), "respond", "--dry-run", "--format", "json", "--config", orgYAML, corpus)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("trailguard respond: %v\n%s", err, stderr.String())
	}
	var cli []respond.Decision
	for sc := bufio.NewScanner(bytes.NewReader(out)); sc.Scan(); {
		var d respond.Decision
		if err := json.Unmarshal(sc.Bytes(), &d); err != nil {
			t.Fatalf("trailguard respond printed %q: %v", sc.Text(), err)
		}
		cli = append(cli, d)
	}

	// The deployed functions, each with what the constructs give it.
	org := awsfake.New(t)
	tg := lambdatest.NewTargets(t)
	const queueURL = "https://sqs.eu-west-1.amazonaws.com/999999999999/trailguard-responder"
	streamRoot := t.TempDir()
	orgContext, err := json.Marshal(detect.ContextFromConfig(cfg))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(streamRoot, alerting.ContextFile), orgContext, 0o644); err != nil {
		t.Fatal(err)
	}
	endpoints := org.Endpoints()
	endpoints["SNS"] = tg.URL
	streamEnv := append(lambdatest.Environment(endpoints), "LAMBDA_TASK_ROOT="+streamRoot, alerting.EnvTopicARN+"="+topicARN,
		alerting.EnvResponderQueueURL+"="+queueURL, alerting.EnvDisabledRules+"="+strings.Join(cfg.Detection.DisabledRules, ","))
	stream := &lambdatest.Function{Binary: binary(t, "streamconsumer"), Env: streamEnv, Timeout: 60 * time.Second}
	stream.Start(t)
	drainStream(t, stream, records, 3)
	messages := org.Messages()
	if len(messages) == 0 {
		t.Fatalf("the stream function sent nothing to the responder queue; log:\n%s", stream.Log())
	}
	// The restoring actions read the trails' buckets and the rules' alarms: as deployed.
	newRestoreFixture(t).seedRestore(t, org)
	// The responder with the organization context the construct bundles (the detection
	// functions'): its deployers say which calls were deployments.
	responder, _ := startResponderWith(t, org, cfg.Response, detect.ContextFromConfig(cfg))
	for _, m := range messages {
		if m.QueueURL != queueURL {
			t.Errorf("message to %s, want the responder queue", m.QueueURL)
		}
		ev, _ := json.Marshal(events.SQSEvent{Records: []events.SQSMessage{{MessageId: m.ID, Body: m.Body}}})
		invoke(t, responder, ev)
	}
	// Stopped, its standard error is read to the end (a running process's last line may
	// still be in the pipe).
	responder.Kill()
	var deployed []respond.Decision
	for _, line := range strings.Split(responder.Log(), "\n") {
		var entry struct {
			Msg      string            `json:"msg"`
			Decision *respond.Decision `json:"decision"`
		}
		if json.Unmarshal([]byte(line), &entry) == nil && entry.Msg == "decision" && entry.Decision != nil {
			deployed = append(deployed, *entry.Decision)
		}
	}

	byAlert := func(a, b respond.Decision) int { return strings.Compare(a.AlertID, b.AlertID) }
	slices.SortFunc(cli, byAlert)
	slices.SortFunc(deployed, byAlert)
	if diff := cmp.Diff(cli, deployed); diff != "" {
		t.Errorf("decisions differ (-trailguard respond +deployed functions):\n%s", diff)
	}
	// The corpus reaches every kind of decision, so that agreeing means something.
	kinds := map[string]bool{}
	for _, d := range cli {
		if d.Act {
			kinds[d.Action+" "+d.Mode] = true
		} else {
			kinds["skip "+d.Skip] = true
		}
	}
	for _, want := range []string{
		"s3-block-public-access enforce", "ec2-revoke-open-ingress dry-run", "cloudtrail-start-logging dry-run",
		"cloudtrail-restore-trail enforce", "events-restore-forwarder-rule dry-run",
		"skip " + respond.SkipExempt, "skip " + respond.SkipDeployment, "skip " + respond.SkipOff, "skip " + respond.SkipOwnCall, "skip " + respond.SkipNoTarget, "skip " + respond.SkipFailedCall,
	} {
		if !kinds[want] {
			t.Errorf("no decision %q in the corpus; got %v", want, kinds)
		}
	}
	t.Logf("%d records, %d decisions agree", len(records), len(cli))
}
