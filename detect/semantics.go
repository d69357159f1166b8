package detect

import (
	"strconv"
	"strings"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"

	"github.com/trailguard/trailguard/internal/policy"
)

// semanticFunctions are the CEL functions that judge what a request means
// (see the package documentation for the list).
func semanticFunctions() []cel.EnvOption {
	boolOf := func(name string, f func(any) bool) cel.EnvOption {
		return cel.Function(name, cel.Overload(name+"_dyn", []*cel.Type{cel.DynType}, cel.BoolType,
			cel.UnaryBinding(func(v ref.Val) ref.Val { return types.Bool(f(native(v))) })))
	}
	return []cel.EnvOption{
		boolOf("publicPolicy", policy.Public),
		boolOf("publicACL", policy.PublicACL),
		boolOf("adminPolicy", policy.Admin),
		boolOf("adminPolicyArn", func(v any) bool { s, _ := v.(string); return policy.AdminPolicyARN(s) }),
		boolOf("opensInternet", func(v any) bool { return policy.OpensInternet(stringsOf(v)) }),
		boolOf("ingressOpensInternet", ingressOpensInternet),
		boolOf("publicAddress", func(v any) bool { s, _ := v.(string); return policy.PublicAddress(s) }),
		cel.Function("instanceTypes", cel.Overload("instanceTypes_dyn", []*cel.Type{cel.DynType}, cel.ListType(cel.StringType),
			cel.UnaryBinding(func(v ref.Val) ref.Val {
				return types.DefaultTypeAdapter.NativeToValue(instanceTypes(native(v)))
			}))),
	}
}

// stringsOf returns the strings in a string or list value.
func stringsOf(v any) []string {
	var out []string
	for _, e := range policy.AsList(v) {
		if s, ok := e.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// permission is one ingress rule of a request: protocol, port range and
// source ranges.
type permission struct {
	protocol string
	from, to int // -1 when absent: all
	cidrs    []string
}

// ingressPermissions reads the ingress rules of an AuthorizeSecurityGroupIngress
// request (ipPermissions items, or the legacy top-level cidrIp form:
// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_AuthorizeSecurityGroupIngress.html)
// or a ModifySecurityGroupRules request (SecurityGroupRuleRequest:
// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_SecurityGroupRuleRequest.html),
// as CloudTrail records them.
func ingressPermissions(params map[string]any) []permission {
	var out []permission
	if ip, ok := params["ipPermissions"]; ok {
		items := ip
		if m, ok := ip.(map[string]any); ok {
			items = m["items"]
		}
		for _, it := range policy.AsList(items) {
			m, _ := it.(map[string]any)
			if m == nil {
				continue
			}
			p := permission{protocol: str(m["ipProtocol"]), from: num(m["fromPort"]), to: num(m["toPort"])}
			for _, key := range [][2]string{{"ipRanges", "cidrIp"}, {"ipv6Ranges", "cidrIpv6"}} {
				r := m[key[0]]
				if rm, ok := r.(map[string]any); ok {
					r = rm["items"]
				}
				for _, e := range policy.AsList(r) {
					if em, ok := e.(map[string]any); ok {
						p.cidrs = append(p.cidrs, str(em[key[1]]))
					}
				}
			}
			out = append(out, p)
		}
	}
	if c, ok := params["cidrIp"].(string); ok {
		out = append(out, permission{protocol: str(params["ipProtocol"]), from: num(params["fromPort"]), to: num(params["toPort"]), cidrs: []string{c}})
	}
	if req, ok := params["ModifySecurityGroupRulesRequest"].(map[string]any); ok {
		for _, r := range policy.AsList(req["SecurityGroupRule"]) {
			rm, _ := r.(map[string]any)
			rule, _ := rm["SecurityGroupRule"].(map[string]any)
			if rule == nil {
				continue
			}
			p := permission{protocol: str(rule["IpProtocol"]), from: num(rule["FromPort"]), to: num(rule["ToPort"])}
			for _, k := range []string{"CidrIpv4", "CidrIpv6"} {
				if s := str(rule[k]); s != "" {
					p.cidrs = append(p.cidrs, s)
				}
			}
			out = append(out, p)
		}
	}
	return out
}

// opensServices reports whether the rule admits more than web traffic:
// every protocol (-1), or TCP/UDP/other ports beyond port 80 alone or 443
// alone. ICMP (echo, unreachable) is not a service an attacker logs in to.
func (p permission) opensServices() bool {
	switch strings.ToLower(p.protocol) {
	case "icmp", "1", "icmpv6", "58":
		return false
	case "-1", "all", "":
		return true
	}
	if p.from < 0 || p.to < 0 {
		return true
	}
	return !(p.from == p.to && (p.from == 80 || p.from == 443))
}

// ingressOpensInternet implements ingressOpensInternet(requestParameters):
// whether the ingress rules of the request that admit more than web traffic
// together admit a large share of the internet (policy.OpensInternet), in
// IPv4 or IPv6.
func ingressOpensInternet(v any) bool {
	params, _ := v.(map[string]any)
	var cidrs []string
	for _, p := range ingressPermissions(params) {
		if p.opensServices() {
			cidrs = append(cidrs, p.cidrs...)
		}
	}
	return policy.OpensInternet(cidrs)
}

// instanceTypes implements instanceTypes(value): every string held under a
// member named instanceType or instanceTypes (any case), at any depth, so
// that one test covers RunInstances, RequestSpotInstances, RequestSpotFleet,
// CreateFleet overrides, launch templates and configurations, Auto Scaling
// mixed-instances overrides, EKS node groups and ModifyInstanceAttribute
// ({"instanceType": {"value": ...}}).
func instanceTypes(v any) []string {
	out := []string{}
	var walk func(v any, under bool)
	walk = func(v any, under bool) {
		switch x := v.(type) {
		case string:
			if under {
				out = append(out, x)
			}
		case []any:
			for _, e := range x {
				walk(e, under)
			}
		case map[string]any:
			for k, e := range x {
				lk := strings.ToLower(k)
				walk(e, under || lk == "instancetype" || lk == "instancetypes")
			}
		}
	}
	walk(v, false)
	return out
}

func str(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return ""
}

// num returns a port number given as a number or numeric text; -1 when
// absent or not a number.
func num(v any) int {
	switch x := v.(type) {
	case float64:
		return int(x)
	case int64:
		return int(x)
	case string:
		if n, err := strconv.Atoi(x); err == nil {
			return n
		}
	}
	return -1
}
