package lambdatest_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/trailguard/trailguard/config"
	"github.com/trailguard/trailguard/detect"
	"github.com/trailguard/trailguard/internal/alerting"
	"github.com/trailguard/trailguard/internal/lambdatest"
	// The responder binary is built by go build; importing its packages makes go test's
	// cache see their changes.
	"github.com/trailguard/trailguard/internal/respond"
	_ "github.com/trailguard/trailguard/internal/respond/execute"
)

const memberAccount = "333333333333"

// publicBucketRecord is a PutBucketPolicy that makes bucket public, by alice or, with
// role set, by a session of that role.
func publicBucketRecord(bucket, id, role string) string {
	who := `{"type":"IAMUser","userName":"alice","arn":"arn:aws:iam::333333333333:user/alice","accountId":"333333333333"}`
	if role != "" {
		who = fmt.Sprintf(`{"type":"AssumedRole","arn":"arn:aws:sts::333333333333:assumed-role/%s/s","accountId":"333333333333","sessionContext":{"sessionIssuer":{"type":"Role","userName":%q}}}`, role, role)
	}
	return fmt.Sprintf(`{"eventVersion":"1.09","userIdentity":%s,"eventTime":"2026-12-06T10:00:00Z","eventSource":"s3.amazonaws.com","eventName":"PutBucketPolicy","awsRegion":"eu-west-1","sourceIPAddress":"203.0.113.9","requestParameters":{"bucketName":%q,"bucketPolicy":{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::%s/*"}]}},"responseElements":null,"eventID":%q,"readOnly":false,"eventType":"AwsApiCall","recipientAccountId":"333333333333"}`,
		who, bucket, bucket, id)
}

// responderMessage is the SQS event the detection functions' responder target sends for
// record's alert of s3-bucket-made-public.
func responderMessage(t *testing.T, engine *detect.Engine, record string) []byte {
	return responderMessageB(t, engine, record)
}

func responderMessageB(t testing.TB, engine *detect.Engine, record string) []byte {
	t.Helper()
	rec, err := detect.ParseRecord([]byte(record))
	if err != nil {
		t.Fatal(err)
	}
	alerts, err := detect.NewDetector(engine, detect.MemoryDedupe{}).Process(rec)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range alerts {
		if a.Rule == "s3-bucket-made-public" {
			body, err := alerting.Body(a)
			if err != nil {
				t.Fatal(err)
			}
			ev, _ := json.Marshal(events.SQSEvent{Records: []events.SQSMessage{{MessageId: "m-" + a.EventID, Body: string(body)}}})
			return ev
		}
	}
	t.Fatalf("no s3-bucket-made-public alert for %s", record)
	return nil
}

type auditBody struct {
	Rule     string `json:"rule"`
	Title    string `json:"title"`
	Severity string `json:"severity"`
	EventID  string `json:"eventID"`
	Response struct {
		Result         string `json:"result"`
		Session        string `json:"session"`
		Stack          string `json:"stack"`
		CircuitBreaker bool   `json:"circuitBreaker"`
		Before         any    `json:"before"`
		After          any    `json:"after"`
	} `json:"response"`
}

