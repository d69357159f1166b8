package test

// The IAM policy-simulation layer: synthesized templates rendered to concrete ARNs for the
// example config, their policies collected by resource, and requests evaluated by a real IAM
// evaluation engine (@cloud-copilot/iam-simulate, pinned in package.json) through
// test/iamsim/simulate.cjs. The scenarios are in simulation_test.go.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// env is the account and region a template is deployed to.
type env struct {
	account, region, partition string
}

// renderedStack is a template rendered for one environment: conditions evaluated, intrinsics
// replaced by the values CloudFormation would give them there.
type renderedStack struct {
	name      string
	env       env
	raw       template
	resources map[string]*renderedResource // by logical id; only those whose condition holds
	conds     map[string]bool
	resolving map[string]bool
}

// renderedResource is one resource of a rendered stack.
type renderedResource struct {
	stack  *renderedStack
	id     string
	typ    string
	props  map[string]any
	name   string // physical name (given or generated)
	ref    string
	arn    string
	tags   map[string]string
	raw    resource
	render bool
}

// nameProps is the property that names a resource of each type; a resource without one gets
// a generated name, as CloudFormation would.
var nameProps = map[string]string{
	"AWS::CloudTrail::Trail":   "TrailName",
	"AWS::S3::Bucket":          "BucketName",
	"AWS::Events::Rule":        "Name",
	"AWS::Events::EventBus":    "Name",
	"AWS::IAM::Role":           "RoleName",
	"AWS::IAM::ManagedPolicy":  "ManagedPolicyName",
	"AWS::Kinesis::Stream":     "Name",
	"AWS::SQS::Queue":          "QueueName",
	"AWS::SNS::Topic":          "TopicName",
	"AWS::CloudWatch::Alarm":   "AlarmName",
	"AWS::Logs::LogGroup":      "LogGroupName",
	"AWS::KMS::Alias":          "AliasName",
	"AWS::Lambda::Function":    "FunctionName",
	"AWS::DynamoDB::Table":     "TableName",
	"AWS::Scheduler::Schedule": "Name",
	"AWS::Athena::WorkGroup":   "Name",
	// StackSets name their stack instances StackSet-<name>-<uuid>.
	"AWS::CloudFormation::StackSet": "StackSetName",
}

// renderStack renders tmpl (stack name) for e. It fails the test on an intrinsic it cannot
// render: a value left unrendered would make a policy silently match nothing.
func renderStack(t *testing.T, name string, tmpl template, e env) *renderedStack {
	t.Helper()
	s := &renderedStack{name: name, env: e, raw: tmpl, resources: map[string]*renderedResource{}, conds: map[string]bool{}, resolving: map[string]bool{}}
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("rendering %s for %s/%s: %v", name, e.account, e.region, r)
		}
	}()
	res, _ := tmpl["Resources"].(map[string]any)
	for id, r := range res {
		r := resource(r.(map[string]any))
		if c, ok := r["Condition"].(string); ok && !s.condition(c) {
			continue
		}
		s.resources[id] = &renderedResource{stack: s, id: id, typ: r["Type"].(string), raw: r}
	}
	for _, id := range keys(s.resources) {
		s.identify(id)
	}
	for _, id := range keys(s.resources) {
		r := s.resources[id]
		r.props, _ = s.resolve(r.raw.props()).(map[string]any)
		r.tags = map[string]string{}
		for _, tag := range asList(r.props["Tags"]) {
			if k, ok := get(tag, "Key").(string); ok {
				r.tags[k] = fmt.Sprint(get(tag, "Value"))
			}
		}
	}
	return s
}

// condition evaluates the template condition named c.
func (s *renderedStack) condition(c string) bool {
	if v, ok := s.conds[c]; ok {
		return v
	}
	def := get(map[string]any(s.raw), "Conditions", c)
	if def == nil {
		panic(fmt.Sprintf("no condition %q", c))
	}
	v := s.evalCond(def)
	s.conds[c] = v
	return v
}

func (s *renderedStack) evalCond(v any) bool {
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		panic(fmt.Sprintf("cannot evaluate condition %v", v))
	}
	for fn, arg := range m {
		args := asList(arg)
		switch fn {
		case "Condition":
			return s.condition(arg.(string))
		case "Fn::Equals":
			return fmt.Sprint(s.resolve(args[0])) == fmt.Sprint(s.resolve(args[1]))
		case "Fn::Not":
			return !s.evalCond(args[0])
		case "Fn::And", "Fn::Or":
			and := fn == "Fn::And"
			for _, a := range args {
				if s.evalCond(a) != and {
					return !and
				}
			}
			return and
		}
	}
	panic(fmt.Sprintf("cannot evaluate condition %v", v))
}

