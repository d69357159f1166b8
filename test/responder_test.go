package test

import (
	"testing"

	"github.com/trailguard/trailguard/constructs/responder"
	"github.com/trailguard/trailguard/constructs/responderrole"
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
			for _, st := range statements(policyOfRole(t, tmpl, id)) {
				actions = append(actions, strs(st["Action"])...)
			}
			wantEq(t, name+" actions", actions, []string{
				"s3:GetBucketPublicAccessBlock", "s3:GetBucketTagging", "s3:PutBucketPublicAccessBlock",
				"s3:GetAccountPublicAccessBlock", "s3:PutAccountPublicAccessBlock",
				"ec2:DescribeSecurityGroupRules", "ec2:DescribeSecurityGroups",
				"ec2:RevokeSecurityGroupIngress",
				"cloudtrail:GetTrailStatus", "cloudtrail:StartLogging",
				"iam:ListAccessKeys", "iam:UpdateAccessKey",
			})
		}
	}
	for account, found := range accounts {
		if !found {
			t.Errorf("account %s has no responder role in %s", account, cfg.HomeRegion)
		}
	}
}
