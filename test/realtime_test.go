package test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/jsii-runtime-go"
	"github.com/google/go-cmp/cmp"

	"github.com/trailguard/trailguard/config"
	"github.com/trailguard/trailguard/constructs/accounttrail"
	"github.com/trailguard/trailguard/constructs/eventdlq"
	"github.com/trailguard/trailguard/constructs/eventforwarder"
	"github.com/trailguard/trailguard/constructs/eventsink"
	"github.com/trailguard/trailguard/coverage"
)

// Tests of the real-time leg: the Security account's event sink and the member accounts'
// forwarders and local trails.

// memberStackNames returns the example's member stack names, and the one for the home region
// of the first member.
func memberStackNames(t *testing.T) (all []string, home, other string) {
	t.Helper()
	cfg := example.cfg
	for _, m := range cfg.Members {
		for _, r := range cfg.MemberRegions(m) {
			all = append(all, cfg.MemberStackName(m, r))
			if r == cfg.HomeRegion && home == "" {
				home = cfg.MemberStackName(m, r)
			}
			if r != cfg.HomeRegion && other == "" {
				other = cfg.MemberStackName(m, r)
			}
		}
	}
	if home == "" || other == "" {
		t.Fatalf("the example must have member stacks in the home region and another region; have %v", all)
	}
	return all, home, other
}

// jsonEq reports whether a and b are the same JSON value.
func jsonEq(t *testing.T, a, b any) bool {
	t.Helper()
	var x, y any
	for _, p := range []struct {
		in  any
		out *any
	}{{a, &x}, {b, &y}} {
		raw, err := json.Marshal(p.in)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(raw, p.out); err != nil {
			t.Fatal(err)
		}
	}
	return reflect.DeepEqual(x, y)
}

// ruleByName returns the AWS::Events::Rule named name.
func ruleByName(t *testing.T, tmpl template, name string) (string, resource) {
	t.Helper()
	var names []string
	for id, r := range tmpl.resourcesOfType("AWS::Events::Rule") {
		if r.props()["Name"] == name {
			return id, r
		}
		names = append(names, fmt.Sprint(r.props()["Name"]))
	}
	t.Fatalf("no rule named %q; have %v", name, names)
	return "", nil
}

func ref(id string) map[string]any          { return map[string]any{"Ref": id} }
func getAtt(id, attr string) map[string]any { return map[string]any{"Fn::GetAtt": []any{id, attr}} }
func wantEq(t *testing.T, what string, got, want any) {
	t.Helper()
	if !jsonEq(t, got, want) {
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(want)
		t.Errorf("%s = %s, want %s", what, g, w)
	}
}

// --- Security account: the sink.

func TestEventSinkStreamIsEncryptedRetainedAndSized(t *testing.T) {
	cfg := example.cfg
	tmpl := example.template(t, cfg.SecurityStackName())
	id, stream := tmpl.only(t, "AWS::Kinesis::Stream")
	p := stream.props()
	wantEq(t, "Name", p["Name"], cfg.EventStream.StreamName)
	wantEq(t, "RetentionPeriodHours", p["RetentionPeriodHours"], cfg.EventStream.RetentionHours)
	wantEq(t, "StreamModeDetails", p["StreamModeDetails"], map[string]any{"StreamMode": cfg.EventStream.Mode})
	keyID, _ := tmpl.keyWithAlias(t, config.StreamKeyAlias)
	// An explicit KMS setting, not the L2 default's Fn::If.
	wantEq(t, "StreamEncryption", p["StreamEncryption"], map[string]any{"EncryptionType": "KMS", "KeyId": getAtt(keyID, "Arn")})
	for _, r := range []resource{stream, tmpl["Resources"].(map[string]any)[keyID].(map[string]any)} {
		if r["DeletionPolicy"] != "RetainExceptOnCreate" || r["UpdateReplacePolicy"] != "Retain" {
			t.Errorf("stream and key must be retained, got DeletionPolicy %v, UpdateReplacePolicy %v", r["DeletionPolicy"], r["UpdateReplacePolicy"])
		}
	}
	_ = id
}

// keyWithAlias returns the KMS key the alias named alias points to, checking the alias is
// retained.
func (tm template) keyWithAlias(t *testing.T, alias string) (string, resource) {
	t.Helper()
	for _, a := range tm.resourcesOfType("AWS::KMS::Alias") {
		if a.props()["AliasName"] != alias {
			continue
		}
		if a["DeletionPolicy"] != "RetainExceptOnCreate" {
			t.Errorf("alias %s must be retained: member accounts find the key by it", alias)
		}
		id, _ := get(a.props(), "TargetKeyId", "Fn::GetAtt", 0).(string)
		return id, resource(tm["Resources"].(map[string]any)[id].(map[string]any))
	}
	t.Fatalf("no alias %s", alias)
	return "", nil
}

func TestEventSinkStreamPolicyAllowsOnlyOrgForwarderRoleToPut(t *testing.T) {
	cfg := example.cfg
	tmpl := example.template(t, cfg.SecurityStackName())
	streamID, _ := tmpl.only(t, "AWS::Kinesis::Stream")
	_, pol := tmpl.only(t, "AWS::Kinesis::ResourcePolicy")
	if pol["DeletionPolicy"] != "RetainExceptOnCreate" || pol["UpdateReplacePolicy"] != "Retain" {
		t.Errorf("stream policy must be retained")
	}
	wantEq(t, "ResourceArn", pol.props()["ResourceArn"], getAtt(streamID, "Arn"))
	stmts := statements(pol.props()["ResourcePolicy"])
	if len(stmts) != 1 {
		t.Fatalf("want one statement, got %d", len(stmts))
	}
	wantEq(t, "stream policy statement", stmts[0], map[string]any{
		"Sid":       "AllowOrganizationForwardersToPutRecords",
		"Effect":    "Allow",
		"Principal": map[string]any{"AWS": "*"},
		"Action":    []any{"kinesis:PutRecord", "kinesis:PutRecords"},
		"Resource":  getAtt(streamID, "Arn"),
		"Condition": map[string]any{
			"StringEquals": map[string]any{"aws:PrincipalOrgID": cfg.Organization.ID},
			"ArnLike":      map[string]any{"aws:PrincipalArn": "arn:aws:iam::*:role/" + eventforwarder.StreamRoleName(cfg.HomeRegion)},
		},
	})
}

