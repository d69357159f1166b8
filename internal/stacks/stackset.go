package stacks

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/trailguard/trailguard/config"
	"github.com/trailguard/trailguard/constructs/orgstackset"
	"github.com/trailguard/trailguard/internal/version"
)

// MemberTemplateStackName is the name of the member template's stack in its own app (stackset
// mode). It never becomes a CloudFormation stack of that name: the StackSet names the stack
// instances.
const MemberTemplateStackName = "trailguard-member"

// addMemberStackSet adds to the management stack the StackSet that deploys the member
// template to every account of the configured OUs, in every configured region.
func addMemberStackSet(stack awscdk.Stack, cfg *config.Config, templateApp awscdk.App) {
	body, file := memberTemplate(cfg, templateApp)
	regions := []string{cfg.HomeRegion} // home region first: the local trail is created there
	for _, r := range cfg.Regions {
		if r != cfg.HomeRegion {
			regions = append(regions, r)
		}
	}
	ss := cfg.Deployment.StackSet
	props := &orgstackset.OrgStackSetProps{
		StackSetName:               jsii.String(MemberTemplateStackName),
		Description:                jsii.String(version.Description("trailguard: local trail and real-time event forwarding of every member account")),
		OrganizationalUnitIds:      jsii.Strings(cfg.Deployment.OrganizationalUnits...),
		Regions:                    jsii.Strings(regions...),
		MaxConcurrentPercentage:    jsii.Number(ss.MaxConcurrentPercentage),
		FailureTolerancePercentage: jsii.Number(ss.FailureTolerancePercentage),
		RegionConcurrencyType:      jsii.String(ss.RegionConcurrency),
	}
	if len(body) <= orgstackset.MaxTemplateBody {
		props.TemplateBody = jsii.String(body)
	} else {
		props.TemplateFile = jsii.String(file)
	}
	orgstackset.NewOrgStackSet(stack, jsii.String("MemberStackSet"), props)
}

// memberTemplate synthesizes the member template in app, an app of its own, and returns it
// as compact JSON together with the path of the file holding it. The template is the same
// one a Member stack deploys, but environment-agnostic and without the bootstrap version rule:
// StackSet target accounts are not bootstrapped.
func memberTemplate(cfg *config.Config, app awscdk.App) (body, file string) {
	stack := awscdk.NewStack(app, jsii.String(MemberTemplateStackName), &awscdk.StackProps{
		Description: jsii.String(memberDescription),
		Synthesizer: awscdk.NewDefaultStackSynthesizer(&awscdk.DefaultStackSynthesizerProps{
			Qualifier:                    jsii.String(cfg.Deployment.Qualifier),
			GenerateBootstrapVersionRule: jsii.Bool(false),
		}),
		Tags: ptr(tags(cfg)),
	})
	tagResources(stack, cfg)
	addMemberLogging(stack, cfg)
	dir := *app.Synth(nil).Directory()
	file = filepath.Join(dir, *stack.TemplateFile())
	raw, err := os.ReadFile(file)
	if err != nil {
		panic(fmt.Errorf("reading the synthesized member template: %w", err))
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, raw); err != nil {
		panic(fmt.Errorf("the synthesized member template is not JSON: %w", err))
	}
	return compact.String(), file
}
