package main

import (
	"slices"
	"testing"
)

// TestFunctionsAreTheModulesFunctions: the packages prebuild builds are the four functions the
// constructs deploy (constructs/detection, coveragemonitor and responder register them with
// gobuild). A function added without the Lambda runtime in its main would only lose the
// head start, not be built wrong.
func TestFunctionsAreTheModulesFunctions(t *testing.T) {
	got, err := functions("github.com/trailguard/trailguard/cmd/...")
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	want := []string{
		"github.com/trailguard/trailguard/cmd/archiveconsumer",
		"github.com/trailguard/trailguard/cmd/coveragemonitor",
		"github.com/trailguard/trailguard/cmd/responder",
		"github.com/trailguard/trailguard/cmd/streamconsumer",
	}
	if !slices.Equal(got, want) {
		t.Errorf("functions = %v, want %v", got, want)
	}
}
