package test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/trailguard/trailguard/config"
	"github.com/trailguard/trailguard/constructs/accounttrail"
	"github.com/trailguard/trailguard/constructs/archivequery"
	"github.com/trailguard/trailguard/constructs/detection"
	"github.com/trailguard/trailguard/constructs/eventforwarder"
	"github.com/trailguard/trailguard/constructs/guardrails"
	"github.com/trailguard/trailguard/constructs/historyreader"
	"github.com/trailguard/trailguard/constructs/responder"
	"github.com/trailguard/trailguard/constructs/responderrole"
	"github.com/trailguard/trailguard/internal/respond"
)

// orgModel is an organization deployed as a synthesized app describes it: every stack
// rendered for its account and region, and the policies in force, by the resource or
// principal they belong to.
type orgModel struct {
	cfg    *config.Config
	mode   string
	stacks []*renderedStack
	// scps are the service control policies the Management stack attaches to the root.
	scps []policy
	// resourcePolicies are bucket, queue, topic, bus, stream and key policies by resource ARN.
	resourcePolicies map[string]policy
	// trust are the roles' trust policies by role ARN.
	trust map[string]policy
	// identity are the roles' identity policies by role ARN.
	identity map[string][]policy
	// rendered are every rendered resource by ARN.
	rendered map[string]*renderedResource
	// members are the member accounts the model deploys to.
	members []string
}

// newOrgModel renders the templates of s (a synthesized example app) for the accounts and
// regions they deploy to, and collects their policies.
func newOrgModel(t *testing.T, s *synthesized) *orgModel {
	t.Helper()
	cfg := s.cfg
	o := &orgModel{cfg: cfg, mode: cfg.Deployment.Mode, resourcePolicies: map[string]policy{}, trust: map[string]policy{}, identity: map[string][]policy{}, rendered: map[string]*renderedResource{}}
	p := cfg.Partition()
	// Every synthesized stack, at the account and region it deploys to: a stack added later is
	// rendered (and its resources tried) without editing this test.
	envs := map[string]env{}
	for _, st := range s.stacks.All() {
		envs[*st.StackName()] = env{*st.Account(), *st.Region(), p}
	}
	for _, r := range s.stacks.Replicas {
		envs[r.StackName] = env{r.Member.ID, r.Region, p}
	}
	var mgmt *renderedStack
	for _, name := range keys(s.templates) {
		e, ok := envs[name]
		if !ok || strings.HasPrefix(e.account, "${") || strings.HasPrefix(e.region, "${") {
			t.Fatalf("stack %s has no concrete account and region: the simulation cannot render it", name)
		}
		rs := o.add(t, name, s.templates[name], e)
		if name == cfg.ManagementStackName() {
			mgmt = rs
		}
	}
	for _, m := range cfg.Members {
		o.members = append(o.members, m.ID)
	}
	if mgmt == nil {
		t.Fatalf("no %s stack", cfg.ManagementStackName())
	}
	switch cfg.Deployment.Mode {
	case config.ModeStackSet:
		// The StackSet deploys its template to every account of the OUs, the configured
		// members and an account that joins later alike, in every region.
		ss := mgmt.ofType("AWS::CloudFormation::StackSet")
		if len(ss) != 1 {
			t.Fatalf("stackset mode: %d StackSets in the Management stack, want 1", len(ss))
		}
		if ss[0].props["TemplateBody"] == nil {
			t.Fatal("the StackSet's template is an asset (TemplateURL): teach the simulation to read it from the template app's output")
		}
		var body template
		if err := json.Unmarshal([]byte(fmt.Sprint(ss[0].props["TemplateBody"])), &body); err != nil {
			t.Fatalf("StackSet TemplateBody: %v", err)
		}
		accounts := append([]string{newAccount}, o.members...)
		o.members = accounts
		for _, a := range accounts {
			for _, region := range asList(ss[0].props["StackInstancesGroup"].([]any)[0].(map[string]any)["Regions"]) {
				r := fmt.Sprint(region)
				o.add(t, fmt.Sprintf("StackSet-%s-0a1b2c3d-%s", ss[0].name, r), body, env{a, r, p})
			}
		}
	}
	for _, r := range mgmt.ofType("AWS::Organizations::Policy") { // in logical id order
		if r.props["Type"] != "SERVICE_CONTROL_POLICY" {
			continue
		}
		for _, target := range strs(r.props["TargetIds"]) {
			if !strings.HasPrefix(target, "r-") {
				t.Fatalf("the SCP %s targets %s: the simulation models SCPs on the organization root only", r.id, target)
			}
		}
		o.scps = append(o.scps, r.props["Content"].(map[string]any))
	}
	if len(o.scps) == 0 && cfg.GuardrailsEnabled() {
		t.Fatal("no service control policy in the Management stack")
	}
	return o
}

// newAccount is an account that joins the organization after trailguard was deployed.
const newAccount = "555555555555"

// add renders one stack and collects its policies.
func (o *orgModel) add(t *testing.T, name string, tmpl template, e env) *renderedStack {
	t.Helper()
	s := renderStack(t, name, tmpl, e)
	o.stacks = append(o.stacks, s)
	byRef := map[string]*renderedResource{}
	for _, r := range s.resources {
		byRef[r.ref] = r
		if r.arn != "" {
			o.rendered[r.arn] = r
		}
	}
	addStatements := func(arn string, doc any) {
		p, ok := o.resourcePolicies[arn]
		if !ok {
			p = policy{"Version": "2012-10-17", "Statement": []any{}}
			o.resourcePolicies[arn] = p
		}
		p["Statement"] = append(p["Statement"].([]any), asList(get(doc, "Statement"))...)
	}
	for _, id := range keys(s.resources) {
		r := s.resources[id]
		switch r.typ {
		case "AWS::S3::BucketPolicy":
			addStatements("arn:"+e.partition+":s3:::"+fmt.Sprint(r.props["Bucket"]), r.props["PolicyDocument"])
		case "AWS::SQS::QueuePolicy":
			for _, q := range asList(r.props["Queues"]) {
				addStatements(byRef[fmt.Sprint(q)].arn, r.props["PolicyDocument"])
			}
		case "AWS::SNS::TopicPolicy":
			for _, topic := range asList(r.props["Topics"]) {
				addStatements(fmt.Sprint(topic), r.props["PolicyDocument"])
			}
		case "AWS::Events::EventBusPolicy":
			bus := fmt.Sprintf("arn:%s:events:%s:%s:event-bus/%s", e.partition, e.region, e.account, r.props["EventBusName"])
			st := r.props["Statement"]
			if st == nil {
				st = map[string]any{"Sid": r.props["StatementId"], "Effect": "Allow", "Action": r.props["Action"], "Principal": r.props["Principal"], "Resource": bus, "Condition": r.props["Condition"]}
			}
			addStatements(bus, map[string]any{"Statement": st})
		case "AWS::Events::EventBus":
			if doc := r.props["Policy"]; doc != nil {
				addStatements(r.arn, doc)
			}
		case "AWS::Kinesis::ResourcePolicy":
			doc := r.props["ResourcePolicy"]
			if str, ok := doc.(string); ok {
				if err := json.Unmarshal([]byte(str), &doc); err != nil {
					t.Fatalf("%s: %v", id, err)
				}
			}
			addStatements(fmt.Sprint(r.props["ResourceArn"]), doc)
		case "AWS::KMS::Key":
			addStatements(r.arn, r.props["KeyPolicy"])
		case "AWS::IAM::Role":
			o.trust[r.arn] = r.props["AssumeRolePolicyDocument"].(map[string]any)
			for _, inline := range asList(r.props["Policies"]) {
				o.identity[r.arn] = append(o.identity[r.arn], get(inline, "PolicyDocument").(map[string]any))
			}
			for _, arn := range asList(r.props["ManagedPolicyArns"]) {
				if mp, ok := byRef[fmt.Sprint(arn)]; ok {
					o.identity[r.arn] = append(o.identity[r.arn], mp.props["PolicyDocument"].(map[string]any))
				} else {
					t.Fatalf("%s/%s: managed policy %v is not in the stack: the simulation cannot know what it grants", name, id, arn)
				}
			}
		case "AWS::IAM::ManagedPolicy", "AWS::IAM::Policy":
			for _, role := range asList(r.props["Roles"]) {
				arn := fmt.Sprintf("arn:%s:iam::%s:role/%s", e.partition, e.account, role)
				o.identity[arn] = append(o.identity[arn], r.props["PolicyDocument"].(map[string]any))
			}
		}
	}
	return s
}

// principal is who makes a request.
type principal struct {
	arn     string // role ARN, or a service principal
	account string // "" for a service principal
	orgID   string // the principal's organization, "" if none
	// identity are its identity policies.
	identity []policy
}

// admin is an account administrator (identity policy *:*) of account in the organization.
func (o *orgModel) admin(account string) principal {
	return principal{arn: fmt.Sprintf("arn:%s:iam::%s:role/Admin", o.cfg.Partition(), account), account: account, orgID: o.cfg.Organization.ID, identity: []policy{allowAll}}
}

// role is a role the templates create (with the identity policies they attach to it).
func (o *orgModel) role(arn string) principal {
	account := strings.Split(arn, ":")[4]
	return principal{arn: arn, account: account, orgID: o.cfg.Organization.ID, identity: o.identity[arn]}
}

// service is an AWS service principal.
func service(name string) principal { return principal{arn: name} }

// fullAccess is the AWS-managed FullAWSAccess SCP every root, OU and account has by default.
var fullAccess = policy{"Version": "2012-10-17", "Statement": []any{map[string]any{"Effect": "Allow", "Action": "*", "Resource": "*"}}}

// scenario is one request and its expected outcome.
type scenario struct {
	name     string
	who      principal
	action   string
	resource string // ARN; "*" where IAM authorizes the action on "*"
	account  string // the resource's account
	context  map[string]any
	allowed  bool
	// policy is the resource policy in force; nil takes the one the templates define for the
	// resource (bucket, queue, topic, bus, stream, key, or a role's trust policy).
	policy policy
}

// simulation turns a scenario into the engine's input: the principal's identity policies, the
// SCPs on its account (none for the management account and service principals), the resource
// policy, and the request context IAM would build.
func (o *orgModel) simulation(sc scenario) any {
	region := o.cfg.HomeRegion
	if parts := strings.Split(sc.resource, ":"); len(parts) > 3 && parts[3] != "" {
		region = parts[3] // the resource's region; global services (IAM, S3) keep the home region
	}
	ctx := map[string]any{"aws:SecureTransport": "true", "aws:RequestedRegion": region}
	if sc.account != "" {
		ctx["aws:ResourceAccount"] = sc.account
		if o.inOrg(sc.account) {
			ctx["aws:ResourceOrgID"] = o.cfg.Organization.ID
		}
	}
	var scps []any
	if sc.who.account != "" {
		ctx["aws:PrincipalArn"] = sc.who.arn
		ctx["aws:PrincipalAccount"] = sc.who.account
		ctx["aws:PrincipalType"] = "AssumedRole"
		if sc.who.orgID != "" {
			ctx["aws:PrincipalOrgID"] = sc.who.orgID
		}
		if sc.who.orgID == o.cfg.Organization.ID && sc.who.account != o.cfg.Organization.ManagementAccount {
			root := []any{map[string]any{"name": "FullAWSAccess", "policy": fullAccess}}
			for i, doc := range o.scps {
				root = append(root, map[string]any{"name": fmt.Sprintf("trailguard-%d", i), "policy": doc})
			}
			scps = []any{
				map[string]any{"orgIdentifier": "r-root", "policies": root},
				map[string]any{"orgIdentifier": sc.who.account, "policies": []any{map[string]any{"name": "FullAWSAccess", "policy": fullAccess}}},
			}
		}
	}
	if sc.who.account == "" {
		ctx["aws:PrincipalIsAWSService"] = "true"
		ctx["aws:PrincipalServiceName"] = sc.who.arn
	} else {
		ctx["aws:PrincipalIsAWSService"] = "false"
	}
	if r, ok := o.rendered[sc.resource]; ok {
		for k, v := range r.tags {
			ctx["aws:ResourceTag/"+k] = v
		}
	}
	for k, v := range sc.context {
		ctx[k] = v
	}
	rp := sc.policy
	if rp == nil {
		rp = o.resourcePolicyFor(sc.action, sc.resource)
	}
	identity := []any{}
	for i, doc := range sc.who.identity {
		identity = append(identity, map[string]any{"name": fmt.Sprintf("identity-%d", i), "policy": doc})
	}
	sim := map[string]any{
		"request": map[string]any{
			"principal":        sc.who.arn,
			"action":           sc.action,
			"resource":         map[string]any{"resource": sc.resource, "accountId": sc.account},
			"contextVariables": ctx,
		},
		"identityPolicies":        identity,
		"serviceControlPolicies":  orEmpty(scps),
		"resourceControlPolicies": []any{},
	}
	if rp != nil {
		sim["resourcePolicy"] = rp
	}
	return sim
}

func orEmpty(v []any) []any {
	if v == nil {
		return []any{}
	}
	return v
}

func (o *orgModel) inOrg(account string) bool {
	org := o.cfg.Organization
	if account == org.ManagementAccount || account == org.SecurityAccount {
		return true
	}
	for _, m := range o.members {
		if m == account {
			return true
		}
	}
	return false
}

