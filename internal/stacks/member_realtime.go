package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/trailguard/trailguard/config"
	"github.com/trailguard/trailguard/constructs/accounttrail"
	"github.com/trailguard/trailguard/constructs/eventforwarder"
	"github.com/trailguard/trailguard/constructs/historyreader"
	"github.com/trailguard/trailguard/constructs/responderrole"
)

// addMemberLogging adds the forwarder and, conditioned on the home region, the local trail to
// a member stack. Nothing in it depends on the account or region the stack is synthesized
// for: the template is the same for every member account and region.
func addMemberLogging(stack awscdk.Stack, cfg *config.Config) {
	fwd := addEventForwarder(stack, cfg)

	trail := accounttrail.NewAccountTrail(stack, jsii.String("AccountTrail"), accountTrailProps(cfg))
	eventforwarder.SetCondition(trail, fwd.HomeRegionCondition())
	addHistoryReader(stack, cfg, fwd.HomeRegionCondition())
	addResponderRole(stack, cfg, fwd.HomeRegionCondition())
}

// accountTrailProps are the member accounts' local trail's props from the config.
func accountTrailProps(cfg *config.Config) *accounttrail.AccountTrailProps {
	at := cfg.AccountTrail
	props := &accounttrail.AccountTrailProps{
		TrailName:      jsii.String(at.Name),
		RetentionDays:  jsii.Number(at.RetentionDays),
		CloudWatchLogs: jsii.Bool(at.CloudWatchLogs.Enabled),
	}
	if at.CloudWatchLogs.Enabled {
		props.LogGroupRetentionDays = jsii.Number(at.CloudWatchLogs.RetentionDays)
	}
	return props
}

// addResponderRole adds the role the Security account's responder function assumes to carry
// out the automatic response, conditioned on cond (IAM is global: one region creates it).
func addResponderRole(stack awscdk.Stack, cfg *config.Config, cond awscdk.CfnCondition) {
	r := responderrole.NewResponderRole(stack, jsii.String("ResponderRole"), &responderrole.ResponderRoleProps{
		SecurityAccount:     jsii.String(cfg.Organization.SecurityAccount),
		TrailNames:          jsii.Strings(cfg.OrganizationTrail.Name, cfg.AccountTrail.Name),
		ForwarderTargetArns: jsii.Strings(cfg.StreamARN(), cfg.ReceivingBusARN()),
	})
	eventforwarder.SetCondition(r, cond)
}

// addHistoryReader adds, if the config names investigators, the role they assume to export
// the account's Event History, conditioned on cond (IAM is global: one region creates it).
func addHistoryReader(stack awscdk.Stack, cfg *config.Config, cond awscdk.CfnCondition) {
	if len(cfg.EventHistory.Investigators) == 0 {
		return
	}
	r := historyreader.NewHistoryReader(stack, jsii.String("EventHistoryReader"), &historyreader.HistoryReaderProps{
		InvestigatorArns: jsii.Strings(cfg.EventHistory.Investigators...),
	})
	eventforwarder.SetCondition(r, cond)
}

// addEventForwarder adds the forwarder of the stack's account and region to the Security
// account's stream and bus.
func addEventForwarder(stack awscdk.Stack, cfg *config.Config) eventforwarder.EventForwarder {
	return eventforwarder.NewEventForwarder(stack, jsii.String("EventForwarder"), eventForwarderProps(cfg))
}

// eventForwarderProps are every account's forwarder's props from the config.
func eventForwarderProps(cfg *config.Config) *eventforwarder.EventForwarderProps {
	es := cfg.EventStream
	return &eventforwarder.EventForwarderProps{
		StreamArn:             jsii.String(cfg.StreamARN()),
		StreamKeyAlias:        jsii.String(config.StreamKeyAlias),
		ReceivingBusArn:       jsii.String(cfg.ReceivingBusARN()),
		PartitionKeyPath:      jsii.String(partitionKeyPath(es.PartitionKey)),
		ExtraDetailTypes:      jsii.Strings(es.ExtraDetailTypes...),
		IncludeReadOnlyEvents: jsii.Bool(es.IncludeReadOnlyEvents),
	}
}
