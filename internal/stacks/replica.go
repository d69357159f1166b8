package stacks

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/aws/aws-cdk-go/awscdk/v2"

	"github.com/trailguard/trailguard/config"
	"github.com/trailguard/trailguard/internal/assembly"
)

// Replica is a member or forwarder stack that is not built from constructs: its template is
// its prototype's, the stack of the same kind built for the first account in the same region.
//
// Every member stack's template is the same (accounts and regions enter it only as
// CloudFormation pseudo parameters), so building, gating and validating one per region is
// enough; building a thousand more through jsii would cost minutes, and even emitting each
// as a CDK stack of its own costs about 10 ms of jsii round trips a stack. A replica's cloud
// assembly entries are instead derived from its prototype's, as the CDK's
// DefaultStackSynthesizer wrote them: the template and metadata with the construct paths
// renamed, the asset manifest and the manifest's artifacts with the stack name and account
// replaced, and the hashes the CDK derives from them computed again. The result is byte for
// byte what building the stack would give (test/replica_test.go proves it), and emitting a
// thousand replicas takes a fraction of a second.
type Replica struct {
	// StackName is the replica's stack name.
	StackName string
	// Member is the account the stack is for (a member, or one of cfg.ForwarderAccounts).
	Member config.Member
	// Region is the stack's region.
	Region string
	// Prototype is the stack, in the main app, whose template the replica deploys.
	Prototype *PrototypeStack
}

// PrototypeStack is a stack that replicas copy, as plain Go values read once when it is built:
// the replicas are emitted after synth without a jsii round trip, so that the app can stop the
// jsii kernel (about 600 MiB) before writing them.
type PrototypeStack struct {
	// Name, Account, Region, ArtifactID and TemplateFile are the stack's.
	Name, Account, Region, ArtifactID, TemplateFile string
}

// NewPrototypeStack reads what replicas need of stack (jsii calls: before the kernel stops).
func NewPrototypeStack(stack awscdk.Stack) *PrototypeStack {
	return &PrototypeStack{
		Name:         *stack.StackName(),
		Account:      *stack.Account(),
		Region:       *stack.Region(),
		ArtifactID:   *stack.ArtifactId(),
		TemplateFile: *stack.TemplateFile(),
	}
}

// EmitReplicas adds replicas to the cloud assembly in dir, the main app's, already
// synthesized and gated, which holds their prototypes: each replica's files are written
// straight into it and its artifacts appended to its manifest (assembly.Appender). Each
// replica's template is its prototype's, differing only in construct paths; a prototype that
// names its account or its stack anywhere else cannot be replicated, and EmitReplicas says so.
func EmitReplicas(dir string, replicas []Replica) error {
	manifest, err := readManifest(dir)
	if err != nil {
		return err
	}
	prototypes := map[*PrototypeStack]*prototype{}
	for _, r := range replicas {
		p, ok := prototypes[r.Prototype]
		if !ok {
			if p, err = readPrototype(dir, manifest, r.Prototype); err != nil {
				return err
			}
			prototypes[r.Prototype] = p
		}
		if r.Region != p.region {
			return fmt.Errorf("replica %s is in %s, its prototype %s in %s: a replica must be in its prototype's region", r.StackName, r.Region, p.name, p.region)
		}
	}
	out, err := assembly.NewAppender(dir)
	if err != nil {
		return fmt.Errorf("replicating member stacks: %w", err)
	}
	// Every file name is claimed before any is written: none may be one of the assembly's.
	// The files are written into a new directory in the assembly and then moved into place:
	// on this project's ext4 machines creating them among the assembly's own measured no
	// faster (likely the allocator: new files go near their directory, a new directory
	// where there is room; docs/benchmarks.md).
	stale, _ := filepath.Glob(filepath.Join(dir, replicasPattern))
	for _, d := range stale {
		os.RemoveAll(d) // left by a synth that was killed (Ctrl-C): the name is ours
	}
	tmp, err := os.MkdirTemp(dir, replicasPattern)
	if err != nil {
		return fmt.Errorf("replicating member stacks: %w", err)
	}
	defer os.RemoveAll(tmp)
	files := make([]replicaFiles, len(replicas))
	for i, r := range replicas {
		for _, f := range []struct {
			file *replicaFile
			ext  string
		}{{&files[i].template, ".template.json"}, {&files[i].metadata, ".metadata.json"}, {&files[i].assets, ".assets.json"}} {
			name := r.StackName + f.ext
			if f.file.path, err = out.Claim(name); err != nil {
				return fmt.Errorf("replicating member stacks: %w", err)
			}
			f.file.written = filepath.Join(tmp, name)
		}
	}
	// Writing the files is most of the work (about 80 KB a replica): spread it over the cores.
	entries := make([][]artifactEntry, len(replicas))
	errs := make([]error, len(replicas))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1)) - 1; i < len(replicas); i = int(next.Add(1)) - 1 {
				r := replicas[i]
				entries[i], errs[i] = prototypes[r.Prototype].replicate(files[i], r.StackName, r.Member.ID)
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	for _, fs := range files {
		for _, f := range []replicaFile{fs.template, fs.metadata, fs.assets} {
			if err := os.Rename(f.written, f.path); err != nil {
				return fmt.Errorf("replicating member stacks: %w", err)
			}
		}
	}
	for _, es := range entries {
		for _, e := range es {
			if err := out.Add(e.id, e.value); err != nil {
				return fmt.Errorf("replicating member stacks: %w", err)
			}
		}
	}
	return out.Commit()
}

