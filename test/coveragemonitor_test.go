package test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/jsii-runtime-go"

	"github.com/trailguard/trailguard/constructs/coveragemonitor"
	"github.com/trailguard/trailguard/constructs/detection"
	"github.com/trailguard/trailguard/constructs/eventforwarder"
	"github.com/trailguard/trailguard/constructs/eventsink"
	"github.com/trailguard/trailguard/coverage"
	"github.com/trailguard/trailguard/internal/stacks"
)

// forwardingStack is a synthesized stack that forwards an account's events of a region.
type forwardingStack struct{ name, account, region string }

func forwardingStacks(s *synthesized) []forwardingStack {
	var out []forwardingStack
	for _, st := range s.stacks.Forwarders {
		out = append(out, forwardingStack{*st.StackName(), *st.Account(), *st.Region()})
	}
	for _, st := range s.stacks.Members {
		out = append(out, forwardingStack{*st.StackName(), *st.Account(), *st.Region()})
	}
	for _, r := range s.stacks.Replicas {
		out = append(out, forwardingStack{r.StackName, r.Member.ID, r.Region})
	}
	return out
}

// resolve renders v as CloudFormation would in account and region: Ref of the pseudo
// parameters and Fn::Join. Anything else stays as is.
func resolve(v any, account, region string) any {
	switch x := v.(type) {
	case map[string]any:
		if r, ok := x["Ref"].(string); ok && len(x) == 1 {
			switch r {
			case "AWS::AccountId":
				return account
			case "AWS::Region":
				return region
			case "AWS::Partition":
				return "aws"
			}
		}
		if j, ok := x["Fn::Join"].([]any); ok && len(x) == 1 {
			var parts []string
			for _, p := range asList(j[1]) {
				s, ok := resolve(p, account, region).(string)
				if !ok {
					return x
				}
				parts = append(parts, s)
			}
			return strings.Join(parts, j[0].(string))
		}
		out := map[string]any{}
		for k, e := range x {
			out[k] = resolve(e, account, region)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = resolve(e, account, region)
		}
		return out
	}
	return v
}

// condition evaluates the template's condition named name in region.
func condition(t *testing.T, tmpl template, name, account, region string) bool {
	t.Helper()
	conds, _ := tmpl["Conditions"].(map[string]any)
	var eval func(c any) bool
	eval = func(c any) bool {
		m, _ := c.(map[string]any)
		switch {
		case m["Fn::Equals"] != nil:
			args := asList(m["Fn::Equals"])
			return jsonEq(t, resolve(args[0], account, region), resolve(args[1], account, region))
		case m["Fn::Not"] != nil:
			return !eval(asList(m["Fn::Not"])[0])
		case m["Condition"] != nil:
			return eval(conds[m["Condition"].(string)])
		}
		t.Fatalf("condition %v: unsupported", c)
		return false
	}
	return eval(conds[name])
}

// patternMatches reports whether an EventBridge event pattern matches event, for the
// pattern syntax trailguard's rules use (exact values, nested objects, prefix, anything-but);
// any other operator fails the test rather than guess
// (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html).
func patternMatches(t *testing.T, pattern, event map[string]any) bool {
	t.Helper()
	for key, want := range pattern {
		got, present := event[key]
		if sub, ok := want.(map[string]any); ok {
			ev, ok := got.(map[string]any)
			if !ok || !patternMatches(t, sub, ev) {
				return false
			}
			continue
		}
		if !present {
			return false
		}
		values := []any{got}
		if l, ok := got.([]any); ok {
			values = l
		}
		matched := false
		for _, w := range asList(want) {
			for _, v := range values {
				matched = matched || valueMatches(t, w, v)
			}
		}
		if !matched {
			return false
		}
	}
	return true
}

func valueMatches(t *testing.T, want, got any) bool {
	t.Helper()
	op, ok := want.(map[string]any)
	if !ok {
		return jsonEq(t, want, got)
	}
	if len(op) != 1 {
		t.Fatalf("pattern operator %v: want one operator", op)
	}
	for name, arg := range op {
		switch name {
		case "prefix":
			s, ok := got.(string)
			return ok && strings.HasPrefix(s, arg.(string))
		case "anything-but":
			for _, a := range asList(arg) {
				if jsonEq(t, a, got) {
					return false
				}
			}
			return true
		default:
			t.Fatalf("pattern operator %q: not supported by this test's matcher", name)
		}
	}
	return false
}

