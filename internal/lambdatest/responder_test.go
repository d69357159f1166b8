package lambdatest_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/trailguard/trailguard/config"
	"github.com/trailguard/trailguard/deployed"
	"github.com/trailguard/trailguard/detect"
	"github.com/trailguard/trailguard/internal/alerting"
	"github.com/trailguard/trailguard/internal/lambdatest"
	"github.com/trailguard/trailguard/internal/lambdatest/awsfake"
	// The responder binary is built by go build; importing its packages makes go test's
	// cache see their changes.
	"github.com/trailguard/trailguard/internal/respond"
	_ "github.com/trailguard/trailguard/internal/respond/execute"
)

const (
	memberAccount = "333333333333"
	responderRole = "arn:aws:iam::333333333333:role/trailguard-responder"
)

// Who made a call, as CloudTrail writes userIdentity.
const (
	byAlice = `{"type":"IAMUser","principalId":"AIDAALICEEXAMPLE","userName":"alice","arn":"arn:aws:iam::333333333333:user/alice","accountId":"333333333333","accessKeyId":"AKIAALICEEXAMPLE"}`
	// byResponder is the responder's own session in the member account.
	byResponder = `{"type":"AssumedRole","principalId":"AROARESPONDER:s3-bucket-made-public@e-1","arn":"arn:aws:sts::333333333333:assumed-role/trailguard-responder/s3-bucket-made-public@e-1","accountId":"333333333333","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROARESPONDER","arn":"arn:aws:iam::333333333333:role/trailguard-responder","accountId":"333333333333","userName":"trailguard-responder"}}}`
)

// asDeployment makes a record of alice's a trailguard deployment's: CloudFormation acting
// with the member account's CDK bootstrap execution role (actor.deployment), as CloudTrail
// records a stack's calls (invokedBy, sourceIPAddress and userAgent are the service).
func asDeployment(record string) string {
	return asCloudFormationFor(record, "cdk-hnb659fds-cfn-exec-role-333333333333-eu-west-1", "AWSCloudFormation")
}

// asCloudFormationFor makes a record of alice's a call CloudFormation made for a session of
// role.
func asCloudFormationFor(record, role, session string) string {
	who := fmt.Sprintf(`{"type":"AssumedRole","principalId":"AROAEXAMPLECFN:%[2]s","arn":"arn:aws:sts::333333333333:assumed-role/%[1]s/%[2]s","accountId":"333333333333","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAEXAMPLECFN","arn":"arn:aws:iam::333333333333:role/%[1]s","accountId":"333333333333","userName":"%[1]s"}},"invokedBy":"cloudformation.amazonaws.com"}`, role, session)
	r := strings.Replace(record, byAlice, who, 1)
	return strings.NewReplacer(`"sourceIPAddress":"203.0.113.9"`, `"sourceIPAddress":"cloudformation.amazonaws.com"`, `"userAgent":"aws-cli/2.22.10"`, `"userAgent":"cloudformation.amazonaws.com"`).Replace(r)
}

// ctRecord is a CloudTrail record of a call in the member account.
func ctRecord(who, source, name, region, id, request, response string) string {
	return fmt.Sprintf(`{"eventVersion":"1.10","userIdentity":%s,"eventTime":"2026-12-06T10:00:00Z","eventSource":%q,"eventName":%q,"awsRegion":%q,"sourceIPAddress":"203.0.113.9","userAgent":"aws-cli/2.22.10","requestParameters":%s,"responseElements":%s,"requestID":"req-%s","eventID":%q,"readOnly":false,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"333333333333","eventCategory":"Management"}`,
		who, source, name, region, request, response, id, id)
}

// publicBucketRecord is a PutBucketPolicy that makes bucket public, by alice or, with
// role set, by a session of that role.
func publicBucketRecord(bucket, id, role string) string {
	who := byAlice
	if role != "" {
		who = strings.ReplaceAll(byResponder, "trailguard-responder", role)
	}
	return ctRecord(who, "s3.amazonaws.com", "PutBucketPolicy", "eu-west-1", id,
		fmt.Sprintf(`{"bucketName":%q,"Host":"%s.s3.eu-west-1.amazonaws.com","policy":"","bucketPolicy":{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::%s/*"}]}}`, bucket, bucket, bucket), "null")
}

