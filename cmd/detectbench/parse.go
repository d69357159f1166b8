package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
)

// parseOnly decodes every record of a generated file with encoding/json
// into map[string]any and nothing more: the floor that trailguard detect is
// measured against. A log file's records are decoded one by one from the
// stream (never the whole file at once), JSON Lines value by value.
func parseOnly(path string, format fileFormat) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	dec := json.NewDecoder(bufio.NewReaderSize(f, 64<<10))
	n := 0
	if format == logFile {
		// {"Records":[ ... ]}
		for _, want := range []any{json.Delim('{'), "Records", json.Delim('[')} {
			if tok, err := dec.Token(); err != nil || tok != want {
				return n, fmt.Errorf("want %v, got %v (%v)", want, tok, err)
			}
		}
	}
	for dec.More() {
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			return n, err
		}
		n++
	}
	if format == logFile {
		for range 2 { // ']' '}'
			if _, err := dec.Token(); err != nil {
				return n, err
			}
		}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return n, fmt.Errorf("data after the records: %v", err)
	}
	return n, nil
}
