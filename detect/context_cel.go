package detect

import (
	"reflect"
	"slices"
	"strings"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/functions"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/common/types/traits"

	"github.com/trailguard/trailguard/internal/orgscope"
	"github.com/trailguard/trailguard/internal/policy"
)

// Context variables.
const (
	varOrg   = "org"
	varActor = "actor"
)

// Functions whose result depends on the engine's Context and the record (the record's own
// account is always the organization's): bound per evaluation by the activation.
const (
	fnInOrg             = "inOrg"
	fnOutsideGrants     = "outsideGrants"
	fnSharedOutside     = "sharedOutside"
	fnPermissionOutside = "permissionOutside"
	fnDeployerRole      = "deployerRole"
)

// contextEnvOptions declares the context variables and functions (see the package
// documentation).
func contextEnvOptions() []cel.EnvOption {
	late := cel.LateFunctionBinding()
	return []cel.EnvOption{
		cel.Variable(varOrg, cel.MapType(cel.StringType, cel.DynType)),
		cel.Variable(varActor, cel.MapType(cel.StringType, cel.DynType)),
		cel.Function(fnInOrg,
			cel.Overload("inOrg_string", []*cel.Type{cel.StringType}, cel.BoolType, late)),
		cel.Function(fnOutsideGrants,
			cel.Overload("outsideGrants_dyn", []*cel.Type{cel.DynType}, cel.ListType(cel.StringType), late)),
		cel.Function(fnSharedOutside,
			cel.Overload("sharedOutside_dyn", []*cel.Type{cel.DynType}, cel.ListType(cel.StringType), late)),
		cel.Function(fnDeployerRole,
			cel.Overload("deployerRole_string", []*cel.Type{cel.StringType}, cel.BoolType, late)),
		cel.Function(fnPermissionOutside,
			cel.Overload("permissionOutside_dyn", []*cel.Type{cel.DynType}, cel.ListType(cel.StringType), late)),
		cel.Function("awsOwnedAccount",
			cel.Overload("awsOwnedAccount_string", []*cel.Type{cel.StringType}, cel.BoolType,
				cel.UnaryBinding(func(v ref.Val) ref.Val {
					_, ok := orgscope.AWSOwnedAccount(orgscope.AccountOf(string(v.(types.String))))
					return types.Bool(ok)
				})),
			cel.Overload("awsOwnedAccount_string_string", []*cel.Type{cel.StringType, cel.StringType}, cel.BoolType,
				cel.BinaryBinding(func(a, s ref.Val) ref.Val {
					svc, ok := orgscope.AWSOwnedAccount(orgscope.AccountOf(string(a.(types.String))))
					return types.Bool(ok && svc == string(s.(types.String)))
				}))),
	}
}

// ResolveFunction supplies the context functions, bound to the engine's Context and the
// record (cel-go's late-bound functions).
func (a activation) ResolveFunction(name string) (functions.LateBoundOp, bool) {
	ctx := a.ctx
	if ctx == nil {
		ctx = noContext
	}
	switch name {
	case fnInOrg:
		return func(_ string, args ...ref.Val) ref.Val {
			s, _ := args[0].Value().(string)
			return types.Bool(ctx.scopeFor(a.rec).Contains(s))
		}, true
	case fnOutsideGrants:
		return func(_ string, args ...ref.Val) ref.Val {
			return stringList(ctx.scopeFor(a.rec).OutsideGrants(native(args[0])))
		}, true
	case fnSharedOutside:
		return func(_ string, args ...ref.Val) ref.Val {
			return stringList(sharedOutside(ctx.scopeFor(a.rec), native(args[0])))
		}, true
	case fnDeployerRole:
		return func(_ string, args ...ref.Val) ref.Val {
			s, _ := args[0].Value().(string)
			return types.Bool(ctx.deployerRole(s))
		}, true
	case fnPermissionOutside:
		return func(_ string, args ...ref.Val) ref.Val {
			return stringList(permissionOutside(ctx.scopeFor(a.rec), native(args[0])))
		}, true
	}
	return nil, false
}

// noContext is the context of an engine compiled without one.
var noContext = newEngineContext(nil)

func stringList(s []string) ref.Val {
	if s == nil {
		s = []string{}
	}
	return types.DefaultTypeAdapter.NativeToValue(s)
}

