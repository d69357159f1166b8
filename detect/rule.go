package detect

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/goccy/go-yaml"

	"github.com/trailguard/trailguard/internal/respond/action"
)

// Rule is one detection: a condition over a CloudTrail record, the
// exceptions to it, and optionally a threshold over a time window.
type Rule struct {
	// ID names the rule in alerts and dedupe keys; lowercase letters,
	// digits and dashes. A user's rule with the ID of a default rule
	// replaces it.
	ID string
	// Title is a one-line summary, the alert's headline.
	Title string
	// Severity ranks the rule's alerts.
	Severity Severity
	// Description says what the rule detects, why it matters and what to
	// check first.
	Description string
	// References are URLs: the API, the attack technique, the advice.
	References []string
	// Techniques are MITRE ATT&CK technique ids, such as T1562.008.
	Techniques []string
	// Match is the condition, a CEL expression over the record (see the
	// package documentation for the variables and functions).
	Match string
	// Exceptions are records that match but must not alert.
	Exceptions []Exception
	// Threshold, when set, makes the rule alert only when enough matching
	// records arrive within a time window.
	Threshold *Threshold
	// Response, when set, is the automatic response to the rule's alerts (package internal/respond):
	// an action of the catalogue in package internal/respond/action and its parameters.
	Response *Response
	// Disabled rules are loaded and checked but never alert.
	Disabled bool
	// File is where the rule was read from.
	File string
}

// Exception describes matching records that must not alert. It applies when
// every field it sets matches (a field matches when any of its patterns
// does); patterns are globs where * matches any run of characters.
type Exception struct {
	// Reason says why the records are fine; required.
	Reason string
	// Principals are patterns of the caller's ARN (see Alert.Principal).
	Principals []string
	// Accounts are patterns of the account the event happened in.
	Accounts []string
	// Roles are patterns of the name of the IAM role the caller acts as.
	Roles []string
	// Tags are key=value patterns of the tags the request sets (CloudTrail
	// records do not carry the caller's tags).
	Tags []string
	// Condition is a CEL expression over the record, like Rule.Match.
	Condition string
}

// MaxThresholdCount is the largest threshold count. The detection functions share their
// counts in DynamoDB, keeping up to count members (eventIDs or distinct values, each at most
// 256 bytes, longer ones hashed) in one item per time bucket: 1,000 of them stay well under
// DynamoDB's item size limit of 400 KB
// (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html).
const MaxThresholdCount = 1000

// Threshold makes a rule alert when, within Window of event time, Count
// matching records (or Count distinct values of Distinct) share a GroupBy
// value.
type Threshold struct {
	// Count is how many matching records, or distinct values, alert.
	Count int
	// Window is the span of event time they must fall in.
	Window time.Duration
	// GroupBy is a CEL expression giving the key records are counted
	// under. Default: principal.
	GroupBy string
	// Distinct, when set, is a CEL expression giving a string or a list of
	// strings; the threshold counts distinct values instead of records.
	Distinct string
}

// Response is the automatic response a rule's alerts ask for. Whether it runs, and in which
// mode, is the config's choice (response.actions); see docs/response.md.
type Response struct {
	// Action is an action's name (package internal/respond/action).
	Action string
	// Params are the action's parameters, as decoded from YAML.
	Params map[string]any
}

// LoadError is one problem with a rule file.
type LoadError struct {
	// File is the rule file.
	File string
	// Rule is the rule's id, when known.
	Rule string
	// Field is the rule's field at fault, when known.
	Field string
	// Err is what is wrong.
	Err error
}

// Error is "<file>: rule <id>: <field>: <problem>", leaving out what is not known.
func (e *LoadError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Rule != "" {
		fmt.Fprintf(&b, ": rule %s", e.Rule)
	}
	if e.Field != "" {
		fmt.Fprintf(&b, ": %s", e.Field)
	}
	fmt.Fprintf(&b, ": %v", e.Err)
	return b.String()
}

// Unwrap returns Err, for errors.Is and errors.As.
func (e *LoadError) Unwrap() error { return e.Err }

// LoadErrors are all the problems found in a set of rule files.
type LoadErrors []*LoadError

// Error lists every problem, one a line.
func (es LoadErrors) Error() string {
	if len(es) == 1 {
		return "rules: " + es[0].Error()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "rules have %d problems:", len(es))
	for _, e := range es {
		b.WriteString("\n  ")
		b.WriteString(strings.ReplaceAll(e.Error(), "\n", "\n    "))
	}
	return b.String()
}

// errorOrNil returns es as an error, or nil when there are none.
func (es LoadErrors) errorOrNil() error {
	if len(es) == 0 {
		return nil
	}
	return es
}