func TestEventSinkStreamKeyPolicyScopesForwardersToTheStream(t *testing.T) {
	cfg := example.cfg
	tmpl := example.template(t, cfg.SecurityStackName())
	_, key := tmpl.keyWithAlias(t, config.StreamKeyAlias)
	doc := key.props()["KeyPolicy"]
	wantEq(t, "forwarder statement", statementBySid(t, doc, "AllowOrganizationForwardersToEncryptStreamRecords"), map[string]any{
		"Sid":       "AllowOrganizationForwardersToEncryptStreamRecords",
		"Effect":    "Allow",
		"Principal": map[string]any{"AWS": "*"},
		"Action":    "kms:GenerateDataKey",
		"Resource":  "*",
		"Condition": map[string]any{
			"StringEquals": map[string]any{
				"aws:PrincipalOrgID":                    cfg.Organization.ID,
				"kms:ViaService":                        "kinesis." + cfg.HomeRegion + ".amazonaws.com",
				"kms:EncryptionContext:aws:kinesis:arn": cfg.StreamARN(),
			},
			"ArnLike": map[string]any{"aws:PrincipalArn": "arn:aws:iam::*:role/" + eventforwarder.StreamRoleName(cfg.HomeRegion)},
		},
	})
	checkDenyGrants(t, "stream key", doc)
	if key.props()["EnableKeyRotation"] != true {
		t.Errorf("stream key rotation must be on")
	}
}

// checkDenyGrants checks the key policy's CreateGrant guard (Control Tower CT.KMS.PR.3).
func checkDenyGrants(t *testing.T, what string, doc any) {
	t.Helper()
	s := statementBySid(t, doc, "DenyGrantsExceptForAWSServices")
	wantEq(t, what+" grant guard", s["Condition"], map[string]any{"BoolIfExists": map[string]any{
		"kms:GrantIsForAWSResource": "false", "aws:PrincipalIsAWSService": "false",
	}})
	if s["Effect"] != "Deny" || s["Action"] != "kms:CreateGrant" {
		t.Errorf("%s grant guard = %v, want a Deny of kms:CreateGrant", what, s)
	}
}

func TestEventSinkBusPolicyAcceptsOnlyOrgForwarderRoles(t *testing.T) {
	cfg := example.cfg
	tmpl := example.template(t, cfg.SecurityStackName())
	busID, bus := tmpl.resourceByProp(t, "AWS::Events::EventBus", "Name", cfg.EventStream.BusName)
	if bus["DeletionPolicy"] != "RetainExceptOnCreate" {
		t.Errorf("bus must be retained")
	}
	if n := len(tmpl.resourcesOfType("AWS::Events::EventBusPolicy")); n != 0 {
		t.Errorf("the bus policy must be the bus's Policy property, retained with it; got %d AWS::Events::EventBusPolicy", n)
	}
	wantEq(t, "bus policy", bus.props()["Policy"], map[string]any{
		"Version": "2012-10-17",
		"Statement": []any{map[string]any{
			"Sid":       "trailguard-organization-forwarders",
			"Effect":    "Allow",
			"Principal": map[string]any{"AWS": "*"},
			"Action":    "events:PutEvents",
			"Resource":  "arn:aws:events:" + cfg.HomeRegion + ":" + cfg.Organization.SecurityAccount + ":event-bus/" + cfg.EventStream.BusName,
			"Condition": map[string]any{
				"StringEquals": map[string]any{"aws:PrincipalOrgID": cfg.Organization.ID},
				"ArnLike":      map[string]any{"aws:PrincipalArn": "arn:aws:iam::*:role/" + eventforwarder.BusRoleNamePattern},
			},
		}},
	})
	_ = busID
}

func TestEventSinkBusFeedsStreamOnlyWithOtherRegions(t *testing.T) {
	cfg := example.cfg
	tmpl := example.template(t, cfg.SecurityStackName())
	streamID, _ := tmpl.only(t, "AWS::Kinesis::Stream")
	busID, _ := tmpl.resourceByProp(t, "AWS::Events::EventBus", "Name", cfg.EventStream.BusName)
	_, rule := ruleByName(t, tmpl, eventsink.BusStreamRuleName)
	p := rule.props()
	wantEq(t, "EventBusName", p["EventBusName"], ref(busID))
	// Home-region events reach the bus only as copies for the alert rules: they are on the
	// stream already and must not be put there again. Alarm state changes are for the alerts.
	wantEq(t, "EventPattern", p["EventPattern"], map[string]any{
		"region":      []any{map[string]any{"anything-but": cfg.HomeRegion}},
		"detail-type": []any{map[string]any{"anything-but": []any{eventsink.DetailTypeAlarmStateChange}}},
	})
	wantEq(t, "State", p["State"], "ENABLED")
	target := get(p, "Targets", 0)
	wantEq(t, "target Arn", get(target, "Arn"), getAtt(streamID, "Arn"))
	wantEq(t, "PartitionKeyPath", get(target, "KinesisParameters", "PartitionKeyPath"), "$.id")

	// The role may put records on this stream only and encrypt with its key only.
	roleID := get(target, "RoleArn", "Fn::GetAtt", 0).(string)
	role := resource(tmpl["Resources"].(map[string]any)[roleID].(map[string]any))
	trust := statements(role.props()["AssumeRolePolicyDocument"])
	wantEq(t, "trust", trust[0]["Condition"], map[string]any{
		"StringEquals": map[string]any{"aws:SourceAccount": cfg.Organization.SecurityAccount},
		"ArnEquals":    map[string]any{"aws:SourceArn": "arn:aws:events:" + cfg.HomeRegion + ":" + cfg.Organization.SecurityAccount + ":rule/" + cfg.EventStream.BusName + "/" + eventsink.BusStreamRuleName},
	})
	pol := policyOfRole(t, tmpl, roleID)
	wantEq(t, "PutRecords", statementBySid(t, pol, "PutRecords")["Resource"], getAtt(streamID, "Arn"))
	keyID, _ := tmpl.keyWithAlias(t, config.StreamKeyAlias)
	enc := statementBySid(t, pol, "EncryptRecords")
	wantEq(t, "EncryptRecords", enc["Resource"], getAtt(keyID, "Arn"))
	wantEq(t, "EncryptRecords action", enc["Action"], "kms:GenerateDataKey")
}

