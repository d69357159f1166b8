package test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/jsii-runtime-go"

	"github.com/trailguard/trailguard/compliance/quota"
	"github.com/trailguard/trailguard/config"
	"github.com/trailguard/trailguard/constructs/eventforwarder"
	"github.com/trailguard/trailguard/constructs/responder"
	"github.com/trailguard/trailguard/constructs/responderrole"
	"github.com/trailguard/trailguard/detect"
	"github.com/trailguard/trailguard/internal/alertspec"
	"github.com/trailguard/trailguard/internal/respond"
)

// TestResponderRoleInEveryAccount: every account (management, Security, members) has the
// trailguard-responder role, created once (home region), trusted only by the Security account
// narrowed to the responder function's role by aws:PrincipalArn, and allowed only the
// response actions and their reads.
func TestResponderRoleInEveryAccount(t *testing.T) {
	cfg := example.cfg
	envs := environments(t, example.outdir)
	accounts := map[string]bool{cfg.Organization.ManagementAccount: false, cfg.Organization.SecurityAccount: false}
	for _, m := range cfg.Members {
		accounts[m.ID] = false
	}
	fnArn := map[string]any{"Fn::Join": []any{"", []any{"arn:", ref("AWS::Partition"), ":iam::" + cfg.Organization.SecurityAccount + ":role/" + responder.FunctionName}}}
	for name, env := range envs {
		tmpl := example.template(t, name)
		for id, role := range tmpl.resourcesOfType("AWS::IAM::Role") {
			if role.props()["RoleName"] != responderrole.RoleName {
				continue
			}
			if env[13:] != cfg.HomeRegion {
				if role["Condition"] == nil {
					t.Errorf("%s: the responder role %s is not conditioned on the home region", name, id)
				}
				continue
			}
			accounts[env[:12]] = true
			trust := statements(role.props()["AssumeRolePolicyDocument"])
			if len(trust) != 1 {
				t.Fatalf("%s: %d trust statements, want 1", name, len(trust))
			}
			wantEq(t, name+" trust action", trust[0]["Action"], "sts:AssumeRole")
			wantEq(t, name+" trust condition", trust[0]["Condition"], map[string]any{"ArnEquals": map[string]any{"aws:PrincipalArn": fnArn}})
			var actions []string
			bySid := map[string]map[string]any{}
			for _, st := range statements(policyOfRole(t, tmpl, id)) {
				actions = append(actions, strs(st["Action"])...)
				bySid[fmt.Sprint(st["Sid"])] = st
			}
			checkRestoreStatements(t, name, bySid)
			wantEq(t, name+" actions", actions, []string{
				"s3:GetBucketPublicAccessBlock", "s3:GetBucketTagging", "s3:PutBucketPublicAccessBlock",
				"s3:GetAccountPublicAccessBlock", "s3:PutAccountPublicAccessBlock",
				"ec2:DescribeSecurityGroupRules", "ec2:DescribeSecurityGroups",
				"ec2:RevokeSecurityGroupIngress",
				"cloudtrail:GetTrailStatus", "cloudtrail:StartLogging",
				"iam:ListAccessKeys", "iam:UpdateAccessKey",
				// The restoring actions (checkRestoreStatements).
				"cloudtrail:GetEventSelectors", "cloudtrail:GetInsightSelectors", "cloudtrail:GetTrail", "cloudtrail:GetTrailStatus",
				"cloudtrail:PutEventSelectors", "cloudtrail:PutInsightSelectors", "cloudtrail:StartLogging", "cloudtrail:UpdateTrail",
				"organizations:DescribeOrganization", "organizations:ListAWSServiceAccessForOrganization",
				"s3:GetEncryptionConfiguration",
				"events:DescribeRule", "events:EnableRule", "events:ListTargetsByRule", "events:PutRule",
				"events:PutTargets", "iam:PassRole", "cloudwatch:DescribeAlarms",
			})
		}
	}
	for account, found := range accounts {
		if !found {
			t.Errorf("account %s has no responder role in %s", account, cfg.HomeRegion)
		}
	}
}

