package respond

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/trailguard/trailguard/config"
	"github.com/trailguard/trailguard/internal/respond/action"
)

// ConfigFile is the file beside the responder function's binary (in its asset) holding the
// config's response section (config.Response as JSON), bundled at synth by
// constructs/responder. It is a file, not an environment variable, because Lambda allows 4 KB
// of environment variables per function in all
// (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html) and the
// exemption lists have no such bound.
const ConfigFile = "response.json"

// MarshalConfig is the content of ConfigFile for r.
func MarshalConfig(r config.Response) ([]byte, error) {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// ParseConfig reads the content of ConfigFile: strict JSON of config.Response (an unknown
// field is an error, not ignored), every action known and every mode one of off, dry-run,
// enforce; the limits left at 0 take their defaults.
func ParseConfig(data []byte) (config.Response, error) {
	var r config.Response
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return r, fmt.Errorf("not the JSON of a response config (config.Response): %w", err)
	}
	var errs []error
	names := make([]string, 0, len(r.Actions))
	for n := range r.Actions {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		if _, ok := action.Lookup(n); !ok {
			errs = append(errs, fmt.Errorf("Actions: %q is not an action; want one of %s", n, strings.Join(action.Names(), ", ")))
			continue
		}
		if m := r.Actions[n].Mode; m != "" && !slices.Contains(config.ResponseModes, m) {
			errs = append(errs, fmt.Errorf("Actions.%s.Mode: %q; want one of %s", n, m, strings.Join(config.ResponseModes, ", ")))
		}
	}
	if r.MaxActionsPerResource == 0 {
		r.MaxActionsPerResource = config.DefaultMaxActionsPerResource
	}
	if r.MaxActionsPerAccount == 0 {
		r.MaxActionsPerAccount = config.DefaultMaxActionsPerAccount
	}
	return r, errors.Join(errs...)
}

// LoadConfig reads ConfigFile in the function's directory root. Without the file, every
// action is in dry-run (the default) with no exemptions: nothing is changed.
func LoadConfig(root string) (config.Response, error) {
	path := filepath.Join(root, ConfigFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return config.Response{MaxActionsPerResource: config.DefaultMaxActionsPerResource, MaxActionsPerAccount: config.DefaultMaxActionsPerAccount}, nil
	}
	if err != nil {
		return config.Response{}, err
	}
	r, err := ParseConfig(data)
	if err != nil {
		return r, fmt.Errorf("%s: %w", ConfigFile, err)
	}
	return r, nil
}
