package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/trailguard/trailguard/config"
	"github.com/trailguard/trailguard/constructs/coveragemonitor"
	"github.com/trailguard/trailguard/constructs/detection"
	"github.com/trailguard/trailguard/constructs/guardrails"
	"github.com/trailguard/trailguard/constructs/responderrole"
)

// addGuardrails attaches the service control policy that stops member accounts (the Security
// account included) from silencing the logging. It exempts the roles that deploy trailguard
// (the cdk bootstrap CloudFormation execution role, or the StackSet execution role) and the
// configured break-glass and exempt principals.
func addGuardrails(stack awscdk.Stack, cfg *config.Config) guardrails.Guardrails {
	p := cfg.Partition()
	exempt := []string{"arn:" + p + ":iam::*:role/cdk-" + cfg.Deployment.Qualifier + "-cfn-exec-role-*"}
	if cfg.Deployment.Mode == config.ModeStackSet {
		// Service-managed StackSets deploy through this role, which Organizations creates.
		exempt = append(exempt, "arn:"+p+":iam::*:role/stacksets-exec-*")
	}
	exempt = appendNew(exempt, cfg.LogArchive.BreakGlassPrincipals...)
	exempt = appendNew(exempt, cfg.Guardrails.ExemptPrincipals...)

	// Every name the config accepts starts with the guardrails' prefix (config refuses others),
	// so no resource needs guardrails.GuardrailsProps.ExtraNames.
	return guardrails.NewGuardrails(stack, jsii.String("Guardrails"), &guardrails.GuardrailsProps{
		TargetIds:           jsii.Strings(cfg.Guardrails.Targets...),
		Partition:           jsii.String(p),
		ExemptPrincipalArns: jsii.Strings(exempt...),
		SecurityAccount:     jsii.String(cfg.Organization.SecurityAccount),
		DeployerArns:        jsii.Strings(cfg.Deployment.Deployers...),
		DeploymentRoleArns:  jsii.Strings(deploymentRoles(cfg)...),
		// The cdk bootstrap staging buckets hold the templates cdk deploy deploys.
		DeploymentBucketNames: jsii.Strings("cdk-" + cfg.Deployment.Qualifier + "-assets-*"),
		// The detection functions claim dedupe keys and take the archive queue's messages.
		DetectionRoleArns: jsii.Strings(
			detection.StreamRoleArn(p, cfg.Organization.SecurityAccount),
			detection.ArchiveRoleArn(p, cfg.Organization.SecurityAccount),
			// The coverage monitor keeps its verdicts in the coverage table.
			"arn:"+p+":iam::"+cfg.Organization.SecurityAccount+":role/"+coveragemonitor.FunctionName),
		DetectionQueueNames: jsii.Strings(detection.ArchiveFunctionName),
		// The automatic response restores trailguard's trails and forwarder rules.
		ResponderRoleArns: jsii.Strings("arn:" + p + ":iam::*:role/" + responderrole.RoleName),
	})
}

// deploymentRoles are the cdk bootstrap roles deployers act through: the deploy role (which
// calls CloudFormation), the file-publishing role (which uploads assets) and the
// CloudFormation execution role.
func deploymentRoles(cfg *config.Config) []string {
	var out []string
	for _, r := range []string{"deploy-role", "file-publishing-role", "cfn-exec-role"} {
		out = append(out, "arn:"+cfg.Partition()+":iam::*:role/cdk-"+cfg.Deployment.Qualifier+"-"+r+"-*")
	}
	return out
}

// appendNew appends the values not already in list.
func appendNew(list []string, values ...string) []string {
	for _, v := range values {
		found := false
		for _, x := range list {
			found = found || x == v
		}
		if !found {
			list = append(list, v)
		}
	}
	return list
}
