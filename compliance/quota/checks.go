package quota

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"unicode"
	"unicode/utf8"
)

// checker collects the findings of one template.
type checker struct {
	g        *Gate
	a        *assets
	r        *renderer
	t        *template
	stack    string
	file     string
	findings []Finding
	// busPolicies are the statements of each event bus's policy, by bus name, and busOwner
	// the logical id to report a bus's policy at.
	busPolicies map[string][]any
	busOwner    map[string]string
	// inline is the size of each role's inline policies, by the role's logical id (or name,
	// for a role of another template), and inlineOwner the logical id to report it at.
	inline      map[string]int
	inlineOwner map[string]string
	// nestedLengthMatters: the findings of a nested template depend on the stack name's length.
	nestedLengthMatters bool
}

// over records a finding when measured is over q's limit (or under its minimum length).
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

// name checks the length of the name in property prop of resource id.
func (c *checker) name(q Quota, id string, props map[string]any, prop string) {
	if v, ok := props[prop]; ok {
		c.over(q, utf8.RuneCountInString(str(v)), id, prop)
	}
}

// checkTemplate checks the template body deployed as stack name, from file, and reports
// whether the length of the stack's name mattered.
func (g *Gate) checkTemplate(a *assets, stack, file string, body []byte) ([]Finding, bool, error) {
	t, err := parseTemplate(body)
	if err != nil {
		return nil, false, err
	}
	c := &checker{
		g: g, a: a, r: newRenderer(t, g.opts.Env, stack), t: t, stack: stack, file: file,
		busPolicies: map[string][]any{}, busOwner: map[string]string{},
		inline: map[string]int{}, inlineOwner: map[string]string{},
	}
	c.template(body)
	ids := make([]string, 0, len(t.Resources))
	for id := range t.Resources {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		if err := c.resource(id, t.Resources[id]); err != nil {
			return nil, false, err
		}
	}
	c.aggregates()
	// A nested stack's name is its parent's: its templates' lengths count as the parent's.
	return c.findings, c.r.nameLengthMatters || c.nestedLengthMatters, nil
}

// template checks the template-wide quotas.
func (c *checker) template(body []byte) {
	c.over(Resources, len(c.t.Resources), "", "the template's resources")
	c.over(Outputs, len(c.t.Outputs), "", "the template's outputs")
	c.over(Parameters, len(c.t.Parameters), "", "the template's parameters")
	c.over(TemplateSize, len(body), "", "the template file")
	if d, ok := c.t.Description.(string); ok {
		c.over(TemplateDescription, len(d), "", "the template's Description")
	}
}

// names are the name properties checked, by resource type.
var names = map[string]struct {
	q    Quota
	prop string
}{
	"AWS::Events::Rule":         {RuleName, "Name"},
	"AWS::Events::EventBus":     {EventBusName, "Name"},
	"AWS::KMS::Alias":           {KMSAliasName, "AliasName"},
	"AWS::S3::Bucket":           {BucketName, "BucketName"},
	"AWS::SNS::Topic":           {TopicName, "TopicName"},
	"AWS::SQS::Queue":           {QueueName, "QueueName"},
	"AWS::Kinesis::Stream":      {StreamName, "Name"},
	"AWS::Logs::LogGroup":       {LogGroupName, "LogGroupName"},
	"AWS::CloudWatch::Alarm":    {AlarmName, "AlarmName"},
	"AWS::IAM::Role":            {RoleName, "RoleName"},
	"AWS::IAM::ManagedPolicy":   {PolicyName, "ManagedPolicyName"},
	"AWS::IAM::Policy":          {PolicyName, "PolicyName"},
	"AWS::IAM::RolePolicy":      {PolicyName, "PolicyName"},
	"AWS::IAM::InstanceProfile": {InstanceProfileName, "InstanceProfileName"},
}

// policies are the resource policies checked on their own, by resource type.
var policies = map[string]struct {
	prop       string
	size       Quota
	measure    func(any) int
	statements *Quota
}{
	"AWS::KMS::Key":           {"KeyPolicy", KeyPolicySize, bytesOf, nil},
	"AWS::S3::BucketPolicy":   {"PolicyDocument", BucketPolicySize, bytesOf, nil},
	"AWS::SNS::TopicPolicy":   {"PolicyDocument", TopicPolicySize, bytesOf, &TopicPolicyStatements},
	"AWS::SQS::QueuePolicy":   {"PolicyDocument", QueuePolicySize, bytesOf, &QueuePolicyStatements},
	"AWS::IAM::ManagedPolicy": {"PolicyDocument", ManagedPolicySize, nonSpace, nil},
	"AWS::IAM::Role":          {"AssumeRolePolicyDocument", RoleTrustPolicySize, nonSpace, nil},
}

// organizationPolicies are the Organizations policy size quotas, by policy type.
var organizationPolicies = map[string]Quota{
	"SERVICE_CONTROL_POLICY":    SCPSize,
	"RESOURCE_CONTROL_POLICY":   RCPSize,
	"TAG_POLICY":                TagPolicySize,
	"BACKUP_POLICY":             BackupPolicySize,
	"AISERVICES_OPT_OUT_POLICY": AIOptOutPolicySize,
}

