package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/trailguard/trailguard/constructs/accounttrail"
	"github.com/trailguard/trailguard/constructs/eventforwarder"
	"github.com/trailguard/trailguard/constructs/historyreader"
)

// newAccountStack is one account's stack in one region: the event forwarder to the Security
// account's stream and bus and, in the home region only, the Event History reader role (IAM is
// global) and, with localTrail, the account's own trail (multi-region: one is enough). The
// template is the same in every region: the forwarder's HomeRegionCondition decides.
func newAccountStack(scope constructs.Construct, name, account, region string, localTrail bool) awscdk.Stack {
	stack := newStack(scope, name+"-"+region, account, region,
		"Platform: real-time forwarding of the account's API calls to the Security account")

	fwd := eventforwarder.NewEventForwarder(stack, jsii.String("EventForwarder"), &eventforwarder.EventForwarderProps{
		// The Security account's stream and bus, by ARN: they are in another account.
		StreamArn:       jsii.String(streamArn()),
		StreamKeyAlias:  jsii.String(streamKeyAlias),
		ReceivingBusArn: jsii.String(busArn()),
		AlarmEmails:     jsii.Strings("platform-oncall@platform.example.com"),
	})
	// TODO(byo-realtime): once eventforwarder/eventdlq accept an existing key or alarm topic,
	// a platform with its own alerting topic passes it here.

	reader := historyreader.NewHistoryReader(stack, jsii.String("EventHistoryReader"), &historyreader.HistoryReaderProps{
		InvestigatorArns: jsii.Strings(investigatorRole),
	})
	eventforwarder.SetCondition(reader, fwd.HomeRegionCondition())

	if localTrail {
		trail := accounttrail.NewAccountTrail(stack, jsii.String("AccountTrail"), &accounttrail.AccountTrailProps{
			RetentionDays: jsii.Number(400),
		})
		eventforwarder.SetCondition(trail, fwd.HomeRegionCondition())
		// TODO(byo-archive): once accounttrail accepts an existing bucket and key, a workload
		// account with a logging bucket of its own passes it here.
	}
	return stack
}
