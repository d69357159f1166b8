package detect

import (
	"embed"
	"fmt"
	"os"
	"slices"
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
	return LoadWith(LoadOptions{Dirs: dirs})
}

// LoadOptions are the rules LoadWith adds to the defaults.
type LoadOptions struct {
	// Dirs are directories of rule files, read recursively, in order.
	Dirs []string
	// Files are rule files by name (ParseFiles), read after Dirs; FilesName
	// is how their directory is shown in errors.
	Files     map[string][]byte
	FilesName string
	// Disabled are the ids of rules to turn off (as `disabled: true` does);
	// an id no rule has is a problem, reported as from DisabledName.
	Disabled     []string
	DisabledName string
	// Context is the organization context every condition sees (CompileWith).
	// Default: none, so only a record's own account is the organization's.
	Context *Context
}

// LoadWith returns an engine with the default rules merged with the rules
// of o.Dirs and then o.Files (a rule replaces an earlier one with the same
// id), the rules of o.Disabled turned off. The detection functions and
// `trailguard detect` load their rules with it, and the synth checks users'
// rules with it. Every problem is reported at once, as LoadErrors.
func LoadWith(o LoadOptions) (*Engine, error) {
	rules, err := DefaultRules()
	errs := []error{err}
	for _, dir := range o.Dirs {
		if _, statErr := os.Stat(dir); statErr != nil {
			return nil, statErr
		}
		user, err := ParseFS(os.DirFS(dir), ".", dir)
		errs = append(errs, err)
		rules = Merge(rules, user)
	}
	if len(o.Files) > 0 {
		user, err := ParseFiles(o.Files, o.FilesName)
		errs = append(errs, err)
		rules = Merge(rules, user)
	}
	if len(o.Disabled) > 0 {
		var problems LoadErrors
		for _, id := range o.Disabled {
			i := slices.IndexFunc(rules, func(r *Rule) bool { return r.ID == id })
			if i < 0 {
				problems = append(problems, &LoadError{File: o.DisabledName, Rule: id, Err: fmt.Errorf("no rule has this id: correct it (the default rules are in detect/rules) or remove it")})
				continue
			}
			rules[i].Disabled = true
		}
		errs = append(errs, problems.errorOrNil())
	}
	engine, err := CompileWith(rules, o.Context)
	errs = append(errs, err)
	if err := JoinLoadErrors(errs...); err != nil {
		return nil, err
	}
	return engine, nil
}
