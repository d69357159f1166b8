package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/trailguard/trailguard/config"
	"github.com/trailguard/trailguard/constructs/eventforwarder"
	"github.com/trailguard/trailguard/constructs/eventsink"
)

// addEventSink adds the real-time leg's Security-account end: the event stream, the
// receiving bus and the alerts.
func addEventSink(stack awscdk.Stack, cfg *config.Config) eventsink.EventSink {
	es := cfg.EventStream
	var shards *float64
	if es.Mode == eventsink.ModeProvisioned {
		shards = jsii.Number(es.ShardCount)
	}
	return eventsink.NewEventSink(stack, jsii.String("EventSink"), &eventsink.EventSinkProps{
		OrganizationId:           jsii.String(cfg.Organization.ID),
		StreamName:               jsii.String(es.StreamName),
		BusName:                  jsii.String(es.BusName),
		KeyAlias:                 jsii.String(config.StreamKeyAlias),
		StreamProducerRoleName:   jsii.String(eventforwarder.StreamRoleName(cfg.HomeRegion)),
		BusSenderRoleNamePattern: jsii.String(eventforwarder.BusRoleNamePattern),
		Mode:                     jsii.String(es.Mode),
		ShardCount:               shards,
		RetentionHours:           jsii.Number(es.RetentionHours),
		PartitionKeyPath:         jsii.String(partitionKeyPath(es.PartitionKey)),
		AlertEmails:              jsii.Strings(cfg.Alerts.Emails...),
		IncludeReadOnlyEvents:    jsii.Bool(es.IncludeReadOnlyEvents),
	})
}

// partitionKeyPath maps the config's partition key to the JSONPath in the event.
func partitionKeyPath(key string) string {
	if key == config.PartitionByAccountID {
		return eventsink.PartitionKeyAccount
	}
	return eventsink.PartitionKeyEventID
}
