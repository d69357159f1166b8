// Package upgrade is the upgrade gate: it compares the CloudFormation templates of the last
// released version with this version's and finds every change that would make CloudFormation
// replace or delete a stateful resource (a bucket, key, alias, stream, table, queue, log
// group, bus, trail, SCP or StackSet) when a user deploys this version over that one: a
// resource whose logical ID is gone, whose type changed, or a change of a property that
// causes replacement. Additions and in-place updates pass. A change passes only when it is
// listed with its migration note (Migrations). Pure Go: no CDK, no AWS.
package upgrade

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"

	"github.com/goccy/go-yaml"
)

// Template is the part of a CloudFormation template the gate reads.
type Template struct {
	Resources map[string]Resource `json:"Resources"`
}

// Resource is one resource of a Template.
type Resource struct {
	Type                string         `json:"Type"`
	Properties          map[string]any `json:"Properties"`
	DeletionPolicy      string         `json:"DeletionPolicy"`
	UpdateReplacePolicy string         `json:"UpdateReplacePolicy"`
}

// StatefulTypes are the resource types whose replacement or deletion loses data, evidence or
// protection, whatever the spec says of them.
var StatefulTypes = []string{
	"AWS::S3::Bucket", "AWS::KMS::Key", "AWS::KMS::Alias", "AWS::Kinesis::Stream", "AWS::DynamoDB::Table",
	"AWS::SQS::Queue", "AWS::Logs::LogGroup", "AWS::Events::EventBus", "AWS::CloudTrail::Trail",
	"AWS::Organizations::Policy", "AWS::CloudFormation::StackSet",
}

// Kind is what an upgrade does to a stateful resource.
type Kind string

// The kinds of change the gate reports.
const (
	// Deleted: the logical ID is gone from the new template (or its whole stack is):
	// CloudFormation deletes the resource, or leaves it behind if it is retained.
	Deleted Kind = "deleted"
	// Replaced: a property that causes replacement changed, or the type did: CloudFormation
	// creates a new resource and deletes the old one (or leaves it behind if retained), and a
	// fixed name makes the create fail.
	Replaced Kind = "replaced"
)

// Change is one replacement or deletion of a stateful resource.
type Change struct {
	Stack     string // stack name; a StackSet's template is "<stack>/<StackSet logical ID>"
	LogicalID string
	Type      string
	Kind      Kind
	// Property is the replacement-causing property that changed ("Type" for a type change).
	Property string
	// Retained says the old resource is left behind (DeletionPolicy or UpdateReplacePolicy
	// Retain): it needs a documented cleanup.
	Retained bool
}

// ID names the change as Migrations list it: stack/logicalID.
func (c Change) ID() string { return c.Stack + "/" + c.LogicalID }

func (c Change) String() string {
	s := fmt.Sprintf("%s %s (%s) would be %s", c.Stack, c.LogicalID, c.Type, c.Kind)
	if c.Property != "" {
		s += ": " + c.Property + " changed, which makes CloudFormation replace it"
	}
	if c.Retained {
		s += "; the old one is retained and left behind"
	}
	return s
}

// Compare returns every change from old to new (templates by stack name) that replaces or
// deletes a stateful resource, sorted by stack and logical ID.
func Compare(old, new map[string]Template, spec Spec) []Change {
	var out []Change
	for stack, o := range old {
		n, ok := new[stack]
		if !ok {
			n = Template{} // the stack is gone: every resource of it is deleted
		}
		out = append(out, compareTemplate(stack, o, n, spec)...)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Stack != out[j].Stack {
			return out[i].Stack < out[j].Stack
		}
		return out[i].LogicalID < out[j].LogicalID
	})
	return out
}

