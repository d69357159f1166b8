package detect

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
)

// The Security account's EventBridge alert rules "tampering" and "exposure" sent the raw
// events of these patterns to the alert topic until the engine replaced them (issue 13: no
// event alerts twice). testdata/retired-alert-patterns.json is what eventsink.AlertPatterns
// returned then. TestRetiredAlertPatternsCovered proves the default rules alert on a
// realistic event of every eventName of every branch of those patterns: each example must
// match its branch (so the examples are the patterns' own events) and raise an alert.

// retiredParams are realistic requestParameters of each branch's calls, keyed
// "<pattern>/<branch index>"; branches without an entry take none.
var retiredParams = map[string]map[string]string{
	"tampering/0": {"": `{"name":"arn:aws:cloudtrail:us-east-1:111111111111:trail/trailguard-organization"}`},
	"tampering/1": {"": `{"name":"trailguard-forward-to-stream","eventBusName":"default"}`},
	"tampering/2": {"": `{"rule":"trailguard-forward-to-stream","ids":["SecurityStream"],"eventBusName":"default"}`},
	"tampering/3": {
		"PutPermission":    `{"eventBusName":"trailguard-security-events","statementId":"AllowAll","action":"events:PutEvents","principal":"*"}`,
		"RemovePermission": `{"eventBusName":"trailguard-security-events","statementId":"AllowOrganizationForwarders"}`,
		"":                 `{"name":"trailguard-security-events"}`,
	},
	"tampering/4": {"": `{"roleName":"trailguard-forwarder-stream-eu-west-1","policyName":"x","policyArn":"arn:aws:iam::aws:policy/AdministratorAccess"}`},
	"tampering/5": {"": `{"streamName":"trailguard-security-events","streamARN":"arn:aws:kinesis:eu-west-1:222222222222:stream/trailguard-security-events"}`},
	"tampering/6": {"": `{"keyId":"arn:aws:kms:eu-west-1:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab","pendingWindowInDays":7}`},
	"exposure/0":  {"": `{"bucketName":"trailguard-archive-222222222222-eu-west-1","Host":"trailguard-archive-222222222222-eu-west-1.s3.eu-west-1.amazonaws.com"}`},
	"exposure/1": {
		"DeleteBucketPublicAccessBlock":  `{"bucketName":"customer-data","publicAccessBlock":"","Host":"customer-data.s3.eu-west-1.amazonaws.com"}`,
		"DeleteAccountPublicAccessBlock": `{"Host":"111122223333.s3-control.eu-west-1.amazonaws.com"}`,
	},
	"exposure/4": {"": `{"policyId":"p-examplepolicyid111","targetId":"ou-abcd-11111111"}`},
}

// retiredExtra are the examples of the branches whose condition is more than an eventName:
// whole records, keyed by branch.
var retiredExtra = map[string][]string{
	"exposure/2": {
		retiredRecord("s3.amazonaws.com", "PutBucketPolicy", "IAMUser",
			`{"bucketName":"customer-data","bucketPolicy":{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::customer-data/*"}]}}`, ""),
		retiredRecord("s3.amazonaws.com", "PutBucketPolicy", "IAMUser",
			`{"bucketName":"customer-data","bucketPolicy":{"Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:*","Resource":["arn:aws:s3:::customer-data","arn:aws:s3:::customer-data/*"]}]}}`, ""),
	},
	"exposure/3": {
		retiredRecord("s3.amazonaws.com", "PutBucketAcl", "IAMUser", `{"bucketName":"customer-data","acl":"","x-amz-acl":["public-read"]}`, ""),
		retiredRecord("s3.amazonaws.com", "PutBucketAcl", "IAMUser", `{"bucketName":"customer-data","acl":"","x-amz-acl":["public-read-write"]}`, ""),
		retiredRecord("s3.amazonaws.com", "PutBucketAcl", "IAMUser", `{"bucketName":"customer-data","acl":"","x-amz-acl":["authenticated-read"]}`, ""),
	},
	"exposure/5": {
		retiredRecord("iam.amazonaws.com", "CreateAccessKey", "Root", `{}`, ""),
		retiredRecord("signin.amazonaws.com", "ConsoleLogin", "Root", `null`, `"responseElements":{"ConsoleLogin":"Success"},"additionalEventData":{"MFAUsed":"Yes"},`),
	},
	"exposure/6": {
		retiredRecord("signin.amazonaws.com", "ConsoleLogin", "IAMUser", `null`, `"responseElements":{"ConsoleLogin":"Success"},"additionalEventData":{"LoginTo":"https://console.aws.amazon.com/console/home","MobileVersion":"No","MFAUsed":"No"},`),
	},
}