// policyOfRole returns the policy document of the only managed policy attached to roleID.
func policyOfRole(t *testing.T, tmpl template, roleID string) any {
	t.Helper()
	var docs []any
	for _, mp := range tmpl.resourcesOfType("AWS::IAM::ManagedPolicy") {
		if jsonEq(t, mp.props()["Roles"], []any{ref(roleID)}) {
			docs = append(docs, mp.props()["PolicyDocument"])
		}
	}
	if n := len(tmpl.resourcesOfType("AWS::IAM::Policy")); n != 0 {
		t.Errorf("want no inline policies, got %d", n)
	}
	if len(docs) != 1 {
		t.Fatalf("want one managed policy for %s, got %d", roleID, len(docs))
	}
	return docs[0]
}

func TestEventSinkAlertsReachAnEncryptedTopic(t *testing.T) {
	cfg := example.cfg
	tmpl := example.template(t, cfg.SecurityStackName())
	topicID, topic := tmpl.only(t, "AWS::SNS::Topic")
	kmsKey, _ := get(topic.props(), "KmsMasterKeyId", "Fn::GetAtt", 0).(string)
	if kmsKey == "" {
		t.Fatalf("alert topic must use a customer managed key, got KmsMasterKeyId %v", topic.props()["KmsMasterKeyId"])
	}
	keyDoc := get(tmpl["Resources"], kmsKey, "Properties", "KeyPolicy")
	checkDeliveryKeyPolicy(t, "alert key", keyDoc, cfg.Organization.SecurityAccount)
	checkDenyGrants(t, "alert key", keyDoc)

	// The delivery alert rule, on the receiving bus, with DeliveryAlertPattern.
	var ruleArns []string
	{
		name := eventsink.DeliveryAlertRuleName
		_, rule := ruleByName(t, tmpl, name)
		wantEq(t, name+" pattern", rule.props()["EventPattern"], eventsink.DeliveryAlertPattern())
		wantEq(t, name+" target", get(rule.props(), "Targets", 0, "Arn"), ref(topicID))
		if get(rule.props(), "EventBusName") == nil {
			t.Errorf("alert rule %s must be on the receiving bus", name)
		}
		ruleArns = append(ruleArns, "arn:aws:events:"+cfg.HomeRegion+":"+cfg.Organization.SecurityAccount+":rule/"+cfg.EventStream.BusName+"/"+name)
	}
	_, tp := tmpl.only(t, "AWS::SNS::TopicPolicy")
	pub := statementBySid(t, tp.props()["PolicyDocument"], "AllowAlertRules")
	wantEq(t, "alert publishers", pub["Condition"], map[string]any{"ArnEquals": map[string]any{"aws:SourceArn": ruleArns}})

	var emails []string
	for _, sub := range tmpl.resourcesOfType("AWS::SNS::Subscription") {
		if sub.props()["Protocol"] == "email" {
			emails = append(emails, fmt.Sprint(sub.props()["Endpoint"]))
		}
	}
	wantEq(t, "email subscriptions", emails, cfg.Alerts.Emails)
}

