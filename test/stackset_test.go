package test

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/jsii-runtime-go"
	"github.com/google/go-cmp/cmp"

	"github.com/trailguard/trailguard/config"
	"github.com/trailguard/trailguard/constructs/orgstackset"
	"github.com/trailguard/trailguard/examples"
)

// stacksetConfig is the example org in stackset mode.
func stacksetConfig(t *testing.T) *config.Config {
	t.Helper()
	src := strings.NewReplacer(
		"  mode: stacks ", "  mode: stackset\n  organizationalUnits: [ou-ab12-cdefgh34]\n  # ",
		"    regions: [eu-west-1, us-east-1] # a subset: the home region and us-east-1 are required\n", "",
	).Replace(string(examples.Default))
	cfg, err := config.Load("stackset.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestStackSetMode synthesizes the example in stackset mode: no Member stacks, and a
// service-managed StackSet in the Management stack whose template is the Member stack's.
func TestStackSetMode(t *testing.T) {
	s := stacksetApp(t)
	for _, f := range s.report.Findings {
		t.Errorf("unsuppressed finding in stackset mode: %s", f)
	}
	want := []string{"trailguard-forwarder-management-eu-west-1", "trailguard-forwarder-management-us-east-1",
		"trailguard-forwarder-security-eu-west-1", "trailguard-forwarder-security-us-east-1", "trailguard-management", "trailguard-security"}
	if got := keys(s.templates); !cmp.Equal(got, want) {
		t.Errorf("stacks = %v, want %v: no member stacks", got, want)
	}
	checkGolden(t, filepath.Join("testdata", "stackset", "trailguard-management.template.json"), s.template(t, "trailguard-management"))
	_, ss := s.template(t, "trailguard-management").only(t, "AWS::CloudFormation::StackSet")
	if ss["DeletionPolicy"] != "Retain" || ss["UpdateReplacePolicy"] != "Retain" {
		t.Errorf("StackSet DeletionPolicy/UpdateReplacePolicy = %v/%v, want Retain: deleting it deletes every account's logging", ss["DeletionPolicy"], ss["UpdateReplacePolicy"])
	}
	p := ss.props()
	checks := []struct {
		path []any
		want any
	}{
		{[]any{"PermissionModel"}, "SERVICE_MANAGED"},
		{[]any{"AutoDeployment", "Enabled"}, true},
		{[]any{"AutoDeployment", "RetainStacksOnAccountRemoval"}, true},
		{[]any{"ManagedExecution", "Active"}, true},
		{[]any{"OperationPreferences", "RegionOrder"}, []any{"eu-west-1", "us-east-1"}},
		{[]any{"OperationPreferences", "MaxConcurrentPercentage"}, 25.0},
		{[]any{"OperationPreferences", "FailureTolerancePercentage"}, 10.0},
		{[]any{"StackInstancesGroup", 0, "DeploymentTargets", "OrganizationalUnitIds"}, []any{"ou-ab12-cdefgh34"}},
		{[]any{"StackInstancesGroup", 0, "Regions"}, []any{"eu-west-1", "us-east-1"}},
		{[]any{"Capabilities"}, []any{"CAPABILITY_NAMED_IAM"}},
	}
	for _, c := range checks {
		if got := get(p, c.path...); !cmp.Equal(got, c.want) {
			t.Errorf("StackSet %v = %v, want %v", c.path, got, c.want)
		}
	}

	// The StackSet deploys exactly what a Member stack deploys.
	var body template
	if err := json.Unmarshal([]byte(p["TemplateBody"].(string)), &body); err != nil {
		t.Fatalf("TemplateBody is not JSON: %v", err)
	}
	member := example.template(t, "trailguard-member-workloads-prod-eu-west-1")
	if diff := cmp.Diff(member["Resources"], body["Resources"]); diff != "" {
		t.Errorf("StackSet template resources differ from the Member stack's (-member +stackset):\n%s", diff)
	}
	if diff := cmp.Diff(member["Conditions"], body["Conditions"]); diff != "" {
		t.Errorf("StackSet template conditions differ from the Member stack's (-member +stackset):\n%s", diff)
	}
	if get(body, "Rules", "CheckBootstrapVersion") != nil || get(body, "Parameters", "BootstrapVersion") != nil {
		t.Error("the StackSet template checks the bootstrap version: StackSet target accounts are not bootstrapped")
	}
}

func TestOrgStackSetMisuse(t *testing.T) {
	big := strings.Repeat("x", orgstackset.MaxTemplateBody+1)
	tests := []struct {
		name  string
		props *orgstackset.OrgStackSetProps
		want  []string
	}{
		{"nothing", &orgstackset.OrgStackSetProps{}, []string{"StackSetName", "exactly one of TemplateBody and TemplateFile", "OrganizationalUnitIds must name", "Regions must name"}},
		{"both templates", &orgstackset.OrgStackSetProps{StackSetName: jsii.String("s"), TemplateBody: jsii.String("{}"), TemplateFile: jsii.String("t.json"),
			OrganizationalUnitIds: jsii.Strings("ou-ab12-cdefgh34"), Regions: jsii.Strings("eu-west-1")}, []string{"exactly one of TemplateBody and TemplateFile"}},
		{"template too big", &orgstackset.OrgStackSetProps{StackSetName: jsii.String("s"), TemplateBody: jsii.String(big),
			OrganizationalUnitIds: jsii.Strings("ou-ab12-cdefgh34"), Regions: jsii.Strings("eu-west-1")}, []string{"TemplateBody is 51201 bytes, over CloudFormation's 51200: pass the template as TemplateFile"}},
		{"bad OU and preferences", &orgstackset.OrgStackSetProps{StackSetName: jsii.String("s"), TemplateBody: jsii.String("{}"),
			OrganizationalUnitIds: jsii.Strings("o-a1b2c3d4e5"), Regions: jsii.Strings("eu-west-1"), MaxConcurrentPercentage: jsii.Number(0), RegionConcurrencyType: jsii.String("ALL")},
			[]string{`OrganizationalUnitIds[0] must be an OU id (ou-...) or the root id (r-...), got "o-a1b2c3d4e5"`, "MaxConcurrentPercentage must be a percentage", `RegionConcurrencyType must be PARALLEL or SEQUENTIAL, got "ALL"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			msg := mustPanic(t, func() { orgstackset.NewOrgStackSet(newTestStack(t), jsii.String("S"), tc.props) })
			if missing := missingSubstrings(msg, tc.want...); len(missing) > 0 {
				t.Errorf("panic %q lacks %q", msg, missing)
			}
		})
	}
}
