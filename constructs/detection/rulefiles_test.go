package detection

import (
	"strings"
	"testing"
	"testing/fstest"
)

func TestLoadRuleFiles(t *testing.T) {
	for _, tc := range []struct {
		name    string
		fsys    fstest.MapFS
		want    []string // keys
		wantErr string
	}{
		{"nested, other files and hidden directories skipped", fstest.MapFS{
			"iam.yaml":          {Data: []byte("id: a\n")},
			"team/compute.yml":  {Data: []byte("id: b\n")},
			"team/README.md":    {Data: []byte("notes")},
			".git/hooks/x.yaml": {Data: []byte("id: c\n")},
		}, []string{"iam.yaml", "team/compute.yml"}, ""},
		{"no rule file", fstest.MapFS{"README.md": {Data: []byte("x")}}, nil, "detection: no rule file (*.yaml, *.yml) under rules"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := loadRuleFiles(tc.fsys, "rules")
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("want error %q, got %v", tc.wantErr, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(*got) != len(tc.want) {
				t.Errorf("got %d files, want %v", len(*got), tc.want)
			}
			for _, k := range tc.want {
				if v := (*got)[k]; v == nil || *v != string(tc.fsys[k].Data) {
					t.Errorf("file %s: got %v, want its content", k, v)
				}
			}
		})
	}
	if _, err := LoadRuleFiles("/no/such/dir"); err == nil || !strings.Contains(err.Error(), "/no/such/dir") {
		t.Errorf("a missing directory: want an error naming it, got %v", err)
	}
}