// heartbeatEvent is the event EventBridge puts on the default bus for the schedule target
// tgt in account and region: Scheduler's PutEvents with the target's source, detail-type and
// input as detail; account and region set by EventBridge.
func heartbeatEvent(t *testing.T, tgt map[string]any, account, region string) map[string]any {
	t.Helper()
	input := strings.ReplaceAll(tgt["Input"].(string), "<aws.scheduler.scheduled-time>", "2026-11-30T12:00:00Z")
	var detail map[string]any
	if err := json.Unmarshal([]byte(input), &detail); err != nil {
		t.Fatalf("heartbeat input %q is not a JSON object, which PutEvents needs as detail: %v", input, err)
	}
	return map[string]any{
		"version": "0", "id": "6f87d04b-9f74-4f04-a780-7acf4b0a9b38",
		"source":      get(tgt, "EventBridgeParameters", "Source"),
		"detail-type": get(tgt, "EventBridgeParameters", "DetailType"),
		"account":     account, "region": region, "time": "2026-11-30T12:00:00Z", "resources": []any{},
		"detail": detail,
	}
}

// TestHeartbeatReachesTheStreamFromEveryForwarder follows each forwarding stack's heartbeat:
// the schedule puts it on the account's default bus, exactly one of the forwarder's rules
// takes it (to the stream in the home region, to the receiving bus elsewhere), on the
// receiving bus the stream rule takes it and no alert rule does, and the stream function
// recognises it. Every pair the monitor expects has such a stack, and no other.
func TestHeartbeatReachesTheStreamFromEveryForwarder(t *testing.T) {
	cfg := example.cfg
	sec := example.template(t, cfg.SecurityStackName())
	busRules := map[string]resource{}
	for _, r := range sec.resourcesOfType("AWS::Events::Rule") {
		if r.props()["EventBusName"] != nil {
			busRules[r.props()["Name"].(string)] = r
		}
	}
	var covered []string
	for _, fs := range forwardingStacks(example) {
		t.Run(fs.name, func(t *testing.T) {
			tmpl := example.template(t, fs.name)
			_, sched := tmpl.only(t, "AWS::Scheduler::Schedule")
			p := resolve(sched.props(), fs.account, fs.region).(map[string]any)
			wantEq(t, "schedule", []any{p["Name"], p["State"], p["ScheduleExpression"]},
				[]any{eventforwarder.HeartbeatScheduleName, "ENABLED", fmt.Sprintf("rate(%d minutes)", int(coverage.HeartbeatInterval.Minutes()))})
			tgt := p["Target"].(map[string]any)
			wantEq(t, "schedule target", tgt["Arn"], "arn:aws:events:"+fs.region+":"+fs.account+":event-bus/default")
			ev := heartbeatEvent(t, tgt, fs.account, fs.region)

			var took []string
			var to any
			for _, r := range tmpl.resourcesOfType("AWS::Events::Rule") {
				if r.props()["EventBusName"] != nil {
					continue
				}
				if c, ok := r["Condition"].(string); ok && !condition(t, tmpl, c, fs.account, fs.region) {
					continue // not created in this region
				}
				rp := resolve(r.props(), fs.account, fs.region).(map[string]any)
				if rp["EventPattern"] != nil && patternMatches(t, rp["EventPattern"].(map[string]any), ev) {
					took = append(took, rp["Name"].(string))
					to = get(rp, "Targets", 0, "Arn")
				}
			}
			if len(took) != 1 {
				t.Fatalf("rules taking the heartbeat: %v, want exactly one (the one carrying every event)", took)
			}
			switch to {
			case cfg.StreamARN():
				if fs.region != cfg.HomeRegion {
					t.Errorf("%s sends the heartbeat to the stream from %s, want only the home region's rule to", took[0], fs.region)
				}
			case cfg.ReceivingBusARN():
				var onBus []string
				for name, r := range busRules {
					if patternMatches(t, r.props()["EventPattern"].(map[string]any), resolve(ev, fs.account, fs.region).(map[string]any)) {
						onBus = append(onBus, name)
					}
				}
				if !slices.Equal(onBus, []string{"trailguard-bus-to-stream"}) {
					t.Errorf("receiving bus rules taking the heartbeat: %v, want only trailguard-bus-to-stream (to the stream, no alert)", onBus)
				}
			default:
				t.Fatalf("%s sends the heartbeat to %v, want the stream or the receiving bus", took[0], to)
			}
			raw, _ := json.Marshal(ev)
			if hb, ok := coverage.ParseHeartbeat(raw, time.Now()); !ok || hb.Pair != (coverage.Pair{Account: fs.account, Region: fs.region}) {
				t.Errorf("the stream function does not recognise the heartbeat %s as %s:%s", raw, fs.account, fs.region)
			}
			covered = append(covered, fs.account+":"+fs.region)
		})
	}
	var want []string
	for _, p := range stacks.ExpectedPairs(cfg).Pairs() {
		want = append(want, p.Key())
	}
	slices.Sort(covered)
	if !slices.Equal(covered, want) {
		t.Errorf("pairs with a heartbeat %v, want the monitor's expected pairs %v", covered, want)
	}
	if !stacks.ExpectedPairs(cfg).Complete {
		t.Errorf("the expected pairs of a stacks-mode config must be complete (unexpected heartbeats alert)")
	}
	if r := stacks.ExpectedPairs(cfg).StackSetRegions; len(r) != 0 {
		t.Errorf("the expected pairs of a stacks-mode config have StackSet regions %v, want none (unforwarded pairs alert at once)", r)
	}
}

