// Package quota is trailguard's AWS quota gate: it checks every template of a synthesized
// cloud assembly against the service quotas a deploy would hit, which no offline schema or
// policy check sees: an event pattern of 2,049 characters, a service control policy of
// 5,121, a role name of 65.
//
// Values are measured as CloudFormation would send them, after rendering the template for
// the longest environment (Longest: account, region, partition and URL suffix at their
// longest), with every Fn::If branch possible (the longer one is measured), references to
// the template's resources rendered as their names or ARNs (names CloudFormation generates at
// the longest it could), and JSON-typed properties as compact JSON. Each quota is a Quota in
// All with the documentation page it comes from.
//
// The package is pure Go: it reads the assembly's files and needs no CDK. An app that runs
// the gates with compliance.Synth gets this gate too (SynthOptions.Quotas); to check a cloud
// assembly on its own, after `cdk synth`:
//
//	gate, err := quota.NewGate(quota.Options{
//		// Raised with Service Quotas in every account and region deployed to.
//		Raised: map[string]int{quota.EventPatternSize.ID: 4096},
//	})
//	if err != nil {
//		return err
//	}
//	findings, err := gate.Check("cdk.out")
//	if err != nil {
//		return err
//	}
//	for _, f := range findings {
//		fmt.Println(f) // where, what, how much, and the fix
//	}
//	return quota.WriteReport("cdk.out", findings) // cdk.out/quota-report.json, for CI
package quota

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Finding is one value over a quota.
type Finding struct {
	// Quota is the quota exceeded.
	Quota Quota
	// Limit is the value checked against: Quota.Limit, or its raised value (Options.Raised).
	Limit int
	// Measured is the value measured.
	Measured int
	// Stack is the stack the template deploys as.
	Stack string
	// Template is the template file, relative to the assembly directory; for a template
	// nested in another (a StackSet's), "<file> > <logical id>".
	Template string
	// LogicalID is the resource's logical id, "" for a template-wide quota.
	LogicalID string
	// Path is the resource's construct path (aws:cdk:path metadata), "" if unknown.
	Path string
	// What names the measured value, e.g. "EventPattern" or `policy of event bus "default"`.
	What string
}

// String is the finding as the synth prints it: where, what, how much, and the fix.
func (f Finding) String() string {
	return "[error] " + f.Quota.ID + ": " + f.Message() + "\n      at " + f.Location()
}

// Message says what is over the quota, by how much, how to fix it and where the quota is
// documented.
func (f Finding) Message() string {
	over := "over the quota of " + group(f.Limit)
	if f.Measured < f.Quota.MinLength {
		over = "under the minimum of " + group(f.Quota.MinLength)
	}
	fix := f.Quota.Fix
	if f.Quota.Adjustable {
		fix += "; or request a quota increase with Service Quotas and give the gate the raised value (see docs/compliance.md, AWS quotas)"
	}
	return fmt.Sprintf("%s is %s %s, %s: %s. Quota: %s", f.What, group(f.Measured), f.Quota.Unit, over, fix, f.Quota.Doc)
}

// Location is the stack, logical id and construct path of the finding.
func (f Finding) Location() string {
	where := f.Stack
	if f.LogicalID != "" {
		where += " " + f.LogicalID
	}
	if f.Path != "" {
		where += " (" + f.Path + ")"
	}
	if strings.Contains(f.Template, " > ") {
		where += " in the template of " + f.Template
	}
	return where
}

