package detect

import (
	"encoding/json"
	"sync"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/common/types/traits"
	"cel.dev/cel-go/ext"
	"cel.dev/cel-go/interpreter"

	"github.com/trailguard/trailguard/internal/policy"
)

// recordFields are the CloudTrail record members a condition can name as
// variables (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html).
var recordFields = []string{
	"eventVersion", "userIdentity", "eventTime", "eventSource", "eventName", "awsRegion",
	"sourceIPAddress", "userAgent", "errorCode", "errorMessage", "requestParameters",
	"responseElements", "additionalEventData", "requestID", "eventID", "readOnly", "resources",
	"eventType", "apiVersion", "managementEvent", "recipientAccountId", "sharedEventID",
	"serviceEventDetails", "vpcEndpointId", "vpcEndpointAccountId", "eventCategory",
	"tlsDetails", "sessionCredentialFromConsole", "edgeDeviceDetails", "insightDetails", "addendum",
}

// Derived variables, computed from the record.
const (
	varRecord    = "record"
	varPrincipal = "principal"
	varAccountID = "accountId"
	varRole      = "role"
)

// sharedEnv returns one CEL environment for the whole process (an
// environment is safe for concurrent use).
var sharedEnv = sync.OnceValues(newEnv)

// newEnv returns the CEL environment conditions are compiled in.
func newEnv() (*cel.Env, error) {
	opts := []cel.EnvOption{
		cel.Variable(varRecord, cel.MapType(cel.StringType, cel.DynType)),
		cel.Variable(varPrincipal, cel.StringType),
		cel.Variable(varAccountID, cel.StringType),
		cel.Variable(varRole, cel.StringType),
		ext.Strings(),
		ext.Lists(),
		ext.Sets(),
		cel.OptionalTypes(),
		cel.Function("json",
			cel.Overload("json_dyn", []*cel.Type{cel.DynType}, cel.StringType, cel.UnaryBinding(jsonFn))),
		cel.Function("asList",
			cel.Overload("asList_dyn", []*cel.Type{cel.DynType}, cel.ListType(cel.DynType), cel.UnaryBinding(asListFn))),
		cel.Function("policyStatements",
			cel.Overload("policyStatements_dyn", []*cel.Type{cel.DynType}, cel.ListType(cel.DynType), cel.UnaryBinding(policyStatementsFn))),
		cel.Function("principals",
			cel.Overload("principals_dyn", []*cel.Type{cel.DynType}, cel.ListType(cel.StringType), cel.UnaryBinding(principalsFn))),
	}
	opts = append(opts, semanticFunctions()...)
	for _, f := range recordFields {
		opts = append(opts, cel.Variable(f, cel.DynType))
	}
	opts = append(opts, contextEnvOptions()...)
	return cel.NewEnv(opts...)
}

// activation resolves a condition's variables against one record.
type activation struct {
	rec *Record
	ctx *engineContext
	// memo holds what the context derives from the record, computed once per record when a
	// condition first needs it.
	memo *activationMemo
}

func (a activation) ResolveName(name string) (any, bool) {
	switch name {
	case varRecord:
		return a.rec.Fields, true
	case varPrincipal:
		return a.rec.Principal(), true
	case varAccountID:
		return a.rec.AccountID(), true
	case varRole:
		return a.rec.Role(), true
	case varOrg:
		if a.ctx == nil {
			return noContext.org, true
		}
		return a.ctx.org, true
	case varActor:
		ctx := a.ctx
		if ctx == nil {
			ctx = noContext
		}
		if a.memo == nil {
			return actorVal{ctx.actor(a.rec)}, true
		}
		if a.memo.actor == nil {
			a.memo.actor = ctx.actor(a.rec)
		}
		return actorVal{a.memo.actor}, true
	}
	// A member the record lacks is null, not an error.
	return a.rec.Fields[name], true
}

func (a activation) Parent() interpreter.Activation { return nil }

// activationMemo is what an activation derives once per record.
type activationMemo struct {
	actor *actorInfo
}

// native turns a CEL value into plain Go values (maps, slices, strings,
// numbers, booleans).
func native(v ref.Val) any {
	switch x := v.Value().(type) {
	case []ref.Val:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = native(e)
		}
		return out
	case map[ref.Val]ref.Val:
		out := make(map[string]any, len(x))
		for k, e := range x {
			if s, ok := k.Value().(string); ok {
				out[s] = native(e)
			}
		}
		return out
	}
	if l, ok := v.(traits.Lister); ok {
		if _, isGo := v.Value().([]any); !isGo {
			var out []any
			it := l.Iterator()
			for it.HasNext() == types.True {
				out = append(out, native(it.Next()))
			}
			return out
		}
	}
	if v == types.NullValue {
		return nil
	}
	return v.Value()
}

// jsonFn implements json(value): the value as compact JSON, for substring
// tests over nested request parameters.
func jsonFn(v ref.Val) ref.Val {
	b, err := json.Marshal(native(v))
	if err != nil {
		return types.NewErr("json: %v", err)
	}
	return types.String(b)
}

// asListFn implements asList(value): a list as is, null as an empty list,
// anything else as a list of one. IAM policies write one action, resource or
// principal as a string and several as a list.
func asListFn(v ref.Val) ref.Val {
	return listVal(policy.AsList(native(v)))
}

// listVal is a list as CEL sees it; a nil list is an empty one.
func listVal(l []any) ref.Val {
	if l == nil {
		l = []any{}
	}
	return types.DefaultTypeAdapter.NativeToValue(l)
}

// policyStatementsFn implements policyStatements(policy): the statements of
// an IAM policy document given as an object or as JSON text (CloudTrail
// records some policies as text, some URL-encoded), always as a list.
func policyStatementsFn(v ref.Val) ref.Val {
	return listVal(policy.AsList(policy.Document(native(v))["Statement"]))
}

// principalsFn implements principals(statement): every principal a policy
// statement names, "*" for Principal "*", else the values of its AWS,
// Service, Federated and CanonicalUser members.
func principalsFn(v ref.Val) ref.Val {
	stmt, _ := native(v).(map[string]any)
	out := policy.Statement{Principal: stmt["Principal"]}.Principals()
	if out == nil {
		out = []string{}
	}
	return types.DefaultTypeAdapter.NativeToValue(out)
}