// resourcePolicyFor is the resource-based policy IAM evaluates for action on arn.
func (o *orgModel) resourcePolicyFor(action, arn string) policy {
	svc := strings.SplitN(action, ":", 2)[0]
	switch svc {
	case "sts":
		if t, ok := o.trust[arn]; ok {
			return t
		}
		return nil
	case "s3":
		parts := strings.SplitN(strings.TrimPrefix(arn, "arn:"+o.cfg.Partition()+":s3:::"), "/", 2)
		return o.resourcePolicies["arn:"+o.cfg.Partition()+":s3:::"+parts[0]]
	case "kms", "sqs", "sns", "kinesis", "events":
		return o.resourcePolicies[arn]
	}
	return nil
}

// tamperPath is one way to silence or alter a logging resource: an action on it (or on an
// object in it), with the tag keys it removes, if any.
type tamperPath struct {
	action string
	object bool // on an object in the bucket, not the bucket
	untag  bool // removes the trailguard:managed-by tag
}

// tamperPaths are, per CloudFormation type, the actions that stop, delete, re-target or
// weaken a resource of that type. A template resource of a type neither here nor in
// protectedByParent fails the test, so a new kind of logging resource cannot be forgotten;
// a new resource of a known type is covered without editing the test.
var tamperPaths = map[string][]tamperPath{
	"AWS::CloudTrail::Trail": paths("cloudtrail:StopLogging", "cloudtrail:DeleteTrail", "cloudtrail:UpdateTrail", "cloudtrail:PutEventSelectors",
		"cloudtrail:PutInsightSelectors", "untag:cloudtrail:RemoveTags"),
	"AWS::S3::Bucket": paths("s3:DeleteBucket", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy", "s3:PutBucketVersioning", "s3:PutLifecycleConfiguration",
		"s3:PutEncryptionConfiguration", "s3:PutBucketPublicAccessBlock", "s3:PutBucketObjectLockConfiguration", "s3:PutBucketLogging", "s3:PutBucketAcl",
		"s3:PutBucketOwnershipControls", "s3:PutReplicationConfiguration", "s3:PutBucketTagging",
		"object:s3:DeleteObject", "object:s3:DeleteObjectVersion", "object:s3:PutObjectRetention", "object:s3:PutObjectLegalHold", "object:s3:BypassGovernanceRetention"),
	"AWS::Events::Rule": paths("events:DeleteRule", "events:DisableRule", "events:PutRule", "events:PutTargets", "events:RemoveTargets", "untag:events:UntagResource"),
	"AWS::Events::EventBus": paths("events:DeleteEventBus", "events:UpdateEventBus", "events:PutPermission", "events:RemovePermission",
		"untag:events:UntagResource"),
	"AWS::IAM::Role": paths("iam:PassRole", "iam:DeleteRole", "iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:AttachRolePolicy", "iam:DetachRolePolicy",
		"iam:UpdateAssumeRolePolicy", "iam:PutRolePermissionsBoundary", "iam:DeleteRolePermissionsBoundary", "iam:UpdateRole", "untag:iam:UntagRole"),
	"AWS::IAM::ManagedPolicy": paths("iam:CreatePolicyVersion", "iam:DeletePolicy", "iam:DeletePolicyVersion", "iam:SetDefaultPolicyVersion"),
	"AWS::Kinesis::Stream": paths("kinesis:DeleteStream", "kinesis:DecreaseStreamRetentionPeriod", "kinesis:StopStreamEncryption", "kinesis:UpdateStreamMode",
		"kinesis:UpdateShardCount", "kinesis:MergeShards", "kinesis:UpdateMaxRecordSize", "kinesis:PutResourcePolicy", "kinesis:DeleteResourcePolicy",
		"untag:kinesis:RemoveTagsFromStream"),
	// Aliases are changed by actions IAM authorizes on the alias and on its key: the key's tag
	// protects them.
	"AWS::KMS::Key": paths("kms:DisableKey", "kms:ScheduleKeyDeletion", "kms:PutKeyPolicy", "kms:DisableKeyRotation", "kms:DeleteAlias", "kms:UpdateAlias",
		"untag:kms:UntagResource"),
	"AWS::SQS::Queue":        paths("sqs:DeleteQueue", "sqs:PurgeQueue", "sqs:SetQueueAttributes", "sqs:RemovePermission", "untag:sqs:UntagQueue"),
	"AWS::SNS::Topic":        paths("sns:DeleteTopic", "sns:SetTopicAttributes", "sns:RemovePermission", "untag:sns:UntagResource"),
	"AWS::CloudWatch::Alarm": paths("cloudwatch:DeleteAlarms", "cloudwatch:DisableAlarmActions", "cloudwatch:PutMetricAlarm", "untag:cloudwatch:UntagResource"),
	"AWS::Logs::LogGroup": paths("logs:DeleteLogGroup", "logs:PutRetentionPolicy", "logs:DeleteRetentionPolicy", "logs:DisassociateKmsKey",
		"logs:PutSubscriptionFilter", "logs:DeleteSubscriptionFilter", "untag:logs:UntagResource"),
	// A function deleted, replaced, throttled (reserved concurrency 0), re-configured, exposed
	// or untagged.
	"AWS::Lambda::Function": paths("lambda:DeleteFunction", "lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration", "lambda:PutFunctionConcurrency",
		"lambda:DeleteFunctionConcurrency", "lambda:AddPermission", "lambda:RemovePermission", "lambda:CreateFunctionUrlConfig", "lambda:UpdateFunctionUrlConfig",
		"lambda:PutFunctionEventInvokeConfig", "lambda:PutFunctionRecursionConfig", "lambda:PutRuntimeManagementConfig", "lambda:PutResourcePolicy", "untag:lambda:UntagResource"),
	// A mapping disabled, re-pointed or deleted: tried with lambda:FunctionArn, the function it
	// invokes (its ARN is a UUID).
	"AWS::Lambda::EventSourceMapping": paths("lambda:UpdateEventSourceMapping", "lambda:DeleteEventSourceMapping"),
	// A table deleted or its protection lifted; items written or deleted by anyone but the
	// detection functions (a pre-claimed dedupe key silences its alert).
	"AWS::DynamoDB::Table": paths("dynamodb:DeleteTable", "dynamodb:UpdateTable", "dynamodb:UpdateTimeToLive", "dynamodb:UpdateContinuousBackups",
		"dynamodb:PutResourcePolicy", "dynamodb:DeleteResourcePolicy", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem",
		"dynamodb:PartiQLInsert", "dynamodb:PartiQLDelete", "untag:dynamodb:UntagResource"),
	// A forwarder's heartbeat schedule deleted or changed (schedules take no tags: protected
	// by name).
	"AWS::Scheduler::Schedule": paths("scheduler:DeleteSchedule", "scheduler:UpdateSchedule"),
	// The archive query: its workgroup deleted or re-configured (results location, encryption,
	// scan cutoff), its saved queries changed; its database and table dropped or re-pointed.
	"AWS::Athena::WorkGroup": paths("athena:DeleteWorkGroup", "athena:UpdateWorkGroup", "athena:DeleteNamedQuery", "athena:UpdateNamedQuery", "athena:UntagResource"),
	"AWS::Glue::Database":    paths("glue:DeleteDatabase", "glue:UpdateDatabase"),
	"AWS::Glue::Table":       paths("glue:DeleteTable", "glue:BatchDeleteTable", "glue:UpdateTable", "glue:DeleteTableVersion"),
}

// protectedByParent are types changed only through actions on another resource, tried above.
var protectedByParent = map[string]string{
	"AWS::S3::BucketPolicy":          "its bucket (s3:PutBucketPolicy, s3:DeleteBucketPolicy)",
	"AWS::SQS::QueuePolicy":          "its queue (sqs:SetQueueAttributes)",
	"AWS::SNS::TopicPolicy":          "its topic (sns:SetTopicAttributes)",
	"AWS::SNS::Subscription":         "its topic (the alert e-mail subscription; sns:Unsubscribe is authorized on the subscription by its owner, see the not-covered list)",
	"AWS::Events::EventBusPolicy":    "its bus (events:PutPermission, events:RemovePermission)",
	"AWS::Kinesis::ResourcePolicy":   "its stream (kinesis:PutResourcePolicy, kinesis:DeleteResourcePolicy)",
	"AWS::KMS::Alias":                "its key (kms:DeleteAlias, kms:UpdateAlias)",
	"AWS::IAM::Policy":               "its role (iam:PutRolePolicy, iam:DeleteRolePolicy)",
	"AWS::Lambda::EventInvokeConfig": "its function (lambda:PutFunctionEventInvokeConfig)",
	"AWS::Lambda::Permission":        "its function (lambda:AddPermission, lambda:RemovePermission)",
	"AWS::Athena::NamedQuery":        "its workgroup (athena:DeleteNamedQuery, athena:UpdateNamedQuery are authorized on the workgroup)",
}

func paths(specs ...string) []tamperPath {
	var out []tamperPath
	for _, s := range specs {
		p := tamperPath{}
		if rest, ok := strings.CutPrefix(s, "object:"); ok {
			p.object, s = true, rest
		}
		if rest, ok := strings.CutPrefix(s, "untag:"); ok {
			p.untag, s = true, rest
		}
		p.action = s
		out = append(out, p)
	}
	return out
}

// notCovered is what the engine cannot evaluate, reported as such and never counted as passed.
var notCovered = []string{
	"Object Lock: a COMPLIANCE-mode retention stops even the root user and the break-glass principals deleting log versions; IAM allows what S3 then refuses (verify after a first deploy: delete-object-version on a log file fails with AccessDenied)",
	"KMS grants: kms:CreateGrant holders and grants CloudTrail or Kinesis create are outside key policies; the engine evaluates key policies only",
	"the management account: SCPs never apply to it, so its admins can stop the organization trail and change the SCPs; protect it by who can sign in there (its real-time forwarding and the alerts are the detection)",
	"service-linked roles: SCPs do not apply to them (e.g. AWSServiceRoleForCloudTrail delivering the organization trail's copies)",
	"sns:Unsubscribe of the alert e-mail subscription is authorized by the subscription's confirmation token and owner, not by the topic's policy",
	"the cdk bootstrap roles' trust policies are not in the synthesized templates: they are modeled on the bootstrap template's default (trusting the account, and --trust accounts)",
}

// loggingStacks are the rendered stacks whose accounts the SCP protects (all but the
// management account's).
func (o *orgModel) loggingStacks() []*renderedStack {
	var out []*renderedStack
	for _, s := range o.stacks {
		if s.env.account != o.cfg.Organization.ManagementAccount {
			out = append(out, s)
		}
	}
	return out
}

// tamperScenarios are every tamper path of every logging resource, tried by an admin of the
// resource's account, expected denied.
func (o *orgModel) tamperScenarios(t *testing.T) []scenario {
	t.Helper()
	var out []scenario
	seen := map[string]bool{}
	for _, s := range o.loggingStacks() {
		admin := o.admin(s.env.account)
		for _, id := range keys(s.resources) {
			r := s.resources[id]
			tps, ok := tamperPaths[r.typ]
			if !ok {
				if _, ok := protectedByParent[r.typ]; !ok {
					t.Errorf("%s/%s: the simulation knows no tamper paths for %s: add them to tamperPaths (or protectedByParent)", s.name, id, r.typ)
				}
				continue
			}
			for _, tp := range tps {
				res := r.arn
				if tp.object {
					res += "/AWSLogs/" + o.cfg.Organization.ID + "/" + s.env.account + "/CloudTrail/" + s.env.region + "/2026/11/30/log.json.gz"
				}
				sc := scenario{
					name:     fmt.Sprintf("tamper: admin of %s %s on %s (%s)", s.env.account, tp.action, res, s.name),
					who:      admin,
					action:   tp.action,
					resource: res,
					account:  s.env.account,
				}
				if tp.untag {
					sc.context = map[string]any{"aws:TagKeys": []string{guardrails.TagKey}}
				}
				if r.typ == "AWS::Lambda::EventSourceMapping" {
					sc.context = map[string]any{"lambda:FunctionArn": fmt.Sprintf("arn:%s:lambda:%s:%s:function:%s", s.env.partition, s.env.region, s.env.account, r.props["FunctionName"])}
				}
				if seen[sc.name] {
					continue
				}
				seen[sc.name] = true
				out = append(out, sc)
			}
		}
		// Leaving the organization takes the account out of every guardrail.
		out = append(out, scenario{name: fmt.Sprintf("tamper: admin of %s organizations:LeaveOrganization", s.env.account), who: admin,
			action: "organizations:LeaveOrganization", resource: "*", account: s.env.account})
	}
	return dedupe(out)
}