func compareTemplate(stack string, o, n Template, spec Spec) []Change {
	var out []Change
	for id, or := range o.Resources {
		nr, ok := n.Resources[id]
		if or.Type == "AWS::CloudFormation::StackSet" && ok && nr.Type == or.Type {
			// A StackSet deploys its template to every account: a resource replaced or
			// deleted in it is replaced or deleted everywhere.
			out = append(out, compareTemplate(stack+"/"+id, stackSetTemplate(or), stackSetTemplate(nr), spec)...)
		}
		if !spec.Stateful(or.Type) {
			continue
		}
		c := Change{Stack: stack, LogicalID: id, Type: or.Type}
		switch {
		case !ok:
			c.Kind, c.Retained = Deleted, retains(or.DeletionPolicy)
		case nr.Type != or.Type:
			c.Kind, c.Property, c.Retained = Replaced, "Type", retains(or.UpdateReplacePolicy)
		default:
			p := spec.replacingChange(or, nr)
			if p == "" {
				continue
			}
			c.Kind, c.Property, c.Retained = Replaced, p, retains(or.UpdateReplacePolicy)
		}
		out = append(out, c)
	}
	return out
}

// retains reports whether a DeletionPolicy or UpdateReplacePolicy leaves the resource behind.
func retains(policy string) bool { return policy == "Retain" || policy == "RetainExceptOnCreate" }

// stackSetTemplate is the template a StackSet deploys inline (TemplateBody); a StackSet whose
// template is a file (TemplateURL) has none here.
func stackSetTemplate(r Resource) Template {
	var t Template
	if body, ok := r.Properties["TemplateBody"].(string); ok {
		_ = json.Unmarshal([]byte(body), &t) // not JSON (YAML): compared as having no resources
	}
	return t
}

// Spec says, per CloudFormation resource type, whether it is stateful and which of its
// properties cause replacement when changed.
type Spec map[string]TypeSpec

// TypeSpec is one resource type's entry in a Spec.
type TypeSpec struct {
	// Stateful: the resource specification marks the type stateful.
	Stateful bool
	// Replacing are the properties whose change causes replacement ("yes"), or may ("maybe",
	// depending on the change: the gate counts it).
	Replacing map[string]string
}

// Stateful reports whether typ is in StatefulTypes or the spec marks it stateful.
func (s Spec) Stateful(typ string) bool {
	return slices.Contains(StatefulTypes, typ) || s[typ].Stateful
}

// replacingChange names the first (alphabetically) replacement-causing property that differs
// between o and n, or "".
func (s Spec) replacingChange(o, n Resource) string {
	var props []string
	for p := range s[o.Type].Replacing {
		props = append(props, p)
	}
	sort.Strings(props)
	for _, p := range props {
		if !reflect.DeepEqual(o.Properties[p], n.Properties[p]) {
			return p
		}
	}
	return ""
}

// Migration is a replacement or deletion that a release makes on purpose, with what users
// must do about it.
type Migration struct {
	// Change is the Change's ID: stack/logicalID.
	Change string `yaml:"change"`
	// Note says why, and what to do: a cleanup command for what is left behind, or how the
	// data moves.
	Note string `yaml:"note"`
}

// Gate returns the changes no migration lists, and the migrations that list no change
// (stale: the list must describe this upgrade, not an earlier one).
func Gate(changes []Change, migrations []Migration) (unlisted []Change, stale []Migration) {
	listed := map[string]bool{}
	for _, m := range migrations {
		listed[m.Change] = true
	}
	seen := map[string]bool{}
	for _, c := range changes {
		seen[c.ID()] = true
		if !listed[c.ID()] {
			unlisted = append(unlisted, c)
		}
	}
	for _, m := range migrations {
		if !seen[m.Change] || strings.TrimSpace(m.Note) == "" {
			stale = append(stale, m)
		}
	}
	return unlisted, stale
}

// LoadMigrations reads a migrations file: a YAML list of {change, note}.
func LoadMigrations(name string, data []byte) ([]Migration, error) {
	var ms []Migration
	if err := yaml.UnmarshalWithOptions(data, &ms, yaml.DisallowUnknownField()); err != nil {
		return nil, fmt.Errorf("%s: %w (expected a list of {change: <stack>/<logical ID>, note: <why and what to do>})", name, err)
	}
	return ms, nil
}
