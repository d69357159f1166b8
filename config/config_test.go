package config

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/trailguard/trailguard/examples"
)

// base is a minimal valid config; cases edit it by replacing one line.
const base = `organization:
  id: o-a1b2c3d4e5
  managementAccount: "111111111111"
  securityAccount: "222222222222"
homeRegion: eu-west-1
regions: [eu-west-1, us-east-1]
members:
  - id: "333333333333"
    name: prod
    regions: [us-east-1, eu-west-1]
logArchive:
  retentionDays: 730
  objectLock: {mode: COMPLIANCE, days: 365}
  breakGlassPrincipals: [arn:aws:iam::222222222222:role/BreakGlass]
organizationTrail:
  cloudWatchLogs: {enabled: true, retentionDays: 90}
  dataEvents: [AWS::S3::Object]
  insightTypes: [ApiCallRateInsight]
accountTrail:
  retentionDays: 90
eventStream:
  mode: ON_DEMAND
  retentionHours: 168
  partitionKey: eventId
alerts:
  emails: [soc@example.com]
guardrails:
  targets: [r-ab12]
  exemptPrincipals: ["arn:aws:iam::*:role/BreakGlass"]
deployment:
  mode: stacks
tags:
  team: security
`

// edit replaces old with new in base, failing if old is not there exactly once.
func edit(t *testing.T, old, new string) string {
	t.Helper()
	if n := strings.Count(base, old); n != 1 {
		t.Fatalf("test setup: %q appears %d times in base", old, n)
	}
	return strings.Replace(base, old, new, 1)
}

func mustLoad(t *testing.T, src string) *Config {
	t.Helper()
	cfg, err := Load("test.yaml", []byte(src))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return cfg
}

func problemsOf(t *testing.T, err error) []Problem {
	t.Helper()
	var ps *Problems
	if !errors.As(err, &ps) {
		t.Fatalf("error = %v (%T), want *Problems", err, err)
	}
	return ps.List
}

