package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"

	"github.com/trailguard/trailguard/config"
	"github.com/trailguard/trailguard/internal/version"
)

// The stacks' descriptions carry the release that deployed them.
var (
	memberDescription    = version.Description("trailguard: local trail and real-time event forwarding of a member account")
	forwarderDescription = version.Description("trailguard: real-time event forwarding of the management or Security account")
)

// NewMemberStack builds member account m's stack in region.
func NewMemberStack(scope constructs.Construct, cfg *config.Config, m config.Member, region string) awscdk.Stack {
	stack := newStack(scope, cfg, cfg.MemberStackName(m, region), m.ID, region, memberDescription, nil)
	addMemberLogging(stack, cfg)
	return stack
}

// NewForwarderStack builds the forwarder stack of the management or Security account a (one
// of cfg.ForwarderAccounts) in region: the event forwarder and the Event History reader role,
// and no local trail, since the organization trail records these accounts.
func NewForwarderStack(scope constructs.Construct, cfg *config.Config, a config.Member, region string) awscdk.Stack {
	stack := newStack(scope, cfg, cfg.ForwarderStackName(a.Name, region), a.ID, region, forwarderDescription, nil)
	fwd := addEventForwarder(stack, cfg)
	addHistoryReader(stack, cfg, fwd.HomeRegionCondition())
	addResponderRole(stack, cfg, fwd.HomeRegionCondition())
	return stack
}
