package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/trailguard/trailguard/internal/eventhistory/cloudtrailtest"
	trailguard "github.com/trailguard/trailguard/internal/version"
)

// childEnv makes the test binary run as the trailguard command, for tests
// that need a real process to send signals to.
const childEnv = "TRAILGUARD_TEST_AS_COMMAND"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		os.Exit(run(context.Background(), os.Args[1:], newEnv()))
	}
	os.Exit(m.Run())
}

// testNow is the tests' current time: just after the synthetic history's
// newest event, so that the default 90-day window covers it all.
var testNow = cloudtrailtest.DefaultNewest.Add(time.Hour)

type result struct {
	code           int
	stdout, stderr string
}

// runCommand runs trailguard in-process with args.
func runCommand(t *testing.T, stdin string, terminal bool, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	e := &env{
		stdin:    strings.NewReader(stdin),
		stdout:   &stdout,
		stderr:   &stderr,
		terminal: terminal,
		now:      func() time.Time { return testNow },
	}
	code := run(context.Background(), args, e)
	r := result{code, stdout.String(), stderr.String()}
	if strings.Contains(r.stderr, "goroutine ") || strings.Contains(r.stderr, "panic") {
		t.Errorf("stderr holds a stack trace:\n%s", r.stderr)
	}
	return r
}

// useServer points the AWS SDK's standard configuration chain at srv with
// static fake credentials, isolated from the machine's AWS files.
func useServer(t *testing.T, srv *cloudtrailtest.Server) {
	t.Helper()
	dir := t.TempDir()
	url := ""
	if srv != nil {
		url = srv.URL
	}
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL":            url,
		"AWS_ACCESS_KEY_ID":           "AKIAEXAMPLEFAKE",
		"AWS_SECRET_ACCESS_KEY":       "fake-secret",
		"AWS_SESSION_TOKEN":           "",
		"AWS_REGION":                  "us-east-1",
		"AWS_DEFAULT_REGION":          "",
		"AWS_PROFILE":                 "",
		"AWS_DEFAULT_PROFILE":         "",
		"AWS_CONFIG_FILE":             filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
		"AWS_EC2_METADATA_DISABLED":   "true",
		"AWS_MAX_ATTEMPTS":            "",
		"AWS_RETRY_MODE":              "",
	} {
		t.Setenv(k, v)
	}
}

func newServer(t *testing.T, opts cloudtrailtest.Options) *cloudtrailtest.Server {
	t.Helper()
	srv := cloudtrailtest.NewServer(opts)
	t.Cleanup(srv.Close)
	useServer(t, srv)
	return srv
}

// readIDs returns the event IDs of a JSON Lines file, in order.
func readIDs(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var ids []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r struct {
			EventID string `json:"eventID"`
		}
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("%s line %d: %v", path, len(ids)+1, err)
		}
		ids = append(ids, r.EventID)
	}
	return ids
}

func ids(region string, n int, keep func(int) bool) []string {
	var out []string
	for i := range n {
		if keep == nil || keep(i) {
			out = append(out, cloudtrailtest.EventID(region, i))
		}
	}
	return out
}

// fast makes the command skip pacing and retry quickly: the server's own
// limit, if any, still applies.
var fast = []string{"--rate", "100000", "--max-backoff", "5ms", "--retry-mode", "standard"}