// accountPublicRecord weakens the account's Block Public Access (the S3 Control call,
// recorded by CloudTrail under s3.amazonaws.com).
func accountPublicRecord(id string) string {
	return ctRecord(byAlice, "s3.amazonaws.com", "PutAccountPublicAccessBlock", "eu-west-1", id,
		`{"PublicAccessBlockConfiguration":{"xmlns":"http://s3.amazonaws.com/doc/2006-03-01/","BlockPublicAcls":true,"IgnorePublicAcls":true,"BlockPublicPolicy":false,"RestrictPublicBuckets":false},"Host":"333333333333.s3-control.eu-west-1.amazonaws.com"}`, "null")
}

// openSSHRecord authorizes SSH and HTTPS from the internet on group sg-0a1b2c3d4e5f60718:
// the response lists each rule added with its id
// (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_AuthorizeSecurityGroupIngress.html).
func openSSHRecord(id string) string {
	return ctRecord(byAlice, "ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", "eu-west-1", id,
		`{"groupId":"sg-0a1b2c3d4e5f60718","ipPermissions":{"items":[{"ipProtocol":"tcp","fromPort":22,"toPort":22,"groups":{},"ipRanges":{"items":[{"cidrIp":"0.0.0.0/0"}]},"ipv6Ranges":{},"prefixListIds":{}},{"ipProtocol":"tcp","fromPort":443,"toPort":443,"groups":{},"ipRanges":{"items":[{"cidrIp":"0.0.0.0/0"}]},"ipv6Ranges":{},"prefixListIds":{}}]}}`,
		`{"requestId":"9a0b1c2d-0000-4000-8000-000000000001","_return":true,"securityGroupRuleSet":{"items":[{"groupOwnerId":"333333333333","groupId":"sg-0a1b2c3d4e5f60718","securityGroupRuleId":"sgr-0ssh0000000000001","isEgress":false,"ipProtocol":"tcp","fromPort":22,"toPort":22,"cidrIpv4":"0.0.0.0/0"},{"groupOwnerId":"333333333333","groupId":"sg-0a1b2c3d4e5f60718","securityGroupRuleId":"sgr-0https00000000002","isEgress":false,"ipProtocol":"tcp","fromPort":443,"toPort":443,"cidrIpv4":"0.0.0.0/0"}]}}`)
}

// openSSHRecordWithoutIDs is openSSHRecord as a record without the rule ids (one written
// before EC2 gave rules ids, or with its responseElements left out).
func openSSHRecordWithoutIDs(id string) string {
	r := openSSHRecord(id)
	i := strings.Index(r, `,"securityGroupRuleSet"`)
	j := strings.Index(r, `,"requestID"`)
	return r[:i] + "}" + r[j:]
}

const trailARN = "arn:aws:cloudtrail:eu-west-1:333333333333:trail/trailguard-local"

func stopLoggingRecord(id string) string {
	return ctRecord(byAlice, "cloudtrail.amazonaws.com", "StopLogging", "eu-west-1", id, fmt.Sprintf(`{"name":%q}`, trailARN), "null")
}

// accessKeyRecord: alice creates an access key for bob (IAM is global: us-east-1).
func accessKeyRecord(id string) string {
	return ctRecord(byAlice, "iam.amazonaws.com", "CreateAccessKey", "us-east-1", id, `{"userName":"bob"}`,
		`{"accessKey":{"userName":"bob","accessKeyId":"AKIABOBNEWKEY0000001","status":"Active","createDate":"Dec 6, 2026, 10:00:00 AM"}}`)
}

