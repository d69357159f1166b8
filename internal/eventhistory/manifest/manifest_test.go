package manifest

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"us-east-1.jsonl": "{}\n",
		"AWSLogs/123456789012/CloudTrail/us-east-1/2026/03/02/a.json.gz": "gz",
		".trailguard-export.json":                    "state",
		".trailguard-staging/us-east-1/000000.jsonl": "staged",
		".MANIFEST.sha256.tmp-123":                   "temporary",
	})
	sum, err := Write(dir)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	want := "" +
		"2ed534af191bc3baaf1e09263808bf1bdd68db6241bd8f81e2bb014653dcbb36  AWSLogs/123456789012/CloudTrail/us-east-1/2026/03/02/a.json.gz\n" +
		"ca3d163bab055381827226140568f3bef7eaac187cebd76878e0b63e9e442356  us-east-1.jsonl\n"
	// The hashes of "gz" and "{}\n", as sha256sum prints them.
	if diff := cmp.Diff(want, string(data)); diff != "" {
		t.Errorf("manifest (-want +got):\n%s", diff)
	}
	if sum.Files != 2 || sum.Bytes != 5 {
		t.Errorf("summary %+v, want 2 files of 5 bytes", sum)
	}
	if fi, err := os.Stat(filepath.Join(dir, FileName)); err != nil || fi.Mode().Perm() != Perm {
		t.Errorf("manifest mode: %v, %v; want %v", fi.Mode().Perm(), err, Perm)
	}
	// sha256sum itself accepts it, where installed.
	if _, err := exec.LookPath("sha256sum"); err == nil {
		cmd := exec.Command("sha256sum", "--strict", "-c", FileName)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("sha256sum -c: %v\n%s", err, out)
		}
	}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name   string
		change func(dir string)
		want   []Mismatch
	}{
		{"untouched", func(string) {}, nil},
		{"modified", func(dir string) { os.WriteFile(filepath.Join(dir, "a.jsonl"), []byte("x"), 0o600) }, []Mismatch{{"a.jsonl", "modified"}}},
		{"deleted", func(dir string) { os.Remove(filepath.Join(dir, "sub/b.jsonl")) }, []Mismatch{{"sub/b.jsonl", "missing"}}},
		{"added", func(dir string) { os.WriteFile(filepath.Join(dir, "c.jsonl"), nil, 0o600) }, []Mismatch{{"c.jsonl", "not listed"}}},
		{"state changes are not output", func(dir string) { os.WriteFile(filepath.Join(dir, ".trailguard-export.json"), []byte("2"), 0o600) }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFiles(t, dir, map[string]string{"a.jsonl": "a", "sub/b.jsonl": "b", ".trailguard-export.json": "1"})
			if _, err := Write(dir); err != nil {
				t.Fatal(err)
			}
			tt.change(dir)
			got, err := Check(filepath.Join(dir, FileName))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Check() (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWriteFor(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"events.jsonl": "{}\n", "other": "x"})
	if _, err := WriteFor(filepath.Join(dir, "events.jsonl.sha256"), "events.jsonl"); err != nil {
		t.Fatal(err)
	}
	got, err := Check(filepath.Join(dir, "events.jsonl.sha256"))
	if err != nil || len(got) != 0 {
		t.Errorf("Check() = %v, %v; want no mismatch", got, err)
	}
}
