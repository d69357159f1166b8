package stacks

import (
	"encoding/json"

	"github.com/trailguard/trailguard/config"
	"github.com/trailguard/trailguard/constructs/accounttrail"
	"github.com/trailguard/trailguard/constructs/eventforwarder"
	"github.com/trailguard/trailguard/constructs/orgtrail"
	"github.com/trailguard/trailguard/deployed"
)

// deployed returns, as JSON, what the stacks deploy of the trails and forwarder rules the
// automatic response restores (deployed.Definitions): the organization trail in the management
// account, the local trail in every other account but the Security account (the forwarder
// stacks of those two have none), and the forwarders' rules in every account. Each comes
// from the construct's own definition of the props the stacks build it with.
func deployedJSON(cfg *config.Config) string {
	org := orgtrail.Definition(organizationTrailProps(cfg), cfg.HomeRegion)
	org.Accounts = []string{cfg.Organization.ManagementAccount}
	d := deployed.Definitions{Trails: []deployed.Trail{org}}
	if local, ok := accounttrail.Definition(accountTrailProps(cfg), cfg.HomeRegion); ok {
		local.ExceptAccounts = []string{cfg.Organization.ManagementAccount, cfg.Organization.SecurityAccount}
		d.Trails = append(d.Trails, local)
	}
	rules, err := eventforwarder.RuleDefinitions(eventForwarderProps(cfg), cfg.HomeRegion)
	if err != nil {
		panic(err)
	}
	d.Rules = rules
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		panic(err)
	}
	return string(b) + "\n"
}