// responderMessage is the SQS event the detection functions' responder target sends for
// record's alert of a rule that carries a response.
func responderMessage(t testing.TB, engine *detect.Engine, record string) []byte {
	t.Helper()
	rec, err := detect.ParseRecord([]byte(record))
	if err != nil {
		t.Fatal(err)
	}
	alerts, err := detect.NewDetector(engine, detect.MemoryDedupe{}).Process(rec)
	if err != nil {
		t.Fatal(err)
	}
	decider := respond.NewDecider(engine, &respond.Policy{})
	for _, a := range alerts {
		if decider.HasResponse(a) {
			body, err := alerting.Body(a)
			if err != nil {
				t.Fatal(err)
			}
			ev, _ := json.Marshal(events.SQSEvent{Records: []events.SQSMessage{{MessageId: "m-" + a.EventID, Body: string(body)}}})
			return ev
		}
	}
	t.Fatalf("no alert of a rule with a response for %s", record)
	return nil
}

type auditBody struct {
	Rule     string `json:"rule"`
	Title    string `json:"title"`
	Severity string `json:"severity"`
	EventID  string `json:"eventID"`
	Response struct {
		Decision       respond.Decision `json:"decision"`
		Result         string           `json:"result"`
		Session        string           `json:"session"`
		Stack          string           `json:"stack"`
		CircuitBreaker bool             `json:"circuitBreaker"`
		Before         any              `json:"before"`
		After          any              `json:"after"`
	} `json:"response"`
}

func audits(t *testing.T, tg *lambdatest.Targets) []auditBody {
	t.Helper()
	var out []auditBody
	for _, d := range tg.Delivered("topic") {
		var a auditBody
		if err := json.Unmarshal([]byte(d.Body), &a); err != nil {
			t.Fatal(err)
		}
		out = append(out, a)
	}
	return out
}

// startResponder runs the responder binary with resp bundled beside it as the construct
// bundles it (respond.ConfigFile in the task root), against org's accounts and a fake alert
// topic.
func startResponder(t testing.TB, org *awsfake.Org, resp config.Response) (*lambdatest.Function, *lambdatest.Targets) {
	t.Helper()
	return startResponderWith(t, org, resp, nil)
}

// startResponderWith is startResponder with the organization context oc bundled as the
// construct bundles it (alerting.ContextFile); nil: none, the default deployers.
func startResponderWith(t testing.TB, org *awsfake.Org, resp config.Response, oc *detect.Context) (*lambdatest.Function, *lambdatest.Targets) {
	t.Helper()
	tg := lambdatest.NewTargets(t)
	endpoints := org.Endpoints()
	endpoints["SNS"] = tg.URL
	root := t.TempDir()
	cfg, err := respond.MarshalConfig(resp)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, respond.ConfigFile), cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	// The deployed definitions as synth bundles them for the example org.
	if err := os.WriteFile(filepath.Join(root, deployed.File), deployedJSON(t), 0o644); err != nil {
		t.Fatal(err)
	}
	if oc != nil {
		b, err := json.Marshal(oc)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, alerting.ContextFile), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	env := append(lambdatest.Environment(endpoints), org.Env()...)
	env = append(env, "LAMBDA_TASK_ROOT="+root, alerting.EnvTopicARN+"="+topicARN)
	f := &lambdatest.Function{Binary: binaryB(t, "responder"), Env: env, Timeout: 10 * time.Second}
	f.Start(t)
	return f, tg
}

func invoke(t *testing.T, f *lambdatest.Function, ev []byte) {
	t.Helper()
	res := f.Invoke(ev)
	if !res.OK() || strings.Contains(string(res.Response), "batchItemFailures\":[{") {
		t.Fatalf("invocation: %+v %s\n%s", res, res.Response, f.Log())
	}
}

// change renders a changing call as the test expects it: the operation and its parameters,
// sorted (the query protocol's Action and Version left out).
func change(c awsfake.Call) string {
	var kv []string
	for k, v := range c.Params {
		if k != "Action" && k != "Version" {
			kv = append(kv, k+"="+v)
		}
	}
	slices.Sort(kv)
	return strings.TrimSpace(c.Op + " " + strings.Join(kv, " "))
}