// replicasPattern names the directory in the cloud assembly that EmitReplicas writes the
// replicas' files into before moving them into place (os.MkdirTemp's pattern).
const replicasPattern = ".replicas-*"

// replicaFile is one of a replica's files: where it is written, and its path in the assembly.
type replicaFile struct{ written, path string }

// replicaFiles are a replica's files.
type replicaFiles struct{ template, metadata, assets replicaFile }

// assemblyManifest is what EmitReplicas reads of a cloud assembly's manifest.
type assemblyManifest struct {
	Artifacts map[string]json.RawMessage `json:"artifacts"`
}

func readManifest(dir string) (*assemblyManifest, error) {
	data, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return nil, fmt.Errorf("replicating member stacks: %w", err)
	}
	var m assemblyManifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("replicating member stacks: %s: %w", filepath.Join(dir, "manifest.json"), err)
	}
	return &m, nil
}

// prototype is a synthesized member stack that replicas copy.
type prototype struct {
	name, account, region string
	// The files the CDK wrote for the stack.
	template, metadata, assets []byte
	// templateHash is the hash of the template, which names its asset.
	templateHash string
	// The stack's artifact and its asset manifest's artifact in the cloud assembly manifest.
	artifact, assetsArtifact json.RawMessage
	// The spellings of the prototype's name in its template and metadata files, each with
	// "%s" where the name goes. Together they are every mention of the name.
	templateNames, metadataNames []string
}

// artifactEntry is an artifact of a cloud assembly manifest.
type artifactEntry struct {
	id    string
	value json.RawMessage
}

