package gobuild

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// WithFiles returns a directory holding dir's Binary and files (by slash-separated path
// relative to the directory), to be a function's asset: a directory beside dir named by the
// hash of its whole contents, written once (atomically, by renaming a finished temporary
// directory) and reused, so a synth writes nothing twice and the asset hash changes only
// when the binary or a file does.
func WithFiles(dir string, files map[string][]byte) (string, error) {
	names := make([]string, 0, len(files))
	for n := range files {
		clean := filepath.ToSlash(filepath.Clean(n))
		if n == "" || clean != n || strings.HasPrefix(n, "../") || filepath.IsAbs(n) || n == Binary {
			return "", fmt.Errorf("bundling %s: file name %q must be a clean relative path other than %s", dir, n, Binary)
		}
		names = append(names, n)
	}
	slices.Sort(names)
	// The binary is hashed as it is read: held whole, its 30 MB would stay in the app's heap
	// (and double the garbage collector's target) through the rest of the synth.
	h := sha256.New()
	if err := hashFile(h, filepath.Join(dir, Binary)); err != nil {
		return "", fmt.Errorf("bundling %s: %w", dir, err)
	}
	for _, n := range names {
		fmt.Fprintf(h, "\x00%s\x00%d\x00", n, len(files[n]))
		h.Write(files[n])
	}
	out := filepath.Join(filepath.Dir(dir), filepath.Base(dir)+"-bundles", hex.EncodeToString(h.Sum(nil))[:32])
	if _, err := os.Stat(filepath.Join(out, Binary)); err == nil {
		return out, nil
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return "", fmt.Errorf("bundling %s: %w", dir, err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(out), ".tmp-*")
	if err != nil {
		return "", fmt.Errorf("bundling %s: %w", dir, err)
	}
	defer os.RemoveAll(tmp)
	if err := copyFile(filepath.Join(dir, Binary), filepath.Join(tmp, Binary), 0o755); err != nil {
		return "", fmt.Errorf("bundling %s: %w", dir, err)
	}
	for _, n := range names {
		p := filepath.Join(tmp, filepath.FromSlash(n))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return "", fmt.Errorf("bundling %s: %w", dir, err)
		}
		if err := os.WriteFile(p, files[n], 0o644); err != nil {
			return "", fmt.Errorf("bundling %s: %w", dir, err)
		}
	}
	if err := os.Rename(tmp, out); err != nil {
		// Another synth finished the same bundle first: use it.
		if _, statErr := os.Stat(filepath.Join(out, Binary)); statErr == nil {
			return out, nil
		}
		return "", fmt.Errorf("bundling %s: %w", dir, err)
	}
	return out, nil
}

// hashFile writes the contents of the file at path to h.
func hashFile(h io.Writer, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(h, f)
	return err
}

func copyFile(from, to string, mode os.FileMode) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