// seed puts every resource the records name in its wrong state: public, open, stopped,
// active.
func seed(org *awsfake.Org) {
	org.SetBucket("reports", awsfake.Bucket{Owner: memberAccount})
	org.SetAccountBlockPublicAccess(memberAccount, &awsfake.BlockPublicAccess{BlockPublicAcls: true, IgnorePublicAcls: true})
	org.SetSecurityGroup(memberAccount, "eu-west-1", "sg-0a1b2c3d4e5f60718", awsfake.SecurityGroup{Rules: []awsfake.SecurityGroupRule{
		{ID: "sgr-0office000000000", Protocol: "tcp", FromPort: 22, ToPort: 22, CidrIPv4: "198.51.100.0/24"},
		{ID: "sgr-0ssh0000000000001", Protocol: "tcp", FromPort: 22, ToPort: 22, CidrIPv4: "0.0.0.0/0"},
		{ID: "sgr-0https00000000002", Protocol: "tcp", FromPort: 443, ToPort: 443, CidrIPv4: "0.0.0.0/0"},
		{ID: "sgr-0egress000000000", Egress: true, Protocol: "-1", FromPort: -1, ToPort: -1, CidrIPv4: "0.0.0.0/0"},
	}})
	org.SetTrail(memberAccount, "eu-west-1", "trailguard-local", awsfake.Trail{IsLogging: false})
	org.SetAccessKeys(memberAccount, "bob", awsfake.AccessKey{ID: "AKIABOBOLDKEY0000000", Status: "Active"}, awsfake.AccessKey{ID: "AKIABOBNEWKEY0000001", Status: "Active"})
}

var enforceAll = config.Response{Actions: map[string]config.ActionSettings{
	"s3-block-public-access": {Mode: "enforce"}, "ec2-revoke-open-ingress": {Mode: "enforce"},
	"cloudtrail-start-logging": {Mode: "enforce"}, "iam-deactivate-access-key": {Mode: "enforce"},
}, Exemptions: config.Exemptions{Buckets: []string{"www-*"}}, MaxActionsPerResource: 2, MaxActionsPerAccount: 20}

