package quota

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// renderIn renders v (JSON) in a template with resources (JSON), deployed as stack "my-stack"
// in the Longest environment.
func renderIn(t *testing.T, resources, v string) any {
	t.Helper()
	tmpl, err := parseTemplate([]byte(`{"Resources":` + resources + `,"Mappings":{"M":{"eu-west-1":{"K":"short"},"ap-southeast-2":{"K":"a-longer-value"}}},"Parameters":{"P":{"Type":"String","Default":"dflt"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	var val any
	d := json.NewDecoder(strings.NewReader(v))
	d.UseNumber()
	if err := d.Decode(&val); err != nil {
		t.Fatal(err)
	}
	return newRenderer(tmpl, Longest, "my-stack").render(val)
}

// TestRender checks the rendering of each intrinsic function at its longest.
func TestRender(t *testing.T) {
	resources := `{
		"Role": {"Type": "AWS::IAM::Role", "Properties": {"RoleName": {"Fn::Join": ["-", ["r", {"Ref": "AWS::Region"}]]}, "Path": "/svc/"}},
		"Bucket": {"Type": "AWS::S3::Bucket", "Properties": {}},
		"Queue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "q"}},
		"Key": {"Type": "AWS::KMS::Key", "Properties": {}},
		"Topic": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "t"}}
	}`
	for _, tc := range []struct {
		name, in string
		want     any
	}{
		{"pseudo parameters", `{"Fn::Join": [":", [{"Ref": "AWS::Partition"}, {"Ref": "AWS::Region"}, {"Ref": "AWS::AccountId"}, {"Ref": "AWS::URLSuffix"}, {"Ref": "AWS::StackName"}]]}`,
			"aws-us-gov:us-isof-south-1:999999999999:amazonaws.com.cn:my-stack"},
		{"stack id", `{"Ref": "AWS::StackId"}`, "arn:aws-us-gov:cloudformation:us-isof-south-1:999999999999:stack/my-stack/" + stackUUID},
		{"parameter default", `{"Ref": "P"}`, "dflt"},
		{"sub", `{"Fn::Sub": "arn:${AWS::Partition}:s3:::${Bucket}/${!Literal}/${Queue.QueueName}"}`, "arn:aws-us-gov:s3:::my-stack-bucket-abcdefghijklm/${Literal}/q"},
		{"sub with variables", `{"Fn::Sub": ["${A}-${AWS::Region}", {"A": {"Ref": "Topic"}}]}`,
			"arn:aws-us-gov:sns:us-isof-south-1:999999999999:t-us-isof-south-1"},
		{"select", `{"Fn::Select": [1, ["a", {"Ref": "AWS::Region"}]]}`, "us-isof-south-1"},
		{"select of split", `{"Fn::Select": [2, {"Fn::Split": [":", "a:b:c"]}]}`, "c"},
		{"if takes the longer branch", `{"Fn::If": ["C", "short", {"Ref": "AWS::Region"}]}`, "us-isof-south-1"},
		{"if takes the longer branch, first", `{"Fn::If": ["C", ["a", "b"], ["a"]]}`, []any{"a", "b"}},
		{"if with no value removes the property", `{"A": {"Fn::If": ["C", {"Ref": "AWS::NoValue"}, "x"]}, "B": {"Fn::If": ["C", {"Ref": "AWS::NoValue"}, {"Ref": "AWS::NoValue"}]}}`,
			map[string]any{"A": "x"}},
		{"find in map with a known key", `{"Fn::FindInMap": ["M", "eu-west-1", "K"]}`, "short"},
		{"find in map with the region: the longest value", `{"Fn::FindInMap": ["M", {"Ref": "AWS::Region"}, "K"]}`, "a-longer-value"},
		{"role name and ARN with path", `{"Fn::GetAtt": ["Role", "Arn"]}`, "arn:aws-us-gov:iam::999999999999:role/svc/r-us-isof-south-1"},
		{"ref of a role", `{"Ref": "Role"}`, "r-us-isof-south-1"},
		{"generated bucket name: lowercase, at most 63", `{"Ref": "Bucket"}`, "my-stack-bucket-abcdefghijklm"},
		{"queue url", `{"Ref": "Queue"}`, "https://sqs.us-isof-south-1.amazonaws.com.cn/999999999999/q"},
		{"queue arn", `{"Fn::GetAtt": ["Queue", "Arn"]}`, "arn:aws-us-gov:sqs:us-isof-south-1:999999999999:q"},
		{"key arn", `{"Fn::GetAtt": "Key.Arn"}`, "arn:aws-us-gov:kms:us-isof-south-1:999999999999:key/" + placeholder(36)},
		{"to json string", `{"Fn::ToJsonString": {"a": [{"Ref": "AWS::AccountId"}]}}`, `{"a":["999999999999"]}`},
		{"numbers as written", `{"n": 1.50, "m": 86400}`, map[string]any{"n": json.Number("1.50"), "m": json.Number("86400")}},
		{"import: a placeholder", `{"Fn::ImportValue": "x"}`, placeholder(placeholderLen)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := renderIn(t, resources, tc.in)
			if compact(got) != compact(tc.want) {
				t.Errorf("render(%s) = %s, want %s", tc.in, compact(got), compact(tc.want))
			}
		})
	}
}

// TestRenderGeneratedNameIsCut: a generated name is cut to the service's longest name.
func TestRenderGeneratedNameIsCut(t *testing.T) {
	tmpl, err := parseTemplate([]byte(`{"Resources":{"AVeryLongLogicalIdForABucketThatGoesOnAndOn1234":{"Type":"AWS::S3::Bucket"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	got := str(newRenderer(tmpl, Longest, "a-stack-name-of-some-length").render(map[string]any{"Ref": "AVeryLongLogicalIdForABucketThatGoesOnAndOn1234"}))
	if len(got) != 63 || got != strings.ToLower(got) {
		t.Errorf("generated bucket name %q (%d characters), want 63 lowercase characters", got, len(got))
	}
}

// TestIntrinsicsRenderedAtTheirLongest: a pattern that fits with a short account and region
// is over the quota once they are at their longest, and every Fn::If branch counts.
func TestIntrinsicsRenderedAtTheirLongest(t *testing.T) {
	// 2,048 characters with "us-east-1" (9) for the region, 2,054 with us-isof-south-1 (15).
	pad := strings.Repeat("x", EventPatternSize.Limit-len(`{"detail-type":[""],"region":["us-east-1"]}`))
	pattern := map[string]any{"detail-type": []any{pad}, "region": []any{map[string]any{"Ref": "AWS::Region"}}}
	fs := checkResources(t, map[string]any{"R": res("AWS::Events::Rule", map[string]any{"EventPattern": pattern})})
	if len(fs) != 1 || fs[0].Measured != EventPatternSize.Limit+6 {
		t.Errorf("findings %v, want the pattern measured at %d", fs, EventPatternSize.Limit+6)
	}

	// The long pattern only in the branch of a condition.
	short := map[string]any{"source": []any{"aws.s3"}}
	long := map[string]any{"detail-type": []any{strings.Repeat("y", EventPatternSize.Limit)}}
	for _, branches := range [][]any{{short, long}, {long, short}} {
		fs := checkResources(t, map[string]any{"R": res("AWS::Events::Rule", map[string]any{
			"EventPattern": map[string]any{"Fn::If": append([]any{"Cond"}, branches...)},
		})})
		if len(fs) != 1 || fs[0].Quota.ID != EventPatternSize.ID {
			t.Errorf("pattern behind Fn::If: findings %v, want the long branch over the quota", fs)
		}
	}
}

// TestRoleInlinePoliciesAggregate: inline policies count together, wherever they are
// declared (the role's Policies or AWS::IAM::Policy resources naming it).
func TestRoleInlinePoliciesAggregate(t *testing.T) {
	half := strings.Repeat("x", RoleInlinePolicySize.Limit/2)
	doc := policy(half)
	fs := checkResources(t, map[string]any{
		"Role":   res("AWS::IAM::Role", map[string]any{"AssumeRolePolicyDocument": policy(""), "Policies": []any{map[string]any{"PolicyName": "a", "PolicyDocument": doc}}}),
		"Policy": res("AWS::IAM::Policy", map[string]any{"PolicyName": "b", "PolicyDocument": doc, "Roles": []any{map[string]any{"Ref": "Role"}}}),
	})
	if len(fs) != 1 || fs[0].Quota.ID != RoleInlinePolicySize.ID || fs[0].LogicalID != "Role" || fs[0].Measured != 2*nonSpace(doc) {
		t.Errorf("findings %v, want the role's two inline policies over the quota together (%d)", fs, 2*nonSpace(doc))
	}
}

// TestEventBusPolicyAggregate: every statement on a bus counts towards its policy.
func TestEventBusPolicyAggregate(t *testing.T) {
	stmt := policy(strings.Repeat("x", EventBusPolicySize.Limit/2))["Statement"].([]any)[0]
	fs := checkResources(t, map[string]any{
		"A": res("AWS::Events::EventBusPolicy", map[string]any{"StatementId": "a", "EventBusName": "bus", "Statement": stmt}),
		"B": res("AWS::Events::EventBusPolicy", map[string]any{"StatementId": "b", "EventBusName": "bus", "Statement": stmt}),
		"C": res("AWS::Events::EventBusPolicy", map[string]any{"StatementId": "c", "Statement": stmt}), // the default bus
	})
	if len(fs) != 1 || fs[0].Quota.ID != EventBusPolicySize.ID || !strings.Contains(fs[0].What, `"bus"`) {
		t.Errorf("findings %v, want the policy of bus \"bus\" over the quota", fs)
	}
}

// TestEventBusPolicyLegacyForm: statements given as Action, Principal and StatementId count
// as the statement EventBridge writes for them (an account each).
func TestEventBusPolicyLegacyForm(t *testing.T) {
	resources := map[string]any{}
	for i := range 60 { // about 180 characters each
		resources[fmt.Sprintf("Grant%d", i)] = res("AWS::Events::EventBusPolicy", map[string]any{
			"StatementId": fmt.Sprintf("allow-account-%d", i), "Action": "events:PutEvents", "Principal": fmt.Sprintf("%012d", i),
		})
	}
	fs := checkResources(t, resources)
	if len(fs) != 1 || fs[0].Quota.ID != EventBusPolicySize.ID || !strings.Contains(fs[0].What, "(60 statements)") || fs[0].Measured < 60*150 {
		t.Errorf("findings %v, want the default bus's policy of 60 account grants over the quota", fs)
	}
}

// TestBucketNameTooShort: names have a minimum too.
func TestBucketNameTooShort(t *testing.T) {
	fs := checkResources(t, map[string]any{"B": res("AWS::S3::Bucket", map[string]any{"BucketName": "ab"})})
	if len(fs) != 1 || fs[0].Quota.ID != BucketName.ID || !strings.Contains(fs[0].String(), "under the minimum of 3") {
		t.Errorf("findings %v, want the bucket name under the minimum", fs)
	}
}

// TestStackSetTemplates: a StackSet's inline template is checked against the inline body
// quota and as a template of its own, and so is a template deployed from a file asset.
func TestStackSetTemplates(t *testing.T) {
	inner := map[string]any{"Resources": map[string]any{"Rule": res("AWS::Events::Rule", map[string]any{
		"EventPattern": map[string]any{"detail-type": []any{strings.Repeat("x", EventPatternSize.Limit)}},
	})}}
	innerBody, err := json.Marshal(inner)
	if err != nil {
		t.Fatal(err)
	}
	big := strings.Repeat("y", TemplateBodySize.Limit)
	outer := map[string]any{"Resources": map[string]any{
		"Inline": res("AWS::CloudFormation::StackSet", map[string]any{"StackSetName": "ss", "TemplateBody": string(innerBody)}),
		"TooBig": res("AWS::CloudFormation::StackSet", map[string]any{"StackSetName": "big", "TemplateBody": `{"Resources":{},"Description":"` + big + `"}`}),
		"ByURL": res("AWS::CloudFormation::StackSet", map[string]any{"StackSetName": "url", "TemplateURL": map[string]any{
			"Fn::Sub": "https://s3.${AWS::Region}.${AWS::URLSuffix}/cdk-assets-${AWS::AccountId}/abc123.json",
		}}),
	}}
	assetManifest, err := json.Marshal(map[string]any{"files": map[string]any{"abc123": map[string]any{
		"source":       map[string]any{"path": "member.template.json", "packaging": "file"},
		"destinations": map[string]any{"d": map[string]any{"bucketName": "b", "objectKey": "abc123.json"}},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeAssembly(t, dir, map[string]any{"mgmt": outer}, map[string][]byte{"mgmt.assets.json": assetManifest, "member.template.json": innerBody})
	fs, err := Check(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range fs {
		got = append(got, f.Quota.ID+" "+f.Template+" "+f.LogicalID+" "+f.Stack)
	}
	want := []string{
		"events.event-pattern-size mgmt.template.json > ByURL Rule StackSet-url-" + stackUUID,
		"events.event-pattern-size mgmt.template.json > Inline Rule StackSet-ss-" + stackUUID,
		"cloudformation.template-body-size mgmt.template.json TooBig mgmt",
		"cloudformation.template-description mgmt.template.json > TooBig  StackSet-big-" + stackUUID,
	}
	if strings.Join(got, "\n") != strings.Join(sortedCopy(want), "\n") {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(sortedCopy(want), "\n"))
	}
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	// the order Check sorts findings in: stack, then template, then logical id
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if key(out[j]) < key(out[i]) {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func key(line string) string {
	f := strings.Split(line, " ")
	return f[len(f)-1] + "\x00" + strings.Join(f[1:len(f)-1], " ")
}

// TestReplicasCheckedOnce: stacks whose templates differ only in the stack's name share one
// check, and their findings name each stack; a gate checks a stack once.
func TestReplicasCheckedOnce(t *testing.T) {
	tmpl := func(stack string) []byte {
		return []byte(`{"Resources":{"R":{"Type":"AWS::Events::Rule","Metadata":{"aws:cdk:path":"` + stack + `/Rule"},"Properties":{"Name":"` + strings.Repeat("n", 65) + `"}}}}`)
	}
	dir := t.TempDir()
	writeAssembly(t, dir, map[string]any{"member-aaa": tmpl("member-aaa"), "member-bbb": tmpl("member-bbb")}, nil)
	g, err := NewGate(Options{})
	if err != nil {
		t.Fatal(err)
	}
	fs, err := g.Check(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(g.cache) != 1 {
		t.Errorf("%d templates checked, want 1", len(g.cache))
	}
	if len(fs) != 2 || fs[0].Stack != "member-aaa" || fs[0].Path != "member-aaa/Rule" || fs[1].Stack != "member-bbb" || fs[1].Path != "member-bbb/Rule" {
		t.Errorf("findings %v, want one per stack, each with its own construct path", fs)
	}
	// A third stack added to the assembly: only it is checked.
	writeAssembly(t, dir, map[string]any{"member-aaa": tmpl("member-aaa"), "member-bbb": tmpl("member-bbb"), "member-ccc": tmpl("member-ccc")}, nil)
	fs, err = g.Check(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 1 || fs[0].Stack != "member-ccc" {
		t.Errorf("second check: findings %v, want only member-ccc's", fs)
	}
}

// TestReplicasOfOtherNameLengths: a template whose rendered lengths do not depend on the
// stack's name is checked once for names of any length; one with a generated name that
// grows with the stack's name is checked once per length.
func TestReplicasOfOtherNameLengths(t *testing.T) {
	named := `{"Resources":{"R":{"Type":"AWS::Events::Rule","Properties":{"Name":"r"}}}}`
	generated := `{"Resources":{"Q":{"Type":"AWS::SQS::Queue"},"P":{"Type":"AWS::SQS::QueuePolicy","Properties":{"PolicyDocument":{"Statement":[{"Resource":{"Fn::GetAtt":["Q","Arn"]}}]}}}}}`
	for _, tc := range []struct {
		template string
		checks   int
	}{{named, 1}, {generated, 2}} {
		dir := t.TempDir()
		writeAssembly(t, dir, map[string]any{"s-a": []byte(tc.template), "s-bbbb": []byte(tc.template)}, nil)
		g, err := NewGate(Options{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := g.Check(dir); err != nil {
			t.Fatal(err)
		}
		if len(g.cache) != tc.checks {
			t.Errorf("%s: %d templates checked, want %d", tc.template, len(g.cache), tc.checks)
		}
	}
}

// TestRaisedQuotas: a quota raised with Service Quotas is checked at its raised value; only
// adjustable quotas can be raised.
func TestRaisedQuotas(t *testing.T) {
	dir := t.TempDir()
	pattern := map[string]any{"detail-type": []any{strings.Repeat("x", 3000)}}
	writeAssembly(t, dir, map[string]any{"s": map[string]any{"Resources": map[string]any{"R": res("AWS::Events::Rule", map[string]any{"EventPattern": pattern})}}}, nil)
	for _, tc := range []struct {
		raised   map[string]int
		findings int
	}{
		{nil, 1},
		{map[string]int{EventPatternSize.ID: 4096}, 0},
		{map[string]int{EventPatternSize.ID: 2500}, 1},
	} {
		g, err := NewGate(Options{Raised: tc.raised})
		if err != nil {
			t.Fatal(err)
		}
		fs, err := g.Check(dir)
		if err != nil {
			t.Fatal(err)
		}
		if len(fs) != tc.findings {
			t.Errorf("raised %v: findings %v, want %d", tc.raised, fs, tc.findings)
		}
		if len(fs) == 1 && fs[0].Limit != max(tc.raised[EventPatternSize.ID], EventPatternSize.Limit) {
			t.Errorf("raised %v: finding's limit %d", tc.raised, fs[0].Limit)
		}
	}
	for _, raised := range []map[string]int{{SCPSize.ID: 10000}, {"no.such-quota": 1}, {EventPatternSize.ID: 1000}} {
		if _, err := NewGate(Options{Raised: raised}); err == nil {
			t.Errorf("NewGate(raised %v) succeeded, want an error", raised)
		}
	}
}

// TestCheckErrors: an assembly that cannot be read is an error, not a pass.
func TestCheckErrors(t *testing.T) {
	if _, err := Check(t.TempDir()); err == nil {
		t.Error("Check(empty dir) succeeded, want an error (no manifest.json)")
	}
	dir := t.TempDir()
	writeAssembly(t, dir, map[string]any{"s": []byte("{not json")}, nil)
	if _, err := Check(dir); err == nil || !strings.Contains(err.Error(), "s.template.json") {
		t.Errorf("Check(broken template) error = %v, want one naming the file", err)
	}
	if err := os.Remove(filepath.Join(dir, "s.template.json")); err != nil {
		t.Fatal(err)
	}
	if _, err := Check(dir); err == nil {
		t.Error("Check(missing template) succeeded, want an error")
	}
}

// TestWriteReport: the report lists every finding, and is written when there is none.
func TestWriteReport(t *testing.T) {
	dir := t.TempDir()
	for _, fs := range [][]Finding{
		{{Quota: EventPatternSize, Limit: 2048, Measured: 2297, Stack: "s", Template: "s.template.json", LogicalID: "R", Path: "s/R", What: "EventPattern"}},
		nil,
	} {
		if err := WriteReport(dir, fs); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(filepath.Join(dir, ReportFile))
		if err != nil {
			t.Fatal(err)
		}
		var r struct {
			Findings []map[string]any `json:"findings"`
		}
		if err := json.Unmarshal(data, &r); err != nil {
			t.Fatal(err)
		}
		if len(r.Findings) != len(fs) || len(fs) == 1 && (r.Findings[0]["quota"] != EventPatternSize.ID || r.Findings[0]["measured"] != 2297.0 || r.Findings[0]["constructPath"] != "s/R") {
			t.Errorf("report %s, want the findings %v", data, fs)
		}
	}
}
