// Package respond is the decision engine of the automatic response (docs/response.md): given
// a rule's alert, its record and the config, it decides which action to take on which
// resource, in which mode, or why to take none. It is pure Go (no AWS SDK): the responder
// function (cmd/responder) and `trailguard respond --dry-run` run the same decisions, and
// only the function goes on to read the resource's current state and act (package
// internal/respond/execute).
//
// A decision never trusts the event alone to act: it names the resource and what the event
// did to it; the executor re-reads the resource and acts only if it is still wrong (events
// arrive late and out of order).
package respond

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/trailguard/trailguard/config"
	"github.com/trailguard/trailguard/detect"
	"github.com/trailguard/trailguard/internal/policy"
	"github.com/trailguard/trailguard/internal/respond/action"
)

// Environment variables of the responder function (set by constructs/responder, read by
// cmd/responder). Its response config is a file bundled with its code (ConfigFile), not a
// variable: Lambda allows 4 KB of environment in all, and exemption lists grow.
const (
	// EnvTable is the responder table (the rate limits' ledger); without it the counts are
	// kept in memory, per function instance.
	EnvTable = "TRAILGUARD_RESPONDER_TABLE"
	// EnvPartition is the AWS partition of the role ARNs. Default: aws.
	EnvPartition = "TRAILGUARD_PARTITION"
)

// RoleName is the name of the role the responder assumes in every account. Its own calls are
// never responded to.
const RoleName = "trailguard-responder"

// Kinds of targets.
const (
	KindBucket        = "s3-bucket"
	KindAccountS3     = "s3-account-public-access-block"
	KindSecurityGroup = "ec2-security-group"
	KindTrail         = "cloudtrail-trail"
	KindAccessKey     = "iam-access-key"
	// KindTrailConfig is a trail's configuration (settings, event and Insights selectors).
	KindTrailConfig = "cloudtrail-trail-configuration"
	// KindRule is an EventBridge rule of the default event bus.
	KindRule = "events-rule"
)

// Target is the resource an action acts on, as the event names it.
type Target struct {
	// Kind is one of the Kind* constants.
	Kind string `json:"kind"`
	// Account and Region are where the resource lives.
	Account string `json:"account"`
	Region  string `json:"region"`
	// Bucket is the bucket's name (KindBucket).
	Bucket string `json:"bucket,omitempty"`
	// GroupID and Rules: the security group and the ingress rules the event added that admit
	// the internet on an administrative port (KindSecurityGroup).
	GroupID string        `json:"groupId,omitempty"`
	Rules   []IngressRule `json:"rules,omitempty"`
	// Trail is the trail's name or ARN, as the event gives it (KindTrail).
	Trail string `json:"trail,omitempty"`
	// Rule is the rule's name (KindRule).
	Rule string `json:"rule,omitempty"`
	// UserName and AccessKeyID name the key (KindAccessKey).
	UserName    string `json:"userName,omitempty"`
	AccessKeyID string `json:"accessKeyId,omitempty"`
}

// IngressRule is one security group rule the event added.
type IngressRule struct {
	// ID is the security group rule's id (sgr-...), from the response: revoking by id
	// revokes exactly that rule. Empty when the record carries no rule ids (a record without
	// responseElements.securityGroupRuleSet): the responder then finds the rule by exactly
	// these properties (DescribeSecurityGroupRules) and revokes it by the id it read.
	ID       string `json:"id"`
	Protocol string `json:"protocol"`
	FromPort int    `json:"fromPort"`
	ToPort   int    `json:"toPort"`
	CIDR     string `json:"cidr"`
}

// String names the target for people and for the rate limits' keys.
func (t Target) String() string {
	switch t.Kind {
	case KindBucket:
		return "bucket " + t.Bucket
	case KindAccountS3:
		return "account " + t.Account + " Block Public Access"
	case KindSecurityGroup:
		ids := make([]string, len(t.Rules))
		for i, r := range t.Rules {
			ids[i] = r.ID
			switch {
			case r.ID == "" && r.Protocol == "-1":
				ids[i] = "all traffic from " + r.CIDR
			case r.ID == "":
				ids[i] = fmt.Sprintf("%s %d-%d from %s", r.Protocol, r.FromPort, r.ToPort, r.CIDR)
			}
		}
		return "security group " + t.GroupID + " rules " + strings.Join(ids, ",")
	case KindTrail:
		return "trail " + t.Trail
	case KindTrailConfig:
		return "the configuration of trail " + t.Trail
	case KindRule:
		return "rule " + t.Rule + " in " + t.Region
	case KindAccessKey:
		return "access key " + t.AccessKeyID + " of user " + t.UserName
	}
	return t.Kind
}

