// Command functionbench measures the detection functions on this machine and prints the
// tables of docs/benchmarks.md: the stream function's cold start (process start to the first
// event handled, through a local Lambda Runtime API) and the processing time of a full stream
// batch of 10,000 records (the records of detect/testdata, each with a new eventID and event time,
// through the same processor the functions run, with in-memory fakes of SNS, EventBridge and
// the dedupe table, which also holds the shared threshold counts: what the function's CPU
// does, without the network, and how many DynamoDB round trips a batch makes).
//
// Run it from the module root: go run ./cmd/functionbench
package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/trailguard/trailguard/detect"
	"github.com/trailguard/trailguard/internal/alerting"
	"github.com/trailguard/trailguard/internal/alerting/alertingtest"
)

func main() {
	starts := flag.Int("starts", 10, "cold starts to measure")
	batches := flag.Int("batches", 5, "batches of 10,000 records to measure")
	flag.Parse()
	if err := run(os.Stdout, *starts, *batches); err != nil {
		fmt.Fprintln(os.Stderr, "functionbench:", err)
		os.Exit(1)
	}
}

func run(w io.Writer, starts, batches int) error {
	pool, err := recordPool("detect/testdata")
	if err != nil {
		return err
	}
	cold, err := coldStarts(starts, event(pool, 0, 1))
	if err != nil {
		return err
	}
	batch, err := batchTimes(pool, batches)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "Measured with %s %s/%s on %d cores.\n\n", runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.NumCPU())
	fmt.Fprintln(w, "| stream function, cold start | fastest | median | slowest |")
	fmt.Fprintln(w, "|---|---:|---:|---:|")
	fmt.Fprintf(w, "| process start to ready for events (rules compiled, clients made) | %s | %s | %s |\n", ms(cold.ready, 0), ms(cold.ready, 50), ms(cold.ready, 100))
	fmt.Fprintf(w, "| process start to the first event handled | %s | %s | %s |\n\n", ms(cold.handled, 0), ms(cold.handled, 50), ms(cold.handled, 100))
	fmt.Fprintln(w, "| full stream batch | records | alerts | DynamoDB calls | fastest | median | records/s (median) |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|")
	med := pct(batch.times, 50)
	fmt.Fprintf(w, "| decode, rules, dedupe claims, shared threshold counts, publish (fakes, no network) | %d | %d | %d | %s | %s | %.0f |\n",
		batchSize, batch.alerts, batch.dynamoCalls, ms(batch.times, 0), ms(batch.times, 50), float64(batchSize)/med.Seconds())
	return nil
}

const batchSize = 10000

// recordPool reads the records of the fixtures and ordinary activity under dir.
func recordPool(dir string) ([][]byte, error) {
	files, err := filepath.Glob(filepath.Join(dir, "rules", "*.json"))
	if err != nil {
		return nil, err
	}
	files = append(files, filepath.Join(dir, "ordinary.json"))
	var pool [][]byte
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("%v (run from the module root)", err)
		}
		var fx struct {
			Cases []struct {
				Records []json.RawMessage `json:"records"`
			} `json:"cases"`
		}
		if err := json.Unmarshal(raw, &fx); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		for _, c := range fx.Cases {
			for _, r := range c.Records {
				var b bytes.Buffer
				json.Compact(&b, r)
				pool = append(pool, b.Bytes())
			}
		}
	}
	return pool, nil
}

// record returns the i-th record of an endless stream from pool: a new eventID and an event
// time 10 ms after the last, wrapped in the EventBridge event the stream carries.
func record(pool [][]byte, i int) []byte {
	var m map[string]any
	json.Unmarshal(pool[i%len(pool)], &m)
	m["eventID"] = fmt.Sprintf("%08x-0000-4000-8000-%012x", i>>20, i)
	m["eventTime"] = time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * 10 * time.Millisecond).Format(time.RFC3339)
	rec, _ := json.Marshal(m)
	return []byte(alertingtest.Event(string(rec)))
}

// event is a Kinesis event of n records starting at the i-th, as Lambda sends it.
func event(pool [][]byte, i, n int) []byte {
	var recs []string
	for j := range n {
		recs = append(recs, fmt.Sprintf(`{"kinesis":{"kinesisSchemaVersion":"1.0","partitionKey":"k","sequenceNumber":"%d","data":%q,"approximateArrivalTimestamp":1.8e9},"eventSource":"aws:kinesis","eventVersion":"1.0","eventID":"shardId-000000000000:%d","eventName":"aws:kinesis:record","awsRegion":"eu-west-1","eventSourceARN":"arn:aws:kinesis:eu-west-1:222222222222:stream/trailguard-security-events"}`,
			i+j, base64.StdEncoding.EncodeToString(record(pool, i+j)), i+j))
	}
	return []byte(`{"Records":[` + strings.Join(recs, ",") + `]}`)
}

type coldResult struct{ ready, handled []time.Duration }

// coldStarts builds the stream function for this machine and starts it n times against a
// local Runtime API serving ev, timing each start.
func coldStarts(n int, ev []byte) (coldResult, error) {
	var res coldResult
	dir, err := os.MkdirTemp("", "functionbench-*")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "bootstrap")
	build := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-tags=lambda.norpc", "-o", bin, "./cmd/streamconsumer")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		return res, fmt.Errorf("build: %w", err)
	}
	for range n {
		ready, handled, err := coldStart(bin, ev)
		if err != nil {
			return res, err
		}
		res.ready, res.handled = append(res.ready, ready), append(res.handled, handled)
	}
	return res, nil
}