// checkDeliveryKeyPolicy checks that a key encrypting a topic or queue that EventBridge and
// CloudWatch alarms deliver to lets both use it: EventBridge with no source condition (the SNS
// developer guide: aws:SourceAccount and aws:SourceArn are not supported there, and every
// delivery would fail), CloudWatch for alarms of account only.
func checkDeliveryKeyPolicy(t *testing.T, what string, keyDoc any, account any) {
	t.Helper()
	for _, st := range statements(keyDoc) {
		if slices.Contains(strs(get(st, "Principal", "Service")), "events.amazonaws.com") && st["Effect"] == "Allow" && st["Condition"] != nil {
			t.Errorf("%s: statement %v grants events.amazonaws.com under a condition %v: EventBridge's KMS requests to encrypted SNS topics do not carry source keys, so every delivery fails", what, st["Sid"], st["Condition"])
		}
	}
	eb := statementBySid(t, keyDoc, "AllowEventBridgeToEncryptDeliveries")
	wantEq(t, what+" EventBridge principal", get(eb, "Principal", "Service"), "events.amazonaws.com")
	wantEq(t, what+" EventBridge actions", eb["Action"], []any{"kms:Decrypt", "kms:GenerateDataKey"})
	cw := statementBySid(t, keyDoc, "AllowCloudWatchAlarmsOfThisAccount")
	wantEq(t, what+" CloudWatch principal", get(cw, "Principal", "Service"), "cloudwatch.amazonaws.com")
	wantEq(t, what+" CloudWatch condition", cw["Condition"], map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": account}})
}

// TestNoEventAlertsTwice: the detection engine alerts on CloudTrail events (on the stream and
// the archive, once each); an EventBridge rule to the alert topic is kept only for what the
// engine cannot see, the forwarders' alarms. detect's TestRetiredAlertPatternsCovered proves
// the engine alerts on every event the retired tampering and exposure rules matched.
func TestNoEventAlertsTwice(t *testing.T) {
	cfg := example.cfg
	tmpl := example.template(t, cfg.SecurityStackName())
	topicID, _ := tmpl.only(t, "AWS::SNS::Topic")
	var toTopic []string
	for _, r := range tmpl.resourcesOfType("AWS::Events::Rule") {
		targets, _ := r.props()["Targets"].([]any)
		for _, tg := range targets {
			if !jsonEq(t, get(tg, "Arn"), ref(topicID)) {
				continue
			}
			name := fmt.Sprint(r.props()["Name"])
			toTopic = append(toTopic, name)
			b, _ := json.Marshal(r.props()["EventPattern"])
			for _, dt := range []string{eventsink.DetailTypeAPICall, eventsink.DetailTypeConsoleSignIn, "userIdentity", "eventName"} {
				if strings.Contains(string(b), dt) {
					t.Errorf("rule %s sends CloudTrail events (%q) to the alert topic: the detection functions alert on them already", name, dt)
				}
			}
		}
	}
	wantEq(t, "rules to the alert topic", toTopic, []string{eventsink.DeliveryAlertRuleName})
	var all strings.Builder
	{
		p := eventsink.DeliveryAlertPattern()
		if slices.ContainsFunc(strs(p["detail-type"]), func(d string) bool { return strings.Contains(d, "CloudTrail") }) {
			t.Errorf("the delivery alert pattern is over CloudTrail events: the detection engine alerts on those")
		}
		b, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		all.Write(b)
	}
	for _, want := range []string{eventsink.DetailTypeAlarmStateChange, eventsink.ForwarderAlarmPrefix} {
		if !strings.Contains(all.String(), want) {
			t.Errorf("no alert pattern mentions %q", want)
		}
	}
}

// --- Every target in every stack: its own DLQ, a retry policy, a role when cross-account.

func TestEveryTargetHasDeadLetterQueueAndRetryPolicy(t *testing.T) {
	all, _, _ := memberStackNames(t)
	for _, name := range append([]string{example.cfg.SecurityStackName()}, all...) {
		tmpl := example.template(t, name)
		queues := tmpl.resourcesOfType("AWS::SQS::Queue")
		used := map[string]int{}
		for ruleID, rule := range tmpl.resourcesOfType("AWS::Events::Rule") {
			for i, target := range asList(rule.props()["Targets"]) {
				where := fmt.Sprintf("%s %s target %d", name, ruleID, i)
				wantEq(t, where+" RetryPolicy", get(target, "RetryPolicy"), map[string]any{"MaximumRetryAttempts": 185, "MaximumEventAgeInSeconds": 86400})
				qID, _ := get(target, "DeadLetterConfig", "Arn", "Fn::GetAtt", 0).(string)
				q, ok := queues[qID]
				if !ok {
					t.Errorf("%s: no dead-letter queue of this stack, got %v", where, get(target, "DeadLetterConfig"))
					continue
				}
				used[qID]++
				// A conditional queue must exist wherever its rule does.
				if q["Condition"] != nil && rule["Condition"] != q["Condition"] {
					t.Errorf("%s: rule condition %v differs from its queue's %v", where, rule["Condition"], q["Condition"])
				}
				if arn := fmt.Sprint(get(target, "Arn")); strings.Contains(arn, "kinesis") || strings.Contains(arn, "event-bus") {
					if get(target, "RoleArn") == nil {
						t.Errorf("%s: a stream or bus target needs its own role", where)
					}
				}
			}
		}
		// A queue's own dead-letter queue (the responder queue's).
		for _, q := range queues {
			if dlq, ok := get(q.props(), "RedrivePolicy", "deadLetterTargetArn", "Fn::GetAtt", 0).(string); ok {
				used[dlq]++
			}
		}
		// The detection functions' failure queue: their event source mapping's on-failure
		// destination and their own dead-letter queue.
		// A queue a function reads (the archive queue) is no dead-letter queue: it has one.
		for _, m := range tmpl.resourcesOfType("AWS::Lambda::EventSourceMapping") {
			if qID, ok := get(m.props(), "DestinationConfig", "OnFailure", "Destination", "Fn::GetAtt", 0).(string); ok {
				used[qID]++
			}
			if qID, ok := get(m.props(), "EventSourceArn", "Fn::GetAtt", 0).(string); ok && queues[qID] != nil {
				if get(queues[qID].props(), "RedrivePolicy", "deadLetterTargetArn") == nil {
					t.Errorf("%s %s: a queue a function reads needs a dead-letter queue", name, qID)
				}
				delete(queues, qID)
			}
		}
		for qID, q := range queues {
			p := q.props()
			if p["KmsMasterKeyId"] == nil {
				t.Errorf("%s %s: dead-letter queue must be KMS-encrypted", name, qID)
			}
			wantEq(t, name+" "+qID+" MessageRetentionPeriod", p["MessageRetentionPeriod"], eventdlq.RetentionDays*86400)
			if q["DeletionPolicy"] != "RetainExceptOnCreate" {
				t.Errorf("%s %s: dead-letter queue must be retained", name, qID)
			}
			if used[qID] == 0 {
				t.Errorf("%s %s: queue is no target's dead-letter queue", name, qID)
			}
			alarmed := false
			for _, a := range tmpl.resourcesOfType("AWS::CloudWatch::Alarm") {
				ap := a.props()
				if ap["MetricName"] == "ApproximateNumberOfMessagesVisible" && jsonEq(t, get(ap, "Dimensions", 0, "Value"), getAtt(qID, "QueueName")) {
					alarmed = ap["Threshold"] == float64(1) && ap["ComparisonOperator"] == "GreaterThanOrEqualToThreshold" && len(asList(ap["AlarmActions"])) == 1
				}
			}
			if !alarmed {
				t.Errorf("%s %s: no alarm with an action on visible messages >= 1", name, qID)
			}
		}
	}
}

// --- Member accounts: the forwarder and the local trail.

func TestMemberTemplateIsTheSameForEveryAccountAndRegion(t *testing.T) {
	all, _, _ := memberStackNames(t)
	first, err := normalizeTemplate(example.template(t, all[0]))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range all[1:] {
		got, err := normalizeTemplate(example.template(t, name))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(string(first), string(got)); diff != "" {
			t.Errorf("%s differs from %s (-%s +%s):\n%s", name, all[0], all[0], name, diff)
		}
	}
	for _, id := range append([]string{example.cfg.Organization.ManagementAccount}, memberIDs()...) {
		if strings.Contains(string(first), id) {
			t.Errorf("member template contains account id %s: use AWS::AccountId", id)
		}
	}
}

func memberIDs() []string {
	var ids []string
	for _, m := range example.cfg.Members {
		ids = append(ids, m.ID)
	}
	return ids
}

// TestMemberPathsPutEachEventOnTheStreamOnce encodes the exactly-once argument: in the home
// region only the direct rule carries every event and the alert rules only feed alerts (the
// bus does not put home-region events on the stream); elsewhere only the bus rule carries
// events; the alarms rule carries no CloudTrail event. Each rule forwards only its own
// account's and region's events.
func TestMemberPathsPutEachEventOnTheStreamOnce(t *testing.T) {
	cfg := example.cfg
	_, home, _ := memberStackNames(t)
	tmpl := example.template(t, home)
	conds, _ := tmpl["Conditions"].(map[string]any)
	var homeCond, otherCond string
	for id, c := range conds {
		switch {
		case jsonEq(t, c, map[string]any{"Fn::Equals": []any{ref("AWS::Region"), cfg.HomeRegion}}):
			homeCond = id
		case strings.Contains(id, "IsOtherRegion"):
			otherCond = id
		}
	}
	if homeCond == "" || otherCond == "" {
		t.Fatalf("want home and other region conditions, got %v", conds)
	}
	wantEq(t, "other-region condition", conds[otherCond], map[string]any{"Fn::Not": []any{map[string]any{"Condition": homeCond}}})

	detailTypes := []any{eventsink.DetailTypeAPICall, eventsink.DetailTypeConsoleSignIn, coverage.DetailType} // the heartbeat travels with every event
	own := map[string]any{"account": []any{ref("AWS::AccountId")}, "region": []any{ref("AWS::Region")}}
	type ruleCase struct {
		rule, cond, target string
		pattern            map[string]any
	}
	cases := []ruleCase{
		{eventforwarder.StreamRuleName, homeCond, cfg.StreamARN(), map[string]any{"detail-type": detailTypes}},
		{eventforwarder.BusRuleName, otherCond, cfg.ReceivingBusARN(), map[string]any{"detail-type": detailTypes}},
	}
	delivery := eventsink.DeliveryAlertPattern()
	cases = append(cases, ruleCase{eventforwarder.AlarmsRuleName, "", cfg.ReceivingBusARN(), delivery})
	if slices.Contains(strs(delivery["detail-type"]), eventsink.DetailTypeAPICall) {
		t.Errorf("the alarms rule must not carry CloudTrail events: the bus would put them on the stream again")
	}
	for _, tc := range cases {
		_, rule := ruleByName(t, tmpl, tc.rule)
		if cond, _ := rule["Condition"].(string); cond != tc.cond {
			t.Errorf("%s: Condition = %v, want %q", tc.rule, rule["Condition"], tc.cond)
		}
		for k, v := range own {
			tc.pattern[k] = v
		}
		wantEq(t, tc.rule+" pattern", rule.props()["EventPattern"], tc.pattern)
		wantEq(t, tc.rule+" state", rule.props()["State"], "ENABLED")
		targets := asList(rule.props()["Targets"])
		if len(targets) != 1 {
			t.Fatalf("%s: want one target, got %d", tc.rule, len(targets))
		}
		wantEq(t, tc.rule+" target", get(targets[0], "Arn"), tc.target)
		if tc.target == cfg.StreamARN() {
			wantEq(t, tc.rule+" partition key", get(targets[0], "KinesisParameters", "PartitionKeyPath"), "$.id")
		}
	}
	if n := len(tmpl.resourcesOfType("AWS::Events::Rule")); n != len(cases) {
		t.Errorf("want exactly %d forwarding rules, got %d", len(cases), n)
	}
}

func TestMemberForwarderRolesAreLeastPrivilege(t *testing.T) {
	cfg := example.cfg
	_, home, _ := memberStackNames(t)
	tmpl := example.template(t, home)
	roleOf := func(rule string) (string, resource) {
		_, r := ruleByName(t, tmpl, rule)
		id := get(r.props(), "Targets", 0, "RoleArn", "Fn::GetAtt", 0).(string)
		return id, resource(tmpl["Resources"].(map[string]any)[id].(map[string]any))
	}
	ruleArn := func(name string) any {
		return map[string]any{"Fn::Join": []any{"", []any{"arn:", ref("AWS::Partition"), ":events:", ref("AWS::Region"), ":", ref("AWS::AccountId"), ":rule/" + name}}}
	}

	streamRoleID, streamRole := roleOf(eventforwarder.StreamRuleName)
	wantEq(t, "stream role name", streamRole.props()["RoleName"], map[string]any{"Fn::Join": []any{"", []any{eventforwarder.StreamRoleNamePrefix, ref("AWS::Region")}}})
	wantEq(t, "stream role trust", statements(streamRole.props()["AssumeRolePolicyDocument"])[0]["Condition"], map[string]any{
		"StringEquals": map[string]any{"aws:SourceAccount": ref("AWS::AccountId")},
		"ArnEquals":    map[string]any{"aws:SourceArn": []any{ruleArn(eventforwarder.StreamRuleName)}},
	})
	doc := policyOfRole(t, tmpl, streamRoleID)
	if n := len(statements(doc)); n != 2 {
		t.Errorf("stream role policy: want 2 statements, got %d", n)
	}
	put := statementBySid(t, doc, "PutRecords")
	wantEq(t, "PutRecords", put, map[string]any{"Sid": "PutRecords", "Effect": "Allow", "Action": []any{"kinesis:PutRecord", "kinesis:PutRecords"}, "Resource": cfg.StreamARN()})
	enc := statementBySid(t, doc, "EncryptRecords")
	wantEq(t, "EncryptRecords", enc, map[string]any{
		"Sid": "EncryptRecords", "Effect": "Allow", "Action": "kms:GenerateDataKey",
		"Resource": "arn:aws:kms:" + cfg.HomeRegion + ":" + cfg.Organization.SecurityAccount + ":key/*",
		"Condition": map[string]any{
			"ForAnyValue:StringEquals": map[string]any{"kms:ResourceAliases": config.StreamKeyAlias},
			"StringEquals": map[string]any{
				"kms:ViaService":                        "kinesis." + cfg.HomeRegion + ".amazonaws.com",
				"kms:EncryptionContext:aws:kinesis:arn": cfg.StreamARN(),
			},
		},
	})

	busRoleID, busRole := roleOf(eventforwarder.BusRuleName)
	busRules := []any{ruleArn(eventforwarder.BusRuleName), ruleArn(eventforwarder.AlarmsRuleName)}
	if id, _ := roleOf(eventforwarder.AlarmsRuleName); id != busRoleID {
		t.Errorf("the bus rules should share the bus role (only one exists per region), got %s and %s", busRoleID, id)
	}
	wantEq(t, "bus role name", busRole.props()["RoleName"], map[string]any{"Fn::Join": []any{"", []any{eventforwarder.BusRoleNamePrefix, ref("AWS::Region")}}})
	wantEq(t, "bus role trust", statements(busRole.props()["AssumeRolePolicyDocument"])[0]["Condition"], map[string]any{
		"StringEquals": map[string]any{"aws:SourceAccount": ref("AWS::AccountId")},
		"ArnEquals":    map[string]any{"aws:SourceArn": busRules},
	})
	wantEq(t, "bus role policy", statements(policyOfRole(t, tmpl, busRoleID)), []any{map[string]any{
		"Sid": "PutEvents", "Effect": "Allow", "Action": "events:PutEvents", "Resource": cfg.ReceivingBusARN(),
	}})
	// The Security account's policies allow exactly these names.
	if !strings.HasPrefix(eventforwarder.StreamRoleName(cfg.HomeRegion), eventforwarder.StreamRoleNamePrefix) ||
		!strings.HasPrefix(eventforwarder.BusRoleNamePattern, eventforwarder.BusRoleNamePrefix) {
		t.Errorf("role names and the patterns the Security policies allow disagree")
	}
}

func TestMemberLocalTrailIsHardened(t *testing.T) {
	cfg := example.cfg
	_, home, _ := memberStackNames(t)
	tmpl := example.template(t, home)
	_, trail := tmpl.only(t, "AWS::CloudTrail::Trail")
	p := trail.props()
	for k, want := range map[string]any{
		"TrailName": cfg.AccountTrail.Name, "IsLogging": true, "IsMultiRegionTrail": true,
		"IncludeGlobalServiceEvents": true, "EnableLogFileValidation": true,
	} {
		wantEq(t, "trail "+k, p[k], want)
	}
	bucketID := get(p, "S3BucketName", "Ref").(string)
	keyID := get(p, "KMSKeyId", "Fn::GetAtt", 0).(string)
	res := tmpl["Resources"].(map[string]any)
	bucket := resource(res[bucketID].(map[string]any))
	// Every local-trail resource exists in the home region only.
	for id, r := range res {
		if strings.HasPrefix(id, "AccountTrail") && r.(map[string]any)["Condition"] == nil {
			t.Errorf("%s: local trail resources must be conditioned on the home region", id)
		}
	}
	bp := bucket.props()
	wantEq(t, "bucket encryption", get(bp, "BucketEncryption", "ServerSideEncryptionConfiguration", 0), map[string]any{
		"BucketKeyEnabled":              true,
		"ServerSideEncryptionByDefault": map[string]any{"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": getAtt(keyID, "Arn")},
	})
	wantEq(t, "public access block", bp["PublicAccessBlockConfiguration"], map[string]any{
		"BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true,
	})
	wantEq(t, "versioning", bp["VersioningConfiguration"], map[string]any{"Status": "Enabled"})
	wantEq(t, "ownership", get(bp, "OwnershipControls", "Rules", 0, "ObjectOwnership"), "BucketOwnerEnforced")
	wantEq(t, "expiry", get(bp, "LifecycleConfiguration", "Rules", 0, "ExpirationInDays"), cfg.AccountTrail.RetentionDays)
	if get(bp, "LoggingConfiguration", "DestinationBucketName") == nil {
		t.Errorf("bucket must have server access logging")
	}
	if bucket["DeletionPolicy"] != "RetainExceptOnCreate" || bucket["UpdateReplacePolicy"] != "Retain" {
		t.Errorf("log bucket must be retained")
	}
	for id, pol := range tmpl.resourcesOfType("AWS::S3::BucketPolicy") {
		if pol["DeletionPolicy"] != "RetainExceptOnCreate" {
			t.Errorf("%s: bucket policies must be retained", id)
		}
		if jsonEq(t, pol.props()["Bucket"], ref(bucketID)) {
			doc := pol.props()["PolicyDocument"]
			trailArn := map[string]any{"Fn::Join": []any{"", []any{"arn:", ref("AWS::Partition"), ":cloudtrail:", ref("AWS::Region"), ":", ref("AWS::AccountId"), ":trail/" + cfg.AccountTrail.Name}}}
			wantEq(t, "acl check condition", statementBySid(t, doc, "AllowCloudTrailAclCheck")["Condition"], map[string]any{"StringEquals": map[string]any{"aws:SourceArn": trailArn}})
			wantEq(t, "write condition", statementBySid(t, doc, "AllowCloudTrailWrite")["Condition"], map[string]any{"StringEquals": map[string]any{
				"aws:SourceArn": trailArn, "s3:x-amz-acl": "bucket-owner-full-control",
			}})
			tls := false
			for _, s := range statements(doc) {
				if s["Effect"] == "Deny" && jsonEq(t, s["Condition"], map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}}) {
					tls = true
				}
			}
			if !tls {
				t.Errorf("log bucket policy must deny requests without TLS")
			}
		}
	}
	keyDoc := get(res, keyID, "Properties", "KeyPolicy")
	checkDenyGrants(t, "trail key", keyDoc)
	wantEq(t, "trail key condition", statementBySid(t, keyDoc, "AllowCloudTrailToEncryptLogs")["Condition"], map[string]any{"StringEquals": map[string]any{
		"aws:SourceArn": map[string]any{"Fn::Join": []any{"", []any{"arn:", ref("AWS::Partition"), ":cloudtrail:", ref("AWS::Region"), ":", ref("AWS::AccountId"), ":trail/" + cfg.AccountTrail.Name}}},
		"kms:EncryptionContext:aws:cloudtrail:arn": map[string]any{"Fn::Join": []any{"", []any{"arn:", ref("AWS::Partition"), ":cloudtrail:", ref("AWS::Region"), ":", ref("AWS::AccountId"), ":trail/" + cfg.AccountTrail.Name}}},
	}})
}

