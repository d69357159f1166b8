package main

import (
	"os"

	"github.com/spf13/cobra"

	"github.com/trailguard/trailguard/config"
	"github.com/trailguard/trailguard/examples"
	"github.com/trailguard/trailguard/internal/deployplan"
)

// newPlanCmd prints the ordered deployment steps for a config.
func newPlanCmd(e *env) *cobra.Command {
	var configPath string
	var opts deployplan.Options
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Print the ordered steps that deploy trailguard for a config",
		Long: `Print, for an organization config, the steps a person runs to deploy trailguard:
the one-time prerequisites in the management account, one synth of the organization into
cdk.out, cdk bootstrap of each account and region, then cdk deploy of each stack in order
(Security, Management, members). The cdk commands read that cloud assembly (--app cdk.out)
instead of running the app again for every account.

It reads only the config file: no AWS credentials, no CDK.`,
		Example: `  trailguard plan --config my-org.yaml
  trailguard plan --config my-org.yaml --profile-format 'org-{name}' --deployer-account 111111111111`,
		Args: noPositional,
		RunE: func(cmd *cobra.Command, _ []string) error {
			name, data := examples.DefaultName, examples.Default
			if configPath != "" {
				b, err := os.ReadFile(configPath)
				if err != nil {
					return usageErrorf("cannot read --config: %v", err)
				}
				name, data = configPath, b
				opts.ConfigPath = configPath
			}
			cfg, err := config.Load(name, data)
			if err != nil {
				return &exitError{code: exitFailed, msg: err.Error()}
			}
			return deployplan.Render(e.stdout, cfg, deployplan.Plan(cfg, opts))
		},
	}
	cmd.Flags().StringVar(&configPath, "config", "", "organization config file (default: the embedded examples/org.yaml)")
	cmd.Flags().StringVar(&opts.ProfileFormat, "profile-format", "{name}", "AWS CLI profile of an account: {name} is security, management or the member's name, {account} its id")
	cmd.Flags().StringVar(&opts.DeployerAccount, "deployer-account", "", "account that deploys every stack (each bootstrap then trusts it)")
	return cmd
}