// identify computes a resource's physical name, Ref and ARN, resolving its name first (a name
// may refer to another resource).
func (s *renderedStack) identify(id string) *renderedResource {
	r, ok := s.resources[id]
	if !ok {
		panic(fmt.Sprintf("reference to %s, which does not exist or whose condition is false", id))
	}
	if r.ref != "" {
		return r
	}
	if s.resolving[id] {
		panic(fmt.Sprintf("circular reference through %s", id))
	}
	s.resolving[id] = true
	defer delete(s.resolving, id)
	e := s.env
	if p, ok := nameProps[r.typ]; ok {
		if v := r.raw.props()[p]; v != nil {
			r.name = fmt.Sprint(s.resolve(v))
		}
	}
	if r.name == "" {
		// CloudFormation's generated names: stack name, logical id, a random suffix.
		r.name = strings.ToLower(fmt.Sprintf("%s-%s", s.name, id))
		if len(r.name) > 57 {
			r.name = r.name[:57]
		}
		r.name += "-x1y2z3"
	}
	arn := func(service, res string) string {
		return fmt.Sprintf("arn:%s:%s:%s:%s:%s", e.partition, service, e.region, e.account, res)
	}
	r.ref = r.name
	switch r.typ {
	case "AWS::CloudTrail::Trail":
		r.arn = arn("cloudtrail", "trail/"+r.name)
	case "AWS::S3::Bucket":
		r.arn = "arn:" + e.partition + ":s3:::" + r.name
	case "AWS::Events::Rule":
		bus := ""
		if v := r.raw.props()["EventBusName"]; v != nil {
			bus = fmt.Sprint(s.resolve(v))
			if i := strings.LastIndex(bus, "event-bus/"); i >= 0 {
				bus = bus[i+len("event-bus/"):]
			}
		}
		if bus != "" && bus != "default" {
			r.arn = arn("events", "rule/"+bus+"/"+r.name)
		} else {
			r.arn = arn("events", "rule/"+r.name)
		}
	case "AWS::Events::EventBus":
		r.arn = arn("events", "event-bus/"+r.name)
	case "AWS::IAM::Role":
		r.arn = fmt.Sprintf("arn:%s:iam::%s:role/%s", e.partition, e.account, r.name)
	case "AWS::IAM::ManagedPolicy":
		r.arn = fmt.Sprintf("arn:%s:iam::%s:policy/%s", e.partition, e.account, r.name)
		r.ref = r.arn
	case "AWS::Kinesis::Stream":
		r.arn = arn("kinesis", "stream/"+r.name)
	case "AWS::KMS::Key":
		r.name = fmt.Sprintf("%08x-0000-4000-8000-%012x", len(id), hash(s.name+id))
		r.ref = r.name
		r.arn = arn("kms", "key/"+r.name)
	case "AWS::KMS::Alias":
		r.arn = arn("kms", r.name)
	case "AWS::SQS::Queue":
		r.arn = arn("sqs", r.name)
		r.ref = fmt.Sprintf("https://sqs.%s.amazonaws.com/%s/%s", e.region, e.account, r.name)
	case "AWS::SNS::Topic":
		r.arn = arn("sns", r.name)
		r.ref = r.arn
	case "AWS::CloudWatch::Alarm":
		r.arn = arn("cloudwatch", "alarm:"+r.name)
	case "AWS::Logs::LogGroup":
		r.arn = arn("logs", "log-group:"+r.name+":*")
	case "AWS::Lambda::Function":
		r.arn = arn("lambda", "function:"+r.name)
	case "AWS::Lambda::EventSourceMapping":
		// Lambda names a mapping by a UUID (its Ref).
		r.name = fmt.Sprintf("%08x-0000-4000-8000-%012x", len(id), hash(s.name+id))
		r.ref = r.name
		r.arn = arn("lambda", "event-source-mapping:"+r.name)
	case "AWS::DynamoDB::Table":
		r.arn = arn("dynamodb", "table/"+r.name)
	case "AWS::Athena::WorkGroup":
		r.arn = arn("athena", "workgroup/"+r.name)
	case "AWS::Glue::Database":
		r.name = fmt.Sprint(s.resolve(get(r.raw.props(), "DatabaseInput", "Name")))
		r.ref = r.name
		r.arn = arn("glue", "database/"+r.name)
	case "AWS::Glue::Table":
		r.name = fmt.Sprint(s.resolve(get(r.raw.props(), "TableInput", "Name")))
		r.ref = r.name
		r.arn = arn("glue", "table/"+fmt.Sprint(s.resolve(r.raw.props()["DatabaseName"]))+"/"+r.name)
	case "AWS::Scheduler::Schedule":
		// Schedules without a GroupName are in the default group.
		r.arn = arn("scheduler", "schedule/default/"+r.name)
	case "AWS::Organizations::Policy":
		r.arn = fmt.Sprintf("arn:%s:organizations::%s:policy/o-example/service_control_policy/p-%s", e.partition, e.account, strings.ToLower(id[:8]))
		r.ref = "p-" + strings.ToLower(id[:8])
	default:
		r.ref = id
	}
	return r
}

