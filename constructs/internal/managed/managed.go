// Package managed marks the resources trailguard's constructs create, so that the guardrails
// (package guardrails, which re-exports TagKey and TagValue) protect those that have no fixed
// name. It is a package of its own so that every construct can import it without a cycle.
package managed

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// TagKey and TagValue mark the logging resources the guardrails protect by tag.
const (
	TagKey   = "trailguard:managed-by"
	TagValue = "trailguard"
)

// Tag tags every taggable resource in c's subtree with TagKey=TagValue. Each construct tags
// its own scope, so that an app that reuses it needs no stack-wide tag for the guardrails to
// protect its keys, queues, topics and alarms. Resources a user brings (Existing* props)
// live outside the construct's scope and keep their own tags.
func Tag(c constructs.IConstruct) {
	awscdk.Tags_Of(c).Add(jsii.String(TagKey), jsii.String(TagValue), nil)
}
