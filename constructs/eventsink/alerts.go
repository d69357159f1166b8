package eventsink

// ResourcePrefix starts the names of the resources trailguard creates in every account (rules,
// roles, buckets, streams). The detection rules (detect/rules/trailguard.yaml) use it to
// recognise tampering with the logging itself; keep it in every name you give a trailguard
// resource.
const ResourcePrefix = "trailguard-"

// Detail types of the CloudTrail events EventBridge delivers.
const (
	// DetailTypeAPICall is the detail-type of CloudTrail management events.
	DetailTypeAPICall = "AWS API Call via CloudTrail"
	// DetailTypeConsoleSignIn is the detail-type of AWS console sign-in events.
	DetailTypeConsoleSignIn = "AWS Console Sign In via CloudTrail"
)

// DetailTypeAlarmStateChange is the detail-type of CloudWatch alarm state changes.
const DetailTypeAlarmStateChange = "CloudWatch Alarm State Change"

// ForwarderAlarmPrefix starts the name of every alarm the forwarders create. The forwarders
// send these alarms' state changes to the Security account, where the delivery alert rule
// matches them by this prefix (alarm names are per account and region, and each account and
// region has one forwarder, so fixed names are unique).
const ForwarderAlarmPrefix = ResourcePrefix + "forwarder-"

// AlertPattern is one EventBridge event pattern of the alerts, with the short name that tells
// its rules apart.
type AlertPattern struct {
	// Name is a short lowercase name, part of the names of the rules that use the pattern.
	Name string
	// Pattern is the event pattern. Each call of AlertPatterns returns fresh values that the
	// caller may modify.
	Pattern map[string]any
	// CloudTrail is true for patterns over CloudTrail events (the forwarders' home-region
	// rules would send these to the receiving bus); false for the delivery alarms, which
	// every region forwards. No pattern is over CloudTrail events any more (the detection
	// engine alerts on those).
	CloudTrail bool
}

// AlertPatterns returns the event patterns of the events that raise an alert through an
// EventBridge rule: only "delivery", a forwarder's alarm going off (events not delivered).
//
// CloudTrail events alert through the detection engine (package detect, deployed by package
// detection), which sees every event on the stream and in the archive: the former
// "tampering" and "exposure" patterns sent the same events to the alert topic a second time
// (issue 13: no event alerts twice). detect's TestRetiredAlertPatternsCovered proves the
// default rules alert on every branch of them (testdata/retired-alert-patterns.json). An
// alarm state change is no CloudTrail event and never reaches the engine, so its rule stays.
//
// A pattern is at most 2,048 characters (EventBridge's "Event pattern size" quota,
// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html), the forwarders'
// account and region included; the limits gate at synth measures every rendered pattern.
func AlertPatterns() []AlertPattern {
	delivery := map[string]any{
		"source":      []any{"aws.cloudwatch"},
		"detail-type": []any{DetailTypeAlarmStateChange},
		"detail": map[string]any{
			"alarmName": []any{map[string]any{"prefix": ForwarderAlarmPrefix}},
			"state":     map[string]any{"value": []any{"ALARM"}},
		},
	}
	return []AlertPattern{{Name: "delivery", Pattern: delivery}}
}