func hash(s string) uint64 {
	var h uint64 = 14695981039346656037
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * 1099511628211
	}
	return h & 0xffffffffffff
}

var subVar = regexp.MustCompile(`\$\{([^}!]+)\}`)

// resolve renders v: Ref, Fn::GetAtt, Fn::Join, Fn::Sub, Fn::Select, Fn::Split, Fn::If.
func (s *renderedStack) resolve(v any) any {
	switch x := v.(type) {
	case []any:
		out := []any{}
		for _, e := range x {
			if r := s.resolve(e); r != noValue {
				out = append(out, r)
			}
		}
		return out
	case map[string]any:
		if len(x) == 1 {
			for fn, arg := range x {
				switch fn {
				case "Ref":
					return s.ref(arg.(string))
				case "Fn::GetAtt":
					a := asList(arg)
					if len(a) == 1 {
						parts := strings.SplitN(a[0].(string), ".", 2)
						a = []any{parts[0], parts[1]}
					}
					return s.getAtt(a[0].(string), fmt.Sprint(s.resolve(a[1])))
				case "Fn::Join":
					a := arg.([]any)
					var parts []string
					for _, p := range asList(s.resolve(a[1])) {
						parts = append(parts, fmt.Sprint(p))
					}
					return strings.Join(parts, a[0].(string))
				case "Fn::Sub":
					str, vars := "", map[string]any{}
					if a, ok := arg.([]any); ok {
						str = a[0].(string)
						vars, _ = s.resolve(a[1]).(map[string]any)
					} else {
						str = arg.(string)
					}
					return subVar.ReplaceAllStringFunc(str, func(m string) string {
						name := m[2 : len(m)-1]
						if v, ok := vars[name]; ok {
							return fmt.Sprint(v)
						}
						if i := strings.Index(name, "."); i > 0 && !strings.HasPrefix(name, "AWS::") {
							return s.getAtt(name[:i], name[i+1:])
						}
						return fmt.Sprint(s.ref(name))
					})
				case "Fn::Select":
					a := arg.([]any)
					i := int(toFloat(s.resolve(a[0])))
					return asList(s.resolve(a[1]))[i]
				case "Fn::Split":
					a := arg.([]any)
					var out []any
					for _, p := range strings.Split(fmt.Sprint(s.resolve(a[1])), a[0].(string)) {
						out = append(out, p)
					}
					return out
				case "Fn::If":
					a := arg.([]any)
					if s.condition(a[0].(string)) {
						return s.resolve(a[1])
					}
					return s.resolve(a[2])
				}
				if strings.HasPrefix(fn, "Fn::") {
					panic(fmt.Sprintf("cannot render %s", fn))
				}
			}
		}
		out := map[string]any{}
		for k, e := range x {
			if r := s.resolve(e); r != noValue {
				out[k] = r
			}
		}
		return out
	}
	return v
}

// noValue is what Ref AWS::NoValue renders to: the property is removed.
var noValue = &struct{ noValue bool }{}

func toFloat(v any) float64 {
	switch x := v.(type) {
	case float64:
		return x
	case string:
		var f float64
		fmt.Sscan(x, &f)
		return f
	}
	return 0
}

