package test

import (
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/trailguard/trailguard/constructs/accounttrail"
	"github.com/trailguard/trailguard/constructs/eventforwarder"
	"github.com/trailguard/trailguard/constructs/historyreader"
	"github.com/trailguard/trailguard/internal/eventhistory/org"
)

// TestEventHistoryReaderInEveryAccount: every account (management, Security, members) has the
// role `trailguard history export --org` assumes, created once (home region), trusted only by
// the configured investigators, allowed only to look up events and list its own regions.
func TestEventHistoryReaderInEveryAccount(t *testing.T) {
	cfg := example.cfg
	if historyreader.DefaultRoleName != org.DefaultRoleName {
		t.Fatalf("the reader role is %q but the export assumes %q by default", historyreader.DefaultRoleName, org.DefaultRoleName)
	}
	if len(cfg.EventHistory.Investigators) == 0 {
		t.Fatal("the example names no investigators: nothing to check")
	}
	envs := environments(t, example.outdir)
	accounts := map[string]bool{cfg.Organization.ManagementAccount: false, cfg.Organization.SecurityAccount: false}
	for _, m := range cfg.Members {
		accounts[m.ID] = false
	}
	for name, env := range envs {
		tmpl := example.template(t, name)
		for id, role := range tmpl.resourcesOfType("AWS::IAM::Role") {
			if role.props()["RoleName"] != historyreader.DefaultRoleName {
				continue
			}
			account := env[:12]
			if env[13:] != cfg.HomeRegion {
				// In other regions the home-region condition must leave it out.
				if role["Condition"] == nil {
					t.Errorf("%s: the reader role %s is not conditioned on the home region: IAM names are global, a second region would fail to create it", name, id)
				}
				continue
			}
			accounts[account] = true
			// The investigators' accounts, narrowed to the investigators by aws:PrincipalArn:
			// a role named as principal must exist before the stack (TestNoTrustedPrincipalMustPreExist).
			var accounts []string
			for _, inv := range cfg.EventHistory.Investigators {
				if root := "arn:aws:iam::" + strings.Split(inv, ":")[4] + ":root"; !slices.Contains(accounts, root) {
					accounts = append(accounts, root)
				}
			}
			wantEq(t, name+" trust", statements(role.props()["AssumeRolePolicyDocument"]), []any{map[string]any{
				"Effect": "Allow", "Action": "sts:AssumeRole",
				"Principal": map[string]any{"AWS": oneOrList(accounts)},
				"Condition": map[string]any{"ArnEquals": map[string]any{"aws:PrincipalArn": cfg.EventHistory.Investigators}},
			}})
			wantEq(t, name+" permissions", statements(policyOfRole(t, tmpl, id)), []any{
				map[string]any{"Sid": "LookupEvents", "Effect": "Allow", "Action": "cloudtrail:LookupEvents", "Resource": "*"},
				map[string]any{"Sid": "ListRegions", "Effect": "Allow", "Action": "account:ListRegions",
					"Resource": map[string]any{"Fn::Join": []any{"", []any{"arn:", ref("AWS::Partition"), ":account::", ref("AWS::AccountId"), ":account"}}}},
			})
		}
	}
	for account, found := range accounts {
		if !found {
			t.Errorf("account %s has no Event History reader role in %s", account, cfg.HomeRegion)
		}
	}
}

func TestHistoryReaderMisuse(t *testing.T) {
	for _, tc := range []struct {
		name  string
		props *historyreader.HistoryReaderProps
		want  []string
	}{
		{"no investigators", &historyreader.HistoryReaderProps{}, []string{"historyreader: InvestigatorArns is required"}},
		{"wildcard and bad name", &historyreader.HistoryReaderProps{
			InvestigatorArns: jsii.Strings("arn:aws:iam::*:role/x", "arn:aws:iam::123456789012:root"),
			RoleName:         jsii.String("history-reader"),
		}, []string{`InvestigatorArns[0] must be an IAM role ARN`, `InvestigatorArns[1] must be an IAM role ARN`, `RoleName must be an IAM role name of at most 64 characters starting with trailguard-`, `got "history-reader"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stack := newTestStack(t)
			msg := mustPanic(t, func() { historyreader.NewHistoryReader(stack, jsii.String("Reader"), tc.props) })
			if missing := missingSubstrings(msg, tc.want...); len(missing) > 0 {
				t.Errorf("panic message %q lacks %q", msg, missing)
			}
		})
	}
}

// TestConstructsWithFixedNamesOncePerStack: constructs whose resources have fixed names refuse
// a second instance in the same stack, naming both paths, instead of failing at deploy.
func TestConstructsWithFixedNamesOncePerStack(t *testing.T) {
	fwd := func() *eventforwarder.EventForwarderProps {
		return &eventforwarder.EventForwarderProps{
			StreamArn:       jsii.String("arn:aws:kinesis:eu-west-1:222222222222:stream/trailguard-s"),
			StreamKeyAlias:  jsii.String("alias/trailguard/s"),
			ReceivingBusArn: jsii.String("arn:aws:events:eu-west-1:222222222222:event-bus/trailguard-b"),
		}
	}
	reader := func(name string) *historyreader.HistoryReaderProps {
		return &historyreader.HistoryReaderProps{InvestigatorArns: jsii.Strings("arn:aws:iam::222222222222:role/ir"), RoleName: jsii.String(name)}
	}
	for _, tc := range []struct {
		name  string
		build func(s awscdk.Stack)
		want  []string // empty: no panic
	}{
		{"two local trails", func(s awscdk.Stack) {
			accounttrail.NewAccountTrail(s, jsii.String("A"), nil)
			accounttrail.NewAccountTrail(s, jsii.String("B"), &accounttrail.AccountTrailProps{TrailName: jsii.String("trailguard-other")})
		}, []string{"accounttrail.AccountTrail: stack", "already holds one at", "/A, and a second at", "/B would not deploy"}},
		{"two forwarders", func(s awscdk.Stack) {
			eventforwarder.NewEventForwarder(s, jsii.String("A"), fwd())
			eventforwarder.NewEventForwarder(s, jsii.String("B"), fwd())
		}, []string{"eventforwarder.EventForwarder: stack", "fixed names"}},
		{"two readers of one name", func(s awscdk.Stack) {
			historyreader.NewHistoryReader(s, jsii.String("A"), reader("trailguard-r"))
			historyreader.NewHistoryReader(s, jsii.String("B"), reader("trailguard-r"))
		}, []string{"historyreader.HistoryReader: stack", "both named trailguard-r"}},
		{"two readers of two names", func(s awscdk.Stack) {
			historyreader.NewHistoryReader(s, jsii.String("A"), reader("trailguard-r"))
			historyreader.NewHistoryReader(s, jsii.String("B"), reader("trailguard-q"))
		}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stack := newTestStack(t)
			if tc.want == nil {
				tc.build(stack)
				return
			}
			msg := mustPanic(t, func() { tc.build(stack) })
			if missing := missingSubstrings(msg, tc.want...); len(missing) > 0 {
				t.Errorf("panic message %q lacks %q", msg, missing)
			}
		})
	}
}

// oneOrList is how CloudFormation JSON from the CDK renders a list of one: the value alone.
func oneOrList(l []string) any {
	if len(l) == 1 {
		return l[0]
	}
	out := make([]any, len(l))
	for i, v := range l {
		out[i] = v
	}
	return out
}
