// Package output writes CloudTrail event records in the two layouts trailguard
// offers, JSON Lines and CloudTrail's own gzipped log files, and restores a
// half-written output to a checkpointed Position after a crash.
//
// Both writers follow the same protocol, which is what makes an export
// resumable without gaps or duplicates:
//
//	Append ... Append   // records, in the order they should appear
//	Sync                // everything appended is on disk; returns the Position
//	(save the Position in a checkpoint)
//	Release             // recovery data the saved checkpoint no longer needs may go
//	...
//	Finish              // the output is complete
//
// Opening a writer at a saved Position discards whatever was written after it.
package output

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"
)

// Position is how far an output has durably been written. A checkpoint stores
// it; opening a writer at a Position restores the output to exactly that point.
type Position struct {
	// Offset is the size in bytes of the file being appended to: the JSON
	// Lines file, or the staging file of the open CloudTrail log file.
	Offset int64 `json:"offset"`
	// Chunk is the sequence number of the open CloudTrail log file; files
	// numbered below it are complete. Unused for JSON Lines.
	Chunk int `json:"chunk,omitempty"`
	// ChunkEvents is the number of records in the open log file.
	ChunkEvents int `json:"chunkEvents,omitempty"`
	// ChunkTime is the event time of the open log file's first record. It
	// names the file and its day folder: a log file holds one UTC day.
	ChunkTime time.Time `json:"chunkTime,omitzero"`
	// ChunkAccount is the account ID of the open log file's first record.
	ChunkAccount string `json:"chunkAccount,omitempty"`
}

// Writer is an output being written. It is not safe for concurrent use.
type Writer interface {
	// Append adds one record, a JSON object, with its event time.
	Append(record []byte, eventTime time.Time) error
	// Sync makes every appended record durable and returns the Position to
	// checkpoint.
	Sync() (Position, error)
	// Release tells the writer that a checkpoint holding the Position of the
	// last Sync or Finish is saved, so recovery data before it may be deleted.
	Release() error
	// Finish completes the output after the last record and returns the final
	// Position, synced.
	Finish() (Position, error)
	// Close releases the writer's files without finishing the output.
	Close() error
}

// Permissions of what the writers create: the records tell who did what in
// an account, so only the owner may read them.
const (
	FilePerm os.FileMode = 0o600
	DirPerm  os.FileMode = 0o700
)

// errNotJSON reports a record that is not a JSON value; it cannot be written
// into either layout without corrupting it.
var errNotJSON = errors.New("record is not valid JSON")

// oneLine returns record as a single line, compacting it into scratch when
// it spans lines, as JSON Lines and the staging files need one record a line.
func oneLine(record []byte, scratch *bytes.Buffer) ([]byte, error) {
	if bytes.IndexByte(record, '\n') < 0 && bytes.IndexByte(record, '\r') < 0 {
		return record, nil
	}
	scratch.Reset()
	if err := json.Compact(scratch, record); err != nil {
		return nil, fmt.Errorf("%w: %v", errNotJSON, err)
	}
	return scratch.Bytes(), nil
}
