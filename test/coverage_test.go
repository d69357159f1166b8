package test

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/trailguard/trailguard/compliance"
	"github.com/trailguard/trailguard/config"
	"github.com/trailguard/trailguard/constructs/eventforwarder"
	"github.com/trailguard/trailguard/constructs/eventsink"
	"github.com/trailguard/trailguard/examples"
	"github.com/trailguard/trailguard/internal/stacks"
)

// Tests of what a first deploy promises beyond each template's own settings: every account
// forwards in real time (the management and Security accounts and us-east-1 included), every
// rule's failed deliveries raise an alarm that reaches the alert recipients, EventBridge can
// use every key it delivers through, and read-only forwarding is applied on every rule.

// environments maps each stack of a synthesized cloud assembly to its "account/region".
func environments(t *testing.T, outdir string) map[string]string {
	t.Helper()
	var manifest struct {
		Artifacts map[string]struct {
			Type        string `json:"type"`
			Environment string `json:"environment"`
		} `json:"artifacts"`
	}
	if err := readJSON(filepath.Join(outdir, "manifest.json"), &manifest); err != nil {
		t.Fatal(err)
	}
	envs := map[string]string{}
	for name, a := range manifest.Artifacts {
		if a.Type == "aws:cloudformation:stack" {
			envs[name] = strings.TrimPrefix(a.Environment, "aws://")
		}
	}
	return envs
}

// forwards reports whether tmpl forwards its account's events of its region: both the direct
// stream rule (home region) and the bus rule (other regions), each conditioned as the
// forwarder sets them.
func forwards(t *testing.T, tmpl template) bool {
	t.Helper()
	names := map[string]bool{}
	for _, r := range tmpl.resourcesOfType("AWS::Events::Rule") {
		if n, ok := r.props()["Name"].(string); ok {
			names[n] = true
		}
	}
	return names[eventforwarder.StreamRuleName] && names[eventforwarder.BusRuleName] && names[eventforwarder.AlarmsRuleName]
}

// TestEveryAccountForwardsInRealTime: every account of the example, the management and
// Security accounts included, has a forwarder in each of its regions, and every account's
// regions include the one where EventBridge delivers the global services' events.
func TestEveryAccountForwardsInRealTime(t *testing.T) {
	cfg := example.cfg
	global := config.GlobalEventsRegion(cfg.Partition())
	envs := environments(t, example.outdir)
	stacksIn := map[string][]string{} // "account/region" -> stacks
	for name, env := range envs {
		stacksIn[env] = append(stacksIn[env], name)
	}
	accounts := map[string][]string{
		cfg.Organization.ManagementAccount: cfg.Regions,
		cfg.Organization.SecurityAccount:   cfg.Regions,
	}
	for _, m := range cfg.Members {
		accounts[m.ID] = cfg.MemberRegions(m)
	}
	for account, regions := range accounts {
		if !slices.Contains(regions, global) {
			t.Errorf("account %s forwards from %v, which leaves out %s: its IAM, STS and sign-in events never reach the stream", account, regions, global)
		}
		for _, region := range regions {
			n := 0
			for _, name := range stacksIn[account+"/"+region] {
				if forwards(t, example.template(t, name)) {
					n++
				}
			}
			if n != 1 {
				t.Errorf("account %s, region %s: %d stacks forward its events, want exactly 1 (stacks there: %v)", account, region, n, stacksIn[account+"/"+region])
			}
		}
	}
}

// TestStackSetModeForwardsTheManagementAndSecurityAccounts: the StackSet never reaches the
// management account, so both special accounts keep forwarder stacks of their own.
func TestStackSetModeForwardsTheManagementAndSecurityAccounts(t *testing.T) {
	s := stacksetApp(t)
	cfg := s.cfg
	envs := environments(t, s.outdir)
	for _, a := range cfg.ForwarderAccounts() {
		for _, region := range cfg.Regions {
			name := cfg.ForwarderStackName(a.Name, region)
			if envs[name] != a.ID+"/"+region {
				t.Errorf("stack %s environment = %q, want %s/%s", name, envs[name], a.ID, region)
				continue
			}
			if !forwards(t, s.template(t, name)) {
				t.Errorf("stack %s does not forward", name)
			}
		}
	}
	_, ss := s.template(t, cfg.ManagementStackName()).only(t, "AWS::CloudFormation::StackSet")
	regions := strs(get(ss.props(), "StackInstancesGroup", 0, "Regions"))
	if !slices.Contains(regions, config.GlobalEventsRegion(cfg.Partition())) {
		t.Errorf("StackSet regions %v leave out %s", regions, config.GlobalEventsRegion(cfg.Partition()))
	}
	// The coverage monitor gives an unknown account active in these regions time for its
	// instance to deploy, and no other region.
	if got := stacks.ExpectedPairs(cfg).StackSetRegions; !slices.Equal(got, regions) {
		t.Errorf("coverage monitor's StackSet regions %v, want the StackSet's %v", got, regions)
	}
}

