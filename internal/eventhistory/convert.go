package eventhistory

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/trailguard/trailguard/internal/eventhistory/consolefile"
	"github.com/trailguard/trailguard/internal/eventhistory/durable"
	"github.com/trailguard/trailguard/internal/eventhistory/manifest"
	"github.com/trailguard/trailguard/internal/eventhistory/output"
)

// ConvertOptions configures Convert.
type ConvertOptions struct {
	// Format is the output layout. Default: JSONLines.
	Format Format
	// Out is where the records go: for JSONLines a file, written atomically,
	// or "-" for Stdout; for CloudTrailFiles a new or empty directory.
	Out string
	// Stdout receives JSON Lines when Out is "-".
	Stdout io.Writer
	// EventsPerFile is the most records a CloudTrail log file holds.
	// Default: output.DefaultEventsPerFile.
	EventsPerFile int
}

// Input is a file to convert.
type Input struct {
	Name string
	R    io.Reader
}

// ConvertResult counts what Convert wrote.
type ConvertResult struct {
	// Records is the number of records written.
	Records int
	// Duplicates is the number of records skipped because a record with the
	// same eventID was written before (as when downloads overlap).
	Duplicates int
	// Regions lists the regions of the records, sorted.
	Regions []string
	// Manifest describes the SHA-256 manifest written with the output:
	// MANIFEST.sha256 in a directory of log files, <file>.sha256 beside a
	// JSON Lines file; none for standard output.
	Manifest *manifest.Summary
}

// Convert reads event records from files in the formats package consolefile
// knows, such as the Event History page's JSON download, and writes them in
// an output layout, in input order, each eventID once.
func Convert(opts ConvertOptions, inputs ...Input) (*ConvertResult, error) {
	if opts.Format == "" {
		opts.Format = JSONLines
	}
	if !slices.Contains(Formats, opts.Format) {
		return nil, &OptionError{fmt.Sprintf("unknown format %q; want jsonl or cloudtrail", opts.Format)}
	}
	if opts.Out == "" {
		return nil, &OptionError{"no output"}
	}
	c := &converter{seen: map[string]bool{}, regions: map[string]bool{}}
	var err error
	switch {
	case opts.Format == CloudTrailFiles:
		err = c.logFiles(opts, inputs)
	case opts.Out == "-":
		err = c.jsonLines(opts.Stdout, inputs)
	default:
		err = durable.WriteFile(opts.Out, output.FilePerm, func(w io.Writer) error { return c.jsonLines(w, inputs) })
	}
	if err != nil {
		return nil, err
	}
	res := &ConvertResult{Records: c.records, Duplicates: c.dups, Regions: slices.Sorted(maps.Keys(c.regions))}
	var sum manifest.Summary
	switch {
	case opts.Format == CloudTrailFiles:
		sum, err = manifest.Write(opts.Out)
	case opts.Out != "-":
		sum, err = manifest.WriteFor(opts.Out+".sha256", filepath.Base(opts.Out))
	default:
		return res, nil
	}
	if err != nil {
		return nil, err
	}
	res.Manifest = &sum
	return res, nil
}

type converter struct {
	seen          map[string]bool // eventIDs written
	regions       map[string]bool
	records, dups int
}

// recordMeta is what conversion needs to know about a record.
type recordMeta struct {
	EventID   string `json:"eventID"`
	EventTime string `json:"eventTime"`
	AWSRegion string `json:"awsRegion"`
}

// each calls fn with every record of the inputs not seen before.
func (c *converter) each(inputs []Input, fn func(rec []byte, m recordMeta) error) error {
	for _, in := range inputs {
		err := consolefile.Read(in.R, func(rec []byte) error {
			var m recordMeta
			json.Unmarshal(rec, &m) // consolefile yields JSON objects; missing fields stay empty
			if m.EventID != "" {
				if c.seen[m.EventID] {
					c.dups++
					return nil
				}
				c.seen[m.EventID] = true
			}
			if err := fn(rec, m); err != nil {
				return err
			}
			c.records++
			c.regions[cmp.Or(m.AWSRegion, "unknown-region")] = true
			return nil
		})
		if err != nil {
			return fmt.Errorf("%s: %w", in.Name, err)
		}
	}
	return nil
}

func (c *converter) jsonLines(w io.Writer, inputs []Input) error {
	return c.each(inputs, func(rec []byte, _ recordMeta) error {
		if _, err := w.Write(rec); err != nil {
			return err
		}
		_, err := w.Write([]byte{'\n'})
		return err
	})
}

// logFiles writes CloudTrail log files, one series per region of the records.
func (c *converter) logFiles(opts ConvertOptions, inputs []Input) (err error) {
	entries, err := os.ReadDir(opts.Out)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if len(entries) > 0 {
		// Log file names restart at 000000: they would replace others.
		return &OptionError{fmt.Sprintf("%s is not empty: convert into a new or empty directory", opts.Out)}
	}
	writers := map[string]*output.CloudTrail{}
	defer func() {
		for _, w := range writers {
			w.Close()
		}
	}()
	err = c.each(inputs, func(rec []byte, m recordMeta) error {
		t, err := time.Parse(time.RFC3339Nano, m.EventTime)
		if err != nil {
			return fmt.Errorf("record %s has no valid eventTime (%q): cannot place it in a log file", m.EventID, m.EventTime)
		}
		region := cmp.Or(m.AWSRegion, "unknown-region")
		w, ok := writers[region]
		if !ok {
			if w, err = output.OpenCloudTrail(opts.Out, region, opts.EventsPerFile, output.Position{}); err != nil {
				return err
			}
			writers[region] = w
		}
		return w.Append(rec, t)
	})
	if err != nil {
		return err
	}
	for _, w := range writers {
		if _, err := w.Finish(); err != nil {
			return err
		}
		if err := w.Release(); err != nil {
			return err
		}
	}
	return nil
}