// Key identifies the resource for the rate limits: the same resource gives the same key
// whichever event named it.
func (t Target) Key() string {
	switch t.Kind {
	case KindBucket:
		return "s3/" + t.Bucket
	case KindSecurityGroup:
		return t.Account + "/" + t.Region + "/ec2/" + t.GroupID
	case KindTrail, KindTrailConfig:
		return t.Account + "/" + t.Region + "/cloudtrail/" + t.Trail
	case KindRule:
		return t.Account + "/" + t.Region + "/events/" + t.Rule
	case KindAccessKey:
		return t.Account + "/iam/" + t.AccessKeyID
	}
	return t.Account + "/" + t.Kind
}

// Decision is what the engine decided for one alert.
type Decision struct {
	// AlertID is the alert's ID (its dedupe key); Rule, EventID, EventName and Principal
	// are the alert's.
	AlertID   string `json:"alertId"`
	Rule      string `json:"rule"`
	EventID   string `json:"eventId"`
	EventName string `json:"eventName"`
	Principal string `json:"principal"`
	// Action is the rule's action, "" when the rule has none.
	Action string `json:"action,omitempty"`
	// Mode is the action's mode in the config: off, dry-run or enforce.
	Mode string `json:"mode,omitempty"`
	// Act: the responder reads the target's current state and, if it is still wrong, acts
	// (enforce) or reports what it would do (dry-run). Otherwise the decision is a skip.
	Act bool `json:"act"`
	// Target is the resource, when the event names one.
	Target *Target `json:"target,omitempty"`
	// Skip, for a decision not to act, says which kind of skip it is (Skip* constants).
	Skip string `json:"skip,omitempty"`
	// Reason says why the decision is what it is.
	Reason string `json:"reason"`
}

// Kinds of skips.
const (
	// SkipNoResponse: the rule carries no response.
	SkipNoResponse = "no-response"
	// SkipOff: the action is off in the config.
	SkipOff = "off"
	// SkipThreshold: a threshold alert names no one resource.
	SkipThreshold = "threshold"
	// SkipFailedCall: the call failed and changed nothing.
	SkipFailedCall = "failed-call"
	// SkipOwnCall: the call is the responder's own (loop protection).
	SkipOwnCall = "own-call"
	// SkipNoTarget: the event names nothing the action can restore.
	SkipNoTarget = "no-target"
	// SkipExempt: the resource or its account is exempt in the config.
	SkipExempt = "exempt"
	// SkipDeployment: a trailguard deployment made the change (CloudFormation acting for one
	// of deployment.deployers), and the action would put the resource back to a deployment's
	// definition: a restoring action never reverses a deployment.
	SkipDeployment = "deployment"
)

// Audited reports whether the decision gets an audit alert of its own: every decision to act
// (whatever the executor then finds), and every skip a person must be able to see later, the
// exemptions (a resource left public on purpose is a decision someone made) and a deployment's
// change left alone (a trail re-scoped by a deployment is still a change to trace). The other
// skips are only logged: an action turned off, an event that names nothing to restore, a
// failed call, and the responder's own calls (an alert for each would be the loop the
// protection prevents).
func (d Decision) Audited() bool {
	return d.Act || d.Skip == SkipExempt || d.Skip == SkipDeployment
}

// Caller is what a decision knows of who made the call beyond the record itself: the
// detection engine's judgement of it under the organization context (Decider fills it in).
type Caller struct {
	// Deployment: CloudFormation acting for one of deployment.deployers, the rules'
	// actor.deployment (detect.Engine.Deployment).
	Deployment bool
}

// Policy is what decisions depend on besides the alert: the config's response settings.
type Policy struct {
	// Response is the config's response section (modes, exemptions, limits).
	Response config.Response
	// Partition is the AWS partition, for matching bucket ARNs. Default: aws.
	Partition string
}

