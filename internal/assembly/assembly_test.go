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

// bFiles are the files of stack b, which the tests append to the assembly mainM describes.
func bFiles() map[string]string {
	return map[string]string{"b.template.json": "B", "b.metadata.json": "BM", "b.assets.json": bAssets}
}

// bArtifacts are stack b's artifacts, in order.
var bArtifacts = []member{
	{"b.assets", json.RawMessage(`{"type": "cdk:asset-manifest", "properties": {"file": "b.assets.json"}}`)},
	{"b", json.RawMessage(`{"type": "aws:cloudformation:stack", "properties": {"templateFile": "b.template.json"}, "additionalMetadataFile": "b.metadata.json"}`)},
}

// appendB appends stack b to the cloud assembly in dir as the replicas are: every file
// claimed, then written, then the artifacts added and the manifest committed.
func appendB(dir string) error {
	a, err := NewAppender(dir)
	if err != nil {
		return err
	}
	files := bFiles()
	paths := map[string]string{}
	for name := range files {
		if paths[name], err = a.Claim(name); err != nil {
			return err
		}
	}
	for name, content := range files {
		if err := os.WriteFile(paths[name], []byte(content), 0o644); err != nil {
			return err
		}
	}
	for _, m := range bArtifacts {
		if err := a.Add(m.Key, m.Value); err != nil {
			return err
		}
	}
	return a.Commit()
}

func TestAppendAddsArtifactsAfterTheAssemblysOwn(t *testing.T) {
	dir := writeAssembly(t, mainM, mainFiles())
	if err := appendB(dir); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, ManifestFile))
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
	for name, content := range bFiles() {
		want[name] = content
	}
	got := snapshot(t, dir)
	delete(got, ManifestFile)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("files after appending (-want +got):\n%s", diff)
	}
	if !strings.HasPrefix(string(data), "{\n  \"version\": \"55.0.0\",\n  \"artifacts\": {\n    \"Tree\": {") {
		t.Errorf("manifest is not indented as the CDK writes it:\n%s", data)
	}
}

// TestAppendRefusesToOverwrite: an appended artifact may not replace one of the assembly's,
// nor a file of it replace one that the manifest refers to, however it refers to it; that is
// a collision within one synth. A refused append leaves the assembly as it was.
func TestAppendRefusesToOverwrite(t *testing.T) {
	for _, tc := range []struct {
		name      string
		claims    []string
		id        string
		wantError string
	}{
		{name: "an artifact id", id: "a", wantError: `both have an artifact "a"`},
		{name: "an app-wide artifact id", id: "flags", wantError: `both have an artifact "flags"`},
		{name: "a stack's template", claims: []string{"a.template.json"}, wantError: "both have a.template.json"},
		{name: "a stack's metadata file", claims: []string{"a.metadata.json"}, wantError: "both have a.metadata.json"},
		{name: "an asset manifest", claims: []string{"a.assets.json"}, wantError: "both have a.assets.json"},
		{name: "a file asset's source", claims: []string{"asset.2"}, wantError: "both have asset.2"},
		{name: "a container image asset's source", claims: []string{"asset.3"}, wantError: "both have asset.3"},
		{name: "the construct tree", claims: []string{"tree.json"}, wantError: `"tree.json" is not a file name an artifact may add`},
		{name: "the manifest", claims: []string{ManifestFile}, wantError: `"manifest.json" is not a file name an artifact may add`},
		{name: "a path out of the assembly", claims: []string{"../b.template.json"}, wantError: "is not a file name an artifact may add"},
		{name: "a path into a directory", claims: []string{"asset.2/index.js"}, wantError: "is not a file name an artifact may add"},
		{name: "a file claimed twice", claims: []string{"b.template.json", "b.template.json"}, wantError: "both have b.template.json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeAssembly(t, mainM, mainFiles())
			before := snapshot(t, dir)
			a, err := NewAppender(dir)
			if err != nil {
				t.Fatal(err)
			}
			for _, name := range tc.claims {
				if _, err = a.Claim(name); err != nil {
					break
				}
			}
			if tc.id != "" {
				err = a.Add(tc.id, json.RawMessage(`{"type": "aws:cloudformation:stack", "environment": "aws://1/x"}`))
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantError) {
				t.Fatalf("error = %v, want one containing %q", err, tc.wantError)
			}
			if diff := cmp.Diff(before, snapshot(t, dir)); diff != "" {
				t.Errorf("a refused append changed the assembly (-before +after):\n%s", diff)
			}
		})
	}
}

// TestAppendReplacesLeftovers: the cdk CLI synthesizes into the same cdk.out on every command,
// and the app writes a fresh manifest and its own files over the old ones; files appended by
// an earlier synth are still there but no longer in the manifest. Appending again must give
// what appending to a fresh directory gives, write nothing outside the assembly, and leave
// files it does not bring alone.
func TestAppendReplacesLeftovers(t *testing.T) {
	outside := filepath.Join(t.TempDir(), "outside.json")
	for _, tc := range []struct {
		name      string
		leftovers map[string]string
		link      string // a leftover symbolic link to outside, by name
	}{
		{name: "none"},
		{name: "an earlier append of the same stack", leftovers: bFiles()},
		{name: "an earlier append of an older stack", leftovers: map[string]string{"b.template.json": "an older B, longer than B", "b.assets.json": "{}", "b.metadata.json": "old BM"}},
		{name: "a directory in place of a file", leftovers: map[string]string{"b.template.json/x": "x"}},
		{name: "a symbolic link in place of a file", link: "b.metadata.json"},
		{name: "a stack no longer in the app", leftovers: map[string]string{"c.template.json": "C", "c.assets.json": "{}"}},
		{name: "the replicas directory of an earlier version", leftovers: map[string]string{".replicas-123/b.template.json": "B"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := os.WriteFile(outside, []byte("not the assembly's"), 0o644); err != nil {
				t.Fatal(err)
			}
			fresh := writeAssembly(t, mainM, mainFiles())
			if err := appendB(fresh); err != nil {
				t.Fatal(err)
			}
			want := snapshot(t, fresh)

			reused := t.TempDir()
			writeFiles(t, reused, tc.leftovers)
			if tc.link != "" {
				if err := os.Symlink(outside, filepath.Join(reused, tc.link)); err != nil {
					t.Fatal(err)
				}
			}
			writeFiles(t, reused, mainFiles())
			writeFiles(t, reused, map[string]string{ManifestFile: mainM})
			if err := appendB(reused); err != nil {
				t.Fatalf("appending to a directory with leftovers: %v", err)
			}
			// Leftovers that appending does not replace stay, as the CDK leaves its own.
			for name, content := range tc.leftovers {
				first, _, _ := strings.Cut(name, "/")
				if _, ok := bFiles()[first]; !ok {
					want[name] = content
				}
			}
			if diff := cmp.Diff(want, snapshot(t, reused)); diff != "" {
				t.Errorf("appending to a reused directory (-fresh +reused):\n%s", diff)
			}
			if data, err := os.ReadFile(outside); err != nil || string(data) != "not the assembly's" {
				t.Errorf("appending wrote through a leftover link: %q, %v", data, err)
			}
			// And again, as every later cdk command does.
			writeFiles(t, reused, mainFiles())
			writeFiles(t, reused, map[string]string{ManifestFile: mainM})
			if err := appendB(reused); err != nil {
				t.Fatalf("appending again: %v", err)
			}
			if diff := cmp.Diff(want, snapshot(t, reused)); diff != "" {
				t.Errorf("appending a third time (-fresh +reused):\n%s", diff)
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
