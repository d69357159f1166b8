package coverage

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trailguard/trailguard/detect"
)

var t0 = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

func ago(d time.Duration) time.Time { return t0.Add(-d) }

func TestEvaluate(t *testing.T) {
	a, b := "111111111111", "222222222222"
	exp := &Expected{Complete: true}
	exp.Add(a, "eu-west-1", "us-east-1")
	since := ago(24 * time.Hour)
	alive := []PairState{
		{Pair: Pair{Account: a, Region: "eu-west-1"}, LastSeen: ago(time.Minute), State: StateOK, Since: since},
		{Pair: Pair{Account: a, Region: "us-east-1"}, LastSeen: ago(time.Minute), State: StateOK, Since: since},
	}
	with := func(rows ...PairState) []PairState { return append(slices.Clone(alive), rows...) }
	stackset := &Expected{Accounts: exp.Accounts, StackSetRegions: []string{"eu-west-1", "us-east-1"}}
	tests := []struct {
		name          string
		expected      *Expected
		rows          []PairState
		wantSilent    []string
		wantRecovered []string
		wantUnexp     []string
		wantUnforw    []string
		wantState     map[string]string // states written back, by key
		wantCount     int
	}{
		{
			name:     "all alive",
			expected: exp,
			rows: []PairState{
				{Pair: Pair{Account: a, Region: "eu-west-1"}, LastSeen: ago(9 * time.Minute), State: StateOK, Since: since},
				{Pair: Pair{Account: a, Region: "us-east-1"}, LastSeen: ago(SilentAfter), State: StateOK, Since: since},
			},
		},
		{
			name:     "one falls silent",
			expected: exp,
			rows: []PairState{
				{Pair: Pair{Account: a, Region: "eu-west-1"}, LastSeen: ago(SilentAfter + time.Second), State: StateOK, Since: since},
				{Pair: Pair{Account: a, Region: "us-east-1"}, LastSeen: ago(time.Minute), State: StateOK, Since: since},
			},
			wantSilent: []string{a + ":eu-west-1"},
			wantState:  map[string]string{a + ":eu-west-1": StateSilent},
			wantCount:  1,
		},
		{
			name:     "still silent: no second alert",
			expected: exp,
			rows: []PairState{
				{Pair: Pair{Account: a, Region: "eu-west-1"}, LastSeen: ago(time.Hour), State: StateSilent, Since: since},
				{Pair: Pair{Account: a, Region: "us-east-1"}, LastSeen: ago(time.Minute), State: StateOK, Since: since},
			},
			wantCount: 1,
		},
		{
			name:     "recovers",
			expected: exp,
			rows: []PairState{
				{Pair: Pair{Account: a, Region: "eu-west-1"}, LastSeen: ago(time.Minute), State: StateSilent, Since: since},
				{Pair: Pair{Account: a, Region: "us-east-1"}, LastSeen: ago(time.Minute), State: StateOK, Since: since},
			},
			wantRecovered: []string{a + ":eu-west-1"},
			wantState:     map[string]string{a + ":eu-west-1": StateOK},
		},
		{
			name:      "never seen, first run: pending, since recorded",
			expected:  exp,
			wantState: map[string]string{a + ":eu-west-1": StatePending, a + ":us-east-1": StatePending},
		},
		{
			name:     "never seen within the grace period",
			expected: exp,
			rows: []PairState{
				{Pair: Pair{Account: a, Region: "eu-west-1"}, Since: ago(NeverSeenGrace)},
				{Pair: Pair{Account: a, Region: "us-east-1"}, LastSeen: ago(time.Minute), State: StateOK, Since: since},
			},
		},
		{
			name:     "never seen after the grace period (a region without a forwarder)",
			expected: exp,
			rows: []PairState{
				{Pair: Pair{Account: a, Region: "eu-west-1"}, Since: ago(NeverSeenGrace + time.Minute)},
				{Pair: Pair{Account: a, Region: "us-east-1"}, LastSeen: ago(time.Minute), State: StateOK, Since: since},
			},
			wantSilent: []string{a + ":eu-west-1"},
			wantState:  map[string]string{a + ":eu-west-1": StateSilent},
			wantCount:  1,
		},
		{
			name:     "unexpected pair (stacks mode)",
			expected: exp,
			rows: []PairState{
				{Pair: Pair{Account: a, Region: "eu-west-1"}, LastSeen: ago(time.Minute), State: StateOK, Since: since},
				{Pair: Pair{Account: a, Region: "us-east-1"}, LastSeen: ago(time.Minute), State: StateOK, Since: since},
				{Pair: Pair{Account: b, Region: "eu-west-1"}, LastSeen: ago(time.Minute)},
			},
			wantUnexp: []string{b + ":eu-west-1"},
			wantState: map[string]string{b + ":eu-west-1": StateUnexpected},
		},
		{
			name:     "unknown pair in stackset mode is learned without an alert",
			expected: &Expected{Accounts: exp.Accounts},
			rows: []PairState{
				{Pair: Pair{Account: a, Region: "eu-west-1"}, LastSeen: ago(time.Minute), State: StateOK, Since: since},
				{Pair: Pair{Account: a, Region: "us-east-1"}, LastSeen: ago(time.Minute), State: StateOK, Since: since},
				{Pair: Pair{Account: b, Region: "eu-west-1"}, LastSeen: ago(time.Minute)},
			},
			wantState: map[string]string{b + ":eu-west-1": StateOK},
		},
		{
			name:     "unknown pair in stackset mode is learned, and alerts when it stops",
			expected: &Expected{Accounts: exp.Accounts},
			rows: []PairState{
				{Pair: Pair{Account: a, Region: "eu-west-1"}, LastSeen: ago(time.Minute), State: StateOK, Since: since},
				{Pair: Pair{Account: a, Region: "us-east-1"}, LastSeen: ago(time.Minute), State: StateOK, Since: since},
				{Pair: Pair{Account: b, Region: "eu-west-1"}, LastSeen: ago(time.Hour), State: StateOK, Since: since},
			},
			wantSilent: []string{b + ":eu-west-1"},
			wantState:  map[string]string{b + ":eu-west-1": StateSilent},
			wantCount:  1,
		},
		{
			name:       "active in the archive in a region no forwarder covers: unforwarded",
			expected:   exp,
			rows:       with(PairState{Pair: Pair{Account: a, Region: "sa-east-1"}, ArchiveSeen: ago(20 * time.Minute)}),
			wantUnforw: []string{a + ":sa-east-1"},
			wantState:  map[string]string{a + ":sa-east-1": StateUnforwarded},
		},
		{
			name:     "still unforwarded: no second alert",
			expected: exp,
			rows:     with(PairState{Pair: Pair{Account: a, Region: "sa-east-1"}, ArchiveSeen: ago(5 * time.Hour), State: StateUnforwarded, Since: since}),
		},
		{
			name:      "archive activity older than the window: quiet, never silent",
			expected:  exp,
			rows:      with(PairState{Pair: Pair{Account: a, Region: "sa-east-1"}, ArchiveSeen: ago(ArchiveActiveWithin + time.Minute), State: StateUnforwarded, Since: since}),
			wantState: map[string]string{a + ":sa-east-1": StateArchiveOnly},
		},
		{
			name:       "active again after a quiet window: alerts again",
			expected:   exp,
			rows:       with(PairState{Pair: Pair{Account: a, Region: "sa-east-1"}, ArchiveSeen: ago(time.Minute), State: StateArchiveOnly, Since: since}),
			wantUnforw: []string{a + ":sa-east-1"},
			wantState:  map[string]string{a + ":sa-east-1": StateUnforwarded},
		},
		{
			name:     "expected pairs active in the archive are judged by their heartbeats only",
			expected: exp,
			rows: []PairState{
				{Pair: Pair{Account: a, Region: "eu-west-1"}, LastSeen: ago(time.Minute), ArchiveSeen: ago(time.Minute), State: StateOK, Since: since},
				{Pair: Pair{Account: a, Region: "us-east-1"}, ArchiveSeen: ago(time.Minute), Since: ago(time.Minute)},
			},
		},
		{
			name:     "region added to the config after it alerted: the grace to deploy starts now",
			expected: exp,
			rows: []PairState{
				{Pair: Pair{Account: a, Region: "eu-west-1"}, ArchiveSeen: ago(time.Minute), State: StateUnforwarded, Since: since},
				{Pair: Pair{Account: a, Region: "us-east-1"}, LastSeen: ago(time.Minute), State: StateOK, Since: since},
			},
			wantState: map[string]string{a + ":eu-west-1": StatePending},
		},
		{
			name:      "unforwarded pair gets a forwarder outside the config (stacks mode)",
			expected:  exp,
			rows:      with(PairState{Pair: Pair{Account: b, Region: "sa-east-1"}, LastSeen: ago(time.Minute), ArchiveSeen: ago(time.Minute), State: StateUnforwarded, Since: since}),
			wantUnexp: []string{b + ":sa-east-1"},
			wantState: map[string]string{b + ":sa-east-1": StateUnexpected},
		},
		{
			name:      "stackset mode: an unknown account in a StackSet region waits for its instance",
			expected:  stackset,
			rows:      with(PairState{Pair: Pair{Account: b, Region: "eu-west-1"}, ArchiveSeen: ago(time.Minute), Since: ago(NeverSeenGrace)}),
			wantState: map[string]string{b + ":eu-west-1": StateArchiveOnly},
		},
		{
			name:       "stackset mode: an unknown account in a StackSet region without an instance after the grace",
			expected:   stackset,
			rows:       with(PairState{Pair: Pair{Account: b, Region: "eu-west-1"}, ArchiveSeen: ago(time.Minute), State: StateArchiveOnly, Since: ago(NeverSeenGrace + time.Minute)}),
			wantUnforw: []string{b + ":eu-west-1"},
			wantState:  map[string]string{b + ":eu-west-1": StateUnforwarded},
		},
		{
			name:       "stackset mode: a region the StackSet does not deploy alerts at once",
			expected:   stackset,
			rows:       with(PairState{Pair: Pair{Account: b, Region: "sa-east-1"}, ArchiveSeen: ago(time.Minute)}),
			wantUnforw: []string{b + ":sa-east-1"},
			wantState:  map[string]string{b + ":sa-east-1": StateUnforwarded},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := Evaluate(t0, tt.expected, tt.rows, Options{})
			keys := func(ps []PairState) string { return Describe(ps) }
			if got, want := keys(res.NewlySilent), strings.Join(tt.wantSilent, " "); got != want {
				t.Errorf("newly silent = %q, want %q", got, want)
			}
			if got, want := keys(res.Recovered), strings.Join(tt.wantRecovered, " "); got != want {
				t.Errorf("recovered = %q, want %q", got, want)
			}
			if got, want := keys(res.Unexpected), strings.Join(tt.wantUnexp, " "); got != want {
				t.Errorf("unexpected = %q, want %q", got, want)
			}
			if got, want := keys(res.Unforwarded), strings.Join(tt.wantUnforw, " "); got != want {
				t.Errorf("unforwarded = %q, want %q", got, want)
			}
			if res.Silent != tt.wantCount {
				t.Errorf("silent count = %d, want %d", res.Silent, tt.wantCount)
			}
			got := map[string]string{}
			for _, u := range res.Updates {
				got[u.Pair.Key()] = u.State
				if u.Since.IsZero() {
					t.Errorf("update of %s without since", u.Pair)
				}
			}
			if len(got) != len(tt.wantState) {
				t.Errorf("updates = %v, want %v", got, tt.wantState)
			}
			for k, v := range tt.wantState {
				if s, ok := got[k]; !ok || s != v {
					t.Errorf("update of %s = %q (written %v), want %q", k, s, ok, v)
				}
			}
		})
	}
}