// TestResponderConfigBundled: the response config travels in the function's code
// (response.json), not in its environment, where Lambda allows 4 KB in all: a config with
// 300 bucket exemptions synthesizes, passes the quota gate, and is what the function reads;
// a config the function would refuse fails the synth naming the field.
func TestResponderConfigBundled(t *testing.T) {
	dir := t.TempDir()
	app, err := newApp(dir)
	if err != nil {
		t.Fatal(err)
	}
	stack := awscdk.NewStack(app, jsii.String("Responder"), &awscdk.StackProps{
		Env: &awscdk.Environment{Account: jsii.String("222222222222"), Region: jsii.String("eu-west-1")},
	})
	key := awskms.NewKey(stack, jsii.String("AlertKey"), &awskms.KeyProps{EnableKeyRotation: jsii.Bool(true)})
	topic := awssns.NewTopic(stack, jsii.String("Alerts"), &awssns.TopicProps{MasterKey: key})
	bus := awsevents.NewEventBus(stack, jsii.String("Bus"), &awsevents.EventBusProps{EventBusName: jsii.String("trailguard-alerts")})
	want := config.Response{Actions: map[string]config.ActionSettings{"s3-block-public-access": {Mode: "enforce"}}, MaxActionsPerResource: 3, MaxActionsPerAccount: 20}
	for i := range 300 {
		want.Exemptions.Buckets = append(want.Exemptions.Buckets, fmt.Sprintf("public-site-assets-%03d-*", i))
	}
	cfg, _ := json.Marshal(want)
	if len(cfg) <= quota.FunctionEnvironmentSize.Limit {
		t.Fatalf("the config is %d bytes: make it larger than Lambda's environment", len(cfg))
	}
	props := &responder.ResponderProps{OrganizationId: jsii.String("o-a1b2c3d4e5"), AlertTopic: topic, AlertKey: key, AlertBus: bus, ResponseConfig: jsii.String(string(cfg))}
	responder.NewResponder(stack, jsii.String("Responder"), props)
	app.Synth(nil)
	findings, err := quota.Check(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range findings {
		t.Errorf("quota finding %s", f)
	}
	var got []config.Response
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.Name() == respond.ConfigFile {
			b, _ := os.ReadFile(path)
			r, err := respond.ParseConfig(b)
			if err != nil {
				t.Errorf("%s: %v", path, err)
			}
			got = append(got, r)
		}
		return nil
	})
	if len(got) != 1 || len(got[0].Exemptions.Buckets) != 300 || got[0].ActionMode("s3-block-public-access") != "enforce" {
		t.Errorf("bundled configs %d, want one with the 300 exemptions and the mode", len(got))
	}

	bad := awscdk.NewStack(app, jsii.String("Bad"), &awscdk.StackProps{Env: &awscdk.Environment{Account: jsii.String("222222222222"), Region: jsii.String("eu-west-1")}})
	props.ResponseConfig = jsii.String(`{"Actions":{"s3-block-public-access":{"Mode":"on"}}}`)
	msg := mustPanic(t, func() { responder.NewResponder(bad, jsii.String("Responder"), props) })
	if !strings.Contains(msg, `ResponseConfig: Actions.s3-block-public-access.Mode: "on"; want one of off, dry-run, enforce`) {
		t.Errorf("panic %q, want the field, the value and what is allowed", msg)
	}
}