// failureAlarms returns, by "bus/rule" ("/rule" on the default bus), the alarms of tmpl
// whose metrics are the rule's FailedInvocations and InvocationsFailedToBeSentToDlq.
func failureAlarms(tmpl template) map[string][]resource {
	out := map[string][]resource{}
	for _, a := range tmpl.resourcesOfType("AWS::CloudWatch::Alarm") {
		seen := map[string]string{}
		for _, m := range asList(a.props()["Metrics"]) {
			metric := get(m, "MetricStat", "Metric")
			if metric == nil || get(metric, "Namespace") != "AWS/Events" {
				continue
			}
			dims := map[string]string{}
			for _, d := range asList(get(metric, "Dimensions")) {
				v, _ := get(d, "Value").(string)
				dims[get(d, "Name").(string)] = v
			}
			seen[get(metric, "MetricName").(string)] = dims["EventBusName"] + "/" + dims["RuleName"]
		}
		key := seen["FailedInvocations"]
		if key != "" && seen["InvocationsFailedToBeSentToDlq"] == key {
			out[key] = append(out[key], a)
		}
	}
	return out
}

// TestEveryRuleAlarmsOnFailedDelivery: every rule of every stack has an alarm on its failed
// deliveries, under the rule's condition, notifying a topic; in the forwarders every alarm is
// named so that the Security account's delivery alert rule matches its state changes, and in
// the Security stack the alarms notify the alert topic directly.
func TestEveryRuleAlarmsOnFailedDelivery(t *testing.T) {
	delivery := eventsink.DeliveryAlertPattern()
	wantEq(t, "delivery alert matches", get(delivery, "detail", "alarmName"), []any{map[string]any{"prefix": eventsink.ForwarderAlarmPrefix}})
	cfg := example.cfg
	for name, tmpl := range example.templates {
		alarms := failureAlarms(tmpl)
		for id, rule := range tmpl.resourcesOfType("AWS::Events::Rule") {
			bus, _ := rule.props()["EventBusName"].(string)
			if bus == "" && rule.props()["EventBusName"] != nil {
				bus = cfg.EventStream.BusName // a Ref to the receiving bus
			}
			key := bus + "/" + rule.props()["Name"].(string)
			found := alarms[key]
			if len(found) != 1 {
				t.Errorf("%s: rule %s (%s): %d failure alarms, want 1", name, id, key, len(found))
				continue
			}
			a := found[0]
			if a["Condition"] != rule["Condition"] {
				t.Errorf("%s: alarm of rule %s has condition %v, the rule %v", name, id, a["Condition"], rule["Condition"])
			}
			if len(asList(a.props()["AlarmActions"])) == 0 {
				t.Errorf("%s: alarm of rule %s notifies nobody", name, id)
			}
		}
		if name == cfg.SecurityStackName() {
			topicID, _ := tmpl.only(t, "AWS::SNS::Topic")
			for id, a := range tmpl.resourcesOfType("AWS::CloudWatch::Alarm") {
				wantEq(t, name+" "+id+" actions", a.props()["AlarmActions"], []any{ref(topicID)})
			}
			continue
		}
		for id, a := range tmpl.resourcesOfType("AWS::CloudWatch::Alarm") {
			if n, _ := a.props()["AlarmName"].(string); !strings.HasPrefix(n, eventsink.ForwarderAlarmPrefix) {
				t.Errorf("%s: alarm %s is named %q: without the prefix %s the Security account never hears of it", name, id, n, eventsink.ForwarderAlarmPrefix)
			}
		}
	}
}

