package main

// What detect reads: which files of a directory hold CloudTrail records, and
// the records in a file, each decoded once.

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/csv"
	stdjson "encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/trailguard/trailguard/detect"
	"github.com/trailguard/trailguard/internal/eventhistory"
	"github.com/trailguard/trailguard/internal/eventhistory/checkpoint"
	"github.com/trailguard/trailguard/internal/eventhistory/consolefile"
	"github.com/trailguard/trailguard/internal/eventhistory/org"
	"github.com/trailguard/trailguard/internal/eventhistory/output"
)

// Why a file holds no CloudTrail records, as the summary counts them.
const (
	skipDigest    = "CloudTrail digest file, for `trailguard archive verify`"
	skipConfig    = "AWS Config file"
	skipExport    = "history export state file"
	skipStaging   = "staging file of an unfinished history export: run the export again to finish it, then detect again"
	skipOtherType = "file not of a record type"
)

// digestMessage is what detect says of a digest file given by name.
const digestMessage = "a CloudTrail digest file, not a log file: use `trailguard archive verify`"

// accountID is a 12-digit AWS account ID.
var accountID = regexp.MustCompile(`^[0-9]{12}$`)

// skipPath returns why a file found in a directory holds no CloudTrail
// records, judged by its path (slash-separated), or "" to read it.
//
// A trail delivers to <bucket>/[prefix/]AWSLogs/[o-org id/]<account>/CloudTrail/
// its log files, to .../CloudTrail-Digest/ their digests, and Insights events
// to .../CloudTrail-Insight/
// (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/get-and-view-cloudtrail-log-files.html).
// Other services deliver beside it in the same layout: AWS Config to
// .../<account>/Config/ in a Control Tower log archive
// (https://docs.aws.amazon.com/controltower/latest/userguide/logging-and-monitoring.html,
// https://docs.aws.amazon.com/config/latest/developerguide/manage-delivery-channel.html).
// A history export keeps its state in .trailguard-* files and directories.
func skipPath(p string) string {
	segs := strings.Split(p, "/")
	base := segs[len(segs)-1]
	for _, s := range segs {
		switch {
		case s == output.StagingDir:
			return skipStaging
		case s == checkpoint.FileName || s == org.StateFile || s == eventhistory.AccountsDir ||
			strings.HasPrefix(s, ".trailguard-"):
			return skipExport
		}
	}
	if !recordFile(base) {
		return skipOtherType
	}
	if isDigestName(p) {
		return skipDigest
	}
	for i, s := range segs {
		if s != "AWSLogs" {
			continue
		}
		rest := segs[i+1:]
		if len(rest) > 0 && strings.HasPrefix(rest[0], "o-") {
			rest = rest[1:]
		}
		if len(rest) < 3 || !accountID.MatchString(rest[0]) {
			continue
		}
		switch svc := rest[1]; svc {
		case "CloudTrail", "CloudTrail-Insight":
			return ""
		case "Config":
			return skipConfig
		default:
			return svc + " file (not CloudTrail)"
		}
	}
	return ""
}

// isDigestName reports whether a path names a CloudTrail digest file:
// <account>_CloudTrail-Digest_<region>_... under CloudTrail-Digest/.
func isDigestName(p string) bool {
	return strings.Contains(path.Base(p), "_CloudTrail-Digest_") || strings.Contains("/"+p, "/CloudTrail-Digest/")
}

// recordFile reports whether a file in a directory is one detect reads by
// its name: JSON, JSON Lines or CSV, optionally gzipped.
func recordFile(name string) bool {
	name = strings.TrimSuffix(strings.ToLower(name), ".gz")
	for _, ext := range []string{".json", ".jsonl", ".ndjson", ".csv"} {
		if strings.HasSuffix(name, ext) {
			return true
		}
	}
	return false
}

// notRecordsError is a file that holds something else than CloudTrail
// records: a digest file or an AWS Config file. In a directory it is skipped
// and counted; given by name it is an error.
type notRecordsError struct {
	// skip is the summary's reason (skipDigest, ...).
	skip string
	// msg says what the file is.
	msg string
}

func (e *notRecordsError) Error() string { return e.msg }

// Members whose presence at the top level of a JSON document tells what it
// is. A CloudTrail digest file
// (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-validation-digest-file-structure.html)
// and AWS Config's history and snapshot files
// (https://docs.aws.amazon.com/config/latest/developerguide/config-concepts.html#config-history)
// are JSON documents without CloudTrail records.
var otherDocuments = map[string]*notRecordsError{
	"digestStartTime":    {skipDigest, digestMessage},
	"digestS3Object":     {skipDigest, digestMessage},
	"configurationItems": {skipConfig, "an AWS Config file, not CloudTrail records: detect reads CloudTrail log files"},
	"configSnapshotId":   {skipConfig, "an AWS Config file, not CloudTrail records: detect reads CloudTrail log files"},
}

