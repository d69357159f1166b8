package test

import (
	"encoding/json"
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/aws/jsii-runtime-go"
	"github.com/google/go-cmp/cmp"

	"github.com/trailguard/trailguard/constructs/guardrails"
	"github.com/trailguard/trailguard/constructs/responderrole"
)

// scp returns the example's service control policies as one document: the statements of
// every SCP the Management stack attaches (they apply together).
func scp(t *testing.T) map[string]any {
	t.Helper()
	return scpOf(t, example)
}

func scpOf(t *testing.T, s *synthesized) map[string]any {
	t.Helper()
	policies := s.template(t, "trailguard-management").resourcesOfType("AWS::Organizations::Policy")
	if len(policies) != 2 {
		t.Errorf("%d SCPs, want 2 (the logging resources', the deployment path's)", len(policies))
	}
	var all []any
	for _, id := range keys(policies) {
		p := policies[id]
		if p["DeletionPolicy"] != "RetainExceptOnCreate" {
			t.Errorf("SCP %s DeletionPolicy = %v, want Retain: deleting the stack must not lift the protection", id, p["DeletionPolicy"])
		}
		if got := get(p.props(), "TargetIds"); !cmp.Equal(got, []any{"r-ab12"}) {
			t.Errorf("SCP %s TargetIds = %v, want the configured root", id, got)
		}
		if n := len(compactJSON(t, p.props()["Content"])); n > guardrails.MaxPolicySize {
			t.Errorf("SCP %s is %d characters, over %d", id, n, guardrails.MaxPolicySize)
		}
		all = append(all, asList(get(p.props(), "Content", "Statement"))...)
	}
	return map[string]any{"Version": "2012-10-17", "Statement": all}
}

func compactJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
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
	"AWS::Kinesis::Stream":     {"Name", func(n string) string { return "arn:aws:kinesis:eu-west-1:333333333333:stream/" + n }},
	"AWS::Lambda::Function":    {"FunctionName", func(n string) string { return "arn:aws:lambda:eu-west-1:333333333333:function:" + n }},
	"AWS::DynamoDB::Table":     {"TableName", func(n string) string { return "arn:aws:dynamodb:eu-west-1:333333333333:table/" + n }},
	"AWS::Logs::LogGroup":      {"LogGroupName", func(n string) string { return "arn:aws:logs:eu-west-1:333333333333:log-group:" + n + ":*" }},
	"AWS::Scheduler::Schedule": {"Name", func(n string) string { return "arn:aws:scheduler:eu-west-1:333333333333:schedule/default/" + n }},
	"AWS::Athena::WorkGroup":   {"Name", func(n string) string { return "arn:aws:athena:eu-west-1:333333333333:workgroup/" + n }},
	// Glue names sit in DatabaseInput and TableInput; a table's name here is <database>/<table>.
	"AWS::Glue::Database": {"DatabaseInput.Name", func(n string) string { return "arn:aws:glue:eu-west-1:333333333333:database/" + n }},
	"AWS::Glue::Table":    {"TableInput.Name", func(n string) string { return "arn:aws:glue:eu-west-1:333333333333:table/" + n }},
}

// arnMatches reports whether arn matches an IAM ARN pattern (with * wildcards).
func arnMatches(pattern, arn string) bool {
	ok, err := path.Match(strings.ReplaceAll(pattern, "/", "\x00"), strings.ReplaceAll(arn, "/", "\x00"))
	return err == nil && ok
}