// readPrototype reads stack's files and artifacts from the cloud assembly in dir and checks
// that they can be replicated: they name the stack only in construct paths, file names and
// artifact ids, and the account only in the environment and the bootstrap resources' names.
func readPrototype(dir string, manifest *assemblyManifest, stack *PrototypeStack) (*prototype, error) {
	p := &prototype{
		name:          stack.Name,
		account:       stack.Account,
		region:        stack.Region,
		templateNames: []string{`"aws:cdk:path": "%s/`},
		metadataNames: []string{`"/%s"`, `"/%s/`, `"%s.template.json"`},
	}
	var err error
	if p.template, err = os.ReadFile(filepath.Join(dir, stack.TemplateFile)); err != nil {
		return nil, fmt.Errorf("replicating member stack %s: %w", p.name, err)
	}
	if p.metadata, err = os.ReadFile(filepath.Join(dir, p.name+".metadata.json")); err != nil {
		return nil, fmt.Errorf("replicating member stack %s: %w", p.name, err)
	}
	if p.assets, err = os.ReadFile(filepath.Join(dir, p.name+".assets.json")); err != nil {
		return nil, fmt.Errorf("replicating member stack %s: %w", p.name, err)
	}
	id := stack.ArtifactID
	p.artifact, p.assetsArtifact = manifest.Artifacts[id], manifest.Artifacts[id+".assets"]
	if id != p.name || p.artifact == nil || p.assetsArtifact == nil {
		return nil, fmt.Errorf("member stack %s cannot be replicated: the cloud assembly has no artifacts %s and %s.assets", p.name, p.name, p.name)
	}
	if bytes.Contains(p.template, []byte(p.account)) {
		return nil, fmt.Errorf("member stack %s cannot be replicated: its template names its account %s (a member template may refer to its account only as AWS::AccountId)", p.name, p.account)
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
	sum := sha256.Sum256(p.template)
	p.templateHash = hex.EncodeToString(sum[:])
	// The manifests name the stack in artifact ids, file names and display names, and the
	// account in the environment and the names and ARNs of the bootstrap roles and bucket:
	// anything else (a tag whose value is the account, say) would be copied wrong.
	manifests := [][]byte{p.artifact, p.assetsArtifact, p.assets}
	for _, m := range manifests {
		if n := bytes.Count(m, []byte(p.name)); n != countAll(m, `"%s"`, p.name)+countAll(m, `"%s.`, p.name)+countAll(m, `"%s Template"`, p.name) {
			return nil, fmt.Errorf("member stack %s cannot be replicated: its cloud assembly manifests name the stack outside artifact ids and file names", p.name)
		}
		if n := bytes.Count(m, []byte(p.account)); n != countAll(m, "%s:role/", p.account)+countAll(m, "%s-"+p.region, p.account)+countAll(m, "%s/"+p.region, p.account) {
			return nil, fmt.Errorf("member stack %s cannot be replicated: its cloud assembly manifests name its account %s outside its environment and bootstrap resources", p.name, p.account)
		}
	}
	// The template's asset is named by the template's hash, as the CDK computes it.
	if !bytes.Contains(p.assets, []byte(`"`+p.templateHash+`"`)) {
		return nil, fmt.Errorf("member stack %s cannot be replicated: its asset manifest does not name its template by the template's SHA-256 (has the CDK changed how it hashes templates?)", p.name)
	}
	// And each asset destination by its contents.
	keys, err := destinationKeys(p.assets)
	if err != nil {
		return nil, fmt.Errorf("member stack %s cannot be replicated: %w", p.name, err)
	}
	for key, want := range keys {
		if key != want {
			return nil, fmt.Errorf("member stack %s cannot be replicated: its asset manifest keys a destination %s, not %s (has the CDK changed how it keys asset destinations?)", p.name, key, want)
		}
	}
	return p, nil
}

func countAll(data []byte, spelling, value string) int {
	return bytes.Count(data, fmt.Appendf(nil, spelling, value))
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

// replicate writes the template, metadata and asset manifest of the replica named name in
// account and returns its artifacts, as the CDK's DefaultStackSynthesizer would
// write them for a stack with the prototype's template.
func (p *prototype) replicate(files replicaFiles, name, account string) ([]artifactEntry, error) {
	template := p.rename(p.template, p.templateNames, name)
	sum := sha256.Sum256(template)
	templateHash := hex.EncodeToString(sum[:])
	// Every spelling of the name and account was checked by readPrototype.
	r := strings.NewReplacer(p.name, name, p.account, account, p.templateHash, templateHash)
	assets := []byte(r.Replace(string(p.assets)))
	// The CDK keys each asset destination by a hash of its contents, which hold the account.
	keys, err := destinationKeys(assets)
	if err != nil {
		return nil, fmt.Errorf("replicating %s as %s: %w", p.name, name, err)
	}
	for old, key := range keys {
		assets = bytes.Replace(assets, []byte(`"`+old+`":`), []byte(`"`+key+`":`), 1)
	}
	for path, data := range map[string][]byte{
		files.template.written: template,
		files.metadata.written: p.rename(p.metadata, p.metadataNames, name),
		files.assets.written:   assets,
	} {
		if err := os.WriteFile(path, data, 0o644); err != nil {
			return nil, err
		}
	}
	return []artifactEntry{
		{name + ".assets", json.RawMessage(r.Replace(string(p.assetsArtifact)))},
		{name, json.RawMessage(r.Replace(string(p.artifact)))},
	}, nil
}

// destinationKeys returns, by the keys an asset manifest has, the keys the CDK gives its
// asset destinations: "<account>-<region>-" and the first 8 hex digits of the SHA-256 of the
// destination's JSON (AssetManifestBuilder in aws-cdk-lib). For a manifest the CDK wrote they
// are the same; it fails when the prefix is not the one the key has.
func destinationKeys(assets []byte) (map[string]string, error) {
	var m struct {
		Files        map[string]struct{ Destinations map[string]json.RawMessage } `json:"files"`
		DockerImages map[string]struct{ Destinations map[string]json.RawMessage } `json:"dockerImages"`
	}
	if err := json.Unmarshal(assets, &m); err != nil {
		return nil, fmt.Errorf("asset manifest: %w", err)
	}
	keys := map[string]string{}
	for _, group := range []map[string]struct{ Destinations map[string]json.RawMessage }{m.Files, m.DockerImages} {
		for _, a := range group {
			for key, dest := range a.Destinations {
				var compact bytes.Buffer
				if err := json.Compact(&compact, dest); err != nil {
					return nil, err
				}
				sum := sha256.Sum256(compact.Bytes())
				if len(key) < 9 || key[len(key)-9] != '-' {
					return nil, fmt.Errorf("asset destination %q is not keyed <environment>-<hash> (has the CDK changed its asset manifests?)", key)
				}
				keys[key] = key[:len(key)-8] + hex.EncodeToString(sum[:])[:8]
			}
		}
	}
	return keys, nil
}
