package quota

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"
)

// Env is the deploy environment a template is rendered for: the values CloudFormation gives
// the pseudo parameters.
type Env struct {
	// AccountID is AWS::AccountId.
	AccountID string
	// Region is AWS::Region.
	Region string
	// Partition is AWS::Partition.
	Partition string
	// URLSuffix is AWS::URLSuffix.
	URLSuffix string
}

// Longest is the environment with the longest value of each pseudo parameter, so that a
// template that fits its quotas rendered with it fits them in every account and region:
//
//   - an account id always has 12 digits;
//   - us-isof-south-1 (15 characters; aws-iso-f partition) is the longest region name;
//   - aws-us-gov (10) is the longest partition;
//   - amazonaws.com.cn (16, the China regions) is the longest URL suffix.
//
// Combining them is pessimistic: no single region has all of them.
var Longest = Env{
	AccountID: "999999999999",
	Region:    "us-isof-south-1",
	Partition: "aws-us-gov",
	URLSuffix: "amazonaws.com.cn",
}

// noValue is AWS::NoValue: the property or list element that holds it is removed.
type noValue struct{}

// placeholderLen is the length of a value the renderer cannot know (an imported value, a
// parameter without a default, an attribute it has no model of).
const placeholderLen = 64

// randomSuffix stands for the random part CloudFormation adds to the names it generates.
const randomSuffix = "ABCDEFGHIJKLM" // 13 characters, as CloudFormation's

// stackUUID stands for the UUID in a stack id and in a StackSet instance's stack name.
const stackUUID = "00000000-0000-0000-0000-000000000000"

func placeholder(n int) string { return strings.Repeat("x", n) }

// template is the part of a CloudFormation template the gate reads.
type template struct {
	Description any                                  `json:"Description"`
	Parameters  map[string]parameter                 `json:"Parameters"`
	Mappings    map[string]map[string]map[string]any `json:"Mappings"`
	Resources   map[string]*resource                 `json:"Resources"`
	Outputs     map[string]any                       `json:"Outputs"`
}

type parameter struct {
	Type      string `json:"Type"`
	Default   any    `json:"Default"`
	MaxLength any    `json:"MaxLength"`
}

type resource struct {
	Type       string         `json:"Type"`
	Properties map[string]any `json:"Properties"`
	// Metadata is read for the construct path only: cdk-nag's suppressions make the rest
	// large, and decoding it would be most of the gate's time.
	Metadata struct {
		Path string `json:"aws:cdk:path"`
	} `json:"Metadata"`
}

// path is the resource's construct path (aws:cdk:path metadata), or "".
func (r *resource) path() string { return r.Metadata.Path }

func parseTemplate(body []byte) (*template, error) {
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber() // keep numbers as written: their length is measured
	var t template
	if err := d.Decode(&t); err != nil {
		return nil, err
	}
	return &t, nil
}

// renderer renders template values the way CloudFormation would for one stack in env,
// choosing the longest value wherever the real one is not known at synth.
type renderer struct {
	t         *template
	env       Env
	stackName string
	// resolving guards against reference cycles between resources' names.
	resolving map[string]bool
	names     map[string]string
	// nameLengthMatters is set once a rendered value's length depended on the length of the
	// stack's name (AWS::StackName, or a generated name not cut to the service's limit).
	nameLengthMatters bool
}

func newRenderer(t *template, env Env, stackName string) *renderer {
	return &renderer{t: t, env: env, stackName: stackName, resolving: map[string]bool{}, names: map[string]string{}}
}

// render returns v with every intrinsic function replaced by its longest value. Fn::If
// takes the longer branch (every branch of a condition is possible); AWS::NoValue removes
// the property or element that holds it.
func (r *renderer) render(v any) any {
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 1 {
			for k, arg := range x {
				if k == "Ref" || strings.HasPrefix(k, "Fn::") {
					return r.intrinsic(k, arg)
				}
			}
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			re := r.render(e)
			if _, ok := re.(noValue); ok {
				continue
			}
			out[k] = re
		}
		return out
	case []any:
		out := make([]any, 0, len(x))
		for _, e := range x {
			re := r.render(e)
			if _, ok := re.(noValue); ok {
				continue
			}
			out = append(out, re)
		}
		return out
	default:
		return v
	}
}

