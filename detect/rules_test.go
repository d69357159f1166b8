package detect

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// fixture is a file of test records for one rule (testdata/rules/<id>.json)
// or for all (testdata/ordinary.json).
type fixture struct {
	Rule string `json:"rule"`
	// Context, when set, is the organization context the fixture's records are judged in
	// (else none: only a record's own account is the organization's).
	Context *Context `json:"context"`
	Cases   []struct {
		Name string `json:"name"`
		// Alert says whether the rule must alert on the records, fed in
		// order to one Detector.
		Alert   bool              `json:"alert"`
		Records []json.RawMessage `json:"records"`
	} `json:"cases"`
}

func readFixture(t *testing.T, path string) *fixture {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f fixture
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return &f
}

func defaultEngine(t testing.TB) *Engine {
	t.Helper()
	e, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// run feeds records to a fresh Detector and returns the alerts.
func run(t *testing.T, e *Engine, records []json.RawMessage) []*Alert {
	t.Helper()
	d := NewDetector(e, nil)
	var out []*Alert
	for i, raw := range records {
		rec, err := ParseRecord(raw)
		if err != nil {
			t.Fatalf("record %d: %v", i+1, err)
		}
		alerts, err := d.Process(rec)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, alerts...)
	}
	for rule, n := range d.Stats().EvalErrors {
		t.Errorf("rule %s failed on %d records, first: %v", rule, n, d.Stats().FirstEvalError[rule])
	}
	return out
}

func rulesOf(alerts []*Alert) []string {
	var out []string
	for _, a := range alerts {
		out = append(out, a.Rule)
	}
	return out
}

// TestDefaultRules runs every default rule over its fixtures: records it
// must alert on and records it must not.
func TestDefaultRules(t *testing.T) {
	e := defaultEngine(t)
	rules, err := DefaultRules()
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob("testdata/rules/*.json")
	for _, path := range files {
		f := readFixture(t, path)
		e := e
		if f.Context != nil {
			if e, err = CompileWith(rules, f.Context); err != nil {
				t.Fatal(err)
			}
		}
		for _, c := range f.Cases {
			t.Run(f.Rule+"/"+c.Name, func(t *testing.T) {
				got := slices.Contains(rulesOf(run(t, e, c.Records)), f.Rule)
				if got != c.Alert {
					t.Errorf("%s alerted: %v, want %v", f.Rule, got, c.Alert)
				}
			})
		}
	}
}

// TestEveryRuleHasFixtures checks that every default rule has records it
// alerts on and records it must stay silent on, and that every fixture
// names a rule that exists.
func TestEveryRuleHasFixtures(t *testing.T) {
	rules, err := DefaultRules()
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, r := range rules {
		ids[r.ID] = true
		path := filepath.Join("testdata", "rules", r.ID+".json")
		if _, err := os.Stat(path); err != nil {
			t.Errorf("rule %s has no fixtures: %v", r.ID, err)
			continue
		}
		f := readFixture(t, path)
		if f.Rule != r.ID {
			t.Errorf("%s: rule is %q, want %q", path, f.Rule, r.ID)
		}
		var alert, silent int
		for _, c := range f.Cases {
			if c.Alert {
				alert++
			} else {
				silent++
			}
		}
		if alert == 0 || silent == 0 {
			t.Errorf("rule %s has %d cases that alert and %d that must not; want at least one of each", r.ID, alert, silent)
		}
	}
	files, _ := filepath.Glob("testdata/rules/*.json")
	for _, path := range files {
		if id := strings.TrimSuffix(filepath.Base(path), ".json"); !ids[id] {
			t.Errorf("%s: no default rule %s", path, id)
		}
	}
}

// TestOrdinaryActivity checks that no default rule alerts on ordinary
// activity: federated sign-ins, CI deploys, read-only browsing, service
// roles at work.
func TestOrdinaryActivity(t *testing.T) {
	e := defaultEngine(t)
	f := readFixture(t, "testdata/ordinary.json")
	for _, c := range f.Cases {
		t.Run(c.Name, func(t *testing.T) {
			if got := rulesOf(run(t, e, c.Records)); len(got) > 0 {
				t.Errorf("alerts %v, want none", got)
			}
		})
	}
}

// TestIndex checks that indexing rules by eventName and eventSource changes
// no result: every fixture record matches the same rules as when every rule
// runs on it.
func TestIndex(t *testing.T) {
	e := defaultEngine(t)
	// Rules keyed on who acts or on the outcome (root-activity, access-denied-burst,
	// ec2-instance-identity-role-used, ec2-instance-credentials-used-elsewhere) run on
	// every record: keep them few and their first test cheap.
	if len(e.always) > 4 {
		t.Errorf("%d rules run on every record; want the index to hold most", len(e.always))
	}
	brute := &Engine{rules: e.rules, byName: map[string][]*compiled{}, bySource: map[string][]*compiled{}}
	for _, c := range e.rules {
		if !c.Disabled {
			brute.always = append(brute.always, c)
		}
	}
	files, _ := filepath.Glob("testdata/*/*.json")
	files = append(files, "testdata/ordinary.json")
	n := 0
	for _, path := range files {
		for _, c := range readFixture(t, path).Cases {
			for _, raw := range c.Records {
				rec, err := ParseRecord(raw)
				if err != nil {
					t.Fatal(err)
				}
				got, _ := e.Match(rec)
				want, _ := brute.Match(rec)
				if !slices.Equal(matchIDs(got), matchIDs(want)) {
					t.Errorf("%s %s: indexed %v, all rules %v", path, rec.EventName(), matchIDs(got), matchIDs(want))
				}
				n++
			}
		}
	}
	if n < 100 {
		t.Errorf("only %d records checked", n)
	}
}

func matchIDs(ms []Match) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Rule.ID)
	}
	return out
}

// TestFixturesCatchBrokenRules breaks each default rule and checks that its
// fixtures notice: with its condition replaced by true, with its threshold
// removed, and with its exceptions removed, the rule must alert on some
// case that must stay silent.
func TestFixturesCatchBrokenRules(t *testing.T) {
	rules, err := DefaultRules()
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rules {
		path := filepath.Join("testdata", "rules", r.ID+".json")
		if _, err := os.Stat(path); err != nil {
			continue // TestEveryRuleHasFixtures reports it
		}
		f := readFixture(t, path)
		breakages := map[string]func(*Rule){}
		if r.Threshold != nil {
			breakages["threshold removed"] = func(b *Rule) { b.Threshold = nil }
		} else {
			breakages["condition always true"] = func(b *Rule) { b.Match = "true" }
		}
		if len(r.Exceptions) > 0 {
			breakages["exceptions removed"] = func(b *Rule) { b.Exceptions = nil }
		}
		for name, breakRule := range breakages {
			t.Run(r.ID+"/"+name, func(t *testing.T) {
				broken := *r
				breakRule(&broken)
				set := slices.Clone(rules)
				set[i] = &broken
				e, err := CompileWith(set, f.Context)
				if err != nil {
					t.Fatal(err)
				}
				for _, c := range f.Cases {
					if !c.Alert && slices.Contains(rulesOf(run(t, e, c.Records)), r.ID) {
						return
					}
				}
				t.Errorf("no case that must stay silent alerts with the rule broken; the fixtures do not test it")
			})
		}
	}
}
