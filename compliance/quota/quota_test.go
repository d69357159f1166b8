package quota

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeAssembly writes a cloud assembly to dir holding one stack per template, named by its
// key (files and assets map extra file names to contents).
func writeAssembly(t testing.TB, dir string, stacks map[string]any, files map[string][]byte) {
	t.Helper()
	artifacts := map[string]any{}
	for name, tmpl := range stacks {
		file := name + ".template.json"
		var body []byte
		switch x := tmpl.(type) {
		case []byte:
			body = x
		default:
			var err error
			if body, err = json.MarshalIndent(tmpl, "", " "); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(dir, file), body, 0o644); err != nil {
			t.Fatal(err)
		}
		artifacts[name] = map[string]any{
			"type":        "aws:cloudformation:stack",
			"environment": "aws://111111111111/eu-west-1",
			"properties":  map[string]any{"templateFile": file, "stackName": name},
		}
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	m, err := json.Marshal(map[string]any{"version": "55.0.0", "artifacts": artifacts})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "manifest.json"), m, 0o644); err != nil {
		t.Fatal(err)
	}
}

// checkResources checks a template of the given resources, deployed as stack "test".
func checkResources(t *testing.T, resources map[string]any) []Finding {
	t.Helper()
	dir := t.TempDir()
	writeAssembly(t, dir, map[string]any{"test": map[string]any{"Resources": resources}}, nil)
	fs, err := Check(dir)
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

func res(typ string, props map[string]any) map[string]any {
	return map[string]any{"Type": typ, "Properties": props}
}

// sized returns the value build makes with padding chosen so that measure(value) is n.
func sized(t *testing.T, n int, build func(pad string) any, measure func(any) int) any {
	t.Helper()
	base := measure(build(""))
	if n < base {
		t.Fatalf("cannot build a value of size %d: the smallest is %d", n, base)
	}
	v := build(strings.Repeat("x", n-base))
	if got := measure(v); got != n {
		t.Fatalf("built a value of size %d, want %d", got, n)
	}
	return v
}

func policy(pad string) map[string]any {
	return map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
		"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Principal": map[string]any{"AWS": "*"}, "Sid": "S" + pad,
	}}}
}

func busPolicyDoc(v any) any {
	return map[string]any{"Version": "2012-10-17", "Statement": []any{v}}
}