// cloudFormationScenarios are the ways around the SCP's exemptions through CloudFormation and
// the cdk bootstrap roles (issue 11, finding 1): every one is tried by an admin of the stack's
// account, and expected denied.
func (o *orgModel) cloudFormationScenarios() []scenario {
	var out []scenario
	q := o.cfg.Deployment.Qualifier
	p := o.cfg.Partition()
	for _, s := range o.loggingStacks() {
		admin := o.admin(s.env.account)
		a, r := s.env.account, s.env.region
		for _, action := range []string{"cloudformation:DeleteStack", "cloudformation:UpdateStack", "cloudformation:UpdateTerminationProtection", "cloudformation:CreateChangeSet", "cloudformation:ExecuteChangeSet", "cloudformation:SetStackPolicy"} {
			out = append(out, scenario{name: fmt.Sprintf("cloudformation: admin of %s %s on %s", a, action, s.name), who: admin, action: action, resource: s.stackARN(), account: a})
		}
		bootstrapTrust := policy{"Version": "2012-10-17", "Statement": []any{map[string]any{"Effect": "Allow", "Principal": map[string]any{"AWS": fmt.Sprintf("arn:%s:iam::%s:root", p, a)}, "Action": "sts:AssumeRole"}}}
		for _, role := range []string{"deploy-role", "file-publishing-role"} {
			arn := fmt.Sprintf("arn:%s:iam::%s:role/cdk-%s-%s-%s-%s", p, a, q, role, a, r)
			out = append(out, scenario{name: fmt.Sprintf("cloudformation: admin of %s sts:AssumeRole %s", a, arn), who: admin, action: "sts:AssumeRole", resource: arn, account: a, policy: bootstrapTrust})
		}
		exec := fmt.Sprintf("arn:%s:iam::%s:role/cdk-%s-cfn-exec-role-%s-%s", p, a, q, a, r)
		out = append(out, scenario{name: fmt.Sprintf("cloudformation: admin of %s iam:PassRole %s", a, exec), who: admin, action: "iam:PassRole", resource: exec, account: a,
			context: map[string]any{"iam:PassedToService": "cloudformation.amazonaws.com"}})
		out = append(out, scenario{name: fmt.Sprintf("cloudformation: admin of %s iam:UpdateAssumeRolePolicy %s", a, exec), who: admin, action: "iam:UpdateAssumeRolePolicy", resource: exec, account: a})
		// The execution role (exempt from the SCPs and from the archive policy's denies on
		// changing its protection) trusts CloudFormation only.
		execTrust := policy{"Version": "2012-10-17", "Statement": []any{map[string]any{"Effect": "Allow", "Principal": map[string]any{"Service": "cloudformation.amazonaws.com"}, "Action": "sts:AssumeRole"}}}
		out = append(out, scenario{name: fmt.Sprintf("cloudformation: admin of %s sts:AssumeRole %s", a, exec), who: admin, action: "sts:AssumeRole", resource: exec, account: a, policy: execTrust})
		// The staging bucket holds the templates cdk deploy deploys (by hash: an object
		// replaced there is deployed the next time with the execution role's rights).
		staged := fmt.Sprintf("arn:%s:s3:::cdk-%s-assets-%s-%s/0123456789abcdef.json", p, q, a, r)
		for _, action := range []string{"s3:PutObject", "s3:DeleteObject"} {
			out = append(out, scenario{name: fmt.Sprintf("cloudformation: admin of %s %s on staged template %s", a, action, staged), who: admin, action: action, resource: staged, account: a})
		}
	}
	return dedupe(out)
}

// ordinaryWork is what an account admin must still be able to do outside the logging.
func (o *orgModel) ordinaryWork() []scenario {
	var out []scenario
	p := o.cfg.Partition()
	for _, a := range append([]string{o.cfg.Organization.SecurityAccount}, o.members...) {
		admin := o.admin(a)
		r := o.cfg.HomeRegion
		for _, w := range []struct{ action, resource string }{
			{"s3:DeleteBucket", "arn:" + p + ":s3:::app-data-" + a},
			{"s3:PutBucketPolicy", "arn:" + p + ":s3:::app-data-" + a},
			{"s3:DeleteObject", "arn:" + p + ":s3:::app-data-" + a + "/report.csv"},
			{"s3:PutObject", "arn:" + p + ":s3:::app-data-" + a + "/report.csv"},
			{"iam:DeleteRole", fmt.Sprintf("arn:%s:iam::%s:role/app-role", p, a)},
			{"iam:PutRolePolicy", fmt.Sprintf("arn:%s:iam::%s:role/app-role", p, a)},
			{"iam:CreateRole", fmt.Sprintf("arn:%s:iam::%s:role/app-role", p, a)},
			{"iam:PassRole", fmt.Sprintf("arn:%s:iam::%s:role/app-role", p, a)},
			{"ec2:TerminateInstances", fmt.Sprintf("arn:%s:ec2:%s:%s:instance/i-0123456789abcdef0", p, r, a)},
			{"ec2:RunInstances", fmt.Sprintf("arn:%s:ec2:%s:%s:instance/*", p, r, a)},
			{"events:DeleteRule", fmt.Sprintf("arn:%s:events:%s:%s:rule/app-rule", p, r, a)},
			{"events:PutTargets", fmt.Sprintf("arn:%s:events:%s:%s:rule/app-rule", p, r, a)},
			{"kinesis:DeleteStream", fmt.Sprintf("arn:%s:kinesis:%s:%s:stream/app-stream", p, r, a)},
			{"kms:ScheduleKeyDeletion", fmt.Sprintf("arn:%s:kms:%s:%s:key/11111111-2222-3333-4444-555555555555", p, r, a)},
			{"sqs:DeleteQueue", fmt.Sprintf("arn:%s:sqs:%s:%s:app-queue", p, r, a)},
			{"cloudformation:DeleteStack", fmt.Sprintf("arn:%s:cloudformation:%s:%s:stack/app-stack/0a1b2c3d-0000-4000-8000-000000000000", p, r, a)},
			{"cloudtrail:StopLogging", fmt.Sprintf("arn:%s:cloudtrail:%s:%s:trail/app-trail", p, r, a)},
			{"lambda:DeleteFunction", fmt.Sprintf("arn:%s:lambda:%s:%s:function:app-function", p, r, a)},
			{"lambda:UpdateFunctionCode", fmt.Sprintf("arn:%s:lambda:%s:%s:function:app-function", p, r, a)},
			{"lambda:PutFunctionConcurrency", fmt.Sprintf("arn:%s:lambda:%s:%s:function:app-function", p, r, a)},
			{"lambda:UpdateEventSourceMapping", fmt.Sprintf("arn:%s:lambda:%s:%s:event-source-mapping:11111111-2222-3333-4444-555555555555", p, r, a)},
			{"lambda:CreateEventSourceMapping", "*"},
			{"dynamodb:DeleteTable", fmt.Sprintf("arn:%s:dynamodb:%s:%s:table/app-table", p, r, a)},
			{"dynamodb:PutItem", fmt.Sprintf("arn:%s:dynamodb:%s:%s:table/app-table", p, r, a)},
			{"dynamodb:DeleteItem", fmt.Sprintf("arn:%s:dynamodb:%s:%s:table/app-table", p, r, a)},
			{"sqs:ReceiveMessage", fmt.Sprintf("arn:%s:sqs:%s:%s:app-queue", p, r, a)},
			{"logs:DeleteLogGroup", fmt.Sprintf("arn:%s:logs:%s:%s:log-group:/aws/lambda/app-function:*", p, r, a)},
			{"logs:PutRetentionPolicy", fmt.Sprintf("arn:%s:logs:%s:%s:log-group:/aws/lambda/app-function:*", p, r, a)},
		} {
			sc := scenario{name: fmt.Sprintf("ordinary: admin of %s %s on %s", a, w.action, w.resource), who: admin, action: w.action, resource: w.resource, account: a, allowed: true}
			if strings.HasSuffix(w.action, "EventSourceMapping") {
				// Mappings of the account's own functions.
				sc.context = map[string]any{"lambda:FunctionArn": fmt.Sprintf("arn:%s:lambda:%s:%s:function:app-function", p, r, a)}
			}
			if strings.HasPrefix(w.action, "kms:") {
				// A key's default key policy: the account decides through IAM.
				sc.policy = policy{"Version": "2012-10-17", "Statement": []any{map[string]any{"Effect": "Allow", "Principal": map[string]any{"AWS": fmt.Sprintf("arn:%s:iam::%s:root", p, a)}, "Action": "kms:*", "Resource": "*"}}}
			}
			out = append(out, sc)
		}
	}
	// Event buses and streams in member accounts stay theirs to manage (the actions without
	// resource-level permissions are denied in the Security account only).
	for _, a := range o.members {
		admin := o.admin(a)
		for _, action := range []string{"events:PutPermission", "events:RemovePermission", "kinesis:UpdateShardCount", "kinesis:UpdateStreamMode"} {
			out = append(out, scenario{name: fmt.Sprintf("ordinary: admin of member %s %s", a, action), who: admin, action: action, resource: "*", account: a, allowed: true})
		}
	}
	return out
}

