package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/trailguard/trailguard/compliance"
	"github.com/trailguard/trailguard/compliance/quota"
	"github.com/trailguard/trailguard/config"
	"github.com/trailguard/trailguard/internal/stacks"
)

// stackSummary is one synthesized stack.
type stackSummary struct {
	name, environment string
	resources         int
}

// assemblySummary is what synth produced, read from the cloud assembly in plain Go (no jsii
// round trips per stack).
type assemblySummary struct {
	stacks []stackSummary
}

// summarize reads the stacks and their resource counts from the cloud assembly in dir. A
// replica has its prototype's resources: only the prototype's template is read (a thousand
// replicas are 60 MB of templates a region).
func summarize(dir string, replicas []stacks.Replica) (*assemblySummary, error) {
	var manifest struct {
		Artifacts map[string]struct {
			Type        string `json:"type"`
			Environment string `json:"environment"`
			Properties  struct {
				TemplateFile string `json:"templateFile"`
				StackName    string `json:"stackName"`
			} `json:"properties"`
		} `json:"artifacts"`
	}
	if err := readJSON(filepath.Join(dir, "manifest.json"), &manifest); err != nil {
		return nil, err
	}
	s := &assemblySummary{}
	templates := map[string]string{} // template files by stack name
	for id, a := range manifest.Artifacts {
		if a.Type != "aws:cloudformation:stack" {
			continue
		}
		name := a.Properties.StackName
		if name == "" {
			name = id
		}
		templates[name] = a.Properties.TemplateFile
		s.stacks = append(s.stacks, stackSummary{name: name, environment: strings.TrimPrefix(a.Environment, "aws://")})
	}
	counted := map[string]int{}       // resources by the stack name whose template was read
	prototypes := map[string]string{} // prototype names by replica name
	for _, r := range replicas {
		if p := r.Prototype.Name; templates[p] != "" {
			prototypes[r.StackName] = p
		}
	}
	for i, st := range s.stacks {
		name := st.name
		if p, ok := prototypes[name]; ok {
			name = p
		}
		n, ok := counted[name]
		if !ok {
			var tmpl struct {
				Resources map[string]struct{} `json:"Resources"` // counted, not kept
			}
			if err := readJSON(filepath.Join(dir, templates[name]), &tmpl); err != nil {
				return nil, err
			}
			n = len(tmpl.Resources)
			counted[name] = n
		}
		s.stacks[i].resources = n
	}
	sort.Slice(s.stacks, func(i, j int) bool { return s.stacks[i].name < s.stacks[j].name })
	return s, nil
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	return nil
}

// maxListed is how many stacks the summary lists by name.
const maxListed = 20

// String renders the summary the synth command prints.
// It lists at most maxListed stacks: an organization's thousand member stacks are what `cdk ls`
// is for. replicas is how many forwarder and member stacks replicate a built one.
func (s *assemblySummary) String(cfg *config.Config, r *compliance.Report, guardRules, replicas int) string {
	var b strings.Builder
	total := 0
	fmt.Fprintf(&b, "trailguard: organization %s, %d member account(s), %d region(s), deployment mode %s\n",
		cfg.Organization.ID, len(cfg.Members), len(cfg.Regions), cfg.Deployment.Mode)
	for i, st := range s.stacks {
		if i < maxListed {
			fmt.Fprintf(&b, "  %-48s %-26s %4d resources\n", st.name, st.environment, st.resources)
		}
		total += st.resources
	}
	if more := len(s.stacks) - maxListed; more > 0 {
		fmt.Fprintf(&b, "  ... and %d more (cdk ls lists them all)\n", more)
	}
	if replicas > 0 {
		fmt.Fprintf(&b, "trailguard: %d forwarder and member stack(s) replicate the template of the first stack of their kind and region, which the gates checked\n", replicas)
	}
	fmt.Fprintf(&b, "trailguard: %d stack(s), %d resource(s); compliance: cdk-nag %s + %d Control Tower Guard rules: %d finding(s), %d suppressed with a reason; AWS quotas: %d checked on every template: %d finding(s)\n",
		len(s.stacks), total, strings.Join(compliance.NagPacks, ", "), guardRules, len(r.Findings)-r.Quota(), r.Suppressed, len(quota.All), r.Quota())
	return b.String()
}