// TestEventBridgeCanUseEveryDeliveryKey: no key policy in any stack grants EventBridge under a
// condition (the SNS developer guide: source conditions are not supported for EventBridge
// delivering to an encrypted topic, and deliveries fail silently), and every key that
// encrypts a topic or queue that a rule or alarm delivers to lets both services use it.
func TestEventBridgeCanUseEveryDeliveryKey(t *testing.T) {
	for name, tmpl := range example.templates {
		// The queues rules deliver to (dead-letter queues) and every topic (rules and alarms
		// publish to them); not the queues only Lambda writes to.
		delivered := map[string]bool{}
		for _, rule := range tmpl.resourcesOfType("AWS::Events::Rule") {
			for _, target := range asList(rule.props()["Targets"]) {
				if qID, ok := get(target, "DeadLetterConfig", "Arn", "Fn::GetAtt", 0).(string); ok {
					delivered[qID] = true
				}
			}
		}
		keys := map[string]bool{}
		for _, typ := range []string{"AWS::SNS::Topic", "AWS::SQS::Queue"} {
			for rID, r := range tmpl.resourcesOfType(typ) {
				if typ == "AWS::SQS::Queue" && !delivered[rID] {
					continue
				}
				for _, prop := range []string{"KmsMasterKeyId"} {
					if id, ok := get(r.props(), prop, "Fn::GetAtt", 0).(string); ok {
						keys[id] = true
					}
				}
			}
		}
		if len(keys) == 0 {
			continue
		}
		for id := range keys {
			doc := get(tmpl["Resources"], id, "Properties", "KeyPolicy")
			account := any(ref("AWS::AccountId"))
			if name == example.cfg.SecurityStackName() {
				account = example.cfg.Organization.SecurityAccount
			}
			checkDeliveryKeyPolicy(t, name+" key "+id, doc, account)
		}
	}
}

// readOnlyConfig is the example with read-only management events forwarded.
func readOnlyConfig(t *testing.T) []byte {
	t.Helper()
	old := "includeReadOnlyEvents: false"
	if !bytes.Contains(examples.Default, []byte(old)) {
		t.Fatalf("test setup: %q not in the example", old)
	}
	return bytes.Replace(examples.Default, []byte(old), []byte("includeReadOnlyEvents: true"), 1)
}

// TestReadOnlyEventsReachEveryCloudTrailRule: with includeReadOnlyEvents every rule over
// CloudTrail events, in every account and on the receiving bus too, is in the state that
// receives read-only management events; the alarm rules stay ENABLED.
func TestReadOnlyEventsReachEveryCloudTrailRule(t *testing.T) {
	cfg, err := config.Load("read-only.yaml", readOnlyConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	s, err := synthesize(cfg, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range s.report.Findings {
		t.Errorf("unsuppressed finding: %s", f)
	}
	for name, tmpl := range s.templates {
		for id, rule := range tmpl.resourcesOfType("AWS::Events::Rule") {
			want := eventsink.StateEnabledWithReadOnly
			if slices.Equal(strs(get(rule.props(), "EventPattern", "detail-type")), []string{eventsink.DetailTypeAlarmStateChange}) {
				want = eventsink.StateEnabled
			}
			wantEq(t, name+" "+id+" State", rule.props()["State"], want)
		}
	}
}

// warning matches a line that warns: the CDK's and jsii's warnings, deprecation notices.
var warning = regexp.MustCompile(`(?i)\bwarn(ing)?\b|\bdeprecated\b`)

// TestSynthPrintsNoWarning runs the real cdk CLI on the example and on its read-only variant:
// a clean synth succeeds and prints no warning (users read warnings as problems).
func TestSynthPrintsNoWarning(t *testing.T) {
	app := buildApp(t)
	cli := cdkCLI(t)
	for _, tc := range []struct {
		name   string
		config []byte // nil: the embedded example
	}{
		{"example", nil},
		{"read-only events", readOnlyConfig(t)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel() // separate cdk and app processes, no jsii in this one
			dir := t.TempDir()
			args := []string{"synth", "--quiet", "--app", app, "--output", filepath.Join(dir, "cdk.out")}
			if tc.config != nil {
				if err := os.WriteFile(filepath.Join(dir, "org.yaml"), tc.config, 0o644); err != nil {
					t.Fatal(err)
				}
				args = append(args, "-c", "config=org.yaml")
			}
			cmd := exec.Command(cli, args...)
			cmd.Dir = dir
			rules, err := filepath.Abs(filepath.Join(repoRoot, compliance.GuardRulesDir))
			if err != nil {
				t.Fatal(err)
			}
			cmd.Env = append(os.Environ(), "CDK_DISABLE_CLI_TELEMETRY=true", "CDK_DISABLE_VERSION_CHECK=true", "TRAILGUARD_GUARD_RULES_DIR="+rules)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Run(); err != nil {
				var exit *exec.ExitError
				if errors.As(err, &exit) {
					t.Fatalf("cdk synth exited %d:\n%s", exit.ExitCode(), out.String())
				}
				t.Fatal(err)
			}
			for _, line := range strings.Split(out.String(), "\n") {
				if warning.MatchString(line) {
					t.Errorf("synth printed a warning: %s", line)
				}
			}
		})
	}
}