// TestWorstCase checks the arithmetic the docs promise: a pair whose last heartbeat
// arrived just before its forwarder broke is alerted within 30 minutes by a monitor that
// runs every MonitorInterval.
func TestWorstCase(t *testing.T) {
	if WorstCaseLatency >= 30*time.Minute {
		t.Fatalf("worst case %v, want under 30 minutes", WorstCaseLatency)
	}
	exp := &Expected{}
	exp.Add("111111111111", "eu-west-1")
	last := t0
	broke := last.Add(-DeliveryAllowance) // the last heartbeat was already past the broken part
	state := []PairState{{Pair: Pair{Account: "111111111111", Region: "eu-west-1"}, LastSeen: last, State: StateOK, Since: last.Add(-time.Hour)}}
	// Monitor runs at an arbitrary phase relative to the heartbeat.
	for run := last.Add(time.Second); ; run = run.Add(MonitorInterval) {
		res := Evaluate(run, exp, state, Options{})
		if len(res.NewlySilent) == 1 {
			if d := run.Sub(broke); d > WorstCaseLatency || d >= 30*time.Minute {
				t.Errorf("alerted %v after the break, want at most %v", d, WorstCaseLatency)
			}
			return
		}
		if run.Sub(broke) > time.Hour {
			t.Fatal("never alerted")
		}
	}
}

