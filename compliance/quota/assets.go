package quota

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// assets finds file assets of an assembly by the object key in their S3 URL.
type assets struct {
	dir   string
	byKey map[string]string // object key -> source path
}

// find returns the path, relative to the assembly, of the file asset published to url; ok is
// false for a URL that is no asset of the assembly. The asset manifests are read once.
func (a *assets) find(url string) (path string, ok bool, err error) {
	if a.byKey == nil {
		a.byKey = map[string]string{}
		manifests, err := filepath.Glob(filepath.Join(a.dir, "*.assets.json"))
		if err != nil {
			return "", false, err
		}
		for _, m := range manifests {
			var am struct {
				Files map[string]struct {
					Source struct {
						Path      string `json:"path"`
						Packaging string `json:"packaging"`
					} `json:"source"`
					Destinations map[string]struct {
						ObjectKey string `json:"objectKey"`
					} `json:"destinations"`
				} `json:"files"`
			}
			data, err := os.ReadFile(m)
			if err != nil {
				return "", false, err
			}
			if err := json.Unmarshal(data, &am); err != nil {
				return "", false, fmt.Errorf("%s: %w", filepath.Base(m), err)
			}
			for _, f := range am.Files {
				if f.Source.Packaging != "" && f.Source.Packaging != "file" {
					continue
				}
				for _, d := range f.Destinations {
					a.byKey[d.ObjectKey] = f.Source.Path
				}
			}
		}
	}
	for key, path := range a.byKey {
		if key != "" && strings.HasSuffix(url, "/"+key) {
			return path, true, nil
		}
	}
	return "", false, nil
}