// --- Construct misuse: clear, complete errors.

func TestRealtimeConstructsRejectBadProps(t *testing.T) {
	validSink := func() *eventsink.EventSinkProps {
		return &eventsink.EventSinkProps{
			OrganizationId: jsii.String("o-a1b2c3d4e5"), StreamName: jsii.String("trailguard-s"), BusName: jsii.String("trailguard-b"),
			KeyAlias: jsii.String("alias/k"), StreamProducerRoleName: jsii.String("r"), BusSenderRoleNamePattern: jsii.String("r-*"),
		}
	}
	validFwd := func() *eventforwarder.EventForwarderProps {
		return &eventforwarder.EventForwarderProps{
			StreamArn:       jsii.String("arn:aws:kinesis:eu-west-1:222222222222:stream/s"),
			StreamKeyAlias:  jsii.String("alias/k"),
			ReceivingBusArn: jsii.String("arn:aws:events:eu-west-1:222222222222:event-bus/b"),
		}
	}
	for _, tc := range []struct {
		name  string
		build func(s awscdk.Stack)
		want  []string
	}{
		{"sink org id", func(s awscdk.Stack) {
			p := validSink()
			p.OrganizationId = jsii.String("o-123")
			eventsink.NewEventSink(s, jsii.String("Sink"), p)
		}, []string{`eventsink: OrganizationId must be an organization id matching o-[a-z0-9]{10,32}, got "o-123"`}},
		{"sink several problems at once", func(s awscdk.Stack) {
			p := validSink()
			p.ShardCount = jsii.Number(2)
			p.RetentionHours = jsii.Number(24)
			p.BusName = jsii.String("default")
			eventsink.NewEventSink(s, jsii.String("Sink"), p)
		}, []string{"ShardCount only applies to Mode PROVISIONED", "RetentionHours must be a whole number from 168", `BusName must name a custom bus, got "default"`}},
		{"sink missing props", func(s awscdk.Stack) { eventsink.NewEventSink(s, jsii.String("Sink"), nil) }, []string{"eventsink: props are required"}},
		{"sink names the guardrails and alerts would not recognise", func(s awscdk.Stack) {
			p := validSink()
			p.StreamName, p.BusName = jsii.String("security-events"), jsii.String("org-bus")
			eventsink.NewEventSink(s, jsii.String("Sink"), p)
		}, []string{`eventsink: StreamName must start with trailguard-: the guardrails protect`, `got "security-events"`, `eventsink: BusName must start with trailguard-`, `got "org-bus"`}},
		{"trail name the guardrails and alerts would not recognise", func(s awscdk.Stack) {
			accounttrail.NewAccountTrail(s, jsii.String("Trail"), &accounttrail.AccountTrailProps{TrailName: jsii.String("local")})
		}, []string{`accounttrail: TrailName must start with trailguard-`, `got "local"`}},
		{"forwarder bad stream ARN", func(s awscdk.Stack) {
			p := validFwd()
			p.StreamArn = jsii.String("trailguard-security-events")
			eventforwarder.NewEventForwarder(s, jsii.String("Fwd"), p)
		}, []string{`eventforwarder: StreamArn must be a Kinesis stream ARN`, `got "trailguard-security-events"`}},
		{"forwarder bus elsewhere", func(s awscdk.Stack) {
			p := validFwd()
			p.ReceivingBusArn = jsii.String("arn:aws:events:us-east-1:222222222222:event-bus/b")
			p.PartitionKeyPath = jsii.String("id")
			eventforwarder.NewEventForwarder(s, jsii.String("Fwd"), p)
		}, []string{"ReceivingBusArn must be in the stream's account and region (222222222222, eu-west-1)", `PartitionKeyPath must be a JSONPath`}},
		{"trail retention", func(s awscdk.Stack) {
			accounttrail.NewAccountTrail(s, jsii.String("Trail"), &accounttrail.AccountTrailProps{RetentionDays: jsii.Number(0), LogGroupRetentionDays: jsii.Number(365)})
		}, []string{"accounttrail: RetentionDays must be a whole number of days from 1 to 36500, got 0", "LogGroupRetentionDays only applies with CloudWatchLogs true"}},
		{"dlq without key", func(s awscdk.Stack) {
			eventdlq.NewDeadLetterQueue(s, jsii.String("DLQ"), &eventdlq.DeadLetterQueueProps{})
		}, []string{"eventdlq: EncryptionKey is required", "eventdlq: AlarmTopic is required", "eventdlq: SourceRuleArns is required"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stack := newTestStack(t)
			msg := mustPanic(t, func() { tc.build(stack) })
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("panic message %q does not contain %q", msg, w)
				}
			}
		})
	}
}

