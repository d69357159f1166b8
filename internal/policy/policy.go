// Package policy judges AWS policy documents, ACLs and network ranges by
// what they mean, not how they are spelled: whether a resource policy is
// public as S3 Block Public Access defines it, whether an identity policy is
// equivalent to administrator access, whether an S3 ACL grants everyone,
// and how much of the internet a set of CIDR ranges opens.
//
// It is pure Go (no AWS SDK) and tolerant: a document that is not a policy
// is simply not public and not admin. The detection engine exposes these
// judgements to rule conditions as CEL functions (see package detect).
package policy

import (
	"encoding/json"
	"iter"
	"net/url"
	"strings"
)

// Statement is one statement of an IAM or resource policy, with the members
// that IAM writes as "a string or a list of strings" normalized to lists.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements.html
type Statement struct {
	// Effect is "Allow" or "Deny".
	Effect string
	// Principal and NotPrincipal are the raw principal elements: "*" or an
	// object of AWS, Service, Federated and CanonicalUser members; nil when
	// absent.
	Principal, NotPrincipal any
	// Action, NotAction, Resource and NotResource are the patterns of the
	// statement; Has* tell whether the element was present at all.
	Action, NotAction, Resource, NotResource             []string
	HasAction, HasNotAction, HasResource, HasNotResource bool
	// Condition holds the statement's conditions, one a key under an
	// operator, the operator read once (see Condition and Operator).
	Condition []Condition
}

// Statements returns the statements of a policy document given as a
// decoded JSON object, as JSON text, or as URL-encoded JSON text (IAM's
// CloudTrail records carry policies in all three forms). Anything else has
// no statements.
func Statements(doc any) []Statement {
	m := Document(doc)
	if m == nil {
		return nil
	}
	stmts := AsList(m["Statement"])
	out := make([]Statement, 0, len(stmts))
	for _, s := range stmts {
		sm, ok := s.(map[string]any)
		if !ok {
			continue
		}
		out = append(out, parseStatement(sm))
	}
	return out
}

// Document decodes a policy document given as an object, JSON text or
// URL-encoded JSON text; nil when it is none of these.
func Document(doc any) map[string]any {
	switch d := doc.(type) {
	case map[string]any:
		return d
	case string:
		text := strings.TrimSpace(d)
		if !strings.HasPrefix(text, "{") {
			if u, err := url.QueryUnescape(text); err == nil {
				text = strings.TrimSpace(u)
			}
		}
		var m map[string]any
		if json.Unmarshal([]byte(text), &m) == nil {
			return m
		}
	}
	return nil
}

func parseStatement(m map[string]any) Statement {
	s := Statement{Principal: m["Principal"], NotPrincipal: m["NotPrincipal"]}
	s.Effect, _ = m["Effect"].(string)
	s.Action, s.HasAction = strs(m, "Action")
	s.NotAction, s.HasNotAction = strs(m, "NotAction")
	s.Resource, s.HasResource = strs(m, "Resource")
	s.NotResource, s.HasNotResource = strs(m, "NotResource")
	if c, ok := m["Condition"].(map[string]any); ok {
		for name, keys := range c {
			km, ok := keys.(map[string]any)
			if !ok {
				continue
			}
			op := ParseOperator(name)
			for k, v := range km {
				var vals []string
				for _, e := range AsList(v) {
					switch x := e.(type) {
					case string:
						vals = append(vals, x)
					case bool, float64:
						b, _ := json.Marshal(x)
						vals = append(vals, string(b))
					}
				}
				s.Condition = append(s.Condition, Condition{Op: op, Key: strings.ToLower(k), Values: vals})
			}
		}
	}
	return s
}

// strs returns the strings of a "string or list of strings" member.
func strs(m map[string]any, key string) ([]string, bool) {
	v, ok := m[key]
	if !ok || v == nil {
		return nil, false
	}
	var out []string
	for _, e := range AsList(v) {
		if s, ok := e.(string); ok {
			out = append(out, s)
		}
	}
	return out, true
}

// AsList returns v as a list: a list as is, nil as none, else a list of
// one. IAM writes one action, resource, principal or condition value as a
// string and several as a list.
func AsList(v any) []any {
	switch x := v.(type) {
	case nil:
		return nil
	case []any:
		return x
	}
	return []any{v}
}

// Allows reports whether the statement is an Allow. The Effect value is
// case sensitive, with the valid values Allow and Deny: "allow" is not one
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_effect.html).
func (s Statement) Allows() bool { return s.Effect == "Allow" }

// Principal is one principal a Principal or NotPrincipal element names.
type Principal struct {
	// Kind is the member naming it (AWS, Service, Federated,
	// CanonicalUser), or "" for the element written as a string ("*").
	Kind string
	// Value is the account, ARN, service, provider or canonical user id.
	Value string
}

// Principals returns every principal the statement names: "*" for
// Principal "*", else the values of its AWS, Service, Federated and
// CanonicalUser members.
func (s Statement) Principals() []string {
	var out []string
	for p := range Principals(s.Principal) {
		out = append(out, p.Value)
	}
	return out
}

// Principals yields the principals of a Principal or NotPrincipal element:
// "*" (Kind "") for the element written as a string, else each string value
// of each member of the object
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html).
func Principals(element any) iter.Seq[Principal] {
	return func(yield func(Principal) bool) {
		switch x := element.(type) {
		case string:
			yield(Principal{Value: x})
		case map[string]any:
			for kind, vals := range x {
				for _, e := range AsList(vals) {
					if v, ok := e.(string); ok && !yield(Principal{Kind: kind, Value: v}) {
						return
					}
				}
			}
		}
	}
}

// CoversAction reports whether the statement's actions include action
// (service:Name), with IAM's case-insensitive wildcards (* and ?) in the
// statement's Action or NotAction patterns.
func (s Statement) CoversAction(action string) bool {
	if s.HasNotAction {
		for _, p := range s.NotAction {
			if matchAction(p, action) {
				return false
			}
		}
		return true
	}
	for _, p := range s.Action {
		if matchAction(p, action) {
			return true
		}
	}
	return false
}

// matchAction matches an IAM action pattern. "*" and "*:*" match every
// action.
func matchAction(pattern, action string) bool {
	if pattern == "*:*" {
		pattern = "*"
	}
	return Glob(strings.ToLower(pattern), strings.ToLower(action))
}

// AllResources reports whether the statement applies to every resource:
// Resource "*", or a NotResource (everything but what it lists).
func (s Statement) AllResources() bool {
	if s.HasNotResource {
		return true
	}
	for _, r := range s.Resource {
		if r == "*" {
			return true
		}
	}
	return false
}

// Glob matches s against a pattern where * matches any run of characters
// and ? any one character.
func Glob(pattern, s string) bool {
	// Iterative matching with backtracking to the last star.
	p, i, star, mark := 0, 0, -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i]):
			p++
			i++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}