// TestResponderActions: each action, in enforce, through the member account's responder role,
// with the real SDK clients against the fakes: the one changing call it makes, with its
// parameters, the state it leaves, and its audit alert.
func TestResponderActions(t *testing.T) {
	engine, err := detect.Load()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		record string
		// session is the role session name: the alert's rule and the event ID.
		session string
		// change is the one changing call, with its parameters.
		change string
		// host is the host the change was sent to, when it matters.
		host  string
		after func(t *testing.T, org *awsfake.Org)
	}{
		{name: "public bucket: PutPublicAccessBlock on the bucket", record: publicBucketRecord("reports", "e-bucket", ""),
			session: "s3-bucket-made-public@e-bucket",
			change:  "s3:PutPublicAccessBlock Bucket=reports ExpectedBucketOwner=333333333333",
			// Virtual-hosted, as the SDK addresses a bucket by default.
			host: "reports." + awsfake.S3Host,
			after: func(t *testing.T, org *awsfake.Org) {
				if got := org.Bucket("reports").BlockPublicAccess; got == nil || *got != awsfake.AllOn {
					t.Errorf("bucket Block Public Access %+v, want all four on", got)
				}
			}},
		{name: "account Block Public Access weakened: PutPublicAccessBlock through S3 Control", record: accountPublicRecord("e-account"),
			session: "s3-bucket-made-public@e-account",
			change:  "s3control:PutPublicAccessBlock AccountId=333333333333",
			// The SDK addresses S3 Control at {AccountId}.{endpoint host}.
			host: "333333333333." + awsfake.S3ControlHost,
			after: func(t *testing.T, org *awsfake.Org) {
				if got := org.AccountBlockPublicAccess(memberAccount); got == nil || *got != awsfake.AllOn {
					t.Errorf("account Block Public Access %+v, want all four on", got)
				}
			}},
		{name: "security group opened on SSH: exactly that rule revoked", record: openSSHRecord("e-sg"),
			session: "ec2-security-group-open-to-world@e-sg",
			change:  "ec2:RevokeSecurityGroupIngress GroupId=sg-0a1b2c3d4e5f60718 SecurityGroupRuleId.1=sgr-0ssh0000000000001",
			after: func(t *testing.T, org *awsfake.Org) {
				var ids []string
				for _, r := range org.SecurityGroup(memberAccount, "eu-west-1", "sg-0a1b2c3d4e5f60718").Rules {
					ids = append(ids, r.ID)
				}
				if want := []string{"sgr-0office000000000", "sgr-0https00000000002", "sgr-0egress000000000"}; !slices.Equal(ids, want) {
					t.Errorf("rules left %v, want %v: the office SSH rule, HTTPS and egress untouched", ids, want)
				}
			}},
		{name: "security group opened, the record without rule ids: the rule found by its properties, revoked by id", record: openSSHRecordWithoutIDs("e-sg-noid"),
			session: "ec2-security-group-open-to-world@e-sg-noid",
			change:  "ec2:RevokeSecurityGroupIngress GroupId=sg-0a1b2c3d4e5f60718 SecurityGroupRuleId.1=sgr-0ssh0000000000001",
			after: func(t *testing.T, org *awsfake.Org) {
				var ids []string
				for _, r := range org.SecurityGroup(memberAccount, "eu-west-1", "sg-0a1b2c3d4e5f60718").Rules {
					ids = append(ids, r.ID)
				}
				if want := []string{"sgr-0office000000000", "sgr-0https00000000002", "sgr-0egress000000000"}; !slices.Equal(ids, want) {
					t.Errorf("rules left %v, want %v: the office SSH rule, HTTPS and egress untouched", ids, want)
				}
			}},
		{name: "trail stopped: StartLogging", record: stopLoggingRecord("e-trail"),
			session: "cloudtrail-logging-stopped@e-trail",
			change:  "cloudtrail:StartLogging Name=" + trailARN,
			after: func(t *testing.T, org *awsfake.Org) {
				if !org.Trail(memberAccount, "eu-west-1", "trailguard-local").IsLogging {
					t.Error("trail not logging")
				}
			}},
		{name: "access key created for another user: UpdateAccessKey Inactive", record: accessKeyRecord("e-key"),
			session: "iam-access-key-created-for-other-user@e-key",
			change:  "iam:UpdateAccessKey AccessKeyId=AKIABOBNEWKEY0000001 Status=Inactive UserName=bob",
			after: func(t *testing.T, org *awsfake.Org) {
				want := []awsfake.AccessKey{{ID: "AKIABOBOLDKEY0000000", Status: "Active"}, {ID: "AKIABOBNEWKEY0000001", Status: "Inactive"}}
				if got := org.AccessKeys(memberAccount, "bob"); !slices.Equal(got, want) {
					t.Errorf("bob's keys %+v, want %+v: the new one inactive (not deleted), the old one untouched", got, want)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			org := awsfake.New(t)
			seed(org)
			f, tg := startResponder(t, org, enforceAll)
			invoke(t, f, responderMessage(t, engine, tt.record))
			calls := org.Calls()
			changes := awsfake.Changes(calls)
			if len(changes) != 1 || change(changes[0]) != tt.change {
				var got []string
				for _, c := range changes {
					got = append(got, change(c))
				}
				t.Fatalf("changes %q, want exactly %q\nall calls: %s\n%s", got, tt.change, awsfake.Ops(calls), f.Log())
			}
			c := changes[0]
			if want := (awsfake.Session{RoleARN: responderRole, Name: tt.session}); c.Session != want {
				t.Errorf("made by %+v, want %+v", c.Session, want)
			}
			if tt.host != "" && c.Host != tt.host {
				t.Errorf("sent to host %s, want %s", c.Host, tt.host)
			}
			tt.after(t, org)
			as := audits(t, tg)
			if len(as) != 1 || as[0].Rule != "trailguard-response" || as[0].Response.Result != "acted" || as[0].Response.Before == nil || as[0].Response.After == nil {
				t.Fatalf("audit alerts %+v, want one: acted, with the before and after state", as)
			}
			if as[0].EventID != strings.TrimPrefix(tt.session[strings.Index(tt.session, "@"):], "@") || as[0].Response.Session != tt.session {
				t.Errorf("audit alert event %s session %s, want the triggering event and the session %s", as[0].EventID, as[0].Response.Session, tt.session)
			}
			// Run again: every action is idempotent, the second finds nothing to do.
			invoke(t, f, responderMessage(t, engine, tt.record))
			if got := awsfake.Changes(org.Calls()); len(got) != 0 {
				t.Errorf("a second run changed %v, want nothing", got)
			}
		})
	}
}

