package coverage

import (
	"bytes"
	"encoding/json"
	"regexp"
	"time"

	"github.com/trailguard/trailguard/internal/coveragespec"
)

// The heartbeat event every forwarder's schedule puts on its account's default bus.
const (
	// Source is the heartbeat's source. PutEvents refuses sources starting with "aws.", so
	// it cannot be mistaken for an AWS event.
	Source = coveragespec.Source
	// DetailType is the heartbeat's detail-type, which the forwarders' rules match.
	DetailType = coveragespec.DetailType
)

// Timing of the heartbeat and the monitor; see the package documentation for the arithmetic.
const (
	// HeartbeatInterval is how often every forwarding account and region sends a heartbeat.
	HeartbeatInterval = coveragespec.HeartbeatInterval
	// MonitorInterval is how often the monitor runs.
	MonitorInterval = coveragespec.MonitorInterval
	// SilentAfter is how long a pair may go without a heartbeat before it is silent.
	SilentAfter = 2 * HeartbeatInterval
	// DeliveryAllowance bounds a heartbeat's trip from the schedule to the stream function
	// (EventBridge hops, the stream's batching window).
	DeliveryAllowance = time.Minute
	// NeverSeenGrace is how long a pair the config expects may go unheard from since the
	// monitor first expected it: the time to deploy its stack after the Security stack.
	NeverSeenGrace = 2 * time.Hour
)

// The monitor's metric, which it puts at the end of every successful run (in CloudWatch's
// embedded metric format, no dimensions): the number of pairs silent after the run.
const (
	// MetricNamespace is the metric's namespace.
	MetricNamespace = coveragespec.MetricNamespace
	// MetricSilentPairs is the metric's name.
	MetricSilentPairs = coveragespec.MetricSilentPairs
)

// WorstCaseLatency is the longest time from a forwarder breaking to the silent alert.
const WorstCaseLatency = SilentAfter + MonitorInterval + DeliveryAllowance

// Heartbeat is one heartbeat as the stream function sees it.
type Heartbeat struct {
	// Pair is where it came from: the EventBridge envelope's account and region, which
	// EventBridge sets and a sender cannot choose.
	Pair Pair
	// Arrived is when it reached the stream (Kinesis's approximate arrival time): unlike
	// the envelope's time, which PutEvents lets the sender set, it proves the path worked
	// then.
	Arrived time.Time
}

var accountRe = regexp.MustCompile(`^[0-9]{12}$`)
var regionRe = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)

// ParseHeartbeat reports whether data, one stream record, is a heartbeat event, and if so
// returns it with arrived as its arrival time.
func ParseHeartbeat(data []byte, arrived time.Time) (Heartbeat, bool) {
	// Cheap test first: almost every record is a CloudTrail event.
	if !bytes.Contains(data, []byte(Source)) {
		return Heartbeat{}, false
	}
	var ev struct {
		Source     string `json:"source"`
		DetailType string `json:"detail-type"`
		Account    string `json:"account"`
		Region     string `json:"region"`
	}
	if json.Unmarshal(data, &ev) != nil || ev.Source != Source || ev.DetailType != DetailType ||
		!accountRe.MatchString(ev.Account) || !regionRe.MatchString(ev.Region) {
		return Heartbeat{}, false
	}
	return Heartbeat{Pair: Pair{Account: ev.Account, Region: ev.Region}, Arrived: arrived.UTC()}, true
}
