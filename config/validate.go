package config

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/trailguard/trailguard/compliance/quota"
)

var (
	orgIDPattern     = regexp.MustCompile(`^o-[a-z0-9]{10,32}$`)
	accountIDPattern = regexp.MustCompile(`^[0-9]{12}$`)
	memberNamePat    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]{0,39}$`)
	// bucketNamePattern is S3's general-purpose bucket naming rule, minus dots: a dotted name
	// breaks virtual-hosted TLS, and trailguard's archive is TLS-only.
	bucketNamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$`)
	roleARNPattern    = regexp.MustCompile(`^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+$`)
	// exemptPattern allows wildcards in the account and role name, as SCP conditions do.
	exemptPattern = regexp.MustCompile(`^arn:aws[a-z-]*:iam::([0-9]{12}|\*):role/[A-Za-z0-9+=,.@_/*-]+$`)
	// trailNamePattern is CloudTrail's rule: 3-128 characters, starting and ending with a letter
	// or digit (adjacent ., _ and - are checked separately).
	trailNamePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{1,126}[A-Za-z0-9]$`)
	adjacentPunct    = regexp.MustCompile(`[._-]{2}`)
	streamNamePat    = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,128}$`)
	busNamePattern   = regexp.MustCompile(`^[A-Za-z0-9._-]{1,256}$`)
	emailPattern     = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
	rootIDPattern    = regexp.MustCompile(`^r-[0-9a-z]{4,32}$`)
	ouIDPattern      = regexp.MustCompile(`^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$`)
	qualifierPattern = regexp.MustCompile(`^[a-z0-9]{1,10}$`)
)

// logGroupRetentionDays are the retention values CloudWatch Logs accepts.
var logGroupRetentionDays = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

// dataEventTypes are the resource types the organization trail can log data events for.
var dataEventTypes = []string{"AWS::S3::Object", "AWS::Lambda::Function", "AWS::DynamoDB::Table"}

// insightTypes are the CloudTrail Insights types.
var insightTypes = []string{"ApiCallRateInsight", "ApiErrorRateInsight"}

// maxDays bounds day counts: S3 Object Lock retention is at most 100 years.
const maxDays = 36500

// checker validates a defaulted config, reporting problems with the line of each field.
type checker struct {
	lines    map[string]int
	bad      map[string]bool
	problems *Problems
}

func validate(c *Config, lines map[string]int, bad map[string]bool, problems *Problems) {
	v := &checker{lines: lines, bad: bad, problems: problems}
	v.organization(c)
	v.regions(c)
	v.members(c)
	v.logArchive(c)
	v.trails(c)
	v.eventStream(c)
	v.alerts(c)
	v.detection(c)
	v.response(c)
	v.guardrails(c)
	v.deployment(c)
	v.tags(c)
	v.quotas(c)
	v.roleARNs("eventHistory.investigators", c.EventHistory.Investigators)
	v.unique("eventHistory.investigators", c.EventHistory.Investigators)
	v.archiveQuery(c)
}

// minBytesScannedCutoff is the least Athena accepts per query, 10 MB.
const minBytesScannedCutoff = 10_000_000

var projectionDatePattern = regexp.MustCompile(`^[0-9]{4}/(0[1-9]|1[0-2])/(0[1-9]|[12][0-9]|3[01])$`)