// JoinLoadErrors gathers the LoadErrors in errs into one, so that problems
// found by several steps are reported together. Other errors are kept as
// they are.
func JoinLoadErrors(errs ...error) error {
	var all LoadErrors
	var other []error
	for _, err := range errs {
		var les LoadErrors
		switch {
		case err == nil:
		case errors.As(err, &les):
			all = append(all, les...)
		default:
			other = append(other, err)
		}
	}
	slices.SortStableFunc(all, func(a, b *LoadError) int { return strings.Compare(a.File, b.File) })
	if len(other) > 0 {
		return errors.Join(append(other, all.errorOrNil())...)
	}
	return all.errorOrNil()
}

// ruleDoc is a rule as written in YAML.
type ruleDoc struct {
	ID          string         `yaml:"id"`
	Title       string         `yaml:"title"`
	Severity    string         `yaml:"severity"`
	Description string         `yaml:"description"`
	References  []string       `yaml:"references"`
	Techniques  []string       `yaml:"techniques"`
	Match       string         `yaml:"match"`
	Exceptions  []exceptionDoc `yaml:"exceptions"`
	Threshold   *thresholdDoc  `yaml:"threshold"`
	Response    *responseDoc   `yaml:"response"`
	Disabled    bool           `yaml:"disabled"`
}

type responseDoc struct {
	Action string         `yaml:"action"`
	Params map[string]any `yaml:"params"`
}

type exceptionDoc struct {
	Reason     string   `yaml:"reason"`
	Principals []string `yaml:"principals"`
	Accounts   []string `yaml:"accounts"`
	Roles      []string `yaml:"roles"`
	Tags       []string `yaml:"tags"`
	Condition  string   `yaml:"condition"`
}

type thresholdDoc struct {
	Count    int    `yaml:"count"`
	Window   string `yaml:"window"`
	GroupBy  string `yaml:"groupBy"`
	Distinct string `yaml:"distinct"`
}

var idRe = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// ParseFS reads every rule file (*.yaml, *.yml) under dir in fsys, in
// lexical order; a file holds one or more rules as YAML documents. name is
// how dir is shown in errors. It returns the rules read and, as LoadErrors,
// every problem found; rules with problems are left out.
func ParseFS(fsys fs.FS, dir, name string) ([]*Rule, error) {
	var rules []*Rule
	var errs LoadErrors
	err := fs.WalkDir(fsys, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !(strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) {
			return nil
		}
		rel := strings.TrimPrefix(strings.TrimPrefix(p, dir), "/")
		display := path.Join(name, rel)
		f, err := fsys.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		rs, es := parseFile(f, display)
		rules = append(rules, rs...)
		errs = append(errs, es...)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading rules in %s: %w", name, err)
	}
	return uniqueIDs(rules, errs)
}