func TestAccountTrailCloudWatchLogsDelivery(t *testing.T) {
	stack := newTestStack(t)
	at := accounttrail.NewAccountTrail(stack, jsii.String("Trail"), &accounttrail.AccountTrailProps{
		CloudWatchLogs: jsii.Bool(true), LogGroupRetentionDays: jsii.Number(731),
	})
	if at.LogGroup() == nil {
		t.Fatal("LogGroup() is nil with CloudWatchLogs")
	}
	tmpl := synthStack(t, stack)
	_, lg := tmpl.only(t, "AWS::Logs::LogGroup")
	wantEq(t, "RetentionInDays", lg.props()["RetentionInDays"], 731)
	if lg.props()["KmsKeyId"] == nil || lg["DeletionPolicy"] != "RetainExceptOnCreate" {
		t.Errorf("log group must be KMS-encrypted and retained, got %v", lg)
	}
	_, trail := tmpl.only(t, "AWS::CloudTrail::Trail")
	if trail.props()["CloudWatchLogsLogGroupArn"] == nil || trail.props()["CloudWatchLogsRoleArn"] == nil {
		t.Errorf("trail must deliver to the log group with a role")
	}
	// CloudTrail's CloudWatch Logs role does not support source conditions in its trust policy.
	_, role := tmpl.only(t, "AWS::IAM::Role")
	trust := statements(role.props()["AssumeRolePolicyDocument"])
	if len(trust) != 1 || get(trust[0], "Principal", "Service") != "cloudtrail.amazonaws.com" || trust[0]["Condition"] != nil {
		t.Errorf("logs role trust = %v, want cloudtrail.amazonaws.com without conditions", trust)
	}
}