// TestQuotaJustUnderPassesJustOverFails builds, for every size quota, a resource whose
// measured value is exactly the limit (no finding) and one over it (a finding of that quota
// with that value).
func TestQuotaJustUnderPassesJustOverFails(t *testing.T) {
	name := func(typ, prop string) func(string) map[string]any {
		return func(pad string) map[string]any { return res(typ, map[string]any{prop: "n" + pad}) }
	}
	length := func(v any) int { return len(v.(map[string]any)["Properties"].(map[string]any)[firstKey(v)].(string)) }
	prop := func(p string, measure func(any) int) func(any) int {
		return func(v any) int { return measure(v.(map[string]any)["Properties"].(map[string]any)[p]) }
	}
	for _, tc := range []struct {
		q       Quota
		build   func(pad string) map[string]any
		measure func(any) int
	}{
		{EventPatternSize, func(pad string) map[string]any {
			return res("AWS::Events::Rule", map[string]any{"EventPattern": map[string]any{"detail-type": []any{pad}}})
		}, prop("EventPattern", chars)},
		{EventBusPolicySize, func(pad string) map[string]any {
			return res("AWS::Events::EventBusPolicy", map[string]any{"StatementId": "s", "Statement": policy(pad)["Statement"].([]any)[0]})
		}, func(v any) int {
			return chars(busPolicyDoc(v.(map[string]any)["Properties"].(map[string]any)["Statement"]))
		}},
		{SCPSize, func(pad string) map[string]any {
			return res("AWS::Organizations::Policy", map[string]any{"Type": "SERVICE_CONTROL_POLICY", "Name": "g", "Content": policy(pad)})
		}, prop("Content", chars)},
		{TagPolicySize, func(pad string) map[string]any {
			return res("AWS::Organizations::Policy", map[string]any{"Type": "TAG_POLICY", "Name": "g", "Content": map[string]any{"tags": map[string]any{"k" + pad: map[string]any{}}}})
		}, prop("Content", chars)},
		{KeyPolicySize, func(pad string) map[string]any {
			return res("AWS::KMS::Key", map[string]any{"KeyPolicy": policy(pad)})
		}, prop("KeyPolicy", bytesOf)},
		{BucketPolicySize, func(pad string) map[string]any {
			return res("AWS::S3::BucketPolicy", map[string]any{"Bucket": "b", "PolicyDocument": policy(pad)})
		}, prop("PolicyDocument", bytesOf)},
		{TopicPolicySize, func(pad string) map[string]any {
			return res("AWS::SNS::TopicPolicy", map[string]any{"Topics": []any{"t"}, "PolicyDocument": policy(pad)})
		}, prop("PolicyDocument", bytesOf)},
		{QueuePolicySize, func(pad string) map[string]any {
			return res("AWS::SQS::QueuePolicy", map[string]any{"Queues": []any{"q"}, "PolicyDocument": policy(pad)})
		}, prop("PolicyDocument", bytesOf)},
		{ManagedPolicySize, func(pad string) map[string]any {
			return res("AWS::IAM::ManagedPolicy", map[string]any{"PolicyDocument": policy(pad)})
		}, prop("PolicyDocument", nonSpace)},
		{RoleTrustPolicySize, func(pad string) map[string]any {
			return res("AWS::IAM::Role", map[string]any{"AssumeRolePolicyDocument": policy(pad)})
		}, prop("AssumeRolePolicyDocument", nonSpace)},
		{RoleInlinePolicySize, func(pad string) map[string]any {
			return res("AWS::IAM::Role", map[string]any{"AssumeRolePolicyDocument": policy(""), "Policies": []any{
				map[string]any{"PolicyName": "p", "PolicyDocument": policy(pad)},
			}})
		}, func(v any) int {
			return nonSpace(v.(map[string]any)["Properties"].(map[string]any)["Policies"].([]any)[0].(map[string]any)["PolicyDocument"])
		}},
		{FunctionEnvironmentSize, func(pad string) map[string]any {
			return res("AWS::Lambda::Function", map[string]any{"FunctionName": "f", "Environment": map[string]any{"Variables": map[string]any{
				"TRAILGUARD_ALERT_TOPIC_ARN": "arn:aws:sns:eu-west-1:111111111111:trailguard-alerts", "TRAILGUARD_CONFIG": "{}" + pad,
			}}})
		}, func(v any) int {
			return bytesOf(v.(map[string]any)["Properties"].(map[string]any)["Environment"].(map[string]any)["Variables"])
		}},
		{RuleName, name("AWS::Events::Rule", "Name"), length},
		{EventBusName, name("AWS::Events::EventBus", "Name"), length},
		{KMSAliasName, name("AWS::KMS::Alias", "AliasName"), length},
		{BucketName, name("AWS::S3::Bucket", "BucketName"), length},
		{TopicName, name("AWS::SNS::Topic", "TopicName"), length},
		{QueueName, name("AWS::SQS::Queue", "QueueName"), length},
		{RoleName, name("AWS::IAM::Role", "RoleName"), length},
		{PolicyName, name("AWS::IAM::ManagedPolicy", "ManagedPolicyName"), length},
		{InstanceProfileName, name("AWS::IAM::InstanceProfile", "InstanceProfileName"), length},
		{StreamName, name("AWS::Kinesis::Stream", "Name"), length},
		{LogGroupName, name("AWS::Logs::LogGroup", "LogGroupName"), length},
		{AlarmName, name("AWS::CloudWatch::Alarm", "AlarmName"), length},
	} {
		t.Run(tc.q.ID, func(t *testing.T) {
			build := func(pad string) any { return tc.build(pad) }
			at := sized(t, tc.q.Limit, build, tc.measure)
			if fs := checkResources(t, map[string]any{"R": at}); len(fs) != 0 {
				t.Errorf("at the limit %d: findings %v, want none", tc.q.Limit, fs)
			}
			over := sized(t, tc.q.Limit+1, build, tc.measure)
			fs := checkResources(t, map[string]any{"R": over})
			if len(fs) != 1 || fs[0].Quota.ID != tc.q.ID || fs[0].Measured != tc.q.Limit+1 || fs[0].LogicalID != "R" {
				t.Fatalf("one over the limit: findings %v, want one of %s measuring %d at R", fs, tc.q.ID, tc.q.Limit+1)
			}
			if s := fs[0].String(); !strings.Contains(s, tc.q.Doc) || !strings.Contains(s, tc.q.Fix) {
				t.Errorf("finding %q does not cite %s and its fix", s, tc.q.Doc)
			}
		})
	}
}

func firstKey(v any) string {
	for k := range v.(map[string]any)["Properties"].(map[string]any) {
		return k
	}
	return ""
}

