package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func str(s string) *string { return &s }

// queryNow is the tests' current time for `trailguard query`.
var queryNow = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

// runQueryCommand runs trailguard in-process with ctx, at queryNow.
func runQueryCommand(t *testing.T, ctx context.Context, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, now: func() time.Time { return queryNow }}
	code := run(ctx, args, e)
	r := result{code, stdout.String(), stderr.String()}
	if strings.Contains(r.stderr, "goroutine ") || strings.Contains(r.stderr, "panic") {
		t.Errorf("stderr holds a stack trace:\n%s", r.stderr)
	}
	return r
}

func TestQueryNamedCSV(t *testing.T) {
	f := newFakeAthena(t)
	f.states = []fakeState{{state: "QUEUED"}, {state: "RUNNING", scanned: 5_000_000}, {state: "SUCCEEDED", scanned: 2_345_678_901}}
	f.columns = []string{"eventtime", "eventname", "principalarn"}
	for i := range 2500 {
		f.rows = append(f.rows, []*string{str(time.Date(2026, 1, 1, 0, 0, i, 0, time.UTC).Format(time.RFC3339)), str("GetObject"), str(`arn:aws:iam::333333333333:role/x,"quoted"`)})
	}
	r := runQueryCommand(t, context.Background(), "query", "--region", "eu-west-1", "--named", "principal-activity",
		"--principal", "arn:aws:iam::333333333333:role/x", "--start", "2025-10-01", "--end", "2026-12-01", "--poll", "100ms")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if len(f.started) != 1 {
		t.Fatalf("%d queries started", len(f.started))
	}
	in := f.started[0]
	if in["WorkGroup"] != "trailguard-archive-query" || get(in, "QueryExecutionContext", "Database") != "trailguard_archive" {
		t.Errorf("workgroup %v, context %v", in["WorkGroup"], in["QueryExecutionContext"])
	}
	sql := in["QueryString"].(string)
	if !strings.Contains(sql, `FROM "trailguard_archive"."cloudtrail_logs"`) || !strings.Contains(sql, `"timestamp" BETWEEN ? AND ?`) {
		t.Errorf("query string:\n%s", sql)
	}
	want := []any{"'2025/10/01'", "'2026/12/02'", "'2025-10-01T00:00:00Z'", "'2026-12-01T00:00:00Z'", "'arn:aws:iam::333333333333:role/x'"}
	if diff := cmp.Diff(want, in["ExecutionParameters"]); diff != "" {
		t.Errorf("execution parameters (-want +got):\n%s", diff)
	}
	recs, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	// The header once (Athena's header row is skipped), then every row of every page.
	if len(recs) != 2501 || !cmp.Equal(recs[0], f.columns) || recs[2500][2] != `arn:aws:iam::333333333333:role/x,"quoted"` {
		t.Errorf("%d records, first %v, last %v", len(recs), recs[0], recs[len(recs)-1])
	}
	// Distinct pages, not requests: under load the SDK may retry a page it timed out on.
	if len(f.pages) != 3 {
		t.Errorf("%d distinct result pages read, want 3: %v", len(f.pages), f.pages)
	}
	for _, want := range []string{"query " + fakeQueryID + " started", "SUCCEEDED, 2.35 GB scanned", "2500 rows, 2.35 GB scanned (about $0.0117",
		"the results are also in s3://trailguard-query-results-222222222222-eu-west-1/" + fakeQueryID + ".csv"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
}

func TestQueryWhereJSONLinesToFile(t *testing.T) {
	f := newFakeAthena(t)
	f.states = []fakeState{{state: "SUCCEEDED", scanned: 123}}
	f.columns = []string{"eventname", "errorcode"}
	f.rows = [][]*string{{str("ConsoleLogin"), nil}, {str(`Put"Object`), str("AccessDenied")}}
	out := filepath.Join(t.TempDir(), "logins.jsonl")
	r := runQueryCommand(t, context.Background(), "query", "--region", "eu-west-1", "--where", "eventname = 'ConsoleLogin'",
		"--start", "7d", "--account", "333333333333", "--log-region", "us-east-1", "--format", "jsonl", "-o", out)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if want := "{\"eventname\":\"ConsoleLogin\",\"errorcode\":null}\n{\"eventname\":\"Put\\\"Object\",\"errorcode\":\"AccessDenied\"}\n"; string(got) != want {
		t.Errorf("output:\n%s\nwant:\n%s", got, want)
	}
	sql := f.started[0]["QueryString"].(string)
	for _, want := range []string{`"timestamp" BETWEEN '2026/11/24' AND '2026/12/02'`, "eventtime >= '2026-11-24T12:00:00Z' AND eventtime < '2026-12-01T12:00:00Z'",
		"account IN ('333333333333')", "region IN ('us-east-1')", "AND (eventname = 'ConsoleLogin')"} {
		if !strings.Contains(sql, want) {
			t.Errorf("query lacks %q:\n%s", want, sql)
		}
	}
	if f.started[0]["ExecutionParameters"] != nil {
		t.Errorf("ad hoc query sent parameters %v", f.started[0]["ExecutionParameters"])
	}
	if !strings.Contains(r.stderr, "2 rows, 123 B scanned (about $0.0001") {
		t.Errorf("stderr:\n%s", r.stderr)
	}
}

func TestQueryFailures(t *testing.T) {
	tests := []struct {
		name   string
		setup  func(f *fakeAthena)
		code   int
		stderr []string
	}{
		{"scan cutoff", func(f *fakeAthena) {
			f.states = []fakeState{{state: "RUNNING", scanned: 9e9}, {state: "FAILED", scanned: 10_000_000_000, reason: "Query cancelled! : Bytes scanned limit was exceeded"}}
		}, 1, []string{"query " + fakeQueryID + " failed after scanning 10.00 GB: Query cancelled! : Bytes scanned limit was exceeded", "raise archiveQuery.bytesScannedCutoffPerQuery"}},
		{"not the query role", func(f *fakeAthena) {
			f.fail["StartQueryExecution"] = fakeError{400, "AccessDeniedException", "User: arn:aws:sts::333333333333:assumed-role/Admin/x is not authorized to perform: athena:StartQueryExecution"}
		}, 1, []string{"could not start the query: AccessDeniedException: User:", "run as trailguard-archive-query"}},
		{"no workgroup", func(f *fakeAthena) {
			f.fail["StartQueryExecution"] = fakeError{400, "InvalidRequestException", "WorkGroup trailguard-archive-query is not found."}
		}, 1, []string{"InvalidRequestException: WorkGroup trailguard-archive-query is not found.", "is archiveQuery.enabled deployed"}},
		{"reading the archive denied", func(f *fakeAthena) {
			f.states = []fakeState{{state: "FAILED", reason: "Permission denied on S3 path: s3://trailguard-archive/AWSLogs/o-x/..."}}
		}, 1, []string{"failed after scanning 0 B: Permission denied on S3 path", "run as trailguard-archive-query"}},
		{"cancelled elsewhere", func(f *fakeAthena) {
			f.states = []fakeState{{state: "CANCELLED", reason: "Query cancelled by user"}}
		}, 1, []string{"was cancelled after scanning 0 B: Query cancelled by user"}},
		{"throttled poll is retried", func(f *fakeAthena) {
			f.states = []fakeState{{state: "SUCCEEDED", scanned: 1}}
			f.fail["GetQueryExecution"] = fakeError{400, "ThrottlingException", "Rate exceeded"}
			f.failOnce = true
		}, 0, []string{"0 rows"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeAthena(t)
			f.columns = []string{"eventname"}
			tc.setup(f)
			r := runQueryCommand(t, context.Background(), "query", "--region", "eu-west-1", "--where", "true", "--start", "1d", "--poll", "100ms")
			if r.code != tc.code {
				t.Errorf("exit %d, want %d: %s", r.code, tc.code, r.stderr)
			}
			for _, want := range tc.stderr {
				if !strings.Contains(r.stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
				}
			}
		})
	}
}

// TestQueryInterruptStopsTheQuery: an interrupted query is stopped in Athena, not left
// scanning (and billing) until the cutoff, and no partial output file is left.
func TestQueryInterruptStopsTheQuery(t *testing.T) {
	f := newFakeAthena(t)
	f.states = []fakeState{{state: "RUNNING", scanned: 1_000_000}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f.onPoll = func(n int) {
		if n == 2 {
			cancel()
		}
	}
	out := filepath.Join(t.TempDir(), "out.csv")
	r := runQueryCommand(t, ctx, "query", "--region", "eu-west-1", "--named", "access-denied-by-principal", "--start", "30d", "--poll", "100ms", "-o", out)
	if r.code != exitInterrupted {
		t.Errorf("exit %d, want %d: %s", r.code, exitInterrupted, r.stderr)
	}
	if !cmp.Equal(f.stopped, []string{fakeQueryID}) {
		t.Errorf("stopped %v, want the query", f.stopped)
	}
	if !strings.Contains(r.stderr, "stopped query "+fakeQueryID) {
		t.Errorf("stderr:\n%s", r.stderr)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("output file exists after an interrupt: %v", err)
	}
}

// TestQueryResultsFailureLeavesNoFile: a download that fails midway leaves neither the
// output file nor a temporary file.
func TestQueryResultsFailureLeavesNoFile(t *testing.T) {
	f := newFakeAthena(t)
	f.states = []fakeState{{state: "SUCCEEDED"}}
	f.columns = []string{"eventname"}
	f.fail["GetQueryResults"] = fakeError{400, "InvalidRequestException", "Query has not yet finished"}
	dir := t.TempDir()
	r := runQueryCommand(t, context.Background(), "query", "--region", "eu-west-1", "--where", "true", "--start", "1d", "-o", filepath.Join(dir, "out.csv"))
	if r.code != 1 || !strings.Contains(r.stderr, "could not read the results: InvalidRequestException") {
		t.Errorf("exit %d: %s", r.code, r.stderr)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("files left: %v", left)
	}
}

func TestQueryUsage(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no query", []string{"--start", "1d"}, "give exactly one of --named, --where and --sql"},
		{"two queries", []string{"--named", "principal-activity", "--where", "true", "--start", "1d"}, "give exactly one of"},
		{"no start", []string{"--where", "true"}, "--start is required"},
		{"bad start", []string{"--where", "true", "--start", "last tuesday"}, `--start: cannot read "last tuesday" as a time`},
		{"start after end", []string{"--where", "true", "--start", "2026-11-02", "--end", "2026-11-01"}, "is not before --end"},
		{"unknown named", []string{"--named", "who-did-it", "--start", "1d"}, `--named: no query "who-did-it"; the named queries are principal-activity, resource-activity`},
		{"missing principal", []string{"--named", "principal-activity", "--start", "1d"}, "query principal-activity needs --principal"},
		{"sql without range", []string{"--sql", "SELECT * FROM cloudtrail_logs", "--start", "1d"}, "--sql must contain $RANGE"},
		{"format", []string{"--where", "true", "--start", "1d", "--format", "xml"}, `--format must be csv or jsonl, got "xml"`},
		{"account", []string{"--where", "true", "--start", "1d", "--account", "prod"}, `--account must be a 12-digit account id, got "prod"`},
		{"account with named", []string{"--named", "console-signin-without-mfa", "--start", "1d", "--account", "333333333333"}, "--account and --log-region apply to --where and --sql only"},
		{"table", []string{"--where", "true", "--start", "1d", "--table", `x"; DROP`}, "--table must be lowercase letters"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeAthena(t)
			r := runQueryCommand(t, context.Background(), append([]string{"query"}, tc.args...)...)
			if r.code != exitUsage || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("exit %d, stderr:\n%s\nwant exit 2 and %q", r.code, r.stderr, tc.want)
			}
			if len(f.started) != 0 {
				t.Errorf("a query was started")
			}
		})
	}
}