func (v *checker) archiveQuery(c *Config) {
	aq := c.ArchiveQuery
	if aq.BytesScannedCutoffPerQuery < minBytesScannedCutoff {
		v.fail("archiveQuery.bytesScannedCutoffPerQuery", fmt.Sprint(aq.BytesScannedCutoffPerQuery),
			"must be at least %d bytes (10 MB, Athena's minimum), e.g. 100000000000 for 100 GB", minBytesScannedCutoff)
	}
	v.between("archiveQuery.resultsRetentionDays", aq.ResultsRetentionDays, 1, maxDays)
	if !projectionDatePattern.MatchString(aq.ProjectionStartDate) {
		v.fail("archiveQuery.projectionStartDate", aq.ProjectionStartDate, "must be a date yyyy/MM/dd, e.g. 2020/01/01: the first day the table covers")
	}
	if _, set := v.lines["archiveQuery.investigators"]; set {
		// The default (readers and investigators) is validated where it is written.
		v.roleARNs("archiveQuery.investigators", aq.Investigators)
	}
	for i, a := range aq.ExtraAccounts {
		v.match(fmt.Sprintf("archiveQuery.extraAccounts[%d]", i), a, accountIDPattern, "a 12-digit account id")
	}
	v.unique("archiveQuery.extraAccounts", aq.ExtraAccounts)
	if aq.Enabled && len(aq.Investigators) == 0 && v.decoded("archiveQuery.investigators", "logArchive.readers", "eventHistory.investigators") {
		v.fail("archiveQuery.investigators", "", "is required with archiveQuery.enabled: the IAM role ARNs that may query the archive (by default logArchive.readers and eventHistory.investigators, both empty here)")
	}
}

// fail reports a problem at path, using the line of the nearest enclosing field that is in
// the file (a missing field is reported where its parent is).
//
// Problems about a field that already failed to decode are dropped: the decode problem says
// what is wrong. Checks that compare against another field guard with decoded.
func (v *checker) fail(path, value, format string, args ...any) {
	for p := range v.bad {
		if p == path || strings.HasPrefix(path, p+".") || strings.HasPrefix(path, p+"[") {
			return
		}
	}
	v.problems.add(path, v.lineOf(path), value, format, args...)
}

// decoded reports whether none of paths failed to decode.
func (v *checker) decoded(paths ...string) bool {
	for _, p := range paths {
		if v.bad[p] {
			return false
		}
	}
	return true
}

func (v *checker) lineOf(path string) int {
	for p := path; p != ""; {
		if l, ok := v.lines[p]; ok {
			return l
		}
		i := strings.LastIndexAny(p, ".[")
		if i < 0 {
			break
		}
		p = p[:i]
	}
	return 0
}

func (v *checker) match(path, value string, re *regexp.Regexp, expected string) bool {
	if value == "" {
		v.fail(path, "", "is required: %s", expected)
		return false
	}
	if !re.MatchString(value) {
		v.fail(path, value, "must be %s", expected)
		return false
	}
	return true
}

func (v *checker) between(path string, value, lo, hi int) {
	if value < lo || value > hi {
		v.fail(path, fmt.Sprint(value), "must be between %d and %d", lo, hi)
	}
}

func (v *checker) oneOf(path, value string, allowed []string) bool {
	if !slices.Contains(allowed, value) {
		v.fail(path, value, "must be one of %s", strings.Join(allowed, ", "))
		return false
	}
	return true
}

func (v *checker) region(path, value string) bool {
	if value == "" {
		v.fail(path, "", "is required: an AWS region such as eu-west-1")
		return false
	}
	if !IsRegion(value) {
		hint := ""
		if r := closestRegion(value); r != "" {
			hint = fmt.Sprintf(" (did you mean %s?)", r)
		}
		v.fail(path, value, "must be an AWS region%s", hint)
		return false
	}
	return true
}

// unique reports values that appear more than once in a list.
func (v *checker) unique(path string, values []string) {
	seen := map[string]int{}
	for i, s := range values {
		if first, dup := seen[s]; dup {
			v.fail(fmt.Sprintf("%s[%d]", path, i), s, "repeats %s[%d]", path, first)
			continue
		}
		seen[s] = i
	}
}

func (v *checker) organization(c *Config) {
	o := c.Organization
	v.match("organization.id", o.ID, orgIDPattern, "an organization id matching o-[a-z0-9]{10,32}")
	mgmt := v.match("organization.managementAccount", o.ManagementAccount, accountIDPattern, "a 12-digit account id")
	sec := v.match("organization.securityAccount", o.SecurityAccount, accountIDPattern, "a 12-digit account id")
	if mgmt && sec && o.ManagementAccount == o.SecurityAccount {
		v.fail("organization.securityAccount", o.SecurityAccount, "must differ from organization.managementAccount: the log archive belongs in a separate Security account")
	}
}