// TestResponderEndToEnd runs the responder binary under the local Runtime API against fakes
// of STS and S3 through the real SDK clients.
func TestResponderEndToEnd(t *testing.T) {
	engine, err := detect.Load()
	if err != nil {
		t.Fatal(err)
	}
	accounts := lambdatest.NewAccounts(t)
	responder := func(t *testing.T, resp config.Response) (*lambdatest.Function, *lambdatest.Targets) {
		tg := lambdatest.NewTargets(t)
		cfg, _ := json.Marshal(resp)
		env := append(lambdatest.Environment(map[string]string{"SNS": tg.URL, "STS": accounts.URL, "S3": accounts.URL}),
			"LAMBDA_TASK_ROOT="+t.TempDir(),
			alerting.EnvTopicARN+"="+topicARN,
			respond.EnvResponseConfig+"="+string(cfg),
		)
		f := &lambdatest.Function{Binary: binary(t, "responder"), Env: env, Timeout: 10 * time.Second}
		f.Start(t)
		return f, tg
	}
	enforce := config.Response{Actions: map[string]config.ActionSettings{"s3-block-public-access": {Mode: "enforce"}},
		Exemptions: config.Exemptions{Buckets: []string{"www-*"}}, MaxActionsPerResource: 2, MaxActionsPerAccount: 20}
	dryRun := enforce
	dryRun.Actions = nil
	ops := func(calls []lambdatest.Call) string {
		var s []string
		for _, c := range calls {
			s = append(s, c.Op)
		}
		return strings.Join(s, " ")
	}
	audits := func(t *testing.T, tg *lambdatest.Targets) []auditBody {
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
	invoke := func(t *testing.T, f *lambdatest.Function, ev []byte) {
		t.Helper()
		res := f.Invoke(ev)
		if !res.OK() || strings.Contains(string(res.Response), "batchItemFailures\":[{") {
			t.Fatalf("invocation: %+v %s\n%s", res, res.Response, f.Log())
		}
	}

	t.Run("public bucket: Block Public Access restored through the member's responder role", func(t *testing.T) {
		accounts.SetBucket("reports", lambdatest.FakeBucket{Owner: memberAccount})
		accounts.Calls()
		f, tg := responder(t, enforce)
		invoke(t, f, responderMessage(t, engine, publicBucketRecord("reports", "e-public", "")))
		calls := accounts.Calls()
		if got, want := ops(calls), "sts:AssumeRole s3:GetPublicAccessBlock s3:GetBucketTagging s3:PutPublicAccessBlock s3:GetPublicAccessBlock"; got != want {
			t.Fatalf("calls %q, want %q", got, want)
		}
		wantSession := lambdatest.Session{RoleARN: "arn:aws:iam::333333333333:role/trailguard-responder", Name: "s3-bucket-made-public@e-public"}
		put := calls[3]
		if put.Session != wantSession || put.ExpectedOwner != memberAccount || put.Bucket != "reports" {
			t.Errorf("PutPublicAccessBlock by %+v on %s owner %s, want by %+v on reports owner %s", put.Session, put.Bucket, put.ExpectedOwner, wantSession, memberAccount)
		}
		if got := accounts.Bucket("reports").BlockPublicAccess; got == nil || *got != [4]bool{true, true, true, true} {
			t.Errorf("bucket Block Public Access %v, want all four on", got)
		}
		as := audits(t, tg)
		if len(as) != 1 || as[0].Rule != "trailguard-response" || as[0].Response.Result != "acted" || as[0].EventID != "e-public" || as[0].Response.After == nil {
			t.Errorf("audit alerts %+v, want one: acted, with the triggering event id and the after state", as)
		}
	})

	t.Run("dry-run: no change", func(t *testing.T) {
		accounts.SetBucket("reports", lambdatest.FakeBucket{Owner: memberAccount})
		accounts.Calls()
		f, tg := responder(t, dryRun)
		invoke(t, f, responderMessage(t, engine, publicBucketRecord("reports", "e-dry", "")))
		if got := ops(accounts.Calls()); strings.Contains(got, "Put") {
			t.Errorf("calls %q: dry-run made a change", got)
		}
		if as := audits(t, tg); len(as) != 1 || as[0].Response.Result != "would-act" {
			t.Errorf("audit alerts %+v, want one saying what would have been done", as)
		}
	})

	t.Run("exempt bucket: skipped, no call", func(t *testing.T) {
		accounts.SetBucket("www-site", lambdatest.FakeBucket{Owner: memberAccount})
		accounts.Calls()
		f, _ := responder(t, enforce)
		invoke(t, f, responderMessage(t, engine, publicBucketRecord("www-site", "e-exempt", "")))
		if got := ops(accounts.Calls()); got != "" {
			t.Errorf("calls %q, want none", got)
		}
	})

	t.Run("already private: read, no change", func(t *testing.T) {
		accounts.SetBucket("reports", lambdatest.FakeBucket{Owner: memberAccount, BlockPublicAccess: &[4]bool{true, true, true, true}})
		accounts.Calls()
		f, tg := responder(t, enforce)
		invoke(t, f, responderMessage(t, engine, publicBucketRecord("reports", "e-private", "")))
		if got := ops(accounts.Calls()); strings.Contains(got, "Put") {
			t.Errorf("calls %q: acted on a private bucket", got)
		}
		if as := audits(t, tg); len(as) != 1 || as[0].Response.Result != "already-right" {
			t.Errorf("audit alerts %+v, want one: already-right", as)
		}
	})

	t.Run("the responder's own event does not re-trigger", func(t *testing.T) {
		accounts.SetBucket("reports", lambdatest.FakeBucket{Owner: memberAccount})
		accounts.Calls()
		f, tg := responder(t, enforce)
		invoke(t, f, responderMessage(t, engine, publicBucketRecord("reports", "e-own", "trailguard-responder")))
		if got := ops(accounts.Calls()); got != "" {
			t.Errorf("calls %q, want none", got)
		}
		if as := audits(t, tg); len(as) != 0 {
			t.Errorf("audit alerts %+v, want none", as)
		}
	})

	t.Run("circuit breaker: a stack that keeps making the bucket public", func(t *testing.T) {
		f, tg := responder(t, enforce) // maxActionsPerResource: 2
		for i := 1; i <= 3; i++ {
			// The stack made it public again.
			accounts.SetBucket("site-assets", lambdatest.FakeBucket{Owner: memberAccount, Tags: map[string]string{"aws:cloudformation:stack-name": "web-frontend"}})
			accounts.Calls()
			invoke(t, f, responderMessage(t, engine, publicBucketRecord("site-assets", fmt.Sprintf("e-loop-%d", i), "")))
			put := strings.Contains(ops(accounts.Calls()), "Put")
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
}

// BenchmarkResponderAction is the responder function's own time per action: one alert of a
// public bucket, from the invocation to its response, through the local Runtime API with
// the action in enforce (AssumeRole, read, tags, PutPublicAccessBlock, read again, the audit
// alert), against local fakes through the real SDK clients. Run by make bench.
func BenchmarkResponderAction(b *testing.B) {
	engine, err := detect.Load()
	if err != nil {
		b.Fatal(err)
	}
	accounts := lambdatest.NewAccounts(b)
	tg := lambdatest.NewTargets(b)
	cfg, _ := json.Marshal(config.Response{Actions: map[string]config.ActionSettings{"s3-block-public-access": {Mode: "enforce"}}, MaxActionsPerResource: 1000, MaxActionsPerAccount: 1 << 30})
	env := append(lambdatest.Environment(map[string]string{"SNS": tg.URL, "STS": accounts.URL, "S3": accounts.URL}),
		"LAMBDA_TASK_ROOT="+b.TempDir(), alerting.EnvTopicARN+"="+topicARN, respond.EnvResponseConfig+"="+string(cfg))
	f := &lambdatest.Function{Binary: binaryB(b, "responder"), Env: env, Timeout: 10 * time.Second}
	f.Start(b)
	msgs := make([][]byte, b.N+1)
	for i := range msgs {
		name := fmt.Sprintf("bench-%d", i)
		accounts.SetBucket(name, lambdatest.FakeBucket{Owner: memberAccount})
		msgs[i] = responderMessageB(b, engine, publicBucketRecord(name, fmt.Sprintf("e-bench-%d", i), ""))
	}
	if res := f.Invoke(msgs[b.N]); !res.OK() { // the cold start is not counted
		b.Fatalf("warm-up: %+v\n%s", res, f.Log())
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if res := f.Invoke(msgs[i]); !res.OK() {
			b.Fatalf("invocation: %+v", res)
		}
	}
}
