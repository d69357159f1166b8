package assembly

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// writeAssembly writes a cloud assembly into a new directory: its manifest and files.
func writeAssembly(t *testing.T, manifest string, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	files[ManifestFile] = manifest
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const (
	flags  = `"flags": {"type": "cdk:feature-flag-report", "properties": {"module": "aws-cdk-lib"}}`
	mainM  = `{"version": "55.0.0", "artifacts": {"Tree": {"type": "cdk:tree", "properties": {"file": "tree.json"}}, "a": {"type": "aws:cloudformation:stack"}, ` + flags + `}, "minimumCliVersion": "2.1"}`
	otherM = `{"version": "55.0.0", "artifacts": {"Tree": {"type": "cdk:tree", "properties": {"file": "tree.json"}}, "b": {"type": "aws:cloudformation:stack"}, "b.assets": {"type": "cdk:asset-manifest"}, ` + flags + `}, "minimumCliVersion": "2.1"}`
)

func TestMergeAppendsArtifactsAndMovesTheirFiles(t *testing.T) {
	dst := writeAssembly(t, mainM, map[string]string{"a.template.json": "A", "tree.json": "main tree"})
	src := writeAssembly(t, otherM, map[string]string{"b.template.json": "B", "b.assets.json": "BA", "tree.json": "other tree"})
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
	if diff := cmp.Diff([]string{"Tree", "a", "flags", "b", "b.assets"}, artifacts.keys()); diff != "" {
		t.Errorf("artifacts in order (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"version", "artifacts", "minimumCliVersion"}, m.keys()); diff != "" {
		t.Errorf("manifest keys (-want +got):\n%s", diff)
	}
	for name, want := range map[string]string{"a.template.json": "A", "b.template.json": "B", "b.assets.json": "BA", "tree.json": "main tree"} {
		got, err := os.ReadFile(filepath.Join(dst, name))
		if err != nil || string(got) != want {
			t.Errorf("%s = %q, %v; want %q", name, got, err, want)
		}
	}
	if !strings.HasPrefix(string(data), "{\n  \"version\": \"55.0.0\",\n  \"artifacts\": {\n    \"Tree\": {") {
		t.Errorf("manifest is not indented as the CDK writes it:\n%s", data)
	}
}

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
			name:      "same file",
			src:       otherM,
			srcFiles:  map[string]string{"a.template.json": "other A"},
			wantError: "both have a.template.json",
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
			dst := writeAssembly(t, mainM, map[string]string{"a.template.json": "A"})
			files := tc.srcFiles
			if files == nil {
				files = map[string]string{}
			}
			src := writeAssembly(t, tc.src, files)
			err := Merge(dst, src)
			if err == nil || !strings.Contains(err.Error(), tc.wantError) {
				t.Fatalf("Merge error = %v, want one containing %q", err, tc.wantError)
			}
			got, _ := os.ReadFile(filepath.Join(dst, ManifestFile))
			a, _ := os.ReadFile(filepath.Join(dst, "a.template.json"))
			if string(got) != mainM || string(a) != "A" {
				t.Errorf("a failed Merge changed the destination: manifest %s, a.template.json %q", got, a)
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
