package respond

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/trailguard/trailguard/config"
	"github.com/trailguard/trailguard/detect"
	"github.com/trailguard/trailguard/internal/respond/action"
)

// rec builds a CloudTrail record; principal is a role session's role name, or "" for a user.
func rec(t *testing.T, json string) *detect.Record {
	t.Helper()
	r, err := detect.ParseRecord([]byte(json))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// alertOf runs r through a detector of engine and returns the (last) alert that match picks,
// or fails t naming what, the alert it wanted.
func alertOf(t *testing.T, engine *detect.Engine, r *detect.Record, what string, match func(*detect.Alert) bool) *detect.Alert {
	t.Helper()
	alerts, err := detect.NewDetector(engine, detect.MemoryDedupe{}).Process(r)
	if err != nil {
		t.Fatal(err)
	}
	var alert *detect.Alert
	for _, a := range alerts {
		if match(a) {
			alert = a
		}
	}
	if alert == nil {
		t.Fatalf("no alert of %s; got %d alerts", what, len(alerts))
	}
	return alert
}

const (
	userAlice  = `"userIdentity":{"type":"IAMUser","userName":"alice","arn":"arn:aws:iam::333333333333:user/alice","accountId":"333333333333"}`
	responder  = `"userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::333333333333:assumed-role/trailguard-responder/tg-abc","accountId":"333333333333","sessionContext":{"sessionIssuer":{"type":"Role","userName":"trailguard-responder"}}}`
	common     = `"eventID":"e1","eventTime":"2026-12-06T10:00:00Z","awsRegion":"eu-west-1","recipientAccountId":"333333333333",`
	publicPol  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::site/*"}]}`
	sgResponse = `"responseElements":{"_return":true,"securityGroupRuleSet":{"items":[{"groupId":"sg-0123456789abcdef0","securityGroupRuleId":"sgr-0aaa","isEgress":false,"ipProtocol":"tcp","fromPort":22,"toPort":22,"cidrIpv4":"0.0.0.0/0"},{"groupId":"sg-0123456789abcdef0","securityGroupRuleId":"sgr-0bbb","isEgress":false,"ipProtocol":"tcp","fromPort":443,"toPort":443,"cidrIpv4":"0.0.0.0/0"}]}}`
)

func TestDecide(t *testing.T) {
	engine, err := detect.Load()
	if err != nil {
		t.Fatal(err)
	}
	rules := map[string]*detect.Rule{}
	for _, r := range engine.Rules() {
		rules[r.ID] = r
	}
	bucketPolicy := `{` + common + userAlice + `,"eventSource":"s3.amazonaws.com","eventName":"PutBucketPolicy","requestParameters":{"bucketName":"site","bucketPolicy":` + publicPol + `}}`
	tests := []struct {
		name     string
		record   string
		response config.Response
		wantAct  bool
		wantMode string
		want     string // in the reason
		target   string
		skip     string // the kind of skip, when not acting
	}{
		{name: "public bucket policy", record: bucketPolicy, wantAct: true, wantMode: "dry-run", want: "made bucket site public", target: "bucket site"},
		{name: "enforced", record: bucketPolicy, response: config.Response{Actions: map[string]config.ActionSettings{"s3-block-public-access": {Mode: "enforce"}}}, wantAct: true, wantMode: "enforce", target: "bucket site"},
		{name: "off", record: bucketPolicy, response: config.Response{Actions: map[string]config.ActionSettings{"s3-block-public-access": {Mode: "off"}}}, wantMode: "off", want: "is off", skip: SkipOff},
		{name: "exempt bucket by name pattern", record: bucketPolicy, response: config.Response{Exemptions: config.Exemptions{Buckets: []string{"si*"}}}, wantMode: "dry-run", want: "bucket site is exempt", target: "bucket site", skip: SkipExempt},
		{name: "exempt bucket by ARN", record: bucketPolicy, response: config.Response{Exemptions: config.Exemptions{Buckets: []string{"arn:aws:s3:::site"}}}, wantMode: "dry-run", want: "is exempt", skip: SkipExempt},
		{name: "exempt account", record: bucketPolicy, response: config.Response{Exemptions: config.Exemptions{Accounts: []string{"333333333333"}}}, wantMode: "dry-run", want: "account 333333333333 is exempt", skip: SkipExempt},
		{name: "the responder's own call", record: `{` + common + responder + `,"eventSource":"s3.amazonaws.com","eventName":"PutBucketPolicy","requestParameters":{"bucketName":"site","bucketPolicy":` + publicPol + `}}`, wantMode: "dry-run", want: "responder's own", skip: SkipOwnCall},
		{name: "a failed call", record: `{` + common + userAlice + `,"errorCode":"AccessDenied","eventSource":"s3.amazonaws.com","eventName":"PutBucketPolicy","requestParameters":{"bucketName":"site","bucketPolicy":` + publicPol + `}}`, wantMode: "dry-run", want: "changed nothing", skip: SkipFailedCall},
		{name: "account-level block public access removed", record: `{` + common + userAlice + `,"eventSource":"s3.amazonaws.com","eventName":"DeleteAccountPublicAccessBlock","requestParameters":{"accountId":"333333333333"}}`, wantAct: true, wantMode: "dry-run", target: "account 333333333333 Block Public Access"},
		{name: "security group opened on ssh: only the ssh rule", record: `{` + common + userAlice + `,"eventSource":"ec2.amazonaws.com","eventName":"AuthorizeSecurityGroupIngress","requestParameters":{"groupId":"sg-0123456789abcdef0","ipPermissions":{"items":[{"ipProtocol":"tcp","fromPort":22,"toPort":22,"ipRanges":{"items":[{"cidrIp":"0.0.0.0/0"}]}},{"ipProtocol":"tcp","fromPort":443,"toPort":443,"ipRanges":{"items":[{"cidrIp":"0.0.0.0/0"}]}}]}},` + sgResponse + `}`,
			wantAct: true, wantMode: "dry-run", target: "security group sg-0123456789abcdef0 rules sgr-0aaa"},
		{name: "security group opened, no rule ids in the record: the rules asked for, by properties", record: `{` + common + userAlice + `,"eventSource":"ec2.amazonaws.com","eventName":"AuthorizeSecurityGroupIngress","requestParameters":{"groupId":"sg-0123456789abcdef0","ipPermissions":{"items":[{"ipProtocol":"tcp","fromPort":22,"toPort":22,"ipRanges":{"items":[{"cidrIp":"0.0.0.0/0"}]},"ipv6Ranges":{"items":[{"cidrIpv6":"::/0"}]}},{"ipProtocol":"tcp","fromPort":443,"toPort":443,"ipRanges":{"items":[{"cidrIp":"0.0.0.0/0"}]}}]}},"responseElements":{"requestId":"r","_return":true}}`,
			wantAct: true, wantMode: "dry-run", target: "security group sg-0123456789abcdef0 rules tcp 22-22 from 0.0.0.0/0,tcp 22-22 from ::/0"},
		{name: "no rule ids, legacy CidrIp form, all protocols: ports -1 as EC2 describes the rule", record: `{` + common + userAlice + `,"eventSource":"ec2.amazonaws.com","eventName":"AuthorizeSecurityGroupIngress","requestParameters":{"groupId":"sg-0123456789abcdef0","ipProtocol":"-1","cidrIp":"0.0.0.0/0"},"responseElements":null}`,
			wantAct: true, wantMode: "dry-run", target: "security group sg-0123456789abcdef0 rules all traffic from 0.0.0.0/0"},
		{name: "exempt security group", record: `{` + common + userAlice + `,"eventSource":"ec2.amazonaws.com","eventName":"AuthorizeSecurityGroupIngress","requestParameters":{"groupId":"sg-0123456789abcdef0","ipPermissions":{"items":[{"ipProtocol":"tcp","fromPort":22,"toPort":22,"ipRanges":{"items":[{"cidrIp":"0.0.0.0/0"}]}}]}},` + sgResponse + `}`,
			response: config.Response{Exemptions: config.Exemptions{SecurityGroups: []string{"sg-0123456789abcdef0"}}}, wantMode: "dry-run", want: "is exempt", skip: SkipExempt},
		{name: "trail stopped", record: `{` + common + userAlice + `,"eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","requestParameters":{"name":"arn:aws:cloudtrail:eu-west-1:333333333333:trail/trailguard-local"}}`, wantAct: true, wantMode: "dry-run", target: "trail arn:aws:cloudtrail:eu-west-1:333333333333:trail/trailguard-local"},
		{name: "trail deleted: nothing to start", record: `{` + common + userAlice + `,"eventSource":"cloudtrail.amazonaws.com","eventName":"DeleteTrail","requestParameters":{"name":"t"}}`, wantMode: "dry-run", want: "cannot be undone by starting logging", skip: SkipNoTarget},
		{name: "trail re-scoped to one region", record: `{` + common + userAlice + `,"eventSource":"cloudtrail.amazonaws.com","eventName":"UpdateTrail","requestParameters":{"name":"trailguard-local","isMultiRegionTrail":false}}`,
			wantAct: true, wantMode: "dry-run", want: "as deployed", target: "the configuration of trail trailguard-local"},
		{name: "event selectors narrowed, trail named by ARN", record: `{` + common + userAlice + `,"eventSource":"cloudtrail.amazonaws.com","eventName":"PutEventSelectors","requestParameters":{"trailName":"arn:aws:cloudtrail:eu-west-1:333333333333:trail/trailguard-local","eventSelectors":[{"readWriteType":"ReadOnly","includeManagementEvents":true}]}}`,
			wantAct: true, wantMode: "dry-run", target: "the configuration of trail arn:aws:cloudtrail:eu-west-1:333333333333:trail/trailguard-local"},
		{name: "trail restore in enforce", record: `{` + common + userAlice + `,"eventSource":"cloudtrail.amazonaws.com","eventName":"PutInsightSelectors","requestParameters":{"trailName":"org","insightSelectors":[]}}`,
			response: config.Response{Actions: map[string]config.ActionSettings{"cloudtrail-restore-trail": {Mode: "enforce"}}}, wantAct: true, wantMode: "enforce", target: "the configuration of trail org"},
		{name: "event data store: out of scope", record: `{` + common + userAlice + `,"eventSource":"cloudtrail.amazonaws.com","eventName":"UpdateEventDataStore","requestParameters":{"eventDataStore":"eds"}}`,
			wantMode: "dry-run", want: "out of scope", skip: SkipNoTarget},
		{name: "forwarder rule disabled", record: `{` + common + userAlice + `,"eventSource":"events.amazonaws.com","eventName":"DisableRule","requestParameters":{"name":"trailguard-forward-to-stream"}}`,
			wantAct: true, wantMode: "dry-run", want: "restore it as deployed", target: "rule trailguard-forward-to-stream in eu-west-1"},
		{name: "forwarder rule deleted", record: `{` + common + userAlice + `,"eventSource":"events.amazonaws.com","eventName":"DeleteRule","requestParameters":{"name":"trailguard-forward-to-bus","eventBusName":"default"}}`,
			wantAct: true, wantMode: "dry-run", target: "rule trailguard-forward-to-bus in eu-west-1"},
		{name: "forwarder rule's targets removed", record: `{` + common + userAlice + `,"eventSource":"events.amazonaws.com","eventName":"RemoveTargets","requestParameters":{"rule":"trailguard-forward-to-stream","ids":["SecurityStream"]}}`,
			wantAct: true, wantMode: "dry-run", target: "rule trailguard-forward-to-stream in eu-west-1"},
		{name: "a trailguard-named rule on another bus", record: `{` + common + userAlice + `,"eventSource":"events.amazonaws.com","eventName":"DeleteRule","requestParameters":{"name":"trailguard-forward-to-stream","eventBusName":"custom"}}`,
			wantMode: "dry-run", want: "the forwarders' rules are on the default bus", skip: SkipNoTarget},
		{name: "access key for another user", record: `{` + common + userAlice + `,"eventSource":"iam.amazonaws.com","eventName":"CreateAccessKey","requestParameters":{"userName":"bob"},"responseElements":{"accessKey":{"userName":"bob","accessKeyId":"AKIAEXAMPLE","status":"Active"}}}`, wantAct: true, wantMode: "dry-run", target: "access key AKIAEXAMPLE of user bob"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := rec(t, tt.record)
			alert := alertOf(t, engine, r, "a rule with a response", func(a *detect.Alert) bool { return rules[a.Rule].Response != nil })
			p := &Policy{Response: tt.response}
			d := p.Decide(rules[alert.Rule], alert, r, Caller{})
			if d.Act != tt.wantAct || d.Mode != tt.wantMode {
				t.Errorf("act %v mode %q, want act %v mode %q (%s)", d.Act, d.Mode, tt.wantAct, tt.wantMode, d.Reason)
			}
			if d.Skip != tt.skip || d.Audited() != (d.Act || tt.skip == SkipExempt) {
				t.Errorf("skip %q audited %v, want skip %q", d.Skip, d.Audited(), tt.skip)
			}
			if !strings.Contains(d.Reason, tt.want) {
				t.Errorf("reason %q does not say %q", d.Reason, tt.want)
			}
			if tt.target != "" && (d.Target == nil || d.Target.String() != tt.target) {
				t.Errorf("target %v, want %s", d.Target, tt.target)
			}
			if d.AlertID != alert.DedupeKey || d.EventID != "e1" {
				t.Errorf("alert id %q event %q, want the alert's", d.AlertID, d.EventID)
			}
		})
	}
}

func TestThrottle(t *testing.T) {
	p := &Policy{Response: config.Response{MaxActionsPerResource: 3, MaxActionsPerAccount: 20}}
	d := Decision{Act: true, Mode: "enforce", Target: &Target{Kind: KindBucket, Bucket: "site", Account: "333333333333"}, Reason: "r"}
	for _, tc := range []struct {
		counts   Counts
		wantMode string
		tripped  bool
	}{
		{Counts{2, 19}, "enforce", false},
		{Counts{3, 3}, "dry-run", true},
		{Counts{0, 20}, "dry-run", true},
	} {
		got, tripped := p.Throttle(d, tc.counts)
		if got.Mode != tc.wantMode || tripped != tc.tripped {
			t.Errorf("Throttle(%v) = %s tripped %v, want %s %v", tc.counts, got.Mode, tripped, tc.wantMode, tc.tripped)
		}
	}
}

// TestEveryActionDecides: every action of the catalogue has a decision (a rule may name any
// of them, and the synth accepts it).
func TestEveryActionDecides(t *testing.T) {
	r := rec(t, `{"eventName":"Nothing","eventSource":"x.amazonaws.com"}`)
	for _, name := range action.Names() {
		if _, why := target(name, r, nil); strings.Contains(why, "not implemented") {
			t.Errorf("action %s: %s", name, why)
		}
	}
}

// TestFixturesDecide: every alerting fixture case (detect/testdata/rules) of a rule with a
// response gets a decision with a reason; none says its action is not implemented, and every
// such rule's fixtures include a case it acts on.
func TestFixturesDecide(t *testing.T) {
	engine, err := detect.Load()
	if err != nil {
		t.Fatal(err)
	}
	decider := NewDecider(engine, &Policy{})
	for _, r := range engine.Rules() {
		if r.Response == nil {
			continue
		}
		t.Run(r.ID, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("..", "..", "detect", "testdata", "rules", r.ID+".json"))
			if err != nil {
				t.Fatal(err)
			}
			var f struct {
				Cases []struct {
					Name    string            `json:"name"`
					Alert   bool              `json:"alert"`
					Records []json.RawMessage `json:"records"`
				} `json:"cases"`
			}
			if err := json.Unmarshal(b, &f); err != nil {
				t.Fatal(err)
			}
			acts := 0
			for _, c := range f.Cases {
				if !c.Alert {
					continue
				}
				det := detect.NewDetector(engine, detect.MemoryDedupe{})
				for _, raw := range c.Records {
					rec, err := detect.ParseRecord(raw)
					if err != nil {
						t.Fatal(err)
					}
					alerts, err := det.Process(rec)
					if err != nil {
						t.Fatal(err)
					}
					for _, a := range alerts {
						if a.Rule != r.ID {
							continue
						}
						d, err := decider.Decide(a)
						if err != nil {
							t.Fatal(err)
						}
						if d.Reason == "" || strings.Contains(d.Reason, "not implemented") {
							t.Errorf("%s: decision %+v", c.Name, d)
						}
						if d.Act {
							acts++
						}
						// A record as CloudTrail writes it names what to act on; only the calls no
						// action can undo name nothing. A fixture skipped otherwise lacks what a
						// real record carries (responseElements.securityGroupRuleSet, accessKey).
						if d.Skip == SkipNoTarget && !slices.Contains([]string{"DeleteTrail", "DeleteEventDataStore", "UpdateEventDataStore"}, d.EventName) {
							t.Errorf("%s: %s names nothing to act on (%s): make the fixture look like a real record", c.Name, d.EventName, d.Reason)
						}
						t.Logf("%s: act %v: %s", c.Name, d.Act, d.Reason)
					}
				}
			}
			if acts == 0 {
				t.Errorf("no fixture case of %s is acted on", r.ID)
			}
		})
	}
}