// ParseFiles is ParseFS for rule files held in memory, by name (a path
// relative to a rules directory, such as "team/iam.yaml"): files not named
// *.yaml or *.yml are ignored; the others are read in lexical order of their
// names. name is how their directory is shown in errors.
func ParseFiles(files map[string][]byte, name string) ([]*Rule, error) {
	names := make([]string, 0, len(files))
	for n := range files {
		if strings.HasSuffix(n, ".yaml") || strings.HasSuffix(n, ".yml") {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	var rules []*Rule
	var errs LoadErrors
	for _, n := range names {
		rs, es := parseFile(bytes.NewReader(files[n]), path.Join(name, n))
		rules = append(rules, rs...)
		errs = append(errs, es...)
	}
	return uniqueIDs(rules, errs)
}

// uniqueIDs drops the rules whose id an earlier rule has, adding a problem
// for each to errs: the same id twice in one set is a mistake; across sets
// it is an override (see Merge).
func uniqueIDs(rules []*Rule, errs LoadErrors) ([]*Rule, error) {
	seen := map[string]*Rule{}
	kept := rules[:0]
	for _, r := range rules {
		if first, ok := seen[r.ID]; ok {
			errs = append(errs, &LoadError{File: r.File, Rule: r.ID, Field: "id", Err: fmt.Errorf("duplicate id, first defined in %s", first.File)})
			continue
		}
		seen[r.ID] = r
		kept = append(kept, r)
	}
	return kept, errs.errorOrNil()
}

// parseFile reads the rules in one file.
func parseFile(r io.Reader, file string) ([]*Rule, LoadErrors) {
	dec := yaml.NewDecoder(r, yaml.DisallowUnknownField())
	var rules []*Rule
	var errs LoadErrors
	for n := 1; ; n++ {
		var doc ruleDoc
		err := dec.Decode(&doc)
		if err == io.EOF {
			break
		}
		if err != nil {
			errs = append(errs, &LoadError{File: file, Err: fmt.Errorf("document %d: %s", n, strings.TrimSpace(yaml.FormatError(err, false, true)))})
			break // the decoder cannot resync after a syntax error
		}
		rule, es := doc.rule(file)
		errs = append(errs, es...)
		if len(es) == 0 {
			rules = append(rules, rule)
			continue
		}
		// The rule is left out, but its expressions' problems are
		// reported now too rather than after the next fix.
		if env, err := sharedEnv(); err == nil {
			_, ces := compileRule(env, rule, 0)
			errs = append(errs, ces...)
		}
	}
	return rules, errs
}

// rule validates a document and turns it into a Rule.
func (d *ruleDoc) rule(file string) (*Rule, LoadErrors) {
	var errs LoadErrors
	fail := func(field string, format string, a ...any) {
		errs = append(errs, &LoadError{File: file, Rule: d.ID, Field: field, Err: fmt.Errorf(format, a...)})
	}
	switch {
	case d.ID == "":
		fail("id", "is required")
	case !idRe.MatchString(d.ID):
		fail("id", "must be lowercase letters, digits and single dashes, got %q", d.ID)
	}
	if strings.TrimSpace(d.Title) == "" {
		fail("title", "is required")
	}
	sev, err := ParseSeverity(d.Severity)
	if d.Severity == "" {
		fail("severity", "is required; want one of %s", strings.Join(SeverityNames(), ", "))
	} else if err != nil {
		fail("severity", "%v", err)
	}
	if strings.TrimSpace(d.Match) == "" {
		fail("match", "is required: a CEL expression over the record")
	}
	for i, ref := range d.References {
		if !strings.HasPrefix(ref, "https://") && !strings.HasPrefix(ref, "http://") {
			fail(fmt.Sprintf("references[%d]", i), "must be a URL, got %q", ref)
		}
	}
	rule := &Rule{
		ID: d.ID, Title: strings.TrimSpace(d.Title), Severity: sev, Description: strings.TrimSpace(d.Description),
		References: d.References, Techniques: d.Techniques, Match: d.Match, Disabled: d.Disabled, File: file,
	}
	for i, e := range d.Exceptions {
		field := fmt.Sprintf("exceptions[%d]", i)
		if strings.TrimSpace(e.Reason) == "" {
			fail(field+".reason", "is required: say why these records are fine")
		}
		if len(e.Principals)+len(e.Accounts)+len(e.Roles)+len(e.Tags) == 0 && e.Condition == "" {
			fail(field, "sets nothing to match; set principals, accounts, roles, tags or condition")
		}
		for _, t := range e.Tags {
			if !strings.Contains(t, "=") {
				fail(field+".tags", "must be key=value patterns, got %q", t)
			}
		}
		rule.Exceptions = append(rule.Exceptions, Exception{
			Reason: e.Reason, Principals: e.Principals, Accounts: e.Accounts, Roles: e.Roles, Tags: e.Tags, Condition: e.Condition,
		})
	}
	if t := d.Threshold; t != nil {
		th := &Threshold{Count: t.Count, GroupBy: t.GroupBy, Distinct: t.Distinct}
		switch {
		case t.Count < 2:
			fail("threshold.count", "must be at least 2, got %d", t.Count)
		case t.Count > MaxThresholdCount:
			fail("threshold.count", "must be at most %d, got %d: the deployed functions keep up to count members per time bucket in one DynamoDB item", MaxThresholdCount, t.Count)
		}
		w, err := time.ParseDuration(t.Window)
		switch {
		case t.Window == "":
			fail("threshold.window", "is required, such as 10m")
		case err != nil || w <= 0:
			fail("threshold.window", "must be a positive duration such as 10m or 1h, got %q", t.Window)
		}
		th.Window = w
		if th.GroupBy == "" {
			th.GroupBy = "principal"
		}
		rule.Threshold = th
	}
	if r := d.Response; r != nil {
		for _, fe := range action.Validate(r.Action, r.Params) {
			fail("response."+fe.Field, "%v", fe.Err)
		}
		if d.Threshold != nil {
			fail("response", "a threshold rule cannot carry a response: its alert stands for many records, and a response acts on the one resource a record names")
		}
		rule.Response = &Response{Action: r.Action, Params: r.Params}
	}
	return rule, errs
}

// Merge returns base with the rules of overrides added, a rule of overrides
// replacing the rule of base with the same id in its place.
func Merge(base, overrides []*Rule) []*Rule {
	out := slices.Clone(base)
	index := map[string]int{}
	for i, r := range out {
		index[r.ID] = i
	}
	for _, r := range overrides {
		if i, ok := index[r.ID]; ok {
			out[i] = r
			continue
		}
		index[r.ID] = len(out)
		out = append(out, r)
	}
	return out
}