func TestHistoryExport(t *testing.T) {
	always := func(f cloudtrailtest.Fault) func(cloudtrailtest.Request) cloudtrailtest.Fault {
		return func(cloudtrailtest.Request) cloudtrailtest.Fault { return f }
	}
	tests := []struct {
		name       string
		server     cloudtrailtest.Options
		args       []string
		wantCode   int
		wantStderr []string
		wantIDs    map[string][]string // region file -> IDs
	}{
		{
			name: "all enabled regions by default",
			server: cloudtrailtest.Options{
				Regions: []string{"eu-west-1", "us-east-1"}, DisabledRegions: []string{"me-south-1"}, Events: 120,
			},
			wantStderr: []string{"exported 240 events, 2 of 2 regions complete", "eu-west-1: done, 120 events in 3 pages",
				"SHA-256 manifest of 2 files: ", "&& sha256sum -c MANIFEST.sha256)"},
			wantIDs: map[string][]string{"eu-west-1": ids("eu-west-1", 120, nil), "us-east-1": ids("us-east-1", 120, nil)},
		},
		{
			name:   "named region, lookup attribute and window",
			server: cloudtrailtest.Options{Events: 400},
			args: []string{"--regions", "us-east-1", "--lookup", "EventName=ConsoleLogin",
				"--start", "2026-03-02T11:59:00Z", "--end", "2026-03-02T12:00:00Z"},
			// Three events a second: the last minute holds events 0-182.
			wantIDs: map[string][]string{"us-east-1": ids("us-east-1", 183, func(i int) bool { return cloudtrailtest.EventName(i) == "ConsoleLogin" })},
		},
		{
			name: "throttling and transient server errors",
			server: cloudtrailtest.Options{Events: 300, RequestsPerSecond: 100, Burst: 1,
				Fault: func(r cloudtrailtest.Request) cloudtrailtest.Fault {
					if r.N%4 == 0 {
						return cloudtrailtest.ServiceUnavailable
					}
					return cloudtrailtest.NoFault
				}},
			args:    []string{"--regions", "us-east-1", "--max-attempts", "30"},
			wantIDs: map[string][]string{"us-east-1": ids("us-east-1", 300, nil)},
		},
		{
			name:       "log files",
			server:     cloudtrailtest.Options{Events: 60},
			args:       []string{"--regions", "us-east-1", "--format", "cloudtrail", "--events-per-file", "25"},
			wantStderr: []string{"exported 60 events", "as cloudtrail"},
		},
		{
			name:       "access denied names the permission",
			server:     cloudtrailtest.Options{Events: 60, Fault: always(cloudtrailtest.AccessDenied)},
			args:       []string{"--regions", "us-east-1"},
			wantCode:   exitFailed,
			wantStderr: []string{"us-east-1: access denied: the caller needs cloudtrail:LookupEvents in us-east-1", "rerun the same command to resume"},
		},
		{
			name:       "listing regions denied",
			server:     cloudtrailtest.Options{DenyListRegions: true},
			wantCode:   exitFailed,
			wantStderr: []string{"cannot list the account's enabled regions", "account:ListRegions", "--regions"},
		},
		{
			name:       "region not enabled",
			server:     cloudtrailtest.Options{Events: 60},
			args:       []string{"--regions", "us-east-1,me-south-1"},
			wantCode:   exitFailed,
			wantStderr: []string{"me-south-1: AWS rejected the credentials in me-south-1", "not enabled", "1 of 2 regions failed, 1 complete"},
			wantIDs:    map[string][]string{"us-east-1": ids("us-east-1", 60, nil)},
		},
		{
			name:       "throttled beyond the retries",
			server:     cloudtrailtest.Options{Events: 60, Fault: always(cloudtrailtest.Throttle)},
			args:       []string{"--regions", "us-east-1", "--max-attempts", "2"},
			wantCode:   exitFailed,
			wantStderr: []string{"still throttled after 2 attempts"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			newServer(t, tt.server)
			out := filepath.Join(t.TempDir(), "eh")
			args := append([]string{"history", "export", "--out", out}, fast...)
			r := runCommand(t, "", false, append(args, tt.args...)...)
			if r.code != tt.wantCode {
				t.Fatalf("exit code %d, want %d; stderr:\n%s", r.code, tt.wantCode, r.stderr)
			}
			for _, s := range tt.wantStderr {
				if !strings.Contains(r.stderr, s) {
					t.Errorf("stderr lacks %q:\n%s", s, r.stderr)
				}
			}
			for region, want := range tt.wantIDs {
				if diff := cmp.Diff(want, readIDs(t, filepath.Join(out, region+".jsonl"))); diff != "" {
					t.Errorf("%s events (-want +got):\n%s", region, diff)
				}
			}
			if r.stdout != "" {
				t.Errorf("stdout = %q, want nothing", r.stdout)
			}
		})
	}
}