func TestEventSinkProvisionedModeAndAccountPartitionKey(t *testing.T) {
	stack := newTestStack(t)
	sink := eventsink.NewEventSink(stack, jsii.String("Sink"), &eventsink.EventSinkProps{
		OrganizationId: jsii.String("o-a1b2c3d4e5"), StreamName: jsii.String("trailguard-s"), BusName: jsii.String("trailguard-b"),
		KeyAlias: jsii.String("alias/k"), StreamProducerRoleName: jsii.String("r"), BusSenderRoleNamePattern: jsii.String("r-*"),
		Mode: jsii.String(eventsink.ModeProvisioned), ShardCount: jsii.Number(4), RetentionHours: jsii.Number(720),
		PartitionKeyPath: jsii.String(eventsink.PartitionKeyAccount),
	})
	var _ awssns.ITopic = sink.AlertTopic()
	tmpl := synthStack(t, stack)
	_, s := tmpl.only(t, "AWS::Kinesis::Stream")
	wantEq(t, "ShardCount", s.props()["ShardCount"], 4)
	wantEq(t, "StreamModeDetails", s.props()["StreamModeDetails"], map[string]any{"StreamMode": "PROVISIONED"})
	wantEq(t, "RetentionPeriodHours", s.props()["RetentionPeriodHours"], 720)
	_, rule := ruleByName(t, tmpl, eventsink.BusStreamRuleName)
	wantEq(t, "PartitionKeyPath", get(rule.props(), "Targets", 0, "KinesisParameters", "PartitionKeyPath"), "$.account")
}