func TestQueryDryRunAndList(t *testing.T) {
	newFakeAthena(t)
	r := runQueryCommand(t, context.Background(), "query", "--sql", "SELECT count(*) FROM cloudtrail_logs WHERE $RANGE", "--start", "2026-11-30", "--end", "2026-12-01", "--dry-run")
	want := `SELECT count(*) FROM cloudtrail_logs WHERE ("timestamp" BETWEEN '2026/11/30' AND '2026/12/02' AND eventtime >= '2026-11-30T00:00:00Z' AND eventtime < '2026-12-01T00:00:00Z')` + "\n"
	if r.code != 0 || r.stdout != want {
		t.Errorf("exit %d, stdout:\n%s\nwant:\n%s", r.code, r.stdout, want)
	}
	r = runQueryCommand(t, context.Background(), "query", "--list")
	for _, n := range []string{"principal-activity", "resource-activity", "console-signin-without-mfa", "access-denied-by-principal", "events-around-event"} {
		if r.code != 0 || !strings.Contains(r.stdout, n+"\n") {
			t.Errorf("--list lacks %s:\n%s", n, r.stdout)
		}
	}
}

// get follows keys through nested JSON objects.
func get(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// BenchmarkQueryResults measures downloading and writing results: 100,000 rows of 11 columns
// (the --where columns) in pages of 1,000 from the local fake, through the real SDK client.
func BenchmarkQueryResults(b *testing.B) {
	for _, format := range []string{"csv", "jsonl"} {
		b.Run(format, func(b *testing.B) {
			f := newFakeAthenaB(b)
			f.states = []fakeState{{state: "SUCCEEDED", scanned: 1}}
			f.columns = []string{"eventtime", "account", "region", "eventsource", "eventname", "errorcode", "principalarn", "sourceipaddress", "useragent", "requestparameters", "eventid"}
			row := []*string{str("2026-01-01T00:00:00Z"), str("333333333333"), str("eu-west-1"), str("s3.amazonaws.com"), str("GetObject"), nil,
				str("arn:aws:sts::333333333333:assumed-role/app/i-0123456789abcdef0"), str("10.0.0.1"), str("aws-sdk-go-v2/1.30.0 os/linux"),
				str(`{"bucketName":"app-data","key":"reports/2026/01/01/report.csv"}`), str("0f6a3d52-1b2c-4d5e-8f90-123456789abc")}
			for range 100_000 {
				f.rows = append(f.rows, row)
			}
			out := filepath.Join(b.TempDir(), "out")
			b.ResetTimer()
			for range b.N {
				var stdout, stderr bytes.Buffer
				e := &env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, now: func() time.Time { return queryNow }}
				if code := run(context.Background(), []string{"query", "--region", "eu-west-1", "--where", "true", "--start", "1d", "--format", format, "-o", out, "-q"}, e); code != 0 {
					b.Fatalf("exit %d: %s", code, stderr.String())
				}
			}
			b.ReportMetric(float64(100_000*b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