func TestHistoryExportUsageErrors(t *testing.T) {
	newServer(t, cloudtrailtest.Options{Events: 10})
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown format", []string{"--format", "csv"}, `--format must be jsonl or cloudtrail, got "csv"`},
		{"unknown lookup key", []string{"--lookup", "Region=x"}, `--lookup: unknown attribute "Region"`},
		{"lookup without value", []string{"--lookup", "EventName"}, "--lookup: want Key=Value"},
		{"unreadable start", []string{"--start", "yesterday"}, `--start: cannot read "yesterday" as a time`},
		{"start after end", []string{"--start", "2026-03-02", "--end", "2026-03-01"}, "is not before --end"},
		{"bad region", []string{"--regions", "us-east1"}, `--regions: "us-east1" is not an AWS region name`},
		{"rate", []string{"--rate", "0"}, "--rate must be positive"},
		{"retry mode", []string{"--retry-mode", "legacy"}, "--retry-mode must be adaptive or standard"},
		{"unknown flag", []string{"--nope"}, "unknown flag: --nope"},
		{"argument", []string{"extra"}, `takes no arguments, got "extra"`},
		{"unknown profile", []string{"--profile", "nosuch"}, `--profile: no profile "nosuch"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "eh")
			r := runCommand(t, "", false, append([]string{"history", "export", "--out", out}, tt.args...)...)
			if r.code != exitUsage {
				t.Errorf("exit code %d, want %d; stderr:\n%s", r.code, exitUsage, r.stderr)
			}
			if !strings.Contains(r.stderr, tt.want) || !strings.Contains(r.stderr, "--help") {
				t.Errorf("stderr lacks %q and a --help hint:\n%s", tt.want, r.stderr)
			}
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Errorf("a usage error created the output directory (stat: %v)", err)
			}
		})
	}
}

func TestCommandLine(t *testing.T) {
	tests := []struct {
		args     []string
		wantCode int
		want     string
	}{
		{nil, exitOK, "Usage:"},
		{[]string{"--help"}, exitOK, "Exit codes:\n  0    success (for detect: it ran, whether or not there were alerts)\n  1    the work failed"},
		{[]string{"--version"}, exitOK, "trailguard version " + trailguard.Version + " (module "},
		{[]string{"history"}, exitOK, "export"},
		{[]string{"bogus"}, exitUsage, `unknown command "bogus" for "trailguard"`},
		{[]string{"history", "bogus"}, exitUsage, `unknown command "bogus" for "trailguard history"`},
	}
	for _, tt := range tests {
		r := runCommand(t, "", false, tt.args...)
		if r.code != tt.wantCode || !strings.Contains(r.stdout+r.stderr, tt.want) {
			t.Errorf("trailguard %s: exit code %d, output %q; want %d and %q", strings.Join(tt.args, " "), r.code, r.stdout+r.stderr, tt.wantCode, tt.want)
		}
	}
}

func TestHistoryExportMissingCredentials(t *testing.T) {
	newServer(t, cloudtrailtest.Options{Events: 10})
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	r := runCommand(t, "", false, "history", "export", "--regions", "us-east-1", "--out", filepath.Join(t.TempDir(), "eh"))
	if r.code != exitFailed || !strings.Contains(r.stderr, "AWS credentials") || strings.Count(r.stderr, "\n") != 1 {
		t.Errorf("exit code %d, stderr:\n%s\nwant %d and one line about AWS credentials", r.code, r.stderr, exitFailed)
	}
}

// TestHistoryExportResume fails an export midway, then runs the same command
// line again: the second run completes it, every event exactly once.
func TestHistoryExportResume(t *testing.T) {
	regions := []string{"eu-west-1", "us-east-1"}
	var failing atomic.Bool
	srv := newServer(t, cloudtrailtest.Options{Regions: regions, Events: 400, Fault: func(r cloudtrailtest.Request) cloudtrailtest.Fault {
		if failing.Load() && r.Region == "us-east-1" && r.Pages >= 3 {
			return cloudtrailtest.ExpiredToken
		}
		return cloudtrailtest.NoFault
	}})
	for _, format := range []string{"jsonl", "cloudtrail"} {
		t.Run(format, func(t *testing.T) {
			failing.Store(true)
			out := filepath.Join(t.TempDir(), "eh")
			args := append([]string{"history", "export", "--out", out, "--start", "7d", "--format", format}, fast...)
			r := runCommand(t, "", false, args...)
			first := regexp.MustCompile(`exported (\d+) events, 1 of 2 regions complete`).FindStringSubmatch(r.stderr)
			if r.code != exitFailed || !strings.Contains(r.stderr, "credentials expired") || first == nil {
				t.Fatalf("first run: exit code %d, stderr:\n%s", r.code, r.stderr)
			}
			firstEvents, _ := strconv.Atoi(first[1])
			failing.Store(false)
			srv.ExpireTokens()
			// "7d" means another time now than in the first run: a resume keeps
			// the first run's window instead of rejecting the flag.
			testNow = testNow.Add(time.Minute)
			defer func() { testNow = testNow.Add(-time.Minute) }()
			r = runCommand(t, "", false, args...)
			// The second run reports its own work: us-east-1's remaining
			// events, not eu-west-1's, which the first run completed.
			summary := regexp.MustCompile(`exported \(resumed\) (\d+) events in this run \(800 in the export\), 2 of 2 regions complete`)
			m := summary.FindStringSubmatch(r.stderr)
			if r.code != exitOK || m == nil {
				t.Fatalf("second run: exit code %d, stderr:\n%s", r.code, r.stderr)
			}
			if n, _ := strconv.Atoi(m[1]); n != 800-firstEvents {
				t.Errorf("second run reports %d events of its own, want %d: the 800 less the first run's %d", n, 800-firstEvents, firstEvents)
			}
			if strings.Contains(r.stderr, "eu-west-1: done") || !strings.Contains(r.stderr, "us-east-1: done") {
				t.Errorf("second run reports another run's completion, or not its own:\n%s", r.stderr)
			}
			r = runCommand(t, "", false, args...)
			if r.code != exitOK || !strings.Contains(r.stderr, "nothing to do: the export in "+out+" is complete (800 events of 2 regions)") {
				t.Fatalf("third run: exit code %d, stderr:\n%s", r.code, r.stderr)
			}
			if format == "jsonl" {
				for _, region := range regions {
					if diff := cmp.Diff(ids(region, 400, nil), readIDs(t, filepath.Join(out, region+".jsonl"))); diff != "" {
						t.Errorf("%s events (-want +got):\n%s", region, diff)
					}
				}
				return
			}
			// The log files hold the same records as a JSON Lines export.
			converted := filepath.Join(t.TempDir(), "all.jsonl")
			var files []string
			filepath.WalkDir(filepath.Join(out, "AWSLogs"), func(path string, d os.DirEntry, err error) error {
				if err == nil && !d.IsDir() {
					files = append(files, path)
				}
				return nil
			})
			r = runCommand(t, "", false, append([]string{"history", "convert", "--out", converted}, files...)...)
			if r.code != exitOK || !strings.Contains(r.stderr, "converted 800 records of 2 regions (0 duplicates skipped)") {
				t.Errorf("converting the log files: exit code %d, stderr:\n%s", r.code, r.stderr)
			}
		})
	}
}

// TestHistoryExportInterrupt sends SIGINT to a running export: it must save
// its progress and exit 130 with one clear line, and the same command must
// then finish the export.
func TestHistoryExportInterrupt(t *testing.T) {
	srv := newServer(t, cloudtrailtest.Options{Regions: []string{"eu-west-1", "us-east-1"}, Events: 400})
	out := filepath.Join(t.TempDir(), "eh")
	args := []string{"history", "export", "--out", out, "--regions", "eu-west-1,us-east-1", "--start", "2026-02-01", "--end", "2026-03-03"}

	// 8 pages a region at 4 requests a second: about 2 seconds.
	cmd := exec.Command(os.Args[0], append(args, "--rate", "4")...)
	cmd.Env = append(os.Environ(), childEnv+"=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Interrupt once events are on disk.
	deadline := time.Now().Add(10 * time.Second)
	for {
		if fi, err := os.Stat(filepath.Join(out, "us-east-1.jsonl")); err == nil && fi.Size() > 0 {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("no events written after 10s; stderr:\n%s", stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGINT)
	err := cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != exitInterrupted {
		t.Fatalf("interrupted export: %v, want exit code %d; stderr:\n%s", err, exitInterrupted, stderr.String())
	}
	if !strings.Contains(stderr.String(), "interrupted: progress is saved in") || strings.Contains(stderr.String(), "goroutine ") {
		t.Errorf("stderr of the interrupted export:\n%s", stderr.String())
	}
	before := srv.Stats("us-east-1").Pages
	if before >= 8 {
		t.Fatalf("the export finished (%d pages) before the interrupt: nothing was tested", before)
	}

	r := runCommand(t, "", false, append(args, fast...)...)
	if r.code != exitOK {
		t.Fatalf("resumed export: exit code %d, stderr:\n%s", r.code, r.stderr)
	}
	for _, region := range []string{"eu-west-1", "us-east-1"} {
		if diff := cmp.Diff(ids(region, 400, nil), readIDs(t, filepath.Join(out, region+".jsonl"))); diff != "" {
			t.Errorf("%s events (-want +got):\n%s", region, diff)
		}
	}
}

// TestHistoryExportProgressBars runs with stderr as a terminal: the bars
// must draw and end, and the command still succeed.
func TestHistoryExportProgressBars(t *testing.T) {
	newServer(t, cloudtrailtest.Options{Regions: []string{"eu-west-1", "us-east-1"}, Events: 150})
	r := runCommand(t, "", true, append([]string{"history", "export", "--out", filepath.Join(t.TempDir(), "eh")}, fast...)...)
	if r.code != exitOK {
		t.Fatalf("exit code %d, stderr:\n%s", r.code, r.stderr)
	}
	for _, want := range []string{"eu-west-1", "us-east-1", "done 150 ev 3 pg", "exported 300 events"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	quiet := runCommand(t, "", true, append([]string{"history", "export", "-q", "--out", filepath.Join(t.TempDir(), "eh")}, fast...)...)
	if quiet.code != exitOK || quiet.stderr != "" {
		t.Errorf("--quiet: exit code %d, stderr %q; want 0 and nothing", quiet.code, quiet.stderr)
	}
	// No bar was ever added: the display must still end.
	newServer(t, cloudtrailtest.Options{DenyListRegions: true})
	if r := runCommand(t, "", true, "history", "export", "--out", filepath.Join(t.TempDir(), "eh")); r.code != exitFailed {
		t.Errorf("export without bars: exit code %d, want %d; stderr:\n%s", r.code, exitFailed, r.stderr)
	}
}

func TestHistoryConvert(t *testing.T) {
	dir := t.TempDir()
	record := func(id, region string) string {
		return `{"eventVersion":"1.09","eventTime":"2026-03-02T10:00:00Z","eventName":"ConsoleLogin","awsRegion":"` + region +
			`","eventID":"` + id + `","recipientAccountId":"123456789012"}`
	}
	download := filepath.Join(dir, "event_history.json")
	os.WriteFile(download, []byte("{\n  \"Records\": [\n    "+record("a", "us-east-1")+",\n    "+record("b", "us-east-1")+"\n  ]\n}\n"), 0o644)
	summary := filepath.Join(dir, "event_history.csv")
	os.WriteFile(summary, []byte("Event name,Event time,User name\nConsoleLogin,2026-03-02T10:00:00Z,alice\n"), 0o644)

	tests := []struct {
		name       string
		stdin      string
		args       []string
		wantCode   int
		wantStdout string
		wantStderr string
		wantFile   string // a file the command must create, relative to dir
	}{
		{
			name:       "console JSON to JSON Lines",
			args:       []string{download, "--out", filepath.Join(dir, "out.jsonl")},
			wantStderr: "converted 2 records of 1 regions (0 duplicates skipped)",
			wantFile:   "out.jsonl",
		},
		{
			name:       "standard input to standard output, overlapping inputs",
			stdin:      "[" + record("b", "us-east-1") + "," + record("c", "eu-west-1") + "]",
			args:       []string{download, "-"},
			wantStdout: record("a", "us-east-1") + "\n" + record("b", "us-east-1") + "\n" + record("c", "eu-west-1") + "\n",
			wantStderr: "converted 3 records of 2 regions (1 duplicates skipped) to standard output",
		},
		{
			name:       "console JSON to log files",
			args:       []string{download, "--format", "cloudtrail", "--out", filepath.Join(dir, "logs")},
			wantStderr: "as cloudtrail",
			wantFile:   "logs/AWSLogs/123456789012/CloudTrail/us-east-1/2026/03/02/123456789012_CloudTrail_us-east-1_20260302T1000Z_trailguard000000.json.gz",
		},
		{
			name:       "CSV summary",
			args:       []string{summary},
			wantCode:   exitFailed,
			wantStderr: "download the JSON file",
		},
		{name: "missing file", args: []string{filepath.Join(dir, "nope.json")}, wantCode: exitFailed, wantStderr: "no such file"},
		{name: "no file", args: nil, wantCode: exitUsage, wantStderr: "convert needs at least one FILE"},
		{name: "log files need a directory", args: []string{download, "--format", "cloudtrail"}, wantCode: exitUsage, wantStderr: "--format cloudtrail needs --out DIRECTORY"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCommand(t, tt.stdin, false, append([]string{"history", "convert"}, tt.args...)...)
			if r.code != tt.wantCode {
				t.Fatalf("exit code %d, want %d; stderr:\n%s", r.code, tt.wantCode, r.stderr)
			}
			if !strings.Contains(r.stderr, tt.wantStderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.wantStderr, r.stderr)
			}
			if r.stdout != tt.wantStdout {
				t.Errorf("stdout:\n%s\nwant:\n%s", r.stdout, tt.wantStdout)
			}
			if tt.wantFile != "" {
				if _, err := os.Stat(filepath.Join(dir, tt.wantFile)); err != nil {
					t.Errorf("output file missing: %v", err)
				}
			}
		})
	}
}