// TestResponderSafety: what the responder must not do.
func TestResponderSafety(t *testing.T) {
	engine, err := detect.Load()
	if err != nil {
		t.Fatal(err)
	}
	dryRun := enforceAll
	dryRun.Actions = nil

	t.Run("dry-run: every action read, none changed, each reported", func(t *testing.T) {
		org := awsfake.New(t)
		seed(org)
		f, tg := startResponder(t, org, dryRun)
		records := []string{publicBucketRecord("reports", "e-1", ""), accountPublicRecord("e-2"), openSSHRecord("e-3"), stopLoggingRecord("e-4"), accessKeyRecord("e-5")}
		for _, r := range records {
			invoke(t, f, responderMessage(t, engine, r))
		}
		calls := org.Calls()
		if got := awsfake.Changes(calls); len(got) != 0 {
			t.Errorf("dry-run changed %v", got)
		}
		as := audits(t, tg)
		if len(as) != len(records) {
			t.Fatalf("%d audit alerts, want %d", len(as), len(records))
		}
		for _, a := range as {
			if a.Response.Result != "would-act" || a.Response.Before == nil {
				t.Errorf("audit %s: result %q before %v, want would-act with the state read", a.EventID, a.Response.Result, a.Response.Before)
			}
		}
	})

	t.Run("record without rule ids, no rule with exactly its properties: nothing revoked", func(t *testing.T) {
		org := awsfake.New(t)
		// SSH from the office, SSH over UDP from anywhere, every TCP port from anywhere: none is
		// exactly the rule the record asked for (TCP 22 from anywhere).
		org.SetSecurityGroup(memberAccount, "eu-west-1", "sg-0a1b2c3d4e5f60718", awsfake.SecurityGroup{Rules: []awsfake.SecurityGroupRule{
			{ID: "sgr-0office000000000", Protocol: "tcp", FromPort: 22, ToPort: 22, CidrIPv4: "198.51.100.0/24"},
			{ID: "sgr-0udp000000000000", Protocol: "udp", FromPort: 22, ToPort: 22, CidrIPv4: "0.0.0.0/0"},
			{ID: "sgr-0wide00000000000", Protocol: "tcp", FromPort: 0, ToPort: 65535, CidrIPv4: "0.0.0.0/0"},
		}})
		f, tg := startResponder(t, org, enforceAll)
		invoke(t, f, responderMessage(t, engine, openSSHRecordWithoutIDs("e-noid-nomatch")))
		if got := awsfake.Changes(org.Calls()); len(got) != 0 {
			t.Errorf("changed %v, want nothing", got)
		}
		if as := audits(t, tg); len(as) != 1 || as[0].Response.Result != "already-right" {
			t.Errorf("audit alerts %+v, want one: already-right", as)
		}
	})

	t.Run("exempt bucket: no call, an audit alert says why", func(t *testing.T) {
		org := awsfake.New(t)
		org.SetBucket("www-site", awsfake.Bucket{Owner: memberAccount})
		f, tg := startResponder(t, org, enforceAll)
		invoke(t, f, responderMessage(t, engine, publicBucketRecord("www-site", "e-exempt", "")))
		if got := awsfake.Ops(org.Calls()); got != "" {
			t.Errorf("calls %q, want none", got)
		}
		as := audits(t, tg)
		if len(as) != 1 || as[0].Response.Result != "skipped" || !strings.Contains(as[0].Response.Decision.Reason, "exempt") || as[0].EventID != "e-exempt" {
			t.Errorf("audit alerts %+v, want one: skipped, saying the bucket is exempt", as)
		}
	})

	t.Run("already private: read, no change", func(t *testing.T) {
		org := awsfake.New(t)
		org.SetBucket("reports", awsfake.Bucket{Owner: memberAccount, BlockPublicAccess: &awsfake.AllOn})
		f, tg := startResponder(t, org, enforceAll)
		invoke(t, f, responderMessage(t, engine, publicBucketRecord("reports", "e-private", "")))
		calls := org.Calls()
		if got := awsfake.Changes(calls); len(got) != 0 {
			t.Errorf("changed %v on a private bucket", got)
		}
		if !strings.Contains(awsfake.Ops(calls), "s3:GetPublicAccessBlock") {
			t.Errorf("calls %q: the state was not read", awsfake.Ops(calls))
		}
		if as := audits(t, tg); len(as) != 1 || as[0].Response.Result != "already-right" {
			t.Errorf("audit alerts %+v, want one: already-right", as)
		}
	})

	t.Run("the responder's own event does not re-trigger", func(t *testing.T) {
		org := awsfake.New(t)
		seed(org)
		f, tg := startResponder(t, org, enforceAll)
		invoke(t, f, responderMessage(t, engine, publicBucketRecord("reports", "e-own", "trailguard-responder")))
		if got := awsfake.Ops(org.Calls()); got != "" {
			t.Errorf("calls %q, want none", got)
		}
		if as := audits(t, tg); len(as) != 0 {
			t.Errorf("audit alerts %+v, want none", as)
		}
	})

	t.Run("circuit breaker: a stack that keeps making the bucket public", func(t *testing.T) {
		org := awsfake.New(t)
		f, tg := startResponder(t, org, enforceAll) // maxActionsPerResource: 2
		for i := 1; i <= 3; i++ {
			// The stack made it public again.
			org.SetBucket("site-assets", awsfake.Bucket{Owner: memberAccount, Tags: map[string]string{"aws:cloudformation:stack-name": "web-frontend"}})
			invoke(t, f, responderMessage(t, engine, publicBucketRecord("site-assets", fmt.Sprintf("e-loop-%d", i), "")))
			put := len(awsfake.Changes(org.Calls())) > 0
			if put != (i <= 2) {
				t.Errorf("round %d: put %v, want %v", i, put, i <= 2)
			}
		}
		as := audits(t, tg)
		if len(as) != 3 {
			t.Fatalf("%d audit alerts, want 3", len(as))
		}
		last := as[2]
		if !last.Response.CircuitBreaker || last.Response.Result != "would-act" || last.Severity != "high" || !strings.Contains(last.Title, "CloudFormation stack web-frontend") {
			t.Errorf("third audit %+v, want the circuit breaker tripped, high, naming the stack", last)
		}
	})

	t.Run("rate limit per account: further actions in the account switch to dry-run, with an alert", func(t *testing.T) {
		org := awsfake.New(t)
		seed(org)
		limited := enforceAll
		limited.MaxActionsPerAccount = 2
		f, tg := startResponder(t, org, limited)
		for _, r := range []string{publicBucketRecord("reports", "e-a1", ""), stopLoggingRecord("e-a2"), accessKeyRecord("e-a3")} {
			invoke(t, f, responderMessage(t, engine, r))
		}
		var ops []string
		for _, c := range awsfake.Changes(org.Calls()) {
			ops = append(ops, c.Op)
		}
		if want := []string{"s3:PutPublicAccessBlock", "cloudtrail:StartLogging"}; !slices.Equal(ops, want) {
			t.Errorf("changes %v, want %v: the third action in the account held back", ops, want)
		}
		as := audits(t, tg)
		if len(as) != 3 || !as[2].Response.CircuitBreaker || as[2].Response.Result != "would-act" || !strings.Contains(as[2].Response.Decision.Reason, "maxActionsPerAccount") {
			t.Errorf("audit alerts %+v, want the third: circuit breaker, would-act, naming maxActionsPerAccount", as)
		}
	})
}

