package detect

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
)

// attackManifest is testdata/attacks/manifest.yaml: the behaviours the
// default rules claim to detect and the attacker variants of each.
type attackManifest struct {
	Behaviours []struct {
		ID       string `yaml:"id"`
		Title    string `yaml:"title"`
		Variants []struct {
			Name  string   `yaml:"name"`
			File  string   `yaml:"file"`
			Rules []string `yaml:"rules"`
		} `yaml:"variants"`
	} `yaml:"behaviours"`
}

// TestAttackCorpus runs the default rules over every attacker variant in
// testdata/attacks and fails when a variant raises none of the alerts its
// manifest entry names; it also checks that the manifest and the files
// agree and that every named rule exists.
func TestAttackCorpus(t *testing.T) {
	b, err := os.ReadFile("testdata/attacks/manifest.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var m attackManifest
	if err := yaml.UnmarshalWithOptions(b, &m, yaml.Strict()); err != nil {
		t.Fatalf("manifest.yaml: %v", err)
	}
	rules, err := DefaultRules()
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, r := range rules {
		ids[r.ID] = true
	}
	e := defaultEngine(t)
	listed := map[string]bool{}
	detected, total := 0, 0
	for _, bh := range m.Behaviours {
		if bh.ID == "" || bh.Title == "" || len(bh.Variants) == 0 {
			t.Errorf("behaviour %q: needs an id, a title and variants", bh.ID)
		}
		for _, v := range bh.Variants {
			listed[filepath.ToSlash(v.File)] = true
			total++
			t.Run(bh.ID+"/"+v.Name, func(t *testing.T) {
				for _, id := range v.Rules {
					if !ids[id] {
						t.Errorf("no default rule %s", id)
					}
				}
				raw, err := os.ReadFile(filepath.Join("testdata/attacks", v.File))
				if err != nil {
					t.Fatal(err)
				}
				var f struct{ Records []json.RawMessage }
				if err := json.Unmarshal(raw, &f); err != nil || len(f.Records) == 0 {
					t.Fatalf("%s: not a CloudTrail log file with records: %v", v.File, err)
				}
				got := rulesOf(run(t, e, f.Records))
				if !slices.ContainsFunc(v.Rules, func(id string) bool { return slices.Contains(got, id) }) {
					t.Errorf("%s: no alert from %v (alerts: %v)", v.File, v.Rules, got)
					return
				}
				detected++
			})
		}
	}
	t.Logf("%d behaviours, %d of %d variants detected", len(m.Behaviours), detected, total)
	files, _ := filepath.Glob("testdata/attacks/*/*.json")
	for _, f := range files {
		rel := strings.TrimPrefix(filepath.ToSlash(f), "testdata/attacks/")
		if !listed[rel] {
			t.Errorf("%s is not in manifest.yaml", rel)
		}
	}
}
