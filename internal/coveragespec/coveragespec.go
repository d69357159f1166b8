// Package coveragespec is what the coverage functions (package coverage, cmd/coveragemonitor,
// the stream and archive functions) and the constructs that deploy them
// (constructs/coveragemonitor, constructs/eventforwarder, internal/stacks) agree on: the
// heartbeat event, the schedules' intervals, the table's key and environment variable, the
// monitor's metric and the expected pairs bundled with it. It imports neither the AWS SDK nor
// the detection engine, so the constructs, and the app that synthesizes them, compile without
// the DynamoDB client the coverage table uses (issue #20; the guard is internal/appdeps).
//
// Package coverage re-exports every name (coverage.Expected is this package's Expected): use
// that one.
package coveragespec

import (
	"encoding/json"
	"slices"
	"strings"
	"time"
)

// The heartbeat event every forwarder's schedule puts on its account's default bus.
const (
	// Source is the heartbeat's source. PutEvents refuses sources starting with "aws.", so
	// it cannot be mistaken for an AWS event.
	Source = "trailguard.heartbeat"
	// DetailType is the heartbeat's detail-type, which the forwarders' rules match.
	DetailType = "trailguard heartbeat"
)

// Schedules of the heartbeat and the monitor; package coverage derives its latencies from
// them.
const (
	// HeartbeatInterval is how often every forwarding account and region sends a heartbeat.
	HeartbeatInterval = 10 * time.Minute
	// MonitorInterval is how often the monitor runs.
	MonitorInterval = 5 * time.Minute
)

// The monitor's metric, which it puts at the end of every successful run (in CloudWatch's
// embedded metric format, no dimensions): the number of pairs silent after the run.
const (
	// MetricNamespace is the metric's namespace.
	MetricNamespace = "trailguard/coverage"
	// MetricSilentPairs is the metric's name.
	MetricSilentPairs = "SilentPairs"
)

// EnvTable is the environment variable naming the coverage table, for the stream function
// (which records heartbeats) and the monitor function.
const EnvTable = "TRAILGUARD_COVERAGE_TABLE"

// KeyAttribute is the coverage table's partition key: Pair.Key() (a string).
const KeyAttribute = "pair"

// ExpectedFile is the name of the file, beside the monitor function's binary, that holds
// the Expected pairs (a file: a thousand accounts in seventeen regions do not fit in
// Lambda's 4 KB of environment variables).
const ExpectedFile = "expected.json"

// Pair is an account and a region.
type Pair struct {
	// Account is the 12-digit account id.
	Account string `json:"account"`
	// Region is the region's name, such as "eu-west-1".
	Region string `json:"region"`
}

// Key is the pair's key in the table: "<account>:<region>".
func (p Pair) Key() string { return p.Account + ":" + p.Region }

// String is the pair as logs and alerts show it: its Key.
func (p Pair) String() string { return p.Key() }

// Expected is what the config says should send heartbeats.
type Expected struct {
	// Complete is true when Accounts lists every forwarding account (stacks mode): a
	// heartbeat from any other pair is unexpected. In stackset mode the StackSet reaches
	// accounts the config does not name, so it is false.
	Complete bool `json:"complete"`
	// Accounts maps each account to its forwarding regions.
	Accounts map[string][]string `json:"accounts"`
	// StackSetRegions are the regions the StackSet deploys a forwarder to in accounts the
	// config does not list (stackset mode): an account there active in the archive without
	// a heartbeat may be waiting for its instance (NeverSeenGrace) before it is unforwarded.
	// Empty in stacks mode.
	StackSetRegions []string `json:"stackSetRegions,omitempty"`
}

// Pairs returns the expected pairs, sorted.
func (e *Expected) Pairs() []Pair {
	var out []Pair
	for a, regions := range e.Accounts {
		for _, r := range regions {
			out = append(out, Pair{Account: a, Region: r})
		}
	}
	slices.SortFunc(out, func(x, y Pair) int { return strings.Compare(x.Key(), y.Key()) })
	return out
}

// Add expects account to forward from regions.
func (e *Expected) Add(account string, regions ...string) {
	if e.Accounts == nil {
		e.Accounts = map[string][]string{}
	}
	for _, r := range regions {
		if !slices.Contains(e.Accounts[account], r) {
			e.Accounts[account] = append(e.Accounts[account], r)
		}
	}
	slices.Sort(e.Accounts[account])
}

// Marshal is the file's content: compact JSON with sorted keys, so the same config gives
// the same bytes (and asset hash).
func (e *Expected) Marshal() ([]byte, error) { return json.Marshal(e) }
