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
	"github.com/trailguard/trailguard/constructs/guardrails"
)

func ptr[T any](v T) *T { return &v }

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

// Options carry what Build needs from beyond the config.
type Options struct {
	// NewTemplateApp returns a fresh app for a template that is synthesized on its own: in
	// stackset mode, the member template the StackSet deploys. The caller gives it its own
	// output directory, the same context and the same compliance gates as the main app, and
	// checks its validation report too. Required in stackset mode.
	NewTemplateApp func() awscdk.App
}

// Build adds every stack the config describes to scope (normally the app): the Security and
// Management stacks, and in stacks mode one Member stack per member account and region. In
// stackset mode the Management stack deploys the member template through a StackSet instead.
func Build(scope constructs.Construct, cfg *config.Config, opts Options) *Stacks {
	s := &Stacks{
		Security:   NewSecurityStack(scope, cfg),
		Management: NewManagementStack(scope, cfg),
	}
	if cfg.Deployment.Mode == config.ModeStackSet {
		if opts.NewTemplateApp == nil {
			panic("stacks: Options.NewTemplateApp is required in stackset mode")
		}
		addMemberStackSet(s.Management, cfg, opts.NewTemplateApp())
		return s
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
		Tags: ptr(tags(cfg)),
	})
	tagResources(stack, cfg)
	return stack
}

// tagResources tags every taggable resource of stack explicitly. Stack tags alone reach the
// resources only when CloudFormation deploys the stack itself, not through a StackSet, and
// the guardrails protect untagged-by-name resources by the trailguard:managed-by tag.
func tagResources(stack awscdk.Stack, cfg *config.Config) {
	for k, v := range tags(cfg) {
		awscdk.Tags_Of(stack).Add(jsii.String(k), v, nil)
	}
}

func tags(cfg *config.Config) map[string]*string {
	t := map[string]*string{guardrails.TagKey: jsii.String(guardrails.TagValue)}
	for k, v := range cfg.Tags {
		t[k] = jsii.String(v)
	}
	return t
}
