package test

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/trailguard/trailguard/constructs/eventdlq"
)

// TestDeadLetterQueuePassesTheGatesAlone builds a dead-letter queue with its required props
// in a stack of its own, as a platform team does for a rule of its own
// (examples/platform): the construct's resources have no unsuppressed finding. The key and
// topic are the caller's, and the caller's to make compliant, so only findings under the
// construct count.
func TestDeadLetterQueuePassesTheGatesAlone(t *testing.T) {
	env := &awscdk.Environment{Account: jsii.String("222222222222"), Region: jsii.String("eu-west-1")}
	_, report := gatedSynth(t, func(scope constructs.Construct) awscdk.Stack {
		s := awscdk.NewStack(scope, jsii.String("Alone"), &awscdk.StackProps{Env: env})
		key := awskms.NewKey(s, jsii.String("Key"), &awskms.KeyProps{EnableKeyRotation: jsii.Bool(true)})
		eventdlq.NewDeadLetterQueue(s, jsii.String("DLQ"), &eventdlq.DeadLetterQueueProps{
			EncryptionKey:  key,
			SourceRuleArns: jsii.Strings("arn:aws:events:eu-west-1:222222222222:rule/r"),
			AlarmTopic:     awssns.NewTopic(s, jsii.String("Topic"), &awssns.TopicProps{MasterKey: key, EnforceSSL: jsii.Bool(true)}),
		})
		return s
	})
	for _, f := range report.Findings {
		for _, r := range f.Resources {
			if strings.HasPrefix(r, "Alone/DLQ/") {
				t.Errorf("eventdlq alone: unsuppressed finding %s", f)
				break
			}
		}
	}
}
