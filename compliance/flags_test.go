package compliance

import (
	"strings"
	"testing"
)

func TestCheckFlags(t *testing.T) {
	good := map[string]any{
		"@aws-cdk/core:annotationsInValidationReport": true,
		"@aws-cdk/core:failSynthOnValidationErrors":   false,
		"@aws-cdk/core:enablePartitionLiterals":       true,
	}
	for _, tc := range []struct {
		name string
		edit func(map[string]any)
		want []string // substrings of the error; none: no error
	}{
		{"trailguard's cdk.json", func(map[string]any) {}, nil},
		{"from the command line", func(c map[string]any) { c["@aws-cdk/core:enablePartitionLiterals"] = "true" }, nil},
		{"no partition literals", func(c map[string]any) { delete(c, "@aws-cdk/core:enablePartitionLiterals") },
			[]string{`"@aws-cdk/core:enablePartitionLiterals" must be true (in cdk.json's "context"), got unset: `, "Guard rules cannot read"}},
		{"annotations outside the report", func(c map[string]any) { c["@aws-cdk/core:annotationsInValidationReport"] = false },
			[]string{`"@aws-cdk/core:annotationsInValidationReport" must be true (in cdk.json's "context"), got false: `, "cdk-nag's findings"}},
		{"synth fails on validation errors, and a typo", func(c map[string]any) {
			delete(c, "@aws-cdk/core:failSynthOnValidationErrors")
			c["@aws-cdk/core:enablePartitionLiterals"] = "yes"
		}, []string{`"@aws-cdk/core:failSynthOnValidationErrors" must be false (in cdk.json's "context"), got unset`,
			`"@aws-cdk/core:enablePartitionLiterals" must be true (in cdk.json's "context"), got yes`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := map[string]any{}
			for k, v := range good {
				ctx[k] = v
			}
			tc.edit(ctx)
			err := checkFlags(func(k string) any { return ctx[k] })
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("want no error, got %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("want an error naming %q, got none", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not say %q:\n%v", w, err)
				}
			}
		})
	}
}
