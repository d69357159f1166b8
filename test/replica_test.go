package test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/google/go-cmp/cmp"

	"github.com/trailguard/trailguard/internal/stacks"
	"github.com/trailguard/trailguard/internal/synth"
)

// Tests of the replicated member stacks: in stacks mode only the first member stack of each
// region is built from constructs; the others copy its template (stacks.Replica).

// TestReplicasAreWhatBuildingGives synthesizes the example again with every member stack built
// from constructs and compares the two cloud assemblies file by file: templates, asset
// manifests and metadata must be byte for byte the same, and the manifests must list the same
// artifacts. Only the construct tree and the validation report may differ.
func TestReplicasAreWhatBuildingGives(t *testing.T) {
	if len(example.stacks.Replicas) == 0 {
		t.Fatal("the example has no replicated member stack; this test needs one")
	}
	built, err := synthesizeWith(example.cfg, t.TempDir(), synth.Options{BuildEveryMember: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(built.stacks.Replicas) != 0 {
		t.Fatalf("BuildEveryMember still replicated %d stacks", len(built.stacks.Replicas))
	}
	if len(built.report.Findings) != 0 {
		t.Fatalf("building every member stack: %d compliance findings", len(built.report.Findings))
	}
	appWide := []string{"tree.json", "validation-report.json"}
	files := func(dir string) []string {
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, e := range entries {
			if !slices.Contains(appWide, e.Name()) {
				names = append(names, e.Name())
			}
		}
		return names
	}
	want, got := files(built.outdir), files(example.outdir)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("cloud assembly files (-built +replicated):\n%s", diff)
	}
	for _, name := range want {
		if strings.HasPrefix(name, "asset.") {
			continue // named by the hash of its contents: the same name is the same asset
		}
		w, err := os.ReadFile(filepath.Join(built.outdir, name))
		if err != nil {
			t.Fatal(err)
		}
		g, err := os.ReadFile(filepath.Join(example.outdir, name))
		if err != nil {
			t.Fatal(err)
		}
		if name == "manifest.json" { // the same artifacts; replicas come after the built stacks
			var wm, gm any
			if err := json.Unmarshal(w, &wm); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(g, &gm); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(wm, gm); diff != "" {
				t.Errorf("manifest.json (-built +replicated):\n%s", diff)
			}
			continue
		}
		if !bytes.Equal(w, g) {
			t.Errorf("%s differs between the built and the replicated stack:\n%s", name, cmp.Diff(string(w), string(g)))
		}
	}
}

// TestReplicasNeedAnAccountIndependentTemplate: a member template that names its account or
// its stack (other than in construct paths) is not the same for every member, and replicating
// it fails with a message instead of deploying the wrong values.
func TestReplicasNeedAnAccountIndependentTemplate(t *testing.T) {
	cfg := example.cfg
	proto, other := cfg.Members[0], cfg.Members[1]
	region := cfg.HomeRegion
	for _, tc := range []struct {
		name  string
		value string
		want  string
	}{
		{name: "account", value: proto.ID, want: "its template names its account " + proto.ID},
		{name: "stack name", value: cfg.MemberStackName(proto, region), want: "its template names the stack outside construct paths"},
		{name: "generated name", value: "X" + strings.ReplaceAll(cfg.MemberStackName(proto, region), "-", "") + "Key1A2B3C4D", want: "its template has a name generated from the stack's"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			app, err := newApp(dir)
			if err != nil {
				t.Fatal(err)
			}
			stack := stacks.NewMemberStack(app, cfg, proto, region)
			awscdk.NewCfnOutput(stack, jsii.String("Leak"), &awscdk.CfnOutputProps{Value: jsii.String(tc.value)})
			app.Synth(nil)
			err = stacks.EmitReplicas(dir, []stacks.Replica{{
				StackName: cfg.MemberStackName(other, region), Member: other, Region: region, Prototype: stacks.NewPrototypeStack(stack),
			}})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("EmitReplicas error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// TestReplicasNeedAccountIndependentArtifacts: a replica's cloud assembly entries are its
// prototype's with the stack's name and account replaced where the CDK writes them (the
// environment, the bootstrap roles and bucket, file names); a prototype whose manifest names
// its account anywhere else (here a stack tag) is refused rather than copied wrong, and so is
// an asset manifest whose destination keys are not the CDK's (the CDK changed its scheme).
func TestReplicasNeedAccountIndependentArtifacts(t *testing.T) {
	cfg := example.cfg
	proto, other := cfg.Members[0], cfg.Members[1]
	region := cfg.HomeRegion
	name := cfg.MemberStackName(proto, region)
	for _, tc := range []struct {
		name, file, old, new, want string
	}{
		{
			name: "account in a tag", file: "manifest.json",
			old: `"tags": {`, new: `"tags": {"owner": "` + proto.ID + `",`,
			want: "its cloud assembly manifests name its account " + proto.ID + " outside its environment and bootstrap resources",
		},
		{
			// The destination's contents change, its key does not.
			name: "destination key", file: name + ".assets.json",
			old: `"objectKey": "`, new: `"objectKey": "changed/`,
			want: "has the CDK changed how it keys asset destinations?",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			app, err := newApp(dir)
			if err != nil {
				t.Fatal(err)
			}
			stack := stacks.NewMemberStack(app, cfg, proto, region)
			app.Synth(nil)
			path := filepath.Join(dir, tc.file)
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(data, []byte(tc.old)) {
				t.Fatalf("test setup: %s has no %s", tc.file, tc.old)
			}
			if err := os.WriteFile(path, bytes.Replace(data, []byte(tc.old), []byte(tc.new), 1), 0o644); err != nil {
				t.Fatal(err)
			}
			err = stacks.EmitReplicas(dir, []stacks.Replica{{
				StackName: cfg.MemberStackName(other, region), Member: other, Region: region, Prototype: stacks.NewPrototypeStack(stack),
			}})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("EmitReplicas error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// TestCLIListsEveryStackOfTheMergedAssembly: the real cdk CLI reads the merged cloud assembly
// and sees every stack, built and replicated.
func TestCLIListsEveryStackOfTheMergedAssembly(t *testing.T) {
	cmd := exec.Command(cdkCLI(t), "ls", "--app", example.outdir)
	cmd.Dir = t.TempDir() // no cdk.json: the CLI only reads the assembly
	cmd.Env = append(os.Environ(), "CDK_DISABLE_CLI_TELEMETRY=true")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("cdk ls: %v\n%s", err, out)
	}
	listed := strings.Fields(string(out))
	for _, name := range stackNames(example.stacks) {
		if !slices.Contains(listed, name) {
			t.Errorf("cdk ls does not list %s; output:\n%s", name, out)
		}
	}
}

// TestSynthIntoAReusedOutdir: the cdk CLI synthesizes every command into the same cdk.out. A
// synth into a directory that holds an earlier synth's assembly, and the replicas directory of
// a synth that was killed, gives the assembly a synth into an empty directory gives, file for
// file (and no replicas directory).
func TestSynthIntoAReusedOutdir(t *testing.T) {
	dir := t.TempDir()
	// The whole tree: the functions' assets are directories (asset.<hash>/).
	if err := os.CopyFS(dir, os.DirFS(example.outdir)); err != nil {
		t.Fatal(err)
	}
	want := readTree(t, example.outdir)
	killed := filepath.Join(dir, ".replicas-1234")
	if err := os.MkdirAll(killed, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(killed, "manifest.json"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}

	if _, err := synthesize(example.cfg, dir); err != nil {
		t.Fatalf("synth into a reused directory: %v", err)
	}
	if diffs := assemblyDiff(want, readTree(t, dir)); len(diffs) > 0 {
		t.Errorf("synth into a reused directory, against one into an empty directory: %s", strings.Join(diffs, "; "))
	}
}

// readTree returns the files under dir by slash-separated path relative to dir (an empty
// directory as "<path>/", so a leftover one shows).
func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		if d.IsDir() {
			if entries, err := os.ReadDir(p); err == nil && len(entries) == 0 {
				out[filepath.ToSlash(rel)+"/"] = nil
			}
			return nil
		}
		data, err := os.ReadFile(p)
		out[filepath.ToSlash(rel)] = data
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
