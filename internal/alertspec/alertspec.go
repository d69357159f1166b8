// Package alertspec is what the detection and response functions (internal/alerting) and the
// constructs that deploy them (constructs/detection, constructs/coveragemonitor,
// constructs/responder) agree on: environment variable names, the files bundled beside the
// functions' binary, the dedupe table's key and time to live, and the fields of the alert
// events. It imports nothing, so the constructs, and the app that synthesizes them, compile
// without the AWS SDK clients the functions publish with (issue #20; the guard is
// internal/appdeps). internal/alerting re-exports every name, so the
// functions' code reads alerting.EnvTopicARN as before.
package alertspec

import "time"

// Environment variables the functions read (set by the construct that deploys them).
const (
	// EnvTopicARN is the alert topic's ARN.
	EnvTopicARN = "TRAILGUARD_ALERT_TOPIC_ARN"
	// EnvBusName is the name of the event bus alerts are put on for integrations.
	EnvBusName = "TRAILGUARD_ALERT_BUS_NAME"
	// EnvDedupeTable is the dedupe table's name; without it each function instance
	// deduplicates only in memory.
	EnvDedupeTable = "TRAILGUARD_DEDUPE_TABLE"
	// EnvDisabledRules is a comma-separated list of the ids of rules turned off
	// (the config's detection.disabledRules). Default: none.
	EnvDisabledRules = "TRAILGUARD_DISABLED_RULES"
	// EnvRefreshAccounts, when "true", makes the functions add the accounts Organizations
	// lists (ListAccounts) to the organization context at cold start; a failure keeps the
	// baked accounts and is logged. Default: off (the accounts baked at synth).
	EnvRefreshAccounts = "TRAILGUARD_REFRESH_ACCOUNTS"
	// EnvResponderQueueURL is the URL of the responder's queue (docs/response.md); without
	// it no alert is sent for an automatic response.
	EnvResponderQueueURL = "TRAILGUARD_RESPONDER_QUEUE_URL"
)

// RulesDir is the directory beside the function's binary (in its asset) holding the users'
// rule files, loaded after the default rules.
const RulesDir = "rules"

// ContextFile is the file beside the function's binary (in its asset) holding the
// organization context (detect.Context as JSON) the rules judge records in, baked at synth
// from the config. Without it only each record's own account is the organization's.
const ContextFile = "organization.json"

// Event fields of the alerts put on the bus.
const (
	// EventSource is the source of alert events.
	EventSource = "trailguard.detect"
	// EventDetailType is the detail-type of alert events; the detail is the alert.
	EventDetailType = "trailguard alert"
)

// Attributes of the dedupe table's items that its definition names.
const (
	// KeyAttribute is the partition key: the dedupe key (a string).
	KeyAttribute = "dedupeKey"
	// ExpiresAttribute is the item's time to live, in Unix seconds (the table's TTL
	// attribute).
	ExpiresAttribute = "expires"
)

// DefaultTTL is how long a dedupe key is remembered: longer than the archive path's delay
// (about 15 minutes, hours when CloudTrail is late) and a stream's retention of 7 days, so a
// replay of the stream does not alert again.
const DefaultTTL = 8 * 24 * time.Hour