// resource checks resource id, rendered, and adds what it contributes to the aggregates.
func (c *checker) resource(id string, res *resource) error {
	props, _ := c.r.render(res.Properties).(map[string]any)
	if n, ok := names[res.Type]; ok {
		c.name(n.q, id, props, n.prop)
	}
	if p, ok := policies[res.Type]; ok {
		if doc, has := props[p.prop]; has {
			c.over(p.size, p.measure(doc), id, p.prop)
			if p.statements != nil {
				c.over(*p.statements, len(statements(doc)), id, p.prop+" statements")
			}
		}
	}
	switch res.Type {
	case "AWS::Events::Rule":
		if p, ok := props["EventPattern"]; ok {
			c.over(EventPatternSize, chars(p), id, "EventPattern")
		}
		if ts, ok := props["Targets"].([]any); ok {
			c.over(TargetsPerRule, len(ts), id, "Targets")
		}
	case "AWS::Events::EventBus":
		if p, ok := props["Policy"].(map[string]any); ok {
			c.addBusStatements(str(props["Name"]), id, statements(p))
		}
	case "AWS::Events::EventBusPolicy":
		bus := "default"
		if b, ok := props["EventBusName"]; ok {
			bus = str(b)
		}
		c.addBusStatements(bus, id, c.busStatement(props, bus))
		if p, ok := props["Policy"].(map[string]any); ok {
			c.addBusStatements(bus, id, statements(p))
		}
	case "AWS::Organizations::Policy":
		if q, ok := organizationPolicies[str(props["Type"])]; ok {
			if p, has := props["Content"]; has {
				c.over(q, chars(p), id, "Content")
			}
		}
	case "AWS::Lambda::Function":
		if env, ok := props["Environment"].(map[string]any); ok {
			if vars, ok := env["Variables"].(map[string]any); ok {
				c.over(FunctionEnvironmentSize, bytesOf(vars), id, fmt.Sprintf("Environment.Variables (%d variables)", len(vars)))
			}
		}
	case "AWS::IAM::Role":
		c.roleInlinePolicies(id, props)
	case "AWS::IAM::Policy", "AWS::IAM::RolePolicy":
		size := nonSpace(props["PolicyDocument"])
		for _, role := range c.roles(res) {
			c.inline[role] += size
			c.inlineOwner[role] = firstOf(c.inlineOwner[role], roleOwner(c.t, role, id))
		}
	case "AWS::CloudFormation::StackSet":
		instance := "StackSet-" + str(props["StackSetName"]) + "-" + stackUUID
		if b, ok := props["TemplateBody"]; ok {
			body := str(b)
			c.over(TemplateBodySize, len(body), id, "TemplateBody")
			if err := c.nested(instance, id, []byte(body)); err != nil {
				return err
			}
		}
		if u, ok := props["TemplateURL"]; ok {
			return c.nestedURL(instance, id, str(u))
		}
	case "AWS::CloudFormation::Stack":
		if u, ok := props["TemplateURL"]; ok {
			return c.nestedURL(c.stack+"-"+id+"-"+randomSuffix, id, str(u))
		}
	}
	return nil
}

// roleInlinePolicies adds the policies embedded in role id (Policies) to its inline size
// and checks their names.
func (c *checker) roleInlinePolicies(id string, props map[string]any) {
	ps, ok := props["Policies"].([]any)
	if !ok {
		return
	}
	for _, p := range ps {
		if m, ok := p.(map[string]any); ok {
			c.inline[id] += nonSpace(m["PolicyDocument"])
			if n, ok := m["PolicyName"]; ok {
				c.over(PolicyName, utf8.RuneCountInString(str(n)), id, "Policies[].PolicyName")
			}
		}
	}
	c.inlineOwner[id] = id
}

func (c *checker) addBusStatements(bus, id string, ss []any) {
	c.busPolicies[bus] = append(c.busPolicies[bus], ss...)
	c.busOwner[bus] = firstOf(c.busOwner[bus], id)
}

// aggregates checks the quotas on sums over resources: each bus's policy, each role's inline
// policies.
func (c *checker) aggregates() {
	for _, bus := range sortedKeys(c.busPolicies) {
		ss := c.busPolicies[bus]
		doc := map[string]any{"Version": "2012-10-17", "Statement": ss}
		c.over(EventBusPolicySize, chars(doc), c.busOwner[bus], fmt.Sprintf("policy of event bus %q (%d statements)", bus, len(ss)))
	}
	for _, role := range sortedKeys(c.inline) {
		c.over(RoleInlinePolicySize, c.inline[role], c.inlineOwner[role], "inline policies of role "+role)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
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
func (c *checker) nested(stack, id string, body []byte) error {
	fs, lengthMatters, err := c.g.checkTemplate(c.a, stack, c.file+" > "+id, body)
	if err != nil {
		return fmt.Errorf("template of %s: %w", id, err)
	}
	c.findings = append(c.findings, fs...)
	c.nestedLengthMatters = c.nestedLengthMatters || lengthMatters
	return nil
}

// nestedURL checks the template at url if it is a file asset of the assembly (CDK assets);
// templates elsewhere are not the assembly's to check.
func (c *checker) nestedURL(stack, id, url string) error {
	file, ok, err := c.a.find(url)
	if err != nil || !ok {
		return err
	}
	body, err := os.ReadFile(filepath.Join(c.a.dir, file))
	if err != nil {
		return err
	}
	c.over(TemplateSize, len(body), id, "TemplateURL file "+file)
	return c.nested(stack, id, body)
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