// group writes n with thousands separators, as the quota pages do.
func group(n int) string {
	s := strconv.Itoa(n)
	if n < 10000 && n > -10000 {
		if n >= 1000 {
			return s[:len(s)-3] + "," + s[len(s)-3:]
		}
		return s
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// ReportFile is the name of the report WriteReport writes into the cloud assembly.
const ReportFile = "quota-report.json"

// WriteReport writes findings as JSON to ReportFile in the cloud assembly directory dir, for
// CI to keep beside the compliance gates' validation report. It writes the file whether or not
// there are findings, so that a report left by an earlier synth never outlives it.
func WriteReport(dir string, findings []Finding) error {
	type entry struct {
		Quota     string `json:"quota"`
		Limit     int    `json:"limit"`
		Measured  int    `json:"measured"`
		Unit      string `json:"unit"`
		Stack     string `json:"stack"`
		Template  string `json:"template"`
		LogicalID string `json:"logicalId,omitempty"`
		Path      string `json:"constructPath,omitempty"`
		What      string `json:"what"`
		Fix       string `json:"fix"`
		Doc       string `json:"documentation"`
	}
	r := struct {
		Quotas   int     `json:"quotasChecked"`
		Findings []entry `json:"findings"`
	}{Quotas: len(All), Findings: []entry{}}
	for _, f := range findings {
		r.Findings = append(r.Findings, entry{f.Quota.ID, f.Limit, f.Measured, f.Quota.Unit, f.Stack, f.Template, f.LogicalID, f.Path, f.What, f.Quota.Fix, f.Quota.Doc})
	}
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, ReportFile), append(data, '\n'), 0o644)
}

// Options configure a Gate.
type Options struct {
	// Raised are quotas raised with Service Quotas for the accounts deployed to, by Quota.ID:
	// the gate checks against these values instead of the defaults. Only adjustable quotas
	// can be raised.
	Raised map[string]int
	// Env is the environment templates are rendered for; the zero value means Longest.
	Env Env
}

// Gate checks cloud assemblies. It remembers the stacks it has checked, so checking an
// assembly again (after stacks were added to it) checks only the new ones, and it checks a
// template that is byte for byte another one's but for the stack's name (a replicated
// member stack) only once per length of name.
type Gate struct {
	opts    Options
	checked map[string]bool // by stack name
	cache   map[cacheKey]cached
}

type cacheKey struct {
	sum     [sha256.Size]byte
	nameLen int
}

type cached struct {
	stack    string
	findings []Finding
}

// NewGate returns a gate with opts.
func NewGate(opts Options) (*Gate, error) {
	for id, v := range opts.Raised {
		q, ok := ByID(id)
		switch {
		case !ok:
			return nil, fmt.Errorf("raised quota %q is not a quota the gate checks", id)
		case !q.Adjustable:
			return nil, fmt.Errorf("quota %s cannot be raised: AWS does not adjust it", id)
		case v < q.Limit:
			return nil, fmt.Errorf("raised quota %s must be at least its default %d, got %d", id, q.Limit, v)
		}
	}
	if opts.Env == (Env{}) {
		opts.Env = Longest
	}
	return &Gate{opts: opts, checked: map[string]bool{}, cache: map[cacheKey]cached{}}, nil
}

// ByID returns the quota with id.
func ByID(id string) (Quota, bool) {
	for _, q := range All {
		if q.ID == id {
			return q, true
		}
	}
	return Quota{}, false
}

// AdjustableIDs are the ids of the quotas that can be raised, sorted.
func AdjustableIDs() []string {
	var ids []string
	for _, q := range All {
		if q.Adjustable {
			ids = append(ids, q.ID)
		}
	}
	sort.Strings(ids)
	return ids
}

// Check checks every stack of the cloud assembly in dir with the default quotas.
func Check(dir string) ([]Finding, error) {
	g, err := NewGate(Options{})
	if err != nil {
		return nil, err
	}
	return g.Check(dir)
}

