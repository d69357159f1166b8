package compliance

import (
	"errors"
	"fmt"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// FeatureFlag is a cdk.json context value the gates depend on.
type FeatureFlag struct {
	// Key is the context key, e.g. "@aws-cdk/core:enablePartitionLiterals".
	Key string
	// Want is the value the gates need.
	Want bool
	// Why says what goes wrong without it.
	Why string
}

// FeatureFlags are the context values Synth needs (trailguard's cdk.json sets them all). The
// cdk CLI passes an app the context of the cdk.json beside it; a test app must be given them
// (awscdk.AppProps.Context).
var FeatureFlags = []FeatureFlag{
	{"@aws-cdk/core:annotationsInValidationReport", true,
		"without it cdk-nag's findings are annotations only, not in the validation report Check reads: they would drop out of the count without a word"},
	{"@aws-cdk/core:failSynthOnValidationErrors", false,
		"with it (the default) synth stops at the first Guard rule violation instead of writing the validation report, so no finding is counted or shown"},
	{"@aws-cdk/core:enablePartitionLiterals", true,
		`without it every ARN a construct builds for an imported resource is an {"Fn::Join"} over {"Ref": "AWS::Partition"}, which the Control Tower Guard rules cannot read: an imported bucket alone yields dozens of findings with no hint why`},
}

// CheckFeatureFlags returns an error naming every FeatureFlags entry whose value in scope's
// context is not the one Synth needs, and why it is needed, or nil.
func CheckFeatureFlags(scope constructs.Construct) error {
	return checkFlags(func(key string) any { return scope.Node().TryGetContext(jsii.String(key)) })
}

func checkFlags(get func(key string) any) error {
	var errs []error
	for _, f := range FeatureFlags {
		v := get(f.Key)
		got, ok := boolContext(v)
		if ok && got == f.Want {
			continue
		}
		shown := "unset"
		if v != nil {
			shown = fmt.Sprintf("%v", v)
		}
		errs = append(errs, fmt.Errorf("compliance: the context %q must be %v (in cdk.json's \"context\"), got %s: %s", f.Key, f.Want, shown, f.Why))
	}
	return errors.Join(errs...)
}

// boolContext reads a context value as CDK's own flags do: a JSON boolean from cdk.json, or
// the string "true" or "false" from `cdk synth -c key=value`.
func boolContext(v any) (value, ok bool) {
	switch x := v.(type) {
	case bool:
		return x, true
	case string:
		switch x {
		case "true":
			return true, true
		case "false":
			return false, true
		}
	}
	return false, false
}
