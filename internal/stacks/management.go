package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"

	"github.com/trailguard/trailguard/config"
	"github.com/trailguard/trailguard/internal/version"
)

// NewManagementStack builds the management account's stack in the home region.
func NewManagementStack(scope constructs.Construct, cfg *config.Config) awscdk.Stack {
	stack := newStack(scope, cfg, cfg.ManagementStackName(), cfg.Organization.ManagementAccount, cfg.HomeRegion,
		version.Description("trailguard: organization trail and guardrails of organization "+cfg.Organization.ID), nil)
	addOrganizationTrail(stack, cfg)
	if cfg.GuardrailsEnabled() {
		addGuardrails(stack, cfg)
	}
	return stack
}
