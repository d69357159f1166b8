package main

import (
	"testing"

	"github.com/trailguard/trailguard/config"
)

// TestGeneratedConfigsLoad: the benchmark's organizations stay valid as the config's rules
// change (a one-region organization outside us-east-1 stopped being one).
func TestGeneratedConfigsLoad(t *testing.T) {
	for _, mode := range []string{config.ModeStacks, config.ModeStackSet} {
		if _, err := config.Load("generated.yaml", []byte(generateConfig(3, mode))); err != nil {
			t.Errorf("%s mode: %v", mode, err)
		}
	}
}
