// Package deployplan turns an organization config into the ordered steps a person runs to
// deploy trailguard: one-time prerequisites, one synth of the organization into cdk.out, cdk
// bootstrap per account and region, then cdk deploy of each stack in dependency order. The cdk
// commands read that cloud assembly (--app cdk.out) instead of running the app: a synth of
// the organization is the slow part, and each account would otherwise repeat it. It is pure
// Go: no CDK, no AWS calls.
package deployplan

import (
	"fmt"
	"io"
	"strings"

	"github.com/trailguard/trailguard/config"
)

// Options shape the commands in the plan.
type Options struct {
	// ProfileFormat names the AWS CLI profile of an account; "{name}" is replaced by the
	// account's role name ("security", "management" or the member's name) and "{account}" by
	// its id. Default: "{name}".
	ProfileFormat string
	// DeployerAccount, if set, is the account that deploys every stack (a pipeline or the
	// management account); each account's bootstrap then trusts it. Default: each account
	// deploys with its own profile and trusts nobody else.
	DeployerAccount string
	// ConfigPath is the config file the plan is for, given to the synth step (make synth
	// CONFIG=), as a path from the directory that holds cdk.json (where the commands run).
	// Default: none (the embedded example).
	ConfigPath string
}

// Step is one thing to run.
type Step struct {
	// Phase groups steps: "prerequisite", "synth", "bootstrap", "deploy" or "onboard".
	Phase string
	// Title says what the step is for.
	Title string
	// Commands are the shell commands to run, in order.
	Commands []string
	// Creates says what the step creates or changes.
	Creates string
}

