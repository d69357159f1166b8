package compliance

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFindGuardRulesDir(t *testing.T) {
	root := t.TempDir()
	rules := filepath.Join(root, GuardRulesDir)
	if err := os.MkdirAll(rules, 0o755); err != nil {
		t.Fatal(err)
	}
	deep := filepath.Join(root, "a", "b")
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, start := range []string{root, deep} {
		got, err := FindGuardRulesDir(start)
		if err != nil || got != rules {
			t.Errorf("FindGuardRulesDir(%s) = %q, %v; want %q", start, got, err, rules)
		}
	}
	other := t.TempDir()
	if _, err := FindGuardRulesDir(other); err == nil || !strings.Contains(err.Error(), "npm install --save-exact @cdklabs/cdk-validator-cfnguard") {
		t.Errorf("FindGuardRulesDir(%s) error = %v, want one that says what to install", other, err)
	}
}