func (v *checker) regions(c *Config) {
	home := v.region("homeRegion", c.HomeRegion)
	if len(c.Regions) == 0 && v.decoded("regions") {
		v.fail("regions", "", "is required: the list of regions to forward events from, including the home region")
		return
	}
	for i, r := range c.Regions {
		path := fmt.Sprintf("regions[%d]", i)
		if v.region(path, r) && home && Partition(r) != Partition(c.HomeRegion) {
			v.fail(path, r, "must be in the home region's partition (%s): one organization cannot span partitions", Partition(c.HomeRegion))
		}
	}
	v.unique("regions", c.Regions)
	if home && !slices.Contains(c.Regions, c.HomeRegion) {
		v.fail("regions", strings.Join(c.Regions, ", "), "must include the home region %s", c.HomeRegion)
	}
	if home {
		v.globalEventsRegion("regions", c.Regions, c.HomeRegion)
	}
}

// globalEventsRegion fails a forwarding region list that leaves out the region where
// EventBridge delivers the global services' events: without a forwarder there, the account's
// IAM changes, STS calls and console sign-ins never reach the stream.
func (v *checker) globalEventsRegion(path string, regions []string, home string) {
	global := GlobalEventsRegion(Partition(home))
	if global == "" || slices.Contains(regions, global) {
		return
	}
	v.fail(path, strings.Join(regions, ", "), "must include %s: EventBridge delivers the global services' events (IAM, STS, console sign-in, Organizations) only there, so without a forwarder in %s an account's IAM changes and console sign-ins never reach the stream", global, global)
}

func (v *checker) members(c *Config) {
	stackset := c.Deployment.Mode == ModeStackSet
	if len(c.Members) == 0 && !stackset {
		v.fail("members", "", "is required: list at least one member account (id and name), or use deployment.mode: stackset")
		return
	}
	roles := map[string]string{
		c.Organization.ManagementAccount: "organization.managementAccount",
		c.Organization.SecurityAccount:   "organization.securityAccount",
	}
	names := map[string]string{}
	for i, m := range c.Members {
		path := fmt.Sprintf("members[%d]", i)
		if v.match(path+".id", m.ID, accountIDPattern, "a 12-digit account id") {
			if other, dup := roles[m.ID]; dup {
				v.fail(path+".id", m.ID, "is already %s: an account appears once, in one role", other)
			} else {
				roles[m.ID] = path + ".id"
			}
		}
		if v.match(path+".name", m.Name, memberNamePat, "letters, digits and hyphens, at most 40, starting with a letter or digit (it names the member's stacks)") {
			key := strings.ToLower(m.Name)
			if other, dup := names[key]; dup {
				v.fail(path+".name", m.Name, "is already the name of %s: names must be unique (case-insensitively)", other)
			} else {
				names[key] = path
			}
		}
		if stackset && len(m.Regions) > 0 {
			v.fail(path+".regions", strings.Join(m.Regions, ", "), "is not supported in stackset mode: the StackSet deploys to every region in regions; remove it")
			continue
		}
		for j, r := range m.Regions {
			rp := fmt.Sprintf("%s.regions[%d]", path, j)
			if v.decoded("regions") && len(c.Regions) > 0 && !slices.Contains(c.Regions, r) {
				v.fail(rp, r, "must be one of the top-level regions (%s)", strings.Join(c.Regions, ", "))
			}
		}
		v.unique(path+".regions", m.Regions)
		if len(m.Regions) > 0 && IsRegion(c.HomeRegion) {
			if !slices.Contains(m.Regions, c.HomeRegion) {
				v.fail(path+".regions", strings.Join(m.Regions, ", "), "must include the home region %s: the member's local trail and direct stream delivery live there", c.HomeRegion)
			}
			v.globalEventsRegion(path+".regions", m.Regions, c.HomeRegion)
		}
	}
}

