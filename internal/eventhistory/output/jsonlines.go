package output

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/trailguard/trailguard/internal/eventhistory/durable"
)

// JSONLines writes one record a line to a single file. The file is created
// with the first record: an output without records leaves no file.
type JSONLines struct {
	path    string
	f       *os.File // nil until the first record
	w       *bufio.Writer
	pos     Position
	newFile bool // the file was created and its directory entry is not yet synced
	scratch bytes.Buffer
}

var _ Writer = (*JSONLines)(nil)

// OpenJSONLines opens the JSON Lines file at path for appending at pos,
// cutting off anything written after pos. At position 0 a file left by an
// earlier run holds nothing a checkpoint recorded: it is removed, and the
// file is created again with the first record.
func OpenJSONLines(path string, pos Position) (*JSONLines, error) {
	j := &JSONLines{path: path, pos: Position{Offset: pos.Offset}}
	if pos.Offset == 0 {
		if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
			return nil, err
		}
		return j, nil
	}
	f, err := os.OpenFile(path, os.O_RDWR, FilePerm)
	if os.IsNotExist(err) {
		return nil, fmt.Errorf("%s is missing, though the checkpoint recorded %d bytes in it: it was changed outside trailguard; start a new export in another directory", path, pos.Offset)
	}
	if err != nil {
		return nil, err
	}
	if err := truncateTo(f, pos.Offset); err != nil {
		f.Close()
		return nil, err
	}
	j.f, j.w = f, bufio.NewWriterSize(f, 256<<10)
	return j, nil
}

// create creates the file for the first record.
func (j *JSONLines) create() error {
	if err := os.MkdirAll(filepath.Dir(j.path), DirPerm); err != nil {
		return err
	}
	f, err := os.OpenFile(j.path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, FilePerm)
	if err != nil {
		return err
	}
	j.f, j.w, j.newFile = f, bufio.NewWriterSize(f, 256<<10), true
	return nil
}

// truncateTo cuts f back to size, the checkpointed length, and positions
// writes there. A file shorter than the checkpoint was changed by someone
// else: appending would leave a gap, so that is an error.
func truncateTo(f *os.File, size int64) error {
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if fi.Size() < size {
		return fmt.Errorf("%s is %d bytes, shorter than the %d bytes the checkpoint recorded: it was changed outside trailguard; start a new export in another directory", f.Name(), fi.Size(), size)
	}
	if err := f.Truncate(size); err != nil {
		return err
	}
	_, err = f.Seek(size, 0)
	return err
}

// Append writes record as one line.
func (j *JSONLines) Append(record []byte, _ time.Time) error {
	line, err := oneLine(record, &j.scratch)
	if err != nil {
		return err
	}
	if j.f == nil {
		if err := j.create(); err != nil {
			return err
		}
	}
	j.w.Write(line)
	if err := j.w.WriteByte('\n'); err != nil {
		return err
	}
	j.pos.Offset += int64(len(line)) + 1
	return nil
}

// Sync flushes and fsyncs the file.
func (j *JSONLines) Sync() (Position, error) {
	if j.f == nil {
		return j.pos, nil
	}
	if err := j.w.Flush(); err != nil {
		return Position{}, err
	}
	if err := j.f.Sync(); err != nil {
		return Position{}, fmt.Errorf("sync %s: %w", j.path, err)
	}
	if j.newFile {
		if err := durable.SyncDir(filepath.Dir(j.path)); err != nil {
			return Position{}, err
		}
		j.newFile = false
	}
	return j.pos, nil
}

// Release does nothing: a JSON Lines file keeps no recovery data.
func (j *JSONLines) Release() error { return nil }

// Finish syncs the file; a JSON Lines file needs no closing bracket.
func (j *JSONLines) Finish() (Position, error) { return j.Sync() }

// Close closes the file.
func (j *JSONLines) Close() error {
	if j.f == nil {
		return nil
	}
	return j.f.Close()
}