// NewPolicy returns the policy of a loaded config.
func NewPolicy(c *config.Config) *Policy {
	return &Policy{Response: c.Response, Partition: c.Partition()}
}

// Decide decides the response to an alert of rule, whose record is rec, made by caller. The
// decision is the same wherever it runs: it reads nothing but its arguments.
func (p *Policy) Decide(rule *detect.Rule, a *detect.Alert, rec *detect.Record, caller Caller) Decision {
	d := Decision{AlertID: a.DedupeKey, Rule: a.Rule, EventID: a.EventID, EventName: a.EventName, Principal: a.Principal}
	skip := func(kind, format string, args ...any) Decision {
		d.Skip, d.Reason = kind, fmt.Sprintf(format, args...)
		return d
	}
	if rule == nil || rule.Response == nil {
		return skip(SkipNoResponse, "rule %s has no response", a.Rule)
	}
	d.Action = rule.Response.Action
	d.Mode = p.Response.ActionMode(d.Action)
	if d.Mode == config.ResponseOff {
		return skip(SkipOff, "%s is off (response.actions.%s.mode)", d.Action, d.Action)
	}
	if a.Threshold != nil {
		return skip(SkipThreshold, "a threshold alert stands for many records; a response acts on the one resource a record names")
	}
	if a.ErrorCode != "" {
		return skip(SkipFailedCall, "the call failed (%s): it changed nothing", a.ErrorCode)
	}
	// Loop protection: the responder's own calls (its role in any account) are never
	// responded to, whatever they look like.
	if rec.Role() == RoleName {
		return skip(SkipOwnCall, "the call is the responder's own (role %s)", RoleName)
	}
	t, why := target(d.Action, rec, rule.Response.Params)
	if t == nil {
		return skip(SkipNoTarget, "%s", why)
	}
	d.Target = t
	// A restoring action puts a resource back to a deployment's definition: the change a
	// deployment made is the definition (an older or rolled-back deployment, or a member
	// stack deployed before the Security stack's definitions were updated), and reversing it
	// would fight the deployment pipeline until the circuit breaker trips. Deployment needs
	// CloudFormation acting for a deployer's role, which the guardrails keep from anyone else
	// (docs/response.md).
	if spec, _ := action.Lookup(d.Action); spec.RestoresDeployed && caller.Deployment {
		return skip(SkipDeployment, "%s was made by a trailguard deployment (CloudFormation acting for deployer role %s): %s never reverses a deployment's change, left alone; to change %s, deploy trailguard's stacks", d.EventName, rec.Role(), d.Action, t)
	}
	if slices.Contains(p.Response.Exemptions.Accounts, t.Account) {
		return skip(SkipExempt, "account %s is exempt (response.exemptions.accounts)", t.Account)
	}
	switch t.Kind {
	case KindBucket:
		if pat, ok := p.bucketExempt(t.Bucket); ok {
			return skip(SkipExempt, "bucket %s is exempt (response.exemptions.buckets: %s)", t.Bucket, pat)
		}
	case KindSecurityGroup:
		if slices.Contains(p.Response.Exemptions.SecurityGroups, t.GroupID) {
			return skip(SkipExempt, "security group %s is exempt (response.exemptions.securityGroups)", t.GroupID)
		}
	}
	d.Act = true
	d.Reason = why
	return d
}

// bucketExempt returns the exemption pattern bucket matches.
func (p *Policy) bucketExempt(bucket string) (string, bool) {
	partition := p.Partition
	if partition == "" {
		partition = "aws"
	}
	arn := "arn:" + partition + ":s3:::" + bucket
	for _, pat := range p.Response.Exemptions.Buckets {
		if policy.Glob(pat, bucket) || policy.Glob(pat, arn) {
			return pat, true
		}
	}
	return "", false
}

