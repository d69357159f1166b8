package coverage

import (
	"encoding/json"
	"strings"
	"time"
)

// Archive activity: the archive function records, per CloudTrail log file of the
// organization trail, the file's account and region and the time of its latest activity
// (Table.RecordArchive). The organization trail records every region of every account, so
// the monitor sees API activity in a region that no forwarder covers, which the stream never
// carries (RuleUnforwarded).
const (
	// ArchiveDelay bounds, typically, the time from an API call to its log file in the
	// archive: CloudTrail delivers within about 5 minutes on average, not guaranteed
	// (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/how-cloudtrail-works.html),
	// up to about 15.
	ArchiveDelay = 15 * time.Minute
	// ArchiveActiveWithin is how recent a pair's archive activity must be for the monitor
	// to count the pair in use. A pair alerts once when it becomes active without a
	// forwarder, and again only after this long without activity.
	ArchiveActiveWithin = 24 * time.Hour
)

// UnforwardedLatency is the typical worst case from an API call in a region without a
// forwarder to the unforwarded alert: its log file lands in the archive (ArchiveDelay), the
// archive function records it within DeliveryAllowance (S3 notification, queue, batch),
// and the monitor runs at most MonitorInterval later.
const UnforwardedLatency = ArchiveDelay + DeliveryAllowance + MonitorInterval

// ArchiveActivity is one log file's activity as the archive function records it.
type ArchiveActivity struct {
	// Pair is the log file's account and region, from its object key.
	Pair Pair
	// At is the latest eventTime of the file's records that count as activity (Activity).
	At time.Time
}

// ParseLogKey returns the account and region of a CloudTrail log file's object key:
// AWSLogs/<org-id>/<account>/CloudTrail/<region>/... for an organization trail (every
// account's files, the management account's included), or AWSLogs/<account>/CloudTrail/
// <region>/... for a trail of one account (the layout the management account's own path,
// which the archive's bucket policy allows, would take)
// (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-find-log-files.html,
// https://docs.aws.amazon.com/awscloudtrail/latest/userguide/creating-trail-organization.html).
// The region is the one where the events were recorded, which is where EventBridge
// delivers them too (us-east-1 for global services). Digest (CloudTrail-Digest) and
// Insights (CloudTrail-Insight) keys, and anything else, return false.
func ParseLogKey(key string) (Pair, bool) {
	parts := strings.Split(key, "/")
	if len(parts) < 5 || parts[0] != "AWSLogs" || !strings.HasSuffix(key, ".json.gz") {
		return Pair{}, false
	}
	i := 1
	if strings.HasPrefix(parts[1], "o-") {
		i = 2
	}
	if len(parts) < i+4 || parts[i+1] != "CloudTrail" || !accountRe.MatchString(parts[i]) || !regionRe.MatchString(parts[i+2]) {
		return Pair{}, false
	}
	return Pair{Account: parts[i], Region: parts[i+2]}, true
}

// Activity reports whether record, one CloudTrail record, is activity that a forwarder
// would carry to the stream and that someone chose to make, and returns its eventTime: an
// API call or console sign-in that is not read-only, not made by an AWS service (userIdentity
// type AWSService) or through one (invokedBy). Read-only calls and AWS services at work are
// left out because they happen in every enabled region without anyone using it (the EC2
// console's global view describes every region; Config, Security Hub and Trusted Advisor
// read everywhere) and the stream carries no read-only calls by default anyway.
func Activity(record []byte) (time.Time, bool) {
	var r struct {
		EventType    string `json:"eventType"`
		EventTime    string `json:"eventTime"`
		ReadOnly     *bool  `json:"readOnly"`
		UserIdentity struct {
			Type      string `json:"type"`
			InvokedBy string `json:"invokedBy"`
		} `json:"userIdentity"`
	}
	if json.Unmarshal(record, &r) != nil {
		return time.Time{}, false
	}
	if r.EventType != "AwsApiCall" && r.EventType != "AwsConsoleSignIn" {
		return time.Time{}, false
	}
	if (r.ReadOnly != nil && *r.ReadOnly) || r.UserIdentity.Type == "AWSService" || r.UserIdentity.InvokedBy != "" {
		return time.Time{}, false
	}
	at, err := time.Parse(time.RFC3339, r.EventTime)
	if err != nil {
		return time.Time{}, false
	}
	return at.UTC(), true
}
