package output

import (
	"bufio"
	"bytes"
	"cmp"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/trailguard/trailguard/internal/eventhistory/durable"
)

// StagingDir is the directory, under the output directory, where CloudTrail
// writers keep the records of log files not yet complete. It is removed when
// every writer has finished.
const StagingDir = ".trailguard-staging"

// DefaultEventsPerFile is how many records a CloudTrail log file holds at
// most unless configured otherwise.
const DefaultEventsPerFile = 5000

// CloudTrail writes records as CloudTrail log files, in the layout a trail
// delivers to S3:
//
//	AWSLogs/<account>/CloudTrail/<region>/<yyyy>/<mm>/<dd>/
//	    <account>_CloudTrail_<region>_<yyyymmddThhmmZ>_trailguard<nnnnnn>.json.gz
//
// Each file is a gzipped {"Records":[...]} document holding the records of one
// UTC day, at most a configured number of them, in the order appended. The
// timestamp in the name is the first record's event time, and nnnnnn numbers
// the region's files in the order written.
//
// The records of the open file are appended to a staging file first; the log
// file is written in one piece (atomically) when it is full, when the day
// changes, or at Finish. So a log file is either complete or absent.
type CloudTrail struct {
	dir, region string
	account     string // fixed account, or "" for each file's first record's
	maxEvents   int
	staging     string   // staging directory of this region
	f           *os.File // the open log file's staging file; nil until its first record
	w           *bufio.Writer
	pos         Position
	synced      Position // the Position of the last Sync or Finish
	newFile     bool     // a staging file was created since the last Sync
	finished    bool
	scratch     bytes.Buffer
}

var _ Writer = (*CloudTrail)(nil)

// OpenCloudTrail opens the CloudTrail log files of region under dir at pos.
// It deletes log files and staging data written after pos, so that the output
// is exactly what the checkpoint holding pos describes. maxEvents <= 0 means
// DefaultEventsPerFile.
func OpenCloudTrail(dir, region string, maxEvents int, pos Position) (*CloudTrail, error) {
	return openCloudTrail(dir, "", region, maxEvents, pos)
}

// OpenCloudTrailAccount is OpenCloudTrail for one account's log files in a
// directory that holds several accounts' (as an organization's export does):
// the files go under AWSLogs/<account>/ whatever their records say, and the
// writer touches no other account's files.
func OpenCloudTrailAccount(dir, account, region string, maxEvents int, pos Position) (*CloudTrail, error) {
	if !safeSegment.MatchString(account) {
		return nil, fmt.Errorf("%q is not an account ID", account)
	}
	return openCloudTrail(dir, account, region, maxEvents, pos)
}

func openCloudTrail(dir, account, region string, maxEvents int, pos Position) (*CloudTrail, error) {
	if maxEvents <= 0 {
		maxEvents = DefaultEventsPerFile
	}
	dir = filepath.Clean(dir)
	region = pathSegment(region, "unknown-region")
	c := &CloudTrail{
		dir:       dir,
		account:   account,
		region:    region,
		maxEvents: maxEvents,
		staging:   filepath.Join(dir, StagingDir, account, region),
		pos:       pos,
		synced:    pos,
	}
	if err := c.removeLogFilesFrom(pos.Chunk); err != nil {
		return nil, err
	}
	// Staging files other than the open log file's, and the open one's at
	// offset 0, hold nothing the checkpoint recorded.
	entries, err := os.ReadDir(c.staging)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	for _, e := range entries {
		if seq, ok := stagingSeq(e.Name()); !ok || seq != pos.Chunk || pos.Offset == 0 {
			if err := os.Remove(filepath.Join(c.staging, e.Name())); err != nil {
				return nil, err
			}
		}
	}
	if pos.Offset == 0 {
		return c, nil // the staging file is created with the first record
	}
	if err := c.openStaging(); err != nil {
		return nil, err
	}
	if err := truncateTo(c.f, pos.Offset); err != nil {
		c.f.Close()
		return nil, err
	}
	return c, nil
}

// logFileName matches the names CloudTrail writers give log files and
// captures the sequence number.
var logFileName = regexp.MustCompile(`_trailguard(\d{6,})\.json\.gz$`)

