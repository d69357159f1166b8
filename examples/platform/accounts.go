package main

import "github.com/trailguard/trailguard/constructs/eventforwarder"

// The organization this app deploys to. Account ids and the organization id are fictitious;
// replace them with your own.
const (
	organizationID = "o-pl4tf0rm7x9q"
	// rootID is the organization root the guardrails are attached to.
	rootID = "r-p7x9"

	managementAccount = "390000000001"
	securityAccount   = "390000000002"
	// workloadAccount is one member account; add a workload stack per member account.
	workloadAccount = "390000000003"

	// homeRegion holds the log archive, the event stream and the organization trail.
	homeRegion = "eu-central-1"
)

// regions are where every account forwards its API calls in real time. EventBridge delivers
// the global services' events (IAM, STS, console sign-in, Organizations) only in us-east-1,
// so it must be one of them (go doc .../constructs/eventforwarder).
var regions = []string{homeRegion, "us-east-1"}

// Names shared by the stacks of different accounts. Stacks in different accounts share no CDK
// objects: they agree on these names and the ARNs built from them. Every name starts with
// "trailguard-" (eventsink.ResourcePrefix, guardrails.NamePrefix): the tamper alerts and the
// guardrails recognise the logging resources by it.
const (
	trailName      = "trailguard-platform-org"
	archiveBucket  = "trailguard-platform-archive-" + securityAccount
	accessLogs     = "trailguard-platform-archive-logs-" + securityAccount
	trailKeyAlias  = "alias/trailguard/platform-trail"
	streamName     = "trailguard-platform-events"
	busName        = "trailguard-platform-events"
	streamKeyAlias = "alias/trailguard/platform-events"
)

// Principals of the platform team, all fictitious.
const (
	// deployerRole deploys every stack (cdk bootstrap --trust, cdk deploy).
	deployerRole = "arn:aws:iam::*:role/platform-deployer"
	// breakGlassRole may still delete archived logs within what Object Lock allows.
	breakGlassRole = "arn:aws:iam::" + securityAccount + ":role/platform-break-glass"
	// siemReaderRole is the SIEM's role in the Security account: it reads the archive and
	// the stream.
	siemReaderRole = "arn:aws:iam::" + securityAccount + ":role/trailguard-platform-siem-reader"
	// investigatorRole exports any account's Event History in an incident.
	investigatorRole = "arn:aws:iam::" + securityAccount + ":role/platform-investigator"
)

// cdkQualifier is the bootstrap qualifier (cdk bootstrap's default).
const cdkQualifier = "hnb659fds"

func trailArn() string {
	return "arn:aws:cloudtrail:" + homeRegion + ":" + managementAccount + ":trail/" + trailName
}

func streamArn() string {
	return "arn:aws:kinesis:" + homeRegion + ":" + securityAccount + ":stream/" + streamName
}

func busArn() string {
	return "arn:aws:events:" + homeRegion + ":" + securityAccount + ":event-bus/" + busName
}

func trailKeyAliasArn() string {
	return "arn:aws:kms:" + homeRegion + ":" + securityAccount + ":" + trailKeyAlias
}

// streamProducerRole is the role the home-region forwarders put records on the stream with.
func streamProducerRole() string { return eventforwarder.StreamRoleName(homeRegion) }
