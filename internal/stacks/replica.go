package stacks

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/trailguard/trailguard/config"
)

// Replica is a member or forwarder stack that is not built from constructs: its template is
// its prototype's, the stack of the same kind built for the first account in the same region.
//
// Every member stack's template is the same (accounts and regions enter it only as
// CloudFormation pseudo parameters), so building, gating and validating one per region is
// enough; building a thousand more through jsii would cost minutes. A replica is still a real
// CDK stack with its own environment, bootstrap roles, asset manifest and metadata, emitted
// by the CDK's DefaultStackSynthesizer; only its template is the prototype's bytes, with the
// construct paths in its metadata renamed to the replica's own. The result is byte for byte
// what building the stack would give (test/replica_test.go proves it).
type Replica struct {
	// StackName is the replica's stack name.
	StackName string
	// Member is the account the stack is for (a member, or one of cfg.ForwarderAccounts).
	Member config.Member
	// Region is the stack's region.
	Region string
	// Prototype is the stack, in the main app, whose template the replica deploys.
	Prototype awscdk.Stack
}

// EmitReplicas adds replicas to app and synthesizes it. The prototypes' cloud assembly (the
// main app's, already synthesized) is in prototypesDir. app must be an app of its own, with
// the main app's context and no validation: the prototypes were validated, and each replica's
// template is checked here to be its prototype's, differing only in construct paths. Merge
// app's assembly into the main one with assembly.Merge.
func EmitReplicas(app awscdk.App, cfg *config.Config, prototypesDir string, replicas []Replica) error {
	prototypes := map[awscdk.Stack]*prototype{}
	for _, r := range replicas {
		p, ok := prototypes[r.Prototype]
		if !ok {
			var err error
			if p, err = readPrototype(prototypesDir, r.Prototype); err != nil {
				return err
			}
			prototypes[r.Prototype] = p
		}
		synth := &replicaSynthesizer{prototype: p}
		awscdk.NewDefaultStackSynthesizer_Override(synth, synthesizerProps(cfg))
		synth.stack = newStack(app, cfg, r.StackName, r.Member.ID, r.Region, *r.Prototype.TemplateOptions().Description(), synth)
	}
	dir := *app.Synth(nil).Directory()
	// The replica's own metadata names only the stack; the prototype's, renamed, also maps
	// each logical id to its construct path, which `cdk diff` and deploy errors show.
	for _, r := range replicas {
		p := prototypes[r.Prototype]
		if err := os.WriteFile(filepath.Join(dir, r.StackName+".metadata.json"), p.rename(p.metadata, p.metadataNames, r.StackName), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// prototype is a synthesized member stack that replicas copy.
type prototype struct {
	name               string
	template, metadata []byte
	// The spellings of the prototype's name in its template and metadata files, each with
	// "%s" where the name goes. Together they are every mention of the name.
	templateNames, metadataNames []string
}

// readPrototype reads stack's template and metadata files from the cloud assembly in dir and
// checks that they can be replicated: they name the stack only in construct paths and the
// template file name, and the template does not name the account.
func readPrototype(dir string, stack awscdk.Stack) (*prototype, error) {
	p := &prototype{
		name:          *stack.StackName(),
		templateNames: []string{`"aws:cdk:path": "%s/`},
		metadataNames: []string{`"/%s"`, `"/%s/`, `"%s.template.json"`},
	}
	var err error
	if p.template, err = os.ReadFile(filepath.Join(dir, *stack.TemplateFile())); err != nil {
		return nil, fmt.Errorf("replicating member stack %s: %w", p.name, err)
	}
	if p.metadata, err = os.ReadFile(filepath.Join(dir, p.name+".metadata.json")); err != nil {
		return nil, fmt.Errorf("replicating member stack %s: %w", p.name, err)
	}
	if account := *stack.Account(); bytes.Contains(p.template, []byte(account)) {
		return nil, fmt.Errorf("member stack %s cannot be replicated: its template names its account %s (a member template may refer to its account only as AWS::AccountId)", p.name, account)
	}
	// Names the CDK generates from construct paths (Names.uniqueId) start with the stack's
	// name, stripped to letters and digits.
	if id := alphanumeric(p.name); bytes.Contains(p.template, []byte(id)) {
		return nil, fmt.Errorf("member stack %s cannot be replicated: its template has a name generated from the stack's (%s...)", p.name, id)
	}
	for _, f := range []struct {
		what  string
		data  []byte
		names []string
	}{{"template", p.template, p.templateNames}, {"metadata", p.metadata, p.metadataNames}} {
		mentions := 0
		for _, n := range f.names {
			mentions += bytes.Count(f.data, fmt.Appendf(nil, n, p.name))
		}
		if mentions != bytes.Count(f.data, []byte(p.name)) {
			return nil, fmt.Errorf("member stack %s cannot be replicated: its %s names the stack outside construct paths", p.name, f.what)
		}
	}
	return p, nil
}

func alphanumeric(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}

// rename returns data, the prototype's template or metadata, with the prototype's name
// replaced by name wherever it is spelled as in names.
func (p *prototype) rename(data []byte, names []string, name string) []byte {
	for _, n := range names {
		data = bytes.ReplaceAll(data, fmt.Appendf(nil, n, p.name), fmt.Appendf(nil, n, name))
	}
	return data
}

// replicaSynthesizer is a DefaultStackSynthesizer whose stack template is a prototype's
// rather than rendered from constructs; everything else (asset manifest, artifact, roles) is
// the CDK's.
type replicaSynthesizer struct {
	awscdk.DefaultStackSynthesizer
	prototype *prototype
	stack     awscdk.Stack
}

// SynthesizeTemplate writes the template and describes it as the stack's template asset, as
// StackSynthesizer.synthesizeTemplate does for a rendered one (called by the CDK through jsii).
func (s *replicaSynthesizer) SynthesizeTemplate(session awscdk.ISynthesisSession, _, _ *string, _ *map[string]any) *awscdk.FileAssetSource {
	name, file := *s.stack.StackName(), *s.stack.TemplateFile()
	template := s.prototype.rename(s.prototype.template, s.prototype.templateNames, name)
	if err := os.WriteFile(filepath.Join(*session.Assembly().Outdir(), file), template, 0o644); err != nil {
		panic(err)
	}
	s.stack.Node().AddMetadata(jsii.String("aws:cdk:templateFile"), jsii.String(file), nil)
	sum := sha256.Sum256(template)
	return &awscdk.FileAssetSource{
		FileName:    jsii.String(file),
		Packaging:   awscdk.FileAssetPackaging_FILE,
		SourceHash:  jsii.String(hex.EncodeToString(sum[:])),
		DeployTime:  jsii.Bool(true),
		DisplayName: jsii.String(name + " Template"),
	}
}