// retiredNarrowed are events the retired patterns matched on which the engine deliberately
// does not alert, each with the reason. Keep this list short and reasoned.
var retiredNarrowed = map[string]string{
	// A deny of plain HTTP names Principal "*": the old pattern alerted on every bucket
	// policy with TLS enforced. The engine alerts on Principal "*" only in an Allow without
	// a condition (s3-bucket-made-public) and on other accounts (s3-bucket-policy-other-account).
	retiredRecord("s3.amazonaws.com", "PutBucketPolicy", "IAMUser",
		`{"bucketName":"customer-data","bucketPolicy":{"Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::customer-data/*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}}`, ""): "a Deny statement exposes nothing",
	// An AWS service acting with the root identity (invokedBy set) is not root use.
	retiredRecord("iam.amazonaws.com", "GetAccountSummary", "Root", `null`, `"userIdentity":{"type":"Root","principalId":"111122223333","arn":"arn:aws:iam::111122223333:root","accountId":"111122223333","invokedBy":"support.amazonaws.com"},`): "an AWS service acting as root is not root use",
}

// retiredRecord is a CloudTrail record of a call in account 111122223333, eu-west-1. extra is
// inserted as is (fields ending in a comma); a userIdentity in extra replaces the caller's.
func retiredRecord(source, name, identity, params, extra string) string {
	user := `"userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::111122223333:user/mallory","accountId":"111122223333","accessKeyId":"AKIAEXAMPLE","userName":"mallory"},`
	if identity == "Root" {
		user = `"userIdentity":{"type":"Root","principalId":"111122223333","arn":"arn:aws:iam::111122223333:root","accountId":"111122223333","accessKeyId":"ASIAEXAMPLE"},`
	}
	if strings.Contains(extra, `"userIdentity"`) {
		user = ""
	}
	response := `"responseElements":null,`
	if strings.Contains(extra, `"responseElements"`) {
		response = ""
	}
	eventType := "AwsApiCall"
	if name == "ConsoleLogin" {
		eventType = "AwsConsoleSignIn"
	}
	return `{"eventVersion":"1.09",` + user + extra +
		`"eventTime":"2026-11-02T09:00:00Z","eventSource":"` + source + `","eventName":"` + name + `","awsRegion":"eu-west-1",` +
		`"sourceIPAddress":"203.0.113.24","userAgent":"aws-cli/2.22.10","requestParameters":` + params + `,` + response +
		`"eventID":"` + fmt.Sprintf("%08x-0000-4000-8000-000000000000", len(source)*1000+len(name)) + `","readOnly":false,"eventType":"` + eventType + `",` +
		`"managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management"}`
}

// retiredEvent wraps a record in the EventBridge event the patterns saw.
func retiredEvent(t *testing.T, record string) map[string]any {
	t.Helper()
	var detail map[string]any
	if err := json.Unmarshal([]byte(record), &detail); err != nil {
		t.Fatalf("%v: %s", err, record)
	}
	src, _ := detail["eventSource"].(string)
	dt := "AWS API Call via CloudTrail"
	if detail["eventName"] == "ConsoleLogin" {
		dt = "AWS Console Sign In via CloudTrail"
	}
	return map[string]any{"source": "aws." + strings.TrimSuffix(src, ".amazonaws.com"), "detail-type": dt, "detail": detail}
}

