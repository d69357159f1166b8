package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"

	"github.com/trailguard/trailguard/config"
	"github.com/trailguard/trailguard/internal/version"
)

// NewSecurityStack builds the Security account's stack in the home region.
func NewSecurityStack(scope constructs.Construct, cfg *config.Config) awscdk.Stack {
	stack := newStack(scope, cfg, cfg.SecurityStackName(), cfg.Organization.SecurityAccount, cfg.HomeRegion,
		version.Description("trailguard: log archive and security event sink of organization "+cfg.Organization.ID), nil)
	archive := addLogArchive(stack, cfg)
	sink := addEventSink(stack, cfg)
	d := addDetection(stack, cfg, sink, archive)
	addResponder(stack, cfg, sink, d)
	addCoverageMonitor(stack, cfg, sink, d)
	addArchiveQuery(stack, cfg, archive)
	return stack
}
