package detect

import (
	"compress/gzip"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"

	"github.com/trailguard/trailguard/config"
)

// OrgDayManifest is detect/testdata/orgday/manifest.yaml: the alerts a security team wants
// on the ordinary day of day.json.gz.
type OrgDayManifest struct {
	// Wanted are the alerts wanted, each matched by rule, eventName and account.
	Wanted []WantedAlert `yaml:"wanted"`
}

// WantedAlert is one alert a security team wants.
type WantedAlert struct {
	Rule      string `yaml:"rule"`
	EventName string `yaml:"eventName"`
	Account   string `yaml:"account"`
	Why       string `yaml:"why"`
}

// Matches reports whether an alert is this wanted one.
func (w WantedAlert) Matches(a *Alert) bool {
	return a.Rule == w.Rule && a.EventName == w.EventName && a.AccountID == w.Account
}

// orgDay runs the default rules, in the org day's organization context, over its records.
func orgDay(t testing.TB, ctx *Context) []*Alert {
	t.Helper()
	e, err := LoadWith(LoadOptions{Context: ctx})
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open("testdata/orgday/day.json.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var file struct{ Records []json.RawMessage }
	if err := json.NewDecoder(zr).Decode(&file); err != nil {
		t.Fatal(err)
	}
	if len(file.Records) < 3000 {
		t.Fatalf("the org day has %d records; want thousands", len(file.Records))
	}
	d := NewDetector(e, nil)
	var out []*Alert
	for i, raw := range file.Records {
		rec, err := ParseRecord(raw)
		if err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		alerts, err := d.Process(rec)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, alerts...)
	}
	for rule, n := range d.Stats().EvalErrors {
		t.Errorf("rule %s failed on %d records: %v", rule, n, d.Stats().FirstEvalError[rule])
	}
	return out
}

func orgDayContext(t testing.TB) *Context {
	t.Helper()
	b, err := os.ReadFile("testdata/orgday/org.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load("testdata/orgday/org.yaml", b)
	if err != nil {
		t.Fatal(err)
	}
	return ContextFromConfig(cfg)
}

func readOrgDayManifest(t testing.TB) *OrgDayManifest {
	t.Helper()
	b, err := os.ReadFile("testdata/orgday/manifest.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var m OrgDayManifest
	if err := yaml.UnmarshalWithOptions(b, &m, yaml.Strict()); err != nil {
		t.Fatal(err)
	}
	return &m
}

// TestOrgDay pins the alerts on an ordinary day of an organization: exactly the wanted ones,
// with the organization's config.
func TestOrgDay(t *testing.T) {
	m := readOrgDayManifest(t)
	alerts := orgDay(t, orgDayContext(t))
	var unwanted []string
	found := make([]bool, len(m.Wanted))
	for _, a := range alerts {
		i := slices.IndexFunc(m.Wanted, func(w WantedAlert) bool { return w.Matches(a) })
		if i < 0 {
			unwanted = append(unwanted, fmt.Sprintf("%s %s in %s by %s", a.Rule, a.EventName, a.AccountID, a.Principal))
			continue
		}
		found[i] = true
	}
	for i, w := range m.Wanted {
		if !found[i] {
			t.Errorf("wanted alert missing: %s %s in %s (%s)", w.Rule, w.EventName, w.Account, w.Why)
		}
	}
	if len(unwanted) > 0 {
		t.Errorf("%d false alerts:\n  %s", len(unwanted), strings.Join(unwanted, "\n  "))
	}
	if got, want := len(alerts), len(m.Wanted); got != want {
		t.Errorf("%d alerts on the org day, want %d", got, want)
	}
}