func (v *checker) logArchive(c *Config) {
	la := c.LogArchive
	if _, set := v.lines["logArchive.bucketName"]; set || la.BucketName != "" {
		// Unset and empty means the default could not be derived; the account or region
		// problem that caused it is reported already.
		if v.match("logArchive.bucketName", la.BucketName, bucketNamePattern, "an S3 bucket name: 3-63 lowercase letters, digits and hyphens, no dots") {
			v.protectedName("logArchive.bucketName", la.BucketName)
		}
	}
	v.between("logArchive.retentionDays", la.RetentionDays, 1, maxDays)
	retentionOK := v.decoded("logArchive.retentionDays") && la.RetentionDays >= 1 && la.RetentionDays <= maxDays
	if retentionOK && la.TransitionDays != 0 && la.TransitionDays >= la.RetentionDays {
		v.fail("logArchive.transitionDays", fmt.Sprint(la.TransitionDays), "must be less than logArchive.retentionDays (%d), or 0 to keep logs in S3 Standard", la.RetentionDays)
	} else if la.TransitionDays < 0 {
		v.fail("logArchive.transitionDays", fmt.Sprint(la.TransitionDays), "must be 0 (no transition) or a positive number of days")
	}
	v.oneOf("logArchive.objectLock.mode", la.ObjectLock.Mode, []string{"COMPLIANCE", "GOVERNANCE"})
	v.between("logArchive.objectLock.days", la.ObjectLock.Days, 1, maxDays)
	if retentionOK && la.ObjectLock.Days > la.RetentionDays {
		v.fail("logArchive.objectLock.days", fmt.Sprint(la.ObjectLock.Days), "must not exceed logArchive.retentionDays (%d): logs cannot expire while they are locked", la.RetentionDays)
	}
	v.between("logArchive.accessLogRetentionDays", la.AccessLogRetentionDays, 1, maxDays)
	v.roleARNs("logArchive.breakGlassPrincipals", la.BreakGlassPrincipals)
	v.roleARNs("logArchive.readers", la.Readers)
}

func (v *checker) roleARNs(path string, arns []string) {
	for i, a := range arns {
		v.match(fmt.Sprintf("%s[%d]", path, i), a, roleARNPattern, "an IAM role ARN such as arn:aws:iam::123456789012:role/BreakGlass")
	}
	v.unique(path, arns)
}

func (v *checker) logGroup(path string, cw CloudWatchLogs) {
	if !slices.Contains(logGroupRetentionDays, cw.RetentionDays) {
		v.fail(path+".retentionDays", fmt.Sprint(cw.RetentionDays), "must be a CloudWatch Logs retention: %s", strings.Trim(fmt.Sprint(logGroupRetentionDays), "[]"))
	}
}

// ProtectedPrefix starts the name of every resource the guardrails and the alerts protect by
// name (guardrails.NamePrefix, eventsink.ResourcePrefix; config imports no construct).
const ProtectedPrefix = "trailguard-"

// protectedName refuses a name the guardrails and the alerts would not recognise: they
// protect trailguard's resources in member accounts by the name prefix, so a renamed resource
// would be neither protected nor alerted on.
func (v *checker) protectedName(path, name string) {
	if !strings.HasPrefix(name, ProtectedPrefix) {
		v.fail(path, name, "must start with %s: the guardrails and the tamper alerts recognise trailguard's resources by that prefix, so a resource named otherwise would be neither protected nor alerted on (e.g. %s%s)", ProtectedPrefix, ProtectedPrefix, name)
	}
}

// trailName checks a CloudTrail trail name.
func (v *checker) trailName(path, name string) bool {
	const want = "a trail name: 3-128 letters, digits, periods, underscores and hyphens, starting and ending with a letter or digit, no two of . _ - together"
	if !v.match(path, name, trailNamePattern, want) {
		return false
	}
	if adjacentPunct.MatchString(name) {
		v.fail(path, name, "must be %s", want)
		return false
	}
	return true
}

