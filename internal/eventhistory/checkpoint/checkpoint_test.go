package checkpoint

import (
	"errors"
	"io/fs"
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/trailguard/trailguard/internal/eventhistory/output"
)

func TestRegionCursor(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	type event struct {
		id string
		t  time.Time
	}
	tests := []struct {
		name        string
		written     []event
		probe       event
		wantSeen    bool
		wantCursor  time.Time
		wantIDs     []string
		wantWritten int64
	}{
		{
			name:    "nothing written",
			probe:   event{"a", t0},
			wantIDs: nil,
		},
		{
			name:        "same second, written",
			written:     []event{{"a", t0.Add(time.Second)}, {"b", t0}, {"c", t0}},
			probe:       event{"c", t0},
			wantSeen:    true,
			wantCursor:  t0,
			wantIDs:     []string{"b", "c"},
			wantWritten: 3,
		},
		{
			name:        "same second, not written",
			written:     []event{{"b", t0}},
			probe:       event{"d", t0},
			wantCursor:  t0,
			wantIDs:     []string{"b"},
			wantWritten: 1,
		},
		{
			name:        "older event",
			written:     []event{{"b", t0}},
			probe:       event{"b", t0.Add(-time.Second)},
			wantCursor:  t0,
			wantIDs:     []string{"b"},
			wantWritten: 1,
		},
		{
			name:        "out of order event does not move the cursor",
			written:     []event{{"b", t0}, {"x", t0.Add(time.Minute)}},
			probe:       event{"x", t0.Add(time.Minute)},
			wantCursor:  t0,
			wantIDs:     []string{"b"},
			wantWritten: 2,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r Region
			for _, e := range tt.written {
				r.Advance(e.id, e.t)
			}
			if got := r.Seen(tt.probe.id, tt.probe.t); got != tt.wantSeen {
				t.Errorf("Seen(%q, %v) = %v, want %v", tt.probe.id, tt.probe.t, got, tt.wantSeen)
			}
			if !r.Cursor.Equal(tt.wantCursor) {
				t.Errorf("Cursor = %v, want %v", r.Cursor, tt.wantCursor)
			}
			if diff := cmp.Diff(tt.wantIDs, r.CursorIDs); diff != "" {
				t.Errorf("CursorIDs (-want +got):\n%s", diff)
			}
			if r.Events != tt.wantWritten {
				t.Errorf("Events = %d, want %d", r.Events, tt.wantWritten)
			}
		})
	}
}

func TestSaveLoad(t *testing.T) {
	dir := t.TempDir()
	if _, err := Load(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Load(empty dir) error = %v, want fs.ErrNotExist", err)
	}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := &State{
		Format:  "cloudtrail",
		Start:   start,
		End:     start.Add(24 * time.Hour),
		Lookup:  &Lookup{Key: "EventName", Value: "ConsoleLogin"},
		Regions: map[string]*Region{"eu-west-1": {QueryEnd: start.Add(24 * time.Hour)}},
	}
	f, err := Create(dir, s)
	if err != nil {
		t.Fatal(err)
	}
	r := &Region{
		NextToken: "tok",
		QueryEnd:  s.End,
		Cursor:    start.Add(time.Hour),
		CursorIDs: []string{"a", "b"},
		Events:    2,
		Pages:     1,
		Output:    output.Position{Offset: 10, Chunk: 1, ChunkEvents: 2, ChunkTime: start.Add(time.Hour), ChunkAccount: "123456789012"},
	}
	if err := f.Save("eu-west-1", r); err != nil {
		t.Fatal(err)
	}
	r.CursorIDs[0] = "changed after save"
	got, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := *s
	want.Regions = map[string]*Region{"eu-west-1": {
		NextToken: "tok", QueryEnd: s.End, Cursor: start.Add(time.Hour), CursorIDs: []string{"a", "b"},
		Events: 2, Pages: 1, Output: r.Output,
	}}
	if diff := cmp.Diff(&want, got); diff != "" {
		t.Errorf("Load() after Save (-want +got):\n%s", diff)
	}
}

func TestLoadRejectsOtherVersion(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(Path(dir), []byte(`{"version": 99, "regions": {}}`), 0o644)
	if _, err := Load(dir); err == nil {
		t.Fatal("Load() of a version 99 state succeeded, want an error")
	}
}
