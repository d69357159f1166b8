package detect

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/trailguard/trailguard/config"
	"github.com/trailguard/trailguard/examples"
)

// TestDocs checks docs/detection.md against the code: it lists every
// default rule, and its YAML examples load.
func TestDocs(t *testing.T) {
	b, err := os.ReadFile("../docs/detection.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	rules, err := DefaultRules()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rules {
		if !strings.Contains(doc, "| `"+r.ID+"`") {
			t.Errorf("docs/detection.md does not list rule %s in its table", r.ID)
		}
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("%d default rules", len(rules)); !strings.Contains(strings.Join(strings.Fields(string(readme)), " "), want) {
		t.Errorf("README.md does not say %q", want)
	}
	blocks := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllStringSubmatch(doc, -1)
	n := 0
	for _, m := range blocks {
		src := m[1]
		if strings.HasPrefix(src, "detection:") {
			// The config's detection section: it loads in the example config, and
			// the rules it disables exist.
			cfg, err := config.Load("org.yaml", append(append([]byte{}, examples.Default...), "\n"+src...))
			if err != nil {
				t.Errorf("config example does not load: %v\n%s", err, src)
				continue
			}
			if _, err := LoadWith(LoadOptions{Disabled: cfg.Detection.DisabledRules, DisabledName: "detection.disabledRules"}); err != nil {
				t.Errorf("config example: %v", err)
			}
			continue
		}
		if !strings.Contains(src, "match:") {
			// A fragment: wrap it in a rule.
			src = "id: fragment\ntitle: T\nseverity: low\nmatch: eventName == \"RunInstances\"\n" + src
		}
		rs, err := ParseFS(fstest.MapFS{"doc.yaml": {Data: []byte(src)}}, ".", "docs")
		if err == nil {
			_, err = Compile(rs)
		}
		if err != nil {
			t.Errorf("example does not load: %v\n%s", err, m[1])
		}
		n++
	}
	if n < 3 {
		t.Errorf("found %d YAML examples, want at least 3", n)
	}
}