// TestGuardrailsCoverEveryLoggingResource derives the logging resources from the stacks the
// SCP protects (the Security account and every member account; SCPs do not apply to the
// management account), so a resource added later cannot be forgotten.
func TestGuardrailsCoverEveryLoggingResource(t *testing.T) {
	doc := scp(t)
	named := statementBySid(t, doc, "ProtectNamedLogging")
	tagged := statementBySid(t, doc, "ProtectTaggedLogging")
	mappings := statementBySid(t, doc, "ProtectDetectionMappings")
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
			if !ok {
				t.Errorf("%s/%s: %s is not protected by the guardrails: add it to guardrails.Protected and the policy", name, id, typ)
				continue
			}
			switch how {
			case "name":
				np := nameProperty[typ]
				var path []any
				for _, part := range strings.Split(np.prop, ".") {
					path = append(path, part)
				}
				n := physicalName(get(r.props(), path...))
				if typ == "AWS::Glue::Table" && n != "" {
					// The database, by its Ref to the database resource.
					dbID, _ := get(r.props(), "DatabaseName", "Ref").(string)
					db, _ := res[dbID].(map[string]any)
					n = physicalName(get(db, "Properties", "DatabaseInput", "Name")) + "/" + n
				}
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
			case "function":
				// Protected by lambda:FunctionArn: the function it invokes must be trailguard's.
				fnID, _ := get(r.props(), "FunctionName", "Ref").(string)
				fn, _ := res[fnID].(map[string]any)
				fnName := physicalName(get(fn, "Properties", "FunctionName"))
				patterns := strs(get(mappings, "Condition", "ArnLike", "lambda:FunctionArn"))
				covered := false
				for _, p := range patterns {
					covered = covered || arnMatches(p, nameProperty["AWS::Lambda::Function"].arn(fnName))
				}
				if fnName == "" || !covered {
					t.Errorf("%s/%s: the function %q it invokes is not one the SCP's lambda:FunctionArn %v covers", name, id, fnName, patterns)
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
	exempt := []string{
		"arn:aws:iam::*:role/cdk-hnb659fds-cfn-exec-role-*",
		"arn:aws:iam::*:role/trailguard-break-glass",
		"arn:aws:iam::222222222222:role/trailguard-break-glass",
	}
	deployer := "arn:aws:iam::*:role/OrganizationAccountAccessRole"
	deploymentRoles := []string{"arn:aws:iam::*:role/cdk-hnb659fds-deploy-role-*", "arn:aws:iam::*:role/cdk-hnb659fds-file-publishing-role-*"}
	// Who each statement lets through: the logging statements only the exempt principals;
	// role creation also the deployers (cdk bootstrap); the deployment path also the
	// deployment roles acting for them.
	want := map[string][]string{
		"ProtectNamedLogging":         exempt,
		"ProtectTaggedLogging":        exempt,
		"ProtectTheTag":               exempt,
		"ProtectSecurityBusAndStream": exempt,
		"ProtectDetectionMappings":    exempt,
		"ProtectDetectionState": sortedUnique(append([]string{
			"arn:aws:iam::222222222222:role/trailguard-detect-stream", "arn:aws:iam::222222222222:role/trailguard-detect-archive",
			"arn:aws:iam::222222222222:role/trailguard-coverage-monitor"}, exempt...)),
		"ProtectExemptRoles": sortedUnique(append([]string{deployer}, exempt...)),
		"ProtectDeployment":  sortedUnique(append(append([]string{deployer}, exempt...), deploymentRoles...)),
		"StayInOrganization": nil,
		// The restoring calls also the responder role; its PassRole limit exempts nobody.
		"ProtectNamedLoggingRestores":      sortedUnique(append([]string{"arn:aws:iam::*:role/" + responderrole.RoleName}, exempt...)),
		"ResponderPassesOnlyToEventBridge": nil,
	}
	seen := map[string]bool{}
	for _, st := range statements(scp(t)) {
		sid := fmt.Sprint(st["Sid"])
		seen[sid] = true
		if st["Effect"] != "Deny" {
			t.Errorf("statement %v: Effect = %v, want Deny (an SCP here only takes away)", sid, st["Effect"])
		}
		w, ok := want[sid]
		if !ok {
			t.Errorf("statement %v: unknown; say here whom it exempts", sid)
			continue
		}
		if diff := cmp.Diff(w, strs(get(st, "Condition", "ArnNotLike", "aws:PrincipalArn"))); diff != "" {
			t.Errorf("statement %v exempts (-want +got):\n%s", sid, diff)
		}
	}
	for sid := range want {
		if !seen[sid] {
			t.Errorf("no statement %s", sid)
		}
	}
	// The responder is exempt from exactly the restoring calls: the calls that silence
	// logging stay in the statement that exempts only the exempt principals.
	restores := statementBySid(t, scp(t), "ProtectNamedLoggingRestores")
	if got := strs(restores["Action"]); !cmp.Equal(sortedUnique(got), sortedUnique(guardrails.RestoringActions)) {
		t.Errorf("ProtectNamedLoggingRestores actions = %v, want guardrails.RestoringActions %v", got, guardrails.RestoringActions)
	}
	named := strs(statementBySid(t, scp(t), "ProtectNamedLogging")["Action"])
	for _, a := range []string{"cloudtrail:StopLogging", "cloudtrail:DeleteTrail", "events:DisableRule", "events:DeleteRule", "events:RemoveTargets"} {
		if !slices.Contains(named, a) {
			t.Errorf("ProtectNamedLogging does not deny %s to everyone but the exempt principals", a)
		}
	}
	for _, a := range guardrails.RestoringActions {
		if slices.Contains(named, a) {
			t.Errorf("ProtectNamedLogging denies %s to the responder too: it could not restore", a)
		}
	}
	wantEq(t, "ResponderPassesOnlyToEventBridge condition", statementBySid(t, scp(t), "ResponderPassesOnlyToEventBridge")["Condition"], map[string]any{
		"ArnLike":         map[string]any{"aws:PrincipalArn": []any{"arn:aws:iam::*:role/" + responderrole.RoleName}},
		"StringNotEquals": map[string]any{"iam:PassedToService": "events.amazonaws.com"},
	})
	exemptRoles := statementBySid(t, scp(t), "ProtectExemptRoles")
	if got, w := strs(exemptRoles["Resource"]), sortedUnique(append(append([]string{deployer}, exempt...), deploymentRoles...)); !cmp.Equal(got, w) {
		t.Errorf("ProtectExemptRoles resources = %v, want the exempt, deployer and deployment roles %v: otherwise anyone could create or assume one", got, w)
	}
	if got := strs(exemptRoles["Action"]); !cmp.Equal(got[:2], []string{"iam:AttachRolePolicy", "iam:CreateRole"}) {
		t.Errorf("ProtectExemptRoles actions = %v, want role creation and changes denied", got)
	}
}

func TestGuardrailsSizeAndMisuse(t *testing.T) {
	docs, err := guardrails.DocumentOptions{Partition: "aws", Exempt: []string{"arn:aws:iam::*:role/x"}}.Documents()
	if err != nil || len(docs) != 2 || len(docs[0]) > guardrails.MaxPolicySize || len(docs[1]) > guardrails.MaxPolicySize {
		t.Fatalf("Documents() = %d policies, %v; want two valid policies within %d", len(docs), err, guardrails.MaxPolicySize)
	}
	var many []string
	for i := 0; i < 40; i++ {
		many = append(many, fmt.Sprintf("arn:aws:iam::*:role/break-glass-%02d", i))
	}
	if _, err := (guardrails.DocumentOptions{Partition: "aws", Exempt: many}).Documents(); err == nil || !strings.Contains(err.Error(), "over the 5120 Organizations allows") {
		t.Errorf("Document(40 exemptions) error = %v, want the size limit named", err)
	}
	tests := []struct {
		name  string
		props *guardrails.GuardrailsProps
		want  []string
	}{
		{"nothing", &guardrails.GuardrailsProps{}, []string{"TargetIds must name the root", "ExemptPrincipalArns must name at least the role that deploys"}},
		{"bad values", &guardrails.GuardrailsProps{TargetIds: jsii.Strings("o-a1b2c3d4e5"), ExemptPrincipalArns: jsii.Strings("*"), ExtraNames: jsii.Strings("a b"), SecurityAccount: jsii.String("2222"),
			DetectionRoleArns: jsii.Strings("trailguard-detect-stream"), DetectionQueueNames: jsii.Strings("trailguard-*")},
			[]string{`TargetIds[0] must be a root id (r-...) or an OU id (ou-...), got "o-a1b2c3d4e5"`, `ExemptPrincipalArns[0] must be an IAM role ARN pattern`, `ExtraNames[0] must be a resource name, got "a b"`,
				`SecurityAccount must be a 12-digit account id, got "2222"`, `DetectionRoleArns[0] must be an IAM role ARN pattern`, `DetectionQueueNames[0] must be a queue name, got "trailguard-*"`}},
		{"too big", &guardrails.GuardrailsProps{TargetIds: jsii.Strings("r-ab12"), ExemptPrincipalArns: jsii.Strings(many...)}, []string{"over the 5120"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			msg := mustPanic(t, func() { guardrails.NewGuardrails(newTestStack(t), jsii.String("G"), tc.props) })
			if missing := missingSubstrings(msg, tc.want...); len(missing) > 0 {
				t.Errorf("panic %q lacks %q", msg, missing)
			}
		})
	}
}

// TestGuardrailsStackSetModeExemptsStackSetRole: in stackset mode the StackSet execution role
// deploys the member template and must be exempt (and itself protected).
func TestGuardrailsStackSetModeExemptsStackSetRole(t *testing.T) {
	s := stacksetApp(t)
	got := strs(get(statementBySid(t, scpOf(t, s), "ProtectNamedLogging"), "Condition", "ArnNotLike", "aws:PrincipalArn"))
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