func (r *renderer) intrinsic(fn string, arg any) any {
	switch fn {
	case "Ref":
		name, _ := arg.(string)
		return r.ref(name)
	case "Fn::GetAtt":
		var id, attr string
		switch a := arg.(type) {
		case string:
			id, attr, _ = strings.Cut(a, ".")
		case []any:
			if len(a) == 2 {
				id = str(r.render(a[0]))
				attr = str(r.render(a[1]))
			}
		}
		return r.getAtt(id, attr)
	case "Fn::Join":
		a, _ := arg.([]any)
		if len(a) != 2 {
			return placeholder(placeholderLen)
		}
		sep := str(r.render(a[0]))
		items, ok := r.render(a[1]).([]any)
		if !ok {
			return str(r.render(a[1]))
		}
		parts := make([]string, len(items))
		for i, it := range items {
			parts[i] = str(it)
		}
		return strings.Join(parts, sep)
	case "Fn::Sub":
		return r.sub(arg)
	case "Fn::If":
		a, _ := arg.([]any)
		if len(a) != 3 {
			return placeholder(placeholderLen)
		}
		yes, no := r.render(a[1]), r.render(a[2])
		if size(no) > size(yes) {
			return no
		}
		return yes
	case "Fn::Select":
		a, _ := arg.([]any)
		if len(a) != 2 {
			return placeholder(placeholderLen)
		}
		i, err := strconv.Atoi(str(r.render(a[0])))
		items, ok := r.render(a[1]).([]any)
		if err != nil || !ok || i < 0 || i >= len(items) {
			return placeholder(placeholderLen)
		}
		return items[i]
	case "Fn::Split":
		a, _ := arg.([]any)
		if len(a) != 2 {
			return placeholder(placeholderLen)
		}
		parts := strings.Split(str(r.render(a[1])), str(r.render(a[0])))
		out := make([]any, len(parts))
		for i, p := range parts {
			out[i] = p
		}
		return out
	case "Fn::FindInMap":
		return r.findInMap(arg)
	case "Fn::GetAZs":
		return []any{r.env.Region + "a", r.env.Region + "b", r.env.Region + "c"}
	case "Fn::Base64":
		return base64.StdEncoding.EncodeToString([]byte(str(r.render(arg))))
	case "Fn::ToJsonString":
		return compact(r.render(arg))
	case "Fn::Length":
		if items, ok := r.render(arg).([]any); ok {
			return json.Number(strconv.Itoa(len(items)))
		}
	}
	// Fn::ImportValue, Fn::Cidr, Fn::Transform and anything newer: not known at synth.
	return placeholder(placeholderLen)
}

func (r *renderer) ref(name string) any {
	switch name {
	case "AWS::AccountId":
		return r.env.AccountID
	case "AWS::Region":
		return r.env.Region
	case "AWS::Partition":
		return r.env.Partition
	case "AWS::URLSuffix":
		return r.env.URLSuffix
	case "AWS::StackName":
		r.nameLengthMatters = true
		return r.stackName
	case "AWS::StackId":
		r.nameLengthMatters = true
		return "arn:" + r.env.Partition + ":cloudformation:" + r.env.Region + ":" + r.env.AccountID + ":stack/" + r.stackName + "/" + stackUUID
	case "AWS::NoValue":
		return noValue{}
	case "AWS::NotificationARNs":
		return []any{}
	}
	if p, ok := r.t.Parameters[name]; ok {
		if p.Default != nil {
			return r.render(p.Default)
		}
		if n, err := strconv.Atoi(str(p.MaxLength)); err == nil {
			return placeholder(n)
		}
		return placeholder(placeholderLen)
	}
	if res, ok := r.t.Resources[name]; ok {
		return kindOf(res.Type).ref(r, name)
	}
	return placeholder(placeholderLen)
}

