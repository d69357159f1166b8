package assembly

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// writeAssembly writes a cloud assembly into a new directory: its manifest and files (a name
// ending in "/" is an empty directory, one with a "/" inside a file in a directory).
func writeAssembly(t *testing.T, manifest string, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	writeFiles(t, dir, files)
	writeFiles(t, dir, map[string]string{ManifestFile: manifest})
	return dir
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		path := filepath.Join(dir, name)
		if strings.HasSuffix(name, "/") {
			if err := os.MkdirAll(path, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// snapshot returns every file under dir by its slash-separated path, with its content.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		files[filepath.ToSlash(rel)] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

const (
	flags = `"flags": {"type": "cdk:feature-flag-report", "properties": {"module": "aws-cdk-lib"}}`
	// mainM is an app's manifest as the CDK writes it: stack a with its template, metadata file
	// and asset manifest, whose assets are the template and a directory.
	mainM = `{"version": "55.0.0", "artifacts": {"Tree": {"type": "cdk:tree", "properties": {"file": "tree.json"}}, ` +
		`"a.assets": {"type": "cdk:asset-manifest", "properties": {"file": "a.assets.json"}}, ` +
		`"a": {"type": "aws:cloudformation:stack", "properties": {"templateFile": "a.template.json"}, "additionalMetadataFile": "a.metadata.json"}, ` +
		flags + `}, "minimumCliVersion": "2.1"}`
	otherM = `{"version": "55.0.0", "artifacts": {"Tree": {"type": "cdk:tree", "properties": {"file": "tree.json"}}, ` +
		`"b.assets": {"type": "cdk:asset-manifest", "properties": {"file": "b.assets.json"}}, ` +
		`"b": {"type": "aws:cloudformation:stack", "properties": {"templateFile": "b.template.json"}, "additionalMetadataFile": "b.metadata.json"}, ` +
		flags + `}, "minimumCliVersion": "2.1"}`
	aAssets = `{"version": "55.0.0", "files": {"1": {"source": {"path": "a.template.json", "packaging": "file"}}, "2": {"source": {"path": "asset.2", "packaging": "zip"}}}, "dockerImages": {"3": {"source": {"directory": "asset.3"}}}}`
	bAssets = `{"version": "55.0.0", "files": {"1": {"source": {"path": "b.template.json", "packaging": "file"}}}, "dockerImages": {}}`
)

// mainFiles are the files of the assembly mainM describes.
func mainFiles() map[string]string {
	return map[string]string{
		"a.template.json": "A", "a.metadata.json": "AM", "a.assets.json": aAssets,
		"asset.2/index.js": "code", "asset.3/Dockerfile": "FROM scratch", "tree.json": "main tree",
	}
}

// otherFiles are the files of the assembly otherM describes.
func otherFiles() map[string]string {
	return map[string]string{"b.template.json": "B", "b.metadata.json": "BM", "b.assets.json": bAssets, "tree.json": "other tree"}
}

func TestMergeAppendsArtifactsAndMovesTheirFiles(t *testing.T) {
	dst := writeAssembly(t, mainM, mainFiles())
	src := writeAssembly(t, otherM, otherFiles())
	if err := Merge(dst, src); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dst, ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	var m object
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	artifacts, err := m.object("artifacts")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"Tree", "a.assets", "a", "flags", "b.assets", "b"}, artifacts.keys()); diff != "" {
		t.Errorf("artifacts in order (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"version", "artifacts", "minimumCliVersion"}, m.keys()); diff != "" {
		t.Errorf("manifest keys (-want +got):\n%s", diff)
	}
	want := mainFiles()
	for name, content := range otherFiles() {
		if name != "tree.json" {
			want[name] = content
		}
	}
	got := snapshot(t, dst)
	delete(got, ManifestFile)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("files after Merge (-want +got):\n%s", diff)
	}
	if !strings.HasPrefix(string(data), "{\n  \"version\": \"55.0.0\",\n  \"artifacts\": {\n    \"Tree\": {") {
		t.Errorf("manifest is not indented as the CDK writes it:\n%s", data)
	}
}

// TestMergeRefusesToOverwrite: a file of src may not replace one that dst's manifest refers
// to, however it refers to it; that is a collision within one synth.
func TestMergeRefusesToOverwrite(t *testing.T) {
	for _, tc := range []struct {
		name      string
		src       string
		srcFiles  map[string]string
		wantError string
	}{
		{
			name:      "same artifact id, different artifact",
			src:       `{"version": "55.0.0", "artifacts": {"a": {"type": "aws:cloudformation:stack", "environment": "aws://1/x"}}}`,
			wantError: `both have an artifact "a", and they differ`,
		},
		{
			name:      "a stack's template",
			src:       otherM,
			srcFiles:  map[string]string{"a.template.json": "other A"},
			wantError: "both have a.template.json",
		},
		{
			name:      "a stack's metadata file",
			src:       otherM,
			srcFiles:  map[string]string{"a.metadata.json": "other AM"},
			wantError: "both have a.metadata.json",
		},
		{
			name:      "an asset manifest",
			src:       otherM,
			srcFiles:  map[string]string{"a.assets.json": "{}"},
			wantError: "both have a.assets.json",
		},
		{
			name:      "a file asset's source",
			src:       otherM,
			srcFiles:  map[string]string{"asset.2/index.js": "other code"},
			wantError: "both have asset.2",
		},
		{
			name:      "a container image asset's source",
			src:       otherM,
			srcFiles:  map[string]string{"asset.3/": ""},
			wantError: "both have asset.3",
		},
		{
			name:      "other manifest version",
			src:       `{"version": "54.0.0", "artifacts": {}}`,
			wantError: "manifest versions differ",
		},
		{
			name:      "unsupported manifest content",
			src:       `{"version": "55.0.0", "artifacts": {}, "missing": []}`,
			wantError: `has "missing"`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dst := writeAssembly(t, mainM, mainFiles())
			before := snapshot(t, dst)
			files := tc.srcFiles
			if files == nil {
				files = map[string]string{}
			}
			src := writeAssembly(t, tc.src, files)
			err := Merge(dst, src)
			if err == nil || !strings.Contains(err.Error(), tc.wantError) {
				t.Fatalf("Merge error = %v, want one containing %q", err, tc.wantError)
			}
			if diff := cmp.Diff(before, snapshot(t, dst)); diff != "" {
				t.Errorf("a failed Merge changed the destination (-before +after):\n%s", diff)
			}
		})
	}
}

