// Package action is the catalogue of automatic response actions: their names, what each
// does, and the parameters a rule's `response` may give them. It has no dependencies, so
// that the rule loader (package detect), the config (package config) and the decision engine
// (package respond) share one list and reject an unknown action or parameter alike.
package action

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Names of the actions.
const (
	// S3BlockPublicAccess turns every Block Public Access setting on for the bucket named by
	// the event (and for the account, when the event removed the account's setting). It
	// never touches the bucket policy or ACLs: with Block Public Access on, S3 ignores the
	// public grants they hold. Undo: put the configuration that was there before (the audit
	// alert's before state) with PutPublicAccessBlock.
	S3BlockPublicAccess = "s3-block-public-access"
	// EC2RevokeOpenIngress revokes exactly the security group rules the event added that
	// admit the internet on an administrative port. Undo: authorize the same rule again (the
	// audit alert's before state lists it).
	EC2RevokeOpenIngress = "ec2-revoke-open-ingress"
	// CloudTrailStartLogging starts logging on the trail the event stopped. Undo:
	// StopLogging, if stopping it was intended.
	CloudTrailStartLogging = "cloudtrail-start-logging"
	// CloudTrailRestoreTrail puts a trailguard trail that was re-scoped (UpdateTrail,
	// PutEventSelectors, PutInsightSelectors) back to its configuration as deployed, and
	// starts its logging if it was stopped. The deployed configuration is synth's, never the
	// event's. Undo: UpdateTrail, PutEventSelectors and PutInsightSelectors with the audit
	// alert's before state.
	CloudTrailRestoreTrail = "cloudtrail-restore-trail"
	// EventsRestoreForwarderRule re-enables a trailguard forwarder rule that was disabled, and
	// re-creates one that was deleted (or re-patterned, or lost its targets) exactly as
	// deployed: pattern, state, targets with their role and dead-letter queue. Undo:
	// DisableRule, or PutRule and PutTargets with the audit alert's before state.
	EventsRestoreForwarderRule = "events-restore-forwarder-rule"
	// IAMDeactivateAccessKey sets the access key the event created to Inactive (never
	// deletes it). Undo: UpdateAccessKey with Status Active.
	IAMDeactivateAccessKey = "iam-deactivate-access-key"
)

// Spec describes one action.
type Spec struct {
	// Name is the action's name, as rules and the config write it.
	Name string
	// Summary says what the action changes, in one line.
	Summary string
	// Undo says how to reverse it.
	Undo string
	// Params are the parameters the action takes, by name.
	Params map[string]Param
	// RestoresDeployed marks the restoring actions: they put a trailguard trail or rule back to
	// its definition as deployed (deployed.json). A change a trailguard deployment made is
	// never reversed by one of them: the deployment is where those definitions come from, and
	// an older or rolled-back deployment would otherwise be fought until the circuit breaker
	// trips (docs/response.md, "It never reverses a deployment").
	RestoresDeployed bool
}

// Param is one parameter of an action.
type Param struct {
	// Doc says what it means and its default.
	Doc string
	// Check validates a value as decoded from YAML (a string, a number, a bool, a list).
	Check func(v any) error
}

// DefaultAdminPorts are the administrative ports ec2-revoke-open-ingress protects by
// default: SSH, Telnet, SMB, RDP, VNC, WinRM, and databases and caches that have no business
// facing the internet.
var DefaultAdminPorts = []int{22, 23, 445, 1433, 1521, 2375, 2376, 3306, 3389, 5432, 5900, 5985, 5986, 6379, 9200, 11211, 27017}

