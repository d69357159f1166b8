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

// TestGeneratedOrgConfigLoads: the organization-scale config of -ratios is valid and has the
// accounts and regions asked for.
func TestGeneratedOrgConfigLoads(t *testing.T) {
	cfg, err := config.Load("org.yaml", []byte(generateOrgConfig(3, 4)))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Members) != 3 || len(cfg.Regions) != 4 {
		t.Errorf("got %d members in %v, want 3 in 4 regions", len(cfg.Members), cfg.Regions)
	}
}
