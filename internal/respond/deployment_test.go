package respond

import (
	"strings"
	"testing"

	"github.com/trailguard/trailguard/config"
	"github.com/trailguard/trailguard/detect"
)

// assumedRole is a role session's userIdentity in account 333333333333; via is the service
// that made the call for it ("" for a direct call).
func assumedRole(role, session, via string) string {
	ui := `"userIdentity":{"type":"AssumedRole","principalId":"AROAEXAMPLE:` + session + `","arn":"arn:aws:sts::333333333333:assumed-role/` + role + `/` + session + `",` +
		`"accountId":"333333333333","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAEXAMPLE","arn":"arn:aws:iam::333333333333:role/` + role + `",` +
		`"accountId":"333333333333","userName":"` + role + `"}}`
	if via != "" {
		return ui + `,"invokedBy":"` + via + `"},"sourceIPAddress":"` + via + `"`
	}
	return ui + `},"sourceIPAddress":"203.0.113.7"`
}

// TestDeploymentLeftAlone: a change a trailguard deployment made (CloudFormation acting for a
// deployer, the rules' actor.deployment under the engine's context) is never reversed by a
// restoring action: the decision is an audited skip. The same change by anyone else, or by
// CloudFormation acting for anyone else, is restored.
func TestDeploymentLeftAlone(t *testing.T) {
	const cfn = "cloudformation.amazonaws.com"
	ctx := &detect.Context{Deployers: []string{"arn:aws:iam::*:role/ci-deploy"}, BootstrapQualifier: "hnb659fds"}
	engine, err := detect.LoadWith(detect.LoadOptions{Context: ctx})
	if err != nil {
		t.Fatal(err)
	}
	cfnExec := assumedRole("cdk-hnb659fds-cfn-exec-role-333333333333-eu-west-1", "AWSCloudFormation", cfn)
	updateTrail := func(who string) string {
		return `{` + common + who + `,"eventSource":"cloudtrail.amazonaws.com","eventName":"UpdateTrail","requestParameters":{"name":"trailguard-local","isMultiRegionTrail":true}}`
	}
	rule := func(event, params, who string) string {
		return `{` + common + who + `,"eventSource":"events.amazonaws.com","eventName":"` + event + `","requestParameters":` + params + `}`
	}
	putRule := `{"name":"trailguard-forward-to-stream","eventPattern":"{}","state":"ENABLED"}`
	putTargets := `{"rule":"trailguard-forward-to-stream","targets":[{"id":"SecurityStream","arn":"arn:aws:kinesis:eu-west-1:222222222222:stream/trailguard-events"}]}`
	tests := []struct {
		name   string
		record string
		rule   string // the alert's rule
		act    bool
		skip   string
		want   string // in the reason
	}{
		{name: "UpdateTrail by the CDK execution role through CloudFormation", record: updateTrail(cfnExec), rule: "cloudtrail-trail-changed",
			skip: SkipDeployment, want: "made by a trailguard deployment"},
		{name: "PutRule by a configured deployer through CloudFormation", record: rule("PutRule", putRule, assumedRole("ci-deploy", "run-7", cfn)), rule: "trailguard-forwarding-rule-changed",
			skip: SkipDeployment, want: "CloudFormation acting for deployer role ci-deploy"},
		{name: "PutTargets by the CDK execution role through CloudFormation", record: rule("PutTargets", putTargets, cfnExec), rule: "trailguard-forwarding-rule-changed",
			skip: SkipDeployment, want: "left alone"},
		{name: "PutEventSelectors by a deployment", record: `{` + common + cfnExec + `,"eventSource":"cloudtrail.amazonaws.com","eventName":"PutEventSelectors","requestParameters":{"trailName":"trailguard-local","eventSelectors":[]}}`, rule: "cloudtrail-trail-changed",
			skip: SkipDeployment},
		{name: "the same UpdateTrail by a user", record: updateTrail(userAlice), rule: "cloudtrail-trail-changed", act: true, want: "as deployed"},
		{name: "the same UpdateTrail by the deployer role acting directly", record: updateTrail(assumedRole("ci-deploy", "run-7", "")), rule: "cloudtrail-trail-changed", act: true},
		{name: "the same PutRule by the deployer role acting directly", record: rule("PutRule", putRule, assumedRole("ci-deploy", "run-7", "")), rule: "trailguard-forwarding-rule-changed", act: true},
		{name: "CloudFormation acting for a non-deployer", record: updateTrail(assumedRole("dev", "mallory", cfn)), rule: "cloudtrail-trail-changed", act: true},
		{name: "CloudFormation acting for a non-deployer: PutTargets", record: rule("PutTargets", putTargets, assumedRole("dev", "mallory", cfn)), rule: "trailguard-forwarding-rule-changed", act: true},
		{name: "CloudFormation acting for a user", record: updateTrail(strings.Replace(userAlice, `"accountId":"333333333333"}`, `"accountId":"333333333333","invokedBy":"cloudformation.amazonaws.com"}`, 1)), rule: "cloudtrail-trail-changed", act: true},
		{name: "a role deployers do not name (the default deployer, not configured here)", record: updateTrail(assumedRole("OrganizationAccountAccessRole", "s", cfn)), rule: "cloudtrail-trail-changed", act: true},
		{name: "another qualifier's execution role", record: updateTrail(assumedRole("cdk-other-cfn-exec-role-333333333333-eu-west-1", "AWSCloudFormation", cfn)), rule: "cloudtrail-trail-changed", act: true},
		// Only the restoring actions put a resource back to a deployment's definition; the
		// others keep a security invariant, whoever broke it (a stack that keeps breaking it
		// trips the circuit breaker, which names the stack).
		{name: "not a restoring action: a deployment stopping a trail is started again", record: `{` + common + cfnExec + `,"eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","requestParameters":{"name":"audit"}}`, rule: "cloudtrail-logging-stopped", act: true},
		{name: "a deployment's failed call is still a failed call", record: strings.Replace(updateTrail(cfnExec), `"eventSource"`, `"errorCode":"AccessDenied","eventSource"`, 1), rule: "cloudtrail-trail-changed", skip: SkipFailedCall},
	}
	for _, mode := range []string{config.ResponseDryRun, config.ResponseEnforce} {
		decider := NewDecider(engine, &Policy{Response: config.Response{Actions: map[string]config.ActionSettings{
			"cloudtrail-restore-trail": {Mode: mode}, "events-restore-forwarder-rule": {Mode: mode}, "cloudtrail-start-logging": {Mode: mode},
		}}})
		for _, tt := range tests {
			t.Run(mode+"/"+tt.name, func(t *testing.T) {
				// The rules must still alert on a deployment's change: it is worth an audit trail.
				alert := alertOf(t, engine, rec(t, tt.record), tt.rule, func(a *detect.Alert) bool { return a.Rule == tt.rule })
				d, err := decider.Decide(alert)
				if err != nil {
					t.Fatal(err)
				}
				if d.Act != tt.act || d.Skip != tt.skip {
					t.Errorf("act %v skip %q, want act %v skip %q (%s)", d.Act, d.Skip, tt.act, tt.skip, d.Reason)
				}
				if !strings.Contains(d.Reason, tt.want) {
					t.Errorf("reason %q does not say %q", d.Reason, tt.want)
				}
				if tt.skip == SkipDeployment {
					// An audited decision names what was left alone, in the action's mode.
					if !d.Audited() || d.Target == nil || d.Mode != mode {
						t.Errorf("audited %v target %v mode %q, want an audited skip with its target in %s", d.Audited(), d.Target, d.Mode, mode)
					}
				}
			})
		}
	}
}
