package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"

	"github.com/trailguard/trailguard/config"
)

const memberDescription = "trailguard: local trail and real-time event forwarding of a member account"

// NewMemberStack builds member account m's stack in region.
func NewMemberStack(scope constructs.Construct, cfg *config.Config, m config.Member, region string) awscdk.Stack {
	stack := newStack(scope, cfg, cfg.MemberStackName(m, region), m.ID, region, memberDescription, nil)
	addMemberLogging(stack, cfg)
	return stack
}