// Plan returns the steps for cfg, in the order they must run.
func Plan(cfg *config.Config, opts Options) []Step {
	if opts.ProfileFormat == "" {
		opts.ProfileFormat = "{name}"
	}
	profile := func(name, account string) string {
		return strings.NewReplacer("{name}", name, "{account}", account).Replace(opts.ProfileFormat)
	}
	org := cfg.Organization
	mgmt := shellQuote(profile("management", org.ManagementAccount))
	var steps []Step

	steps = append(steps, Step{
		Phase:    "prerequisite",
		Title:    "Enable trusted access for CloudTrail in Organizations (the organization trail needs it)",
		Commands: []string{"aws organizations enable-aws-service-access --service-principal cloudtrail.amazonaws.com --profile " + mgmt},
		Creates:  "lets CloudTrail create the organization trail's copies in every member account",
	})
	if cfg.GuardrailsEnabled() {
		root := "<root id from: aws organizations list-roots>"
		for _, t := range cfg.Guardrails.Targets {
			if strings.HasPrefix(t, "r-") {
				root = t
			}
		}
		steps = append(steps, Step{
			Phase:    "prerequisite",
			Title:    "Enable service control policies (the guardrails are one)",
			Commands: []string{fmt.Sprintf("aws organizations enable-policy-type --root-id %s --policy-type SERVICE_CONTROL_POLICY --profile %s", root, mgmt)},
			Creates:  "nothing yet; fails harmlessly with PolicyTypeAlreadyEnabledException if already on",
		})
	}
	if cfg.Deployment.Mode == config.ModeStackSet {
		steps = append(steps, Step{
			Phase:    "prerequisite",
			Title:    "Enable trusted access for CloudFormation StackSets (service-managed stack sets need it)",
			Commands: []string{"aws cloudformation activate-organizations-access --profile " + mgmt},
			Creates:  "lets the management account deploy the member template to the organizational units",
		})
	}

	steps = append(steps, Step{
		Phase:    "synth",
		Title:    "Synthesize the organization into cdk.out, with the compliance gates",
		Commands: []string{synthCommand(opts.ConfigPath)},
		Creates:  "cdk.out, the cloud assembly of every stack below, which the cdk commands deploy as it is (--app cdk.out): synthesize again after any change to the config or to trailguard",
	})

	// With the guardrails on, only a deployer may bootstrap, deploy or change the trailguard
	// stacks of a member account (the Security account included).
	as := func(account string) string {
		if !cfg.GuardrailsEnabled() || account == org.ManagementAccount {
			return ""
		}
		return " (signed in as a deployer: " + strings.Join(cfg.Deployment.Deployers, ", ") + ")"
	}
	bootstrap := func(name, account string, regions []string) Step {
		var envs []string
		for _, r := range regions {
			envs = append(envs, fmt.Sprintf("aws://%s/%s", account, r))
		}
		// In the app's directory cdk bootstrap runs the app (a complete synth) even when given
		// environments; with --app cdk.out it reads the assembly instead.
		cmd := "cdk bootstrap " + strings.Join(envs, " ") + assemblyFlag + " --profile " + shellQuote(profile(name, account))
		if cfg.Deployment.Qualifier != config.DefaultQualifier {
			cmd += " --qualifier " + cfg.Deployment.Qualifier
		}
		if opts.DeployerAccount != "" && opts.DeployerAccount != account {
			cmd += fmt.Sprintf(" --trust %s --cloudformation-execution-policies arn:%s:iam::aws:policy/AdministratorAccess", opts.DeployerAccount, cfg.Partition())
		}
		return Step{
			Phase:    "bootstrap",
			Title:    fmt.Sprintf("Bootstrap the %s account %s%s", name, account, as(account)),
			Commands: []string{cmd},
			Creates:  "the CDK toolkit stack: asset bucket, deployment roles and the CloudFormation execution role the log archive's policy lets through",
		}
	}
	steps = append(steps,
		bootstrap("security", org.SecurityAccount, cfg.Regions),
		bootstrap("management", org.ManagementAccount, cfg.Regions),
	)
	if cfg.Deployment.Mode == config.ModeStacks {
		for _, m := range cfg.Members {
			steps = append(steps, bootstrap(m.Name, m.ID, cfg.MemberRegions(m)))
		}
	}

	deploy := func(name, account string, stacks []string, creates string) Step {
		return Step{
			Phase:    "deploy",
			Title:    fmt.Sprintf("Deploy to the %s account %s%s", name, account, as(account)),
			Commands: []string{"cdk deploy " + strings.Join(stacks, " ") + assemblyFlag + " --profile " + shellQuote(profile(name, account))},
			Creates:  creates,
		}
	}
	forwarders := func(role string) []string {
		var names []string
		for _, r := range cfg.Regions {
			names = append(names, cfg.ForwarderStackName(role, r))
		}
		return names
	}
	const forwarderCreates = "; then the event forwarder in each region (this account's API calls and console sign-ins to the stream in real time)"
	steps = append(steps,
		deploy("security", org.SecurityAccount, append([]string{cfg.SecurityStackName()}, forwarders("security")...),
			"the log archive (KMS key, Object-Locked bucket, access-log bucket) and the event sink (Kinesis stream, receiving bus, alerts); deploy it first: the trail and the forwarders deliver to it"+forwarderCreates),
		deploy("management", org.ManagementAccount, append([]string{cfg.ManagementStackName()}, forwarders("management")...), managementCreates(cfg)+forwarderCreates),
	)
	if cfg.Deployment.Mode == config.ModeStacks {
		for _, m := range cfg.Members {
			var names []string
			for _, r := range cfg.MemberRegions(m) {
				names = append(names, cfg.MemberStackName(m, r))
			}
			steps = append(steps, deploy(m.Name, m.ID, names,
				"the event forwarder in each region and, in "+cfg.HomeRegion+", the local trail and its bucket"))
		}
	}
	steps = append(steps, onboard(cfg, opts, as("<new account id>")))
	return steps
}

// onboard is the step for an account that joins the organization later.
func onboard(cfg *config.Config, opts Options, as string) Step {
	if cfg.Deployment.Mode == config.ModeStackSet {
		return Step{
			Phase:   "onboard",
			Title:   "An account that joins " + strings.Join(cfg.Deployment.OrganizationalUnits, ", ") + " later",
			Creates: "nothing to run: the StackSet deploys the member template to it automatically",
		}
	}
	var envs, stacks []string
	m := config.Member{Name: "<name>", ID: "<new account id>"}
	for _, r := range cfg.Regions {
		envs = append(envs, "aws://<new account id>/"+r)
		stacks = append(stacks, cfg.MemberStackName(m, r))
	}
	profile := strings.NewReplacer("{name}", "<name>", "{account}", "<new account id>").Replace(opts.ProfileFormat)
	boot := "cdk bootstrap " + strings.Join(envs, " ") + assemblyFlag + " --profile " + profile
	if cfg.Deployment.Qualifier != config.DefaultQualifier {
		boot += " --qualifier " + cfg.Deployment.Qualifier
	}
	creates := "the account's bootstrap and member stacks"
	if cfg.GuardrailsEnabled() {
		creates += "; works with the service control policies attached, because deployers may create the bootstrap roles (and nobody else may)." +
			" An account invited into the organization (not created by it) has no deployer role yet, and once it joins nobody there may create one:" +
			" create it before accepting the invitation (" + strings.Join(cfg.Deployment.Deployers, ", ") + ", trusting who deploys)"
	}
	// The Security stack's coverage monitor expects heartbeats from the accounts the config
	// lists (stacks.ExpectedPairs): deployed as it was, it would never miss the new account's.
	security := strings.NewReplacer("{name}", "security", "{account}", cfg.Organization.SecurityAccount).Replace(opts.ProfileFormat)
	creates += "; then the Security stack again, whose coverage monitor must learn to expect the new account's heartbeats"
	return Step{
		Phase: "onboard",
		Title: "An account that joins the organization later: add it to members in the config, synthesize again, then bootstrap and deploy it" + as,
		Commands: []string{
			synthCommand(opts.ConfigPath),
			boot,
			"cdk deploy " + strings.Join(stacks, " ") + assemblyFlag + " --profile " + profile,
			"cdk deploy " + cfg.SecurityStackName() + assemblyFlag + " --profile " + shellQuote(security),
		},
		Creates: creates,
	}
}