// sharedOutside returns the receivers outside the organization of a sharing request's list of
// receivers: account ids, "all" (everyone), or objects as EC2 and RDS record them
// ({userId}, {group: "all"}, {organizationArn}, {organizationalUnitArn}). Launch and create
// volume permissions:
// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_LaunchPermission.html,
// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateVolumePermission.html;
// RDS snapshot restore attribute (account ids or "all"):
// https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ModifyDBSnapshotAttribute.html.
func sharedOutside(s orgscope.Scope, v any) []string {
	var out []string
	judge := func(who string) {
		switch {
		case who == "":
		case strings.EqualFold(who, "all"):
			out = append(out, "all")
		case strings.HasPrefix(who, "arn:") && strings.Contains(who, ":organizations::"):
			if !s.OrgARNInScope(who) {
				out = append(out, who)
			}
		case s.Reaches(who) == orgscope.Outside:
			out = append(out, who)
		}
	}
	for _, item := range policy.AsList(v) {
		switch x := item.(type) {
		case string:
			judge(x)
		case map[string]any:
			for _, k := range []string{"userId", "group", "organizationArn", "organizationalUnitArn"} {
				if str, ok := x[k].(string); ok {
					judge(str)
				}
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// permissionOutside returns who outside the organization a Lambda AddPermission or
// AddLayerVersionPermission request admits: its principal (an account id or ARN, a service
// principal, or "*"), narrowed by sourceAccount, sourceArn, principalOrgID (AddPermission:
// https://docs.aws.amazon.com/lambda/latest/api/API_AddPermission.html) or organizationId
// (AddLayerVersionPermission:
// https://docs.aws.amazon.com/lambda/latest/api/API_AddLayerVersionPermission.html), judged
// as the statement Lambda writes from them.
func permissionOutside(s orgscope.Scope, v any) []string {
	rp, _ := v.(map[string]any)
	principal, _ := rp["principal"].(string)
	if principal == "" {
		return nil
	}
	st := policy.Statement{Effect: "Allow"}
	put := func(op, key string, val any) {
		if str, ok := val.(string); ok && str != "" {
			st.Condition = append(st.Condition, policy.Condition{Op: policy.ParseOperator(op), Key: key, Values: []string{str}})
		}
	}
	put("StringEquals", "aws:sourceaccount", rp["sourceAccount"])
	put("ArnLike", "aws:sourcearn", rp["sourceArn"])
	put("StringEquals", "aws:principalorgid", rp["principalOrgID"])
	put("StringEquals", "aws:principalorgid", rp["organizationId"])
	switch {
	case principal == "*":
		st.Principal = "*"
	case strings.HasSuffix(principal, ".amazonaws.com") || strings.HasSuffix(principal, ".amazonaws.com.cn"):
		st.Principal = map[string]any{"Service": principal}
	default:
		st.Principal = map[string]any{"AWS": principal}
	}
	return s.StatementOutside(st)
}

// actorVal is the actor variable as CEL sees it: a map whose fields are computed from the
// record when read.
type actorVal struct{ a *actorInfo }

var _ traits.Indexer = actorVal{}

func (v actorVal) asMap() map[string]any {
	m := make(map[string]any, len(actorFields))
	for _, f := range actorFields {
		m[f], _ = v.a.field(f)
	}
	return m
}

// ConvertToNative gives the fields as a map.
func (v actorVal) ConvertToNative(t reflect.Type) (any, error) {
	return types.DefaultTypeAdapter.NativeToValue(v.asMap()).ConvertToNative(t)
}

// ConvertToType converts like the map of its fields.
func (v actorVal) ConvertToType(t ref.Type) ref.Val {
	return types.DefaultTypeAdapter.NativeToValue(v.asMap()).ConvertToType(t)
}

// Equal compares the fields.
func (v actorVal) Equal(o ref.Val) ref.Val {
	return types.DefaultTypeAdapter.NativeToValue(v.asMap()).Equal(o)
}

// Type is map.
func (v actorVal) Type() ref.Type { return types.MapType }

// Value is the map of the fields.
func (v actorVal) Value() any { return v.asMap() }

// Get returns a field, or an error naming the fields there are.
func (v actorVal) Get(key ref.Val) ref.Val {
	name, ok := key.Value().(string)
	if !ok {
		return types.NewErr("actor has string fields, got a %s key", key.Type().TypeName())
	}
	f, ok := v.a.field(name)
	if !ok {
		return types.NewErr("actor has no field %q (it has %s)", name, strings.Join(actorFields, ", "))
	}
	return types.DefaultTypeAdapter.NativeToValue(f)
}

// Contains reports whether actor has the field.
func (v actorVal) Contains(key ref.Val) ref.Val {
	name, _ := key.Value().(string)
	_, ok := v.a.field(name)
	return types.Bool(ok)
}

// Size is the number of fields.
func (v actorVal) Size() ref.Val { return types.Int(len(actorFields)) }

// Iterator iterates over the field names.
func (v actorVal) Iterator() traits.Iterator {
	return types.DefaultTypeAdapter.NativeToValue(v.asMap()).(traits.Mapper).Iterator()
}