// Check checks the stacks of the cloud assembly in dir that g has not checked yet, and the
// templates they deploy (StackSet and nested stack templates, inline or as file assets). The
// findings are sorted by stack, resource and quota.
func (g *Gate) Check(dir string) ([]Finding, error) {
	var manifest struct {
		Artifacts map[string]struct {
			Type                   string                       `json:"type"`
			Metadata               map[string][]json.RawMessage `json:"metadata"`
			AdditionalMetadataFile string                       `json:"additionalMetadataFile"`
			Properties             struct {
				TemplateFile string `json:"templateFile"`
				StackName    string `json:"stackName"`
			} `json:"properties"`
		} `json:"artifacts"`
	}
	data, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(data, &manifest); err != nil {
		return nil, fmt.Errorf("manifest.json: %w", err)
	}
	a := &assets{dir: dir}
	var out []Finding
	for id, art := range manifest.Artifacts {
		if art.Type != "aws:cloudformation:stack" {
			continue
		}
		name := art.Properties.StackName
		if name == "" {
			name = id
		}
		if g.checked[name] {
			continue
		}
		g.checked[name] = true
		body, err := os.ReadFile(filepath.Join(dir, art.Properties.TemplateFile))
		if err != nil {
			return nil, err
		}
		fs, err := g.checkStack(a, name, art.Properties.TemplateFile, body)
		if err != nil {
			return nil, err
		}
		// Without path metadata in the template (the cdk CLI asks for it, other apps may
		// not), the construct paths come from the stack's metadata.
		var paths map[string]string
		for i, f := range fs {
			if f.Path != "" || f.LogicalID == "" || f.Template != art.Properties.TemplateFile {
				continue
			}
			if paths == nil {
				if paths, err = constructPaths(dir, art.Metadata, art.AdditionalMetadataFile); err != nil {
					return nil, err
				}
			}
			fs[i].Path = paths[f.LogicalID]
		}
		out = append(out, fs...)
	}
	sort.SliceStable(out, func(i, j int) bool {
		x, y := out[i], out[j]
		if x.Stack != y.Stack {
			return x.Stack < y.Stack
		}
		if x.Template != y.Template {
			return x.Template < y.Template
		}
		if x.LogicalID != y.LogicalID {
			return x.LogicalID < y.LogicalID
		}
		return x.Quota.ID < y.Quota.ID
	})
	return out, nil
}

// constructPaths maps the logical ids of a stack artifact to their construct paths, from its
// metadata (in the manifest or in its additional metadata file).
func constructPaths(dir string, metadata map[string][]json.RawMessage, file string) (map[string]string, error) {
	if file != "" {
		data, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(data, &metadata); err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
	}
	paths := map[string]string{}
	for path, entries := range metadata {
		for _, e := range entries {
			var entry struct {
				Type string `json:"type"`
				Data any    `json:"data"`
			}
			if json.Unmarshal(e, &entry) == nil && entry.Type == "aws:cdk:logicalId" {
				if id, ok := entry.Data.(string); ok {
					paths[id] = strings.TrimPrefix(path, "/")
				}
			}
		}
	}
	return paths, nil
}

// checkStack checks one stack's template, or reuses the findings of a template that differs
// from it only in the stack's name (same length).
func (g *Gate) checkStack(a *assets, name, file string, body []byte) ([]Finding, error) {
	key := cacheKey{sum: sumWithout(body, []byte(name)), nameLen: -1}
	c, ok := g.cache[key] // findings that do not depend on the name's length
	if !ok {
		key.nameLen = len(name)
		c, ok = g.cache[key]
	}
	if ok {
		out := make([]Finding, len(c.findings))
		for i, f := range c.findings {
			f.Stack = name
			f.Template = strings.ReplaceAll(f.Template, c.stack, name)
			f.Path = strings.ReplaceAll(f.Path, c.stack, name)
			f.What = strings.ReplaceAll(f.What, c.stack, name)
			out[i] = f
		}
		return out, nil
	}
	fs, lengthMatters, err := g.checkTemplate(a, name, file, body)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if !lengthMatters {
		key.nameLen = -1
	}
	g.cache[key] = cached{stack: name, findings: fs}
	return fs, nil
}

// sumWithout is the SHA-256 of body with every occurrence of name replaced by a zero byte.
func sumWithout(body, name []byte) (sum [sha256.Size]byte) {
	h := sha256.New()
	for {
		i := bytes.Index(body, name)
		if i < 0 {
			h.Write(body)
			break
		}
		h.Write(body[:i])
		h.Write([]byte{0})
		body = body[i+len(name):]
	}
	h.Sum(sum[:0])
	return sum
}

func (g *Gate) limit(q Quota) int {
	if v, ok := g.opts.Raised[q.ID]; ok {
		return v
	}
	return q.Limit
}