func TestLoadExampleAndBase(t *testing.T) {
	for name, src := range map[string][]byte{"example": examples.Default, "base": []byte(base)} {
		t.Run(name, func(t *testing.T) {
			if _, err := Load(name, src); err != nil {
				t.Fatalf("Load: %v", err)
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	cfg := mustLoad(t, `organization: {id: o-a1b2c3d4e5, managementAccount: "111111111111", securityAccount: "222222222222"}
homeRegion: eu-west-1
regions: [eu-west-1, us-east-1]
members: [{id: "333333333333", name: prod}]
guardrails: {targets: [r-ab12]}
`)
	want := Config{
		Organization: Organization{ID: "o-a1b2c3d4e5", ManagementAccount: "111111111111", SecurityAccount: "222222222222"},
		HomeRegion:   "eu-west-1",
		Regions:      []string{"eu-west-1", "us-east-1"},
		Members:      []Member{{ID: "333333333333", Name: "prod"}},
		LogArchive: LogArchive{
			BucketName:             "trailguard-archive-222222222222-eu-west-1",
			RetentionDays:          2557,
			TransitionDays:         90,
			ObjectLock:             ObjectLock{Mode: "COMPLIANCE", Days: 365},
			AccessLogRetentionDays: 365,
		},
		OrganizationTrail: OrganizationTrail{Name: "trailguard-organization", CloudWatchLogs: CloudWatchLogs{RetentionDays: 365}},
		AccountTrail:      AccountTrail{Name: "trailguard-local", RetentionDays: 365, CloudWatchLogs: CloudWatchLogs{RetentionDays: 365}},
		EventStream: EventStream{
			StreamName: "trailguard-security-events", BusName: "trailguard-security-events",
			Mode: "ON_DEMAND", RetentionHours: 168, PartitionKey: "eventId",
		},
		Guardrails:   Guardrails{Targets: []string{"r-ab12"}},
		Response:     Response{MaxActionsPerResource: 3, MaxActionsPerAccount: 20},
		ArchiveQuery: ArchiveQuery{BytesScannedCutoffPerQuery: 1_000_000_000_000, ResultsRetentionDays: 30, ProjectionStartDate: "2020/01/01"},
		Deployment: Deployment{Mode: "stacks", Qualifier: "hnb659fds", StackSet: StackSetOptions{MaxConcurrentPercentage: 25, FailureTolerancePercentage: 10, RegionConcurrency: "PARALLEL"},
			Deployers: []string{"arn:aws:iam::*:role/OrganizationAccountAccessRole"}},
	}
	if diff := cmp.Diff(want, *cfg); diff != "" {
		t.Errorf("defaults (-want +got):\n%s", diff)
	}
	if !cfg.GuardrailsEnabled() {
		t.Errorf("GuardrailsEnabled() = false, want true by default")
	}
	if got := cfg.MemberRegions(cfg.Members[0]); !cmp.Equal(got, []string{"eu-west-1", "us-east-1"}) {
		t.Errorf("MemberRegions = %v, want the top-level regions", got)
	}
}

func TestExplicitValuesAreKept(t *testing.T) {
	cfg := mustLoad(t, edit(t, "  retentionDays: 730\n", "  retentionDays: 730\n  transitionDays: 0\n  bucketName: trailguard-my-archive\n"))
	if cfg.LogArchive.TransitionDays != 0 {
		t.Errorf("transitionDays = %d, want an explicit 0 kept (no transition)", cfg.LogArchive.TransitionDays)
	}
	if cfg.LogArchive.BucketName != "trailguard-my-archive" {
		t.Errorf("bucketName = %q, want trailguard-my-archive", cfg.LogArchive.BucketName)
	}
	// Unquoted account ids stay as written, leading zeros included.
	cfg = mustLoad(t, edit(t, `- id: "333333333333"`, `- id: 033333333333`))
	if got := cfg.Members[0].ID; got != "033333333333" {
		t.Errorf("member id = %q, want 033333333333 as written", got)
	}
}

// TestValidation covers every rule with a bad case; the good case of each is base itself.
func TestValidation(t *testing.T) {
	tests := []struct {
		name      string
		old, new  string
		wantPath  string
		wantLine  int
		wantInMsg string
		// others is how many other problems the edit rightly causes.
		others int
	}{
		{"org id", "id: o-a1b2c3d4e5", "id: o-123", "organization.id", 2, "o-[a-z0-9]{10,32}", 0},
		{"org id missing", "  id: o-a1b2c3d4e5\n", "", "organization.id", 1, "is required", 0},
		{"management account", `managementAccount: "111111111111"`, `managementAccount: "1111"`, "organization.managementAccount", 3, "12-digit", 0},
		{"security account", `securityAccount: "222222222222"`, `securityAccount: "22222222222a"`, "organization.securityAccount", 4, "12-digit", 0},
		{"security is management", `securityAccount: "222222222222"`, `securityAccount: "111111111111"`, "organization.securityAccount", 4, "separate Security account", 0},
		{"home region", "homeRegion: eu-west-1", "homeRegion: eu-wets-1", "homeRegion", 5, "did you mean eu-west-1", 0},
		{"regions empty", "regions: [eu-west-1, us-east-1]", "regions: []", "regions", 6, "is required", 0},
		{"region unknown", "regions: [eu-west-1, us-east-1]", "regions: [eu-west-1, us-east-1, mars-1]", "regions[2]", 6, "AWS region", 0},
		{"region partition", "regions: [eu-west-1, us-east-1]", "regions: [eu-west-1, us-east-1, cn-north-1]", "regions[2]", 6, "partition", 0},
		{"region repeated", "regions: [eu-west-1, us-east-1]", "regions: [eu-west-1, us-east-1, eu-west-1]", "regions[2]", 6, "repeats regions[0]", 0},
		{"regions lack home", "regions: [eu-west-1, us-east-1]", "regions: [us-east-1]", "regions", 6, "must include the home region", 1},
		{"members empty", "members:\n  - id: \"333333333333\"\n    name: prod\n    regions: [us-east-1, eu-west-1]\n", "members: []\n", "members", 7, "at least one member", 0},
		{"member id", `- id: "333333333333"`, `- id: "3"`, "members[0].id", 8, "12-digit", 0},
		{"member is management", `- id: "333333333333"`, `- id: "111111111111"`, "members[0].id", 8, "organization.managementAccount", 0},
		{"member is security", `- id: "333333333333"`, `- id: "222222222222"`, "members[0].id", 8, "organization.securityAccount", 0},
		{"member twice", "    regions: [us-east-1, eu-west-1]\n", "    regions: [us-east-1, eu-west-1]\n  - {id: \"333333333333\", name: other}\n", "members[1].id", 11, "already members[0].id", 0},
		{"member name", "name: prod", "name: 'prod env'", "members[0].name", 9, "hyphens", 0},
		{"member name duplicate", "    regions: [us-east-1, eu-west-1]\n", "    regions: [us-east-1, eu-west-1]\n  - {id: \"444444444444\", name: PROD}\n", "members[1].name", 11, "unique", 0},
		{"member region not covered", "    regions: [us-east-1, eu-west-1]\n", "    regions: [us-east-1, eu-west-1, ap-south-1]\n", "members[0].regions[2]", 10, "top-level regions", 0},
		{"member regions lack home", "    regions: [us-east-1, eu-west-1]\n", "    regions: [us-east-1]\n", "members[0].regions", 10, "must include the home region", 0},
		{"member regions lack global events region", "    regions: [us-east-1, eu-west-1]\n", "    regions: [eu-west-1]\n", "members[0].regions", 10, "must include us-east-1: EventBridge delivers the global services' events", 0},
		{"regions lack global events region", "regions: [eu-west-1, us-east-1]", "regions: [eu-west-1]", "regions", 6, "must include us-east-1", 1},
		{"bucket name", "  retentionDays: 730\n", "  retentionDays: 730\n  bucketName: My.Bucket\n", "logArchive.bucketName", 13, "no dots", 0},
		{"retention zero", "retentionDays: 730", "retentionDays: 0", "logArchive.retentionDays", 12, "between 1 and 36500", 0},
		{"retention too long", "retentionDays: 730", "retentionDays: 40000", "logArchive.retentionDays", 12, "between 1 and 36500", 0},
		{"transition after expiry", "  retentionDays: 730\n", "  retentionDays: 730\n  transitionDays: 800\n", "logArchive.transitionDays", 13, "less than logArchive.retentionDays", 0},
		{"transition negative", "  retentionDays: 730\n", "  retentionDays: 730\n  transitionDays: -1\n", "logArchive.transitionDays", 13, "positive", 0},
		{"lock mode", "mode: COMPLIANCE", "mode: compliance", "logArchive.objectLock.mode", 13, "COMPLIANCE, GOVERNANCE", 0},
		{"lock days", "days: 365", "days: 0", "logArchive.objectLock.days", 13, "between 1 and 36500", 0},
		{"lock longer than retention", "days: 365", "days: 1000", "logArchive.objectLock.days", 13, "must not exceed logArchive.retentionDays", 0},
		{"access log retention", "  retentionDays: 730\n", "  retentionDays: 730\n  accessLogRetentionDays: 0\n", "logArchive.accessLogRetentionDays", 13, "between 1 and 36500", 0},
		{"break glass arn", "arn:aws:iam::222222222222:role/BreakGlass]", "arn:aws:iam::222222222222:user/alice]", "logArchive.breakGlassPrincipals[0]", 14, "IAM role ARN", 0},
		{"readers arn", "  retentionDays: 730\n", "  retentionDays: 730\n  readers: [not-an-arn]\n", "logArchive.readers[0]", 13, "IAM role ARN", 0},
		{"org trail name", "organizationTrail:\n", "organizationTrail:\n  name: a\n", "organizationTrail.name", 16, "trail name", 0},
		{"org trail name ends badly", "organizationTrail:\n", "organizationTrail:\n  name: my-trail-\n", "organizationTrail.name", 16, "ending with a letter or digit", 0},
		{"org trail name adjacent punctuation", "organizationTrail:\n", "organizationTrail:\n  name: my--trail\n", "organizationTrail.name", 16, "no two of", 0},
		{"log group retention", "retentionDays: 90}", "retentionDays: 42}", "organizationTrail.cloudWatchLogs.retentionDays", 16, "CloudWatch Logs retention", 0},
		{"data event type", "dataEvents: [AWS::S3::Object]", "dataEvents: [AWS::S3::Bucket]", "organizationTrail.dataEvents[0]", 17, "AWS::S3::Object", 0},
		{"insight type", "insightTypes: [ApiCallRateInsight]", "insightTypes: [Everything]", "organizationTrail.insightTypes[0]", 18, "ApiErrorRateInsight", 0},
		{"account trail same name", "accountTrail:\n", "accountTrail:\n  name: trailguard-organization\n", "accountTrail.name", 20, "must differ", 0},
		{"account trail retention", "  retentionDays: 90\neventStream", "  retentionDays: 0\neventStream", "accountTrail.retentionDays", 20, "between 1 and 36500", 0},
		{"stream mode", "mode: ON_DEMAND", "mode: FAST", "eventStream.mode", 22, "ON_DEMAND, PROVISIONED", 0},
		{"shards on demand", "mode: ON_DEMAND", "mode: ON_DEMAND\n  shardCount: 4", "eventStream.shardCount", 23, "only applies to mode PROVISIONED", 0},
		{"shards provisioned", "mode: ON_DEMAND", "mode: PROVISIONED\n  shardCount: 0", "eventStream.shardCount", 23, "between 1 and 1000", 0},
		{"stream retention", "retentionHours: 168", "retentionHours: 24", "eventStream.retentionHours", 23, "between 168 and 8760", 0},
		{"partition key", "partitionKey: eventId", "partitionKey: random", "eventStream.partitionKey", 24, "eventId, accountId", 0},
		{"stream name", "mode: ON_DEMAND", "mode: ON_DEMAND\n  streamName: 'a b'", "eventStream.streamName", 23, "Kinesis stream name", 0},
		// Names decide protection: one without the prefix is refused, not silently unprotected.
		{"stream name unprotected", "mode: ON_DEMAND", "mode: ON_DEMAND\n  streamName: security-events", "eventStream.streamName", 23, "must start with trailguard-: the guardrails and the tamper alerts", 0},
		{"bus name unprotected", "mode: ON_DEMAND", "mode: ON_DEMAND\n  busName: security-events", "eventStream.busName", 23, "neither protected nor alerted on (e.g. trailguard-security-events)", 0},
		{"bucket name unprotected", "  retentionDays: 730\n", "  retentionDays: 730\n  bucketName: acme-archive\n", "logArchive.bucketName", 13, "must start with trailguard-", 0},
		{"account trail name unprotected", "accountTrail:\n", "accountTrail:\n  name: local\n", "accountTrail.name", 20, "must start with trailguard-", 0},
		{"bus name default", "mode: ON_DEMAND", "mode: ON_DEMAND\n  busName: default", "eventStream.busName", 23, "custom bus", 0},
		{"extra detail type", "mode: ON_DEMAND", "mode: ON_DEMAND\n  extraDetailTypes: ['']", "eventStream.extraDetailTypes[0]", 23, "detail-type", 0},
		{"email", "emails: [soc@example.com]", "emails: [soc]", "alerts.emails[0]", 26, "email address", 0},
		{"disabled rule id", "emails: [soc@example.com]", "emails: [soc@example.com]\ndetection: {disabledRules: [Root_Activity]}", "detection.disabledRules[0]", 27, "a rule id", 0},
		{"disabled rule twice", "emails: [soc@example.com]", "emails: [soc@example.com]\ndetection: {disabledRules: [ses-enumeration, ses-enumeration]}", "detection.disabledRules[1]", 27, "repeats detection.disabledRules[0]", 0},
		{"rules dir empty", "emails: [soc@example.com]", "emails: [soc@example.com]\ndetection: {rulesDir: ''}", "detection.rulesDir", 27, "directory of rule files", 0},
		{"response action unknown", "emails: [soc@example.com]", "emails: [soc@example.com]\nresponse: {actions: {make-private: {mode: enforce}}}", "response.actions.make-private", 27, "is not an action; want one of cloudtrail-restore-trail, cloudtrail-start-logging, ec2-revoke-open-ingress, events-restore-forwarder-rule", 0},
		{"response mode", "emails: [soc@example.com]", "emails: [soc@example.com]\nresponse: {actions: {s3-block-public-access: {mode: on}}}", "response.actions.s3-block-public-access.mode", 27, "must be one of off, dry-run, enforce", 0},
		{"response exempt bucket", "emails: [soc@example.com]", "emails: [soc@example.com]\nresponse: {exemptions: {buckets: ['My Bucket']}}", "response.exemptions.buckets[0]", 27, "bucket name or ARN pattern", 0},
		{"response exempt security group", "emails: [soc@example.com]", "emails: [soc@example.com]\nresponse: {exemptions: {securityGroups: [default]}}", "response.exemptions.securityGroups[0]", 27, "security group id", 0},
		{"response exempt account", "emails: [soc@example.com]", "emails: [soc@example.com]\nresponse: {exemptions: {accounts: ['1234']}}", "response.exemptions.accounts[0]", 27, "12-digit", 0},
		{"response limit", "emails: [soc@example.com]", "emails: [soc@example.com]\nresponse: {maxActionsPerResource: 0}", "response.maxActionsPerResource", 27, "between 1 and 1000", 0},
		{"investigator arn", "emails: [soc@example.com]", "emails: [soc@example.com]\neventHistory: {investigators: ['arn:aws:iam::*:role/x']}", "eventHistory.investigators[0]", 27, "IAM role ARN", 0},
		{"archive query cutoff", "emails: [soc@example.com]", "emails: [soc@example.com]\narchiveQuery: {bytesScannedCutoffPerQuery: 1000}", "archiveQuery.bytesScannedCutoffPerQuery", 27, "at least 10000000 bytes", 0},
		{"archive query retention", "emails: [soc@example.com]", "emails: [soc@example.com]\narchiveQuery: {resultsRetentionDays: 0}", "archiveQuery.resultsRetentionDays", 27, "between 1 and 36500", 0},
		{"archive query start date", "emails: [soc@example.com]", "emails: [soc@example.com]\narchiveQuery: {projectionStartDate: 2020-01-01}", "archiveQuery.projectionStartDate", 27, "yyyy/MM/dd", 0},
		{"archive query investigator", "emails: [soc@example.com]", "emails: [soc@example.com]\narchiveQuery: {investigators: ['arn:aws:iam::*:role/x']}", "archiveQuery.investigators[0]", 27, "IAM role ARN", 0},
		{"archive query without investigators", "emails: [soc@example.com]", "emails: [soc@example.com]\narchiveQuery: {enabled: true}", "archiveQuery.investigators", 27, "is required with archiveQuery.enabled", 0},
		{"archive query extra account", "emails: [soc@example.com]", "emails: [soc@example.com]\narchiveQuery: {extraAccounts: ['5555']}", "archiveQuery.extraAccounts[0]", 27, "12-digit", 0},
		{"guardrail targets required", "  targets: [r-ab12]\n", "", "guardrails.targets", 27, "is required while guardrails are enabled", 0},
		{"guardrail target", "targets: [r-ab12]", "targets: [o-a1b2c3d4e5]", "guardrails.targets[0]", 28, "root id", 0},
		{"exempt principal", `exemptPrincipals: ["arn:aws:iam::*:role/BreakGlass"]`, `exemptPrincipals: ["*"]`, "guardrails.exemptPrincipals[0]", 29, "role ARN pattern", 0},
		{"deployment mode", "mode: stacks", "mode: terraform", "deployment.mode", 31, "stacks, stackset", 0},
		{"stackset without OUs", "mode: stacks", "mode: stackset", "deployment.organizationalUnits", 30, "required in stackset mode", 1},
		{"stackset OU", "mode: stacks", "mode: stackset\n  organizationalUnits: [ou-1]", "deployment.organizationalUnits[0]", 32, "OU id", 1},
		{"stackset concurrency", "mode: stacks", "mode: stacks\n  stackSet: {maxConcurrentPercentage: 0}", "deployment.stackSet.maxConcurrentPercentage", 32, "between 1 and 100", 0},
		{"stackset tolerance", "mode: stacks", "mode: stacks\n  stackSet: {failureTolerancePercentage: 101}", "deployment.stackSet.failureTolerancePercentage", 32, "between 0 and 100", 0},
		{"stackset region concurrency", "mode: stacks", "mode: stacks\n  stackSet: {regionConcurrency: ALL}", "deployment.stackSet.regionConcurrency", 32, "PARALLEL, SEQUENTIAL", 0},
		{"stackset member regions", "mode: stacks", "mode: stackset\n  organizationalUnits: [ou-ab12-cdefgh34]", "members[0].regions", 10, "not supported in stackset mode", 0},
		{"qualifier", "mode: stacks", "mode: stacks\n  qualifier: Not-Valid", "deployment.qualifier", 32, "bootstrap qualifier", 0},
		{"deployer", "mode: stacks", "mode: stacks\n  deployers: ['*']", "deployment.deployers[0]", 32, "role ARN pattern", 0},
		{"no deployer", "mode: stacks", "mode: stacks\n  deployers: []", "deployment.deployers", 32, "at least one deployer", 0},
		{"tag key reserved", "team: security", "'aws:team': security", "tags.aws:team", 33, "reserved", 0},
		{"tag value long", "team: security", "team: " + strings.Repeat("x", 257), "tags.team", 33, "at most 256", 0},
		{"quota unknown", "team: security\n", "team: security\nquotas:\n  raised:\n    events.no-such-quota: 1\n", "quotas.raised.events.no-such-quota", 36, "not a quota the gate checks; expected one of events.event-bus-policy-size, events.event-pattern-size, iam.role-trust-policy-length", 0},
		{"quota not adjustable", "team: security\n", "team: security\nquotas:\n  raised:\n    organizations.scp-size: 10000\n", "quotas.raised.organizations.scp-size", 36, "AWS does not adjust it", 0},
		{"quota below default", "team: security\n", "team: security\nquotas:\n  raised:\n    events.event-pattern-size: 1000\n", "quotas.raised.events.event-pattern-size", 36, "at least the default 2048", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load("test.yaml", []byte(edit(t, tc.old, tc.new)))
			if err == nil {
				t.Fatalf("Load succeeded, want a problem at %s", tc.wantPath)
			}
			ps := problemsOf(t, err)
			for _, p := range ps {
				if p.Path == tc.wantPath {
					if p.Line != tc.wantLine || !strings.Contains(p.Message, tc.wantInMsg) {
						t.Errorf("problem = %q (line %d), want line %d and %q in the message", p.String(), p.Line, tc.wantLine, tc.wantInMsg)
					}
					if len(ps) != 1+tc.others {
						t.Errorf("got %d problems, want only this one:\n%v", len(ps), err)
					}
					return
				}
			}
			t.Errorf("no problem at %s; got:\n%v", tc.wantPath, err)
		})
	}
}

// TestMalformedFiles checks that structural problems are all reported at once, with lines.
func TestMalformedFiles(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string // rendered problems, in order
	}{
		{"empty", "", []string{"the file is empty; start from examples/org.yaml"}},
		{"only comments", "# nothing here\n", []string{"the file is empty; start from examples/org.yaml"}},
		{"not YAML", "organization: [\n", []string{"line 1: the file is not valid YAML"}},
		{"not a mapping", "- a\n- b\n", []string{"line 1: the file must be a mapping of settings"}},
		{"two documents", base + "---\nhomeRegion: us-east-1\n", []string{"line 35: the file holds more than one YAML document"}},
		{
			"unknown keys, wrong types and bad values together",
			edit(t, "homeRegion: eu-west-1\nregions: [eu-west-1, us-east-1]", "homeregion: eu-west-1\nregions: eu-west-1\nbogus: 1"),
			[]string{
				`line 5: homeregion is not a known setting; did you mean "homeRegion"?`,
				`homeRegion is required: an AWS region such as eu-west-1`,
				`line 6: regions must be a list, got "eu-west-1"`,
				`line 7: bogus is not a known setting; expected one of organization, homeRegion`,
			},
		},
		{
			"wrong scalar types",
			edit(t, "  retentionDays: 730\n", "  retentionDays: seven\n  transitionDays: [1]\n"),
			[]string{`line 12: logArchive.retentionDays must be a whole number, got "seven"`, "line 13: logArchive.transitionDays must be a whole number"},
		},
		{"key set twice", edit(t, "homeRegion: eu-west-1", "homeRegion: eu-west-1\nhomeRegion: us-east-1"), []string{`line 6: the file is not valid YAML: mapping key "homeRegion" already defined`}},
		{"mapping where a value belongs", edit(t, "homeRegion: eu-west-1", "homeRegion: {name: eu-west-1}"), []string{"line 5: homeRegion must be a single value, not a mapping"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load("test.yaml", []byte(tc.src))
			if err == nil {
				t.Fatal("Load succeeded, want problems")
			}
			ps := problemsOf(t, err)
			var got []string
			for _, p := range ps {
				got = append(got, p.String())
			}
			for _, w := range tc.want {
				found := false
				for _, g := range got {
					if strings.HasPrefix(g, w) {
						found = true
					}
				}
				if !found {
					t.Errorf("missing problem %q; got:\n%s", w, strings.Join(got, "\n"))
				}
			}
		})
	}
}

func TestStackSetModeNeedsNoMembers(t *testing.T) {
	src := edit(t, "members:\n  - id: \"333333333333\"\n    name: prod\n    regions: [us-east-1, eu-west-1]\n", "")
	src = strings.Replace(src, "mode: stacks", "mode: stackset\n  organizationalUnits: [ou-ab12-cdefgh34]", 1)
	cfg := mustLoad(t, src)
	if cfg.Deployment.Mode != ModeStackSet || len(cfg.Members) != 0 {
		t.Errorf("got mode %q with %d members, want stackset with none", cfg.Deployment.Mode, len(cfg.Members))
	}
}

func TestGuardrailsCanBeDisabled(t *testing.T) {
	cfg := mustLoad(t, edit(t, "  targets: [r-ab12]\n", "  enabled: false\n"))
	if cfg.GuardrailsEnabled() {
		t.Error("GuardrailsEnabled() = true, want false")
	}
	if _, err := Load("t", []byte(edit(t, "  targets: [r-ab12]\n", "  enabled: maybe\n"))); err == nil || !strings.Contains(err.Error(), "must be true or false") {
		t.Errorf("enabled: maybe: error = %v, want 'must be true or false'", err)
	}
}

func TestAnchorsAndAliases(t *testing.T) {
	src := edit(t, "regions: [eu-west-1, us-east-1]", "regions: &all [eu-west-1, us-east-1]")
	src = strings.Replace(src, "    regions: [us-east-1, eu-west-1]\n", "    regions: *all\n", 1)
	cfg := mustLoad(t, src)
	if got, want := cfg.Members[0].Regions, []string{"eu-west-1", "us-east-1"}; !cmp.Equal(got, want) {
		t.Errorf("aliased member regions = %v, want %v", got, want)
	}
}

func TestErrorRendering(t *testing.T) {
	err := &Problems{Source: "org.yaml", List: []Problem{{Path: "homeRegion", Line: 3, Value: "mars", Message: "must be an AWS region"}}}
	want := "config org.yaml has 1 problem:\n  line 3: homeRegion must be an AWS region, got \"mars\""
	if got := err.Error(); got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestNames(t *testing.T) {
	cfg := mustLoad(t, base)
	tests := []struct{ got, want string }{
		{cfg.OrganizationTrailARN(), "arn:aws:cloudtrail:eu-west-1:111111111111:trail/trailguard-organization"},
		{cfg.LogArchiveBucketARN(), "arn:aws:s3:::trailguard-archive-222222222222-eu-west-1"},
		{cfg.TrailKeyAliasARN(), "arn:aws:kms:eu-west-1:222222222222:alias/trailguard/organization-trail"},
		{cfg.StreamARN(), "arn:aws:kinesis:eu-west-1:222222222222:stream/trailguard-security-events"},
		{cfg.ReceivingBusARN(), "arn:aws:events:eu-west-1:222222222222:event-bus/trailguard-security-events"},
		{cfg.CloudFormationExecutionRoleARN("222222222222", "eu-west-1"), "arn:aws:iam::222222222222:role/cdk-hnb659fds-cfn-exec-role-222222222222-eu-west-1"},
		{cfg.MemberStackName(cfg.Members[0], "us-east-1"), "trailguard-member-prod-us-east-1"},
		{cfg.AccessLogBucketName(), "trailguard-archive-222222222222-eu-west-1-access-logs"},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
	gov := mustLoad(t, strings.NewReplacer("eu-west-1", "us-gov-west-1", "us-east-1", "us-gov-east-1").Replace(base))
	if got := gov.LogArchiveBucketARN(); !strings.HasPrefix(got, "arn:aws-us-gov:s3:::") {
		t.Errorf("GovCloud bucket ARN = %q, want the aws-us-gov partition", got)
	}
}

// TestAccessLogBucketNameFitsS3 keeps the derived name a valid bucket name for the longest
// archive names, without a doubled hyphen where the archive's name is cut.
func TestAccessLogBucketNameFitsS3(t *testing.T) {
	for _, archive := range []string{
		strings.Repeat("a", 63),
		strings.Repeat("a", 50) + "-" + strings.Repeat("b", 12), // cut right after the hyphen
		"abc",
	} {
		cfg := &Config{LogArchive: LogArchive{BucketName: archive}}
		got := cfg.AccessLogBucketName()
		if !bucketNamePattern.MatchString(got) || strings.Contains(got, "--") || !strings.HasSuffix(got, "-access-logs") || got == archive {
			t.Errorf("AccessLogBucketName() for archive %q = %q (%d characters), want a distinct valid bucket name ending in -access-logs", archive, got, len(got))
		}
	}
}

// TestRaisedQuotas: quotas raised with Service Quotas reach the config.
func TestRaisedQuotas(t *testing.T) {
	cfg := mustLoad(t, edit(t, "team: security\n", "team: security\nquotas:\n  raised:\n    events.event-pattern-size: 4096\n"))
	if got := cfg.Quotas.Raised; !cmp.Equal(got, map[string]int{"events.event-pattern-size": 4096}) {
		t.Errorf("Quotas.Raised = %v, want the event pattern size raised to 4096", got)
	}
}

// TestArchiveQueryDefaults: the query layer's investigators default to the archive's readers
// and the Event History investigators, and its accounts are the organization's, each once.
func TestArchiveQueryDefaults(t *testing.T) {
	src := edit(t, "emails: [soc@example.com]", `emails: [soc@example.com]
eventHistory: {investigators: ["arn:aws:iam::222222222222:role/ir", "arn:aws:iam::222222222222:role/reader"]}
archiveQuery: {enabled: true, extraAccounts: ["555555555555", "333333333333"]}`)
	src = strings.Replace(src, "  breakGlassPrincipals:", "  readers: [\"arn:aws:iam::222222222222:role/reader\"]\n  breakGlassPrincipals:", 1)
	cfg := mustLoad(t, src)
	if want := []string{"arn:aws:iam::222222222222:role/reader", "arn:aws:iam::222222222222:role/ir"}; !cmp.Equal(cfg.ArchiveQuery.Investigators, want) {
		t.Errorf("investigators = %v, want %v", cfg.ArchiveQuery.Investigators, want)
	}
	if want := []string{"111111111111", "222222222222", "333333333333", "555555555555"}; !cmp.Equal(cfg.ArchiveQueryAccounts(), want) {
		t.Errorf("accounts = %v, want %v", cfg.ArchiveQueryAccounts(), want)
	}
}

func TestResponseModes(t *testing.T) {
	cfg := mustLoad(t, edit(t, "emails: [soc@example.com]", "emails: [soc@example.com]\nresponse:\n  actions:\n    s3-block-public-access: {mode: enforce}\n    iam-deactivate-access-key: {mode: 'off'}\n  exemptions: {buckets: ['www-*', 'arn:aws:s3:::site.example.com'], securityGroups: [sg-0123456789abcdef0], accounts: ['444444444444']}"))
	for action, want := range map[string]string{
		"s3-block-public-access":    ResponseEnforce,
		"iam-deactivate-access-key": ResponseOff,
		"ec2-revoke-open-ingress":   ResponseDryRun, // not listed: the default
	} {
		if got := cfg.Response.ActionMode(action); got != want {
			t.Errorf("ActionMode(%s) = %q, want %q", action, got, want)
		}
	}
}