func (s *renderedStack) ref(name string) any {
	e := s.env
	switch name {
	case "AWS::AccountId":
		return e.account
	case "AWS::Region":
		return e.region
	case "AWS::Partition":
		return e.partition
	case "AWS::URLSuffix":
		return "amazonaws.com"
	case "AWS::StackName":
		return s.name
	case "AWS::StackId":
		return s.stackARN()
	case "AWS::NoValue":
		return noValue
	}
	if p := get(map[string]any(s.raw), "Parameters", name); p != nil {
		if d := get(p, "Default"); d != nil {
			return d
		}
		panic(fmt.Sprintf("parameter %s has no default", name))
	}
	return s.identify(name).ref
}

func (s *renderedStack) getAtt(id, attr string) string {
	r := s.identify(id)
	switch attr {
	case "Arn", "TopicArn", "PolicyArn":
		return r.arn
	case "KeyId", "TopicName", "QueueName", "Name", "StreamName", "RoleName":
		return r.name
	case "QueueUrl":
		return r.ref
	case "RoleId":
		return "AROA" + strings.ToUpper(fmt.Sprintf("%012x", hash(r.id)))
	}
	panic(fmt.Sprintf("cannot render Fn::GetAtt %s.%s", id, attr))
}

// stackARN is the stack's ARN, as CloudFormation authorizes actions on it.
func (s *renderedStack) stackARN() string {
	return fmt.Sprintf("arn:%s:cloudformation:%s:%s:stack/%s/0a1b2c3d-0000-4000-8000-000000000000", s.env.partition, s.env.region, s.env.account, s.name)
}

// ofType returns the stack's rendered resources of type typ, by logical id order.
func (s *renderedStack) ofType(typ string) []*renderedResource {
	var out []*renderedResource
	for _, id := range keys(s.resources) {
		if s.resources[id].typ == typ {
			out = append(out, s.resources[id])
		}
	}
	return out
}

// simRequest is one request for the engine: who does what to which resource, with which
// policies in force, and what the test expects.
type simRequest struct {
	ID   string `json:"id"`
	Sim  any    `json:"simulation"`
	Want string `json:"-"` // "Allowed" or "Denied"
}

// simResult is the engine's answer to one request.
type simResult struct {
	ID           string `json:"id"`
	Decision     string `json:"decision"`
	Resource     string `json:"resource"`
	WildcardOnly bool   `json:"wildcardOnly"`
	Error        string `json:"error"`
	// IgnoredContextKeys are the request's context keys the engine does not consider for the
	// action (the Service Authorization Reference does not list them for it).
	IgnoredContextKeys []string `json:"ignoredContextKeys"`
	// EngineWorkaround says what simulate.cjs kept that the engine would have dropped.
	EngineWorkaround string `json:"engineWorkaround"`
}

// actionInfo is the engine's data on an action pattern: the actions it names, and those of
// them without resource-level permissions.
type actionInfo struct {
	Expanded     []string `json:"expanded"`
	WildcardOnly []string `json:"wildcardOnly"`
	Error        string   `json:"error"`
}

// runEngine evaluates requests with the pinned engine (and expands action patterns), in one
// Node.js process.
func runEngine(t *testing.T, reqs []simRequest, actions []string) (map[string]simResult, map[string]actionInfo) {
	t.Helper()
	in, err := json.Marshal(map[string]any{"requests": reqs, "actions": actions})
	if err != nil {
		t.Fatal(err)
	}
	node := filepath.Join(repoRoot, "node_modules", ".bin", "node")
	cmd := exec.Command(node, filepath.Join("iamsim", "simulate.cjs"))
	cmd.Stdin = bytes.NewReader(in)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s iamsim/simulate.cjs: %v\n%s\n(run `make deps` to install the pinned engine)", node, err, stderr.String())
	}
	var out struct {
		Results []simResult           `json:"results"`
		Actions map[string]actionInfo `json:"actions"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		t.Fatalf("engine output: %v", err)
	}
	res := map[string]simResult{}
	for _, r := range out.Results {
		res[r.ID] = r
	}
	return res, out.Actions
}

// policy is an IAM policy document.
type policy = map[string]any

// allowAll is an account admin's identity policy.
var allowAll = policy{"Version": "2012-10-17", "Statement": []any{map[string]any{"Effect": "Allow", "Action": "*", "Resource": "*"}}}

// sortedUnique returns the sorted distinct values of list.
func sortedUnique(list []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range list {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	sort.Strings(out)
	return out
}
