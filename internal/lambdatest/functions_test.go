package lambdatest_test

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/trailguard/trailguard/detect"
	"github.com/trailguard/trailguard/internal/alerting"
	"github.com/trailguard/trailguard/internal/alerting/alertingtest"
	"github.com/trailguard/trailguard/internal/lambdatest"
)

// The detection functions' binaries, built once into binDir.
var (
	buildOnce sync.Once
	binDir    string
	binaries  map[string]string
	buildErr  error
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "trailguard-functions-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func binary(t *testing.T, name string) string { return binaryB(t, name) }

func binaryB(t testing.TB, name string) string {
	t.Helper()
	buildOnce.Do(func() {
		dir := binDir
		binaries = map[string]string{}
		// trailguard: the CLI whose decisions the responder's must equal.
		for _, cmd := range []string{"streamconsumer", "archiveconsumer", "responder", "trailguard"} {
			out := filepath.Join(dir, cmd)
			b, err := exec.Command("go", "build", "-o", out, "../../cmd/"+cmd).CombinedOutput()
			if err != nil {
				buildErr = fmt.Errorf("go build %s: %v\n%s", cmd, err, b)
				return
			}
			binaries[cmd] = out
		}
		buildErr = trackSources("../../cmd/streamconsumer", "../../cmd/archiveconsumer", "../../cmd/responder", "../../cmd/trailguard")
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binaries[name]
}

// trackSources reads the Go files of the module's packages that pkgs build from: go test
// caches a result by the files a test opens, and the binaries are built by another process,
// so without this a change to a function's code would replay a stale pass.
func trackSources(pkgs ...string) error {
	args := append([]string{"list", "-deps", "-f", "{{if .Module}}{{if .Module.Main}}{{.Dir}}{{end}}{{end}}"}, pkgs...)
	out, err := exec.Command("go", args...).Output()
	if err != nil {
		return fmt.Errorf("go list: %w", err)
	}
	for _, dir := range strings.Fields(string(out)) {
		files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		for _, f := range files {
			if _, err := os.ReadFile(f); err != nil {
				return err
			}
		}
	}
	return nil
}

// world is one scenario's AWS: the dedupe table (dynalite), the targets, the archive bucket.
type world struct {
	targets *lambdatest.Targets
	env     []string
	s3      *s3mem.Backend
}

const (
	topicARN = "arn:aws:sns:eu-west-1:999999999999:trailguard-alerts"
	bucket   = "trailguard-log-archive"
)

func newWorld(t *testing.T) *world {
	db := alertingtest.StartDynalite(t)
	db.CreateTable(t, "trailguard-dedupe", alerting.KeyAttribute)
	tg := lambdatest.NewTargets(t)
	w := &world{targets: tg, s3: s3mem.New()}
	w.s3.CreateBucket(bucket)
	// An endpoint by IP address: the SDK addresses the bucket in the path.
	s3srv := httptest.NewServer(gofakes3.New(w.s3).Server())
	t.Cleanup(s3srv.Close)
	w.env = append(lambdatest.Environment(map[string]string{
		"SNS": tg.URL, "EVENTBRIDGE": tg.URL, "DYNAMODB": db.Endpoint, "S3": s3srv.URL,
	}),
		"LAMBDA_TASK_ROOT="+t.TempDir(),
		alerting.EnvTopicARN+"="+topicARN,
		alerting.EnvBusName+"=trailguard-alerts",
		alerting.EnvDedupeTable+"=trailguard-dedupe",
	)
	return w
}

func (w *world) function(t *testing.T, name string, timeout time.Duration) *lambdatest.Function {
	f := &lambdatest.Function{Binary: binary(t, name), Env: w.env, Timeout: timeout}
	f.Start(t)
	return f
}

// record is a CloudTrail record: StopLogging raises cloudtrail-logging-stopped/<id>; a failed
// ConsoleLogin at minute:second counts toward console-login-failures.
func record(eventName, id string, at time.Time) string {
	r := alertingtest.Record(eventName, id)
	r = strings.Replace(r, `"eventTime":"2026-11-02T09:00:00Z"`, `"eventTime":"`+at.UTC().Format(time.RFC3339)+`"`, 1)
	if eventName == "ConsoleLogin" {
		r = strings.Replace(r, `"eventSource":"cloudtrail.amazonaws.com"`, `"eventSource":"signin.amazonaws.com"`, 1)
		r = strings.Replace(r, `"responseElements":null`, `"responseElements":{"ConsoleLogin":"Failure"}`, 1)
	}
	return r
}

// streamBatch is a Kinesis event of records from index from on, as the event source mapping
// delivers it.
func streamBatch(records []string, from int) []byte {
	type rec struct {
		Kinesis struct {
			Data           string `json:"data"`
			SequenceNumber string `json:"sequenceNumber"`
			PartitionKey   string `json:"partitionKey"`
		} `json:"kinesis"`
		EventID        string `json:"eventID"`
		EventSourceARN string `json:"eventSourceARN"`
	}
	var ev struct {
		Records []rec `json:"Records"`
	}
	for i := from; i < len(records); i++ {
		var r rec
		r.Kinesis.Data = base64.StdEncoding.EncodeToString([]byte(alertingtest.Event(records[i])))
		r.Kinesis.SequenceNumber = fmt.Sprintf("%020d", i+1)
		r.Kinesis.PartitionKey = "111122223333"
		r.EventID = "shardId-000000000000:" + r.Kinesis.SequenceNumber
		r.EventSourceARN = "arn:aws:kinesis:eu-west-1:999999999999:stream/trailguard-security-events"
		ev.Records = append(ev.Records, r)
	}
	b, _ := json.Marshal(ev)
	return b
}

// drainStream delivers records to the stream function as the event source mapping does: a
// batch that failed, timed out or died is delivered again; a reported failure resumes at its
// record. It gives up after max invocations.
func drainStream(t *testing.T, f *lambdatest.Function, records []string, max int) {
	from := 0
	for n := 0; n < max; n++ {
		res := f.Invoke(streamBatch(records, from))
		if !res.OK() {
			continue
		}
		var out struct {
			BatchItemFailures []struct{ ItemIdentifier string } `json:"batchItemFailures"`
		}
		if err := json.Unmarshal(res.Response, &out); err != nil {
			t.Fatalf("stream response %s: %v", res.Response, err)
		}
		if len(out.BatchItemFailures) == 0 {
			return
		}
		fmt.Sscan(out.BatchItemFailures[0].ItemIdentifier, &from)
		from-- // sequence numbers count from 1
	}
	t.Errorf("stream batch not done after %d invocations; log:\n%s", max, f.Log())
}

// drainArchive writes records as one log file and delivers its notification to the archive
// function as SQS does: a message that failed, timed out or died is received again.
func drainArchive(t *testing.T, w *world, f *lambdatest.Function, records []string, max int) {
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	fmt.Fprintf(gz, `{"Records":[%s]}`, strings.Join(records, ","))
	gz.Close()
	key := "AWSLogs/o-a1b2c3d4e5/111122223333/CloudTrail/eu-west-1/2026/11/02/111122223333_CloudTrail_eu-west-1_20261102T0905Z_a.json.gz"
	if _, err := w.s3.PutObject(bucket, key, map[string]string{}, bytes.NewReader(buf.Bytes()), int64(buf.Len()), nil); err != nil {
		t.Fatal(err)
	}
	note := fmt.Sprintf(`{"Records":[{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":%q},"object":{"key":%q}}}]}`, bucket, key)
	msg, _ := json.Marshal(map[string]any{"Records": []map[string]any{{"messageId": "m-1", "body": note, "eventSource": "aws:sqs"}}})
	for n := 0; n < max; n++ {
		res := f.Invoke(msg)
		if !res.OK() {
			continue
		}
		var out struct {
			BatchItemFailures []struct{ ItemIdentifier string } `json:"batchItemFailures"`
		}
		json.Unmarshal(res.Response, &out)
		if len(out.BatchItemFailures) == 0 {
			return
		}
	}
	t.Errorf("archive message not done after %d invocations; log:\n%s", max, f.Log())
}

// counts counts each alert's deliveries, by the alert's key in the body.
func counts(ds []lambdatest.Delivery) map[string]int {
	m := map[string]int{}
	for _, d := range ds {
		m[d.Key]++
	}
	return m
}

// TestEveryAlertDelivered runs the stream and archive functions' binaries as Lambda runs
// them, against dynalite and targets that fail on purpose, and checks that every alert
// reached every target, once, or more only where the transport itself made the copy (a
// target that accepted a message whose acceptance the function never heard of), with the
// same alert ID.
func TestEveryAlertDelivered(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the function binaries against dynalite")
	}
	at := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	stops := []string{record("StopLogging", "e1", at), record("StopLogging", "e2", at), record("StopLogging", "e3", at)}
	want := []string{"cloudtrail-logging-stopped/e1", "cloudtrail-logging-stopped/e2", "cloudtrail-logging-stopped/e3"}
	on := func(target string, call int, fault lambdatest.Fault) func(string, int, string) lambdatest.Fault {
		return func(tg string, n int, _ string) lambdatest.Fault {
			if tg == target && n == call {
				return fault
			}
			return lambdatest.Accept
		}
	}
	tests := []struct {
		name    string
		plan    func(target string, n int, alertID string) lambdatest.Fault
		timeout time.Duration
		// dupTopic, dupBus: a transport duplicate is allowed there (same alert ID).
		dupTopic, dupBus bool
	}{
		{name: "no failure"},
		{name: "killed while publishing to the topic", plan: on("topic", 2, lambdatest.KillBefore)},
		{name: "killed after the topic accepted, before the function heard", plan: on("topic", 2, lambdatest.AcceptThenKill), dupTopic: true},
		{name: "killed after the topic accepted, while putting on the bus", plan: on("bus", 2, lambdatest.KillBefore)},
		{name: "deadline reached while the topic hangs", plan: on("topic", 2, lambdatest.Hang), timeout: 8 * time.Second},
		{name: "deadline reached while the bus hangs", plan: on("bus", 1, lambdatest.Hang), timeout: 8 * time.Second},
		{name: "the topic fails", plan: on("topic", 1, lambdatest.Fail)},
		{name: "the bus fails: the retry does not publish to the topic again", plan: on("bus", 2, lambdatest.Fail)},
		{name: "the bus accepts and answers an error", plan: on("bus", 2, lambdatest.AcceptThenFail), dupBus: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			timeout := tt.timeout
			if timeout == 0 {
				timeout = 30 * time.Second
			}
			f := w.function(t, "streamconsumer", timeout)
			w.targets.Plan, w.targets.Kill = tt.plan, f.Kill
			drainStream(t, f, stops, 10)
			check(t, w, want, tt.dupTopic, tt.dupBus, f.Log())
		})
	}
}

// check requires every wanted alert at each target, and no other; a duplicate only where
// allowed.
func check(t *testing.T, w *world, want []string, dupTopic, dupBus bool, log string) {
	t.Helper()
	for _, target := range []string{"topic", "bus"} {
		ds := w.targets.Delivered(target)
		for _, d := range ds {
			if d.AlertID != d.Key {
				t.Errorf("a message on the %s carries alert ID %q, want its alert's %q", target, d.AlertID, d.Key)
			}
		}
		got := counts(ds)
		dupOK := map[string]bool{"topic": dupTopic, "bus": dupBus}[target]
		for _, id := range want {
			switch n := got[id]; {
			case n == 0:
				t.Errorf("alert %s never reached the %s", id, target)
			case n > 1 && !dupOK:
				t.Errorf("alert %s reached the %s %d times, want once", id, target, n)
			}
		}
		for id := range got {
			if !slices.Contains(want, id) {
				t.Errorf("the %s got alert %q, not one of %v", target, id, want)
			}
		}
	}
	if t.Failed() {
		t.Logf("function log:\n%s", log)
	}
}

// TestBothPathsUnderRandomKills runs the stream and the archive function at the same time
// over the same events, killing them at random points of their deliveries (seeded, so a
// failure replays): every alert reaches both targets.
func TestBothPathsUnderRandomKills(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the function binaries against dynalite")
	}
	at := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	for seed := uint64(1); seed <= 3; seed++ {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			w := newWorld(t)
			var records, want []string
			for i := range 12 {
				id := fmt.Sprintf("s%d-e%d", seed, i)
				records = append(records, record("StopLogging", id, at))
				want = append(want, "cloudtrail-logging-stopped/"+id)
			}
			stream := w.function(t, "streamconsumer", 30*time.Second)
			archive := w.function(t, "archiveconsumer", 30*time.Second)
			rng := rand.New(rand.NewPCG(seed, 7))
			var mu sync.Mutex
			kills := 0
			faults := []lambdatest.Fault{lambdatest.KillBefore, lambdatest.AcceptThenKill}
			w.targets.Plan = func(string, int, string) lambdatest.Fault {
				mu.Lock()
				defer mu.Unlock()
				if kills < 8 && rng.IntN(4) == 0 {
					kills++
					return faults[rng.IntN(len(faults))]
				}
				return lambdatest.Accept
			}
			// Either function may be the one calling: kill both (each retries).
			w.targets.Kill = func() { go stream.Kill(); archive.Kill() }
			var wg sync.WaitGroup
			wg.Add(2)
			go func() { defer wg.Done(); drainStream(t, stream, records, 30) }()
			go func() { defer wg.Done(); drainArchive(t, w, archive, records, 30) }()
			wg.Wait()
			check(t, w, want, true, true, stream.Log()+archive.Log())
		})
	}
}

