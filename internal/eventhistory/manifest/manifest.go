// Package manifest writes SHA-256 manifests of what trailguard writes, in the
// format of sha256sum, so that evidence handed over can be checked with
//
//	cd DIR && sha256sum -c MANIFEST.sha256
//
// A manifest lists one line per file, "<hex SHA-256>  <path>", with paths
// relative to the manifest's directory, separated by slashes, sorted. It is
// replaced atomically: a reader sees the old or the new manifest, never a
// mix.
package manifest

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/trailguard/trailguard/internal/eventhistory/durable"
)

// FileName is the name of a directory's manifest.
const FileName = "MANIFEST.sha256"

// Perm is the manifest's file mode: like the records it lists, owner only.
const Perm os.FileMode = 0o600

// Entry is one line of a manifest.
type Entry struct {
	// Path is relative to the manifest's directory, with slashes.
	Path string
	// SHA256 is the file's hash, hex-encoded.
	SHA256 string
	// Size is the file's size in bytes (not written to the manifest).
	Size int64
}

// Summary describes a manifest written.
type Summary struct {
	Path  string
	Files int
	Bytes int64
}

// internal reports whether a path (relative, with slashes) is trailguard's
// own state rather than output: checkpoints, staging files, temporary files
// and the manifest itself.
func internal(rel string) bool {
	if rel == FileName {
		return true
	}
	for _, part := range strings.Split(rel, "/") {
		if strings.HasPrefix(part, ".trailguard") || durable.IsTemp(part) {
			return true
		}
	}
	return false
}

// Write hashes every file under dir but trailguard's own state (names
// starting with .trailguard, temporary files) and replaces dir's manifest.
func Write(dir string) (Summary, error) {
	var entries []Entry
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil || rel == "." {
			return err
		}
		rel = filepath.ToSlash(rel)
		if internal(rel) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		e, err := hashFile(path)
		if err != nil {
			return err
		}
		e.Path = rel
		entries = append(entries, e)
		return nil
	})
	if err != nil {
		return Summary{}, fmt.Errorf("hash the files of %s: %w", dir, err)
	}
	return write(filepath.Join(dir, FileName), entries)
}

// WriteFor writes a manifest at path listing the given files, which are
// relative to path's directory.
func WriteFor(path string, files ...string) (Summary, error) {
	var entries []Entry
	for _, f := range files {
		e, err := hashFile(filepath.Join(filepath.Dir(path), f))
		if err != nil {
			return Summary{}, err
		}
		e.Path = filepath.ToSlash(f)
		entries = append(entries, e)
	}
	return write(path, entries)
}

func write(path string, entries []Entry) (Summary, error) {
	slices.SortFunc(entries, func(a, b Entry) int { return strings.Compare(a.Path, b.Path) })
	s := Summary{Path: path, Files: len(entries)}
	for _, e := range entries {
		s.Bytes += e.Size
	}
	err := durable.WriteFile(path, Perm, func(w io.Writer) error {
		for _, e := range entries {
			if _, err := fmt.Fprintf(w, "%s  %s\n", e.SHA256, e.Path); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Summary{}, fmt.Errorf("write %s: %w", path, err)
	}
	return s, nil
}

func hashFile(path string) (Entry, error) {
	f, err := os.Open(path)
	if err != nil {
		return Entry{}, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return Entry{}, fmt.Errorf("read %s: %w", path, err)
	}
	return Entry{SHA256: hex.EncodeToString(h.Sum(nil)), Size: n}, nil
}

// Read parses a manifest.
func Read(path string) ([]Entry, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var entries []Entry
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		sum, name, ok := strings.Cut(sc.Text(), "  ")
		if !ok || len(sum) != sha256.Size*2 || name == "" {
			return nil, fmt.Errorf("%s line %d is not \"<sha256>  <path>\"", path, n)
		}
		entries = append(entries, Entry{Path: name, SHA256: sum})
	}
	return entries, sc.Err()
}

// Mismatch is a file whose content does not match its manifest line, or
// that is missing or not listed.
type Mismatch struct {
	Path string
	// Problem is "modified", "missing" or "not listed".
	Problem string
}

// Check compares the files under the manifest's directory with the manifest
// at path, as sha256sum -c does, and also reports files the manifest does
// not list (trailguard's own state aside).
func Check(path string) ([]Mismatch, error) {
	entries, err := Read(path)
	if err != nil {
		return nil, err
	}
	dir := filepath.Dir(path)
	listed := map[string]bool{}
	var bad []Mismatch
	for _, e := range entries {
		listed[e.Path] = true
		got, err := hashFile(filepath.Join(dir, filepath.FromSlash(e.Path)))
		switch {
		case errors.Is(err, fs.ErrNotExist):
			bad = append(bad, Mismatch{e.Path, "missing"})
		case err != nil:
			return nil, err
		case got.SHA256 != e.SHA256:
			bad = append(bad, Mismatch{e.Path, "modified"})
		}
	}
	if filepath.Base(path) != FileName {
		return bad, nil // a manifest of chosen files
	}
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if rel == "." {
			return nil
		}
		if internal(rel) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Type().IsRegular() && !listed[rel] {
			bad = append(bad, Mismatch{rel, "not listed"})
		}
		return nil
	})
	return bad, err
}