// decodeOptions read JSON as encoding/json does (see detect.DecodeJSON).
var decodeOptions = json.JoinOptions(jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))

// inputReader reads the CloudTrail records of one file, decoding each once,
// and tells its caller about each record, each value that is not a
// CloudTrail record, and each line that is not JSON.
type inputReader struct {
	// lines says the file is JSON Lines by its name (.jsonl, .ndjson): each
	// line is read on its own, so a corrupt line does not end the file.
	lines bool
	// record checks a record; its error ends the run. The record's Raw
	// is the reader's buffer, valid until record returns.
	record func(*detect.Record) error
	// skip counts a value that is not a CloudTrail record.
	skip func(what string)
	// bad reports a line (or CSV row) that is not valid JSON; the file goes on.
	bad func(where string, err error)

	values int // top-level values and array elements seen
}

// maxLine is the longest JSON Lines line held in memory (EventBridge events
// are at most 256 KB; a CloudTrail record is smaller than its log file).
const maxLine = 64 << 20

// errStop marks the record callback's error, which ends the file and the run.
type errStop struct{ err error }

func (e errStop) Error() string { return e.err.Error() }
func (e errStop) Unwrap() error { return e.err }

// read reads the file r. It returns nil when the file was read to its end
// (corrupt lines reported through bad), a *notRecordsError for a file of
// another kind, an errStop from the record callback, or else why the rest
// of the file could not be read.
func (in *inputReader) read(r io.Reader) error {
	br := bufio.NewReaderSize(r, 1<<20)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return fmt.Errorf("not a valid gzip file: %w", err)
		}
		defer zr.Close()
		br = bufio.NewReaderSize(zr, 1<<20)
	}
	if bom, _ := br.Peek(3); bytes.Equal(bom, []byte{0xef, 0xbb, 0xbf}) {
		br.Discard(3)
	}
	first, err := skipSpace(br)
	if err == io.EOF {
		return errors.New("the file is empty: no CloudTrail records")
	}
	if err != nil {
		return err
	}
	switch {
	case first != '{' && first != '[':
		return in.csv(br)
	case in.lines || firstLineComplete(br):
		return in.jsonLines(br)
	}
	return in.document(br)
}

// skipSpace skips white space and peeks at the byte after it.
func skipSpace(br *bufio.Reader) (byte, error) {
	for {
		b, err := br.ReadByte()
		if err != nil {
			return 0, err
		}
		if b != ' ' && b != '\t' && b != '\n' && b != '\r' {
			return b, br.UnreadByte()
		}
	}
}

// containerStart is the first line of a document of records, such as
// {"Records":[ or [ of a file with a record a line inside an array.
var containerStart = regexp.MustCompile(`^(\[|\{\s*"(?i:records|events)"\s*:\s*\[)`)

// firstLineComplete reports whether the buffered start of the file is JSON
// Lines, read line by line: its first line holds a whole JSON object, or
// (that line cut or corrupt) its second or third does and the first does not
// open a document. A document spread over lines (a pretty-printed log file,
// an array with a record a line) is read as a stream of values instead, as
// is a file of one line.
func firstLineComplete(br *bufio.Reader) bool {
	buf, _ := br.Peek(br.Size())
	for n := range 3 {
		i := bytes.IndexByte(buf, '\n')
		if i < 0 || len(bytes.TrimSpace(buf[i:])) == 0 {
			return false // one line: a single value either way
		}
		line := bytes.TrimSpace(buf[:i])
		if n == 0 && (len(line) <= 1 || containerStart.Match(line)) {
			return false
		}
		if len(line) > 2 && line[0] == '{' && jsontext.Value(line).IsValid(decodeOptions) {
			return true
		}
		buf = buf[i+1:]
	}
	return false
}

// jsonLines reads one JSON value a line. A line that is not valid JSON is
// reported with its number and the next line is read.
func (in *inputReader) jsonLines(br *bufio.Reader) error {
	var long []byte
	for n := 1; ; n++ {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			long = append(long[:0], line...)
			for errors.Is(err, bufio.ErrBufferFull) && len(long) <= maxLine {
				line, err = br.ReadSlice('\n')
				long = append(long, line...)
			}
			if len(long) > maxLine {
				return fmt.Errorf("line %d is longer than %d MiB: not JSON Lines; the rest of the file was not read", n, maxLine>>20)
			}
			line = long
		}
		if err != nil && err != io.EOF {
			return err
		}
		if v := bytes.TrimSpace(line); len(v) > 0 {
			if val, derr := detect.DecodeJSON(v); derr != nil {
				in.bad(fmt.Sprintf("line %d", n), fmt.Errorf("not valid JSON: %s", jsonError(derr)))
			} else if serr := in.line(val, v, n == 1); serr != nil {
				return serr
			}
		}
		if err == io.EOF {
			return nil
		}
	}
}

