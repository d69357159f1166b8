package test

import (
	"fmt"
	"path"
	"sort"
	"strings"
	"testing"

	"github.com/aws/jsii-runtime-go"
	"github.com/google/go-cmp/cmp"

	"github.com/trailguard/trailguard/constructs/guardrails"
)

// scp returns the example's service control policy document.
func scp(t *testing.T) map[string]any {
	t.Helper()
	_, p := example.template(t, "trailguard-management").only(t, "AWS::Organizations::Policy")
	if p["DeletionPolicy"] != "Retain" {
		t.Errorf("SCP DeletionPolicy = %v, want Retain: deleting the stack must not lift the protection", p["DeletionPolicy"])
	}
	if got := get(p.props(), "TargetIds"); !cmp.Equal(got, []any{"r-ab12"}) {
		t.Errorf("SCP TargetIds = %v, want the configured root", got)
	}
	doc, _ := p.props()["Content"].(map[string]any)
	return doc
}

// physicalName renders a resource's name property, with pseudo parameters replaced by
// plausible values, or "" if it has none.
func physicalName(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case map[string]any:
		if ref, ok := x["Ref"].(string); ok {
			return map[string]string{"AWS::AccountId": "333333333333", "AWS::Region": "eu-west-1", "AWS::Partition": "aws"}[ref]
		}
		if j, ok := x["Fn::Join"].([]any); ok && len(j) == 2 {
			var parts []string
			for _, p := range asList(j[1]) {
				parts = append(parts, physicalName(p))
			}
			return strings.Join(parts, fmt.Sprint(j[0]))
		}
	}
	return ""
}

// nameProperty is the property that names a resource of each "name"-protected type, and the
// ARN the SCP sees for that name.
var nameProperty = map[string]struct {
	prop string
	arn  func(name string) string
}{
	"AWS::CloudTrail::Trail": {"TrailName", func(n string) string { return "arn:aws:cloudtrail:eu-west-1:333333333333:trail/" + n }},
	"AWS::S3::Bucket":        {"BucketName", func(n string) string { return "arn:aws:s3:::" + n }},
	"AWS::Events::Rule":      {"Name", func(n string) string { return "arn:aws:events:eu-west-1:333333333333:rule/" + n }},
	"AWS::Events::EventBus":  {"Name", func(n string) string { return "arn:aws:events:eu-west-1:333333333333:event-bus/" + n }},
	"AWS::IAM::Role":         {"RoleName", func(n string) string { return "arn:aws:iam::333333333333:role/" + n }},
	"AWS::IAM::ManagedPolicy": {"ManagedPolicyName", func(n string) string {
		return "arn:aws:iam::333333333333:policy/" + n
	}},
	"AWS::Kinesis::Stream": {"Name", func(n string) string { return "arn:aws:kinesis:eu-west-1:333333333333:stream/" + n }},
}

// arnMatches reports whether arn matches an IAM ARN pattern (with * wildcards).
func arnMatches(pattern, arn string) bool {
	ok, err := path.Match(strings.ReplaceAll(pattern, "/", "\x00"), strings.ReplaceAll(arn, "/", "\x00"))
	return err == nil && ok
}

// awaitingGuardrails are the resource types of the detection functions (package detection)
// that the SCP does not protect yet: the function and its event source mapping (by the names
// trailguard-detect-*: lambda:DeleteFunction, UpdateFunctionCode, UpdateFunctionConfiguration,
// PutFunctionConcurrency, DeleteEventSourceMapping, UpdateEventSourceMapping ...) and the
// dedupe table (dynamodb:DeleteTable, UpdateTable, UpdateTimeToLive, DeleteItem by others).
// Remove each from here when guardrails.Protected covers it.
var awaitingGuardrails = map[string]bool{
	"AWS::Lambda::Function":           true,
	"AWS::Lambda::EventSourceMapping": true,
	"AWS::DynamoDB::Table":            true,
}

// TestGuardrailsCoverEveryLoggingResource derives the logging resources from the stacks the
// SCP protects (the Security account and every member account; SCPs do not apply to the
// management account), so a resource added later cannot be forgotten.
func TestGuardrailsCoverEveryLoggingResource(t *testing.T) {
	doc := scp(t)
	named := statementBySid(t, doc, "ProtectNamedLogging")
	tagged := statementBySid(t, doc, "ProtectTaggedLogging")
	if got := get(tagged, "Condition", "StringEquals", "aws:ResourceTag/"+guardrails.TagKey); got != guardrails.TagValue {
		t.Fatalf("tag condition = %v, want %s=%s", got, guardrails.TagKey, guardrails.TagValue)
	}
	for name, tmpl := range example.templates {
		if name == "trailguard-management" {
			continue
		}
		res, _ := tmpl["Resources"].(map[string]any)
		for id, r := range res {
			r := resource(r.(map[string]any))
			typ := r["Type"].(string)
			how, ok := guardrails.Protected[typ]
			if !ok && awaitingGuardrails[typ] {
				t.Logf("%s/%s: %s awaits protection by the guardrails", name, id, typ)
				continue
			}
			if !ok {
				t.Errorf("%s/%s: %s is not protected by the guardrails: add it to guardrails.Protected and the policy", name, id, typ)
				continue
			}
			switch how {
			case "name":
				np := nameProperty[typ]
				n := physicalName(r.props()[np.prop])
				if n == "" {
					t.Errorf("%s/%s (%s) has no %s: the guardrails protect it by name, so it needs one", name, id, typ, np.prop)
					continue
				}
				if typ == "AWS::Events::Rule" {
					if bus := physicalName(r.props()["EventBusName"]); bus != "" {
						n = bus + "/" + n
					}
				}
				arn := np.arn(n)
				covered := false
				for _, p := range strs(named["Resource"]) {
					covered = covered || arnMatches(p, arn)
				}
				if !covered {
					t.Errorf("%s/%s: %s is not covered by the SCP's resources %v", name, id, arn, strs(named["Resource"]))
				}
			case "tag":
				var tagged bool
				for _, tag := range asList(r.props()["Tags"]) {
					tagged = tagged || (get(tag, "Key") == guardrails.TagKey && get(tag, "Value") == guardrails.TagValue)
				}
				if !tagged {
					t.Errorf("%s/%s (%s) lacks the %s tag the guardrails protect it by", name, id, typ, guardrails.TagKey)
				}
			}
		}
	}
}