var catalogue = map[string]Spec{
	S3BlockPublicAccess: {
		Name:    S3BlockPublicAccess,
		Summary: "turn on all four Block Public Access settings of the bucket (or of the account, when the account's were removed); the policy and ACLs are left as they are",
		Undo:    "aws s3api put-public-access-block --bucket BUCKET --public-access-block-configuration <the before state in the audit alert> (aws s3control put-public-access-block --account-id ACCOUNT ... for the account setting)",
		Params:  map[string]Param{},
	},
	EC2RevokeOpenIngress: {
		Name:    EC2RevokeOpenIngress,
		Summary: "revoke exactly the ingress rules the event added that admit the internet on an administrative port",
		Undo:    "aws ec2 authorize-security-group-ingress --group-id GROUP --ip-permissions <the revoked rules in the audit alert>",
		Params: map[string]Param{
			"ports": {Doc: "the administrative ports (a list of numbers 0-65535); a rule covering any of them, or every port, is revoked. Default: " + fmt.Sprint(DefaultAdminPorts), Check: checkPorts},
		},
	},
	CloudTrailStartLogging: {
		Name:    CloudTrailStartLogging,
		Summary: "start logging on the trail the event stopped",
		Undo:    "aws cloudtrail stop-logging --name TRAIL_ARN",
		Params:  map[string]Param{},
	},
	CloudTrailRestoreTrail: {
		Name:    CloudTrailRestoreTrail,
		Summary: "put a re-scoped trailguard trail (regions, organization, log file validation, bucket, key, global service events, event and Insights selectors) back to its configuration as deployed, and start its logging if it was stopped",
		Undo:    "aws cloudtrail update-trail / put-event-selectors / put-insight-selectors --trail-name TRAIL with the before state in the audit alert",
		Params:  map[string]Param{},

		RestoresDeployed: true,
	},
	EventsRestoreForwarderRule: {
		Name:    EventsRestoreForwarderRule,
		Summary: "re-enable a disabled trailguard forwarder rule, or re-create a deleted (or changed) one exactly as deployed: pattern, state, targets with their role and dead-letter queue",
		Undo:    "aws events disable-rule --name RULE (or put-rule / put-targets with the before state in the audit alert)",
		Params:  map[string]Param{},

		RestoresDeployed: true,
	},
	IAMDeactivateAccessKey: {
		Name:    IAMDeactivateAccessKey,
		Summary: "set the access key the event created to Inactive (it is not deleted)",
		Undo:    "aws iam update-access-key --user-name USER --access-key-id KEY --status Active",
		Params:  map[string]Param{},
	},
}

// Lookup returns the action named name.
func Lookup(name string) (Spec, bool) {
	s, ok := catalogue[name]
	return s, ok
}

// Names returns the names of every action, sorted.
func Names() []string {
	out := make([]string, 0, len(catalogue))
	for n := range catalogue {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Validate checks a response's action and parameters. Each error names what is wrong and
// what is allowed; field is "action" or "params.<name>".
func Validate(name string, params map[string]any) []FieldError {
	spec, ok := Lookup(name)
	if !ok {
		if name == "" {
			return []FieldError{{Field: "action", Err: fmt.Errorf("is required; want one of %s", strings.Join(Names(), ", "))}}
		}
		return []FieldError{{Field: "action", Err: fmt.Errorf("unknown action %q; want one of %s", name, strings.Join(Names(), ", "))}}
	}
	var errs []FieldError
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		p, ok := spec.Params[k]
		if !ok {
			allowed := "it takes none"
			if len(spec.Params) > 0 {
				var ns []string
				for n := range spec.Params {
					ns = append(ns, n)
				}
				slices.Sort(ns)
				allowed = "want " + strings.Join(ns, ", ")
			}
			errs = append(errs, FieldError{Field: "params." + k, Err: fmt.Errorf("unknown parameter of %s; %s", name, allowed)})
			continue
		}
		if err := p.Check(params[k]); err != nil {
			errs = append(errs, FieldError{Field: "params." + k, Err: err})
		}
	}
	return errs
}

// FieldError is one problem with a response.
type FieldError struct {
	// Field is "action" or "params.<name>".
	Field string
	Err   error
}

// Ports returns the ports parameter of ec2-revoke-open-ingress, or DefaultAdminPorts.
func Ports(params map[string]any) []int {
	v, ok := params["ports"]
	if !ok {
		return DefaultAdminPorts
	}
	ports, err := toPorts(v)
	if err != nil {
		return DefaultAdminPorts
	}
	return ports
}

func checkPorts(v any) error {
	_, err := toPorts(v)
	return err
}

func toPorts(v any) ([]int, error) {
	list, ok := v.([]any)
	if !ok || len(list) == 0 {
		return nil, fmt.Errorf("must be a non-empty list of port numbers such as [22, 3389], got %v", v)
	}
	var out []int
	for _, e := range list {
		var n int
		switch x := e.(type) {
		case int:
			n = x
		case int64:
			n = int(x)
		case uint64:
			n = int(x)
		case float64:
			n = int(x)
			if float64(n) != x {
				return nil, fmt.Errorf("must hold whole port numbers, got %v", e)
			}
		default:
			return nil, fmt.Errorf("must hold port numbers 0-65535, got %v", e)
		}
		if n < 0 || n > 65535 {
			return nil, fmt.Errorf("must hold port numbers 0-65535, got %d", n)
		}
		out = append(out, n)
	}
	return out, nil
}
