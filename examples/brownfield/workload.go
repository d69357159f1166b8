package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/trailguard/trailguard/constructs/eventforwarder"
)

// newWorkloadStack is the workload account's stack in one region: the event forwarder to the
// Security account's stream (in the home region) or receiving bus (elsewhere).
func newWorkloadStack(scope constructs.Construct, region string) awscdk.Stack {
	stack := newStack(scope, "brownfield-workload-"+region, workloadAccount, region,
		"Acme: real-time forwarding of the account's API calls to the Security account")
	eventforwarder.NewEventForwarder(stack, jsii.String("EventForwarder"), &eventforwarder.EventForwarderProps{
		// The Security account's stream and bus, by ARN: they are in another account.
		StreamArn:       jsii.String(streamArn()),
		StreamKeyAlias:  jsii.String(streamKeyAlias),
		ReceivingBusArn: jsii.String(busArn()),
	})
	return stack
}
