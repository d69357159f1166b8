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
	// Forwarders are the forwarder stacks of the Security and management accounts built from
	// constructs: the first of each region (the prototype of the other account's replica), or
	// every one with Options.BuildEveryMember.
	Forwarders []awscdk.Stack
	// Members are the member stacks built from constructs, in config order: in stacks mode
	// the first member stack of each region (the prototype of that region's replicas), or
	// every member stack with Options.BuildEveryMember.
	Members []awscdk.Stack
	// Replicas are the other forwarder and member stacks, in deploy order: the caller emits
	// them with EmitReplicas after synthesizing the app.
	Replicas []Replica
}

// All returns every stack built from constructs (not the replicas), in deploy order.
func (s *Stacks) All() []awscdk.Stack {
	all := append([]awscdk.Stack{s.Security, s.Management}, s.Forwarders...)
	return append(all, s.Members...)
}

// Options carry what Build needs from beyond the config.
type Options struct {
	// NewTemplateApp returns a fresh app for a template that is synthesized on its own: in
	// stackset mode, the member template the StackSet deploys. The caller gives it its own
	// output directory, the same context and the same compliance gates as the main app, and
	// checks its validation report too. Required in stackset mode.
	NewTemplateApp func() awscdk.App
	// BuildEveryMember builds every member stack from constructs instead of replicating one
	// per region: as slow as it sounds, for tests that prove replicas are what it would build.
	BuildEveryMember bool
}

// Build adds every stack the config describes to scope (normally the app): the Security and
// Management stacks, a Forwarder stack per region for each of the two, and in stacks mode one
// Member stack per member account and region. Of the forwarder and member stacks, the first
// of each kind and region is built from constructs, the others are returned as Replicas of
// it. In stackset mode the Management stack deploys the member template through a StackSet
// instead of Member stacks.
func Build(scope constructs.Construct, cfg *config.Config, opts Options) *Stacks {
	s := &Stacks{
		Security:   NewSecurityStack(scope, cfg),
		Management: NewManagementStack(scope, cfg),
	}
	// The management and Security accounts forward in both modes: a service-managed StackSet
	// never reaches the management account.
	forwarders := map[string]*PrototypeStack{} // prototypes by region
	for _, a := range cfg.ForwarderAccounts() {
		for _, region := range a.Regions {
			if proto, ok := forwarders[region]; ok && !opts.BuildEveryMember {
				s.Replicas = append(s.Replicas, Replica{StackName: cfg.ForwarderStackName(a.Name, region), Member: a, Region: region, Prototype: proto})
				continue
			}
			stack := NewForwarderStack(scope, cfg, a, region)
			forwarders[region] = NewPrototypeStack(stack)
			s.Forwarders = append(s.Forwarders, stack)
		}
	}
	if cfg.Deployment.Mode == config.ModeStackSet {
		if opts.NewTemplateApp == nil {
			panic("stacks: Options.NewTemplateApp is required in stackset mode")
		}
		addMemberStackSet(s.Management, cfg, opts.NewTemplateApp())
		return s
	}
	members := map[string]*PrototypeStack{} // prototypes by region
	for _, m := range cfg.Members {
		for _, region := range cfg.MemberRegions(m) {
			if proto, ok := members[region]; ok && !opts.BuildEveryMember {
				s.Replicas = append(s.Replicas, Replica{StackName: cfg.MemberStackName(m, region), Member: m, Region: region, Prototype: proto})
				continue
			}
			stack := NewMemberStack(scope, cfg, m, region)
			members[region] = NewPrototypeStack(stack)
			s.Members = append(s.Members, stack)
		}
	}
	return s
}

// newStack creates a stack named name in account and region with trailguard's common
// settings: the configured bootstrap qualifier, termination protection and the config's tags.
// synthesizer is nil for the default one.
func newStack(scope constructs.Construct, cfg *config.Config, name, account, region, description string, synthesizer awscdk.IStackSynthesizer) awscdk.Stack {
	if synthesizer == nil {
		synthesizer = awscdk.NewDefaultStackSynthesizer(synthesizerProps(cfg))
	}
	stack := awscdk.NewStack(scope, jsii.String(name), &awscdk.StackProps{
		StackName:   jsii.String(name),
		Description: jsii.String(description),
		Env: &awscdk.Environment{
			Account: jsii.String(account),
			Region:  jsii.String(region),
		},
		// Deleting a logging stack is never routine: make it a deliberate two-step act.
		TerminationProtection: jsii.Bool(true),
		Synthesizer:           synthesizer,
		Tags:                  ptr(tags(cfg)),
	})
	tagResources(stack, cfg)
	return stack
}

func synthesizerProps(cfg *config.Config) *awscdk.DefaultStackSynthesizerProps {
	return &awscdk.DefaultStackSynthesizerProps{Qualifier: jsii.String(cfg.Deployment.Qualifier)}
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
