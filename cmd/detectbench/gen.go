package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// pool is the records a generated file repeats: the ordinary activity of
// detect/testdata four times over, then every rule fixture's records, so
// that most records match no rule, as in a real trail (the same mix as the
// engine benchmarks of package detect).
type pool [][]byte

// loadPool reads the record pool from the detect package directory.
func loadPool(detectDir string) (pool, error) {
	var p pool
	add := func(path string, times int) error {
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		var f struct {
			Cases []struct {
				Records []json.RawMessage `json:"records"`
			} `json:"cases"`
		}
		if err := json.Unmarshal(raw, &f); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		for range times {
			for _, c := range f.Cases {
				for _, r := range c.Records {
					var m map[string]any
					if err := json.Unmarshal(r, &m); err != nil {
						return fmt.Errorf("%s: %w", path, err)
					}
					delete(m, "eventID")
					delete(m, "eventTime")
					b, err := json.Marshal(m)
					if err != nil {
						return err
					}
					p = append(p, b[1:]) // without its '{': the generator writes the ID and time first
				}
			}
		}
		return nil
	}
	if err := add(filepath.Join(detectDir, "testdata", "ordinary.json"), 4); err != nil {
		return nil, err
	}
	files, err := filepath.Glob(filepath.Join(detectDir, "testdata", "rules", "*.json"))
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		if err := add(f, 1); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// fileFormat is the layout of a generated file.
type fileFormat string

const (
	// logFile is a CloudTrail log file, {"Records":[...]}, as the archive
	// holds them (uncompressed).
	logFile fileFormat = "log file"
	// jsonLines is one record a line, as history export writes it.
	jsonLines fileFormat = "JSON Lines"
)

// generate writes records from p to w until at least size bytes are
// written: each record gets a new eventID and an event time 10 ms after the
// last, so that dedupe and thresholds work as on a real trail. It returns
// the number of records.
func generate(w io.Writer, p pool, format fileFormat, size int64) (int, error) {
	bw := bufio.NewWriterSize(w, 1<<20)
	var written int64
	write := func(b []byte) {
		n, _ := bw.Write(b)
		written += int64(n)
	}
	if format == logFile {
		write([]byte(`{"Records":[`))
	}
	start := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	var buf bytes.Buffer
	n := 0
	for ; written < size; n++ {
		buf.Reset()
		if n > 0 && format == logFile {
			buf.WriteByte(',')
		}
		fmt.Fprintf(&buf, `{"eventID":"%08x-0000-4000-8000-%012x","eventTime":"%s",`, n>>20, n,
			start.Add(time.Duration(n)*10*time.Millisecond).Format(time.RFC3339))
		buf.Write(p[n%len(p)])
		if format == jsonLines {
			buf.WriteByte('\n')
		}
		write(buf.Bytes())
	}
	if format == logFile {
		write([]byte("]}\n"))
	}
	return n, bw.Flush()
}
