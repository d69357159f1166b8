package stacks

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/jsii-runtime-go"

	"github.com/trailguard/trailguard/config"
	"github.com/trailguard/trailguard/constructs/coveragemonitor"
	"github.com/trailguard/trailguard/constructs/detection"
	"github.com/trailguard/trailguard/constructs/eventsink"
	"github.com/trailguard/trailguard/internal/coveragespec"
)

// addCoverageMonitor adds the coverage monitor to the Security stack: the detection stream
// function records the heartbeats, the archive function (when there is one) the archive's
// activity, and the monitor compares them with ExpectedPairs(cfg).
func addCoverageMonitor(stack awscdk.Stack, cfg *config.Config, sink eventsink.EventSink, d detection.Detection) coveragemonitor.CoverageMonitor {
	recorder, ok := d.StreamFunction().(awslambda.Function)
	if !ok {
		panic(fmt.Sprintf("stacks: the detection stream function is a %T, want an awslambda.Function to record heartbeats", d.StreamFunction()))
	}
	var archiveRecorder awslambda.Function
	if fn := d.ArchiveFunction(); fn != nil {
		if archiveRecorder, ok = fn.(awslambda.Function); !ok {
			panic(fmt.Sprintf("stacks: the detection archive function is a %T, want an awslambda.Function to record archive activity", fn))
		}
	}
	return coveragemonitor.NewCoverageMonitor(stack, jsii.String("CoverageMonitor"), &coveragemonitor.CoverageMonitorProps{
		Expected:        ExpectedPairs(cfg),
		Recorder:        recorder,
		ArchiveRecorder: archiveRecorder,
		AlertTopic:      sink.AlertTopic(),
		AlertKey:        sink.AlertKey(),
		AlertBus:        d.AlertBus(),
	})
}

// ExpectedPairs are the accounts and regions whose forwarders the config deploys, each of
// which sends heartbeats: the management and Security accounts in every region, and each
// member in its regions (stacks mode) or in every region (stackset mode, where the StackSet
// deploys every region). In stackset mode the StackSet also reaches accounts the config does
// not list, so the set is not complete: the monitor learns those from their heartbeats, and
// gives an account it does not know, active in the archive in a StackSet region, time for
// its instance to deploy before it alerts.
func ExpectedPairs(cfg *config.Config) *coveragespec.Expected {
	e := &coveragespec.Expected{Complete: cfg.Deployment.Mode != config.ModeStackSet}
	if !e.Complete {
		e.StackSetRegions = append([]string(nil), cfg.Regions...)
	}
	for _, a := range cfg.ForwarderAccounts() {
		e.Add(a.ID, a.Regions...)
	}
	for _, m := range cfg.Members {
		if e.Complete {
			e.Add(m.ID, cfg.MemberRegions(m)...)
		} else {
			e.Add(m.ID, cfg.Regions...)
		}
	}
	return e
}
