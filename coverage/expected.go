package coverage

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
)

// ExpectedFile is the name of the file, beside the monitor function's binary, that holds
// the Expected pairs (a file: a thousand accounts in seventeen regions do not fit in
// Lambda's 4 KB of environment variables).
const ExpectedFile = "expected.json"

// Pair is an account and a region.
type Pair struct {
	// Account is the 12-digit account id.
	Account string `json:"account"`
	// Region is the region's name, such as "eu-west-1".
	Region string `json:"region"`
}

// Key is the pair's key in the table: "<account>:<region>".
func (p Pair) Key() string { return p.Account + ":" + p.Region }

// String is the pair as logs and alerts show it: its Key.
func (p Pair) String() string { return p.Key() }

// Expected is what the config says should send heartbeats.
type Expected struct {
	// Complete is true when Accounts lists every forwarding account (stacks mode): a
	// heartbeat from any other pair is unexpected. In stackset mode the StackSet reaches
	// accounts the config does not name, so it is false.
	Complete bool `json:"complete"`
	// Accounts maps each account to its forwarding regions.
	Accounts map[string][]string `json:"accounts"`
	// StackSetRegions are the regions the StackSet deploys a forwarder to in accounts the
	// config does not list (stackset mode): an account there active in the archive without
	// a heartbeat may be waiting for its instance (NeverSeenGrace) before it is unforwarded.
	// Empty in stacks mode.
	StackSetRegions []string `json:"stackSetRegions,omitempty"`
}

// Pairs returns the expected pairs, sorted.
func (e *Expected) Pairs() []Pair {
	var out []Pair
	for a, regions := range e.Accounts {
		for _, r := range regions {
			out = append(out, Pair{a, r})
		}
	}
	slices.SortFunc(out, func(x, y Pair) int { return strings.Compare(x.Key(), y.Key()) })
	return out
}

// Add expects account to forward from regions.
func (e *Expected) Add(account string, regions ...string) {
	if e.Accounts == nil {
		e.Accounts = map[string][]string{}
	}
	for _, r := range regions {
		if !slices.Contains(e.Accounts[account], r) {
			e.Accounts[account] = append(e.Accounts[account], r)
		}
	}
	slices.Sort(e.Accounts[account])
}

// Marshal is the file's content: compact JSON with sorted keys, so the same config gives
// the same bytes (and asset hash).
func (e *Expected) Marshal() ([]byte, error) { return json.Marshal(e) }

// ReadExpected reads an Expected file.
func ReadExpected(path string) (*Expected, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("expected pairs: %w", err)
	}
	var e Expected
	if err := json.Unmarshal(b, &e); err != nil {
		return nil, fmt.Errorf("expected pairs %s: %w", path, err)
	}
	for a, regions := range e.Accounts {
		if !accountRe.MatchString(a) {
			return nil, fmt.Errorf("expected pairs %s: account %q is not a 12-digit account id", path, a)
		}
		for _, r := range regions {
			if !regionRe.MatchString(r) {
				return nil, fmt.Errorf("expected pairs %s: account %s: %q is not a region name", path, a, r)
			}
		}
	}
	for _, r := range e.StackSetRegions {
		if !regionRe.MatchString(r) {
			return nil, fmt.Errorf("expected pairs %s: stackSetRegions: %q is not a region name", path, r)
		}
	}
	return &e, nil
}
