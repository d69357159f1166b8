package test

import (
	"fmt"
	"testing"

	"github.com/trailguard/trailguard/constructs/coveragemonitor"
	"github.com/trailguard/trailguard/constructs/detection"
	"github.com/trailguard/trailguard/constructs/eventforwarder"
)

// coverageScenarios are the coverage monitor's flows: the stream function records
// heartbeats, the archive function archive activity, and the monitor judges them, in the
// coverage table only; nobody else writes the table (a forged heartbeat would hide a silent
// forwarder, a deleted pair its activity), and an account's admin cannot
// delete or change its heartbeat schedule, or use its role.
func (o *orgModel) coverageScenarios(t *testing.T) []scenario {
	t.Helper()
	cfg := o.cfg
	p, r, sec := cfg.Partition(), cfg.HomeRegion, cfg.Organization.SecurityAccount
	role := func(name string) principal { return o.role(fmt.Sprintf("arn:%s:iam::%s:role/%s", p, sec, name)) }
	streamFn, archiveFn, monitor := role(detection.StreamFunctionName), role(detection.ArchiveFunctionName), role(coveragemonitor.FunctionName)
	table := fmt.Sprintf("arn:%s:dynamodb:%s:%s:table/%s", p, r, sec, coveragemonitor.TableName)
	dedupe := fmt.Sprintf("arn:%s:dynamodb:%s:%s:table/%s", p, r, sec, detection.DedupeTableName)
	name := func(format string, args ...any) string { return "coverage: " + fmt.Sprintf(format, args...) }
	out := []scenario{
		{name: name("the stream function records a heartbeat"), who: streamFn, action: "dynamodb:UpdateItem", resource: table, account: sec, allowed: true},
		{name: name("the stream function cannot delete a pair"), who: streamFn, action: "dynamodb:DeleteItem", resource: table, account: sec},
		{name: name("the archive function records archive activity"), who: archiveFn, action: "dynamodb:UpdateItem", resource: table, account: sec, allowed: true},
		{name: name("the archive function cannot read the table"), who: archiveFn, action: "dynamodb:Scan", resource: table, account: sec},
		{name: name("the archive function cannot delete a pair"), who: archiveFn, action: "dynamodb:DeleteItem", resource: table, account: sec},
		{name: name("the archive function cannot replace a pair"), who: archiveFn, action: "dynamodb:PutItem", resource: table, account: sec},
		{name: name("the monitor reads the heartbeats"), who: monitor, action: "dynamodb:Scan", resource: table, account: sec, allowed: true},
		{name: name("the monitor records its verdicts"), who: monitor, action: "dynamodb:UpdateItem", resource: table, account: sec, allowed: true},
		{name: name("the monitor cannot claim dedupe keys"), who: monitor, action: "dynamodb:PutItem", resource: dedupe, account: sec},
		{name: name("admin of %s cannot forge a heartbeat in the table", sec), who: o.admin(sec), action: "dynamodb:UpdateItem", resource: table, account: sec},
	}
	for _, m := range o.members {
		for _, region := range cfg.Regions {
			sched := fmt.Sprintf("arn:%s:scheduler:%s:%s:schedule/default/%s", p, region, m, eventforwarder.HeartbeatScheduleName)
			hbRole := fmt.Sprintf("arn:%s:iam::%s:role/%s%s", p, m, eventforwarder.HeartbeatRoleNamePrefix, region)
			out = append(out,
				scenario{name: name("admin of %s cannot delete the heartbeat schedule in %s", m, region), who: o.admin(m), action: "scheduler:DeleteSchedule", resource: sched, account: m},
				scenario{name: name("admin of %s cannot change the heartbeat schedule in %s", m, region), who: o.admin(m), action: "scheduler:UpdateSchedule", resource: sched, account: m},
				scenario{name: name("admin of %s cannot pass the heartbeat role of %s", m, region), who: o.admin(m), action: "iam:PassRole", resource: hbRole, account: m,
					context: map[string]any{"iam:PassedToService": "scheduler.amazonaws.com"}},
			)
		}
	}
	return out
}
