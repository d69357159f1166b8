package test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// assetHash matches the content hashes in asset names and keys, which change with any byte of
// an asset and would make golden files churn.
var assetHash = regexp.MustCompile(`[0-9a-f]{64}`)

// normalizeTemplate drops what does not describe behaviour (the bootstrap version check) and
// masks asset hashes, returning pretty JSON with a final newline.
func normalizeTemplate(t template) ([]byte, error) {
	c := map[string]any{}
	for k, v := range t {
		c[k] = v
	}
	if params, ok := c["Parameters"].(map[string]any); ok {
		p := map[string]any{}
		for k, v := range params {
			if k != "BootstrapVersion" {
				p[k] = v
			}
		}
		c["Parameters"] = p
		if len(p) == 0 {
			delete(c, "Parameters")
		}
	}
	if rules, ok := c["Rules"].(map[string]any); ok {
		r := map[string]any{}
		for k, v := range rules {
			if k != "CheckBootstrapVersion" {
				r[k] = v
			}
		}
		c["Rules"] = r
		if len(r) == 0 {
			delete(c, "Rules")
		}
	}
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return nil, err
	}
	b = assetHash.ReplaceAll(b, []byte("<asset-hash>"))
	return append(b, '\n'), nil
}

// checkGolden compares tmpl with the golden file at path; UPDATE_GOLDEN=1 rewrites it.
func checkGolden(t *testing.T, path string, tmpl template) {
	t.Helper()
	got, err := normalizeTemplate(tmpl)
	if err != nil {
		t.Fatal(err)
	}
	if os.Getenv("UPDATE_GOLDEN") == "1" {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run UPDATE_GOLDEN=1 go test ./test/ -run %s to create it)", err, t.Name())
	}
	if bytes.Equal(got, want) {
		return
	}
	var gotV, wantV any
	if err := json.Unmarshal(got, &gotV); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(want, &wantV); err != nil {
		t.Fatalf("%s is not JSON: %v", path, err)
	}
	diff := cmp.Diff(wantV, gotV)
	if diff == "" {
		diff = "(same JSON, different formatting)"
	}
	t.Errorf("%s differs from the synthesized template (-want +got):\n%s\nIf the change is intended, run UPDATE_GOLDEN=1 go test ./test/ -run %s and review the diff.",
		path, diff, t.Name())
}

// TestGolden compares every stack of the example org with its golden template in testdata.
// UPDATE_GOLDEN=1 rewrites them; review that diff like code: it is a behaviour change.
func TestGolden(t *testing.T) {
	for name, tmpl := range example.templates {
		t.Run(name, func(t *testing.T) {
			checkGolden(t, filepath.Join("testdata", name+".template.json"), tmpl)
		})
	}
	// A golden file without a stack is a stack that disappeared.
	files, _ := filepath.Glob(filepath.Join("testdata", "*.template.json"))
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".template.json")
		if _, ok := example.templates[name]; ok {
			continue
		}
		if os.Getenv("UPDATE_GOLDEN") == "1" {
			os.Remove(f)
			continue
		}
		t.Errorf("%s has no stack in the example app: was the stack removed or renamed? (stack names are deploy-time identities)", f)
	}
}