// patternMatches is EventBridge's event pattern matching, as far as the retired patterns use
// it: value lists, {"prefix"}, nested objects, "$or", and arrays in the event matching when
// an element does (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html).
func patternMatches(pattern map[string]any, event any) bool {
	obj, _ := event.(map[string]any)
	for k, want := range pattern {
		if k == "$or" {
			hit := false
			for _, alt := range want.([]any) {
				hit = hit || patternMatches(alt.(map[string]any), event)
			}
			if !hit {
				return false
			}
			continue
		}
		v, ok := obj[k]
		if !ok {
			return false
		}
		if !fieldMatches(want, v) {
			return false
		}
	}
	return true
}

func fieldMatches(want, v any) bool {
	if arr, ok := v.([]any); ok {
		for _, e := range arr {
			if fieldMatches(want, e) {
				return true
			}
		}
		return false
	}
	switch w := want.(type) {
	case map[string]any:
		return patternMatches(w, v)
	case []any:
		for _, x := range w {
			if m, ok := x.(map[string]any); ok {
				if p, ok := m["prefix"].(string); ok {
					if s, ok := v.(string); ok && strings.HasPrefix(s, p) {
						return true
					}
				}
				continue
			}
			if x == v {
				return true
			}
		}
	}
	return false
}

func TestRetiredAlertPatternsCovered(t *testing.T) {
	b, err := os.ReadFile("testdata/retired-alert-patterns.json")
	if err != nil {
		t.Fatal(err)
	}
	var patterns map[string]map[string]any
	if err := json.Unmarshal(b, &patterns); err != nil {
		t.Fatal(err)
	}
	sources := map[string]string{"aws.cloudtrail": "cloudtrail", "aws.events": "events", "aws.iam": "iam", "aws.kinesis": "kinesis",
		"aws.kms": "kms", "aws.s3": "s3", "aws.organizations": "organizations"}
	engine := defaultEngine(t)
	examples := 0
	for _, name := range []string{"tampering", "exposure"} {
		p := patterns[name]
		if p == nil {
			t.Fatalf("no pattern %q in the testdata", name)
		}
		for i, alt := range p["$or"].([]any) {
			branch := alt.(map[string]any)
			key := fmt.Sprintf("%s/%d", name, i)
			// The whole pattern (detail-type and the branch) must match each example.
			whole := map[string]any{"detail-type": p["detail-type"], "$or": []any{branch}}
			var records []string
			if extra, ok := retiredExtra[key]; ok {
				records = extra
			} else {
				detail := branch["detail"].(map[string]any)
				src := branch["source"].([]any)[0].(string)
				for _, n := range detail["eventName"].([]any) {
					params := retiredParams[key][n.(string)]
					if params == "" {
						params = retiredParams[key][""]
					}
					if params == "" {
						params = "{}"
					}
					records = append(records, retiredRecord(sources[src]+".amazonaws.com", n.(string), "IAMUser", params, ""))
				}
			}
			if len(records) == 0 {
				t.Errorf("%s: no example", key)
			}
			for _, rec := range records {
				examples++
				ev := retiredEvent(t, rec)
				label := fmt.Sprintf("%s %s", key, ev["detail"].(map[string]any)["eventName"])
				if !patternMatches(whole, ev) {
					t.Errorf("%s: the example does not match the retired pattern: fix the example\n%s", label, rec)
					continue
				}
				if alerts := run(t, engine, []json.RawMessage{json.RawMessage(rec)}); len(alerts) == 0 {
					t.Errorf("%s: the retired pattern alerted and no default rule does: add one\n%s", label, rec)
				}
			}
		}
	}
	for rec, reason := range retiredNarrowed {
		ev := retiredEvent(t, rec)
		if !patternMatches(patterns["exposure"], ev) && !patternMatches(patterns["tampering"], ev) {
			t.Errorf("narrowed example (%s) matches no retired pattern: it documents nothing", reason)
		}
		if alerts := run(t, engine, []json.RawMessage{json.RawMessage(rec)}); len(alerts) != 0 {
			t.Errorf("narrowed example (%s) alerts (%s): remove it from retiredNarrowed", reason, alerts[0].Rule)
		}
	}
	t.Logf("%d examples of the retired patterns alert", examples)
}
