package deployplan

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/trailguard/trailguard/config"
	"github.com/trailguard/trailguard/examples"
)

func load(t *testing.T, edits ...string) *config.Config {
	t.Helper()
	src := string(examples.Default)
	for i := 0; i+1 < len(edits); i += 2 {
		if !strings.Contains(src, edits[i]) {
			t.Fatalf("test setup: %q not in the example", edits[i])
		}
		src = strings.Replace(src, edits[i], edits[i+1], 1)
	}
	cfg, err := config.Load("org.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func commands(steps []Step) []string {
	var out []string
	for _, s := range steps {
		out = append(out, s.Commands...)
	}
	return out
}

func TestPlanStacksMode(t *testing.T) {
	got := commands(Plan(load(t), Options{ConfigPath: "org.yaml"}))
	want := []string{
		"aws organizations enable-aws-service-access --service-principal cloudtrail.amazonaws.com --profile management",
		"aws organizations enable-policy-type --root-id r-ab12 --policy-type SERVICE_CONTROL_POLICY --profile management",
		// One synth; every cdk command reads its cloud assembly instead of running the app.
		"make synth CONFIG=org.yaml",
		"cdk bootstrap aws://222222222222/eu-west-1 aws://222222222222/us-east-1 --app cdk.out --profile security",
		"cdk bootstrap aws://111111111111/eu-west-1 aws://111111111111/us-east-1 --app cdk.out --profile management",
		"cdk bootstrap aws://333333333333/eu-west-1 aws://333333333333/us-east-1 --app cdk.out --profile workloads-prod",
		"cdk bootstrap aws://444444444444/eu-west-1 aws://444444444444/us-east-1 --app cdk.out --profile workloads-dev",
		"cdk deploy trailguard-security trailguard-forwarder-security-eu-west-1 trailguard-forwarder-security-us-east-1 --app cdk.out --profile security",
		"cdk deploy trailguard-management trailguard-forwarder-management-eu-west-1 trailguard-forwarder-management-us-east-1 --app cdk.out --profile management",
		"cdk deploy trailguard-member-workloads-prod-eu-west-1 trailguard-member-workloads-prod-us-east-1 --app cdk.out --profile workloads-prod",
		"cdk deploy trailguard-member-workloads-dev-eu-west-1 trailguard-member-workloads-dev-us-east-1 --app cdk.out --profile workloads-dev",
		// Onboarding an account that joins later, with the guardrails attached: the config
		// changed, so the assembly is synthesized again first.
		"make synth CONFIG=org.yaml",
		"cdk bootstrap aws://<new account id>/eu-west-1 aws://<new account id>/us-east-1 --app cdk.out --profile <name>",
		"cdk deploy trailguard-member-<name>-eu-west-1 trailguard-member-<name>-us-east-1 --app cdk.out --profile <name>",
		// The coverage monitor in the Security stack must learn to expect the new account.
		"cdk deploy trailguard-security --app cdk.out --profile security",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("commands (-want +got):\n%s", diff)
	}
}

func TestPlanOptions(t *testing.T) {
	tests := []struct {
		name    string
		cfg     *config.Config
		opts    Options
		want    []string // substrings of the rendered plan
		notWant []string
	}{
		{
			name:    "stackset mode skips member bootstrap and deploys",
			cfg:     load(t, "mode: stacks", "mode: stackset\n  organizationalUnits: [ou-ab12-cdefgh34]", "    regions: [eu-west-1, us-east-1] # a subset: the home region and us-east-1 are required\n", ""),
			want:    []string{"aws cloudformation activate-organizations-access --profile management", "StackSet that deploys the member template to ou-ab12-cdefgh34"},
			notWant: []string{"aws://333333333333", "trailguard-member-"},
		},
		{
			name:    "deployer account is trusted by the others",
			cfg:     load(t),
			opts:    Options{DeployerAccount: "111111111111"},
			want:    []string{"cdk bootstrap aws://222222222222/eu-west-1 aws://222222222222/us-east-1 --app cdk.out --profile security --trust 111111111111 --cloudformation-execution-policies arn:aws:iam::aws:policy/AdministratorAccess"},
			notWant: []string{"aws://111111111111/us-east-1 --profile management --trust"},
		},
		{
			name: "profile format and qualifier",
			cfg:  load(t, "# qualifier: hnb659fds", "qualifier: acme"),
			opts: Options{ProfileFormat: "org-{account}"},
			want: []string{"cdk bootstrap aws://222222222222/eu-west-1 aws://222222222222/us-east-1 --app cdk.out --profile org-222222222222 --qualifier acme", "cdk deploy trailguard-security trailguard-forwarder-security-eu-west-1 trailguard-forwarder-security-us-east-1 --app cdk.out --profile org-222222222222"},
		},
		{
			name: "guardrails on: member accounts are bootstrapped and deployed by a deployer, the management account by its own admins",
			cfg:  load(t),
			want: []string{
				"Bootstrap the security account 222222222222 (signed in as a deployer: arn:aws:iam::*:role/OrganizationAccountAccessRole)",
				"Bootstrap the workloads-dev account 444444444444 (signed in as a deployer: arn:aws:iam::*:role/OrganizationAccountAccessRole)",
				"Deploy to the workloads-prod account 333333333333 (signed in as a deployer: arn:aws:iam::*:role/OrganizationAccountAccessRole)",
				"add it to members in the config, synthesize again, then bootstrap and deploy it (signed in as a deployer: arn:aws:iam::*:role/OrganizationAccountAccessRole)",
				"only deployment.deployers may bootstrap a member account",
				"create it before accepting the invitation (arn:aws:iam::*:role/OrganizationAccountAccessRole, trusting who deploys)",
			},
			notWant: []string{"management account 111111111111 (signed in as a deployer", "needs an exempt principal"},
		},
		{
			name: "a configured pipeline deployer",
			cfg:  load(t, "# qualifier: hnb659fds", "deployers: [arn:aws:iam::555555555555:role/trailguard-pipeline]"),
			want: []string{"Bootstrap the security account 222222222222 (signed in as a deployer: arn:aws:iam::555555555555:role/trailguard-pipeline)"},
		},
		{
			name:    "stackset mode onboards new accounts automatically",
			cfg:     load(t, "mode: stacks", "mode: stackset\n  organizationalUnits: [ou-ab12-cdefgh34]", "    regions: [eu-west-1, us-east-1] # a subset: the home region and us-east-1 are required\n", ""),
			want:    []string{"An account that joins ou-ab12-cdefgh34 later", "nothing to run: the StackSet deploys the member template to it automatically"},
			notWant: []string{"aws://<new account id>"},
		},
		{
			name:    "no config path: the embedded example, no config",
			cfg:     load(t),
			want:    []string{"$ make synth\n", "cdk bootstrap aws://222222222222/eu-west-1 aws://222222222222/us-east-1 --app cdk.out --profile security\n", "cdk deploy trailguard-security trailguard-forwarder-security-eu-west-1 trailguard-forwarder-security-us-east-1 --app cdk.out --profile security\n"},
			notWant: []string{"CONFIG", "config="},
		},
		{
			name: "config path and profile quoted for the shell",
			cfg:  load(t),
			opts: Options{ConfigPath: "my org's/org.yaml", ProfileFormat: "org {name}"},
			want: []string{
				// make would split the path at the space: cdk synth, as make synth runs it.
				`$ rm -rf cdk.out && cdk synth --quiet -c 'config=my org'\''s/org.yaml'` + "\n",
				`cdk bootstrap aws://222222222222/eu-west-1 aws://222222222222/us-east-1 --app cdk.out --profile 'org security'`,
				`cdk deploy trailguard-security trailguard-forwarder-security-eu-west-1 trailguard-forwarder-security-us-east-1 --app cdk.out --profile 'org security'`,
				`aws organizations enable-aws-service-access --service-principal cloudtrail.amazonaws.com --profile 'org management'`,
			},
			notWant: []string{"make synth"},
		},
		{
			name: "where and how to run the commands",
			cfg:  load(t),
			want: []string{"in the directory that holds cdk.json", "--require-approval never", "Synthesize again after any change to the\nconfig or to trailguard"},
		},
		{
			name:    "guardrails off: no SCP prerequisite",
			cfg:     load(t, "  enabled: true\n  targets:", "  enabled: false\n  targets:"),
			notWant: []string{"SERVICE_CONTROL_POLICY", "guardrail", "service control", "deployer"},
		},
		{
			name: "root id unknown when guardrails target OUs only",
			cfg:  load(t, "    - r-ab12 ", "    - ou-ab12-cdefgh34 "),
			want: []string{"--root-id <root id from: aws organizations list-roots>"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := Render(&b, tc.cfg, Plan(tc.cfg, tc.opts)); err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !strings.Contains(b.String(), w) {
					t.Errorf("plan lacks %q:\n%s", w, b.String())
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(b.String(), w) {
					t.Errorf("plan contains %q:\n%s", w, b.String())
				}
			}
		})
	}
}

func TestRenderNumbersStepsInPhases(t *testing.T) {
	cfg := load(t)
	var b bytes.Buffer
	if err := Render(&b, cfg, Plan(cfg, Options{})); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	iPre := strings.Index(out, "One-time prerequisites")
	iSynth := strings.Index(out, "Synthesize once")
	iBoot := strings.Index(out, "Bootstrap each account")
	iDeploy := strings.Index(out, "Deploy, in this order")
	iLater := strings.Index(out, "Later:")
	if !(iPre >= 0 && iPre < iSynth && iSynth < iBoot && iBoot < iDeploy && iDeploy < iLater) {
		t.Errorf("phases out of order:\n%s", out)
	}
	for _, want := range []string{"  1. Enable trusted access for CloudTrail", "  3. Synthesize the organization into cdk.out", "  4. Bootstrap the security account", " 11. Deploy to the workloads-dev account", " 12. An account that joins"} {
		if !strings.Contains(out, want) {
			t.Errorf("plan lacks %q (steps numbered 1..12 across the phases):\n%s", want, out)
		}
	}
}

// TestPlanSynthesizesOnce checks, for every shape of plan, that the organization is
// synthesized once before the first cdk command and that every cdk bootstrap and deploy
// command reads that cloud assembly instead of running the app (a complete synth each).
func TestPlanSynthesizesOnce(t *testing.T) {
	stackset := load(t, "mode: stacks", "mode: stackset\n  organizationalUnits: [ou-ab12-cdefgh34]", "    regions: [eu-west-1, us-east-1] # a subset: the home region and us-east-1 are required\n", "")
	tests := []struct {
		name      string
		cfg       *config.Config
		opts      Options
		wantSynth string
	}{
		{"stacks mode", load(t), Options{ConfigPath: "my-org.yaml"}, "make synth CONFIG=my-org.yaml"},
		{"stackset mode", stackset, Options{ConfigPath: "configs/org.yaml"}, "make synth CONFIG=configs/org.yaml"},
		{"embedded example, deployer account", load(t), Options{DeployerAccount: "111111111111"}, "make synth"},
		{"path make would split", load(t), Options{ConfigPath: "my org.yaml"}, "rm -rf cdk.out && cdk synth --quiet -c 'config=my org.yaml'"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var synths, cdk int
			for _, s := range Plan(tc.cfg, tc.opts) {
				for _, c := range s.Commands {
					switch {
					case c == tc.wantSynth:
						if cdk > 0 && s.Phase != "onboard" {
							t.Errorf("step %q synthesizes after a cdk command", s.Title)
						}
						synths++
					case strings.HasPrefix(c, "cdk bootstrap ") || strings.HasPrefix(c, "cdk deploy "):
						if synths == 0 {
							t.Errorf("%q runs before the synth step", c)
						}
						if !strings.Contains(c, " --app cdk.out ") || strings.Contains(c, " -c ") {
							t.Errorf("%q does not read the cloud assembly (--app cdk.out, no -c): it would run the app", c)
						}
						cdk++
					case strings.Contains(c, "synth"):
						t.Errorf("synth command %q, want %q", c, tc.wantSynth)
					}
				}
			}
			if synths == 0 || cdk == 0 {
				t.Errorf("%d synth and %d cdk bootstrap or deploy commands, want both", synths, cdk)
			}
		})
	}
}
