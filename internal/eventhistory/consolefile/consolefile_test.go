package consolefile

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const (
	rec1 = `{"eventVersion":"1.09","eventTime":"2026-03-02T11:00:00Z","eventName":"ConsoleLogin","awsRegion":"us-east-1","eventID":"id-1"}`
	rec2 = `{"eventVersion":"1.09","eventTime":"2026-03-02T10:00:00Z","eventName":"StopLogging","awsRegion":"us-east-1","eventID":"id-2"}`
)

func gz(s string) string {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write([]byte(s))
	zw.Close()
	return b.String()
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func TestRead(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []string // event IDs
		wantErr string
	}{
		{
			name: "console download, pretty printed",
			in:   "{\n  \"Records\": [\n    " + rec1 + ",\n    " + rec2 + "\n  ]\n}\n",
			want: []string{"id-1", "id-2"},
		},
		{
			name: "lower-case records member after another member",
			in:   `{"generated":"2026-03-02","records":[` + rec1 + `]}`,
			want: []string{"id-1"},
		},
		{
			name: "top-level array",
			in:   "[" + rec1 + "," + rec2 + "]",
			want: []string{"id-1", "id-2"},
		},
		{
			name: "aws cloudtrail lookup-events output",
			in: `{"Events":[{"EventId":"id-1","EventName":"ConsoleLogin","CloudTrailEvent":` + quote(rec1) + `},` +
				`{"EventId":"id-2","CloudTrailEvent":` + quote(rec2) + `}],"NextToken":"abc"}`,
			want: []string{"id-1", "id-2"},
		},
		{
			name: "array of events with the record as an object",
			in:   `[{"EventId":"id-1","CloudTrailEvent":` + rec1 + `}]`,
			want: []string{"id-1"},
		},
		{
			name: "JSON Lines of EventBridge events (the real-time stream)",
			in: `{"version":"0","id":"e-1","detail-type":"AWS API Call via CloudTrail","source":"aws.cloudtrail","detail":` + rec1 + "}\n" +
				`{"version":"0","id":"e-2","detail-type":"AWS Console Sign In via CloudTrail","source":"aws.signin","detail":` + rec2 + "}\n",
			want: []string{"id-1", "id-2"},
		},
		{
			name: "JSON Lines",
			in:   rec1 + "\n" + rec2 + "\n",
			want: []string{"id-1", "id-2"},
		},
		{
			name: "gzipped CloudTrail log file",
			in:   gz(`{"Records":[` + rec1 + "," + rec2 + `]}`),
			want: []string{"id-1", "id-2"},
		},
		{
			name: "byte order mark",
			in:   "\ufeff[" + rec1 + "]",
			want: []string{"id-1"},
		},
		{
			name: "CSV with the full event",
			in:   "Event name,Event time,CloudTrail event\nConsoleLogin,2026-03-02T11:00:00Z," + csvQuote(rec1) + "\n",
			want: []string{"id-1"},
		},
		{
			name:    "CSV summary only",
			in:      "Event name,Event time,User name\nConsoleLogin,2026-03-02T11:00:00Z,alice\n",
			wantErr: "no column with the full event",
		},
		{name: "empty", in: " \n", wantErr: "empty"},
		{name: "no records", in: `{"Records":[]}`, wantErr: "no event records"},
		{name: "not objects", in: `[1, 2]`, wantErr: "not a JSON object"},
		{name: "not events", in: `[{"foo": 1}]`, wantErr: "not a CloudTrail event"},
		{name: "records not an array", in: `{"Records": 5}`, wantErr: "not an array"},
		{name: "truncated", in: `{"Records":[` + rec1 + `,{"eventID":`, wantErr: "record 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			err := Read(strings.NewReader(tt.in), func(rec []byte) error {
				if bytes.ContainsAny(rec, "\n\r") {
					t.Errorf("record spans lines: %s", rec)
				}
				var r struct{ EventID string }
				if err := json.Unmarshal(rec, &r); err != nil {
					t.Errorf("record is not JSON: %v", err)
				}
				got = append(got, r.EventID)
				return nil
			})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Read() error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Read() error = %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("records (-want +got):\n%s", diff)
			}
		})
	}
}

func csvQuote(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

func TestReadNoRecords(t *testing.T) {
	err := Read(strings.NewReader(`{"Records":[]}`), func([]byte) error { return nil })
	if !errors.Is(err, ErrNoRecords) {
		t.Errorf("error %v, want ErrNoRecords", err)
	}
}

func TestReadStopsAtCallbackError(t *testing.T) {
	stop := errors.New("stop")
	calls := 0
	err := Read(strings.NewReader("["+rec1+","+rec2+"]"), func([]byte) error {
		calls++
		return stop
	})
	if !errors.Is(err, stop) || calls != 1 {
		t.Errorf("Read() = %v after %d calls, want the callback's error after 1", err, calls)
	}
}