// target reads the resource the action acts on from the record, with why it acts; nil and
// why not when the record names none the action can restore.
func target(name string, rec *detect.Record, params map[string]any) (*Target, string) {
	rp, _ := rec.Fields["requestParameters"].(map[string]any)
	re, _ := rec.Fields["responseElements"].(map[string]any)
	t := &Target{Account: rec.AccountID(), Region: rec.Region()}
	event := rec.EventName()
	switch name {
	case action.S3BlockPublicAccess:
		switch event {
		case "DeleteAccountPublicAccessBlock", "PutAccountPublicAccessBlock":
			t.Kind = KindAccountS3
			return t, fmt.Sprintf("%s removed or weakened the account's Block Public Access: restore all four settings for account %s", event, t.Account)
		}
		b, _ := rp["bucketName"].(string)
		if b == "" {
			return nil, fmt.Sprintf("%s names no bucket (requestParameters.bucketName)", event)
		}
		t.Kind, t.Bucket = KindBucket, b
		return t, fmt.Sprintf("%s made bucket %s public: turn on its Block Public Access (the policy and ACLs are left as they are, and reported)", event, b)
	case action.EC2RevokeOpenIngress:
		return securityGroupTarget(t, rec, rp, re, action.Ports(params))
	case action.CloudTrailStartLogging:
		if event != "StopLogging" {
			return nil, fmt.Sprintf("%s cannot be undone by starting logging: a deleted trail or event data store must be re-created (redeploy trailguard's stacks)", event)
		}
		name, _ := rp["name"].(string)
		if name == "" {
			return nil, "StopLogging names no trail (requestParameters.name)"
		}
		t.Kind, t.Trail = KindTrail, name
		return t, fmt.Sprintf("StopLogging stopped trail %s: start logging again", name)
	case action.CloudTrailRestoreTrail:
		// UpdateTrail names the trail "name"; the selectors' calls "trailName"
		// (https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_PutEventSelectors.html).
		var name string
		switch event {
		case "UpdateTrail":
			name, _ = rp["name"].(string)
		case "PutEventSelectors", "PutInsightSelectors":
			name, _ = rp["trailName"].(string)
		default:
			return nil, fmt.Sprintf("%s is not a change of a trail's configuration that can be restored (an event data store is out of scope)", event)
		}
		if name == "" {
			return nil, fmt.Sprintf("%s names no trail", event)
		}
		t.Kind, t.Trail = KindTrailConfig, name
		return t, fmt.Sprintf("%s changed trail %s: put it back to its configuration as deployed, if it is one of trailguard's", event, name)
	case action.EventsRestoreForwarderRule:
		var name, bus string
		switch event {
		case "DisableRule", "DeleteRule", "PutRule":
			name, bus = str(rp["name"]), str(rp["eventBusName"])
		case "RemoveTargets", "PutTargets":
			name, bus = str(rp["rule"]), str(rp["eventBusName"])
		default:
			return nil, fmt.Sprintf("%s is not a change of a rule", event)
		}
		if name == "" {
			return nil, fmt.Sprintf("%s names no rule", event)
		}
		// The forwarders' rules are on the default bus; a bus may be named by name or ARN.
		if bus != "" && bus != "default" && !strings.HasSuffix(bus, ":event-bus/default") {
			return nil, fmt.Sprintf("rule %s is on event bus %s: the forwarders' rules are on the default bus", name, bus)
		}
		t.Kind, t.Rule = KindRule, name
		return t, fmt.Sprintf("%s changed rule %s: restore it as deployed (enabled, its pattern and targets), if it is a trailguard forwarder rule", event, name)
	case action.IAMDeactivateAccessKey:
		user, _ := rp["userName"].(string)
		key, _ := re["accessKey"].(map[string]any)
		id, _ := key["accessKeyId"].(string)
		if user == "" || id == "" {
			return nil, "CreateAccessKey names no user or key (requestParameters.userName, responseElements.accessKey.accessKeyId)"
		}
		t.Kind, t.UserName, t.AccessKeyID = KindAccessKey, user, id
		return t, fmt.Sprintf("%s created access key %s for another user, %s: deactivate it (not delete)", rec.Principal(), id, user)
	}
	return nil, fmt.Sprintf("action %s is not implemented", name)
}

