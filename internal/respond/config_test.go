package respond

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trailguard/trailguard/config"
)

func TestParseConfig(t *testing.T) {
	for _, tc := range []struct {
		name, json string
		want       string // in the error; "" for none
	}{
		{name: "empty: defaults", json: `{}`},
		{name: "modes and exemptions", json: `{"Actions":{"s3-block-public-access":{"Mode":"enforce"}},"Exemptions":{"Buckets":["www-*"]},"MaxActionsPerResource":2}`},
		{name: "unknown field", json: `{"Actoins":{}}`, want: `unknown field "Actoins"`},
		{name: "unknown action", json: `{"Actions":{"s3-delete-bucket":{"Mode":"enforce"}}}`, want: `"s3-delete-bucket" is not an action`},
		{name: "bad mode", json: `{"Actions":{"s3-block-public-access":{"Mode":"on"}}}`, want: `Actions.s3-block-public-access.Mode: "on"`},
		{name: "not JSON", json: `actions: {}`, want: "not the JSON of a response config"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := ParseConfig([]byte(tc.json))
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if r.MaxActionsPerAccount != config.DefaultMaxActionsPerAccount || r.MaxActionsPerResource == 0 {
					t.Errorf("limits %d/%d: the unset ones must take their defaults", r.MaxActionsPerResource, r.MaxActionsPerAccount)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one saying %s", err, tc.want)
			}
		})
	}
}

// TestConfigFileRoundTrip: what the construct bundles is what the function reads; without a
// file, every action is in dry-run.
func TestConfigFileRoundTrip(t *testing.T) {
	dir := t.TempDir()
	r, err := LoadConfig(dir)
	if err != nil || r.ActionMode("s3-block-public-access") != config.ResponseDryRun || len(r.Exemptions.Buckets) != 0 {
		t.Fatalf("no file: %+v %v, want dry-run and no exemptions", r, err)
	}
	want := config.Response{Actions: map[string]config.ActionSettings{"ec2-revoke-open-ingress": {Mode: "enforce"}},
		Exemptions: config.Exemptions{Buckets: []string{"www-*"}, Accounts: []string{"444455556666"}}, MaxActionsPerResource: 5, MaxActionsPerAccount: 50}
	b, err := MarshalConfig(want)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, ConfigFile), b, 0o644)
	got, err := LoadConfig(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got.ActionMode("ec2-revoke-open-ingress") != "enforce" || got.Exemptions.Accounts[0] != "444455556666" || got.MaxActionsPerAccount != 50 {
		t.Errorf("read back %+v, want %+v", got, want)
	}
	os.WriteFile(filepath.Join(dir, ConfigFile), []byte(`{"Actions":{"x":{}}}`), 0o644)
	if _, err := LoadConfig(dir); err == nil || !strings.Contains(err.Error(), ConfigFile) {
		t.Errorf("a bad file: error %v, want one naming %s", err, ConfigFile)
	}
}
