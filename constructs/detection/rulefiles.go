package detection

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"
)

// LoadRuleFiles reads the rule files (detect's YAML, *.yaml or *.yml) under dir, recursively,
// into the shape of DetectionProps.RuleFiles: each keyed by its slash-separated path relative
// to dir (e.g. "team/iam.yaml"). Files of other extensions and hidden directories are
// skipped. It returns an error naming the directory or file that cannot be read, and one if
// dir holds no rule file (a typo in the path would otherwise deploy the default rules only).
// The rules themselves are checked by NewDetection, each problem naming its file and rule.
func LoadRuleFiles(dir string) (*map[string]*string, error) {
	return loadRuleFiles(os.DirFS(dir), dir)
}

func loadRuleFiles(fsys fs.FS, dir string) (*map[string]*string, error) {
	files := map[string]*string{}
	err := fs.WalkDir(fsys, ".", func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() {
			if p != "." && strings.HasPrefix(e.Name(), ".") {
				return fs.SkipDir
			}
			return nil
		}
		if ext := path.Ext(p); ext != ".yaml" && ext != ".yml" {
			return nil
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		s := string(b)
		files[p] = &s
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("detection: reading the rule files under %s: %w", dir, err)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("detection: no rule file (*.yaml, *.yml) under %s", dir)
	}
	return &files, nil
}