// securityGroupTarget finds the ingress rules the event added that admit the internet on an
// administrative port. AuthorizeSecurityGroupIngress returns each rule it added, with its
// id, in responseElements.securityGroupRuleSet
// (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_AuthorizeSecurityGroupIngress.html);
// ModifySecurityGroupRules names the rule it changed and its new form.
func securityGroupTarget(t *Target, rec *detect.Record, rp, re map[string]any, ports []int) (*Target, string) {
	var rules []IngressRule
	switch rec.EventName() {
	case "AuthorizeSecurityGroupIngress":
		t.GroupID, _ = rp["groupId"].(string)
		set, _ := re["securityGroupRuleSet"].(map[string]any)
		items, _ := set["items"].([]any)
		for _, it := range items {
			m, _ := it.(map[string]any)
			if b, _ := m["isEgress"].(bool); b {
				continue
			}
			r := IngressRule{ID: str(m["securityGroupRuleId"]), Protocol: str(m["ipProtocol"]), FromPort: num(m["fromPort"]), ToPort: num(m["toPort"])}
			if g := str(m["groupId"]); g != "" {
				t.GroupID = g
			}
			r.CIDR = str(m["cidrIpv4"])
			if r.CIDR == "" {
				r.CIDR = str(m["cidrIpv6"])
			}
			rules = append(rules, r)
		}
		if len(items) == 0 {
			// No rule ids in the record: the rules the request asked for, without ids, to be
			// found by their properties.
			rules = requestedRules(rp)
		}
	case "ModifySecurityGroupRules":
		req, _ := rp["ModifySecurityGroupRulesRequest"].(map[string]any)
		t.GroupID = str(req["GroupId"])
		for _, e := range asList(req["SecurityGroupRule"]) {
			m, _ := e.(map[string]any)
			spec, _ := m["SecurityGroupRule"].(map[string]any)
			r := IngressRule{ID: str(m["SecurityGroupRuleId"]), Protocol: str(spec["IpProtocol"]), FromPort: num(spec["FromPort"]), ToPort: num(spec["ToPort"])}
			r.CIDR = str(spec["CidrIpv4"])
			if r.CIDR == "" {
				r.CIDR = str(spec["CidrIpv6"])
			}
			rules = append(rules, r)
		}
	}
	if t.GroupID == "" {
		return nil, rec.EventName() + " names no security group"
	}
	var open []IngressRule
	var cidrs []string
	for _, r := range rules {
		if r.CIDR != "" && r.admin(ports) {
			open, cidrs = append(open, r), append(cidrs, r.CIDR)
		}
	}
	if len(open) == 0 || !policy.OpensInternet(cidrs) {
		return nil, fmt.Sprintf("%s added no rule that admits the internet on an administrative port %v", rec.EventName(), ports)
	}
	t.Kind, t.Rules = KindSecurityGroup, open
	how := ""
	if open[0].ID == "" {
		how = " (the record names no rule ids: each is found by exactly its properties, read-only, and revoked by the id read)"
	}
	return t, fmt.Sprintf("%s opened security group %s to the internet on an administrative port: revoke exactly the %d rule(s) it added%s", rec.EventName(), t.GroupID, len(open), how)
}

// admin reports whether the rule admits one of ports: all protocols, or TCP/UDP over a range
// holding one of them.
// requestedRules are the ingress rules an AuthorizeSecurityGroupIngress request asked for: one
// per address range of each permission (ipPermissions), or the legacy single rule (ipProtocol,
// fromPort, toPort, cidrIp). A rule of all protocols has ports -1, as EC2 describes it.
func requestedRules(rp map[string]any) []IngressRule {
	rule := func(m map[string]any) IngressRule {
		r := IngressRule{Protocol: str(m["ipProtocol"]), FromPort: -1, ToPort: -1}
		if _, ok := m["fromPort"]; ok && r.Protocol != "-1" {
			r.FromPort, r.ToPort = num(m["fromPort"]), num(m["toPort"])
		}
		return r
	}
	var out []IngressRule
	if c := str(rp["cidrIp"]); c != "" {
		r := rule(rp)
		r.CIDR = c
		return append(out, r)
	}
	perms, _ := rp["ipPermissions"].(map[string]any)
	for _, p := range asList(perms["items"]) {
		m, _ := p.(map[string]any)
		for _, ranges := range []struct{ list, key string }{{"ipRanges", "cidrIp"}, {"ipv6Ranges", "cidrIpv6"}} {
			l, _ := m[ranges.list].(map[string]any)
			for _, it := range asList(l["items"]) {
				rg, _ := it.(map[string]any)
				r := rule(m)
				r.CIDR = str(rg[ranges.key])
				out = append(out, r)
			}
		}
	}
	return out
}