func (v *checker) trails(c *Config) {
	ot := c.OrganizationTrail
	v.trailName("organizationTrail.name", ot.Name)
	v.logGroup("organizationTrail.cloudWatchLogs", ot.CloudWatchLogs)
	for i, t := range ot.DataEvents {
		v.oneOf(fmt.Sprintf("organizationTrail.dataEvents[%d]", i), t, dataEventTypes)
	}
	v.unique("organizationTrail.dataEvents", ot.DataEvents)
	for i, t := range ot.InsightTypes {
		v.oneOf(fmt.Sprintf("organizationTrail.insightTypes[%d]", i), t, insightTypes)
	}
	v.unique("organizationTrail.insightTypes", ot.InsightTypes)

	at := c.AccountTrail
	if v.trailName("accountTrail.name", at.Name) {
		if at.Name == ot.Name {
			v.fail("accountTrail.name", at.Name, "must differ from organizationTrail.name: both trails exist in member accounts")
		} else {
			v.protectedName("accountTrail.name", at.Name)
		}
	}
	v.between("accountTrail.retentionDays", at.RetentionDays, 1, maxDays)
	v.logGroup("accountTrail.cloudWatchLogs", at.CloudWatchLogs)
}

func (v *checker) eventStream(c *Config) {
	es := c.EventStream
	if v.match("eventStream.streamName", es.StreamName, streamNamePat, "a Kinesis stream name: 1-128 letters, digits, underscores, periods and hyphens") {
		v.protectedName("eventStream.streamName", es.StreamName)
	}
	if v.match("eventStream.busName", es.BusName, busNamePattern, "an event bus name: 1-256 letters, digits, periods, underscores and hyphens") {
		if es.BusName == "default" {
			v.fail("eventStream.busName", es.BusName, "must name a custom bus: the Security account's default bus is not opened to the organization")
		} else {
			v.protectedName("eventStream.busName", es.BusName)
		}
	}
	if v.oneOf("eventStream.mode", es.Mode, []string{"ON_DEMAND", "PROVISIONED"}) {
		if es.Mode == "PROVISIONED" {
			v.between("eventStream.shardCount", es.ShardCount, 1, 1000)
		} else if es.ShardCount != 0 {
			v.fail("eventStream.shardCount", fmt.Sprint(es.ShardCount), "only applies to mode PROVISIONED; remove it or set eventStream.mode: PROVISIONED")
		}
	}
	v.between("eventStream.retentionHours", es.RetentionHours, 168, 8760)
	v.oneOf("eventStream.partitionKey", es.PartitionKey, []string{PartitionByEventID, PartitionByAccountID})
	for i, dt := range es.ExtraDetailTypes {
		if strings.TrimSpace(dt) == "" {
			v.fail(fmt.Sprintf("eventStream.extraDetailTypes[%d]", i), dt, "must be an EventBridge detail-type such as \"AWS Service Event via CloudTrail\"")
		}
	}
	v.unique("eventStream.extraDetailTypes", es.ExtraDetailTypes)
}

func (v *checker) alerts(c *Config) {
	for i, e := range c.Alerts.Emails {
		v.match(fmt.Sprintf("alerts.emails[%d]", i), e, emailPattern, "an email address")
	}
	v.unique("alerts.emails", c.Alerts.Emails)
}

// ruleIDPattern is the form of a detection rule's id (package detect's).
var ruleIDPattern = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// detection checks the form of the detection settings; the app loads the rules and checks
// them (and that each disabled id names one) with the engine.
func (v *checker) detection(c *Config) {
	d := c.Detection
	if _, set := v.lines["detection.rulesDir"]; set && strings.TrimSpace(d.RulesDir) == "" {
		v.fail("detection.rulesDir", d.RulesDir, "must be a directory of rule files, relative to the config file (e.g. rules); leave it out for the default rules only")
	}
	for i, id := range d.DisabledRules {
		v.match(fmt.Sprintf("detection.disabledRules[%d]", i), id, ruleIDPattern, "a rule id: lowercase letters and digits in words joined by hyphens, as trailguard detect prints it (e.g. ses-enumeration)")
	}
	v.unique("detection.disabledRules", d.DisabledRules)
}

