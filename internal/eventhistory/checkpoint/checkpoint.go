// Package checkpoint records how far an Event History export has come, so
// that an interrupted export continues where it stopped.
//
// The state lives in one JSON file in the output directory, replaced
// atomically on every save: a crash leaves the previous or the new state,
// never a torn one.
package checkpoint

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/trailguard/trailguard/internal/eventhistory/durable"
	"github.com/trailguard/trailguard/internal/eventhistory/output"
)

// FileName is the name of the state file in the output directory.
const FileName = ".trailguard-export.json"

// version is the state file format; a file of another version is rejected
// rather than misread.
const version = 1

// State is an export's parameters and the progress of each region.
type State struct {
	Version int `json:"version"`
	// Format is the output layout: "jsonl" or "cloudtrail".
	Format string `json:"format"`
	// Start and End bound the exported time window (both inclusive).
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	// Lookup is the lookup attribute filter, if any.
	Lookup *Lookup `json:"lookup,omitempty"`
	// EventsPerFile is the most records a CloudTrail log file holds.
	EventsPerFile int `json:"eventsPerFile,omitempty"`
	// Regions maps each exported region to its progress.
	Regions map[string]*Region `json:"regions"`
}

// Lookup is a LookupEvents lookup attribute.
type Lookup struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Region is how far one region's export has come. Every field describes the
// same instant: the events written up to Output are exactly those LookupEvents
// returned before NextToken.
type Region struct {
	// Done is set once the last page is written.
	Done bool `json:"done,omitempty"`
	// NextToken continues the request chain that started with EndTime QueryEnd.
	NextToken string `json:"nextToken,omitempty"`
	// QueryEnd is the EndTime of the requests NextToken belongs to: the
	// export's End, or Cursor after a resume by time window.
	QueryEnd time.Time `json:"queryEnd"`
	// Cursor is the event time of the oldest event written, and CursorIDs the
	// IDs of the written events at exactly that time. Resuming by time window
	// asks for events up to Cursor and skips these.
	Cursor    time.Time `json:"cursor,omitzero"`
	CursorIDs []string  `json:"cursorIds,omitempty"`
	// Events and Pages count what has been written and requested so far.
	Events int64 `json:"events"`
	Pages  int64 `json:"pages"`
	// TokenResumes and WindowResumes count resumes by NextToken and, when a
	// token was rejected, by time window.
	TokenResumes  int `json:"tokenResumes,omitempty"`
	WindowResumes int `json:"windowResumes,omitempty"`
	// Output is how far the region's output files are durably written.
	Output output.Position `json:"output"`
}

// Seen reports whether an event is already written: it carries the cursor
// time and one of the IDs recorded at that time. Only events at the cursor
// time can be seen twice, when a resume by time window asks for them again.
func (r *Region) Seen(id string, t time.Time) bool {
	return !r.Cursor.IsZero() && t.Equal(r.Cursor) && slices.Contains(r.CursorIDs, id)
}

// Advance records that an event was written. Events arrive newest first, so
// the cursor moves back in time; an event newer than the cursor (out of the
// documented order) is written but does not move it.
func (r *Region) Advance(id string, t time.Time) {
	switch {
	case r.Cursor.IsZero() || t.Before(r.Cursor):
		r.Cursor = t
		r.CursorIDs = append(r.CursorIDs[:0], id)
	case t.Equal(r.Cursor):
		r.CursorIDs = append(r.CursorIDs, id)
	}
	r.Events++
}

// Clone returns a deep copy of r.
func (r *Region) Clone() *Region {
	c := *r
	c.CursorIDs = slices.Clone(r.CursorIDs)
	return &c
}

// Path returns the state file's path in the output directory dir.
func Path(dir string) string { return filepath.Join(dir, FileName) }

// Load reads the state of the export in dir. It returns an error satisfying
// errors.Is(err, fs.ErrNotExist) when dir holds no export.
func Load(dir string) (*State, error) {
	data, err := os.ReadFile(Path(dir))
	if err != nil {
		return nil, err
	}
	var s State
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("read %s: %w", Path(dir), err)
	}
	if s.Version != version {
		return nil, fmt.Errorf("%s has format version %d; this trailguard reads version %d", Path(dir), s.Version, version)
	}
	if s.Regions == nil {
		s.Regions = map[string]*Region{}
	}
	return &s, nil
}

// Exists reports whether dir holds an export's state file.
func Exists(dir string) (bool, error) {
	_, err := os.Stat(Path(dir))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}

// File saves the state of an export. It is safe for concurrent use: regions
// save their progress independently.
type File struct {
	dir   string
	mu    sync.Mutex
	state *State
}

// Create writes a new state file for s in dir and returns it for saving.
func Create(dir string, s *State) (*File, error) {
	s.Version = version
	f := &File{dir: dir, state: s}
	if err := os.MkdirAll(dir, output.DirPerm); err != nil {
		return nil, err
	}
	return f, f.write()
}

// Open returns a File that saves s, loaded from dir, back to dir.
func Open(dir string, s *State) *File { return &File{dir: dir, state: s} }

// Save records the progress of region and writes the state file.
func (f *File) Save(region string, r *Region) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.state.Regions[region] = r.Clone()
	return f.write()
}

func (f *File) write() error {
	return durable.WriteFile(Path(f.dir), output.FilePerm, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(f.state)
	})
}
