package config

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/trailguard/trailguard/internal/respond/action"
)

// Response configures the automatic response (docs/response.md): which actions run, in which
// mode, what they never touch, and how often they may act.
type Response struct {
	// Actions set each action's mode, by action name (the catalogue of package
	// internal/respond/action). An action not listed runs in dry-run.
	Actions map[string]ActionSettings `yaml:"actions"`
	// Exemptions are resources and accounts no action touches.
	Exemptions Exemptions `yaml:"exemptions"`
	// MaxActionsPerResource is how many actions one resource may take in an hour before its
	// circuit breaker trips and it is switched to dry-run, with an alert naming the
	// CloudFormation stack that keeps changing it, if any. Default: 3.
	MaxActionsPerResource int `yaml:"maxActionsPerResource"`
	// MaxActionsPerAccount is the same limit for all the resources of one account.
	// Default: 20.
	MaxActionsPerAccount int `yaml:"maxActionsPerAccount"`
}

// ActionSettings configures one action.
type ActionSettings struct {
	// Mode is "off" (the alert says nothing about a response), "dry-run" (the audit alert
	// says what would have been done) or "enforce". Default: dry-run.
	Mode string `yaml:"mode"`
}

// Exemptions name what the responder never touches. They are set here, in the config, not by
// a resource tag an attacker could set.
type Exemptions struct {
	// Buckets are bucket names or ARNs (arn:aws:s3:::NAME), with * matching any run of
	// characters.
	Buckets []string `yaml:"buckets"`
	// SecurityGroups are security group ids (sg-...).
	SecurityGroups []string `yaml:"securityGroups"`
	// Accounts are account ids whose resources are never touched.
	Accounts []string `yaml:"accounts"`
}

// Response modes.
const (
	// ResponseOff: the action never runs.
	ResponseOff = "off"
	// ResponseDryRun: the responder reads the resource's state and reports what it would do.
	ResponseDryRun = "dry-run"
	// ResponseEnforce: the responder acts.
	ResponseEnforce = "enforce"
)

// Response defaults.
const (
	DefaultResponseMode          = ResponseDryRun
	DefaultMaxActionsPerResource = 3
	DefaultMaxActionsPerAccount  = 20
)

// ResponseModes are the modes an action may be set to.
var ResponseModes = []string{ResponseOff, ResponseDryRun, ResponseEnforce}

// ActionMode returns the mode of the named action: its setting, else DefaultResponseMode.
func (r *Response) ActionMode(name string) string {
	if s, ok := r.Actions[name]; ok && s.Mode != "" {
		return s.Mode
	}
	return DefaultResponseMode
}

var (
	// bucketExemptPattern is a bucket name pattern (S3's characters, dots allowed, and *) or
	// the same as an ARN.
	bucketExemptPattern = regexp.MustCompile(`^(arn:aws[a-z-]*:s3:::)?[a-z0-9.*-]{1,63}$`)
	securityGroupIDPat  = regexp.MustCompile(`^sg-[0-9a-f]{8}([0-9a-f]{9})?$`)
)

func (v *checker) response(c *Config) {
	r := c.Response
	names := make([]string, 0, len(r.Actions))
	for n := range r.Actions {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		path := "response.actions." + n
		if _, ok := action.Lookup(n); !ok {
			v.fail(path, n, "is not an action; want one of %s", strings.Join(action.Names(), ", "))
			continue
		}
		if m := r.Actions[n].Mode; m != "" {
			v.oneOf(path+".mode", m, ResponseModes)
		} else if _, set := v.lines[path+".mode"]; set {
			v.fail(path+".mode", "", "must be one of %s", strings.Join(ResponseModes, ", "))
		}
	}
	ex := r.Exemptions
	for i, b := range ex.Buckets {
		v.match(fmt.Sprintf("response.exemptions.buckets[%d]", i), b, bucketExemptPattern, "a bucket name or ARN pattern such as my-public-site or arn:aws:s3:::www-*")
	}
	v.unique("response.exemptions.buckets", ex.Buckets)
	for i, g := range ex.SecurityGroups {
		v.match(fmt.Sprintf("response.exemptions.securityGroups[%d]", i), g, securityGroupIDPat, "a security group id such as sg-0123456789abcdef0")
	}
	v.unique("response.exemptions.securityGroups", ex.SecurityGroups)
	for i, a := range ex.Accounts {
		v.match(fmt.Sprintf("response.exemptions.accounts[%d]", i), a, accountIDPattern, "a 12-digit account id")
	}
	v.unique("response.exemptions.accounts", ex.Accounts)
	v.between("response.maxActionsPerResource", r.MaxActionsPerResource, 1, 1000)
	v.between("response.maxActionsPerAccount", r.MaxActionsPerAccount, 1, 10000)
}
