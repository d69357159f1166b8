package compliance

import (
	"fmt"
	"os"
	"path/filepath"
)

// FindGuardRulesDir returns the absolute path of GuardRulesDir in start or the nearest of its
// parent directories that has it, the way Node.js finds node_modules: a synth run from a
// subdirectory of the project, or an app in a module of its own beside a project that
// installed the rules, finds them without knowing where it was started. The error names the
// directories searched and the npm package to install.
func FindGuardRulesDir(start string) (string, error) {
	dir, err := filepath.Abs(start)
	if err != nil {
		return "", err
	}
	for first := dir; ; {
		candidate := filepath.Join(dir, GuardRulesDir)
		if fi, err := os.Stat(candidate); err == nil && fi.IsDir() {
			return candidate, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no Control Tower Guard rules in %s or any parent directory of %s: install them with `npm install --save-exact @cdklabs/cdk-validator-cfnguard` (trailguard pins 0.0.62) in the project that runs cdk", GuardRulesDir, first)
		}
		dir = parent
	}
}
