package coverage

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/trailguard/trailguard/internal/coveragespec"
)

// ExpectedFile is the name of the file, beside the monitor function's binary, that holds
// the Expected pairs (a file: a thousand accounts in seventeen regions do not fit in
// Lambda's 4 KB of environment variables).
const ExpectedFile = coveragespec.ExpectedFile

// Pair is an account and a region: Account (the 12-digit account id) and Region (such as
// "eu-west-1"). Its Key, "<account>:<region>", is its key in the table; String is its Key.
//
// The type is defined in internal/coveragespec, which the constructs import without the AWS
// SDK; this is the name to use.
type Pair = coveragespec.Pair

// Expected is what the config says should send heartbeats: Complete (Accounts lists every
// forwarding account, stacks mode), Accounts (each account's forwarding regions) and
// StackSetRegions (stackset mode: the regions of the accounts the config does not list).
// Add expects an account in regions, Pairs lists the pairs sorted, Marshal is the content of
// ExpectedFile; ReadExpected reads it back.
//
// The type is defined in internal/coveragespec, which the constructs import without the AWS
// SDK; this is the name to use.
type Expected = coveragespec.Expected

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
