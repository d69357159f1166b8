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

// DeliveryAlertRuleName is the name of the Security account's one alert rule on the receiving
// bus: a forwarder's alarm going off (events not delivered) reaches the alert topic through it.
const DeliveryAlertRuleName = ResourcePrefix + "alerts-delivery"

// DeliveryAlertPattern returns the event pattern of the only events that alert through an
// EventBridge rule: a forwarder's alarm (named with ForwarderAlarmPrefix) going off. Each call
// returns a fresh value that the caller may modify.
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
func DeliveryAlertPattern() map[string]any {
	return map[string]any{
		"source":      []any{"aws.cloudwatch"},
		"detail-type": []any{DetailTypeAlarmStateChange},
		"detail": map[string]any{
			"alarmName": []any{map[string]any{"prefix": ForwarderAlarmPrefix}},
			"state":     map[string]any{"value": []any{"ALARM"}},
		},
	}
}
