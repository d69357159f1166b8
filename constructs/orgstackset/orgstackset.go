// Package orgstackset provides OrgStackSet: a service-managed CloudFormation StackSet that
// deploys one template to every account of the given organizational units, in the given
// regions, including accounts that join those OUs later (automatic deployment).
//
// It belongs in the organization's management account (or a CloudFormation StackSets
// delegated administrator) and needs trusted access for StackSets
// (`aws cloudformation activate-organizations-access`). Service-managed StackSets never deploy
// to the management account itself.
//
// Usage (as in the package example, which go test compiles):
//
//	app := awscdk.NewApp(nil)
//	stack := awscdk.NewStack(app, jsii.String("Management"), &awscdk.StackProps{
//		Env: &awscdk.Environment{Account: jsii.String("111111111111"), Region: jsii.String("eu-west-1")},
//	})
//	orgstackset.NewOrgStackSet(stack, jsii.String("Baseline"), &orgstackset.OrgStackSetProps{
//		StackSetName:          jsii.String("baseline"),
//		TemplateBody:          jsii.String(`{"Resources":{"Topic":{"Type":"AWS::SNS::Topic"}}}`),
//		OrganizationalUnitIds: jsii.Strings("ou-ab12-cdefgh34"),
//		Regions:               jsii.Strings("eu-west-1", "us-east-1"),
//	})
package orgstackset

import (
	"errors"
	"fmt"
	"regexp"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudformation"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3assets"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/trailguard/trailguard/constructs/internal/managed"
)

// MaxTemplateBody is the largest template CloudFormation accepts inline (TemplateBody), in
// bytes. A larger template must be published as an asset (TemplateFile).
const MaxTemplateBody = 51200

// OrgStackSetProps configures an OrgStackSet.
type OrgStackSetProps struct {
	// StackSetName names the StackSet (and prefixes the stack instances' names). Required.
	StackSetName *string
	// Description describes the StackSet. Default: none.
	Description *string
	// TemplateBody is the template, inline. Exactly one of TemplateBody and TemplateFile is
	// required.
	TemplateBody *string
	// TemplateFile is a template file that is published as a file asset and deployed by URL:
	// for templates over MaxTemplateBody bytes. Exactly one of TemplateBody and TemplateFile is
	// required.
	TemplateFile *string
	// OrganizationalUnitIds are the OUs (or the root) whose accounts get the stack. Required.
	OrganizationalUnitIds *[]*string
	// Regions are the regions each account gets the stack in. They are also the order of
	// deployment: put the home region first. Required.
	Regions *[]*string
	// MaxConcurrentPercentage is the share of accounts deployed at once per region.
	// Default: 25.
	MaxConcurrentPercentage *float64
	// FailureTolerancePercentage is the share of accounts per region that may fail before the
	// operation stops in that region. Default: 10.
	FailureTolerancePercentage *float64
	// RegionConcurrencyType is PARALLEL or SEQUENTIAL. Default: "PARALLEL".
	RegionConcurrencyType *string
}

// OrgStackSet is a service-managed StackSet with automatic deployment to OUs.
type OrgStackSet interface {
	constructs.Construct
	// StackSet is the underlying CloudFormation resource.
	StackSet() awscloudformation.CfnStackSet
}

type orgStackSet struct {
	constructs.Construct
	stackSet awscloudformation.CfnStackSet
}

func (o *orgStackSet) StackSet() awscloudformation.CfnStackSet { return o.stackSet }

