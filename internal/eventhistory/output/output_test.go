package output

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// testRecord is a CloudTrail record for event i; events are newest first,
// ten minutes apart, so that a run of them crosses UTC midnight.
func testRecord(i int) ([]byte, time.Time) {
	t := time.Date(2026, 3, 2, 0, 30, 0, 0, time.UTC).Add(-time.Duration(i) * 10 * time.Minute)
	rec := fmt.Sprintf(`{"eventID":"id-%03d","eventTime":%q,"recipientAccountId":"123456789012","awsRegion":"eu-west-1"}`, i, t.Format(time.RFC3339))
	return []byte(rec), t
}

// readTree returns the files under dir by relative path, gzipped ones
// decompressed.
func readTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if strings.HasSuffix(path, ".gz") {
			zr, err := gzip.NewReader(bytes.NewReader(data))
			if err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
			if data, err = io.ReadAll(zr); err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
		}
		rel, _ := filepath.Rel(dir, path)
		files[filepath.ToSlash(rel)] = string(data)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

type opener func(dir string, pos Position) (Writer, error)

var layouts = map[string]opener{
	"jsonl": func(dir string, pos Position) (Writer, error) {
		return OpenJSONLines(filepath.Join(dir, "eu-west-1.jsonl"), pos)
	},
	"cloudtrail": func(dir string, pos Position) (Writer, error) {
		return OpenCloudTrail(dir, "eu-west-1", 4, pos)
	},
}

// write appends records [from, to) and checkpoints every syncEvery records,
// reporting the saved Positions by record index.
func write(t *testing.T, w Writer, from, to, syncEvery int, saved map[int]Position) {
	t.Helper()
	for i := from; i < to; i++ {
		rec, ts := testRecord(i)
		if err := w.Append(rec, ts); err != nil {
			t.Fatalf("Append(%d): %v", i, err)
		}
		if (i+1)%syncEvery == 0 {
			pos, err := w.Sync()
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Release(); err != nil {
				t.Fatal(err)
			}
			saved[i+1] = pos
		}
	}
}

func finish(t *testing.T, w Writer) {
	t.Helper()
	if _, err := w.Finish(); err != nil {
		t.Fatal(err)
	}
	if err := w.Release(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestResumeAfterCrash proves that a writer restored at a checkpointed
// Position, after a crash that left unsynced records, sealed log files and
// torn lines behind, continues exactly where the checkpoint stood: finishing
// right away gives the output of a run that stopped there, and appending the
// rest gives the output of an uninterrupted run.
func TestResumeAfterCrash(t *testing.T) {
	const total = 23
	tests := []struct {
		crashAt   int  // records appended before the crash
		syncEvery int  // records between checkpoints
		torn      bool // the crash also tore a half-written line onto the file
	}{
		{crashAt: 0, syncEvery: 3},
		{crashAt: 2, syncEvery: 3},
		{crashAt: 3, syncEvery: 3},
		{crashAt: 5, syncEvery: 3, torn: true},
		{crashAt: 9, syncEvery: 3},
		{crashAt: 13, syncEvery: 3, torn: true},
		{crashAt: 22, syncEvery: 3},
		// Log files sealed after the only checkpoint, the empty start.
		{crashAt: 10, syncEvery: 100},
	}
	for name, open := range layouts {
		cleanRun := func(n int) map[string]string {
			dir := t.TempDir()
			w, err := open(dir, Position{})
			if err != nil {
				t.Fatal(err)
			}
			write(t, w, 0, n, 3, map[int]Position{})
			finish(t, w)
			return readTree(t, dir)
		}
		for _, tt := range tests {
			for _, rest := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s/crash after %d torn=%v rest=%v", name, tt.crashAt, tt.torn, rest), func(t *testing.T) {
					dir := t.TempDir()
					w, err := open(dir, Position{})
					if err != nil {
						t.Fatal(err)
					}
					saved := map[int]Position{0: {}}
					write(t, w, 0, tt.crashAt, tt.syncEvery, saved)
					// The crash: unsynced records may or may not have reached
					// the disk; flush them, the worst case, and drop the writer.
					w.Sync()
					w.Close()
					if tt.torn {
						tearLastFile(t, dir)
					}
					resumeAt := tt.crashAt / tt.syncEvery * tt.syncEvery
					w, err = open(dir, saved[resumeAt])
					if err != nil {
						t.Fatalf("reopen at %+v: %v", saved[resumeAt], err)
					}
					end := resumeAt
					if rest {
						end = total
					}
					write(t, w, resumeAt, end, tt.syncEvery, saved)
					finish(t, w)
					if diff := cmp.Diff(cleanRun(end), readTree(t, dir)); diff != "" {
						t.Errorf("output differs from an uninterrupted run of %d records (-want +got):\n%s", end, diff)
					}
				})
			}
		}
	}
}

