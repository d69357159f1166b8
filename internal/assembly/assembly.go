// Package assembly works on cloud assemblies on disk (the cdk.out directory the CDK writes
// and the cdk CLI deploys from): it appends artifacts to an assembly and clears a stale one.
// It needs no CDK: a cloud assembly is a manifest.json naming artifacts, and their files.
package assembly

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// ManifestFile is the name of a cloud assembly's manifest.
const ManifestFile = "manifest.json"

// Files of an assembly that describe the app as a whole rather than an artifact: no artifact
// appended may add one.
var appFiles = []string{ManifestFile, "tree.json", "cdk.out", "validation-report.json"}

// Appender adds artifacts, and the files they refer to, to the cloud assembly in a directory,
// in place: the files are written straight into the assembly and the artifacts appended to
// its manifest after its own, which is replaced atomically by Commit. Until then the manifest
// is the one the CDK wrote, so the assembly stays valid if appending fails half way.
//
// Appending never overwrites the assembly: an added artifact's id must be new, and no added
// file may have the name of one the manifest refers to. Files in the directory that the
// manifest does not refer to are left over from an earlier synth into the same directory (the
// cdk CLI synthesizes into the same cdk.out on every command) and are replaced, so appending
// to a reused directory gives what appending to a fresh one gives.
type Appender struct {
	dir       string
	manifest  object
	artifacts object
	ids       map[string]bool
	owned     map[string]bool
	claimed   map[string]bool
}

// NewAppender reads the manifest of the cloud assembly in dir.
func NewAppender(dir string) (*Appender, error) {
	manifest, err := readManifest(dir)
	if err != nil {
		return nil, err
	}
	artifacts, err := manifest.object("artifacts")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	owned, err := ownedEntries(dir, artifacts)
	if err != nil {
		return nil, err
	}
	ids := map[string]bool{}
	for _, a := range artifacts {
		ids[a.Key] = true
	}
	return &Appender{dir: dir, manifest: manifest, artifacts: artifacts, ids: ids, owned: owned, claimed: map[string]bool{}}, nil
}

// Claim reserves name, a file the caller is about to write into the assembly's directory for
// an artifact it adds, and returns its path. It fails if the assembly refers to a file of
// that name, or name was claimed before; a leftover that is not a regular file (a directory, a
// symbolic link) is removed, so that writing the file cannot write through it.
func (a *Appender) Claim(name string) (string, error) {
	if name != filepath.Base(name) || name == "." || name == ".." || slices.Contains(appFiles, name) {
		return "", fmt.Errorf("append to %s: %q is not a file name an artifact may add", a.dir, name)
	}
	if a.owned[name] || a.claimed[name] {
		return "", fmt.Errorf("append to %s: both have %s", a.dir, name)
	}
	a.claimed[name] = true
	path := filepath.Join(a.dir, name)
	if fi, err := os.Lstat(path); err == nil && !fi.Mode().IsRegular() {
		if err := os.RemoveAll(path); err != nil {
			return "", err
		}
	}
	return path, nil
}

// Add appends an artifact to the manifest (once committed). Its id must be new.
func (a *Appender) Add(id string, artifact json.RawMessage) error {
	if a.ids[id] {
		return fmt.Errorf("append to %s: both have an artifact %q", a.dir, id)
	}
	a.ids[id] = true
	a.artifacts = append(a.artifacts, member{Key: id, Value: artifact})
	return nil
}

// Commit replaces the assembly's manifest with one that lists the added artifacts after its
// own, atomically.
func (a *Appender) Commit() error {
	a.manifest.set("artifacts", a.artifacts.compact())
	return writeAtomic(filepath.Join(a.dir, ManifestFile), a.manifest.marshal())
}

// ownedEntries returns the names of the entries of the cloud assembly in dir, whose manifest
// lists artifacts, that belong to it: the app-wide files (the manifest, the construct tree,
// the validation report) and every file or directory an artifact refers to (templates, asset
// manifests, metadata files, nested assemblies) or one of its asset manifests does (asset
// sources). Anything else in dir is not part of the assembly, such as a file that an earlier
// synth into the same directory wrote.
func ownedEntries(dir string, artifacts object) (map[string]bool, error) {
	names := map[string]bool{}
	for _, f := range appFiles {
		names[f] = true
	}
	// add records the entry of dir that holds path, a path relative to dir (or absolute).
	add := func(path string) {
		if path == "" {
			return
		}
		if filepath.IsAbs(path) {
			rel, err := filepath.Rel(dir, path)
			if err != nil {
				return
			}
			path = rel
		}
		first, _, _ := strings.Cut(filepath.ToSlash(filepath.Clean(path)), "/")
		if first != ".." && first != "." {
			names[first] = true
		}
	}
	for _, a := range artifacts {
		var art struct {
			Type                   string `json:"type"`
			AdditionalMetadataFile string `json:"additionalMetadataFile"`
			Properties             struct {
				TemplateFile  string `json:"templateFile"`
				File          string `json:"file"`
				DirectoryName string `json:"directoryName"`
			} `json:"properties"`
		}
		if err := json.Unmarshal(a.Value, &art); err != nil {
			return nil, fmt.Errorf("%s: artifact %s: %w", dir, a.Key, err)
		}
		add(art.AdditionalMetadataFile)
		add(art.Properties.TemplateFile)
		add(art.Properties.File)
		add(art.Properties.DirectoryName)
		if art.Type != "cdk:asset-manifest" || art.Properties.File == "" {
			continue
		}
		var assets struct {
			Files map[string]struct {
				Source struct {
					Path string `json:"path"`
				} `json:"source"`
			} `json:"files"`
			DockerImages map[string]struct {
				Source struct {
					Directory string `json:"directory"`
				} `json:"source"`
			} `json:"dockerImages"`
		}
		file := filepath.Join(dir, art.Properties.File)
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("artifact %s: %w", a.Key, err)
		}
		if err := json.Unmarshal(data, &assets); err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		for _, f := range assets.Files {
			add(f.Source.Path)
		}
		for _, d := range assets.DockerImages {
			add(d.Source.Directory)
		}
	}
	return names, nil
}

// Clear removes a cloud assembly from dir, keeping the files named in keep and the cdk CLI's
// lock files, so that a failed synth leaves nothing stale to deploy. It only touches a
// directory that holds a cloud assembly (a manifest), so a mistyped path costs nothing.
func Clear(dir string, keep ...string) {
	if dir == "" {
		return
	}
	if _, err := os.Stat(filepath.Join(dir, ManifestFile)); err != nil {
		return
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		name := e.Name()
		if strings.HasSuffix(name, ".lock") || slices.Contains(keep, name) {
			continue
		}
		os.RemoveAll(filepath.Join(dir, name))
	}
}

func readManifest(dir string) (object, error) {
	data, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if err != nil {
		return nil, fmt.Errorf("not a cloud assembly: %w", err)
	}
	var m object
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, ManifestFile), err)
	}
	return m, nil
}

// writeAtomic replaces path with data by renaming a complete temporary file over it.
func writeAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