func TestAlerts(t *testing.T) {
	a := "111111111111"
	res := Result{
		NewlySilent: []PairState{{Pair: Pair{Account: a, Region: "eu-west-1"}, LastSeen: ago(time.Hour)}, {Pair: Pair{Account: a, Region: "us-east-1"}}},
		Recovered:   []PairState{{Pair: Pair{Account: "222222222222", Region: "eu-west-1"}, LastSeen: t0}},
	}
	alerts := Alerts(t0, res)
	if len(alerts) != 2 {
		t.Fatalf("got %d alerts, want one per kind (2)", len(alerts))
	}
	s := alerts[0]
	if s.Rule != RuleSilent || s.Severity != detect.High || s.AccountID != a || s.Region != "2 regions" || s.DedupeKey != RuleSilent+"/2026-11-30T12:00:00Z" {
		t.Errorf("silent alert = %+v", s)
	}
	var rec struct {
		Pairs []map[string]string `json:"pairs"`
		Count int                 `json:"count"`
	}
	if err := json.Unmarshal(s.Record, &rec); err != nil || rec.Count != 2 || rec.Pairs[0]["lastSeen"] != "2026-11-30T11:00:00Z" || rec.Pairs[1]["lastSeen"] != "" {
		t.Errorf("silent alert record = %s (%v)", s.Record, err)
	}
	if r := alerts[1]; r.Rule != RuleRecovered || r.Severity != detect.Info || r.Region != "eu-west-1" {
		t.Errorf("recovered alert = %+v", r)
	}
}