func (r *renderer) getAtt(id, attr string) any {
	res, ok := r.t.Resources[id]
	if !ok {
		return placeholder(placeholderLen)
	}
	return kindOf(res.Type).attr(r, id, attr)
}

// name is the physical name of the resource id: its name property rendered, or the longest
// name CloudFormation could generate for it.
func (r *renderer) name(id string) string {
	if n, ok := r.names[id]; ok {
		return n
	}
	res := r.t.Resources[id]
	k := kindOf(res.Type)
	var n string
	if v, ok := res.Properties[k.nameProp]; ok && k.nameProp != "" && !r.resolving[id] {
		r.resolving[id] = true
		n = str(r.render(v))
		delete(r.resolving, id)
	} else {
		// CloudFormation generates <stack name>-<logical id>-<random>, shortened to the
		// service's limit.
		n = r.stackName + "-" + id + "-" + randomSuffix
		if len(n) > k.maxName {
			n = n[:k.maxName]
		} else {
			r.nameLengthMatters = true
		}
		if k.lower {
			n = strings.ToLower(n)
		}
	}
	r.names[id] = n
	return n
}

func (r *renderer) sub(arg any) any {
	var s string
	vars := map[string]any{}
	switch a := arg.(type) {
	case string:
		s = a
	case []any:
		if len(a) != 2 {
			return placeholder(placeholderLen)
		}
		s, _ = a[0].(string)
		if m, ok := a[1].(map[string]any); ok {
			for k, v := range m {
				vars[k] = r.render(v)
			}
		}
	default:
		return placeholder(placeholderLen)
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		j := strings.Index(s[i:], "}")
		if j < 0 {
			b.WriteString(s[i:])
			return b.String()
		}
		name := s[i+2 : i+j]
		s = s[i+j+1:]
		switch {
		case strings.HasPrefix(name, "!"): // ${!Literal} is written as ${Literal}
			b.WriteString("${" + name[1:] + "}")
		case vars[name] != nil:
			b.WriteString(str(vars[name]))
		case strings.Contains(name, "."):
			id, attr, _ := strings.Cut(name, ".")
			b.WriteString(str(r.getAtt(id, attr)))
		default:
			b.WriteString(str(r.ref(name)))
		}
	}
}

func (r *renderer) findInMap(arg any) any {
	a, _ := arg.([]any)
	if len(a) < 3 {
		return placeholder(placeholderLen)
	}
	m := r.t.Mappings[str(r.render(a[0]))]
	top, second := str(r.render(a[1])), str(r.render(a[2]))
	if v, ok := m[top][second]; ok {
		return r.render(v)
	}
	// The top-level key is not known at synth (e.g. the region): the longest value of any.
	var longest any = placeholder(placeholderLen)
	found := false
	for _, row := range m {
		if v, ok := row[second]; ok {
			v = r.render(v)
			if !found || size(v) > size(longest) {
				longest, found = v, true
			}
		}
	}
	if !found && len(a) == 4 { // Fn::FindInMap with DefaultValue (language extensions)
		if d, ok := a[3].(map[string]any); ok {
			return r.render(d["DefaultValue"])
		}
	}
	return longest
}

// str renders a scalar as CloudFormation would in a string context.
func str(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	case nil, noValue:
		return ""
	}
	return compact(v)
}

// compact is v as compact JSON, as CloudFormation sends a JSON-typed property to a service.
func compact(v any) string {
	var b bytes.Buffer
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(false)
	if err := e.Encode(v); err != nil {
		return ""
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// size is the length of v as compact JSON, 0 for AWS::NoValue: what Fn::If maximizes.
func size(v any) int {
	if _, ok := v.(noValue); ok {
		return 0
	}
	if s, ok := v.(string); ok {
		return len(s) + 2
	}
	return len(compact(v))
}
