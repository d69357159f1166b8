// Package statements renders what a construct needs on a resource it cannot edit (an
// imported key's, topic's, queue's or bucket's policy, an imported bucket's notification
// configuration) as the JSON to paste: plain policy JSON, with the values known at synth
// filled in.
//
// Rendering a statement yourself with awscdk.Stack_Of(scope).ToJsonString(stmt.ToStatementJson(), nil)
// or json.Marshal(stmt.ToStatementJson()) keeps jsii's "$jsii.map" wrappers around condition
// blocks and leaves CloudFormation intrinsics such as {"Fn::Join": ["", ["arn:", {"Ref":
// "AWS::Partition"}, ...]]} where the stack's account, region and partition are known. JSON
// resolves the statements in the stack of scope, removes the wrappers, and replaces:
//
//   - {"Ref": "AWS::Partition"}, {"Ref": "AWS::Region"}, {"Ref": "AWS::AccountId"} and
//     {"Ref": "AWS::URLSuffix"} by the stack's values, when its environment is known;
//   - {"Fn::Join": [sep, [...]]} by the joined string, when every part is then a string.
//
// What only CloudFormation knows (a {"Ref"} to a resource, an {"Fn::GetAtt"}) stays as the
// intrinsic: look the value up in the deployed stack before pasting.
//
// The trailguard constructs' synth warnings carry their statements rendered this way; the
// logarchive and accounttrail KeyPolicyStatements of an imported key render with it too:
//
//	text, err := statements.JSON(stack, logarchive.KeyPolicyStatements(stack, props)...)
package statements

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/regioninfo"
	"github.com/aws/constructs-go/constructs/v10"
)

// JSON renders statements, resolved in the stack of scope, as a JSON array of policy
// statements to paste into a policy's "Statement" list. It returns an error only if a
// statement does not resolve to JSON.
func JSON(scope constructs.IConstruct, statements ...awsiam.PolicyStatement) (string, error) {
	out := make([]any, 0, len(statements))
	for _, s := range statements {
		out = append(out, s.ToStatementJson())
	}
	return Value(scope, out)
}

// Document renders statements as a whole policy document ({"Version": "2012-10-17",
// "Statement": [...]}), e.g. for a new policy or to compare with one.
func Document(scope constructs.IConstruct, statements ...awsiam.PolicyStatement) (string, error) {
	list := make([]any, 0, len(statements))
	for _, s := range statements {
		list = append(list, s.ToStatementJson())
	}
	return Value(scope, map[string]any{"Version": "2012-10-17", "Statement": list})
}

// Value renders any value holding CDK tokens (a notification configuration, a condition
// block) as JSON the way JSON renders statements.
func Value(scope constructs.IConstruct, v any) (string, error) {
	stack := awscdk.Stack_Of(scope)
	b, err := json.Marshal(simplify(unwrapJsii(stack.Resolve(v)), knownPseudo(stack)))
	if err != nil {
		return "", fmt.Errorf("statements: rendering %T as JSON: %w", v, err)
	}
	return string(b), nil
}

// knownPseudo returns the values of the pseudo parameters the stack's environment fixes.
func knownPseudo(stack awscdk.Stack) map[string]string {
	known := map[string]string{}
	literal := func(v *string) (string, bool) {
		if v == nil || *awscdk.Token_IsUnresolved(v) {
			return "", false
		}
		return *v, true
	}
	if a, ok := literal(stack.Account()); ok {
		known["AWS::AccountId"] = a
	}
	r, ok := literal(stack.Region())
	if !ok {
		return known
	}
	known["AWS::Region"] = r
	info := regioninfo.RegionInfo_Get(&r)
	if p := info.Partition(); p != nil && *p != "" {
		known["AWS::Partition"] = *p
	}
	if p, ok := literal(stack.Partition()); ok {
		known["AWS::Partition"] = p
	}
	if s := info.DomainSuffix(); s != nil && *s != "" {
		known["AWS::URLSuffix"] = *s
	}
	return known
}

// jsiiMapKey is the key under which jsii passes a map that came from Go (a condition block
// such as {"ArnLike": {...}}) back to Go when the value is typed any.
const jsiiMapKey = "$jsii.map"

// unwrapJsii removes jsii's map wrappers from v.
func unwrapJsii(v any) any {
	switch x := v.(type) {
	case map[string]any:
		if inner, ok := x[jsiiMapKey]; ok && len(x) == 1 {
			return unwrapJsii(inner)
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = unwrapJsii(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = unwrapJsii(e)
		}
		return out
	}
	return v
}

// simplify replaces the pseudo parameters in known and the joins of known strings in v,
// depth first.
func simplify(v any, known map[string]string) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = simplify(e, known)
		}
		if len(out) != 1 {
			return out
		}
		if ref, ok := out["Ref"].(string); ok {
			if val, ok := known[ref]; ok {
				return val
			}
		}
		if join, ok := out["Fn::Join"].([]any); ok && len(join) == 2 {
			sep, ok1 := join[0].(string)
			parts, ok2 := join[1].([]any)
			if ok1 && ok2 {
				strs := make([]string, 0, len(parts))
				for _, p := range parts {
					s, ok := p.(string)
					if !ok {
						return out
					}
					strs = append(strs, s)
				}
				return strings.Join(strs, sep)
			}
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = simplify(e, known)
		}
		return out
	}
	return v
}
