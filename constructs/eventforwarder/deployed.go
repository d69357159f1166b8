package eventforwarder

import (
	"encoding/json"
	"fmt"

	"github.com/trailguard/trailguard/constructs/eventsink"
	"github.com/trailguard/trailguard/deployed"
	"github.com/trailguard/trailguard/internal/coveragespec"
)

// Names of the alarms on the forwarder's dead-letter queues. The responder finds a queue
// (whose name CloudFormation generates) by its alarm's QueueName dimension.
const (
	StreamDeadLetterAlarmName = eventsink.ForwarderAlarmPrefix + "stream-dead-letters"
	BusDeadLetterAlarmName    = eventsink.ForwarderAlarmPrefix + "bus-dead-letters"
)

// The rules' descriptions.
const (
	streamRuleDescription = "trailguard: forwards this account's CloudTrail events to the Security stream"
	busRuleDescription    = "trailguard: forwards this account's CloudTrail events to the Security account's receiving bus"
	alarmsRuleDescription = "trailguard: sends this forwarder's alarms to the Security account's alert rules"
)

// detailTypes are the detail-types the forwarding rules carry. The heartbeat travels the
// rules that carry every event (addHeartbeat).
func detailTypes(props *EventForwarderProps) []any {
	out := []any{eventsink.DetailTypeAPICall, eventsink.DetailTypeConsoleSignIn, coveragespec.DetailType}
	if props.ExtraDetailTypes != nil {
		for _, d := range *props.ExtraDetailTypes {
			out = append(out, *d)
		}
	}
	return out
}

// RuleDefinitions returns the forwarder's rules as NewEventForwarder deploys them with props,
// for the automatic response to restore a rule disabled or deleted
// (events-restore-forwarder-rule), with the account, region and partition as placeholders
// (deployed.PlaceholderAccount...): the same template serves every account and region. It
// reads the same props, names, patterns and states as the construct, so the two cannot
// diverge. StreamArn and ReceivingBusArn must be literal ARNs; homeRegion is the stream's
// region, where the stream rule is (the bus rule is in every other region, the alarms rule
// in all of them).
func RuleDefinitions(props *EventForwarderProps, homeRegion string) ([]deployed.Rule, error) {
	if _, err := props.validate(); err != nil {
		return nil, err
	}
	own := func(pattern map[string]any) (string, error) {
		pattern["account"] = []any{deployed.PlaceholderAccount}
		pattern["region"] = []any{deployed.PlaceholderRegion}
		b, err := json.Marshal(pattern)
		return string(b), err
	}
	partitionKey := eventsink.PartitionKeyEventID
	if props.PartitionKeyPath != nil {
		partitionKey = *props.PartitionKeyPath
	}
	role := func(prefix string) string {
		return "arn:" + deployed.PlaceholderPartition + ":iam::" + deployed.PlaceholderAccount + ":role/" + prefix + deployed.PlaceholderRegion
	}
	state := eventsink.RuleState(props.IncludeReadOnlyEvents)
	busTarget := deployed.RuleTarget{ID: "SecurityBus", Arn: *props.ReceivingBusArn, RoleArn: role(BusRoleNamePrefix),
		DeadLetterAlarm: BusDeadLetterAlarmName, MaximumRetryAttempts: eventsink.MaxRetryAttempts, MaximumEventAgeInSeconds: eventsink.MaxEventAgeSecond}
	var out []deployed.Rule
	for _, r := range []struct {
		name, description, regions, state string
		pattern                           map[string]any
		target                            deployed.RuleTarget
	}{
		{StreamRuleName, streamRuleDescription, deployed.RegionsHome, state, map[string]any{"detail-type": detailTypes(props)},
			deployed.RuleTarget{ID: "SecurityStream", Arn: *props.StreamArn, RoleArn: role(StreamRoleNamePrefix), KinesisPartitionKeyPath: partitionKey,
				DeadLetterAlarm: StreamDeadLetterAlarmName, MaximumRetryAttempts: eventsink.MaxRetryAttempts, MaximumEventAgeInSeconds: eventsink.MaxEventAgeSecond}},
		{BusRuleName, busRuleDescription, deployed.RegionsOther, state, map[string]any{"detail-type": detailTypes(props)}, busTarget},
		{AlarmsRuleName, alarmsRuleDescription, deployed.RegionsAll, eventsink.StateEnabled, eventsink.DeliveryAlertPattern(), busTarget},
	} {
		pattern, err := own(r.pattern)
		if err != nil {
			return nil, fmt.Errorf("eventforwarder: the pattern of rule %s: %w", r.name, err)
		}
		out = append(out, deployed.Rule{Name: r.name, HomeRegion: homeRegion, Regions: r.regions, Description: r.description,
			EventPattern: pattern, State: r.state, Targets: []deployed.RuleTarget{r.target}})
	}
	return out, nil
}
