// Package assembly works on cloud assemblies on disk (the cdk.out directory the CDK writes
// and the cdk CLI deploys from): it merges one assembly into another and clears a stale one.
// It needs no CDK: a cloud assembly is a manifest.json naming artifacts, and their files.
package assembly

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// ManifestFile is the name of a cloud assembly's manifest.
const ManifestFile = "manifest.json"

// Files of an assembly that describe the app as a whole rather than an artifact: Merge keeps
// the destination's.
var appFiles = []string{ManifestFile, "tree.json", "cdk.out", "validation-report.json"}

// Merge moves every artifact of the assembly in src (except its construct tree) into the
// assembly in dst, appending them to dst's manifest after dst's own artifacts. Both must be
// written by the same CDK version. Merging never overwrites dst's assembly: an artifact id in
// both must name the same artifact (app-wide ones such as the feature flag report), and no
// file of src may have the name of one that dst's manifest refers to. Files in dst that its
// manifest does not refer to are left over from an earlier synth into the same directory
// (the cdk CLI synthesizes into the same cdk.out on every command) and are replaced, so
// merging into a reused directory gives what merging into a fresh one gives.
// dst's manifest is replaced atomically, so dst stays a valid assembly if Merge fails; src is
// consumed either way.
func Merge(dst, src string) error {
	dstManifest, err := readManifest(dst)
	if err != nil {
		return err
	}
	srcManifest, err := readManifest(src)
	if err != nil {
		return err
	}
	for _, key := range srcManifest.keys() {
		if key != "version" && key != "artifacts" && key != "minimumCliVersion" {
			return fmt.Errorf("merge %s into %s: %s has %q, which merging does not support", src, dst, ManifestFile, key)
		}
	}
	if v1, v2 := dstManifest.get("version"), srcManifest.get("version"); !bytes.Equal(v1, v2) {
		return fmt.Errorf("merge %s into %s: manifest versions differ (%s, %s)", src, dst, v2, v1)
	}
	dstArtifacts, err := dstManifest.object("artifacts")
	if err != nil {
		return fmt.Errorf("%s: %w", dst, err)
	}
	srcArtifacts, err := srcManifest.object("artifacts")
	if err != nil {
		return fmt.Errorf("%s: %w", src, err)
	}
	owned, err := ownedEntries(dst, dstArtifacts)
	if err != nil {
		return err
	}
	for _, a := range srcArtifacts {
		var art struct {
			Type string `json:"type"`
		}
		if err := json.Unmarshal(a.Value, &art); err != nil {
			return fmt.Errorf("%s: artifact %s: %w", src, a.Key, err)
		}
		if art.Type == "cdk:tree" {
			continue
		}
		if existing := dstArtifacts.get(a.Key); existing != nil {
			if sameJSON(existing, a.Value) {
				continue // an app-wide artifact, e.g. the feature flag report of the same context
			}
			return fmt.Errorf("merge %s into %s: both have an artifact %q, and they differ", src, dst, a.Key)
		}
		dstArtifacts = append(dstArtifacts, a)
	}

	entries, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	var move, leftovers []string
	for _, e := range entries {
		if slices.Contains(appFiles, e.Name()) {
			continue
		}
		if _, err := os.Lstat(filepath.Join(dst, e.Name())); err == nil {
			if owned[e.Name()] {
				return fmt.Errorf("merge %s into %s: both have %s", src, dst, e.Name())
			}
			leftovers = append(leftovers, e.Name())
		}
		move = append(move, e.Name())
	}
	for _, name := range leftovers {
		if err := os.RemoveAll(filepath.Join(dst, name)); err != nil {
			return err
		}
	}
	for _, name := range move {
		if err := moveFile(filepath.Join(src, name), filepath.Join(dst, name)); err != nil {
			return err
		}
	}
	dstManifest.set("artifacts", dstArtifacts.marshal())
	return writeAtomic(filepath.Join(dst, ManifestFile), dstManifest.marshal())
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

func sameJSON(a, b json.RawMessage) bool {
	var ca, cb bytes.Buffer
	return json.Compact(&ca, a) == nil && json.Compact(&cb, b) == nil && bytes.Equal(ca.Bytes(), cb.Bytes())
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

// moveFile renames from to to, copying when they are on different file systems.
func moveFile(from, to string) error {
	err := os.Rename(from, to)
	var linkErr *os.LinkError
	if err == nil || !errors.As(err, &linkErr) {
		return err
	}
	data, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	if err := os.WriteFile(to, data, 0o644); err != nil {
		return err
	}
	return os.Remove(from)
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