// deliveryScenarios: CloudTrail delivers to the archive only as the organization trail, with
// bucket-owner-full-control and the trail's encryption context; readers read; nobody deletes.
func (o *orgModel) deliveryScenarios(t *testing.T) []scenario {
	t.Helper()
	cfg := o.cfg
	p, sec, orgID := cfg.Partition(), cfg.Organization.SecurityAccount, cfg.Organization.ID
	trail := cfg.OrganizationTrailARN()
	other := fmt.Sprintf("arn:%s:cloudtrail:%s:%s:trail/attacker", p, cfg.HomeRegion, o.members[0])
	bucket := "arn:" + p + ":s3:::" + cfg.LogArchive.BucketName
	orgObj := bucket + "/AWSLogs/" + orgID + "/" + o.members[0] + "/CloudTrail/" + cfg.HomeRegion + "/2026/11/30/log.json.gz"
	mgmtObj := bucket + "/AWSLogs/" + cfg.Organization.ManagementAccount + "/CloudTrail/" + cfg.HomeRegion + "/2026/11/30/log.json.gz"
	ct := service("cloudtrail.amazonaws.com")
	src := func(arn string, extra map[string]any) map[string]any {
		m := map[string]any{"aws:SourceArn": arn, "aws:SourceAccount": strings.Split(arn, ":")[4]}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	acl := map[string]any{"s3:x-amz-acl": "bucket-owner-full-control", "s3:x-amz-server-side-encryption": "aws:kms"}
	out := []scenario{
		{name: "delivery: the organization trail checks the archive's ACL", who: ct, action: "s3:GetBucketAcl", resource: bucket, account: sec, context: src(trail, nil), allowed: true},
		{name: "delivery: the organization trail writes the organization's logs", who: ct, action: "s3:PutObject", resource: orgObj, account: sec, context: src(trail, acl), allowed: true},
		{name: "delivery: the organization trail writes the management account's logs", who: ct, action: "s3:PutObject", resource: mgmtObj, account: sec, context: src(trail, acl), allowed: true},
		{name: "delivery: without bucket-owner-full-control the write is refused", who: ct, action: "s3:PutObject", resource: orgObj, account: sec, context: src(trail, map[string]any{"s3:x-amz-acl": "private", "s3:x-amz-server-side-encryption": "aws:kms"})},
		{name: "delivery: another trail cannot write to the archive", who: ct, action: "s3:PutObject", resource: orgObj, account: sec, context: src(other, acl)},
		{name: "delivery: another trail cannot check the archive's ACL", who: ct, action: "s3:GetBucketAcl", resource: bucket, account: sec, context: src(other, nil)},
		{name: "delivery: outside AWSLogs/ nothing is written", who: ct, action: "s3:PutObject", resource: bucket + "/elsewhere/log.json.gz", account: sec, context: src(trail, acl)},
	}
	// The trail key: only the organization trail encrypts, with its own encryption context.
	key := o.keyByAlias(t, sec, config.TrailKeyAlias)
	kctx := func(trailARN string) map[string]any {
		return src(trailARN, map[string]any{"kms:EncryptionContext:aws:cloudtrail:arn": trailARN})
	}
	out = append(out,
		scenario{name: "delivery: the organization trail encrypts with the trail key", who: ct, action: "kms:GenerateDataKey", resource: key, account: sec, context: kctx(trail), allowed: true},
		scenario{name: "delivery: another trail cannot encrypt with the trail key", who: ct, action: "kms:GenerateDataKey", resource: key, account: sec, context: kctx(other)},
		scenario{name: "delivery: the trail key refuses the organization trail with another trail's encryption context", who: ct, action: "kms:GenerateDataKey", resource: key, account: sec,
			context: src(trail, map[string]any{"kms:EncryptionContext:aws:cloudtrail:arn": other})},
	)
	// Readers read; nobody (readers, admins, break-glass) deletes through policy alone.
	reader := principal{arn: cfg.LogArchive.Readers[0], account: sec, orgID: orgID, identity: []policy{{"Version": "2012-10-17", "Statement": []any{
		map[string]any{"Effect": "Allow", "Action": []any{"s3:GetObject", "s3:ListBucket", "kms:Decrypt"}, "Resource": "*"}}}}}
	out = append(out,
		scenario{name: "read: the reader reads a log file", who: reader, action: "s3:GetObject", resource: orgObj, account: sec, allowed: true},
		scenario{name: "read: the reader lists the archive", who: reader, action: "s3:ListBucket", resource: bucket, account: sec, allowed: true},
		scenario{name: "read: the reader decrypts with the trail key", who: reader, action: "kms:Decrypt", resource: key, account: sec,
			context: map[string]any{"kms:EncryptionContext:aws:cloudtrail:arn": trail, "kms:ViaService": "s3." + cfg.HomeRegion + ".amazonaws.com"}, allowed: true},
		scenario{name: "read: the reader cannot delete a log file version", who: principal{arn: reader.arn, account: sec, orgID: orgID, identity: []policy{allowAll}},
			action: "s3:DeleteObjectVersion", resource: orgObj, account: sec},
		scenario{name: "read: an admin of a member account cannot read the archive", who: o.admin(o.members[0]), action: "s3:GetObject", resource: orgObj, account: sec},
		// The key policy does not delegate decryption to the account: a Security account admin
		// can fetch the objects but not read them.
		scenario{name: "read: an admin of the Security account cannot decrypt the logs", who: o.admin(sec), action: "kms:Decrypt", resource: key, account: sec,
			context: map[string]any{"kms:EncryptionContext:aws:cloudtrail:arn": trail, "kms:ViaService": "s3." + cfg.HomeRegion + ".amazonaws.com"}},
		scenario{name: "read: a principal outside the organization cannot read the archive", who: principal{arn: "arn:" + p + ":iam::999999999999:role/Admin", account: "999999999999", orgID: "o-zzzzzzzzzz", identity: []policy{allowAll}},
			action: "s3:GetObject", resource: orgObj, account: sec},
	)
	return out
}

// keyByAlias returns the ARN of the key the alias named alias points to in account.
func (o *orgModel) keyByAlias(t *testing.T, account, alias string) string {
	t.Helper()
	for _, s := range o.stacks {
		if s.env.account != account {
			continue
		}
		for _, a := range s.ofType("AWS::KMS::Alias") {
			if a.name == alias {
				target := fmt.Sprint(a.props["TargetKeyId"])
				for _, k := range s.ofType("AWS::KMS::Key") {
					if k.name == target || k.arn == target {
						return k.arn
					}
				}
			}
		}
	}
	t.Fatalf("no key with alias %s in account %s", alias, account)
	return ""
}

// forwarderScenarios: the forwarders put records and events in the Security account (the
// identity side in the member account and the resource side in the Security account both
// allow it); principals outside the organization, and inside it but not forwarders, cannot.
func (o *orgModel) forwarderScenarios(t *testing.T) []scenario {
	t.Helper()
	cfg := o.cfg
	p, sec := cfg.Partition(), cfg.Organization.SecurityAccount
	stream, bus := cfg.StreamARN(), cfg.ReceivingBusARN()
	streamKey := o.keyByAlias(t, sec, config.StreamKeyAlias)
	kinesisKMS := map[string]any{"kms:ViaService": "kinesis." + cfg.HomeRegion + ".amazonaws.com", "kms:EncryptionContext:aws:kinesis:arn": stream,
		"kms:ResourceAliases": []string{config.StreamKeyAlias}, "kms:CallerAccount": ""}
	outsider := principal{arn: "arn:" + p + ":iam::999999999999:role/trailguard-forwarder-stream-" + cfg.HomeRegion, account: "999999999999", orgID: "o-zzzzzzzzzz", identity: []policy{allowAll}}
	var out []scenario
	roles := 0
	for _, s := range o.loggingStacks() {
		if s.env.account == sec {
			continue
		}
		for _, r := range s.ofType("AWS::IAM::Role") {
			who := o.role(r.arn)
			ctx := func(extra map[string]any) map[string]any {
				m := map[string]any{}
				for k, v := range extra {
					m[k] = v
				}
				if _, ok := m["kms:CallerAccount"]; ok {
					m["kms:CallerAccount"] = s.env.account
				}
				return m
			}
			// What the role's rule sends it, judged by its own trust policy: events.amazonaws.com
			// for the rule in this account and region.
			for _, rule := range s.ofType("AWS::Events::Rule") {
				for _, tg := range asList(rule.props["Targets"]) {
					if get(tg, "RoleArn") != r.arn {
						continue
					}
					roles++
					ev := service("events.amazonaws.com")
					out = append(out,
						scenario{name: fmt.Sprintf("forward: %s's rule assumes %s", rule.arn, r.arn), who: ev, action: "sts:AssumeRole", resource: r.arn, account: s.env.account,
							context: map[string]any{"aws:SourceArn": rule.arn, "aws:SourceAccount": s.env.account}, allowed: true},
						scenario{name: fmt.Sprintf("forward: a rule in another account cannot assume %s", r.arn), who: ev, action: "sts:AssumeRole", resource: r.arn, account: s.env.account,
							context: map[string]any{"aws:SourceArn": strings.Replace(rule.arn, ":"+s.env.account+":", ":999999999999:", 1), "aws:SourceAccount": "999999999999"}},
					)
					switch target := fmt.Sprint(get(tg, "Arn")); target {
					case stream:
						out = append(out,
							scenario{name: fmt.Sprintf("forward: %s puts records on the stream", r.arn), who: who, action: "kinesis:PutRecords", resource: stream, account: sec, allowed: true},
							scenario{name: fmt.Sprintf("forward: %s puts a record on the stream", r.arn), who: who, action: "kinesis:PutRecord", resource: stream, account: sec, allowed: true},
							scenario{name: fmt.Sprintf("forward: %s encrypts with the stream key", r.arn), who: who, action: "kms:GenerateDataKey", resource: streamKey, account: sec, context: ctx(kinesisKMS), allowed: true},
							// The identity side: the role's own policy names only the Security stream.
							scenario{name: fmt.Sprintf("forward: %s cannot put records on another stream of the Security account", r.arn), who: who, action: "kinesis:PutRecords",
								resource: strings.Replace(stream, "stream/", "stream/other-", 1), account: sec,
								policy: policy{"Version": "2012-10-17", "Statement": []any{map[string]any{"Effect": "Allow", "Principal": map[string]any{"AWS": "*"}, "Action": "kinesis:*", "Resource": strings.Replace(stream, "stream/", "stream/other-", 1)}}}},
						)
					case bus:
						out = append(out,
							scenario{name: fmt.Sprintf("forward: %s puts events on the receiving bus", r.arn), who: who, action: "events:PutEvents", resource: bus, account: sec, allowed: true},
							scenario{name: fmt.Sprintf("forward: %s cannot put events on the Security account's default bus", r.arn), who: who, action: "events:PutEvents",
								resource: strings.Replace(bus, "event-bus/"+cfg.EventStream.BusName, "event-bus/default", 1), account: sec,
								policy: policy{"Version": "2012-10-17", "Statement": []any{map[string]any{"Effect": "Allow", "Principal": map[string]any{"AWS": "*"}, "Action": "events:PutEvents", "Resource": strings.Replace(bus, "event-bus/"+cfg.EventStream.BusName, "event-bus/default", 1)}}}},
						)
					}
				}
			}
		}
	}
	if roles == 0 {
		t.Fatal("no forwarder role found in the member stacks")
	}
	// The resource side: an admin of a member account (identity *:*) is not a forwarder, and an
	// outsider is not in the organization.
	for _, who := range []principal{o.admin(o.members[0]), outsider} {
		out = append(out,
			scenario{name: fmt.Sprintf("forward: %s cannot put records on the stream", who.arn), who: who, action: "kinesis:PutRecords", resource: stream, account: sec},
			scenario{name: fmt.Sprintf("forward: %s cannot encrypt with the stream key", who.arn), who: who, action: "kms:GenerateDataKey", resource: streamKey, account: sec,
				context: map[string]any{"kms:ViaService": "kinesis." + cfg.HomeRegion + ".amazonaws.com", "kms:EncryptionContext:aws:kinesis:arn": stream, "kms:CallerAccount": who.account}},
		)
	}
	out = append(out, scenario{name: fmt.Sprintf("forward: %s cannot put events on the receiving bus", outsider.arn), who: outsider, action: "events:PutEvents", resource: bus, account: sec})
	// The Security stack's own bus-to-stream role (the Security account's forwarder stacks
	// are covered above, like every account's).
	for _, s := range o.stacks {
		if s.name != cfg.SecurityStackName() {
			continue
		}
		for _, r := range s.ofType("AWS::IAM::Role") {
			// The bus-to-stream role: the one EventBridge assumes (the detection functions'
			// roles are Lambda's, see detectionScenarios).
			if len(o.identity[r.arn]) == 0 || !strings.Contains(compactJSON(t, o.trust[r.arn]), `"events.amazonaws.com"`) {
				continue
			}
			out = append(out, scenario{name: fmt.Sprintf("forward: %s puts records on the stream", r.arn), who: o.role(r.arn), action: "kinesis:PutRecords", resource: stream, account: sec, allowed: true})
		}
	}
	return out
}

// deployerScenarios: the deployers deploy and onboard accounts with the guardrails attached,
// through the cdk bootstrap roles (stacks mode) or StackSets (stackset mode); an account
// admin cannot do the same. The bootstrap roles' policies are modeled on the bootstrap
// template's (they are not in the synthesized templates; see notCovered).
func (o *orgModel) deployerScenarios() []scenario {
	cfg := o.cfg
	p, q := cfg.Partition(), cfg.Deployment.Qualifier
	var out []scenario
	accounts := append([]string{cfg.Organization.SecurityAccount}, o.members...)
	if cfg.Deployment.Mode == config.ModeStacks {
		accounts = append(accounts, newAccount) // joins later: bootstrapped with the SCPs attached
	}
	for _, a := range dedupeStrings(accounts) {
		r := cfg.HomeRegion
		deployer := principal{arn: strings.Replace(cfg.Deployment.Deployers[0], ":iam::*:", ":iam::"+a+":", 1), account: a, orgID: cfg.Organization.ID, identity: []policy{allowAll}}
		role := func(name string) string {
			return fmt.Sprintf("arn:%s:iam::%s:role/cdk-%s-%s-%s-%s", p, a, q, name, a, r)
		}
		deployRole := principal{arn: role("deploy-role"), account: a, orgID: cfg.Organization.ID, identity: []policy{{"Version": "2012-10-17", "Statement": []any{
			map[string]any{"Effect": "Allow", "Action": []any{"cloudformation:*"}, "Resource": "*"},
			map[string]any{"Effect": "Allow", "Action": "iam:PassRole", "Resource": role("cfn-exec-role")},
		}}}}
		exec := principal{arn: role("cfn-exec-role"), account: a, orgID: cfg.Organization.ID, identity: []policy{allowAll}}
		trust := policy{"Version": "2012-10-17", "Statement": []any{map[string]any{"Effect": "Allow", "Principal": map[string]any{"AWS": fmt.Sprintf("arn:%s:iam::%s:root", p, a)}, "Action": "sts:AssumeRole"}}}
		stack := fmt.Sprintf("arn:%s:cloudformation:%s:%s:stack/trailguard-member-x-%s/0a1b2c3d-0000-4000-8000-000000000000", p, r, a, r)
		if a == cfg.Organization.SecurityAccount {
			stack = fmt.Sprintf("arn:%s:cloudformation:%s:%s:stack/%s/0a1b2c3d-0000-4000-8000-000000000000", p, r, a, cfg.SecurityStackName())
		}
		name := func(format string, args ...any) string { return "deploy: " + fmt.Sprintf(format, args...) }
		if cfg.Deployment.Mode == config.ModeStacks || a == cfg.Organization.SecurityAccount {
			out = append(out,
				// cdk bootstrap, by the deployer, with the SCPs attached.
				scenario{name: name("deployer of %s creates the bootstrap execution role", a), who: deployer, action: "iam:CreateRole", resource: role("cfn-exec-role"), account: a, allowed: true},
				scenario{name: name("deployer of %s creates the bootstrap deploy role", a), who: deployer, action: "iam:CreateRole", resource: role("deploy-role"), account: a, allowed: true},
				scenario{name: name("admin of %s cannot create the bootstrap execution role", a), who: o.admin(a), action: "iam:CreateRole", resource: role("cfn-exec-role"), account: a},
				scenario{name: name("admin of %s cannot create the bootstrap deploy role", a), who: o.admin(a), action: "iam:CreateRole", resource: role("deploy-role"), account: a},
				// Nor make themselves a deployer (an invited account must have its deployer role
				// before it joins).
				scenario{name: name("admin of %s cannot create a deployer role", a), who: o.admin(a), action: "iam:CreateRole", resource: deployer.arn, account: a},
				scenario{name: name("admin of %s cannot change who may assume a deployer role", a), who: o.admin(a), action: "iam:UpdateAssumeRolePolicy", resource: deployer.arn, account: a},
				// cdk deploy, by the deployer through the bootstrap roles.
				scenario{name: name("deployer of %s assumes the deploy role", a), who: deployer, action: "sts:AssumeRole", resource: role("deploy-role"), account: a, policy: trust, allowed: true},
				scenario{name: name("deployer of %s assumes the file-publishing role", a), who: deployer, action: "sts:AssumeRole", resource: role("file-publishing-role"), account: a, policy: trust, allowed: true},
				scenario{name: name("the file-publishing role of %s stages a template", a), action: "s3:PutObject", account: a, allowed: true,
					who: principal{arn: role("file-publishing-role"), account: a, orgID: cfg.Organization.ID, identity: []policy{{"Version": "2012-10-17", "Statement": []any{
						map[string]any{"Effect": "Allow", "Action": []any{"s3:GetObject*", "s3:PutObject*", "s3:GetBucketLocation", "s3:ListBucket"}, "Resource": []any{
							fmt.Sprintf("arn:%s:s3:::cdk-%s-assets-%s-%s", p, q, a, r), fmt.Sprintf("arn:%s:s3:::cdk-%s-assets-%s-%s/*", p, q, a, r)}}}}}},
					resource: fmt.Sprintf("arn:%s:s3:::cdk-%s-assets-%s-%s/0123456789abcdef.json", p, q, a, r)},
				scenario{name: name("the deploy role of %s creates a change set", a), who: deployRole, action: "cloudformation:CreateChangeSet", resource: stack, account: a, allowed: true},
				scenario{name: name("the deploy role of %s executes a change set", a), who: deployRole, action: "cloudformation:ExecuteChangeSet", resource: stack, account: a, allowed: true},
				scenario{name: name("the deploy role of %s passes the execution role", a), who: deployRole, action: "iam:PassRole", resource: role("cfn-exec-role"), account: a,
					context: map[string]any{"iam:PassedToService": "cloudformation.amazonaws.com"}, allowed: true},
				scenario{name: name("deployer of %s changes termination protection", a), who: deployer, action: "cloudformation:UpdateTerminationProtection", resource: stack, account: a, allowed: true},
			)
		}
		// CloudFormation, acting as the execution role (stacks mode) or the StackSet execution
		// role (stackset mode), changes the logging resources.
		actor := exec
		if cfg.Deployment.Mode == config.ModeStackSet && a != cfg.Organization.SecurityAccount {
			actor = principal{arn: fmt.Sprintf("arn:%s:iam::%s:role/stacksets-exec-0123456789abcdef", p, a), account: a, orgID: cfg.Organization.ID, identity: []policy{allowAll}}
			out = append(out, scenario{name: name("the StackSet execution role of %s updates the stack instance", a), who: actor, action: "cloudformation:UpdateStack",
				resource: fmt.Sprintf("arn:%s:cloudformation:%s:%s:stack/StackSet-%s-0a1b2c3d/0a1b2c3d-0000-4000-8000-000000000000", p, r, a, "trailguard-member"), account: a, allowed: true})
		}
		if a == cfg.Organization.SecurityAccount {
			out = append(out,
				scenario{name: name("%s changes the receiving bus's permissions", actor.arn), who: actor, action: "events:PutPermission", resource: "*", account: a, allowed: true},
				scenario{name: name("%s changes the stream's capacity", actor.arn), who: actor, action: "kinesis:UpdateShardCount", resource: "*", account: a, allowed: true},
				scenario{name: name("%s updates the stream", actor.arn), who: actor, action: "kinesis:DecreaseStreamRetentionPeriod", resource: cfg.StreamARN(), account: a, allowed: true},
				scenario{name: name("%s changes the archive's policy", actor.arn), who: actor, action: "s3:PutBucketPolicy", resource: cfg.LogArchiveBucketARN(), account: a, allowed: true},
			)
			continue
		}
		out = append(out,
			scenario{name: name("%s updates the local trail", actor.arn), who: actor, action: "cloudtrail:UpdateTrail", resource: fmt.Sprintf("arn:%s:cloudtrail:%s:%s:trail/%s", p, r, a, cfg.AccountTrail.Name), account: a, allowed: true},
			scenario{name: name("%s changes a forwarder role", actor.arn), who: actor, action: "iam:PutRolePolicy", resource: fmt.Sprintf("arn:%s:iam::%s:role/trailguard-forwarder-stream-%s", p, a, r), account: a, allowed: true},
			scenario{name: name("%s re-targets the forwarding rule", actor.arn), who: actor, action: "events:PutTargets", resource: fmt.Sprintf("arn:%s:events:%s:%s:rule/trailguard-forward-to-stream", p, r, a), account: a, allowed: true},
		)
	}
	return out
}

func dedupeStrings(list []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range list {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

func dedupe(list []scenario) []scenario {
	seen := map[string]bool{}
	var out []scenario
	for _, s := range list {
		if !seen[s.name] {
			seen[s.name] = true
			out = append(out, s)
		}
	}
	return out
}

// allScenarios are every scenario of the model.
func (o *orgModel) allScenarios(t *testing.T) []scenario {
	var all []scenario
	all = append(all, o.tamperScenarios(t)...)
	all = append(all, o.cloudFormationScenarios()...)
	all = append(all, o.ordinaryWork()...)
	all = append(all, o.deliveryScenarios(t)...)
	all = append(all, o.forwarderScenarios(t)...)
	all = append(all, o.deployerScenarios()...)
	all = append(all, o.historyReaderScenarios(t)...)
	all = append(all, o.responderScenarios(t)...)
	all = append(all, o.detectionScenarios(t)...)
	all = append(all, o.coverageScenarios(t)...)
	all = append(all, o.archiveQueryScenarios(t)...)
	all = append(all, o.rollbackScenarios(t)...)
	return all
}

// rollbackActions delete each type of resource, as CloudFormation does when the deploy that
// created it rolls back (RetainExceptOnCreate included).
var rollbackActions = map[string][]string{
	"AWS::CloudTrail::Trail":          {"cloudtrail:StopLogging", "cloudtrail:DeleteTrail"},
	"AWS::S3::Bucket":                 {"s3:DeleteBucketPolicy", "s3:DeleteBucket"},
	"AWS::Events::Rule":               {"events:RemoveTargets", "events:DeleteRule"},
	"AWS::Events::EventBus":           {"events:DeleteEventBus"},
	"AWS::IAM::Role":                  {"iam:DetachRolePolicy", "iam:DeleteRole"},
	"AWS::IAM::ManagedPolicy":         {"iam:DeletePolicy"},
	"AWS::Kinesis::Stream":            {"kinesis:DeleteResourcePolicy", "kinesis:DeleteStream"},
	"AWS::KMS::Key":                   {"kms:DeleteAlias", "kms:ScheduleKeyDeletion"},
	"AWS::SQS::Queue":                 {"sqs:DeleteQueue"},
	"AWS::SNS::Topic":                 {"sns:DeleteTopic"},
	"AWS::CloudWatch::Alarm":          {"cloudwatch:DeleteAlarms"},
	"AWS::Logs::LogGroup":             {"logs:DeleteLogGroup"},
	"AWS::Lambda::Function":           {"lambda:DeleteFunction"},
	"AWS::Lambda::EventSourceMapping": {"lambda:DeleteEventSourceMapping"},
	"AWS::DynamoDB::Table":            {"dynamodb:DeleteTable"},
	"AWS::Scheduler::Schedule":        {"scheduler:DeleteSchedule"},
	"AWS::Athena::WorkGroup":          {"athena:DeleteWorkGroup"},
	"AWS::Glue::Database":             {"glue:DeleteDatabase"},
	"AWS::Glue::Table":                {"glue:DeleteTable"},
}

// rollbackScenarios: a failed first deploy rolls back, and CloudFormation deletes what it
// created (RetainExceptOnCreate resources too) as the execution role it deploys with, in
// member accounts where the guardrails are already attached: the SCPs and the resource
// policies must let it, or the rollback fails and the retry collides with the fixed names.
func (o *orgModel) rollbackScenarios(t *testing.T) []scenario {
	t.Helper()
	cfg := o.cfg
	p, q := cfg.Partition(), cfg.Deployment.Qualifier
	var out []scenario
	for _, s := range o.loggingStacks() {
		a, r := s.env.account, s.env.region
		actor := principal{arn: fmt.Sprintf("arn:%s:iam::%s:role/cdk-%s-cfn-exec-role-%s-%s", p, a, q, a, r), account: a, orgID: cfg.Organization.ID, identity: []policy{allowAll}}
		if cfg.Deployment.Mode == config.ModeStackSet && a != cfg.Organization.SecurityAccount {
			actor.arn = fmt.Sprintf("arn:%s:iam::%s:role/stacksets-exec-0123456789abcdef", p, a)
		}
		for _, id := range keys(s.resources) {
			res := s.resources[id]
			actions, ok := rollbackActions[res.typ]
			if !ok {
				if _, ok := protectedByParent[res.typ]; !ok {
					t.Errorf("%s/%s: the simulation knows no rollback actions for %s: add them to rollbackActions (or protectedByParent)", s.name, id, res.typ)
				}
				continue
			}
			for _, action := range actions {
				sc := scenario{name: fmt.Sprintf("rollback: %s %s on %s (%s)", actor.arn, action, res.arn, s.name), who: actor, action: action, resource: res.arn, account: a, allowed: true}
				if res.typ == "AWS::Lambda::EventSourceMapping" {
					sc.context = map[string]any{"lambda:FunctionArn": fmt.Sprintf("arn:%s:lambda:%s:%s:function:%s", s.env.partition, r, a, res.props["FunctionName"])}
				}
				out = append(out, sc)
			}
		}
	}
	return dedupe(out)
}

// historyReaderScenarios: in every account the configured investigators, and nobody else, may
// assume the Event History reader role, which may look up events and list its own account's
// regions, and nothing more.
func (o *orgModel) historyReaderScenarios(t *testing.T) []scenario {
	var out []scenario
	for _, s := range o.stacks {
		for _, r := range s.ofType("AWS::IAM::Role") {
			if !strings.HasSuffix(r.arn, ":role/"+historyreader.DefaultRoleName) {
				continue
			}
			acct := s.env.account
			for _, inv := range o.cfg.EventHistory.Investigators {
				who := principal{arn: inv, account: strings.Split(inv, ":")[4], orgID: o.cfg.Organization.ID, identity: []policy{allowAll}}
				out = append(out, scenario{name: fmt.Sprintf("history: investigator %s assumes %s", inv, r.arn), who: who, action: "sts:AssumeRole", resource: r.arn, account: acct, allowed: true})
				// The trust names the investigator's account, narrowed by aws:PrincipalArn:
				// that account's other principals are not trusted.
				out = append(out, scenario{name: fmt.Sprintf("history: the admin of investigator %s's account cannot assume %s", inv, r.arn), who: o.admin(who.account), action: "sts:AssumeRole", resource: r.arn, account: acct})
			}
			out = append(out,
				scenario{name: fmt.Sprintf("history: the account's admin cannot assume %s", r.arn), who: o.admin(acct), action: "sts:AssumeRole", resource: r.arn, account: acct},
				scenario{name: fmt.Sprintf("history: %s looks up events", r.arn), who: o.role(r.arn), action: "cloudtrail:LookupEvents", resource: "*", account: acct, allowed: true},
				scenario{name: fmt.Sprintf("history: %s lists its account's regions", r.arn), who: o.role(r.arn), action: "account:ListRegions",
					resource: fmt.Sprintf("arn:%s:account::%s:account", o.cfg.Partition(), acct), account: acct, allowed: true},
				scenario{name: fmt.Sprintf("history: %s cannot read the logs of a bucket", r.arn), who: o.role(r.arn), action: "s3:GetObject",
					resource: "arn:" + o.cfg.Partition() + ":s3:::some-bucket/AWSLogs/x.json.gz", account: acct},
			)
		}
	}
	if len(out) == 0 && len(o.cfg.EventHistory.Investigators) > 0 {
		t.Fatal("no Event History reader role found in the templates")
	}
	return out
}

// responderScenarios: in every account only the Security account's responder function may
// assume the trailguard-responder role (not the account's admin, not the Security account's
// admin), which may make the response actions and their reads, and nothing else; nobody
// (outside the exempt roles) may change who can assume it or what it may do.
func (o *orgModel) responderScenarios(t *testing.T) []scenario {
	var out []scenario
	p := o.cfg.Partition()
	sec := o.cfg.Organization.SecurityAccount
	fn := o.role(fmt.Sprintf("arn:%s:iam::%s:role/%s", p, sec, responder.FunctionName))
	if len(fn.identity) == 0 {
		t.Fatal("the responder function's role has no policies in the templates")
	}
	for _, s := range o.stacks {
		for _, r := range s.ofType("AWS::IAM::Role") {
			if !strings.HasSuffix(r.arn, ":role/"+responderrole.RoleName) {
				continue
			}
			acct := s.env.account
			region := o.cfg.HomeRegion
			can := func(action, resource string) scenario {
				return scenario{name: fmt.Sprintf("responder: %s may %s", r.arn, action), who: o.role(r.arn), action: action, resource: resource, account: acct, allowed: true}
			}
			cannot := func(action, resource string) scenario {
				return scenario{name: fmt.Sprintf("responder: %s cannot %s", r.arn, action), who: o.role(r.arn), action: action, resource: resource, account: acct}
			}
			bucket := "arn:" + p + ":s3:::some-bucket"
			sg := fmt.Sprintf("arn:%s:ec2:%s:%s:security-group/sg-0123456789abcdef0", p, region, acct)
			trail := fmt.Sprintf("arn:%s:cloudtrail:%s:%s:trail/some-trail", p, region, acct)
			user := fmt.Sprintf("arn:%s:iam::%s:user/bob", p, acct)
			out = append(out,
				scenario{name: fmt.Sprintf("responder: the responder function assumes %s", r.arn), who: fn, action: "sts:AssumeRole", resource: r.arn, account: acct, allowed: true},
				scenario{name: fmt.Sprintf("responder: the account's admin cannot assume %s", r.arn), who: o.admin(acct), action: "sts:AssumeRole", resource: r.arn, account: acct},
				scenario{name: fmt.Sprintf("responder: the Security account's admin cannot assume %s", r.arn), who: o.admin(sec), action: "sts:AssumeRole", resource: r.arn, account: acct},
				can("s3:GetBucketPublicAccessBlock", bucket), can("s3:PutBucketPublicAccessBlock", bucket), can("s3:GetBucketTagging", bucket),
				can("s3:PutAccountPublicAccessBlock", "*"),
				can("ec2:DescribeSecurityGroupRules", "*"), can("ec2:RevokeSecurityGroupIngress", sg),
				can("cloudtrail:GetTrailStatus", trail), can("cloudtrail:StartLogging", trail),
				can("iam:ListAccessKeys", user), can("iam:UpdateAccessKey", user),
				cannot("s3:PutBucketPolicy", bucket), cannot("s3:DeleteBucketPolicy", bucket), cannot("s3:GetObject", bucket+"/x"),
				cannot("ec2:AuthorizeSecurityGroupIngress", sg), cannot("ec2:DeleteSecurityGroup", sg),
				cannot("cloudtrail:StopLogging", trail), cannot("cloudtrail:DeleteTrail", trail),
				cannot("iam:DeleteAccessKey", user), cannot("iam:CreateAccessKey", user), cannot("iam:AttachUserPolicy", user),
				cannot("sts:AssumeRole", fmt.Sprintf("arn:%s:iam::%s:role/Admin", p, acct)),
			)
			out = append(out, o.responderRestoreScenarios(r.arn, acct)...)
			if acct != o.cfg.Organization.ManagementAccount { // SCPs never restrict the management account
				out = append(out,
					scenario{name: fmt.Sprintf("responder: the account's admin cannot change who may assume %s", r.arn), who: o.admin(acct), action: "iam:UpdateAssumeRolePolicy", resource: r.arn, account: acct},
					scenario{name: fmt.Sprintf("responder: the account's admin cannot delete %s", r.arn), who: o.admin(acct), action: "iam:DeleteRole", resource: r.arn, account: acct},
					scenario{name: fmt.Sprintf("responder: the account's admin cannot widen %s", r.arn), who: o.admin(acct), action: "iam:AttachRolePolicy", resource: r.arn, account: acct},
				)
			}
		}
	}
	if len(out) == 0 {
		t.Fatal("no responder role found in the templates")
	}
	return out
}

// responderRestoreScenarios: the responder role of account acct may restore trailguard's
// trails and forwarder rules as deployed (the guardrails let it), and nothing that silences
// logging: not stop or delete a trail, not disable or delete a rule or remove its targets,
// not touch a trail or rule trailguard did not deploy, not point a rule at another target,
// not pass the forwarders' roles to anything but EventBridge, not pass other roles.
func (o *orgModel) responderRestoreScenarios(roleArn, acct string) []scenario {
	p, region := o.cfg.Partition(), o.cfg.HomeRegion
	who := o.role(roleArn)
	can := func(action, resource string, ctx map[string]any) scenario {
		return scenario{name: fmt.Sprintf("responder restore: %s may %s %s", roleArn, action, resource), who: who, action: action, resource: resource, account: acct, context: ctx, allowed: true}
	}
	cannot := func(action, resource string, ctx map[string]any) scenario {
		return scenario{name: fmt.Sprintf("responder restore: %s cannot %s %s", roleArn, action, resource), who: who, action: action, resource: resource, account: acct, context: ctx}
	}
	trailArn := func(name string) string {
		return fmt.Sprintf("arn:%s:cloudtrail:%s:%s:trail/%s", p, region, acct, name)
	}
	ruleArn := func(name string) string { return fmt.Sprintf("arn:%s:events:%s:%s:rule/%s", p, region, acct, name) }
	stream := ruleArn(eventforwarder.StreamRuleName)
	trailName := o.cfg.AccountTrail.Name
	if acct == o.cfg.Organization.ManagementAccount {
		trailName = o.cfg.OrganizationTrail.Name
	}
	trail := trailArn(trailName)
	toStream := map[string]any{"events:TargetArn": []any{o.cfg.StreamARN()}}
	toEvents := map[string]any{"iam:PassedToService": "events.amazonaws.com"}
	fwdRole := fmt.Sprintf("arn:%s:iam::%s:role/%s", p, acct, eventforwarder.StreamRoleName(region))
	out := []scenario{
		can("cloudtrail:GetTrail", trail, nil), can("cloudtrail:GetEventSelectors", trail, nil), can("cloudtrail:GetInsightSelectors", trail, nil),
		can("cloudtrail:UpdateTrail", trail, nil), can("cloudtrail:PutEventSelectors", trail, nil), can("cloudtrail:PutInsightSelectors", trail, nil),
		can("s3:GetEncryptionConfiguration", fmt.Sprintf("arn:%s:s3:::%s%s-%s", p, accounttrail.BucketNamePrefix, acct, region), nil),
		can("events:DescribeRule", stream, nil), can("events:ListTargetsByRule", stream, nil), can("events:EnableRule", stream, nil), can("events:PutRule", stream, nil),
		can("events:PutTargets", stream, toStream),
		can("events:PutTargets", ruleArn(eventforwarder.BusRuleName), map[string]any{"events:TargetArn": []any{o.cfg.ReceivingBusARN()}}),
		can("iam:PassRole", fwdRole, toEvents),
		can("cloudwatch:DescribeAlarms", fmt.Sprintf("arn:%s:cloudwatch:%s:%s:alarm:%s", p, region, acct, eventforwarder.StreamDeadLetterAlarmName), nil),
		// Nothing that silences logging, even on trailguard's own trail and rules.
		cannot("cloudtrail:StopLogging", trail, nil), cannot("cloudtrail:DeleteTrail", trail, nil), cannot("cloudtrail:RemoveTags", trail, nil),
		cannot("events:DisableRule", stream, nil), cannot("events:DeleteRule", stream, nil), cannot("events:RemoveTargets", stream, nil),
		// Not another trail or rule, not even a trailguard-named one it did not deploy.
		cannot("cloudtrail:UpdateTrail", trailArn("team-trail"), nil), cannot("cloudtrail:PutEventSelectors", trailArn("team-trail"), nil),
		cannot("events:PutRule", ruleArn("team-rule"), nil), cannot("events:PutRule", ruleArn("trailguard-exfiltrate"), nil),
		cannot("events:PutTargets", ruleArn("trailguard-exfiltrate"), toStream),
		// Not another target, and not one more target beside the deployed one.
		cannot("events:PutTargets", stream, map[string]any{"events:TargetArn": []any{fmt.Sprintf("arn:%s:events:%s:999999999999:event-bus/exfil", p, region)}}),
		cannot("events:PutTargets", stream, map[string]any{"events:TargetArn": []any{o.cfg.StreamARN(), fmt.Sprintf("arn:%s:events:%s:999999999999:event-bus/exfil", p, region)}}),
		// The forwarders' roles only to EventBridge; no other role.
		cannot("iam:PassRole", fwdRole, map[string]any{"iam:PassedToService": "lambda.amazonaws.com"}),
		cannot("iam:PassRole", fmt.Sprintf("arn:%s:iam::%s:role/Admin", p, acct), toEvents),
		cannot("iam:PassRole", fmt.Sprintf("arn:%s:iam::%s:role/%s", p, acct, respond.RoleName), toEvents),
		cannot("cloudwatch:PutMetricAlarm", fmt.Sprintf("arn:%s:cloudwatch:%s:%s:alarm:%s", p, region, acct, eventforwarder.StreamDeadLetterAlarmName), nil),
		cannot("cloudwatch:DeleteAlarms", fmt.Sprintf("arn:%s:cloudwatch:%s:%s:alarm:%s", p, region, acct, eventforwarder.StreamDeadLetterAlarmName), nil),
	}
	if acct != o.cfg.Organization.ManagementAccount { // SCPs never restrict the management account
		out = append(out,
			scenario{name: fmt.Sprintf("responder restore: the admin of %s still cannot re-scope the trail", acct), who: o.admin(acct), action: "cloudtrail:UpdateTrail", resource: trail, account: acct},
			scenario{name: fmt.Sprintf("responder restore: the admin of %s still cannot re-pattern the forwarder rule", acct), who: o.admin(acct), action: "events:PutRule", resource: stream, account: acct},
			scenario{name: fmt.Sprintf("responder restore: the admin of %s still cannot re-target the forwarder rule", acct), who: o.admin(acct), action: "events:PutTargets", resource: stream, account: acct, context: toStream},
			scenario{name: fmt.Sprintf("responder restore: the admin of %s still cannot pass a forwarder role", acct), who: o.admin(acct), action: "iam:PassRole", resource: fwdRole, account: acct, context: toEvents},
		)
	}
	return out
}

// outcome is a scenario's result.
type outcome struct {
	sc       scenario
	res      simResult
	pass     bool
	knownGap string
}

// evaluate runs scenarios through the engine and reports each.
func (o *orgModel) evaluate(t *testing.T, scs []scenario) []outcome {
	t.Helper()
	var reqs []simRequest
	for i, sc := range scs {
		reqs = append(reqs, simRequest{ID: fmt.Sprint(i), Sim: o.simulation(sc)})
	}
	results, _ := runEngine(t, reqs, nil)
	if dir := os.Getenv("SIMULATION_REPORT_DIR"); dir != "" {
		var failed []any
		for i, sc := range scs {
			r := results[fmt.Sprint(i)]
			if r.Error != "" || (r.Decision == "Allowed") != sc.allowed {
				failed = append(failed, map[string]any{"name": sc.name, "simulation": reqs[i].Sim})
			}
		}
		b, _ := json.MarshalIndent(failed, "", " ")
		os.WriteFile(filepath.Join(dir, "failed.json"), b, 0o644)
	}
	var out []outcome
	for i, sc := range scs {
		r := results[fmt.Sprint(i)]
		oc := outcome{sc: sc, res: r}
		if r.Error == "" {
			oc.pass = (r.Decision == "Allowed") == sc.allowed
		}
		// A context key the scenario is about, dropped by the engine, would make it test
		// something else than it says: a negated condition (StringNotEquals, ArnNotLike)
		// would match and deny for the wrong reason, a positive one never match.
		ignored := map[string]bool{}
		for _, k := range r.IgnoredContextKeys {
			ignored[k] = true
		}
		for k := range sc.context {
			if ignored[k] && !(strings.HasPrefix(k, "kms:EncryptionContext:") && r.EngineWorkaround != "") {
				t.Errorf("%s: the engine ignores context key %s for %s: the scenario does not test what it says", sc.name, k, sc.action)
			}
		}
		if res, ok := o.rendered[sc.resource]; ok && guardrails.Protected[res.typ] == "tag" && ignored["aws:ResourceTag/"+guardrails.TagKey] {
			t.Errorf("%s: the engine ignores the %s tag for %s, by which the SCP protects %s", sc.name, guardrails.TagKey, sc.action, res.typ)
		}
		oc.knownGap = knownGap(sc, r)
		out = append(out, oc)
	}
	return out
}

// knownGaps are the findings of issue 11 still open, by the actions whose denial they lack.
// A failing scenario of a known gap is reported OPEN (never passed); one that passes fails
// the test until its action is removed from here.
var knownGaps = map[string]string{}

// knownGap names the open finding a scenario that should be denied shows, or "".
func knownGap(sc scenario, r simResult) string {
	if sc.allowed {
		return ""
	}
	for k, finding := range knownGaps {
		action, rest, _ := strings.Cut(k, " ")
		if sc.action == action && strings.Contains(sc.resource, rest) {
			return finding
		}
	}
	return ""
}

// checkOutcomes fails the test for every scenario that did not pass, and writes the report.
func checkOutcomes(t *testing.T, mode string, outs []outcome) {
	t.Helper()
	var lines []string
	failed, passed, gaps := 0, 0, 0
	for _, oc := range outs {
		want := "Denied"
		if oc.sc.allowed {
			want = "Allowed"
		}
		status := "PASS"
		switch {
		case oc.res.Error != "":
			status = "ERROR"
			t.Errorf("%s: %s: the engine refused the request: %s", mode, oc.sc.name, oc.res.Error)
			failed++
		case !oc.pass && oc.knownGap != "":
			status = "OPEN"
			gaps++
		case !oc.pass:
			status = "FAIL"
			failed++
			t.Errorf("%s: %s: got %s (on %s), want %s", mode, oc.sc.name, oc.res.Decision, oc.res.Resource, want)
		case oc.knownGap != "":
			t.Errorf("%s: %s passes now: remove it from the known gaps (%s)", mode, oc.sc.name, oc.knownGap)
		default:
			passed++
		}
		note := ""
		if oc.res.WildcardOnly {
			note = " [authorized on *]"
		}
		if oc.knownGap != "" {
			note += " [open: " + oc.knownGap + "]"
		}
		lines = append(lines, fmt.Sprintf("%-5s %-7s %s -> %s%s", status, want, oc.sc.name, oc.res.Decision, note))
	}
	sort.Strings(lines)
	lines = append(lines, "", "NOT COVERED (the engine cannot evaluate these; they are neither passed nor failed):")
	for _, n := range notCovered {
		lines = append(lines, "  - "+n)
	}
	report := fmt.Sprintf("IAM policy simulation, %s mode: %d scenarios, %d passed, %d failed, %d open, %d not covered\n\n%s\n",
		mode, len(outs), passed, failed, gaps, len(notCovered), strings.Join(lines, "\n"))
	t.Logf("%s mode: %d scenarios, %d passed, %d failed, %d open (known gaps), %d not covered (listed in the report)", mode, len(outs), passed, failed, gaps, len(notCovered))
	if dir := os.Getenv("SIMULATION_REPORT_DIR"); dir != "" {
		if err := os.WriteFile(filepath.Join(dir, "simulation-"+mode+".txt"), []byte(report), 0o644); err != nil {
			t.Error(err)
		}
	}
}

// TestSimulationStacksMode evaluates every scenario with the engine against the example app
// in stacks mode.
func TestSimulationStacksMode(t *testing.T) {
	o := newOrgModel(t, example)
	checkOutcomes(t, "stacks", o.evaluate(t, o.allScenarios(t)))
}

// stacksetExample is the example app in stackset mode, synthesized once (by the first test
// that needs it) for the tests that only read its cloud assembly.
var stacksetExample *synthesized

func stacksetApp(t *testing.T) *synthesized {
	t.Helper()
	if stacksetExample == nil {
		s, err := synthesize(stacksetConfig(t), filepath.Join(sharedDir, "stackset"))
		if err != nil {
			t.Fatal(err)
		}
		stacksetExample = s
	}
	return stacksetExample
}

// TestSimulationStackSetMode evaluates every scenario against the example app in stackset
// mode: the member template is the StackSet's, deployed to the configured members and to an
// account that joins the OU later.
func TestSimulationStackSetMode(t *testing.T) {
	o := newOrgModel(t, stacksetApp(t))
	checkOutcomes(t, "stackset", o.evaluate(t, o.allScenarios(t)))
}

// clone returns a copy of o whose policies can be changed without changing o's.
func (o *orgModel) clone(t *testing.T) *orgModel {
	t.Helper()
	c := *o
	c.scps, c.resourcePolicies, c.trust, c.identity = nil, nil, nil, nil
	deep := func(in, out any) {
		b, err := json.Marshal(in)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatal(err)
		}
	}
	deep(o.scps, &c.scps)
	deep(o.resourcePolicies, &c.resourcePolicies)
	deep(o.trust, &c.trust)
	deep(o.identity, &c.identity)
	return &c
}

// withoutSCPStatement removes the statement with Sid sid from the SCP that has it.
func withoutSCPStatement(t *testing.T, o *orgModel, sid string) {
	t.Helper()
	for _, doc := range o.scps {
		for _, st := range statements(doc) {
			if st["Sid"] == sid {
				withoutStatement(t, doc, sid)
				return
			}
		}
	}
	t.Fatalf("no SCP statement %q to remove", sid)
}

// withoutStatement removes the statement with Sid sid from doc, failing the test if there is
// none.
func withoutStatement(t *testing.T, doc policy, sid string) {
	t.Helper()
	var kept []any
	for _, s := range asList(doc["Statement"]) {
		if get(s, "Sid") != sid {
			kept = append(kept, s)
		}
	}
	if len(kept) == len(asList(doc["Statement"])) {
		t.Fatalf("no statement %q to remove", sid)
	}
	doc["Statement"] = kept
}

// TestSimulationNoticesWeakenedPolicies proves the simulation layer notices: with one
// statement removed from a synthesized policy, the scenarios that statement decides fail.
func TestSimulationNoticesWeakenedPolicies(t *testing.T) {
	base := newOrgModel(t, example)
	all := base.allScenarios(t)
	cfg := example.cfg
	tests := []struct {
		name   string
		weaken func(t *testing.T, o *orgModel)
		// wantFailing are substrings of scenarios that must fail once weakened.
		wantFailing []string
	}{
		{"SCP without its deny on named resources", func(t *testing.T, o *orgModel) {
			withoutSCPStatement(t, o, "ProtectNamedLogging")
		}, []string{"cloudtrail:StopLogging on arn:aws:cloudtrail:eu-west-1:333333333333:trail/trailguard-local", "kinesis:DeleteStream", "iam:DeleteRole on arn:aws:iam::333333333333:role/trailguard-forwarder-stream-eu-west-1",
			"lambda:PutFunctionConcurrency on arn:aws:lambda:eu-west-1:222222222222:function:trailguard-detect-stream", "dynamodb:DeleteTable"}},
		{"SCP without its deny of the restoring calls", func(t *testing.T, o *orgModel) {
			withoutSCPStatement(t, o, "ProtectNamedLoggingRestores")
		}, []string{"iam:PassRole on arn:aws:iam::222222222222:role/trailguard-detect-archive", "the admin of 333333333333 still cannot re-scope the trail",
			"the admin of 333333333333 still cannot re-pattern the forwarder rule", "the admin of 333333333333 still cannot pass a forwarder role"}},
		{"SCP without its deny on tagged resources", func(t *testing.T, o *orgModel) {
			withoutSCPStatement(t, o, "ProtectTaggedLogging")
		}, []string{"kms:ScheduleKeyDeletion", "sqs:PurgeQueue"}},
		{"SCP without its deny on the deployment path", func(t *testing.T, o *orgModel) {
			withoutSCPStatement(t, o, "ProtectDeployment")
		}, []string{"cloudformation:DeleteStack on trailguard-security", "iam:PassRole arn:aws:iam::333333333333:role/cdk-hnb659fds-cfn-exec-role"}},
		{"SCP without its deny on the Security account's bus and stream", func(t *testing.T, o *orgModel) {
			withoutSCPStatement(t, o, "ProtectSecurityBusAndStream")
		}, []string{"admin of 222222222222 events:PutPermission", "admin of 222222222222 kinesis:UpdateShardCount"}},
		{"SCP without the deployers' exemption from role protection", func(t *testing.T, o *orgModel) {
			for _, doc := range o.scps {
				for _, st := range statements(doc) {
					if st["Sid"] == "ProtectExemptRoles" {
						c := get(st, "Condition", "ArnNotLike").(map[string]any)
						var kept []any
						for _, a := range asList(c["aws:PrincipalArn"]) {
							if !strings.Contains(fmt.Sprint(a), config.DefaultDeployerRole) {
								kept = append(kept, a)
							}
						}
						c["aws:PrincipalArn"] = kept
					}
				}
			}
		}, []string{"deployer of 555555555555 creates the bootstrap execution role"}},
		{"SCP without its deny on the detection functions' state", func(t *testing.T, o *orgModel) {
			withoutSCPStatement(t, o, "ProtectDetectionState")
		}, []string{"dynamodb:PutItem on arn:aws:dynamodb:eu-west-1:222222222222:table/trailguard-detect-dedupe", "detect: admin of 222222222222 cannot take the archive queue's messages"}},
		{"SCP without its deny on the detection functions' mappings", func(t *testing.T, o *orgModel) {
			withoutSCPStatement(t, o, "ProtectDetectionMappings")
		}, []string{"lambda:UpdateEventSourceMapping", "lambda:DeleteEventSourceMapping"}},
		{"archive policy without the organization trail's write", func(t *testing.T, o *orgModel) {
			withoutStatement(t, o.resourcePolicies[cfg.LogArchiveBucketARN()], "AWSCloudTrailOrganizationWrite")
		}, []string{"delivery: the organization trail writes the organization's logs"}},
		{"archive policy without its deny on deleting logs", func(t *testing.T, o *orgModel) {
			withoutStatement(t, o.resourcePolicies[cfg.LogArchiveBucketARN()], "DenyDeletingLogs")
			o.scps = nil // the bucket policy alone must hold
		}, []string{"read: the reader cannot delete a log file version"}},
		{"stream key policy without the forwarders' grant", func(t *testing.T, o *orgModel) {
			withoutStatement(t, o.resourcePolicies[o.keyByAlias(t, cfg.Organization.SecurityAccount, config.StreamKeyAlias)], "AllowOrganizationForwardersToEncryptStreamRecords")
		}, []string{"encrypts with the stream key"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// The scenarios the weakened statement decides (evaluating all of them for every
			// weakened copy would cost seconds each): they pass as synthesized, and some of
			// each fail once weakened.
			var scs []scenario
			for _, sc := range all {
				for _, want := range tc.wantFailing {
					if strings.Contains(sc.name, want) {
						scs = append(scs, sc)
						break
					}
				}
			}
			before := map[string]bool{}
			for _, oc := range base.evaluate(t, scs) {
				if !oc.pass {
					t.Fatalf("%s fails before the policy is weakened", oc.sc.name)
				}
				before[oc.sc.name] = true
			}
			o := base.clone(t)
			tc.weaken(t, o)
			var nowFailing []string
			for _, oc := range o.evaluate(t, scs) {
				if before[oc.sc.name] && !oc.pass {
					nowFailing = append(nowFailing, oc.sc.name)
				}
			}
			for _, want := range tc.wantFailing {
				found := false
				for _, f := range nowFailing {
					found = found || strings.Contains(f, want)
				}
				if !found {
					t.Errorf("no scenario mentioning %q fails with the policy weakened: the simulation does not see it", want)
				}
			}
			t.Logf("%d of %d scenarios fail once weakened", len(nowFailing), len(scs))
		})
	}
}

// TestGuardrailsDenyNoWildcardOnlyActionByARN: an action IAM authorizes only on "*" (no
// resource types in the Service Authorization Reference, as the engine's data mirrors it) in
// a statement that names ARNs is never denied. Every such action must be in a statement on
// "*" instead (guardrails.WildcardOnlyActions).
func TestGuardrailsDenyNoWildcardOnlyActionByARN(t *testing.T) {
	for _, s := range []*synthesized{example, stacksetApp(t)} {
		for _, doc := range newOrgModel(t, s).scps {
			var patterns []string
			byARN := map[string][]string{}
			for _, st := range statements(doc) {
				if fmt.Sprint(st["Resource"]) == "*" {
					continue
				}
				for _, a := range strs(st["Action"]) {
					patterns = append(patterns, a)
					byARN[a] = append(byARN[a], fmt.Sprint(st["Sid"]))
				}
			}
			_, info := runEngine(t, nil, sortedUnique(patterns))
			for _, p := range sortedUnique(patterns) {
				switch i := info[p]; {
				case i.Error != "":
					t.Errorf("%s: %s", p, i.Error)
				case len(i.Expanded) == 0:
					t.Errorf("%s (statements %v) names no action the engine knows: a typo denies nothing", p, byARN[p])
				case len(i.WildcardOnly) > 0:
					t.Errorf("%s (statements %v) includes %v, authorized only on \"*\": denying it on ARNs denies nothing", p, byARN[p], i.WildcardOnly)
				}
			}
		}
	}
}

// TestLoggingResourceNamesAreProtected: names decide protection. Every resource in the
// accounts the SCPs cover that is named in its template carries the prefix the SCPs and the
// tamper alerts recognise (KMS aliases their own alias/trailguard/ prefix, function log groups
// /aws/lambda/trailguard-), in both modes.
func TestLoggingResourceNamesAreProtected(t *testing.T) {
	for _, s := range []*synthesized{example, stacksetApp(t)} {
		o := newOrgModel(t, s)
		for _, st := range o.loggingStacks() {
			for _, id := range keys(st.resources) {
				r := st.resources[id]
				prop, ok := nameProps[r.typ]
				if !ok || r.raw.props()[prop] == nil {
					continue
				}
				prefix := guardrails.NamePrefix
				switch {
				case r.typ == "AWS::KMS::Alias":
					prefix = "alias/trailguard/"
				case r.typ == "AWS::Logs::LogGroup" && strings.HasPrefix(r.name, "/aws/lambda/"):
					// Lambda fixes a function's log group name; the SCPs protect this prefix too.
					prefix = "/aws/lambda/" + guardrails.NamePrefix
				}
				if !strings.HasPrefix(r.name, prefix) {
					t.Errorf("%s/%s (%s) is named %q: without the %s prefix neither the SCPs nor the alerts recognise it", st.name, id, r.typ, r.name, prefix)
				}
			}
		}
	}
}

// detectionScenarios: the detection functions read their sources and claim, publish and
// decrypt what they need (their identity policies and the stream's, archive's, keys' and
// topic's policies, both sides), and nobody else in the Security account claims dedupe keys,
// takes the archive queue's messages or acts with their roles.
func (o *orgModel) detectionScenarios(t *testing.T) []scenario {
	t.Helper()
	cfg := o.cfg
	p, sec, r := cfg.Partition(), cfg.Organization.SecurityAccount, cfg.HomeRegion
	var sstack *renderedStack
	for _, s := range o.stacks {
		if s.name == cfg.SecurityStackName() {
			sstack = s
		}
	}
	if sstack == nil {
		t.Fatalf("no %s stack", cfg.SecurityStackName())
	}
	role := func(name string) principal { return o.role(fmt.Sprintf("arn:%s:iam::%s:role/%s", p, sec, name)) }
	streamFn, archiveFn := role(detection.StreamFunctionName), role(detection.ArchiveFunctionName)
	// The targets of the roles' grants, as their policies name them.
	grant := func(who principal, sid string) string {
		for _, doc := range who.identity {
			for _, st := range statements(doc) {
				if st["Sid"] == sid {
					if res := strs(st["Resource"]); len(res) == 1 {
						return res[0]
					}
				}
			}
		}
		t.Fatalf("%s has no statement %s on one resource", who.arn, sid)
		return ""
	}
	table := fmt.Sprintf("arn:%s:dynamodb:%s:%s:table/%s", p, r, sec, detection.DedupeTableName)
	if grant(streamFn, "ClaimAlerts") != table {
		t.Fatalf("the stream function claims in %s, want %s", grant(streamFn, "ClaimAlerts"), table)
	}
	detectionKey, topic, alertKey, alertBus := grant(streamFn, "EncryptClaims"), grant(streamFn, "PublishAlerts"), grant(streamFn, "EncryptAlerts"), grant(streamFn, "PutAlertEvents")
	archiveQueue := detection.ArchiveQueueArn(p, r, sec)
	stream, bucket := cfg.StreamARN(), cfg.LogArchiveBucketARN()
	logFile := bucket + "/AWSLogs/" + cfg.Organization.ID + "/" + o.members[0] + "/CloudTrail/" + r + "/2026/11/30/log.json.gz"
	via := func(svc string, ec map[string]any) map[string]any {
		m := map[string]any{"kms:ViaService": svc + "." + r + ".amazonaws.com"}
		for k, v := range ec {
			m[k] = v
		}
		return m
	}
	name := func(format string, args ...any) string { return "detect: " + fmt.Sprintf(format, args...) }
	var out []scenario
	// The sources, each function its own.
	for _, action := range []string{"kinesis:GetRecords", "kinesis:GetShardIterator", "kinesis:ListShards"} {
		out = append(out, scenario{name: name("the stream function %s on the stream", action), who: streamFn, action: action, resource: stream, account: sec, allowed: true})
	}
	streamKey := o.keyByAlias(t, sec, config.StreamKeyAlias)
	trailKey := o.keyByAlias(t, sec, config.TrailKeyAlias)
	out = append(out,
		scenario{name: name("the stream function decrypts with the stream key"), who: streamFn, action: "kms:Decrypt", resource: streamKey, account: sec, allowed: true,
			context: via("kinesis", map[string]any{"kms:EncryptionContext:aws:kinesis:arn": stream})},
		scenario{name: name("the stream function cannot decrypt the stream key for another stream"), who: streamFn, action: "kms:Decrypt", resource: streamKey, account: sec,
			context: via("kinesis", map[string]any{"kms:EncryptionContext:aws:kinesis:arn": strings.Replace(stream, "stream/", "stream/other-", 1)})},
		scenario{name: name("the stream function cannot read the archive"), who: streamFn, action: "s3:GetObject", resource: logFile, account: sec},
		scenario{name: name("the archive function reads a log file"), who: archiveFn, action: "s3:GetObject", resource: logFile, account: sec, allowed: true},
		scenario{name: name("the archive function decrypts a log file with the trail key through S3"), who: archiveFn, action: "kms:Decrypt", resource: trailKey, account: sec, allowed: true,
			context: via("s3", map[string]any{"kms:EncryptionContext:aws:s3:arn": bucket})},
		scenario{name: name("the archive function cannot decrypt with the trail key outside S3"), who: archiveFn, action: "kms:Decrypt", resource: trailKey, account: sec,
			context: map[string]any{"kms:EncryptionContext:aws:s3:arn": bucket}},
		scenario{name: name("the archive function cannot read outside AWSLogs/"), who: archiveFn, action: "s3:GetObject", resource: bucket + "/elsewhere/x.json", account: sec},
		scenario{name: name("the archive function cannot delete a log file"), who: archiveFn, action: "s3:DeleteObject", resource: logFile, account: sec},
		scenario{name: name("the archive function takes the archive queue's messages"), who: archiveFn, action: "sqs:ReceiveMessage", resource: archiveQueue, account: sec, allowed: true},
		scenario{name: name("the archive function deletes the archive queue's messages"), who: archiveFn, action: "sqs:DeleteMessage", resource: archiveQueue, account: sec, allowed: true},
		scenario{name: name("the archive function decrypts the archive queue's messages"), who: archiveFn, action: "kms:Decrypt", resource: detectionKey, account: sec, allowed: true,
			context: via("sqs", map[string]any{"kms:EncryptionContext:aws:sqs:arn": archiveQueue})},
		// Nobody else takes the archive queue's messages (the key policy delegates to the
		// account, so the SCP decides), or acts with the functions' roles.
		scenario{name: name("admin of %s cannot take the archive queue's messages", sec), who: o.admin(sec), action: "sqs:ReceiveMessage", resource: archiveQueue, account: sec},
		scenario{name: name("admin of %s cannot delete the archive queue's messages", sec), who: o.admin(sec), action: "sqs:DeleteMessage", resource: archiveQueue, account: sec},
		scenario{name: name("admin of %s reads the failure queue", sec), who: o.admin(sec), action: "sqs:ReceiveMessage", account: sec, allowed: true,
			resource: grant(streamFn, "SendFailures")},
		scenario{name: name("admin of %s cannot pass the archive function's role to a function of their own", sec), who: o.admin(sec), action: "iam:PassRole", resource: archiveFn.arn, account: sec,
			context: map[string]any{"iam:PassedToService": "lambda.amazonaws.com"}},
		scenario{name: name("admin of %s cannot map another source to a detection function", sec), who: o.admin(sec), action: "lambda:CreateEventSourceMapping", resource: "*", account: sec,
			context: map[string]any{"lambda:FunctionArn": fmt.Sprintf("arn:%s:lambda:%s:%s:function:%s", p, r, sec, detection.StreamFunctionName)}},
	)
	// Both functions lease and record alerts' deliveries, and publish alerts.
	for _, fn := range []principal{streamFn, archiveFn} {
		out = append(out,
			scenario{name: name("%s claims a dedupe key", fn.arn), who: fn, action: "dynamodb:PutItem", resource: table, account: sec, allowed: true},
			scenario{name: name("%s takes an alert's delivery lease", fn.arn), who: fn, action: "dynamodb:UpdateItem", resource: table, account: sec, allowed: true},
			scenario{name: name("%s reads an alert's delivery state", fn.arn), who: fn, action: "dynamodb:GetItem", resource: table, account: sec, allowed: true},
			scenario{name: name("%s cannot delete an alert's delivery state", fn.arn), who: fn, action: "dynamodb:DeleteItem", resource: table, account: sec},
			scenario{name: name("%s counts a threshold", fn.arn), who: fn, action: "dynamodb:UpdateItem", resource: table, account: sec, allowed: true},
			scenario{name: name("%s reads threshold counts", fn.arn), who: fn, action: "dynamodb:BatchGetItem", resource: table, account: sec, allowed: true},
			scenario{name: name("%s encrypts claims with the detection key through DynamoDB", fn.arn), who: fn, action: "kms:GenerateDataKey", resource: detectionKey, account: sec, allowed: true,
				context: via("dynamodb", nil)},
			scenario{name: name("%s cannot write another table", fn.arn), who: fn, action: "dynamodb:PutItem", resource: strings.Replace(table, detection.DedupeTableName, "app-table", 1), account: sec},
			scenario{name: name("%s publishes to the alert topic", fn.arn), who: fn, action: "sns:Publish", resource: topic, account: sec, allowed: true},
			scenario{name: name("%s encrypts alerts with the alert key through SNS", fn.arn), who: fn, action: "kms:GenerateDataKey", resource: alertKey, account: sec, allowed: true,
				context: via("sns", map[string]any{"kms:EncryptionContext:aws:sns:topicArn": topic})},
			scenario{name: name("%s puts alerts on the alert bus", fn.arn), who: fn, action: "events:PutEvents", resource: alertBus, account: sec, allowed: true},
		)
	}
	return out
}

// archiveQueryScenarios: the investigators, and nobody else, may assume the archive query
// role; the role runs queries in its workgroup, reads the table, the organization's log files
// (decrypting through S3) and its results, and nothing more; nobody else reads or writes the
// results, directly or through Athena, and no member account's admin can query at all.
func (o *orgModel) archiveQueryScenarios(t *testing.T) []scenario {
	t.Helper()
	cfg := o.cfg
	if !cfg.ArchiveQuery.Enabled {
		return nil
	}
	p, sec, r := cfg.Partition(), cfg.Organization.SecurityAccount, cfg.HomeRegion
	var wg, table, db, results *renderedResource
	for _, s := range o.stacks {
		if s.name != cfg.SecurityStackName() {
			continue
		}
		for _, res := range s.resources {
			switch {
			case res.typ == "AWS::Athena::WorkGroup":
				wg = res
			case res.typ == "AWS::Glue::Table":
				table = res
			case res.typ == "AWS::Glue::Database":
				db = res
			case res.typ == "AWS::S3::Bucket" && strings.HasPrefix(res.name, "trailguard-query-results-"):
				results = res
			}
		}
	}
	if wg == nil || table == nil || db == nil || results == nil {
		t.Fatalf("archive query enabled, but the Security stack lacks its workgroup, database, table or results bucket")
	}
	resultsKey := fmt.Sprint(get(wg.props, "WorkGroupConfiguration", "ResultConfiguration", "EncryptionConfiguration", "KmsKey"))
	if _, ok := o.rendered[resultsKey]; !ok {
		t.Fatalf("the workgroup's results key %s is not a key of the stack", resultsKey)
	}
	role := o.role(archivequery.RoleArn(p, sec))
	if len(role.identity) == 0 {
		t.Fatalf("the archive query role %s has no identity policy", role.arn)
	}
	trailKey := o.keyByAlias(t, sec, config.TrailKeyAlias)
	archive := cfg.LogArchiveBucketARN()
	logFile := archive + "/AWSLogs/" + cfg.Organization.ID + "/" + o.members[0] + "/CloudTrail/us-east-1/2025/10/30/" + o.members[0] + "_CloudTrail_us-east-1_20251030T0000Z_abc.json.gz"
	result := results.arn + "/0f1e2d3c-query-id.csv"
	viaS3 := func(bucket string) map[string]any {
		return map[string]any{"kms:ViaService": "s3." + r + ".amazonaws.com", "kms:EncryptionContext:aws:s3:arn": bucket}
	}
	viaAthena := map[string]any{"aws:CalledVia": []string{"athena.amazonaws.com"}, "aws:CalledViaFirst": "athena.amazonaws.com"}
	name := func(format string, args ...any) string { return "query: " + fmt.Sprintf(format, args...) }
	var out []scenario
	for _, inv := range cfg.ArchiveQuery.Investigators {
		who := principal{arn: inv, account: strings.Split(inv, ":")[4], orgID: cfg.Organization.ID, identity: []policy{allowAll}}
		out = append(out, scenario{name: name("investigator %s assumes the query role", inv), who: who, action: "sts:AssumeRole", resource: role.arn, account: sec, allowed: true})
	}
	for _, a := range append([]string{sec}, o.members...) {
		out = append(out,
			scenario{name: name("admin of %s cannot assume the query role", a), who: o.admin(a), action: "sts:AssumeRole", resource: role.arn, account: sec},
			scenario{name: name("admin of %s cannot read a result", a), who: o.admin(a), action: "s3:GetObject", resource: result, account: sec},
			scenario{name: name("admin of %s cannot read a result through Athena", a), who: o.admin(a), action: "s3:GetObject", resource: result, account: sec, context: viaAthena},
			scenario{name: name("admin of %s cannot plant a result", a), who: o.admin(a), action: "s3:PutObject", resource: result, account: sec, context: viaAthena},
			scenario{name: name("admin of %s cannot decrypt results", a), who: o.admin(a), action: "kms:Decrypt", resource: resultsKey, account: sec, context: viaS3(results.arn)},
		)
	}
	for _, a := range o.members {
		// A workgroup has no resource policy: another account's principals cannot use it.
		out = append(out, scenario{name: name("admin of %s cannot start a query in the workgroup", a), who: o.admin(a), action: "athena:StartQueryExecution", resource: wg.arn, account: sec})
	}
	// Nobody else in the Security account reads results, the detection functions included.
	for _, fn := range []string{detection.StreamFunctionName, detection.ArchiveFunctionName} {
		who := o.role(fmt.Sprintf("arn:%s:iam::%s:role/%s", p, sec, fn))
		out = append(out, scenario{name: name("%s cannot read a result", who.arn), who: who, action: "s3:GetObject", resource: result, account: sec})
	}
	out = append(out,
		scenario{name: name("the role starts a query in its workgroup"), who: role, action: "athena:StartQueryExecution", resource: wg.arn, account: sec, allowed: true},
		scenario{name: name("the role reads query results"), who: role, action: "athena:GetQueryResults", resource: wg.arn, account: sec, allowed: true},
		scenario{name: name("the role stops its query"), who: role, action: "athena:StopQueryExecution", resource: wg.arn, account: sec, allowed: true},
		scenario{name: name("the role reads a named query"), who: role, action: "athena:GetNamedQuery", resource: wg.arn, account: sec, allowed: true},
		scenario{name: name("the role reads the table"), who: role, action: "glue:GetTable", resource: table.arn, account: sec, allowed: true},
		scenario{name: name("the role reads the database"), who: role, action: "glue:GetDatabase", resource: db.arn, account: sec, allowed: true},
		scenario{name: name("the role lists the archive"), who: role, action: "s3:ListBucket", resource: archive, account: sec, allowed: true, context: viaAthena},
		scenario{name: name("the role reads a log file through Athena"), who: role, action: "s3:GetObject", resource: logFile, account: sec, allowed: true, context: viaAthena},
		scenario{name: name("the role decrypts a log file with the trail key through S3"), who: role, action: "kms:Decrypt", resource: trailKey, account: sec, allowed: true, context: viaS3(archive)},
		scenario{name: name("the role writes a result"), who: role, action: "s3:PutObject", resource: result, account: sec, allowed: true, context: viaAthena},
		scenario{name: name("the role reads a result"), who: role, action: "s3:GetObject", resource: result, account: sec, allowed: true},
		scenario{name: name("the role encrypts a result through S3"), who: role, action: "kms:GenerateDataKey", resource: resultsKey, account: sec, allowed: true, context: viaS3(results.arn)},
		scenario{name: name("the role decrypts a result through S3"), who: role, action: "kms:Decrypt", resource: resultsKey, account: sec, allowed: true, context: viaS3(results.arn)},
		scenario{name: name("the role decrypts a result written without the bucket key"), who: role, action: "kms:Decrypt", resource: resultsKey, account: sec, allowed: true, context: viaS3(result)},
		scenario{name: name("the role cannot decrypt another bucket's objects with the results key"), who: role, action: "kms:Decrypt", resource: resultsKey, account: sec, context: viaS3(archive)},
		// And nothing more.
		scenario{name: name("the role cannot decrypt results outside S3"), who: role, action: "kms:Decrypt", resource: resultsKey, account: sec, context: map[string]any{"kms:EncryptionContext:aws:s3:arn": results.arn}},
		scenario{name: name("the role cannot query in another workgroup"), who: role, action: "athena:StartQueryExecution", resource: fmt.Sprintf("arn:%s:athena:%s:%s:workgroup/primary", p, r, sec), account: sec},
		scenario{name: name("the role cannot change its workgroup"), who: role, action: "athena:UpdateWorkGroup", resource: wg.arn, account: sec},
		scenario{name: name("the role cannot change the table"), who: role, action: "glue:UpdateTable", resource: table.arn, account: sec},
		scenario{name: name("the role cannot delete a log file"), who: role, action: "s3:DeleteObject", resource: logFile, account: sec},
		scenario{name: name("the role cannot read outside the organization's prefix"), who: role, action: "s3:GetObject", resource: archive + "/elsewhere/x.json.gz", account: sec},
		scenario{name: name("the role cannot delete a result"), who: role, action: "s3:DeleteObject", resource: result, account: sec},
		scenario{name: name("the role cannot read another bucket"), who: role, action: "s3:GetObject", resource: "arn:" + p + ":s3:::some-bucket/x", account: sec},
	)
	return out
}
