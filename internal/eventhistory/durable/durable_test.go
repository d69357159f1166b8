package durable

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state.json")
	if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		write    func(io.Writer) error
		wantErr  bool
		wantData string
	}{
		{"replaces content", func(w io.Writer) error { _, err := io.WriteString(w, "new"); return err }, false, "new"},
		{"keeps old content when write fails", func(w io.Writer) error {
			io.WriteString(w, "partial")
			return errors.New("boom")
		}, true, "new"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := WriteFile(path, 0o600, tt.write)
			if (err != nil) != tt.wantErr {
				t.Fatalf("WriteFile() error = %v, wantErr %v", err, tt.wantErr)
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.wantData {
				t.Errorf("content = %q, want %q", got, tt.wantData)
			}
			entries, _ := os.ReadDir(dir)
			for _, e := range entries {
				if IsTemp(e.Name()) {
					t.Errorf("temporary file %s left behind", e.Name())
				}
			}
		})
	}
}

func TestIsTemp(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{".state.json.tmp-123", true},
		{"state.json", false},
		{".hidden", false},
	}
	for _, tt := range tests {
		if got := IsTemp(tt.name); got != tt.want {
			t.Errorf("IsTemp(%q) = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestRemoveTemps(t *testing.T) {
	dir := t.TempDir()
	files := map[string]bool{ // name -> removed
		".checkpoint.json.tmp-123": true,
		".MANIFEST.sha256.tmp-9":   true,
		"checkpoint.json":          false,
		"notes.tmp-1":              false, // not hidden: not WriteFile's
		".hidden":                  false,
	}
	for name := range files {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	sub := filepath.Join(dir, ".sub.tmp-1") // a directory: left alone
	os.Mkdir(sub, 0o700)
	// A temporary file WriteFile leaves when killed before its rename.
	if err := RemoveTemps(dir); err != nil {
		t.Fatal(err)
	}
	for name, removed := range files {
		_, err := os.Stat(filepath.Join(dir, name))
		if gone := errors.Is(err, os.ErrNotExist); gone != removed {
			t.Errorf("%s: removed %v, want %v", name, gone, removed)
		}
	}
	if _, err := os.Stat(sub); err != nil {
		t.Errorf("a directory was removed: %v", err)
	}
	if err := RemoveTemps(filepath.Join(dir, "missing")); err != nil {
		t.Errorf("RemoveTemps of a missing directory: %v", err)
	}
}
