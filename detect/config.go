package detect

import "github.com/trailguard/trailguard/config"

// ContextFromConfig returns the organization context of a trailguard config: the
// organization id, its management and Security accounts, the member accounts, the
// organizational units of deployment.organizationalUnits, deployment.deployers and the CDK
// bootstrap qualifier. Accounts a stackset reaches through its OUs are not in the config:
// the detection functions add them from Organizations at run time (see docs/detection.md),
// and every record's own account is always the organization's.
func ContextFromConfig(c *config.Config) *Context {
	ctx := &Context{
		Organization: Organization{
			ID:                c.Organization.ID,
			ManagementAccount: c.Organization.ManagementAccount,
			SecurityAccount:   c.Organization.SecurityAccount,
		},
		Deployers:          append([]string(nil), c.Deployment.Deployers...),
		BootstrapQualifier: c.Deployment.Qualifier,
	}
	for _, m := range c.Members {
		ctx.Organization.Accounts = append(ctx.Organization.Accounts, m.ID)
	}
	for _, ou := range c.Deployment.OrganizationalUnits {
		if len(ou) > 3 && ou[:3] == "ou-" {
			ctx.Organization.OrganizationalUnits = append(ctx.Organization.OrganizationalUnits, ou)
		}
	}
	return ctx
}
