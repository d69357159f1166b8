package detect

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Alert is what a rule raises: the same format whichever source the record
// came from (the stream, the archive, a file).
type Alert struct {
	// Rule is the rule's id.
	Rule string `json:"rule"`
	// Severity is the rule's severity.
	Severity Severity `json:"severity"`
	// Title is the rule's title.
	Title string `json:"title"`
	// DedupeKey identifies the alert across sources and runs; see the
	// package documentation.
	DedupeKey string `json:"dedupeKey"`
	// EventID, EventName, EventSource, EventTime and Region are the
	// record's.
	EventID     string `json:"eventID"`
	EventName   string `json:"eventName"`
	EventSource string `json:"eventSource"`
	EventTime   string `json:"eventTime"`
	// AccountID is the account the event happened in (recipientAccountId,
	// else the caller's account).
	AccountID string `json:"accountId"`
	// Region is the record's awsRegion.
	Region string `json:"region"`
	// Principal is who made the call (see Record.Principal).
	Principal string `json:"principal"`
	// SourceIPAddress and UserAgent are the record's.
	SourceIPAddress string `json:"sourceIPAddress"`
	UserAgent       string `json:"userAgent,omitempty"`
	// ErrorCode is set when the call failed, such as AccessDenied: the
	// attempt is worth an alert all the same.
	ErrorCode string `json:"errorCode,omitempty"`
	// Threshold describes the records that crossed a threshold rule's
	// threshold; the other fields are those of the record that crossed it.
	Threshold *ThresholdHit `json:"threshold,omitempty"`
	// Response is set on the automatic response's audit alerts (rule trailguard-response):
	// the decision, the resource's state before and after, and the calls made
	// (docs/response.md).
	Response json.RawMessage `json:"response,omitempty"`
	// Record is the CloudTrail record.
	Record json.RawMessage `json:"record"`
}

// ThresholdHit is the count behind a threshold rule's alert.
type ThresholdHit struct {
	// Group is the groupBy value the records share.
	Group string `json:"group"`
	// Count is the number of records, or of distinct values, in the window.
	Count int `json:"count"`
	// Window is the rule's window, such as "10m0s".
	Window string `json:"window"`
	// First and Last are the event times of the oldest and newest record
	// counted.
	First string `json:"first"`
	Last  string `json:"last"`
	// EventIDs are the counted records' eventIDs, oldest first.
	EventIDs []string `json:"eventIDs"`
	// Values are the distinct values counted, for rules with distinct.
	Values []string `json:"values,omitempty"`
}

// newAlert fills an alert for rec.
func newAlert(r *Rule, rec *Record) *Alert {
	return &Alert{
		Rule:            r.ID,
		Severity:        r.Severity,
		Title:           r.Title,
		DedupeKey:       EventDedupeKey(r.ID, rec),
		EventID:         rec.EventID(),
		EventName:       rec.EventName(),
		EventSource:     rec.EventSource(),
		EventTime:       rec.str("eventTime"),
		AccountID:       rec.AccountID(),
		Region:          rec.Region(),
		Principal:       rec.Principal(),
		SourceIPAddress: rec.str("sourceIPAddress"),
		UserAgent:       rec.str("userAgent"),
		ErrorCode:       rec.str("errorCode"),
		Record:          bytes.Clone(rec.Raw), // its own copy: the record's bytes may be a reader's buffer
	}
}

// EventDedupeKey is the dedupe key of a single-record alert:
// "<rule id>/<eventID>". CloudTrail gives an event the same eventID in every
// copy of it (the organization trail, a local trail, Event History, the
// EventBridge event's detail), so the key is the same whichever source sees
// the event first. A record without an eventID is keyed by the SHA-256 of
// its compact JSON instead.
func EventDedupeKey(ruleID string, rec *Record) string {
	if id := rec.EventID(); id != "" {
		return ruleID + "/" + id
	}
	sum := sha256.Sum256(rec.compactJSON())
	return ruleID + "/sha256:" + hex.EncodeToString(sum[:])
}

// BurstBuckets is how many buckets a threshold rule's window is cut into to name a burst:
// a burst is named by the bucket of its first record (BurstStart), so two counts of one
// burst that differ only in where their window starts within a bucket name it alike.
const BurstBuckets = 5

// BurstBucket is the length of a burst bucket of window: window/BurstBuckets, at least one
// second, in whole seconds.
func BurstBucket(window time.Duration) time.Duration {
	b := (window / BurstBuckets).Truncate(time.Second)
	return max(b, time.Second)
}

// BurstStart is first rounded down to a multiple of BurstBucket(window) since the Unix
// epoch: the name of the burst whose first counted record is at first.
func BurstStart(first time.Time, window time.Duration) time.Time {
	sec := int64(BurstBucket(window) / time.Second)
	u := first.Unix()
	return time.Unix(u-((u%sec)+sec)%sec, 0).UTC()
}

// BurstEnd is when the burst whose first counted record is at first ends: a window and a
// bucket after BurstStart. Records before it belong to that burst, which alerted once;
// counting starts afresh at it.
func BurstEnd(first time.Time, window time.Duration) time.Time {
	return BurstStart(first, window).Add(window + BurstBucket(window))
}

// ThresholdDedupeKey is the dedupe key of a threshold alert: "<rule id>/<group>/<burst
// start>", the burst start being BurstStart of the hit's first counted record (first) in
// RFC 3339. A burst alerts once: however a batch, a retry or the other path cuts it, its
// count starts at its first record, and once it alerted counting starts afresh at its end
// (BurstEnd), in MemoryThresholds and in package internal/alerting's DynamoThresholds alike: sustained
// activity alerts about once a window.
func ThresholdDedupeKey(ruleID, group string, first time.Time, window time.Duration) string {
	return ruleID + "/" + group + "/" + BurstStart(first, window).Format(time.RFC3339)
}

// thresholdKey is the dedupe key of hit's alert.
func thresholdKey(ruleID string, hit *ThresholdHit, window time.Duration) string {
	first, err := time.Parse(time.RFC3339, hit.First)
	if err != nil {
		first = time.Time{}
	}
	return ThresholdDedupeKey(ruleID, hit.Group, first, window)
}

// maxSubject is the longest subject SNS accepts for a message published to
// e-mail subscribers.
const maxSubject = 100

// Subject is the alert's one-line summary for a notification subject:
// severity, rule, account, region and principal, in printable ASCII and at
// most 100 characters (SNS's limit), the principal shortened first.
func (a *Alert) Subject() string {
	ascii := func(s string) string {
		return strings.Map(func(r rune) rune {
			if r < ' ' || r > '~' {
				return '?'
			}
			return r
		}, s)
	}
	head := ascii(fmt.Sprintf("[%s] %s %s %s ", strings.ToUpper(a.Severity.String()), a.Rule, a.AccountID, a.Region))
	principal := ascii(a.Principal)
	if len(head)+len(principal) > maxSubject {
		keep := max(maxSubject-len(head)-3, 0)
		principal = "..." + principal[len(principal)-keep:]
	}
	if len(head)+len(principal) > maxSubject {
		return head[:maxSubject]
	}
	return head + principal
}