// TestGuardrailsExemptOnlyConfiguredPrincipals: every statement that can be bypassed names
// exactly the deployment role and the configured break-glass and exempt principals.
func TestGuardrailsExemptOnlyConfiguredPrincipals(t *testing.T) {
	want := []string{
		"arn:aws:iam::*:role/cdk-hnb659fds-cfn-exec-role-*",
		"arn:aws:iam::*:role/trailguard-break-glass",
		"arn:aws:iam::222222222222:role/trailguard-break-glass",
	}
	for _, st := range statements(scp(t)) {
		if st["Effect"] != "Deny" {
			t.Errorf("statement %v: Effect = %v, want Deny (an SCP here only takes away)", st["Sid"], st["Effect"])
		}
		got := strs(get(st, "Condition", "ArnNotLike", "aws:PrincipalArn"))
		if st["Sid"] == "StayInOrganization" {
			if got != nil {
				t.Errorf("StayInOrganization exempts %v, want nobody", got)
			}
			continue
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("statement %v exempts (-want +got):\n%s", st["Sid"], diff)
		}
	}
	exemptRoles := statementBySid(t, scp(t), "ProtectExemptRoles")
	if got := strs(exemptRoles["Resource"]); !cmp.Equal(got, want) {
		t.Errorf("ProtectExemptRoles resources = %v, want the exempt roles %v: otherwise anyone could create or assume one", got, want)
	}
	if got := strs(exemptRoles["Action"]); !cmp.Equal(got[:2], []string{"iam:AttachRolePolicy", "iam:CreateRole"}) {
		t.Errorf("ProtectExemptRoles actions = %v, want role creation and changes denied", got)
	}
}

func TestGuardrailsSizeAndMisuse(t *testing.T) {
	doc, err := guardrails.Document("aws", nil, []string{"arn:aws:iam::*:role/x"})
	if err != nil || len(doc) > guardrails.MaxPolicySize {
		t.Fatalf("Document() = %d characters, %v; want a valid policy within %d", len(doc), err, guardrails.MaxPolicySize)
	}
	var many []string
	for i := 0; i < 40; i++ {
		many = append(many, fmt.Sprintf("arn:aws:iam::*:role/break-glass-%02d", i))
	}
	if _, err := guardrails.Document("aws", nil, many); err == nil || !strings.Contains(err.Error(), "over the 5120 Organizations allows") {
		t.Errorf("Document(40 exemptions) error = %v, want the size limit named", err)
	}
	tests := []struct {
		name  string
		props *guardrails.GuardrailsProps
		want  []string
	}{
		{"nothing", &guardrails.GuardrailsProps{}, []string{"TargetIds must name the root", "ExemptPrincipalArns must name at least the role that deploys"}},
		{"bad values", &guardrails.GuardrailsProps{TargetIds: jsii.Strings("o-a1b2c3d4e5"), ExemptPrincipalArns: jsii.Strings("*"), ExtraNames: jsii.Strings("a b")},
			[]string{`TargetIds[0] must be a root id (r-...) or an OU id (ou-...), got "o-a1b2c3d4e5"`, `ExemptPrincipalArns[0] must be an IAM role ARN pattern`, `ExtraNames[0] must be a resource name, got "a b"`}},
		{"too big", &guardrails.GuardrailsProps{TargetIds: jsii.Strings("r-ab12"), ExemptPrincipalArns: jsii.Strings(many...)}, []string{"over the 5120"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			msg := mustPanic(t, func() { guardrails.NewGuardrails(newTestStack(t), "G", tc.props) })
			if missing := missingSubstrings(msg, tc.want...); len(missing) > 0 {
				t.Errorf("panic %q lacks %q", msg, missing)
			}
		})
	}
}

// TestGuardrailsStackSetModeExemptsStackSetRole: in stackset mode the StackSet execution role
// deploys the member template and must be exempt (and itself protected).
func TestGuardrailsStackSetModeExemptsStackSetRole(t *testing.T) {
	s, err := synthesize(stacksetConfig(t), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	_, p := s.template(t, "trailguard-management").only(t, "AWS::Organizations::Policy")
	got := strs(get(statementBySid(t, p.props()["Content"], "ProtectNamedLogging"), "Condition", "ArnNotLike", "aws:PrincipalArn"))
	sort.Strings(got)
	if !cmp.Equal(got, []string{
		"arn:aws:iam::*:role/cdk-hnb659fds-cfn-exec-role-*",
		"arn:aws:iam::*:role/stacksets-exec-*",
		"arn:aws:iam::*:role/trailguard-break-glass",
		"arn:aws:iam::222222222222:role/trailguard-break-glass",
	}) {
		t.Errorf("stackset-mode exemptions = %v", got)
	}
}