// TestCoverageMonitorIsLeastPrivilege checks what the monitor and the detection functions may
// do with the coverage table: the stream and archive functions only update items (each
// through a policy of its own on its own role, and knows the table), the monitor scans and
// updates, nobody deletes.
func TestCoverageMonitorIsLeastPrivilege(t *testing.T) {
	sec := example.template(t, example.cfg.SecurityStackName())
	actions := map[string][]string{}
	for _, p := range sec.resourcesOfType("AWS::IAM::ManagedPolicy") {
		name, _ := p.props()["ManagedPolicyName"].(string)
		for _, s := range statements(p.props()["PolicyDocument"]) {
			if jsonEq(t, s["Resource"], getAtt(tableID(t, sec), "Arn")) {
				actions[name] = append(actions[name], strs(s["Action"])...)
			}
		}
	}
	wantEq(t, "actions on the coverage table", actions, map[string][]string{
		coveragemonitor.RecorderPolicyName:        {"dynamodb:UpdateItem"},
		coveragemonitor.ArchiveRecorderPolicyName: {"dynamodb:UpdateItem"},
		coveragemonitor.FunctionName:              {"dynamodb:Scan", "dynamodb:UpdateItem"},
	})
	// The detection functions' second policies, in full, each on its function's role.
	var keyID string
	for id, k := range sec.resourcesOfType("AWS::KMS::Key") {
		if strings.Contains(fmt.Sprint(k.props()["Description"]), "coverage monitor") {
			keyID = id
		}
	}
	for _, w := range []struct{ policy, sid, function string }{
		{coveragemonitor.RecorderPolicyName, "RecordHeartbeats", detection.StreamFunctionName},
		{coveragemonitor.ArchiveRecorderPolicyName, "RecordArchiveActivity", detection.ArchiveFunctionName},
	} {
		policyID, mp := sec.resourceByProp(t, "AWS::IAM::ManagedPolicy", "ManagedPolicyName", w.policy)
		wantEq(t, w.policy, statements(mp.props()["PolicyDocument"]), []map[string]any{
			{"Sid": w.sid, "Effect": "Allow", "Action": "dynamodb:UpdateItem", "Resource": getAtt(tableID(t, sec), "Arn")},
			{"Sid": w.sid + "Encrypted", "Effect": "Allow", "Action": []any{"kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"}, "Resource": getAtt(keyID, "Arn"),
				"Condition": map[string]any{"StringEquals": map[string]any{"kms:ViaService": "dynamodb." + example.cfg.HomeRegion + ".amazonaws.com"}}},
		})
		_, fn := sec.resourceByProp(t, "AWS::Lambda::Function", "FunctionName", w.function)
		wantEq(t, w.policy+" roles", mp.props()["Roles"], []any{ref(get(fn.props(), "Role", "Fn::GetAtt", 0).(string))})
		wantEq(t, w.function+" "+coverage.EnvTable, get(fn.props(), "Environment", "Variables", coverage.EnvTable), ref(tableID(t, sec)))
		if !slices.Contains(strs(fn["DependsOn"]), policyID) {
			t.Errorf("%s must depend on %s (its grant), got DependsOn %v", w.function, w.policy, fn["DependsOn"])
		}
	}
	var alarm resource
	for _, r := range sec.resourcesOfType("AWS::CloudWatch::Alarm") {
		if r.props()["AlarmName"] == coveragemonitor.FunctionName {
			alarm = r
		}
	}
	wantEq(t, "monitor alarm", []any{alarm.props()["Namespace"], alarm.props()["MetricName"], alarm.props()["TreatMissingData"]},
		[]any{coverage.MetricNamespace, coverage.MetricSilentPairs, "breaching"})
}

