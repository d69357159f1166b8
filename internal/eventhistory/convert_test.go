package eventhistory

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/trailguard/trailguard/internal/eventhistory/manifest"
)

func consoleRecord(id, region, at string) string {
	return `{"eventVersion":"1.09","eventTime":"` + at + `","eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin",` +
		`"awsRegion":"` + region + `","eventID":"` + id + `","recipientAccountId":"123456789012"}`
}

func TestConvert(t *testing.T) {
	download := "{\n \"Records\": [\n  " + strings.Join([]string{
		consoleRecord("a", "us-east-1", "2026-03-02T10:00:00Z"),
		consoleRecord("b", "eu-west-1", "2026-03-02T09:00:00Z"),
		consoleRecord("c", "us-east-1", "2026-03-01T23:00:00Z"),
	}, ",\n  ") + "\n ]\n}\n"
	// An overlapping second download.
	overlap := `[` + consoleRecord("c", "us-east-1", "2026-03-01T23:00:00Z") + `,` +
		consoleRecord("d", "us-east-1", "2026-03-01T22:00:00Z") + `]`
	inputs := func() []Input {
		return []Input{{"download.json", strings.NewReader(download)}, {"overlap.json", strings.NewReader(overlap)}}
	}
	wantResult := &ConvertResult{Records: 4, Duplicates: 1, Regions: []string{"eu-west-1", "us-east-1"}}

	t.Run("jsonl", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "events.jsonl")
		res, err := Convert(ConvertOptions{Format: JSONLines, Out: out}, inputs()...)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(wantResult, res, cmpopts.IgnoreFields(ConvertResult{}, "Manifest")); diff != "" {
			t.Errorf("result (-want +got):\n%s", diff)
		}
		if res.Manifest == nil || res.Manifest.Files != 1 {
			t.Errorf("manifest %+v, want one listing the output", res.Manifest)
		}
		checkManifest(t, out+".sha256")
		got, _ := os.ReadFile(out)
		want := consoleRecord("a", "us-east-1", "2026-03-02T10:00:00Z") + "\n" +
			consoleRecord("b", "eu-west-1", "2026-03-02T09:00:00Z") + "\n" +
			consoleRecord("c", "us-east-1", "2026-03-01T23:00:00Z") + "\n" +
			consoleRecord("d", "us-east-1", "2026-03-01T22:00:00Z") + "\n"
		if diff := cmp.Diff(want, string(got)); diff != "" {
			t.Errorf("JSON Lines (-want +got):\n%s", diff)
		}
	})
	t.Run("stdout", func(t *testing.T) {
		var stdout bytes.Buffer
		if _, err := Convert(ConvertOptions{Out: "-", Stdout: &stdout}, inputs()...); err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(stdout.String(), "\n"); n != 4 {
			t.Errorf("wrote %d lines to stdout, want 4", n)
		}
	})
	t.Run("cloudtrail", func(t *testing.T) {
		dir := t.TempDir()
		res, err := Convert(ConvertOptions{Format: CloudTrailFiles, Out: dir}, inputs()...)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(wantResult, res, cmpopts.IgnoreFields(ConvertResult{}, "Manifest")); diff != "" {
			t.Errorf("result (-want +got):\n%s", diff)
		}
		if res.Manifest == nil || res.Manifest.Files != 3 {
			t.Errorf("manifest %+v, want one listing the 3 log files", res.Manifest)
		}
		checkManifest(t, filepath.Join(dir, manifest.FileName))
		var got []string
		for _, region := range res.Regions {
			for _, r := range readExport(t, dir, CloudTrailFiles, region) {
				got = append(got, region+":"+r.ID)
			}
		}
		if diff := cmp.Diff([]string{"eu-west-1:b", "us-east-1:a", "us-east-1:c", "us-east-1:d"}, got); diff != "" {
			t.Errorf("records in log files (-want +got):\n%s", diff)
		}
	})
}

func TestConvertErrors(t *testing.T) {
	notEmpty := t.TempDir()
	os.WriteFile(filepath.Join(notEmpty, "x"), nil, 0o644)
	tests := []struct {
		name  string
		opts  ConvertOptions
		input string
		check func(error) bool
	}{
		{
			name:  "log files into a non-empty directory",
			opts:  ConvertOptions{Format: CloudTrailFiles, Out: notEmpty},
			input: "[" + consoleRecord("a", "us-east-1", "2026-03-02T10:00:00Z") + "]",
			check: func(err error) bool { var oe *OptionError; return errors.As(err, &oe) },
		},
		{
			name:  "record without event time",
			opts:  ConvertOptions{Format: CloudTrailFiles, Out: filepath.Join(t.TempDir(), "new")},
			input: `[{"eventID":"a","awsRegion":"us-east-1"}]`,
			check: func(err error) bool { return err != nil && strings.Contains(err.Error(), "no valid eventTime") },
		},
		{
			name:  "names the input file",
			opts:  ConvertOptions{Out: filepath.Join(t.TempDir(), "out.jsonl")},
			input: `not json`,
			check: func(err error) bool { return err != nil && strings.HasPrefix(err.Error(), "in.csv: ") },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Convert(tt.opts, Input{"in.csv", strings.NewReader(tt.input)})
			if !tt.check(err) {
				t.Errorf("Convert() error = %v, not the expected kind", err)
			}
		})
	}
}