// tearLastFile appends half a record to the file being appended to.
func tearLastFile(t *testing.T, dir string) {
	t.Helper()
	var last string
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(path, ".jsonl") {
			last = path
		}
		return nil
	})
	f, err := os.OpenFile(last, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.WriteString(`{"eventID":"torn`)
}

func TestCloudTrailLayout(t *testing.T) {
	dir := t.TempDir()
	w, err := OpenCloudTrail(dir, "eu-west-1", 4, Position{})
	if err != nil {
		t.Fatal(err)
	}
	write(t, w, 0, 7, 100, map[int]Position{})
	finish(t, w)
	got := readTree(t, dir)

	// Records 0-3 are on 2026-03-02 up to 00:30, 4-6 on 2026-03-01 from 23:50:
	// the day boundary splits them, not the 4-record limit alone.
	prefix := "AWSLogs/123456789012/CloudTrail/eu-west-1/"
	wantNames := []string{
		prefix + "2026/03/01/123456789012_CloudTrail_eu-west-1_20260301T2350Z_trailguard000001.json.gz",
		prefix + "2026/03/02/123456789012_CloudTrail_eu-west-1_20260302T0030Z_trailguard000000.json.gz",
	}
	var names []string
	for name := range got {
		names = append(names, name)
	}
	slices.Sort(names)
	if diff := cmp.Diff(wantNames, names); diff != "" {
		t.Fatalf("files (-want +got):\n%s", diff)
	}
	var doc struct{ Records []struct{ EventID string } }
	if err := json.Unmarshal([]byte(got[wantNames[0]]), &doc); err != nil {
		t.Fatalf("log file is not a CloudTrail document: %v", err)
	}
	var ids []string
	for _, r := range doc.Records {
		ids = append(ids, r.EventID)
	}
	if diff := cmp.Diff([]string{"id-004", "id-005", "id-006"}, ids); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	if _, err := os.Stat(filepath.Join(dir, StagingDir)); !os.IsNotExist(err) {
		t.Errorf("staging directory still exists after Finish and Release: %v", err)
	}
}

func TestAppendNormalizesRecords(t *testing.T) {
	tests := []struct {
		name    string
		record  string
		want    string
		wantErr bool
	}{
		{"single line kept as is", `{"a": 1}`, "{\"a\": 1}\n", false},
		{"multi-line compacted", "{\n  \"a\": 1\n}", "{\"a\":1}\n", false},
		{"multi-line invalid rejected", "{\n  \"a\": ", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "out.jsonl")
			w, err := OpenJSONLines(path, Position{})
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			err = w.Append([]byte(tt.record), time.Time{})
			if (err != nil) != tt.wantErr {
				t.Fatalf("Append() error = %v, wantErr %v", err, tt.wantErr)
			}
			if _, err := w.Finish(); err != nil {
				t.Fatal(err)
			}
			got, _ := os.ReadFile(path)
			if string(got) != tt.want {
				t.Errorf("file = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestOpenRejectsShortenedFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.jsonl")
	os.WriteFile(path, []byte("{}\n"), 0o644)
	if _, err := OpenJSONLines(path, Position{Offset: 100}); err == nil {
		t.Fatal("OpenJSONLines() at an offset past the end of the file succeeded, want an error")
	}
}

// TestPermissions checks that what the writers create is the owner's only:
// the records tell who did what in an account.
func TestPermissions(t *testing.T) {
	for name, open := range layouts {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "out")
			w, err := open(dir, Position{})
			if err != nil {
				t.Fatal(err)
			}
			write(t, w, 0, 5, 100, map[int]Position{})
			finish(t, w)
			filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
				if err != nil {
					t.Fatal(err)
				}
				fi, _ := d.Info()
				if perm := fi.Mode().Perm(); perm&0o077 != 0 {
					t.Errorf("%s has mode %v, want no access for group and others", path, perm)
				}
				return nil
			})
		})
	}
}
