package main

// Acme's organization as it was before trailguard (fictitious ids): an organization trail, its
// log archive bucket and KMS key, and a security alert topic, all made years ago outside this
// app. Replace them with your own.
const (
	organizationID = "o-acm3br0wnf1"

	managementAccount = "410000000001"
	securityAccount   = "410000000002"
	// workloadAccount is one member account; add a workload stack per member account.
	workloadAccount = "410000000003"

	// homeRegion holds the log archive, the alert topic and the event stream.
	homeRegion = "eu-west-1"
)

// regions are where the workload account forwards its API calls in real time. EventBridge
// delivers the global services' events (IAM, STS, console sign-in) only in us-east-1, so it
// must be one of them (go doc .../constructs/eventforwarder).
var regions = []string{homeRegion, "us-east-1", "eu-central-1"}

// What Acme already has, by name and ARN.
const (
	// existingTrailArn is the organization trail that delivers to the archive.
	existingTrailArn = "arn:aws:cloudtrail:" + homeRegion + ":" + managementAccount + ":trail/acme-org-trail"
	// existingArchiveBucket is the log archive bucket the trail delivers to: versioned, Object
	// Lock, SSE-KMS with existingArchiveKeyArn, Block Public Access (logarchive's
	// ExistingBucket lists what it must guarantee).
	existingArchiveBucket = "acme-org-cloudtrail-archive"
	// existingArchiveKeyArn encrypts the log files.
	existingArchiveKeyArn = "arn:aws:kms:" + homeRegion + ":" + securityAccount + ":key/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
	// existingAlertTopicArn is the security team's alert topic (subscribed by the pager),
	// encrypted with existingAlertKeyArn.
	existingAlertTopicArn = "arn:aws:sns:" + homeRegion + ":" + securityAccount + ":acme-security-alerts"
	existingAlertKeyArn   = "arn:aws:kms:" + homeRegion + ":" + securityAccount + ":key/5d6e7f80-9a1b-4c2d-8e3f-4a5b6c7d8e9f"
	// breakGlassRole may still change the archive's configuration (and add its notification).
	breakGlassRole = "arn:aws:iam::" + securityAccount + ":role/acme-break-glass"
	// siemCollectorRole is the SIEM's collector in the tooling account.
	siemCollectorRole = "arn:aws:iam::410000000009:role/siem-collector"
)

// What this app adds, named so that the other accounts' stacks can find it. Every name starts
// with "trailguard-": the tamper alerts and the guardrails recognise the logging resources by
// it.
const (
	streamName     = "trailguard-acme-events"
	busName        = "trailguard-acme-events"
	streamKeyAlias = "alias/trailguard/acme-events"
)

func streamArn() string {
	return "arn:aws:kinesis:" + homeRegion + ":" + securityAccount + ":stream/" + streamName
}

func busArn() string {
	return "arn:aws:events:" + homeRegion + ":" + securityAccount + ":event-bus/" + busName
}