func TestEventForwarderReadOnlyEventsAndExtraDetailTypes(t *testing.T) {
	stack := newTestStack(t)
	eventforwarder.NewEventForwarder(stack, jsii.String("Fwd"), &eventforwarder.EventForwarderProps{
		StreamArn:             jsii.String("arn:aws:kinesis:eu-west-1:222222222222:stream/s"),
		StreamKeyAlias:        jsii.String("alias/k"),
		ReceivingBusArn:       jsii.String("arn:aws:events:eu-west-1:222222222222:event-bus/b"),
		IncludeReadOnlyEvents: jsii.Bool(true),
		ExtraDetailTypes:      jsii.Strings("AWS Service Event via CloudTrail"),
	})
	tmpl := synthStack(t, stack)
	names := []string{eventforwarder.StreamRuleName, eventforwarder.BusRuleName}
	for _, name := range names {
		_, r := ruleByName(t, tmpl, name)
		wantEq(t, name+" State", r.props()["State"], "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS")
		if (name == eventforwarder.StreamRuleName || name == eventforwarder.BusRuleName) && !slices.Contains(strs(get(r.props(), "EventPattern", "detail-type")), "AWS Service Event via CloudTrail") {
			t.Errorf("%s: extra detail type not forwarded", name)
		}
	}
	_, alarms := ruleByName(t, tmpl, eventforwarder.AlarmsRuleName)
	wantEq(t, "alarms rule State", alarms.props()["State"], "ENABLED")
}

// synthStack synthesizes a construct-level test stack and returns its template.
func synthStack(t *testing.T, stack awscdk.Stack) template {
	t.Helper()
	raw, err := json.Marshal(assertions.Template_FromStack(stack, nil).ToJSON())
	if err != nil {
		t.Fatal(err)
	}
	var tmpl template
	if err := json.Unmarshal(raw, &tmpl); err != nil {
		t.Fatal(err)
	}
	return tmpl
}
