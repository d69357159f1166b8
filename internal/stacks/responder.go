package stacks

import (
	"encoding/json"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/trailguard/trailguard/config"
	"github.com/trailguard/trailguard/constructs/detection"
	"github.com/trailguard/trailguard/constructs/eventsink"
	"github.com/trailguard/trailguard/constructs/responder"
	"github.com/trailguard/trailguard/detect"
)

// addResponder adds the automatic response to the Security stack: the responder queue the
// detection functions send the alerts of rules with a response to, and the responder
// function acting (or, in dry-run, reporting) through each account's trailguard-responder
// role, with the config's response section.
func addResponder(stack awscdk.Stack, cfg *config.Config, sink eventsink.EventSink, d detection.Detection) responder.Responder {
	resp, err := json.Marshal(cfg.Response)
	if err != nil {
		panic(err)
	}
	r := responder.NewResponder(stack, jsii.String("Responder"), &responder.ResponderProps{
		OrganizationId: jsii.String(cfg.Organization.ID),
		AlertTopic:     sink.AlertTopic(),
		AlertKey:       sink.AlertKey(),
		AlertBus:       d.AlertBus(),
		ResponseConfig: jsii.String(string(resp)),
		Deployed:       jsii.String(deployedJSON(cfg)),
		RuleFiles:      ruleFiles(cfg.Detection.RuleFiles),
		DisabledRules:  jsii.Strings(cfg.Detection.DisabledRules...),
		// The detection functions' context: both judge deployments with the same deployers.
		OrganizationContext: detect.ContextFromConfig(cfg),
	})
	d.SendResponsesTo(r.Queue(), r.Key())
	output(stack, "ResponderDeadLetterQueueUrl", r.DeadLetterQueue().QueueUrl(), "The queue holding the alerts the responder could not handle after every retry")
	return r
}
