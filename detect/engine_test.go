package detect

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

// record builds a CloudTrail record for the engine tests.
func record(t *testing.T, eventName string, extra string) *Record {
	t.Helper()
	raw := `{"eventVersion":"1.09","userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/deployer/ci","accountId":"111122223333",` +
		`"sessionContext":{"sessionIssuer":{"type":"Role","userName":"deployer","arn":"arn:aws:iam::111122223333:role/deployer"}}},` +
		`"eventTime":"2026-11-02T09:00:00Z","eventSource":"ec2.amazonaws.com","eventName":"` + eventName + `","awsRegion":"eu-west-1",` +
		`"sourceIPAddress":"203.0.113.1","requestParameters":null,"eventID":"id-` + eventName + `","recipientAccountId":"111122223333"` + extra + `}`
	rec, err := ParseRecord([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

// engineOf compiles rules written in YAML.
func engineOf(t *testing.T, yaml string) *Engine {
	t.Helper()
	rules, err := ParseFS(fstest.MapFS{"r.yaml": {Data: []byte(yaml)}}, ".", "test")
	if err != nil {
		t.Fatal(err)
	}
	e, err := Compile(rules)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestExceptions(t *testing.T) {
	e := engineOf(t, `
id: r
title: R
severity: low
match: eventName.startsWith("Run")
exceptions:
  - reason: principal
    principals: ["arn:aws:sts::*:assumed-role/deployer/*"]
    accounts: ["999*"]
  - reason: role
    roles: ["builder-*"]
  - reason: tags
    tags: ["purpose=ci-*"]
  - reason: condition
    condition: requestParameters.?instanceType.orValue("") == "t4g.nano"
`)
	tests := []struct {
		name  string
		rec   *Record
		alert bool
	}{
		{"no exception applies", record(t, "RunInstances", ""), true},
		{"principal matches, account does not: both must", record(t, "RunInstances", `,"recipientAccountId":"111122223333"`), true},
		{"principal and account match", record(t, "RunInstances", `,"recipientAccountId":"999988887777"`), false},
		{"role", record(t, "RunInstances", `,"userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/builder-7/x"}`), false},
		{"tags in a tag specification", record(t, "RunInstances", `,"requestParameters":{"tagSpecificationSet":{"items":[{"resourceType":"instance","tags":[{"key":"purpose","value":"ci-runner"}]}]}}`), false},
		{"other tags", record(t, "RunInstances", `,"requestParameters":{"tagSpecificationSet":{"items":[{"resourceType":"instance","tags":[{"key":"purpose","value":"web"}]}]}}`), true},
		{"condition", record(t, "RunInstances", `,"requestParameters":{"instanceType":"t4g.nano"}`), false},
		{"not matched at all", record(t, "StopInstances", ""), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, errs := e.Match(tt.rec)
			if len(errs) > 0 {
				t.Fatal(errs)
			}
			if (len(got) > 0) != tt.alert {
				t.Errorf("matched %v, want alert %v", matchIDs(got), tt.alert)
			}
		})
	}
}

func TestDedupe(t *testing.T) {
	e := engineOf(t, "id: r\ntitle: R\nseverity: low\nmatch: eventName == \"RunInstances\"\n")
	d := NewDetector(e, nil)
	rec := record(t, "RunInstances", "")
	var got []string
	for range 3 {
		alerts, err := d.Process(rec)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range alerts {
			got = append(got, a.DedupeKey)
		}
	}
	if want := []string{"r/id-RunInstances"}; !slices.Equal(got, want) {
		t.Errorf("dedupe keys %v, want %v", got, want)
	}
	if st := d.Stats(); st.Records != 3 || st.Alerts != 1 || st.Duplicates != 2 {
		t.Errorf("stats %+v, want 3 records, 1 alert, 2 duplicates", st)
	}

	boom := errors.New("table unavailable")
	d = NewDetector(e, failingStore{boom})
	if _, err := d.Process(rec); !errors.Is(err, boom) {
		t.Errorf("error %v, want the store's", err)
	}
}

type failingStore struct{ err error }

func (s failingStore) FirstSeen(string) (bool, error) { return false, s.err }

func TestThreshold(t *testing.T) {
	e := engineOf(t, `
id: burst
title: Burst
severity: high
match: eventName == "GetSecretValue"
threshold:
  count: 3
  window: 10m
  distinct: requestParameters.secretId
`)
	at := func(minute int, secret, principal string) *Record {
		return record(t, "GetSecretValue", fmt.Sprintf(`,"eventID":"e%d-%s","eventTime":"%s","requestParameters":{"secretId":%q},"userIdentity":{"type":"IAMUser","arn":%q}`,
			minute, secret, time.Date(2026, 11, 2, 9, minute, 0, 0, time.UTC).Format(time.RFC3339), secret, principal))
	}
	tests := []struct {
		name string
		recs []*Record
		want []string // dedupe keys
	}{
		{"three distinct in the window", []*Record{at(0, "a", "p"), at(4, "b", "p"), at(9, "c", "p")}, []string{"burst/p/2026-11-02T09:00:00Z"}},
		{"out of order", []*Record{at(9, "c", "p"), at(0, "a", "p"), at(4, "b", "p")}, []string{"burst/p/2026-11-02T09:00:00Z"}},
		{"same secret again and again", []*Record{at(0, "a", "p"), at(1, "a", "p"), at(2, "a", "p"), at(3, "b", "p")}, nil},
		{"spread over more than the window", []*Record{at(0, "a", "p"), at(6, "b", "p"), at(12, "c", "p")}, nil},
		{"different principals", []*Record{at(0, "a", "p"), at(1, "b", "q"), at(2, "c", "r")}, nil},
		{
			"counting starts afresh after an alert",
			// The first burst ends 12 minutes after its 2-minute bucket (window/5): the records
			// of minutes 3 and 4 are part of it, the ones from minute 12 a new one.
			[]*Record{at(0, "a", "p"), at(1, "b", "p"), at(2, "c", "p"), at(3, "d", "p"), at(4, "e", "p"),
				at(12, "f", "p"), at(13, "g", "p"), at(14, "h", "p")},
			[]string{"burst/p/2026-11-02T09:00:00Z", "burst/p/2026-11-02T09:12:00Z"},
		},
		{
			"a burst across a window boundary alerts once",
			[]*Record{at(8, "a", "p"), at(9, "b", "p"), at(11, "c", "p"), at(12, "d", "p"), at(13, "e", "p")},
			[]string{"burst/p/2026-11-02T09:08:00Z"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := NewDetector(e, nil)
			var got []string
			for _, r := range tt.recs {
				alerts, err := d.Process(r)
				if err != nil {
					t.Fatal(err)
				}
				for _, a := range alerts {
					got = append(got, a.DedupeKey)
					if a.Threshold == nil || a.Threshold.Count < 3 || len(a.Threshold.Values) != a.Threshold.Count {
						t.Errorf("threshold %+v, want 3 values counted", a.Threshold)
					}
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("alerts %v, want %v", got, tt.want)
			}
		})
	}
}

// TestThresholdCountsCopiesOnce feeds the same records twice, as when the
// organization trail's and a local trail's copies are both read.
func TestThresholdCountsCopiesOnce(t *testing.T) {
	e := engineOf(t, "id: burst\ntitle: B\nseverity: low\nmatch: eventName == \"ConsoleLogin\"\nthreshold: {count: 3, window: 10m}\n")
	d := NewDetector(e, nil)
	var alerts int
	for _, minute := range []int{0, 1, 0, 1} {
		a, err := d.Process(record(t, "ConsoleLogin", fmt.Sprintf(`,"eventID":"e%d","eventTime":"2026-11-02T09:%02d:00Z"`, minute, minute)))
		if err != nil {
			t.Fatal(err)
		}
		alerts += len(a)
	}
	if alerts != 0 {
		t.Errorf("%d alerts from two records seen twice, want none (threshold 3)", alerts)
	}
	a, _ := d.Process(record(t, "ConsoleLogin", `,"eventID":"e2","eventTime":"2026-11-02T09:02:00Z"`))
	if len(a) != 1 || a[0].Threshold.Count != 3 {
		t.Errorf("alerts %v after a third record, want one counting 3", a)
	}
}

func TestEvalErrorsDoNotStopOtherRules(t *testing.T) {
	e := engineOf(t, `
id: fails
title: F
severity: low
match: requestParameters.missing.deeper == 1
---
id: works
title: W
severity: low
match: eventName == "RunInstances"
`)
	d := NewDetector(e, nil)
	alerts, err := d.Process(record(t, "RunInstances", ""))
	if err != nil {
		t.Fatal(err)
	}
	if len(alerts) != 1 || alerts[0].Rule != "works" {
		t.Errorf("alerts %v, want works", alerts)
	}
	if st := d.Stats(); st.EvalErrors["fails"] != 1 || !strings.Contains(st.FirstEvalError["fails"].Error(), "rule fails: match: no such key") {
		t.Errorf("eval errors %v %v", st.EvalErrors, st.FirstEvalError)
	}
}

func TestParseRecord(t *testing.T) {
	rec := record(t, "RunInstances", "")
	envelope := `{"version":"0","id":"x","detail-type":"AWS API Call via CloudTrail","source":"aws.ec2","detail":` + string(rec.Raw) + `}`
	got, err := ParseRecord([]byte(envelope))
	if err != nil {
		t.Fatal(err)
	}
	if string(got.Raw) != string(rec.Raw) || got.EventID() != "id-RunInstances" {
		t.Errorf("unwrapped %s, want %s", got.Raw, rec.Raw)
	}
	if m, ok := got.Fields["requestParameters"].(map[string]any); !ok || len(m) != 0 {
		t.Errorf("requestParameters null became %v, want {}", got.Fields["requestParameters"])
	}
	for _, bad := range []string{`[1]`, `null`, `{"eventID":"x"}`, `{"eventName":`} {
		if _, err := ParseRecord([]byte(bad)); err == nil {
			t.Errorf("ParseRecord(%s) succeeded, want an error", bad)
		}
	}
	if got, want := rec.Principal(), "arn:aws:sts::111122223333:assumed-role/deployer/ci"; got != want {
		t.Errorf("principal %q, want %q", got, want)
	}
	if got := rec.Role(); got != "deployer" {
		t.Errorf("role %q, want deployer", got)
	}
	svc := record(t, "Decrypt", `,"userIdentity":{"type":"AWSService","invokedBy":"cloudtrail.amazonaws.com"}`)
	if got := svc.Principal(); got != "cloudtrail.amazonaws.com" {
		t.Errorf("service principal %q", got)
	}
}

func TestPolicyFunctions(t *testing.T) {
	policy := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::444455556666:root","*"]},"Action":"s3:*","Resource":"*"}}`
	e := engineOf(t, `
id: p
title: P
severity: low
match: >
  policyStatements(requestParameters.policy).exists(s, "*" in principals(s) &&
    "arn:aws:iam::444455556666:root" in principals(s) && asList(s.Action) == ["s3:*"]) &&
  json(requestParameters).contains("444455556666")
`)
	for name, value := range map[string]string{
		"object":      policy,
		"JSON text":   strconvQuote(policy),
		"URL-encoded": strconvQuote(url.QueryEscape(policy)),
	} {
		got, errs := e.Match(record(t, "PutPolicy", `,"requestParameters":{"policy":`+value+`}`))
		if len(got) != 1 || len(errs) > 0 {
			t.Errorf("%s: matched %v, errors %v; want a match", name, matchIDs(got), errs)
		}
	}
}

func strconvQuote(s string) string { return fmt.Sprintf("%q", s) }

func TestMerge(t *testing.T) {
	a, b, c := &Rule{ID: "a", Title: "1"}, &Rule{ID: "b"}, &Rule{ID: "a", Title: "2"}
	got := Merge([]*Rule{a, b}, []*Rule{c, {ID: "d"}})
	var ids []string
	for _, r := range got {
		ids = append(ids, r.ID+r.Title)
	}
	if want := []string{"a2", "b", "d"}; !slices.Equal(ids, want) {
		t.Errorf("merged %v, want %v", ids, want)
	}
}

func TestSeverity(t *testing.T) {
	for _, name := range SeverityNames() {
		s, err := ParseSeverity(strings.ToUpper(name))
		if err != nil || s.String() != name {
			t.Errorf("ParseSeverity(%q) = %v, %v", name, s, err)
		}
	}
	if !(Info < Low && Low < Medium && Medium < High && High < Critical) {
		t.Error("severities out of order")
	}
	if _, err := Severity(0).MarshalText(); err == nil {
		t.Error("the zero severity marshals")
	}
}

func TestSubject(t *testing.T) {
	tests := []struct {
		name string
		a    Alert
		want string
	}{
		{
			"short",
			Alert{Rule: "root-activity", Severity: High, AccountID: "111122223333", Region: "us-east-1", Principal: "arn:aws:iam::111122223333:root"},
			"[HIGH] root-activity 111122223333 us-east-1 arn:aws:iam::111122223333:root",
		},
		{
			"long principal, shortened from the left",
			Alert{Rule: "cloudtrail-logging-stopped", Severity: Critical, AccountID: "111122223333", Region: "eu-west-1",
				Principal: "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_AdministratorAccess_0123456789abcdef/alice@example.com"},
			"[CRITICAL] cloudtrail-logging-stopped 111122223333 eu-west-1 ...s_0123456789abcdef/alice@example.com",
		},
		{
			"not ASCII",
			Alert{Rule: "r", Severity: Low, AccountID: "1", Region: "r", Principal: "user/zoë\n"},
			"[LOW] r 1 r user/zo??",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.a.Subject()
			if got != tt.want || len(got) > maxSubject {
				t.Errorf("Subject() = %q (%d characters), want %q", got, len(got), tt.want)
			}
		})
	}
}

func TestLoadWith(t *testing.T) {
	files := map[string][]byte{
		"team/gpu.yaml": []byte("id: gpu-instances\ntitle: GPU\nseverity: medium\nmatch: eventName == \"RunInstances\"\n"),
		"README.md":     []byte("not a rule"),
	}
	e, err := LoadWith(LoadOptions{Files: files, FilesName: "rules", Disabled: []string{"root-activity"}, DisabledName: "detection.disabledRules"})
	if err != nil {
		t.Fatal(err)
	}
	var user, root *Rule
	for _, r := range e.Rules() {
		switch r.ID {
		case "gpu-instances":
			user = r
		case "root-activity":
			root = r
		}
	}
	if user == nil || user.File != "rules/team/gpu.yaml" {
		t.Errorf("user rule %+v, want gpu-instances from rules/team/gpu.yaml", user)
	}
	if root == nil || !root.Disabled {
		t.Errorf("root-activity %+v, want it disabled", root)
	}

	files["bad.yaml"] = []byte("id: bad\ntitle: B\nseverity: urgent\nmatch: eventName.size() > \"x\"\n")
	_, err = LoadWith(LoadOptions{Files: files, FilesName: "rules", Disabled: []string{"no-such-rule"}, DisabledName: "detection.disabledRules"})
	for _, want := range []string{"rules/bad.yaml: rule bad: severity", "rules/bad.yaml: rule bad: match", "detection.disabledRules: rule no-such-rule: no rule has this id"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v, want it to contain %q", err, want)
		}
	}
}