// BenchmarkResponderAction is the responder function's own time per action, for each action:
// one alert, from the invocation to its response, through the local Runtime API with the
// action in enforce (AssumeRole, the reads, the one change, the read after, the audit alert),
// against the local fakes through the real SDK clients. The resource is put back in its wrong
// state before each alert. Run by make bench.
func BenchmarkResponderAction(b *testing.B) {
	engine, err := detect.Load()
	if err != nil {
		b.Fatal(err)
	}
	rf := newRestoreFixture(b)
	for _, bc := range []struct {
		name   string
		record func(i int) string
		reset  func(org *awsfake.Org, i int)
	}{
		{"s3-bucket", func(i int) string { return publicBucketRecord(fmt.Sprintf("bench-%d", i), fmt.Sprintf("e-%d", i), "") },
			func(org *awsfake.Org, i int) {
				org.SetBucket(fmt.Sprintf("bench-%d", i), awsfake.Bucket{Owner: memberAccount})
			}},
		{"s3-account", func(i int) string { return accountPublicRecord(fmt.Sprintf("e-%d", i)) },
			func(org *awsfake.Org, i int) { org.SetAccountBlockPublicAccess(memberAccount, nil) }},
		{"ec2-security-group", func(i int) string { return openSSHRecord(fmt.Sprintf("e-%d", i)) }, func(org *awsfake.Org, i int) { seed(org) }},
		{"cloudtrail-trail", func(i int) string { return stopLoggingRecord(fmt.Sprintf("e-%d", i)) }, func(org *awsfake.Org, i int) { seed(org) }},
		{"iam-access-key", func(i int) string { return accessKeyRecord(fmt.Sprintf("e-%d", i)) }, func(org *awsfake.Org, i int) { seed(org) }},
		// The restoring actions: the local trail re-scoped to one region, the stream forwarder
		// rule deleted.
		{"cloudtrail-restore-trail", func(i int) string { return updateTrailRecord(fmt.Sprintf("e-%d", i), "trailguard-local") },
			func(org *awsfake.Org, i int) {
				rf.seedRestore(b, org)
				tr := rf.localTrail()
				tr.IsMultiRegionTrail = false
				org.SetTrail(memberAccount, rf.local.Region, rf.local.Name, tr)
			}},
		{"events-restore-forwarder-rule", func(i int) string {
			return ruleRecord("DeleteRule", "eu-west-1", fmt.Sprintf("e-%d", i), "trailguard-forward-to-stream")
		}, func(org *awsfake.Org, i int) {
			rf.seedRestore(b, org)
			org.SetRule(memberAccount, "eu-west-1", "trailguard-forward-to-stream", nil)
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			org := awsfake.New(b)
			resp := enforceAll
			resp.Actions = maps.Clone(enforceAll.Actions)
			maps.Copy(resp.Actions, enforceRestores.Actions)
			resp.MaxActionsPerResource, resp.MaxActionsPerAccount = 1<<30, 1<<30
			f, _ := startResponder(b, org, resp)
			msgs := make([][]byte, b.N+1)
			for i := range msgs {
				msgs[i] = responderMessage(b, engine, bc.record(i))
			}
			bc.reset(org, b.N)
			if res := f.Invoke(msgs[b.N]); !res.OK() { // the cold start is not counted
				b.Fatalf("warm-up: %+v\n%s", res, f.Log())
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				bc.reset(org, i)
				if res := f.Invoke(msgs[i]); !res.OK() {
					b.Fatalf("invocation: %+v", res)
				}
			}
			b.StopTimer()
			acted := 0
			for _, c := range awsfake.Changes(org.Calls()) {
				if c.Op != "events:PutTargets" { // a re-created rule takes two calls
					acted++
				}
			}
			if n := acted; n != b.N+1 {
				b.Fatalf("%d changes for %d alerts: not every alert acted", n, b.N+1)
			}
		})
	}
}