// TestThresholdBurstOnce: a burst of failed sign-ins that straddles a window boundary within
// one stream batch alerts once at each target, as trailguard detect (package detect's
// Detector over the same records) alerts once, with the same alert ID.
func TestThresholdBurstOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the function binaries against dynalite")
	}
	var records []string
	for i, minute := range []int{7, 8, 9, 11, 12, 13, 14} { // 10-minute windows: 09:00, 09:10
		records = append(records, record("ConsoleLogin", fmt.Sprint("login-", i), time.Date(2026, 11, 2, 9, minute, 0, 0, time.UTC)))
	}
	engine, err := detect.Load()
	if err != nil {
		t.Fatal(err)
	}
	d := detect.NewDetector(engine, nil)
	var cli []string
	for _, r := range records {
		rec, err := detect.ParseRecord([]byte(r))
		if err != nil {
			t.Fatal(err)
		}
		alerts, err := d.Process(rec)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range alerts {
			cli = append(cli, a.DedupeKey)
		}
	}
	if len(cli) != 1 {
		t.Fatalf("trailguard detect raised %v, want one alert", cli)
	}
	w := newWorld(t)
	f := w.function(t, "streamconsumer", 30*time.Second)
	drainStream(t, f, records, 5)
	check(t, w, cli, false, false, f.Log())
}