// document reads a stream of JSON values: {"Records":[...]} or
// {"Events":[...]} documents (whose records are read one at a time, never the
// whole file), arrays of records, or records. A syntax error ends the file:
// where the next value starts cannot be known.
func (in *inputReader) document(br *bufio.Reader) error {
	dec := jsontext.NewDecoder(br, decodeOptions)
	for top := 0; ; top++ {
		switch dec.PeekKind() {
		case '[':
			if _, err := dec.ReadToken(); err != nil {
				return in.syntax(dec, "", err)
			}
			if err := in.array(dec); err != nil {
				return err
			}
		case '{':
			if err := in.object(dec, top == 0); err != nil {
				return err
			}
		default:
			tok, err := dec.ReadToken()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return in.syntax(dec, "", err)
			}
			return fmt.Errorf("a JSON %s at the top level (at byte %d): not CloudTrail records", kindName(tok.Kind()), dec.InputOffset())
		}
	}
}

// array reads the elements of an array whose '[' was read, each a record,
// and its ']'.
func (in *inputReader) array(dec *jsontext.Decoder) error {
	for dec.PeekKind() != ']' {
		raw, err := dec.ReadValue()
		if err != nil {
			return in.syntax(dec, fmt.Sprintf("record %d: ", in.values+1), err)
		}
		// raw is the decoder's buffer: the record is checked before the
		// next read (see detect.Record.Raw).
		if err := in.raw(raw); err != nil {
			return err
		}
	}
	if _, err := dec.ReadToken(); err != nil {
		return in.syntax(dec, "", err)
	}
	return nil
}

// object reads a top-level object: a container holding the records in a
// Records or Events array (any case: the console's download and
// lookup-events), a digest or AWS Config file, or else a record.
func (in *inputReader) object(dec *jsontext.Decoder, first bool) error {
	if _, err := dec.ReadToken(); err != nil {
		return in.syntax(dec, "", err)
	}
	var members [][]byte // "key":value, kept in case it is a record
	container := false
	for dec.PeekKind() == '"' {
		tok, err := dec.ReadToken()
		if err != nil {
			return in.syntax(dec, "", err)
		}
		key := tok.String()
		if first && !container {
			if e, ok := otherDocuments[key]; ok {
				return e
			}
		}
		if (strings.EqualFold(key, "Records") || strings.EqualFold(key, "Events")) && dec.PeekKind() == '[' {
			container = true
			dec.ReadToken()
			if err := in.array(dec); err != nil {
				return err
			}
			continue
		}
		k, _ := stdjson.Marshal(key)
		v, err := dec.ReadValue()
		if err != nil {
			return in.syntax(dec, "", err)
		}
		if !container {
			members = append(members, append(append(k, ':'), v...))
		}
	}
	if _, err := dec.ReadToken(); err != nil { // '}'
		return in.syntax(dec, "", err)
	}
	if container {
		return nil
	}
	return in.raw(append(append([]byte{'{'}, bytes.Join(members, []byte{','})...), '}'))
}

// syntax is the error that ends a document: where it broke, and that the
// rest of the file was not read.
func (in *inputReader) syntax(dec *jsontext.Decoder, where string, err error) error {
	cut := ""
	if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
		cut = " (the file is cut short)"
	}
	return fmt.Errorf("%snot valid JSON at byte %d: %s%s; the rest of the file was not read", where, dec.InputOffset(), jsonError(err), cut)
}

// jsonError shortens a decoding error for a person.
func jsonError(err error) string {
	s := err.Error()
	for _, p := range []string{"jsontext: ", "json: "} {
		s = strings.ReplaceAll(s, p, "")
	}
	return s
}

// raw decodes one value.
func (in *inputReader) raw(b []byte) error {
	v, err := detect.DecodeJSON(b)
	if err != nil {
		in.bad(fmt.Sprintf("record %d", in.values+1), fmt.Errorf("not valid JSON: %s", jsonError(err)))
		return nil
	}
	return in.value(v, b, false)
}