func TestParseTime(t *testing.T) {
	now := time.Date(2026, 3, 2, 12, 30, 15, 0, time.UTC)
	tests := []struct {
		in           string
		want         time.Time
		wantRelative bool
		wantErr      bool
	}{
		{"2026-03-01T12:00:00Z", time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC), false, false},
		{"2026-03-01T14:00:00+02:00", time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC), false, false},
		{"2026-03-01", time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), false, false},
		{"2026-03-01T08:15", time.Date(2026, 3, 1, 8, 15, 0, 0, time.UTC), false, false},
		{"7d", now.Add(-7 * 24 * time.Hour), true, false},
		{"36h", now.Add(-36 * time.Hour), true, false},
		{"90m", now.Add(-90 * time.Minute), true, false},
		{"yesterday", time.Time{}, false, true},
		{"-7d", time.Time{}, false, true},
	}
	for _, tt := range tests {
		got, relative, err := parseTime(tt.in, now)
		if (err != nil) != tt.wantErr || !got.Equal(tt.want) || relative != tt.wantRelative {
			t.Errorf("parseTime(%q) = %v, %v, %v; want %v, %v, error %v", tt.in, got, relative, err, tt.want, tt.wantRelative, tt.wantErr)
		}
	}
}

func TestGroup(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -1234: "-1,234"} {
		if got := group(n); got != want {
			t.Errorf("group(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestNoSDKWarnings runs the command as a process, as users do, where the SDK would write its
// own warnings to stderr: looking for credentials on an EC2 instance metadata service that
// refuses tokens, the SDK warns that it falls back to IMDSv1. The user must see one line from
// trailguard and nothing from the SDK.
func TestNoSDKWarnings(t *testing.T) {
	newServer(t, cloudtrailtest.Options{Events: 10})
	imds := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut {
			http.Error(w, "forbidden", http.StatusForbidden) // no IMDSv2 token
			return
		}
		http.NotFound(w, r)
	}))
	defer imds.Close()
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "false")
	t.Setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.URL)
	cmd := exec.Command(os.Args[0], "history", "export", "--regions", "us-east-1", "--out", filepath.Join(t.TempDir(), "eh"))
	cmd.Env = append(os.Environ(), childEnv+"=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != exitFailed {
		t.Fatalf("exit: %v, want code %d; stderr:\n%s", err, exitFailed, stderr.String())
	}
	if got := stderr.String(); strings.Contains(got, "SDK ") || strings.Contains(got, "WARN") || strings.Count(got, "\n") != 1 {
		t.Errorf("stderr holds more than trailguard's one line:\n%s", got)
	}
}