var (
	ouPattern    = regexp.MustCompile(`^(ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}|r-[0-9a-z]{4,32})$`)
	stackSetName = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9-]{0,127}$`)
)

func (p *OrgStackSetProps) validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf("orgstackset: "+format, args...)) }
	if p.StackSetName == nil || !stackSetName.MatchString(*p.StackSetName) {
		add("StackSetName must start with a letter and hold at most 128 letters, digits and hyphens, got %q", deref(p.StackSetName))
	}
	switch {
	case (p.TemplateBody == nil) == (p.TemplateFile == nil):
		add("set exactly one of TemplateBody and TemplateFile")
	case p.TemplateBody != nil && !*awscdk.Token_IsUnresolved(p.TemplateBody) && len(*p.TemplateBody) > MaxTemplateBody:
		add("TemplateBody is %d bytes, over CloudFormation's %d: pass the template as TemplateFile instead", len(*p.TemplateBody), MaxTemplateBody)
	}
	if p.OrganizationalUnitIds == nil || len(*p.OrganizationalUnitIds) == 0 {
		add("OrganizationalUnitIds must name at least one OU (ou-...) or the root (r-...)")
	} else {
		for i, ou := range *p.OrganizationalUnitIds {
			if !ouPattern.MatchString(deref(ou)) {
				add("OrganizationalUnitIds[%d] must be an OU id (ou-...) or the root id (r-...), got %q", i, deref(ou))
			}
		}
	}
	if p.Regions == nil || len(*p.Regions) == 0 {
		add("Regions must name at least one region")
	}
	for name, v := range map[string]*float64{"MaxConcurrentPercentage": p.MaxConcurrentPercentage, "FailureTolerancePercentage": p.FailureTolerancePercentage} {
		if v != nil && (*v < 0 || *v > 100 || (name == "MaxConcurrentPercentage" && *v < 1)) {
			add("%s must be a percentage (1-100 for concurrency, 0-100 for failure tolerance), got %v", name, *v)
		}
	}
	if t := p.RegionConcurrencyType; t != nil && *t != "PARALLEL" && *t != "SEQUENTIAL" {
		add("RegionConcurrencyType must be PARALLEL or SEQUENTIAL, got %q", *t)
	}
	return errors.Join(errs...)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func orDefault(v *float64, def float64) *float64 {
	if v == nil {
		return jsii.Number(def)
	}
	return v
}

// NewOrgStackSet creates the StackSet. It panics with every problem in props at once.
func NewOrgStackSet(scope constructs.Construct, id *string, props *OrgStackSetProps) OrgStackSet {
	if props == nil {
		props = &OrgStackSetProps{}
	}
	if err := props.validate(); err != nil {
		panic(err)
	}
	o := &orgStackSet{}
	constructs.NewConstruct_Override(o, scope, id)
	managed.Tag(o) // the guardrails protect the unnamed resources by this tag

	var templateURL *string
	if props.TemplateFile != nil {
		asset := awss3assets.NewAsset(o, jsii.String("Template"), &awss3assets.AssetProps{Path: props.TemplateFile})
		templateURL = asset.HttpUrl()
	}
	concurrency := props.RegionConcurrencyType
	if concurrency == nil {
		concurrency = jsii.String("PARALLEL")
	}
	o.stackSet = awscloudformation.NewCfnStackSet(o, jsii.String("Resource"), &awscloudformation.CfnStackSetProps{
		StackSetName:    props.StackSetName,
		Description:     props.Description,
		PermissionModel: jsii.String("SERVICE_MANAGED"),
		CallAs:          jsii.String("SELF"),
		AutoDeployment: &awscloudformation.CfnStackSet_AutoDeploymentProperty{
			Enabled: jsii.Bool(true),
			// An account that leaves the OUs keeps its stack: removing it would end the
			// account's logging, which is the guardrails' job to prevent, not the StackSet's.
			RetainStacksOnAccountRemoval: jsii.Bool(true),
		},
		// Queue operations instead of failing while another one runs (new accounts arrive at
		// any time). The L1 types this property as "any", so it takes CloudFormation's casing.
		ManagedExecution: map[string]any{"Active": true},
		Capabilities:     jsii.Strings("CAPABILITY_NAMED_IAM"),
		OperationPreferences: &awscloudformation.CfnStackSet_OperationPreferencesProperty{
			MaxConcurrentPercentage:    orDefault(props.MaxConcurrentPercentage, 25),
			FailureTolerancePercentage: orDefault(props.FailureTolerancePercentage, 10),
			RegionConcurrencyType:      concurrency,
			RegionOrder:                props.Regions,
		},
		StackInstancesGroup: []any{&awscloudformation.CfnStackSet_StackInstancesProperty{
			DeploymentTargets: &awscloudformation.CfnStackSet_DeploymentTargetsProperty{
				OrganizationalUnitIds: props.OrganizationalUnitIds,
			},
			Regions: props.Regions,
		}},
		TemplateBody: props.TemplateBody,
		TemplateUrl:  templateURL,
	})
	// Deleting the StackSet resource would delete every account's logging stack: keep it.
	o.stackSet.ApplyRemovalPolicy(awscdk.RemovalPolicy_RETAIN, nil)
	return o
}