// coldStart runs bin once: ready is when it first asks for an event, handled when it has
// answered the first.
func coldStart(bin string, ev []byte) (ready, handled time.Duration, err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, 0, err
	}
	defer ln.Close()
	var start time.Time
	readyCh, doneCh := make(chan time.Duration, 1), make(chan time.Duration, 1)
	served := false
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", func(w http.ResponseWriter, r *http.Request) {
		if served {
			<-r.Context().Done() // the next invocation never comes
			return
		}
		served = true
		readyCh <- time.Since(start)
		w.Header().Set("Lambda-Runtime-Aws-Request-Id", "req-1")
		w.Header().Set("Lambda-Runtime-Deadline-Ms", fmt.Sprint(time.Now().Add(time.Minute).UnixMilli()))
		w.Header().Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:eu-west-1:222222222222:function:trailguard-detect-stream")
		w.Write(ev)
	})
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		doneCh <- time.Since(start)
		w.WriteHeader(http.StatusAccepted)
	})
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		doneCh <- -1
		fmt.Fprintf(os.Stderr, "functionbench: the function failed: %s\n", body)
	})
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		doneCh <- -1
		fmt.Fprintf(os.Stderr, "functionbench: init failed: %s\n", body)
	})
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)
	defer srv.Shutdown(context.Background())

	cmd := exec.Command(bin)
	cmd.Env = []string{
		"AWS_LAMBDA_RUNTIME_API=" + ln.Addr().String(),
		"AWS_REGION=eu-west-1", "AWS_ACCESS_KEY_ID=AKIAFAKE", "AWS_SECRET_ACCESS_KEY=fake",
		alerting.EnvTopicARN + "=arn:aws:sns:eu-west-1:222222222222:alerts",
		alerting.EnvBusName + "=trailguard-alerts",
		alerting.EnvDedupeTable + "=trailguard-detect-dedupe",
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start = time.Now()
	if err := cmd.Start(); err != nil {
		return 0, 0, err
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	timeout := time.After(30 * time.Second)
	select {
	case ready = <-readyCh:
	case <-timeout:
		return 0, 0, fmt.Errorf("the function never asked for an event: %s", stderr.String())
	}
	select {
	case handled = <-doneCh:
	case <-timeout:
		return 0, 0, fmt.Errorf("the function never answered: %s", stderr.String())
	}
	if handled < 0 {
		return 0, 0, fmt.Errorf("the function failed: %s", stderr.String())
	}
	return ready, handled, nil
}

type batchResult struct {
	times  []time.Duration
	alerts int
	// dynamoCalls is the number of DynamoDB calls of one batch (dedupe claims, threshold
	// counter updates and reads): each is a network round trip in the function.
	dynamoCalls int
}

// countingDynamoDB counts the calls made to the fake table.
type countingDynamoDB struct {
	*alertingtest.DynamoDB
	calls int
}

func (c *countingDynamoDB) PutItem(ctx context.Context, in *dynamodb.PutItemInput, o ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	c.calls++
	return c.DynamoDB.PutItem(ctx, in, o...)
}

func (c *countingDynamoDB) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, o ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	c.calls++
	return c.DynamoDB.UpdateItem(ctx, in, o...)
}

func (c *countingDynamoDB) BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, o ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	c.calls++
	return c.DynamoDB.BatchGetItem(ctx, in, o...)
}

// batchTimes runs n batches of batchSize records through a processor with fakes, each batch
// with new records and a fresh processor state.
func batchTimes(pool [][]byte, n int) (batchResult, error) {
	var res batchResult
	engine, err := detect.Load()
	if err != nil {
		return res, err
	}
	for b := range n {
		recs := make([][]byte, batchSize)
		for i := range recs {
			recs[i] = record(pool, b*batchSize+i)
		}
		topic := &alertingtest.SNS{}
		pub := &alerting.Publisher{SNS: topic, TopicARN: "t", Events: &alertingtest.Events{}, BusName: "b"}
		// The dedupe claims and the threshold counts share one table, as in the functions.
		table := &countingDynamoDB{DynamoDB: &alertingtest.DynamoDB{Key: alerting.KeyAttribute}}
		store := &alerting.DynamoStore{Client: table, Table: "d"}
		thresholds := &alerting.DynamoThresholds{Client: table, Table: "d"}
		proc := alerting.NewSharedProcessor(engine, pub, store, thresholds, nil)
		ctx := context.Background()
		runtime.GC()
		start := time.Now()
		for _, r := range recs {
			if _, err := proc.Process(ctx, "shard:1", r); err != nil {
				return res, err
			}
		}
		// The threshold counts of the batch, as the function does at its end.
		if _, err := proc.Flush(ctx, "shard:1"); err != nil {
			return res, err
		}
		res.times = append(res.times, time.Since(start))
		res.alerts = len(topic.Messages)
		res.dynamoCalls = table.calls
	}
	return res, nil
}

func pct(ds []time.Duration, p int) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[(len(s)-1)*p/100]
}

func ms(ds []time.Duration, p int) string {
	d := pct(ds, p)
	if d >= time.Second {
		return fmt.Sprintf("%.2f s", d.Seconds())
	}
	return fmt.Sprintf("%.0f ms", float64(d.Microseconds())/1000)
}