// assemblyFlag makes a cdk command read the cloud assembly the synth step wrote instead of
// running the app (cdk.json's "app"): "--app" takes "a cloud assembly directory" too, and the
// CLI then bypasses synth (aws-cdk's cxapp/exec.ts); cdk.json still supplies the other
// settings. https://docs.aws.amazon.com/cdk/v2/guide/ref-cli-cmd.html#ref-cli-cmd-options
const assemblyFlag = " --app cdk.out"

// synthCommand synthesizes the organization of the config at path (the embedded example if
// empty) into cdk.out, as the README has users do: make synth installs the pinned toolchain,
// empties cdk.out and prints the app's summary. A path that make would split or expand (a
// space, a quote, a $) is given to cdk synth directly, after make synth's rm -rf cdk.out.
func synthCommand(path string) string {
	switch {
	case path == "":
		return "make synth"
	case shellQuote(path) == path:
		return "make synth CONFIG=" + path
	default:
		return "rm -rf cdk.out && cdk synth --quiet -c " + shellQuote("config="+path)
	}
}

// shellQuote returns s as one word of a POSIX shell command line: unchanged when it has no
// character the shell treats specially, otherwise in single quotes.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.,/:=@%+") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func managementCreates(cfg *config.Config) string {
	parts := []string{"the organization trail"}
	if cfg.GuardrailsEnabled() {
		parts = append(parts, "the guardrail service control policies on "+strings.Join(cfg.Guardrails.Targets, ", ")+
			" (from then on, only deployment.deployers may bootstrap a member account, assume its bootstrap roles or change its trailguard stacks)")
	}
	if cfg.Deployment.Mode == config.ModeStackSet {
		parts = append(parts, "the service-managed StackSet that deploys the member template to "+strings.Join(cfg.Deployment.OrganizationalUnits, ", ")+" (new accounts there get it automatically)")
	}
	return strings.Join(parts, "; ")
}

// Render writes the plan as numbered steps.
func Render(w io.Writer, cfg *config.Config, steps []Step) error {
	var b strings.Builder
	fmt.Fprintf(&b, "trailguard deploy plan for organization %s (deployment mode %s, %d member accounts)\n", cfg.Organization.ID, cfg.Deployment.Mode, len(cfg.Members))
	b.WriteString("Run the commands in the directory that holds cdk.json, the cdk ones each with its account's profile.\n" +
		"cdk bootstrap and cdk deploy read the cloud assembly in cdk.out (--app cdk.out) instead of running\n" +
		"the app: they deploy what the synth step put there. Synthesize again after any change to the\n" +
		"config or to trailguard.\n" +
		"cdk deploy asks before it broadens IAM permissions or security groups; without a terminal (CI)\n" +
		"it fails there unless given --require-approval never.\n")
	phase := ""
	titles := map[string]string{
		"prerequisite": "One-time prerequisites, in the management account",
		"synth":        "Synthesize once (no AWS credentials needed)",
		"bootstrap":    "Bootstrap each account and region once",
		"deploy":       "Deploy, in this order",
		"onboard":      "Later",
	}
	for i, s := range steps {
		if s.Phase != phase {
			phase = s.Phase
			fmt.Fprintf(&b, "\n%s:\n", titles[phase])
		}
		fmt.Fprintf(&b, "%3d. %s\n", i+1, s.Title)
		for _, c := range s.Commands {
			fmt.Fprintf(&b, "       $ %s\n", c)
		}
		fmt.Fprintf(&b, "       creates: %s\n", s.Creates)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