func tableID(t *testing.T, tmpl template) string {
	t.Helper()
	for id, r := range tmpl.resourcesOfType("AWS::DynamoDB::Table") {
		if r.props()["TableName"] == coveragemonitor.TableName {
			return id
		}
	}
	t.Fatalf("no table %s", coveragemonitor.TableName)
	return ""
}

// withoutPolicy is tmpl without the managed policy named name.
func withoutPolicy(tmpl template, name string) template {
	res := map[string]any{}
	for id, r := range tmpl["Resources"].(map[string]any) {
		if rr := resource(r.(map[string]any)); rr["Type"] != "AWS::IAM::ManagedPolicy" || rr.props()["ManagedPolicyName"] != name {
			res[id] = r
		}
	}
	out := template{}
	for k, v := range tmpl {
		out[k] = v
	}
	out["Resources"] = res
	return out
}

// TestCoverageMonitorRejectsBadProps: misuse fails at construct time, every problem at once,
// each naming the prop and the fix; a second monitor in a stack is refused (its table and
// policies have fixed names).
func TestCoverageMonitorRejectsBadProps(t *testing.T) {
	type parts struct {
		sink eventsink.EventSink
		d    detection.Detection
	}
	build := func(s awscdk.Stack) parts {
		sink := eventsink.NewEventSink(s, jsii.String("Sink"), &eventsink.EventSinkProps{
			OrganizationId: jsii.String("o-a1b2c3d4e5"), StreamName: jsii.String("trailguard-s"), BusName: jsii.String("trailguard-b"),
			KeyAlias: jsii.String("alias/trailguard/s"), StreamProducerRoleName: jsii.String("trailguard-forwarder-stream-eu-west-1"),
			BusSenderRoleNamePattern: jsii.String("trailguard-forwarder-bus-*"),
		})
		d := detection.NewDetection(s, jsii.String("Detection"), &detection.DetectionProps{
			Stream: sink.Stream(), StreamKey: sink.StreamKey(), AlertTopic: sink.AlertTopic(), AlertKey: sink.AlertKey(),
		})
		return parts{sink, d}
	}
	valid := func(p parts) *coveragemonitor.CoverageMonitorProps {
		expected := &coverage.Expected{Complete: true}
		expected.Add("111111111111", "eu-west-1")
		return &coveragemonitor.CoverageMonitorProps{
			Expected: expected, Recorder: p.d.StreamFunction().(awslambda.Function),
			AlertTopic: p.sink.AlertTopic(), AlertKey: p.sink.AlertKey(),
		}
	}
	for _, tc := range []struct {
		name  string
		build func(s awscdk.Stack)
		want  []string
	}{
		{"no props", func(s awscdk.Stack) { coveragemonitor.NewCoverageMonitor(s, jsii.String("M"), nil) }, []string{"coveragemonitor: props are required"}},
		{"required props missing", func(s awscdk.Stack) {
			coveragemonitor.NewCoverageMonitor(s, jsii.String("M"), &coveragemonitor.CoverageMonitorProps{LogRetentionDays: jsii.Number(42)})
		}, []string{"Expected is required", "Recorder is required", "AlertTopic is required", "AlertKey is required", "LogRetentionDays must be one of", "got 42"}},
		{"a second monitor in the stack", func(s awscdk.Stack) {
			p := build(s)
			coveragemonitor.NewCoverageMonitor(s, jsii.String("M1"), valid(p))
			coveragemonitor.NewCoverageMonitor(s, jsii.String("M2"), valid(p))
		}, []string{"coveragemonitor.CoverageMonitor: stack", "already holds one at", "/M1", "a second at", "/M2", coveragemonitor.TableName}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg := mustPanic(t, func() { tc.build(newTestStack(t)) })
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not say %q", msg, w)
				}
			}
		})
	}
}