// TestQuotaCounts checks the quotas that count things, at and one over the limit.
func TestQuotaCounts(t *testing.T) {
	list := func(n int, f func(i int) any) []any {
		out := make([]any, n)
		for i := range out {
			out[i] = f(i)
		}
		return out
	}
	stmt := func(i int) any { return policy(fmt.Sprint(i))["Statement"].([]any)[0] }
	for _, tc := range []struct {
		q         Quota
		resources func(n int) map[string]any
	}{
		{TargetsPerRule, func(n int) map[string]any {
			return map[string]any{"R": res("AWS::Events::Rule", map[string]any{"Targets": list(n, func(i int) any { return map[string]any{"Id": fmt.Sprint(i), "Arn": "a"} })})}
		}},
		{TopicPolicyStatements, func(n int) map[string]any {
			return map[string]any{"R": res("AWS::SNS::TopicPolicy", map[string]any{"PolicyDocument": map[string]any{"Statement": list(n, func(i int) any { return map[string]any{"Sid": fmt.Sprint(i)} })}})}
		}},
		{QueuePolicyStatements, func(n int) map[string]any {
			return map[string]any{"R": res("AWS::SQS::QueuePolicy", map[string]any{"PolicyDocument": map[string]any{"Statement": list(n, stmt)}})}
		}},
		{Resources, func(n int) map[string]any {
			out := map[string]any{}
			for i := range n {
				out[fmt.Sprintf("Topic%d", i)] = res("AWS::SNS::Topic", nil)
			}
			return out
		}},
	} {
		t.Run(tc.q.ID, func(t *testing.T) {
			if fs := checkResources(t, tc.resources(tc.q.Limit)); len(fs) != 0 {
				t.Errorf("at the limit %d: findings %v, want none", tc.q.Limit, fs)
			}
			fs := checkResources(t, tc.resources(tc.q.Limit+1))
			if len(fs) != 1 || fs[0].Quota.ID != tc.q.ID || fs[0].Measured != tc.q.Limit+1 {
				t.Errorf("one over the limit: findings %v, want one of %s measuring %d", fs, tc.q.ID, tc.q.Limit+1)
			}
		})
	}
}

// TestQuotaTemplateSections checks outputs, parameters and the description.
func TestQuotaTemplateSections(t *testing.T) {
	section := func(n int, f func(i int) any) map[string]any {
		out := map[string]any{}
		for i := range n {
			out[fmt.Sprintf("X%d", i)] = f(i)
		}
		return out
	}
	for _, tc := range []struct {
		q        Quota
		template func(n int) map[string]any
	}{
		{Outputs, func(n int) map[string]any {
			return map[string]any{"Resources": map[string]any{}, "Outputs": section(n, func(int) any { return map[string]any{"Value": "v"} })}
		}},
		{Parameters, func(n int) map[string]any {
			return map[string]any{"Resources": map[string]any{}, "Parameters": section(n, func(int) any { return map[string]any{"Type": "String"} })}
		}},
		{TemplateDescription, func(n int) map[string]any {
			return map[string]any{"Resources": map[string]any{}, "Description": strings.Repeat("d", n)}
		}},
	} {
		t.Run(tc.q.ID, func(t *testing.T) {
			for _, n := range []int{tc.q.Limit, tc.q.Limit + 1} {
				dir := t.TempDir()
				writeAssembly(t, dir, map[string]any{"s": tc.template(n)}, nil)
				fs, err := Check(dir)
				if err != nil {
					t.Fatal(err)
				}
				if want := n - tc.q.Limit; len(fs) != want || want == 1 && fs[0].Measured != n {
					t.Errorf("%d: findings %v, want %d", n, fs, want)
				}
			}
		})
	}
}

// TestQuotaTemplateSize measures the template file as written (the CDK's indented JSON).
func TestQuotaTemplateSize(t *testing.T) {
	for _, n := range []int{TemplateSize.Limit, TemplateSize.Limit + 1} {
		base := []byte(`{"Resources":{},"Metadata":{"pad":""}}`)
		body := []byte(strings.Replace(string(base), `""`, `"`+strings.Repeat("p", n-len(base))+`"`, 1))
		dir := t.TempDir()
		writeAssembly(t, dir, map[string]any{"s": body}, nil)
		fs, err := Check(dir)
		if err != nil {
			t.Fatal(err)
		}
		if want := n - TemplateSize.Limit; len(fs) != want || want == 1 && (fs[0].Quota.ID != TemplateSize.ID || fs[0].Measured != n) {
			t.Errorf("%d bytes: findings %v, want %d", n, fs, want)
		}
	}
}