// TestMergeReplacesLeftovers: the cdk CLI synthesizes into the same cdk.out on every command,
// and the app writes a fresh manifest and its own files over the old ones; files of an
// earlier merge are still there but no longer in the manifest. Merging again must give what
// merging into a fresh directory gives, and leave files it does not bring alone.
func TestMergeReplacesLeftovers(t *testing.T) {
	for _, tc := range []struct {
		name      string
		leftovers map[string]string
	}{
		{name: "none"},
		{name: "an earlier merge of the same assembly", leftovers: otherFiles()},
		{name: "an earlier merge of an older assembly", leftovers: map[string]string{"b.template.json": "old B", "b.assets.json": "{}", "b.metadata.json": "old BM"}},
		{name: "a directory in place of a file", leftovers: map[string]string{"b.template.json/x": "x"}},
		{name: "a stack no longer in the app", leftovers: map[string]string{"c.template.json": "C", "c.assets.json": "{}"}},
		{name: "a source directory of an earlier merge", leftovers: map[string]string{".replicas-123/b.template.json": "B"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fresh := writeAssembly(t, mainM, mainFiles())
			writeFiles(t, fresh, map[string]string{".replicas-123/": ""})
			if err := Merge(fresh, writeAssembly(t, otherM, otherFiles())); err != nil {
				t.Fatal(err)
			}
			want := snapshot(t, fresh)

			reused := t.TempDir()
			writeFiles(t, reused, tc.leftovers)
			writeFiles(t, reused, mainFiles())
			writeFiles(t, reused, map[string]string{ManifestFile: mainM, ".replicas-123/": ""})
			if err := Merge(reused, writeAssembly(t, otherM, otherFiles())); err != nil {
				t.Fatalf("Merge into a directory with leftovers: %v", err)
			}
			got := snapshot(t, reused)
			// Leftovers that merging does not replace stay, as the CDK leaves its own.
			for name, content := range tc.leftovers {
				first, _, _ := strings.Cut(name, "/")
				if _, ok := otherFiles()[first]; !ok {
					want[name] = content
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("merging into a reused directory (-fresh +reused):\n%s", diff)
			}
			// And again, as every later cdk command does.
			writeFiles(t, reused, mainFiles())
			writeFiles(t, reused, map[string]string{ManifestFile: mainM})
			if err := Merge(reused, writeAssembly(t, otherM, otherFiles())); err != nil {
				t.Fatalf("Merge again: %v", err)
			}
			if diff := cmp.Diff(want, snapshot(t, reused)); diff != "" {
				t.Errorf("merging a third time (-fresh +reused):\n%s", diff)
			}
		})
	}
}

func TestClearKeepsLocksAndNamedFilesAndIgnoresNonAssemblies(t *testing.T) {
	dir := writeAssembly(t, mainM, map[string]string{"a.template.json": "A", "validation-report.json": "{}", "read.1.lock": ""})
	Clear(dir, "validation-report.json")
	entries, _ := os.ReadDir(dir)
	var left []string
	for _, e := range entries {
		left = append(left, e.Name())
	}
	if diff := cmp.Diff([]string{"read.1.lock", "validation-report.json"}, left); diff != "" {
		t.Errorf("left after Clear (-want +got):\n%s", diff)
	}

	notAssembly := t.TempDir()
	if err := os.WriteFile(filepath.Join(notAssembly, "precious.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	Clear(notAssembly)
	if _, err := os.Stat(filepath.Join(notAssembly, "precious.txt")); err != nil {
		t.Errorf("Clear touched a directory without a manifest: %v", err)
	}
}
