package lambdatest_test

import (
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/trailguard/trailguard/config"
	"github.com/trailguard/trailguard/deployed"
	"github.com/trailguard/trailguard/detect"
	"github.com/trailguard/trailguard/internal/lambdatest/awsfake"
	"github.com/trailguard/trailguard/internal/respond"
)

// managementAccount is the example org's management account, where the organization trail is.
const managementAccount = "111111111111"

// deployedJSON is the example org's deployed.json: test/testdata/deployed.json, which
// test.TestDeployedDefinitionsAreTheTemplates keeps byte for byte equal to the file synth
// bundles with the responder.
func deployedJSON(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile("../../test/testdata/deployed.json")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func deployedDefs(t testing.TB) *deployed.Definitions {
	t.Helper()
	d, err := deployed.Parse(deployedJSON(t))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// inAccount moves a record of the member account to account.
func inAccount(record, account string) string {
	return strings.ReplaceAll(record, memberAccount, account)
}

// updateTrailRecord re-scopes trail name to its home region
// (https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_UpdateTrail.html).
func updateTrailRecord(id, name string) string {
	return ctRecord(byAlice, "cloudtrail.amazonaws.com", "UpdateTrail", "eu-west-1", id,
		fmt.Sprintf(`{"name":%q,"isMultiRegionTrail":false}`, name),
		fmt.Sprintf(`{"name":%q,"s3BucketName":"trailguard-local-333333333333-eu-west-1","includeGlobalServiceEvents":true,"isMultiRegionTrail":false,"trailARN":"arn:aws:cloudtrail:eu-west-1:333333333333:trail/%s","logFileValidationEnabled":true,"isOrganizationTrail":false}`, name, name))
}

// narrowSelectorsRecord narrows trail name's advanced selectors to write management events.
func narrowSelectorsRecord(id, name string) string {
	return ctRecord(byAlice, "cloudtrail.amazonaws.com", "PutEventSelectors", "eu-west-1", id,
		fmt.Sprintf(`{"trailName":%q,"advancedEventSelectors":[{"name":"Management events","fieldSelectors":[{"field":"eventCategory","equals":["Management"]},{"field":"readOnly","equals":["false"]}]}]}`, name),
		fmt.Sprintf(`{"trailARN":"arn:aws:cloudtrail:eu-west-1:333333333333:trail/%s","advancedEventSelectors":[{"name":"Management events","fieldSelectors":[{"field":"eventCategory","equals":["Management"]},{"field":"readOnly","equals":["false"]}]}]}`, name))
}

// ruleRecord is a DisableRule or DeleteRule of a rule of the default bus in region.
func ruleRecord(event, region, id, name string) string {
	return ctRecord(byAlice, "events.amazonaws.com", event, region, id, fmt.Sprintf(`{"name":%q}`, name), "null")
}

// restoreFixture seeds the fake with trailguard's trails and forwarder rules as deployed
// (deployed.json, filled in for each account and region) and says what they are.
type restoreFixture struct {
	d *deployed.Definitions
	// The two trails' definitions.
	org, local deployed.Trail
}

func newRestoreFixture(t testing.TB) restoreFixture {
	d := deployedDefs(t)
	f := restoreFixture{d: d}
	for _, tr := range d.Trails {
		if tr.IsOrganizationTrail {
			f.org = tr
		} else {
			f.local = tr
		}
	}
	if f.org.Name == "" || f.local.Name == "" {
		t.Fatalf("deployed.json has no organization trail or no local trail: %+v", d.Trails)
	}
	return f
}

// localKeyARN is the key the local trail and its bucket encrypt with.
const localKeyARN = "arn:aws:kms:eu-west-1:333333333333:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"

// localTrail is the local trail of the member account as deployed.
func (f restoreFixture) localTrail() awsfake.Trail {
	return awsfake.Trail{IsLogging: true, IsMultiRegionTrail: true, IncludeGlobalServiceEvents: true, LogFileValidationEnabled: true,
		S3BucketName: deployed.Fill(f.local.S3BucketName, "aws", memberAccount, f.local.Region), KmsKeyId: localKeyARN}
}

// orgTrail is the organization trail as deployed: its key is the one the alias in the
// Security account names, its selectors the deployed ones in the API's JSON.
func (f restoreFixture) orgTrail(t testing.TB) awsfake.Trail {
	parts := strings.SplitN(f.org.KmsKeyId, ":", 6)
	key := strings.Join(parts[:5], ":") + ":key/9a8b7c6d-5e4f-3a2b-1c0d-e9f8a7b6c5d4"
	return awsfake.Trail{IsLogging: true, IsMultiRegionTrail: true, IsOrganizationTrail: true, IncludeGlobalServiceEvents: true, LogFileValidationEnabled: true,
		S3BucketName: f.org.S3BucketName, KmsKeyId: key, AdvancedEventSelectors: f.orgSelectors(t), InsightTypes: f.org.InsightTypes}
}

// orgSelectors are the organization trail's deployed selectors as CloudTrail writes them.
func (f restoreFixture) orgSelectors(t testing.TB) json.RawMessage {
	type field struct {
		Field                                                               string
		Equals, StartsWith, EndsWith, NotEquals, NotStartsWith, NotEndsWith []string `json:",omitempty"`
	}
	type selector struct {
		Name           string
		FieldSelectors []field
	}
	fill := func(l []string) []string {
		for i, s := range l {
			l[i] = deployed.Fill(s, "aws", managementAccount, f.org.Region)
		}
		return l
	}
	var out []selector
	for _, s := range f.org.AdvancedEventSelectors {
		sel := selector{Name: s.Name}
		for _, fs := range s.FieldSelectors {
			sel.FieldSelectors = append(sel.FieldSelectors, field{fs.Field, fill(fs.Equals), fill(fs.StartsWith), fill(fs.EndsWith), fill(fs.NotEquals), fill(fs.NotStartsWith), fill(fs.NotEndsWith)})
		}
		out = append(out, sel)
	}
	b, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// queueName is the name CloudFormation gave a forwarder's dead-letter queue.
func queueName(alarm string) string { return "trailguard-fwd-" + alarm + "-1A2B3C4D5E6F" }

// rule is forwarder rule name as deployed in the member account and region, and sets the
// alarms naming its targets' dead-letter queues.
func (f restoreFixture) rule(t testing.TB, org *awsfake.Org, name, region string) *awsfake.Rule {
	def, ok := f.d.Rule(name, region)
	if !ok {
		t.Fatalf("no rule %s in %s in deployed.json", name, region)
	}
	fill := func(s string) string { return deployed.Fill(s, "aws", memberAccount, region) }
	r := &awsfake.Rule{State: def.State, EventPattern: fill(def.EventPattern), Description: def.Description}
	for _, dt := range def.Targets {
		org.SetQueueAlarm(memberAccount, region, dt.DeadLetterAlarm, queueName(dt.DeadLetterAlarm))
		tg := awsfake.EventTarget{Id: dt.ID, Arn: fill(dt.Arn), RoleArn: fill(dt.RoleArn),
			DeadLetterConfig: &awsfake.DeadLetterConfig{Arn: fmt.Sprintf("arn:aws:sqs:%s:%s:%s", region, memberAccount, queueName(dt.DeadLetterAlarm))},
			RetryPolicy:      &awsfake.RetryPolicy{MaximumRetryAttempts: dt.MaximumRetryAttempts, MaximumEventAgeInSeconds: dt.MaximumEventAgeInSeconds}}
		if dt.KinesisPartitionKeyPath != "" {
			tg.KinesisParameters = &awsfake.KinesisParameters{PartitionKeyPath: dt.KinesisPartitionKeyPath}
		}
		r.Targets = append(r.Targets, tg)
	}
	return r
}

// seedRestore puts every trail and rule as deployed, and the resources the restore reads.
func (f restoreFixture) seedRestore(t testing.TB, org *awsfake.Org) {
	org.SetTrail(memberAccount, f.local.Region, f.local.Name, f.localTrail())
	org.SetBucket(f.localTrail().S3BucketName, awsfake.Bucket{Owner: memberAccount, KMSKeyID: localKeyARN})
	org.SetTrail(managementAccount, f.org.Region, f.org.Name, f.orgTrail(t))
	org.SetKeyAlias(f.org.KmsKeyId, f.orgTrail(t).KmsKeyId)
	const stream = "trailguard-forward-to-stream"
	org.SetRule(memberAccount, "eu-west-1", stream, f.rule(t, org, stream, "eu-west-1"))
}

var enforceRestores = config.Response{Actions: map[string]config.ActionSettings{
	"cloudtrail-restore-trail": {Mode: "enforce"}, "events-restore-forwarder-rule": {Mode: "enforce"},
}, MaxActionsPerResource: 3, MaxActionsPerAccount: 20}

// sameJSON reports whether two JSON texts are the same value.
func sameJSON(t *testing.T, a, b string) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal([]byte(a), &x); err != nil {
		t.Fatalf("%q: %v", a, err)
	}
	if err := json.Unmarshal([]byte(b), &y); err != nil {
		t.Fatalf("%q: %v", b, err)
	}
	return reflect.DeepEqual(x, y)
}

// TestResponderRestores: the two restoring actions end to end (the responder binary, the local
// runtime, the fakes through the real SDK clients, deployed.json as synth bundles it): a
// re-scoped trail, narrowed selectors, a disabled or deleted forwarder rule are put back to
// their deployed definitions with exactly the calls the drift needs; what is already right,
// what runs in dry-run, and a trail or rule trailguard did not deploy get no call.
func TestResponderRestores(t *testing.T) {
	engine, err := detect.Load()
	if err != nil {
		t.Fatal(err)
	}
	f := newRestoreFixture(t)
	const stream = "trailguard-forward-to-stream"
	// exactlyOne checks that enforce made the one change want.
	exactlyOne := func(want string) func(*testing.T, []awsfake.Call) {
		return func(t *testing.T, cs []awsfake.Call) {
			if len(cs) != 1 || change(cs[0]) != want {
				t.Errorf("changes %v, want exactly %s", changesOf(cs), want)
			}
		}
	}
	// localTrailAsDeployed checks that the local trail is back as deployed.
	localTrailAsDeployed := func(t *testing.T, org *awsfake.Org) {
		if got := org.Trail(memberAccount, f.local.Region, f.local.Name); !reflect.DeepEqual(got, f.localTrail()) {
			t.Errorf("trail %+v, want as deployed %+v", got, f.localTrail())
		}
	}
	// rescopeLocalTrail makes the local trail single-region; localTrailRestored checks the one
	// call that puts it back: UpdateTrail with the deployed settings and the bucket's key.
	rescopeLocalTrail := func(t *testing.T, org *awsfake.Org) {
		tr := f.localTrail()
		tr.IsMultiRegionTrail = false
		org.SetTrail(memberAccount, f.local.Region, f.local.Name, tr)
	}
	localTrailRestored := exactlyOne(fmt.Sprintf("cloudtrail:UpdateTrail EnableLogFileValidation=true IncludeGlobalServiceEvents=true IsMultiRegionTrail=true IsOrganizationTrail=false KmsKeyId=%s Name=%s S3BucketName=%s",
		localKeyARN, f.local.Name, f.localTrail().S3BucketName))
	tests := []struct {
		name   string
		record string
		// wrong puts the resource in its wrong state (after seedRestore).
		wrong func(t *testing.T, org *awsfake.Org)
		// changes checks the changing calls made in enforce; nil: none, and no call at all
		// (noCall) or only reads.
		changes func(t *testing.T, changes []awsfake.Call)
		noCall  bool
		result  string
		// skip is the audit alert's kind of skip, when the decision was one.
		skip string
		// after checks the state left.
		after func(t *testing.T, org *awsfake.Org)
	}{
		{name: "local trail re-scoped to one region: UpdateTrail with the deployed settings and the bucket's key",
			record:  updateTrailRecord("e-rescoped", f.local.Name),
			wrong:   rescopeLocalTrail,
			changes: localTrailRestored,
			result:  "acted",
			after:   localTrailAsDeployed},
		{name: "local trail sent to another bucket under a prefix: UpdateTrail back, the prefix cleared",
			record: updateTrailRecord("e-bucket-moved", f.local.Name),
			wrong: func(t *testing.T, org *awsfake.Org) {
				tr := f.localTrail()
				tr.S3BucketName, tr.S3KeyPrefix = "exfil-logs-444455556666", "x"
				org.SetTrail(memberAccount, f.local.Region, f.local.Name, tr)
			},
			changes: exactlyOne(fmt.Sprintf("cloudtrail:UpdateTrail EnableLogFileValidation=true IncludeGlobalServiceEvents=true IsMultiRegionTrail=true IsOrganizationTrail=false KmsKeyId=%s Name=%s S3BucketName=%s S3KeyPrefix=",
				localKeyARN, f.local.Name, f.localTrail().S3BucketName)),
			result: "acted",
			after:  localTrailAsDeployed},
		{name: "organization trail's selectors narrowed: PutEventSelectors with the deployed selectors",
			record: inAccount(narrowSelectorsRecord("e-narrowed", f.org.Name), managementAccount),
			wrong: func(t *testing.T, org *awsfake.Org) {
				tr := f.orgTrail(t)
				tr.AdvancedEventSelectors = json.RawMessage(`[{"Name":"Management events","FieldSelectors":[{"Field":"eventCategory","Equals":["Management"]},{"Field":"readOnly","Equals":["false"]}]}]`)
				org.SetTrail(managementAccount, f.org.Region, f.org.Name, tr)
			},
			changes: func(t *testing.T, cs []awsfake.Call) {
				if len(cs) != 1 || cs[0].Op != "cloudtrail:PutEventSelectors" || cs[0].Params["TrailName"] != f.org.Name || cs[0].Params["EventSelectors"] != "" {
					t.Fatalf("changes %v, want exactly PutEventSelectors TrailName=%s with advanced selectors", changesOf(cs), f.org.Name)
				}
				if got := cs[0].Params["AdvancedEventSelectors"]; !sameJSON(t, got, string(f.orgSelectors(t))) {
					t.Errorf("AdvancedEventSelectors %s, want the deployed %s", got, f.orgSelectors(t))
				}
			},
			result: "acted",
			after: func(t *testing.T, org *awsfake.Org) {
				if got := org.Trail(managementAccount, f.org.Region, f.org.Name); !sameJSON(t, string(got.AdvancedEventSelectors), string(f.orgSelectors(t))) {
					t.Errorf("selectors %s, want the deployed %s", got.AdvancedEventSelectors, f.orgSelectors(t))
				}
			}},
		{name: "stream forwarder rule disabled: EnableRule",
			record: ruleRecord("DisableRule", "eu-west-1", "e-disabled", stream),
			wrong: func(t *testing.T, org *awsfake.Org) {
				r := f.rule(t, org, stream, "eu-west-1")
				r.State = "DISABLED"
				org.SetRule(memberAccount, "eu-west-1", stream, r)
			},
			changes: exactlyOne("events:EnableRule Name=" + stream),
			result:  "acted",
			after: func(t *testing.T, org *awsfake.Org) {
				if got, want := org.Rule(memberAccount, "eu-west-1", stream), f.rule(t, org, stream, "eu-west-1"); !reflect.DeepEqual(got, want) {
					t.Errorf("rule %+v, want as deployed %+v", got, want)
				}
			}},
		{name: "stream forwarder rule deleted: PutRule and PutTargets with the role and the dead-letter queue its alarm names",
			record: ruleRecord("DeleteRule", "eu-west-1", "e-deleted", stream),
			wrong: func(t *testing.T, org *awsfake.Org) {
				org.SetRule(memberAccount, "eu-west-1", stream, nil)
			},
			changes: func(t *testing.T, cs []awsfake.Call) {
				def, _ := f.d.Rule(stream, "eu-west-1")
				if len(cs) != 2 || cs[0].Op != "events:PutRule" || cs[1].Op != "events:PutTargets" {
					t.Fatalf("changes %v, want PutRule then PutTargets", changesOf(cs))
				}
				p := cs[0].Params
				if p["Name"] != stream || p["State"] != def.State || p["Description"] != def.Description ||
					!sameJSON(t, p["EventPattern"], deployed.Fill(def.EventPattern, "aws", memberAccount, "eu-west-1")) {
					t.Errorf("PutRule %v, want the deployed name, state, description and pattern", p)
				}
				var got []awsfake.EventTarget
				if err := json.Unmarshal([]byte(cs[1].Params["Targets"]), &got); err != nil {
					t.Fatal(err)
				}
				if want := f.rule(t, awsfake.New(t), stream, "eu-west-1").Targets; cs[1].Params["Rule"] != stream || !reflect.DeepEqual(got, want) {
					t.Errorf("PutTargets Rule=%s %+v, want %s %+v", cs[1].Params["Rule"], got, stream, want)
				}
			},
			result: "acted",
			after: func(t *testing.T, org *awsfake.Org) {
				if got, want := org.Rule(memberAccount, "eu-west-1", stream), f.rule(t, org, stream, "eu-west-1"); !reflect.DeepEqual(got, want) {
					t.Errorf("rule %+v, want as deployed %+v", got, want)
				}
			}},
		{name: "rule already as deployed (the event came late): read, no change",
			record: ruleRecord("DisableRule", "eu-west-1", "e-late", stream),
			wrong:  func(*testing.T, *awsfake.Org) {},
			result: "already-right"},
		{name: "trail already as deployed: read, no change",
			record: updateTrailRecord("e-trail-right", f.local.Name),
			wrong:  func(*testing.T, *awsfake.Org) {},
			result: "already-right"},
		{name: "a trail trailguard did not deploy: no call",
			record: updateTrailRecord("e-app-trail", "app-audit"),
			wrong: func(t *testing.T, org *awsfake.Org) {
				org.SetTrail(memberAccount, "eu-west-1", "app-audit", awsfake.Trail{IsLogging: true, S3BucketName: "app-audit-logs"})
			},
			noCall: true, result: "skipped"},
		{name: "a trailguard-named rule it did not deploy: no call",
			record: ruleRecord("DisableRule", "eu-west-1", "e-app-rule", "trailguard-nightly-report"),
			wrong: func(t *testing.T, org *awsfake.Org) {
				org.SetRule(memberAccount, "eu-west-1", "trailguard-nightly-report", &awsfake.Rule{State: "DISABLED", EventPattern: `{"source":["aws.events"]}`})
			},
			noCall: true, result: "skipped"},
		// A trailguard deployment's own change is the definition (an older or rolled-back
		// member deploy): never reversed, not even read; an audit alert says so.
		{name: "the local trail re-scoped by a trailguard deployment: no call, an audit alert",
			record: asDeployment(updateTrailRecord("e-deploy-trail", f.local.Name)),
			wrong:  rescopeLocalTrail,
			noCall: true, result: "skipped", skip: respond.SkipDeployment},
		{name: "the stream rule re-patterned by a trailguard deployment: no call, an audit alert",
			record: asDeployment(ctRecord(byAlice, "events.amazonaws.com", "PutRule", "eu-west-1", "e-deploy-rule", `{"name":"trailguard-forward-to-stream","eventPattern":"{\"source\":[\"aws.s3\"]}","state":"ENABLED"}`, `{"ruleArn":"arn:aws:events:eu-west-1:333333333333:rule/trailguard-forward-to-stream"}`)),
			wrong: func(t *testing.T, org *awsfake.Org) {
				r := f.rule(t, org, stream, "eu-west-1")
				r.EventPattern = `{"source":["aws.s3"]}`
				org.SetRule(memberAccount, "eu-west-1", stream, r)
			},
			noCall: true, result: "skipped", skip: respond.SkipDeployment},
		{name: "the same re-scope by CloudFormation acting for a non-deployer: restored",
			record:  asCloudFormationFor(updateTrailRecord("e-cfn-dev", f.local.Name), "dev", "mallory"),
			wrong:   rescopeLocalTrail,
			changes: localTrailRestored,
			result:  "acted",
			after:   localTrailAsDeployed},
		{name: "the stream rule's name in a region it is not deployed in: no call",
			record: ruleRecord("DisableRule", "us-east-1", "e-other-region", stream),
			wrong: func(t *testing.T, org *awsfake.Org) {
				org.SetRule(memberAccount, "us-east-1", stream, &awsfake.Rule{State: "DISABLED", EventPattern: `{"source":["aws.s3"]}`})
			},
			noCall: true, result: "skipped"},
	}
	for _, tt := range tests {
		for _, mode := range []string{"enforce", "dry-run"} {
			t.Run(mode+"/"+tt.name, func(t *testing.T) {
				org := awsfake.New(t)
				f.seedRestore(t, org)
				tt.wrong(t, org)
				resp := enforceRestores
				if mode == "dry-run" {
					resp.Actions = nil
				}
				fn, tg := startResponder(t, org, resp)
				invoke(t, fn, responderMessage(t, engine, tt.record))
				calls := org.Calls()
				changes := awsfake.Changes(calls)
				switch {
				case tt.noCall && len(calls) != 0:
					t.Errorf("calls %s, want none", awsfake.Ops(calls))
				case tt.changes == nil || mode == "dry-run":
					if len(changes) != 0 {
						t.Errorf("changes %v, want none", changesOf(changes))
					}
				default:
					tt.changes(t, changes)
				}
				for _, c := range calls {
					if c.Op != "sts:AssumeRole" && c.Session.RoleARN != strings.Replace(responderRole, memberAccount, c.Session.Account(), 1) {
						t.Errorf("%s made by %+v, want the responder role", c.Op, c.Session)
					}
				}
				result := tt.result
				if mode == "dry-run" && result == "acted" {
					result = "would-act"
				}
				as := audits(t, tg)
				if len(as) != 1 || as[0].Response.Result != result {
					t.Fatalf("audit alerts %+v, want one: %s\n%s", as, result, fn.Log())
				}
				if got := as[0].Response.Decision.Skip; got != tt.skip {
					t.Errorf("audit alert's skip %q, want %q (%s)", got, tt.skip, as[0].Response.Decision.Reason)
				}
				if mode == "dry-run" || tt.after == nil {
					return
				}
				tt.after(t, org)
				if as[0].Response.Before == nil || as[0].Response.After == nil {
					t.Errorf("audit alert without the state before and after: %+v", as[0].Response)
				}
				// Run again: the second finds nothing to do.
				invoke(t, fn, responderMessage(t, engine, tt.record))
				if got := awsfake.Changes(org.Calls()); len(got) != 0 {
					t.Errorf("a second run changed %v, want nothing", changesOf(got))
				}
			})
		}
	}
}

func changesOf(cs []awsfake.Call) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = change(c)
	}
	return out
}