// checkRestoreStatements: the restoring actions are scoped to trailguard's two trails and the
// three forwarder rules of the role's own account, PutTargets to the deployed targets only,
// PassRole of the forwarders' roles to EventBridge only.
func checkRestoreStatements(t *testing.T, name string, bySid map[string]map[string]any) {
	t.Helper()
	cfg := example.cfg
	join := func(parts ...any) any { return map[string]any{"Fn::Join": []any{"", parts}} }
	res := func(service, suffix string) any {
		return join("arn:", ref("AWS::Partition"), ":"+service+":*:", ref("AWS::AccountId"), suffix)
	}
	wantEq(t, name+" RestoreTrails resources", bySid["RestoreTrails"]["Resource"], []any{
		res("cloudtrail", ":trail/"+cfg.AccountTrail.Name), res("cloudtrail", ":trail/"+cfg.OrganizationTrail.Name)}) // CDK sorts resources
	wantEq(t, name+" RestoreForwarderRules resources", bySid["RestoreForwarderRules"]["Resource"], []any{
		res("events", ":rule/"+eventforwarder.AlarmsRuleName), res("events", ":rule/"+eventforwarder.BusRuleName), res("events", ":rule/"+eventforwarder.StreamRuleName)})
	wantEq(t, name+" RestoreForwarderTargets resources", bySid["RestoreForwarderTargets"]["Resource"], bySid["RestoreForwarderRules"]["Resource"])
	wantEq(t, name+" RestoreForwarderTargets condition", bySid["RestoreForwarderTargets"]["Condition"], map[string]any{
		"ForAllValues:ArnEquals": map[string]any{"events:TargetArn": []any{cfg.StreamARN(), cfg.ReceivingBusARN()}},
		"Null":                   map[string]any{"events:TargetArn": "false"},
	})
	wantEq(t, name+" PassForwarderRolesToEventBridge condition", bySid["PassForwarderRolesToEventBridge"]["Condition"],
		map[string]any{"StringEquals": map[string]any{"iam:PassedToService": "events.amazonaws.com"}})
	wantEq(t, name+" PassForwarderRolesToEventBridge resources", bySid["PassForwarderRolesToEventBridge"]["Resource"], []any{
		join("arn:", ref("AWS::Partition"), ":iam::", ref("AWS::AccountId"), ":role/"+eventforwarder.BusRoleNamePrefix+"*"),
		join("arn:", ref("AWS::Partition"), ":iam::", ref("AWS::AccountId"), ":role/"+eventforwarder.StreamRoleNamePrefix+"*")})
}

// TestResponderRoleRestoreMisuse: the restore props refuse a wildcard trail name and a target
// that is not a stream or bus, naming the field and the value.
func TestResponderRoleRestoreMisuse(t *testing.T) {
	for _, tc := range []struct {
		name  string
		props *responderrole.ResponderRoleProps
		want  []string
	}{
		{"wildcard trail", &responderrole.ResponderRoleProps{SecurityAccount: jsii.String("222222222222"), TrailNames: jsii.Strings("trailguard-*")},
			[]string{`TrailNames[0] must be a trail name`, `got "trailguard-*"`}},
		{"queue as target", &responderrole.ResponderRoleProps{SecurityAccount: jsii.String("222222222222"), ForwarderTargetArns: jsii.Strings("arn:aws:sqs:eu-west-1:222222222222:q")},
			[]string{`ForwarderTargetArns[0] must be a Kinesis stream or event bus ARN`, `got "arn:aws:sqs:eu-west-1:222222222222:q"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg := mustPanic(t, func() { responderrole.NewResponderRole(newTestStack(t), jsii.String("R"), tc.props) })
			if missing := missingSubstrings(msg, tc.want...); len(missing) > 0 {
				t.Errorf("error %q does not say %q", msg, missing)
			}
		})
	}
}

// TestFunctionsShareTheOrganizationContext: the responder judges which calls were trailguard
// deployments (and leaves those alone) with the organization context the detection functions
// detected with. Every function of the example that bundles a context bundles the same bytes,
// the responder's among them, and it names the config's deployers.
func TestFunctionsShareTheOrganizationContext(t *testing.T) {
	contexts := map[string][]byte{} // by asset directory
	responderAsset := ""
	entries, err := os.ReadDir(example.outdir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), "asset.") {
			continue
		}
		dir := filepath.Join(example.outdir, e.Name())
		b, err := os.ReadFile(filepath.Join(dir, alertspec.ContextFile))
		if err != nil {
			continue
		}
		contexts[e.Name()] = b
		if _, err := os.Stat(filepath.Join(dir, respond.ConfigFile)); err == nil {
			responderAsset = e.Name()
		}
	}
	if responderAsset == "" || len(contexts) < 3 {
		t.Fatalf("want the stream, archive and responder functions each to bundle %s; found it in %d assets, the responder's: %q", alertspec.ContextFile, len(contexts), responderAsset)
	}
	want := contexts[responderAsset]
	for name, b := range contexts {
		if !bytes.Equal(b, want) {
			t.Errorf("%s/%s differs from the responder's:\n%s\nwant\n%s", name, alertspec.ContextFile, b, want)
		}
	}
	var ctx detect.Context
	if err := json.Unmarshal(want, &ctx); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ctx.Deployers, example.cfg.Deployment.Deployers) {
		t.Errorf("the bundled context's deployers are %v, want the config's %v", ctx.Deployers, example.cfg.Deployment.Deployers)
	}
}
