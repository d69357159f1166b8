package gobuild

import (
	"os"
	"path/filepath"
	"testing"
)

func TestWithFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pkg")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, Binary), []byte("binary"), 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{"rules/team/a.yaml": []byte("id: a")}
	out, err := WithFiles(dir, files)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{Binary: "binary", "rules/team/a.yaml": "id: a"} {
		got, err := os.ReadFile(filepath.Join(out, name))
		if err != nil || string(got) != want {
			t.Errorf("%s: %q, %v; want %q", name, got, err, want)
		}
	}
	again, err := WithFiles(dir, files)
	if err != nil || again != out {
		t.Errorf("second bundle %s, %v; want the first, %s", again, err, out)
	}
	files["rules/team/a.yaml"] = []byte("id: b")
	if other, _ := WithFiles(dir, files); other == out {
		t.Errorf("a changed file gave the same bundle %s", out)
	}
	for _, bad := range []string{"../x", "/etc/x", "a/../../x", Binary, ""} {
		if _, err := WithFiles(dir, map[string][]byte{bad: nil}); err == nil {
			t.Errorf("file name %q accepted", bad)
		}
	}
}