// value handles one decoded value, whose JSON is raw: a record (a
// CloudTrail record, a LookupEvents event, an EventBridge event), a
// container of records, or something else, which is skipped and counted.
// first says it is the file's first value, where a digest or AWS Config
// file is recognized.
func (in *inputReader) value(v any, raw []byte, first bool) error {
	in.values++
	switch x := v.(type) {
	case map[string]any:
		if first {
			for k := range otherDocuments {
				if _, ok := x[k]; ok {
					return otherDocuments[k]
				}
			}
		}
		if _, plain := x["eventName"]; !plain {
			if done, err := in.wrapped(x); done {
				return err
			}
		}
		rec, err := detect.NewRecord(x, raw)
		var nc *detect.NotCloudTrailError
		if errors.As(err, &nc) {
			in.skip(nc.What)
			return nil
		}
		if err != nil {
			return err
		}
		if err := in.record(rec); err != nil {
			return errStop{err}
		}
		return nil
	}
	in.skip("JSON " + detect.JSONKind(v))
	return nil
}

// line handles the value of a JSON Lines line: a record, a container, or an
// array of records.
func (in *inputReader) line(v any, raw []byte, first bool) error {
	list, ok := v.([]any)
	if !ok {
		return in.value(v, raw, first)
	}
	for _, e := range list {
		if err := in.value(e, marshal(e), false); err != nil {
			return err
		}
	}
	return nil
}

// wrapped reads the records inside x, a LookupEvents event (its
// CloudTrailEvent) or a container on one line ({"Records":[...]}), and
// reports whether x was one.
func (in *inputReader) wrapped(x map[string]any) (bool, error) {
	for k, m := range x {
		switch {
		case strings.EqualFold(k, "CloudTrailEvent"):
			// A LookupEvents event: the record is its CloudTrailEvent, a JSON
			// string (as the API returns it) or an object.
			in.values--
			s, ok := m.(string)
			if !ok {
				return true, in.value(m, marshal(m), false)
			}
			b := []byte(s)
			inner, err := detect.DecodeJSON(b)
			if err != nil {
				in.bad(fmt.Sprintf("record %d", in.values+1), fmt.Errorf("CloudTrailEvent is not valid JSON: %s", jsonError(err)))
				return true, nil
			}
			return true, in.value(inner, b, false)
		case strings.EqualFold(k, "Records") || strings.EqualFold(k, "Events"):
			list, ok := m.([]any)
			if !ok {
				continue
			}
			for _, e := range list {
				if err := in.value(e, marshal(e), false); err != nil {
					return true, err
				}
			}
			return true, nil
		}
	}
	return false, nil
}

// marshal encodes a value decoded from a nested position (records inside a
// line, a LookupEvents event's object), whose own bytes were not kept.
func marshal(v any) []byte {
	b, _ := stdjson.Marshal(v)
	return b
}

func kindName(k jsontext.Kind) string {
	switch k {
	case 'n':
		return "null"
	case 't', 'f':
		return "boolean"
	case '"':
		return "string"
	case '0':
		return "number"
	}
	return "value"
}

// csv reads a CSV file whose header names a column holding the full event
// (CloudTrail event, CloudTrailEvent, ...), as an Event History download
// may. A file that is not text is neither JSON nor CSV.
func (in *inputReader) csv(br *bufio.Reader) error {
	head, _ := br.Peek(min(br.Buffered(), 512))
	if len(head) == 0 {
		head, _ = br.Peek(1)
	}
	line := head
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	if !isText(head) || !bytes.ContainsAny(line, ",;\t") {
		start := head[:min(len(head), 4)]
		// An error even in a directory: unlike a digest or a Config file,
		// nothing says it is not a damaged log file.
		return fmt.Errorf("not JSON or CSV text (it starts with % x): not CloudTrail records", start)
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	header, err := cr.Read()
	if err != nil {
		return fmt.Errorf("not JSON, and not CSV either: %w", err)
	}
	col, err := consolefile.EventColumn(header)
	if err != nil {
		return err
	}
	for {
		row, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("not valid CSV: %w; the rest of the file was not read", err)
		}
		line, _ := cr.FieldPos(0)
		where := fmt.Sprintf("line %d", line)
		if col >= len(row) || strings.TrimSpace(row[col]) == "" {
			in.bad(where, fmt.Errorf("no event in column %q", header[col]))
			continue
		}
		b := []byte(row[col])
		v, err := detect.DecodeJSON(b)
		if err != nil {
			in.bad(where, fmt.Errorf("column %q is not valid JSON: %s", header[col], jsonError(err)))
			continue
		}
		if err := in.value(v, b, false); err != nil {
			return err
		}
	}
}

// isText reports whether b looks like text: UTF-8 (a cut last rune aside)
// without control characters other than white space.
func isText(b []byte) bool {
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size <= 1 {
			return len(b) < utf8.UTFMax && !utf8.FullRune(b)
		}
		if r < ' ' && r != '\t' && r != '\n' && r != '\r' || r == 0x7f {
			return false
		}
		b = b[size:]
	}
	return true
}
