package detect

import (
	"embed"
	"os"
)

//go:embed rules/*.yaml
var defaultRules embed.FS

// DefaultRules returns the rule set trailguard ships, parsed but not
// compiled.
func DefaultRules() ([]*Rule, error) {
	return ParseFS(defaultRules, "rules", "detect/rules")
}

// Load returns an engine with the default rules merged with the rules of
// the directories dirs (read recursively, in order; a rule replaces an
// earlier one with the same id). Every problem in every file is reported at
// once, as LoadErrors.
func Load(dirs ...string) (*Engine, error) {
	rules, err := DefaultRules()
	errs := []error{err}
	for _, dir := range dirs {
		if _, statErr := os.Stat(dir); statErr != nil {
			return nil, statErr
		}
		user, err := ParseFS(os.DirFS(dir), ".", dir)
		errs = append(errs, err)
		rules = Merge(rules, user)
	}
	engine, err := Compile(rules)
	errs = append(errs, err)
	if err := JoinLoadErrors(errs...); err != nil {
		return nil, err
	}
	return engine, nil
}
