// Package lambdatest runs a Lambda function's real binary as AWS runs it, for tests: a local
// Lambda Runtime API (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html) that
// hands the process one invocation at a time with its deadline, stops the process at the
// deadline as Lambda does, and lets a test kill it at any moment; and fakes of the alert
// targets (SNS Publish, EventBridge PutEvents) that fail, hang, or accept and then fail, on
// purpose. The organization's accounts (STS, S3, S3 Control, EC2, IAM, CloudTrail, SQS) are faked by
// package awsfake.
package lambdatest

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// Result is how an invocation ended.
type Result struct {
	// Response is the function's response (nil unless it returned one).
	Response []byte
	// Error is the function's error response, if it returned one.
	Error string
	// Died: the process exited or was killed before responding.
	Died bool
	// TimedOut: the deadline passed first; the process was stopped, as Lambda does.
	TimedOut bool
}

// OK reports whether the function returned a response.
func (r Result) OK() bool { return r.Response != nil }

// Function is one function process behind a local Runtime API. It starts the binary on the
// first invocation and again after it died or was stopped (a cold start), like Lambda.
type Function struct {
	// Binary is the executable; Env its environment besides AWS_LAMBDA_RUNTIME_API.
	Binary string
	Env    []string
	// Timeout is the function's timeout: each invocation's deadline.
	Timeout time.Duration

	t        testing.TB
	mu       sync.Mutex
	srv      *http.Server
	addr     string
	pending  chan *invocation
	current  *invocation
	cmd      *exec.Cmd
	exited   chan struct{}
	stderr   *lockedWriter
	sequence int
}

type invocation struct {
	id       string
	event    []byte
	deadline time.Time
	done     chan Result
	once     sync.Once
}

func (inv *invocation) finish(r Result) { inv.once.Do(func() { inv.done <- r }) }

// Start serves the Runtime API for f until the test ends.
func (f *Function) Start(t testing.TB) {
	t.Helper()
	f.t = t
	f.pending = make(chan *invocation, 1)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f.addr = ln.Addr().String()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", f.next)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", f.respond)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", f.respond)
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		t.Errorf("function failed to start: %s", body)
		w.WriteHeader(http.StatusAccepted)
	})
	f.srv = &http.Server{Handler: mux}
	go f.srv.Serve(ln)
	t.Cleanup(func() {
		f.Kill()
		f.srv.Close()
	})
}

// next hands the process the pending invocation, waiting for one.
func (f *Function) next(w http.ResponseWriter, r *http.Request) {
	select {
	case inv := <-f.pending:
		h := w.Header()
		h.Set("Lambda-Runtime-Aws-Request-Id", inv.id)
		h.Set("Lambda-Runtime-Deadline-Ms", fmt.Sprint(inv.deadline.UnixMilli()))
		h.Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:eu-west-1:999999999999:function:trailguard-test")
		h.Set("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000")
		w.Write(inv.event)
	case <-r.Context().Done():
	}
}

// respond records the process's response or error for the current invocation.
func (f *Function) respond(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	inv := f.current
	f.mu.Unlock()
	w.WriteHeader(http.StatusAccepted)
	if inv == nil || inv.id != r.PathValue("id") {
		return
	}
	if strings.HasSuffix(r.URL.Path, "/error") {
		inv.finish(Result{Error: string(body)})
		return
	}
	inv.finish(Result{Response: body})
}

// Invoke runs one invocation of event and returns how it ended. At the deadline the process
// is stopped, as Lambda stops a function that timed out.
func (f *Function) Invoke(event []byte) Result {
	f.mu.Lock()
	if f.cmd == nil {
		f.startLocked()
	}
	f.sequence++
	inv := &invocation{id: fmt.Sprintf("req-%d", f.sequence), event: event, deadline: time.Now().Add(f.Timeout), done: make(chan Result, 1)}
	f.current = inv
	exited := f.exited
	f.mu.Unlock()
	f.pending <- inv
	timer := time.NewTimer(time.Until(inv.deadline))
	defer timer.Stop()
	var res Result
	select {
	case res = <-inv.done:
	case <-exited:
		f.Kill() // reaped: the next invocation starts it again
		res = Result{Died: true}
	case <-timer.C:
		f.Kill()
		res = Result{TimedOut: true}
	}
	// A kill can race the response: the invocation is what the process said, if anything.
	select {
	case r := <-inv.done:
		res = r
	default:
	}
	f.mu.Lock()
	f.current = nil
	f.mu.Unlock()
	select { // an invocation the process never took is dropped
	case <-f.pending:
	default:
	}
	return res
}

// startLocked starts the process.
func (f *Function) startLocked() {
	cmd := exec.Command(f.Binary)
	cmd.Env = append(append([]string{}, f.Env...), "AWS_LAMBDA_RUNTIME_API="+f.addr)
	if f.stderr == nil {
		f.stderr = &lockedWriter{w: &bytes.Buffer{}}
	}
	cmd.Stderr = f.stderr
	if err := cmd.Start(); err != nil {
		// Reported as a process that died at once: the caller's checks fail with the log.
		f.stderr.Write([]byte(fmt.Sprintf("lambdatest: start %s: %v\n", f.Binary, err)))
		exited := make(chan struct{})
		close(exited)
		f.cmd, f.exited = cmd, exited
		return
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	f.cmd, f.exited = cmd, exited
}

// Kill stops the process at once (SIGKILL), as a crash or Lambda's timeout does; the next
// invocation starts it again.
func (f *Function) Kill() {
	f.mu.Lock()
	cmd, exited := f.cmd, f.exited
	f.cmd = nil
	f.mu.Unlock()
	if cmd == nil {
		return
	}
	if cmd.Process != nil {
		cmd.Process.Kill()
	}
	<-exited
}

// Log is what the function wrote to standard error so far.
func (f *Function) Log() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.stderr == nil {
		return ""
	}
	f.stderr.mu.Lock()
	defer f.stderr.mu.Unlock()
	return f.stderr.w.(*bytes.Buffer).String()
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// Environment returns the variables a function under test needs besides its own: a region,
// static credentials, no instance metadata, and each service's endpoint
// (AWS_ENDPOINT_URL_<SERVICE>, which the AWS SDK for Go v2 reads).
func Environment(endpoints map[string]string) []string {
	env := []string{"AWS_REGION=eu-west-1", "AWS_ACCESS_KEY_ID=AKIDLOCAL", "AWS_SECRET_ACCESS_KEY=local",
		"AWS_EC2_METADATA_DISABLED=true", "PATH=" + os.Getenv("PATH")}
	for service, url := range endpoints {
		env = append(env, "AWS_ENDPOINT_URL_"+service+"="+url)
	}
	return env
}
