package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/trailguard/trailguard/config"
	"github.com/trailguard/trailguard/constructs/detection"
	"github.com/trailguard/trailguard/constructs/eventsink"
	"github.com/trailguard/trailguard/constructs/logarchive"
	"github.com/trailguard/trailguard/detect"
)

// addDetection adds the detection functions to the Security stack: the stream function reading
// the sink's stream and the archive function reading the log archive's new log files, both
// publishing to the sink's alert topic and to the integrations bus, with the users' rules
// (detection.rulesDir, read by the app) bundled in.
func addDetection(stack awscdk.Stack, cfg *config.Config, sink eventsink.EventSink, archive logarchive.LogArchive) detection.Detection {
	d := detection.NewDetection(stack, jsii.String("Detection"), &detection.DetectionProps{
		Stream:        sink.Stream(),
		StreamKey:     sink.StreamKey(),
		AlertTopic:    sink.AlertTopic(),
		AlertKey:      sink.AlertKey(),
		ArchiveBucket: archive.Bucket(), // its notification waits for the archive queue
		ArchiveKey:    archive.Key(),
		RuleFiles:     ruleFiles(cfg.Detection.RuleFiles),
		DisabledRules: jsii.Strings(cfg.Detection.DisabledRules...),
		// The organization the rules judge records in, as `trailguard detect --config` does.
		OrganizationContext: detect.ContextFromConfig(cfg),
	})
	output(stack, "AlertBusArn", d.AlertBus().EventBusArn(), "The event bus the detection functions put alerts on, for integrations")
	output(stack, "DetectionFailureQueueUrl", d.FailureQueue().QueueUrl(), "The queue holding the stream records that failed detection after every retry")
	return d
}

// ruleFiles converts the users' rule files to the construct's prop.
func ruleFiles(files map[string]string) *map[string]*string {
	if len(files) == 0 {
		return nil
	}
	out := map[string]*string{}
	for n, c := range files {
		out[n] = jsii.String(c)
	}
	return &out
}
