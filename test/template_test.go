package test

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
)

// template is a synthesized CloudFormation template, decoded from JSON.
type template map[string]any

// resource is one entry of a template's Resources.
type resource map[string]any

// resourcesOfType returns the template's resources of CloudFormation type typ by logical id.
func (t template) resourcesOfType(typ string) map[string]resource {
	out := map[string]resource{}
	res, _ := t["Resources"].(map[string]any)
	for id, r := range res {
		r := resource(r.(map[string]any))
		if r["Type"] == typ {
			out[id] = r
		}
	}
	return out
}

// only returns the single resource of type typ, failing the test if there is not exactly one.
func (t template) only(tb testing.TB, typ string) (string, resource) {
	tb.Helper()
	rs := t.resourcesOfType(typ)
	if len(rs) != 1 {
		tb.Fatalf("want exactly one %s, got %d: %v", typ, len(rs), keys(rs))
	}
	for id, r := range rs {
		return id, r
	}
	panic("unreachable")
}

// props returns the resource's Properties.
func (r resource) props() map[string]any {
	p, _ := r["Properties"].(map[string]any)
	return p
}

// get walks v along path (string keys for objects, int indexes for arrays) and returns what it
// finds there, or nil.
func get(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			a, ok := v.([]any)
			if !ok || k < 0 || k >= len(a) {
				return nil
			}
			v = a[k]
		default:
			panic(fmt.Sprintf("get: path element %v is neither string nor int", p))
		}
	}
	return v
}

// statements returns a policy document's statements.
func statements(doc any) []map[string]any {
	var out []map[string]any
	for _, s := range asList(get(doc, "Statement")) {
		if m, ok := s.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// statementBySid returns the statement with Sid sid, failing the test if there is none.
func statementBySid(tb testing.TB, doc any, sid string) map[string]any {
	tb.Helper()
	var sids []string
	for _, s := range statements(doc) {
		if s["Sid"] == sid {
			return s
		}
		sids = append(sids, fmt.Sprint(s["Sid"]))
	}
	tb.Fatalf("no statement with Sid %q; have %v", sid, sids)
	return nil
}

// asList returns v as a list: a single value (as IAM allows for Action, Resource, ...) becomes
// a list of one.
func asList(v any) []any {
	switch x := v.(type) {
	case nil:
		return nil
	case []any:
		return x
	default:
		return []any{x}
	}
}

// strs returns v as a sorted list of strings (values that are not strings are rendered).
func strs(v any) []string {
	var out []string
	for _, x := range asList(v) {
		out = append(out, fmt.Sprint(x))
	}
	sort.Strings(out)
	return out
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// newTestStack returns a stack in a fresh app, for construct-level tests.
func newTestStack(tb testing.TB) awscdk.Stack {
	tb.Helper()
	app := awscdk.NewApp(&awscdk.AppProps{StackTraces: jsii.Bool(false)})
	return awscdk.NewStack(app, jsii.String("TestStack"), &awscdk.StackProps{
		Env: &awscdk.Environment{Account: jsii.String("222222222222"), Region: jsii.String("eu-west-1")},
	})
}

// mustPanic runs fn and returns the message it panicked with, failing the test if it did not.
func mustPanic(tb testing.TB, fn func()) (msg string) {
	tb.Helper()
	defer func() {
		r := recover()
		if r == nil {
			tb.Fatalf("want a panic, got none")
		}
		if err, ok := r.(error); ok {
			msg = err.Error()
		} else {
			msg = fmt.Sprint(r)
		}
	}()
	fn()
	return ""
}

// missingSubstrings returns the substrings of want missing from got.
func missingSubstrings(got string, want ...string) []string {
	var missing []string
	for _, w := range want {
		if !strings.Contains(got, w) {
			missing = append(missing, w)
		}
	}
	return missing
}
