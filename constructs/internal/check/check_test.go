package check_test

import (
	"testing"

	"github.com/trailguard/trailguard/constructs/eventsink"
	"github.com/trailguard/trailguard/constructs/guardrails"
	"github.com/trailguard/trailguard/constructs/internal/check"
)

// TestNamePrefixIsTheGuardrailsAndAlerts: the prefix the constructs require is the one the
// guardrails protect and the alert patterns recognise.
func TestNamePrefixIsTheGuardrailsAndAlerts(t *testing.T) {
	for _, tc := range []struct{ what, got string }{
		{"guardrails.NamePrefix", guardrails.NamePrefix},
		{"eventsink.ResourcePrefix", eventsink.ResourcePrefix},
	} {
		if tc.got != check.NamePrefix {
			t.Errorf("%s = %q, want check.NamePrefix %q", tc.what, tc.got, check.NamePrefix)
		}
	}
}

func TestUnprotected(t *testing.T) {
	s := func(v string) *string { return &v }
	for _, tc := range []struct {
		v    *string
		want bool // a problem
	}{
		{nil, false},
		{s("trailguard-local"), false},
		{s("local"), true},
		{s("Trailguard-local"), true},
	} {
		if got := check.Unprotected("Name", tc.v) != ""; got != tc.want {
			t.Errorf("Unprotected(%v) reports a problem: %v, want %v", tc.v, got, tc.want)
		}
	}
}