func (v *checker) guardrails(c *Config) {
	g := c.Guardrails
	if c.GuardrailsEnabled() && len(g.Targets) == 0 {
		v.fail("guardrails.targets", "", "is required while guardrails are enabled: the organization root (r-...) or OUs (ou-...) to attach the policy to; or set guardrails.enabled: false")
	}
	for i, t := range g.Targets {
		path := fmt.Sprintf("guardrails.targets[%d]", i)
		if !rootIDPattern.MatchString(t) && !ouIDPattern.MatchString(t) {
			v.fail(path, t, "must be a root id (r-[0-9a-z]{4,32}) or an OU id (ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})")
		}
	}
	v.unique("guardrails.targets", g.Targets)
	for i, p := range g.ExemptPrincipals {
		v.match(fmt.Sprintf("guardrails.exemptPrincipals[%d]", i), p, exemptPattern, "an IAM role ARN pattern such as arn:aws:iam::*:role/BreakGlass")
	}
	v.unique("guardrails.exemptPrincipals", g.ExemptPrincipals)
}

func (v *checker) deployment(c *Config) {
	d := c.Deployment
	if v.oneOf("deployment.mode", d.Mode, []string{ModeStacks, ModeStackSet}) {
		if d.Mode == ModeStackSet && len(d.OrganizationalUnits) == 0 {
			v.fail("deployment.organizationalUnits", "", "is required in stackset mode: the OUs (ou-...) or root (r-...) the StackSet deploys to")
		}
	}
	for i, ou := range d.OrganizationalUnits {
		if !rootIDPattern.MatchString(ou) && !ouIDPattern.MatchString(ou) {
			v.fail(fmt.Sprintf("deployment.organizationalUnits[%d]", i), ou, "must be an OU id (ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}) or the root id (r-[0-9a-z]{4,32})")
		}
	}
	v.unique("deployment.organizationalUnits", d.OrganizationalUnits)
	v.match("deployment.qualifier", d.Qualifier, qualifierPattern, "the cdk bootstrap qualifier: 1-10 lowercase letters and digits")
	if len(d.Deployers) == 0 {
		v.fail("deployment.deployers", "", "must name at least one deployer role (or leave it out for the default, OrganizationAccountAccessRole): otherwise nobody could bootstrap or deploy with the guardrails on")
	}
	for i, p := range d.Deployers {
		v.match(fmt.Sprintf("deployment.deployers[%d]", i), p, exemptPattern, "an IAM role ARN pattern such as arn:aws:iam::123456789012:role/trailguard-pipeline or arn:aws:iam::*:role/OrganizationAccountAccessRole")
	}
	v.unique("deployment.deployers", d.Deployers)
	v.between("deployment.stackSet.maxConcurrentPercentage", d.StackSet.MaxConcurrentPercentage, 1, 100)
	v.between("deployment.stackSet.failureTolerancePercentage", d.StackSet.FailureTolerancePercentage, 0, 100)
	v.oneOf("deployment.stackSet.regionConcurrency", d.StackSet.RegionConcurrency, []string{"PARALLEL", "SEQUENTIAL"})
}

func (v *checker) tags(c *Config) {
	for k, val := range c.Tags {
		path := "tags." + k
		switch {
		case len(k) > 128:
			v.fail(path, k, "key must be at most 128 characters")
		case strings.HasPrefix(strings.ToLower(k), "aws:"):
			v.fail(path, k, "key must not start with aws: (reserved by AWS)")
		}
		if len(val) > 256 {
			v.fail(path, val, "value must be at most 256 characters")
		}
	}
}

func (v *checker) quotas(c *Config) {
	for id, val := range c.Quotas.Raised {
		path := "quotas.raised." + id
		q, ok := quota.ByID(id)
		switch {
		case !ok:
			v.fail(path, id, "is not a quota the gate checks; expected one of %s", strings.Join(quota.AdjustableIDs(), ", "))
		case !q.Adjustable:
			v.fail(path, id, "cannot be raised: AWS does not adjust it; expected one of %s", strings.Join(quota.AdjustableIDs(), ", "))
		case val < q.Limit:
			v.fail(path, fmt.Sprint(val), "must be at least the default %d (a raised quota)", q.Limit)
		}
	}
}
