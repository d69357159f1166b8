package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// fakeAthena is a local fake of the Athena API (JSON 1.1 protocol, the X-Amz-Target header
// names the operation, https://docs.aws.amazon.com/athena/latest/APIReference/Welcome.html)
// serving the real SDK client through a custom endpoint: StartQueryExecution,
// GetQueryExecution, GetQueryResults (paged by NextToken) and StopQueryExecution.
type fakeAthena struct {
	*httptest.Server
	mu sync.Mutex
	// states are the query's successive states, one per GetQueryExecution; the last repeats.
	states []fakeState
	// columns and rows are the results (rows without the header row Athena adds).
	columns []string
	rows    [][]*string
	// pageSize is the most rows a GetQueryResults page holds, header included.
	pageSize int
	// fail makes an operation return an error: "Op" -> {status, type, message}, once if
	// failOnce.
	fail     map[string]fakeError
	failOnce bool

	// What the client sent.
	started []map[string]any
	stopped []string
	polls   int
	// pages counts GetQueryResults requests by NextToken ("" for the first page); an
	// SDK retry of a slow response asks for the same page again.
	pages  map[string]int
	onPoll func(n int) // called after each GetQueryExecution
}

type fakeState struct {
	state, reason string
	scanned       int64
}

type fakeError struct {
	status       int
	typ, message string
}

const fakeQueryID = "3f0c1e2d-0000-4000-8000-000000000001"

func newFakeAthena(t *testing.T) *fakeAthena {
	t.Helper()
	f := &fakeAthena{pageSize: 1000, fail: map[string]fakeError{}}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	useServer(t, nil)
	t.Setenv("AWS_ENDPOINT_URL_ATHENA", f.URL)
	return f
}

// newFakeAthenaB is newFakeAthena for a benchmark (useServer's environment, by hand).
func newFakeAthenaB(b *testing.B) *fakeAthena {
	b.Helper()
	f := &fakeAthena{pageSize: 1000, fail: map[string]fakeError{}}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	b.Cleanup(f.Close)
	dir := b.TempDir()
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL_ATHENA": f.URL, "AWS_ACCESS_KEY_ID": "AKIAEXAMPLEFAKE", "AWS_SECRET_ACCESS_KEY": "fake-secret", "AWS_REGION": "eu-west-1",
		"AWS_PROFILE": "", "AWS_CONFIG_FILE": dir + "/config", "AWS_SHARED_CREDENTIALS_FILE": dir + "/credentials", "AWS_EC2_METADATA_DISABLED": "true",
	} {
		b.Setenv(k, v)
	}
	return f
}

func (f *fakeAthena) serve(w http.ResponseWriter, r *http.Request) {
	op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "AmazonAthena.")
	body, _ := io.ReadAll(r.Body)
	var in map[string]any
	if err := json.Unmarshal(body, &in); err != nil {
		f.error(w, fakeError{400, "InvalidRequestException", "malformed JSON"})
		return
	}
	f.mu.Lock()
	if e, ok := f.fail[op]; ok {
		if f.failOnce {
			delete(f.fail, op)
		}
		f.mu.Unlock()
		f.error(w, e)
		return
	}
	var out any
	var after func()
	switch op {
	case "StartQueryExecution":
		f.started = append(f.started, in)
		out = map[string]any{"QueryExecutionId": fakeQueryID}
	case "GetQueryExecution":
		s := f.states[min(f.polls, len(f.states)-1)]
		f.polls++
		n := f.polls
		if len(f.stopped) > 0 {
			s = fakeState{state: "CANCELLED", reason: "Query cancelled by user", scanned: s.scanned}
		}
		out = map[string]any{"QueryExecution": map[string]any{
			"QueryExecutionId":    in["QueryExecutionId"],
			"Status":              map[string]any{"State": s.state, "StateChangeReason": s.reason},
			"Statistics":          map[string]any{"DataScannedInBytes": s.scanned, "EngineExecutionTimeInMillis": 1200},
			"ResultConfiguration": map[string]any{"OutputLocation": "s3://trailguard-query-results-222222222222-eu-west-1/" + fakeQueryID + ".csv"},
		}}
		if f.onPoll != nil {
			after = func() { f.onPoll(n) }
		}
	case "GetQueryResults":
		tok, _ := in["NextToken"].(string)
		if f.pages == nil {
			f.pages = map[string]int{}
		}
		f.pages[tok]++
		out = f.page(in)
	case "StopQueryExecution":
		f.stopped = append(f.stopped, fmt.Sprint(in["QueryExecutionId"]))
		out = map[string]any{}
	default:
		f.mu.Unlock()
		f.error(w, fakeError{400, "UnknownOperationException", op})
		return
	}
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	json.NewEncoder(w).Encode(out)
	if after != nil {
		after()
	}
}

// page is one GetQueryResults page: the header row first on the first page, as Athena
// returns a SELECT's results.
func (f *fakeAthena) page(in map[string]any) map[string]any {
	all := [][]*string{}
	header := make([]*string, len(f.columns))
	for i, c := range f.columns {
		header[i] = &c
	}
	all = append(append(all, header), f.rows...)
	start := 0
	if tok, ok := in["NextToken"].(string); ok {
		fmt.Sscanf(tok, "page-%d", &start)
	}
	end := min(start+f.pageSize, len(all))
	var rows []any
	for _, r := range all[start:end] {
		var data []any
		for _, v := range r {
			if v == nil {
				data = append(data, map[string]any{})
			} else {
				data = append(data, map[string]any{"VarCharValue": *v})
			}
		}
		rows = append(rows, map[string]any{"Data": data})
	}
	var cols []any
	for _, c := range f.columns {
		cols = append(cols, map[string]any{"Name": c, "Label": c, "Type": "varchar", "CatalogName": "hive"})
	}
	out := map[string]any{"ResultSet": map[string]any{"Rows": rows, "ResultSetMetadata": map[string]any{"ColumnInfo": cols}}, "UpdateCount": 0}
	if end < len(all) {
		out["NextToken"] = fmt.Sprintf("page-%d", end)
	}
	return out
}

func (f *fakeAthena) error(w http.ResponseWriter, e fakeError) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(e.status)
	json.NewEncoder(w).Encode(map[string]any{"__type": e.typ, "Message": e.message})
}