// removeLogFilesFrom deletes this region's log files numbered from on (and
// temporary files), which a crash may have left after the last checkpoint.
func (c *CloudTrail) removeLogFilesFrom(from int) error {
	accounts, err := os.ReadDir(filepath.Join(c.dir, "AWSLogs"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, acct := range accounts {
		if c.account != "" && acct.Name() != c.account {
			continue
		}
		root := filepath.Join(c.dir, "AWSLogs", acct.Name(), "CloudTrail", c.region)
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if errors.Is(err, fs.ErrNotExist) && path == root {
				return filepath.SkipDir
			}
			if err != nil || d.IsDir() {
				return err
			}
			stale := durable.IsTemp(d.Name())
			if m := logFileName.FindStringSubmatch(d.Name()); m != nil {
				seq, _ := strconv.Atoi(m[1])
				stale = stale || seq >= from
			}
			if stale {
				return os.Remove(path)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func stagingName(seq int) string { return fmt.Sprintf("%06d.jsonl", seq) }

func stagingSeq(name string) (int, bool) {
	digits, ok := strings.CutSuffix(name, ".jsonl")
	if !ok {
		return 0, false
	}
	seq, err := strconv.Atoi(digits)
	return seq, err == nil
}

// openStaging opens (or creates) the staging file of the open log file.
func (c *CloudTrail) openStaging() error {
	if err := mkdirAllSynced(c.staging, c.dir); err != nil {
		return err
	}
	path := filepath.Join(c.staging, stagingName(c.pos.Chunk))
	_, statErr := os.Stat(path)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, FilePerm)
	if err != nil {
		return err
	}
	if os.IsNotExist(statErr) {
		c.newFile = true
	}
	c.f = f
	if c.w == nil {
		c.w = bufio.NewWriterSize(f, 256<<10)
	} else {
		c.w.Reset(f)
	}
	return nil
}

// Append adds record to the open log file, first completing that file when
// it is full or record belongs to another UTC day.
func (c *CloudTrail) Append(record []byte, eventTime time.Time) error {
	if c.finished {
		return errors.New("append after finish")
	}
	line, err := oneLine(record, &c.scratch)
	if err != nil {
		return err
	}
	eventTime = eventTime.UTC()
	if c.pos.ChunkEvents > 0 && (c.pos.ChunkEvents >= c.maxEvents || !sameDay(eventTime, c.pos.ChunkTime)) {
		if err := c.seal(); err != nil {
			return err
		}
		c.pos = Position{Chunk: c.pos.Chunk + 1}
		c.f = nil
	}
	if c.f == nil {
		if err := c.openStaging(); err != nil {
			return err
		}
	}
	if c.pos.ChunkEvents == 0 {
		c.pos.ChunkTime = eventTime
		c.pos.ChunkAccount = cmp.Or(c.account, accountOf(line))
	}
	c.w.Write(line)
	if err := c.w.WriteByte('\n'); err != nil {
		return err
	}
	c.pos.Offset += int64(len(line)) + 1
	c.pos.ChunkEvents++
	return nil
}

func sameDay(a, b time.Time) bool {
	ay, am, ad := a.Date()
	by, bm, bd := b.UTC().Date()
	return ay == by && am == bm && ad == bd
}

// seal writes the open log file from its staging file. The staging file
// stays until a checkpoint past this file is saved (see Release): if the
// process dies first, the restored writer deletes the log file and rebuilds
// it from the staging file.
func (c *CloudTrail) seal() error {
	if err := c.w.Flush(); err != nil {
		return err
	}
	path := c.logFilePath(c.pos)
	if err := mkdirAllSynced(filepath.Dir(path), c.dir); err != nil {
		return err
	}
	size := c.pos.Offset
	err := durable.WriteFile(path, FilePerm, func(w io.Writer) error {
		gz, err := gzip.NewWriterLevel(w, gzip.DefaultCompression)
		if err != nil {
			return err
		}
		io.WriteString(gz, `{"Records":[`)
		if err := copyRecords(gz, io.NewSectionReader(c.f, 0, size), size); err != nil {
			return err
		}
		io.WriteString(gz, "]}")
		return gz.Close()
	})
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return c.f.Close()
}

// copyRecords copies size bytes of newline-terminated records from src to
// dst as the elements of a JSON array: each newline but the last becomes a
// comma, and the last is dropped.
func copyRecords(dst io.Writer, src io.Reader, size int64) error {
	buf := make([]byte, 64<<10)
	for done := int64(0); done < size; {
		n := int(min(int64(len(buf)), size-done))
		if _, err := io.ReadFull(src, buf[:n]); err != nil {
			return err
		}
		chunk := buf[:n]
		for i, b := range chunk {
			if b == '\n' {
				chunk[i] = ','
			}
		}
		done += int64(n)
		if done == size {
			chunk = chunk[:n-1]
		}
		if _, err := dst.Write(chunk); err != nil {
			return err
		}
	}
	return nil
}

// logFilePath names the log file of pos after CloudTrail's convention.
func (c *CloudTrail) logFilePath(pos Position) string {
	t := pos.ChunkTime.UTC()
	acct := pathSegment(pos.ChunkAccount, "unknown-account")
	name := fmt.Sprintf("%s_CloudTrail_%s_%s_trailguard%06d.json.gz", acct, c.region, t.Format("20060102T1504Z"), pos.Chunk)
	return filepath.Join(c.dir, "AWSLogs", acct, "CloudTrail", c.region,
		t.Format("2006"), t.Format("01"), t.Format("02"), name)
}

// Sync flushes and fsyncs the staging file of the open log file.
func (c *CloudTrail) Sync() (Position, error) {
	if c.finished {
		return c.pos, nil
	}
	if c.f == nil {
		c.synced = c.pos
		return c.pos, nil
	}
	if err := c.w.Flush(); err != nil {
		return Position{}, err
	}
	if err := c.f.Sync(); err != nil {
		return Position{}, fmt.Errorf("sync %s: %w", c.f.Name(), err)
	}
	if c.newFile {
		if err := durable.SyncDir(c.staging); err != nil {
			return Position{}, err
		}
		c.newFile = false
	}
	c.synced = c.pos
	return c.pos, nil
}

// Release deletes the staging files of log files completed before the last
// synced Position, and after Finish the whole staging directory.
func (c *CloudTrail) Release() error {
	if c.finished {
		if err := os.RemoveAll(c.staging); err != nil {
			return err
		}
		// Fails while other regions still stage: fine.
		for d := filepath.Dir(c.staging); d != c.dir && os.Remove(d) == nil; d = filepath.Dir(d) {
		}
		return nil
	}
	entries, err := os.ReadDir(c.staging)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range entries {
		if seq, ok := stagingSeq(e.Name()); ok && seq < c.synced.Chunk {
			if err := os.Remove(filepath.Join(c.staging, e.Name())); err != nil {
				return err
			}
		}
	}
	return nil
}

// Finish writes the last log file, if it has records.
func (c *CloudTrail) Finish() (Position, error) {
	if c.finished {
		return c.pos, nil
	}
	if c.pos.ChunkEvents > 0 {
		if err := c.seal(); err != nil {
			return Position{}, err
		}
		c.pos = Position{Chunk: c.pos.Chunk + 1}
	} else if c.f != nil {
		if err := c.f.Close(); err != nil {
			return Position{}, err
		}
	}
	c.f = nil
	c.finished = true
	c.synced = c.pos
	return c.pos, nil
}

// Close closes the staging file without completing the open log file.
func (c *CloudTrail) Close() error {
	if c.finished || c.f == nil {
		c.finished = true
		return nil
	}
	c.finished = true
	return c.f.Close()
}

// accountOf returns the account ID a record belongs to.
func accountOf(record []byte) string {
	var r struct {
		RecipientAccountID string `json:"recipientAccountId"`
		UserIdentity       struct {
			AccountID string `json:"accountId"`
		} `json:"userIdentity"`
	}
	json.Unmarshal(record, &r) // a record without these fields lands under unknown-account
	if r.RecipientAccountID != "" {
		return r.RecipientAccountID
	}
	return r.UserIdentity.AccountID
}

var safeSegment = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]*$`)

// pathSegment returns s if it is safe as one path segment (account IDs and
// region names are), else fallback: records come from outside and must not
// steer files elsewhere.
func pathSegment(s, fallback string) string {
	if safeSegment.MatchString(s) {
		return s
	}
	return fallback
}

// mkdirAllSynced creates dir and any missing parents up to root, and fsyncs
// the parent of each directory it creates below root, so that the new
// directory entries, and the files later written in them, survive a crash.
func mkdirAllSynced(dir, root string) error {
	if dir == root {
		return os.MkdirAll(root, DirPerm)
	}
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	parent := filepath.Dir(dir)
	if parent == dir {
		return nil // reached the file system root: dir is not below root
	}
	if err := mkdirAllSynced(parent, root); err != nil {
		return err
	}
	if err := os.Mkdir(dir, DirPerm); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return durable.SyncDir(parent)
}
