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
// The package is pure Go: it reads the assembly's files and needs no CDK.
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
	"unicode"
	"unicode/utf8"
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
		fix += "; or request a quota increase with Service Quotas and give the gate the raised value (see README, AWS quotas)"
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

// checker collects the findings of one template.
type checker struct {
	g        *Gate
	r        *renderer
	t        *template
	stack    string
	file     string
	findings []Finding
	// nestedLengthMatters: the findings of a nested template depend on the stack name's length.
	nestedLengthMatters bool
}

func (c *checker) over(q Quota, measured int, id, what string) {
	limit := c.g.limit(q)
	if measured <= limit && measured >= q.MinLength {
		return
	}
	path := ""
	if res, ok := c.t.Resources[id]; ok {
		path = res.path()
	}
	c.findings = append(c.findings, Finding{Quota: q, Limit: limit, Measured: measured, Stack: c.stack, Template: c.file, LogicalID: id, Path: path, What: what})
}

// checkTemplate checks the template body deployed as stack name, from file, and reports
// whether the length of the stack's name mattered.
func (g *Gate) checkTemplate(a *assets, stack, file string, body []byte) ([]Finding, bool, error) {
	t, err := parseTemplate(body)
	if err != nil {
		return nil, false, err
	}
	c := &checker{g: g, r: newRenderer(t, g.opts.Env, stack), t: t, stack: stack, file: file}
	c.over(Resources, len(t.Resources), "", "the template's resources")
	c.over(Outputs, len(t.Outputs), "", "the template's outputs")
	c.over(Parameters, len(t.Parameters), "", "the template's parameters")
	c.over(TemplateSize, len(body), "", "the template file")
	if d, ok := t.Description.(string); ok {
		c.over(TemplateDescription, len(d), "", "the template's Description")
	}

	ids := make([]string, 0, len(t.Resources))
	for id := range t.Resources {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	busPolicies := map[string][]any{}  // statements by bus name
	busOwner := map[string]string{}    // a logical id to report a bus policy at
	inline := map[string]int{}         // role logical id (or name) -> inline policy size
	inlineOwner := map[string]string{} // role key -> logical id to report at
	for _, id := range ids {
		res := t.Resources[id]
		props, _ := c.r.render(res.Properties).(map[string]any)
		name := func(q Quota, prop string) {
			if v, ok := props[prop]; ok {
				c.over(q, utf8.RuneCountInString(str(v)), id, prop)
			}
		}
		switch res.Type {
		case "AWS::Events::Rule":
			if p, ok := props["EventPattern"]; ok {
				c.over(EventPatternSize, chars(p), id, "EventPattern")
			}
			name(RuleName, "Name")
			if ts, ok := props["Targets"].([]any); ok {
				c.over(TargetsPerRule, len(ts), id, "Targets")
			}
		case "AWS::Events::EventBus":
			name(EventBusName, "Name")
			if p, ok := props["Policy"].(map[string]any); ok {
				bus := str(props["Name"])
				busPolicies[bus] = append(busPolicies[bus], statements(p)...)
				busOwner[bus] = firstOf(busOwner[bus], id)
			}
		case "AWS::Events::EventBusPolicy":
			bus := "default"
			if b, ok := props["EventBusName"]; ok {
				bus = str(b)
			}
			busPolicies[bus] = append(busPolicies[bus], c.busStatement(props, bus)...)
			if p, ok := props["Policy"].(map[string]any); ok {
				busPolicies[bus] = append(busPolicies[bus], statements(p)...)
			}
			busOwner[bus] = firstOf(busOwner[bus], id)
		case "AWS::Organizations::Policy":
			q, ok := map[string]Quota{
				"SERVICE_CONTROL_POLICY":    SCPSize,
				"RESOURCE_CONTROL_POLICY":   RCPSize,
				"TAG_POLICY":                TagPolicySize,
				"BACKUP_POLICY":             BackupPolicySize,
				"AISERVICES_OPT_OUT_POLICY": AIOptOutPolicySize,
			}[str(props["Type"])]
			if p, has := props["Content"]; ok && has {
				c.over(q, chars(p), id, "Content")
			}
		case "AWS::KMS::Key":
			if p, ok := props["KeyPolicy"]; ok {
				c.over(KeyPolicySize, bytesOf(p), id, "KeyPolicy")
			}
		case "AWS::KMS::Alias":
			name(KMSAliasName, "AliasName")
		case "AWS::S3::Bucket":
			name(BucketName, "BucketName")
		case "AWS::S3::BucketPolicy":
			if p, ok := props["PolicyDocument"]; ok {
				c.over(BucketPolicySize, bytesOf(p), id, "PolicyDocument")
			}
		case "AWS::SNS::Topic":
			name(TopicName, "TopicName")
		case "AWS::SNS::TopicPolicy":
			if p, ok := props["PolicyDocument"]; ok {
				c.over(TopicPolicySize, bytesOf(p), id, "PolicyDocument")
				c.over(TopicPolicyStatements, len(statements(p)), id, "PolicyDocument statements")
			}
		case "AWS::SQS::Queue":
			name(QueueName, "QueueName")
		case "AWS::SQS::QueuePolicy":
			if p, ok := props["PolicyDocument"]; ok {
				c.over(QueuePolicySize, bytesOf(p), id, "PolicyDocument")
				c.over(QueuePolicyStatements, len(statements(p)), id, "PolicyDocument statements")
			}
		case "AWS::Kinesis::Stream":
			name(StreamName, "Name")
		case "AWS::Logs::LogGroup":
			name(LogGroupName, "LogGroupName")
		case "AWS::CloudWatch::Alarm":
			name(AlarmName, "AlarmName")
		case "AWS::IAM::Role":
			name(RoleName, "RoleName")
			if p, ok := props["AssumeRolePolicyDocument"]; ok {
				c.over(RoleTrustPolicySize, nonSpace(p), id, "AssumeRolePolicyDocument")
			}
			if ps, ok := props["Policies"].([]any); ok {
				for _, p := range ps {
					if m, ok := p.(map[string]any); ok {
						inline[id] += nonSpace(m["PolicyDocument"])
						if n, ok := m["PolicyName"]; ok {
							c.over(PolicyName, utf8.RuneCountInString(str(n)), id, "Policies[].PolicyName")
						}
					}
				}
				inlineOwner[id] = id
			}
		case "AWS::IAM::ManagedPolicy":
			name(PolicyName, "ManagedPolicyName")
			if p, ok := props["PolicyDocument"]; ok {
				c.over(ManagedPolicySize, nonSpace(p), id, "PolicyDocument")
			}
		case "AWS::IAM::Policy", "AWS::IAM::RolePolicy":
			name(PolicyName, "PolicyName")
			size := nonSpace(props["PolicyDocument"])
			for _, role := range c.roles(res) {
				inline[role] += size
				inlineOwner[role] = firstOf(inlineOwner[role], roleOwner(t, role, id))
			}
		case "AWS::IAM::InstanceProfile":
			name(InstanceProfileName, "InstanceProfileName")
		case "AWS::CloudFormation::StackSet":
			ssName := str(props["StackSetName"])
			instance := "StackSet-" + ssName + "-" + stackUUID
			if b, ok := props["TemplateBody"]; ok {
				body := str(b)
				c.over(TemplateBodySize, len(body), id, "TemplateBody")
				if err := c.nested(a, instance, id, []byte(body)); err != nil {
					return nil, false, err
				}
			}
			if u, ok := props["TemplateURL"]; ok {
				if err := c.nestedURL(a, instance, id, str(u)); err != nil {
					return nil, false, err
				}
			}
		case "AWS::CloudFormation::Stack":
			if u, ok := props["TemplateURL"]; ok {
				if err := c.nestedURL(a, stack+"-"+id+"-"+randomSuffix, id, str(u)); err != nil {
					return nil, false, err
				}
			}
		}
	}
	for bus, ss := range busPolicies {
		doc := map[string]any{"Version": "2012-10-17", "Statement": ss}
		c.over(EventBusPolicySize, chars(doc), busOwner[bus], fmt.Sprintf("policy of event bus %q (%d statements)", bus, len(ss)))
	}
	for role, n := range inline {
		c.over(RoleInlinePolicySize, n, inlineOwner[role], "inline policies of role "+role)
	}
	// A nested stack's name is its parent's: its templates' lengths count as the parent's.
	return c.findings, c.r.nameLengthMatters || c.nestedLengthMatters, nil
}

// busStatement is the statement an AWS::EventBusPolicy adds to its bus's policy (rendered
// props): its Statement with the StatementId as Sid, or the statement EventBridge writes for
// the older Action, Principal and Condition properties.
func (c *checker) busStatement(props map[string]any, bus string) []any {
	sid := props["StatementId"]
	if st, ok := props["Statement"].(map[string]any); ok {
		if _, has := st["Sid"]; !has && sid != nil {
			st["Sid"] = sid
		}
		return []any{st}
	}
	p, ok := props["Principal"]
	if !ok {
		return nil
	}
	e := c.r.env
	principal := any("*")
	if ps := str(p); ps != "*" {
		principal = map[string]any{"AWS": "arn:" + e.Partition + ":iam::" + ps + ":root"}
	}
	st := map[string]any{"Sid": sid, "Effect": "Allow", "Principal": principal, "Action": props["Action"],
		"Resource": "arn:" + e.Partition + ":events:" + e.Region + ":" + e.AccountID + ":event-bus/" + bus}
	if cond, ok := props["Condition"].(map[string]any); ok {
		st["Condition"] = map[string]any{"StringEquals": map[string]any{str(cond["Key"]): cond["Value"]}}
	}
	return []any{st}
}

// roles are the roles an AWS::IAM::Policy (Roles) or AWS::IAM::RolePolicy (RoleName) is
// embedded in: the logical id of a role of the template, or the rendered name of another.
func (c *checker) roles(res *resource) []string {
	var raw []any
	if rs, ok := res.Properties["Roles"].([]any); ok {
		raw = rs
	} else if r, ok := res.Properties["RoleName"]; ok {
		raw = []any{r}
	}
	var out []string
	for _, r := range raw {
		if m, ok := r.(map[string]any); ok {
			if id, ok := m["Ref"].(string); ok {
				if _, isRes := c.t.Resources[id]; isRes {
					out = append(out, id)
					continue
				}
			}
		}
		out = append(out, str(c.r.render(r)))
	}
	return out
}

// roleOwner is the logical id to report a role's inline policies at: the role's own if it is
// in the template, else the policy's.
func roleOwner(t *template, role, policy string) string {
	if _, ok := t.Resources[role]; ok {
		return role
	}
	return policy
}

func firstOf(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// nested checks a template deployed by resource id of c's template as stack name.
func (c *checker) nested(a *assets, stack, id string, body []byte) error {
	fs, lengthMatters, err := c.g.checkTemplate(a, stack, c.file+" > "+id, body)
	if err != nil {
		return fmt.Errorf("template of %s: %w", id, err)
	}
	c.findings = append(c.findings, fs...)
	c.nestedLengthMatters = c.nestedLengthMatters || lengthMatters
	return nil
}

// nestedURL checks the template at url if it is a file asset of the assembly (CDK assets);
// templates elsewhere are not the assembly's to check.
func (c *checker) nestedURL(a *assets, stack, id, url string) error {
	file, ok, err := a.find(url)
	if err != nil || !ok {
		return err
	}
	body, err := os.ReadFile(filepath.Join(a.dir, file))
	if err != nil {
		return err
	}
	c.over(TemplateSize, len(body), id, "TemplateURL file "+file)
	return c.nested(a, stack, id, body)
}

// assets finds file assets of an assembly by the object key in their S3 URL.
type assets struct {
	dir   string
	byKey map[string]string // object key -> source path
}

func (a *assets) find(url string) (string, bool, error) {
	if a.byKey == nil {
		a.byKey = map[string]string{}
		manifests, err := filepath.Glob(filepath.Join(a.dir, "*.assets.json"))
		if err != nil {
			return "", false, err
		}
		for _, m := range manifests {
			var am struct {
				Files map[string]struct {
					Source struct {
						Path      string `json:"path"`
						Packaging string `json:"packaging"`
					} `json:"source"`
					Destinations map[string]struct {
						ObjectKey string `json:"objectKey"`
					} `json:"destinations"`
				} `json:"files"`
			}
			data, err := os.ReadFile(m)
			if err != nil {
				return "", false, err
			}
			if err := json.Unmarshal(data, &am); err != nil {
				return "", false, fmt.Errorf("%s: %w", filepath.Base(m), err)
			}
			for _, f := range am.Files {
				if f.Source.Packaging != "" && f.Source.Packaging != "file" {
					continue
				}
				for _, d := range f.Destinations {
					a.byKey[d.ObjectKey] = f.Source.Path
				}
			}
		}
	}
	for key, path := range a.byKey {
		if key != "" && strings.HasSuffix(url, "/"+key) {
			return path, true, nil
		}
	}
	return "", false, nil
}

// statements are a policy document's statements.
func statements(doc any) []any {
	m, ok := doc.(map[string]any)
	if !ok {
		return nil
	}
	switch s := m["Statement"].(type) {
	case []any:
		return s
	case nil:
		return nil
	default:
		return []any{s}
	}
}

// text is a JSON-typed property as sent: a string as is, anything else as compact JSON.
func text(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return compact(v)
}

func chars(v any) int { return utf8.RuneCountInString(text(v)) }

func bytesOf(v any) int { return len(text(v)) }

// nonSpace counts the characters of v that are not white space, as IAM does.
func nonSpace(v any) int {
	if v == nil {
		return 0
	}
	n := 0
	for _, r := range text(v) {
		if !unicode.IsSpace(r) {
			n++
		}
	}
	return n
}