func (r IngressRule) admin(ports []int) bool {
	switch strings.ToLower(r.Protocol) {
	case "-1", "all":
		return true
	case "tcp", "udp", "6", "17":
	default:
		return false
	}
	if r.FromPort == -1 || r.ToPort == -1 {
		return true
	}
	for _, p := range ports {
		if r.FromPort <= p && p <= r.ToPort {
			return true
		}
	}
	return false
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// num reads a port: CloudTrail writes numbers, sometimes as strings.
func num(v any) int {
	switch x := v.(type) {
	case float64:
		return int(x)
	case string:
		if n, err := strconv.Atoi(x); err == nil {
			return n
		}
	}
	return -1
}

func asList(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	if v != nil {
		return []any{v}
	}
	return nil
}

// Counts are the actions the responder took in the last hour (enforced, not dry-run), on the
// decision's resource and in its account.
type Counts struct {
	Resource, Account int
}

// Throttle applies the rate limit and circuit breaker to an enforce decision: when its
// resource or account already took the configured number of actions in the last hour, it is
// switched to dry-run, and tripped says so (the responder raises an alert, naming the
// CloudFormation stack that keeps changing the resource, if any).
func (p *Policy) Throttle(d Decision, c Counts) (out Decision, tripped bool) {
	if !d.Act || d.Mode != config.ResponseEnforce {
		return d, false
	}
	r := p.Response
	switch {
	case r.MaxActionsPerResource > 0 && c.Resource >= r.MaxActionsPerResource:
		d.Reason = fmt.Sprintf("circuit breaker: %s already took %d actions in the last hour (response.maxActionsPerResource: %d); switched to dry-run. %s", d.Target, c.Resource, r.MaxActionsPerResource, d.Reason)
	case r.MaxActionsPerAccount > 0 && c.Account >= r.MaxActionsPerAccount:
		d.Reason = fmt.Sprintf("circuit breaker: account %s already took %d actions in the last hour (response.maxActionsPerAccount: %d); switched to dry-run. %s", d.Target.Account, c.Account, r.MaxActionsPerAccount, d.Reason)
	default:
		return d, false
	}
	d.Mode = config.ResponseDryRun
	return d, true
}

// Decider decides the responses to alerts of an engine's rules: the responder function and
// `trailguard respond --dry-run` both decide through it, from the alert alone.
type Decider struct {
	policy *Policy
	rules  map[string]*detect.Rule
	// engine judges who made a call (Caller) under the organization context the alerts were
	// made with.
	engine *detect.Engine
}

// NewDecider returns a Decider for the rules of engine under policy. The engine's
// organization context (its deployers) must be the one the alerts were detected with: it
// says which calls were deployments.
func NewDecider(engine *detect.Engine, policy *Policy) *Decider {
	rules := map[string]*detect.Rule{}
	for _, r := range engine.Rules() {
		rules[r.ID] = r
	}
	return &Decider{policy: policy, rules: rules, engine: engine}
}

// HasResponse reports whether the alert's rule carries a response: only those alerts are
// sent to the responder.
func (d *Decider) HasResponse(a *detect.Alert) bool {
	r := d.rules[a.Rule]
	return r != nil && r.Response != nil
}

// Policy returns the decider's policy.
func (d *Decider) Policy() *Policy { return d.policy }

// Decide decides the response to a: the rule is looked up by its id in the decider's rules
// (an alert cannot choose its own action), the record is the alert's, and who made the call
// (Caller) is judged from the record by the decider's engine, not read from the alert.
func (d *Decider) Decide(a *detect.Alert) (Decision, error) {
	rec, err := detect.ParseRecord(a.Record)
	if err != nil {
		return Decision{}, fmt.Errorf("alert %s: its record: %w", a.DedupeKey, err)
	}
	return d.policy.Decide(d.rules[a.Rule], a, rec, Caller{Deployment: d.engine.Deployment(rec)}), nil
}
