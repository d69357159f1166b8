// Package stacks composes trailguard's constructs into the stacks of each account: the
// Security stack (log archive, event sink), the Management stack (organization trail,
// guardrails) and one Member stack per member account and region (local trail, forwarder).
//
// Stacks of different accounts share no CDK objects: they agree on names and ARNs computed
// from the config (see config/names.go), so each can be synthesized and deployed on its own.
// Deploy order: Security, then Management, then the members.
package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/trailguard/trailguard/config"
)

// Stacks are the stacks Build adds to an app.
type Stacks struct {
	// Security is the Security account's stack.
	Security awscdk.Stack
	// Management is the management account's stack.
	Management awscdk.Stack
	// Members holds one stack per member account and region, in config order.
	Members []awscdk.Stack
}

// All returns every stack, in deploy order.
func (s *Stacks) All() []awscdk.Stack {
	return append([]awscdk.Stack{s.Security, s.Management}, s.Members...)
}

// Build adds every stack the config describes to scope (normally the app).
func Build(scope constructs.Construct, cfg *config.Config) *Stacks {
	s := &Stacks{
		Security:   NewSecurityStack(scope, cfg),
		Management: NewManagementStack(scope, cfg),
	}
	for _, m := range cfg.Members {
		for _, region := range cfg.MemberRegions(m) {
			s.Members = append(s.Members, NewMemberStack(scope, cfg, m, region))
		}
	}
	return s
}

// newStack creates a stack named name in account and region with trailguard's common
// settings: the configured bootstrap qualifier, termination protection and the config's tags.
func newStack(scope constructs.Construct, cfg *config.Config, name, account, region, description string) awscdk.Stack {
	stack := awscdk.NewStack(scope, jsii.String(name), &awscdk.StackProps{
		StackName:   jsii.String(name),
		Description: jsii.String(description),
		Env: &awscdk.Environment{
			Account: jsii.String(account),
			Region:  jsii.String(region),
		},
		// Deleting a logging stack is never routine: make it a deliberate two-step act.
		TerminationProtection: jsii.Bool(true),
		Synthesizer: awscdk.NewDefaultStackSynthesizer(&awscdk.DefaultStackSynthesizerProps{
			Qualifier: jsii.String(cfg.Deployment.Qualifier),
		}),
		Tags: tags(cfg),
	})
	return stack
}

func tags(cfg *config.Config) *map[string]*string {
	t := map[string]*string{"trailguard:managed-by": jsii.String("trailguard")}
	for k, v := range cfg.Tags {
		t[k] = jsii.String(v)
	}
	return &t
}