func TestParseHeartbeat(t *testing.T) {
	arrived := t0
	tests := []struct {
		name, data string
		ok         bool
	}{
		{"heartbeat", `{"source":"trailguard.heartbeat","detail-type":"trailguard heartbeat","account":"111111111111","region":"eu-west-1","detail":{}}`, true},
		{"CloudTrail event", `{"source":"aws.s3","detail-type":"AWS API Call via CloudTrail","account":"111111111111","region":"eu-west-1","detail":{"eventName":"x"}}`, false},
		{"other detail-type", `{"source":"trailguard.heartbeat","detail-type":"x","account":"111111111111","region":"eu-west-1"}`, false},
		{"CloudTrail record mentioning the source", `{"source":"aws.events","detail-type":"AWS API Call via CloudTrail","account":"111111111111","region":"eu-west-1","detail":{"requestParameters":{"source":"trailguard.heartbeat"}}}`, false},
		{"another source mentioning the heartbeat", `{"source":"custom.app","detail-type":"trailguard heartbeat","account":"111111111111","region":"eu-west-1","detail":{"note":"trailguard.heartbeat"}}`, false},
		{"bad account", `{"source":"trailguard.heartbeat","detail-type":"trailguard heartbeat","account":"1","region":"eu-west-1"}`, false},
		{"not JSON", `trailguard.heartbeat`, false},
	}
	for _, tt := range tests {
		hb, ok := ParseHeartbeat([]byte(tt.data), arrived)
		if ok != tt.ok {
			t.Errorf("%s: ok = %v, want %v", tt.name, ok, tt.ok)
		}
		if ok && (hb.Pair != Pair{Account: "111111111111", Region: "eu-west-1"} || !hb.Arrived.Equal(arrived)) {
			t.Errorf("%s: got %+v", tt.name, hb)
		}
	}
}

func TestExpectedFile(t *testing.T) {
	e := &Expected{Complete: true}
	e.Add("222222222222", "us-east-1", "eu-west-1")
	e.Add("111111111111", "eu-west-1")
	e.Add("222222222222", "eu-west-1")
	b, err := e.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"complete":true,"accounts":{"111111111111":["eu-west-1"],"222222222222":["eu-west-1","us-east-1"]}}`; string(b) != want {
		t.Errorf("Marshal() = %s, want %s", b, want)
	}
	if got := Describe(statesOf(e.Pairs())); got != "111111111111:eu-west-1 222222222222:eu-west-1 222222222222:us-east-1" {
		t.Errorf("Pairs() = %s", got)
	}
}

func statesOf(ps []Pair) []PairState {
	var out []PairState
	for _, p := range ps {
		out = append(out, PairState{Pair: p})
	}
	return out
}
