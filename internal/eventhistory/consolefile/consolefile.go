// Package consolefile reads the files people have at hand after an incident
// and yields the CloudTrail event records in them: the Event History page's
// JSON download, the output of aws cloudtrail lookup-events, CloudTrail log
// files (gzipped or not), JSON Lines, and CSV files with a column holding the
// full event.
//
// The console's JSON download is a {"Records":[...]} document like a log
// file, but its shape is not specified, so the reader is lenient about it:
//
//   - the records may sit in a top-level array, or in the first array-valued
//     member named Records or Events (any case), or be concatenated objects;
//   - a record may be a CloudTrail record (it has eventID, eventTime, ...),
//     a LookupEvents event whose CloudTrailEvent member holds the record,
//     as a JSON string or an object, or an EventBridge event whose detail is
//     the record (as the real-time stream carries it).
//
// Files are read as a stream: a large download does not have to fit in memory.
package consolefile

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// ErrNoRecords is Read's error for a well-formed file without a record, such
// as {"Records":[]}.
var ErrNoRecords = errors.New("the file holds no event records")

// Read calls fn with each record in the file r, a compact JSON object, in
// file order. It stops at fn's first error and returns it.
func Read(r io.Reader, fn func(record []byte) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return err
		}
		defer zr.Close()
		br = bufio.NewReaderSize(zr, 64<<10)
	}
	first, err := firstByte(br)
	if err == io.EOF {
		return errors.New("the file is empty")
	}
	if err != nil {
		return err
	}
	rd := &reader{fn: fn}
	if first == '{' || first == '[' {
		return rd.json(br)
	}
	return rd.csv(br)
}

// firstByte skips a byte order mark and white space and peeks at what follows.
func firstByte(br *bufio.Reader) (byte, error) {
	if bom, _ := br.Peek(3); bytes.Equal(bom, []byte{0xef, 0xbb, 0xbf}) {
		br.Discard(3)
	}
	for {
		b, err := br.ReadByte()
		if err != nil {
			return 0, err
		}
		if !isSpace(b) {
			return b, br.UnreadByte()
		}
	}
}

func isSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\n' || b == '\r' }

type reader struct {
	fn      func([]byte) error
	n       int // records yielded
	scratch bytes.Buffer
}

// json reads one or more top-level JSON values.
func (rd *reader) json(r io.Reader) error {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			if rd.n == 0 {
				return ErrNoRecords
			}
			return nil
		}
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('['):
			if err := rd.array(dec); err != nil {
				return err
			}
		case json.Delim('{'):
			if err := rd.object(dec); err != nil {
				return err
			}
		default:
			return fmt.Errorf("unexpected %v at the top level; want an object or an array of event records", tok)
		}
	}
}

// array reads the elements of an array whose '[' was consumed, each a record.
func (rd *reader) array(dec *json.Decoder) error {
	for dec.More() {
		var elem json.RawMessage
		if err := dec.Decode(&elem); err != nil {
			return fmt.Errorf("record %d: %w", rd.n+1, err)
		}
		if err := rd.element(elem); err != nil {
			return err
		}
	}
	_, err := dec.Token() // ']'
	return err
}

// object reads an object whose '{' was consumed: a container holding the
// records in a Records or Events array, or else a record itself.
func (rd *reader) object(dec *json.Decoder) error {
	var members []string // raw "key":value pairs, kept in case it is a record
	container := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		key, _ := tok.(string)
		if !container && (strings.EqualFold(key, "Records") || strings.EqualFold(key, "Events")) {
			next, err := dec.Token()
			if err != nil {
				return err
			}
			if next == json.Delim('[') {
				container = true
				if err := rd.array(dec); err != nil {
					return err
				}
				continue
			}
			// Not an array: an ordinary member after all. Only arrays and
			// objects can be split like this, and a record's Records or
			// Events member would be neither in CloudTrail's schema.
			return fmt.Errorf("member %q is not an array of event records", key)
		}
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			return err
		}
		if !container {
			k, _ := json.Marshal(key)
			members = append(members, string(k)+":"+string(value))
		}
	}
	if _, err := dec.Token(); err != nil { // '}'
		return err
	}
	if container {
		return nil
	}
	return rd.element([]byte("{" + strings.Join(members, ",") + "}"))
}

// element yields one array element or top-level object as a record.
func (rd *reader) element(elem []byte) error {
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(elem, &probe); err != nil {
		return fmt.Errorf("record %d is not a JSON object", rd.n+1)
	}
	record := elem
	if inner, ok := member(probe, "CloudTrailEvent"); ok {
		// A LookupEvents event: the record is its CloudTrailEvent, a JSON
		// string (as the API returns it) or an object.
		var s string
		if err := json.Unmarshal(inner, &s); err == nil {
			record = []byte(s)
		} else {
			record = inner
		}
	} else if detail, ok := probe["detail"]; ok && probe["detail-type"] != nil && bytes.HasPrefix(bytes.TrimSpace(detail), []byte("{")) {
		// An EventBridge event ("AWS API Call via CloudTrail"): the record
		// is its detail.
		record = detail
	} else if _, ok := member(probe, "eventID"); !ok {
		if _, ok := member(probe, "eventTime"); !ok {
			return fmt.Errorf("record %d has neither eventID, eventTime nor CloudTrailEvent: not a CloudTrail event", rd.n+1)
		}
	}
	return rd.yield(record)
}

// member looks a key up case-insensitively.
func member(m map[string]json.RawMessage, key string) (json.RawMessage, bool) {
	if v, ok := m[key]; ok {
		return v, true
	}
	for k, v := range m {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	return nil, false
}

func (rd *reader) yield(record []byte) error {
	rd.scratch.Reset()
	if err := json.Compact(&rd.scratch, record); err != nil {
		return fmt.Errorf("record %d is not valid JSON: %w", rd.n+1, err)
	}
	if rd.scratch.Len() == 0 || rd.scratch.Bytes()[0] != '{' {
		return fmt.Errorf("record %d is not a JSON object", rd.n+1)
	}
	rd.n++
	return rd.fn(rd.scratch.Bytes())
}

// EventColumn returns the index of the column of a CSV header that holds the full event
// (CloudTrail event, CloudTrailEvent, Event record, ...), or an error that says why a CSV
// without one cannot be read: its other columns are a summary, not the record.
func EventColumn(header []string) (int, error) {
	for i, h := range header {
		name := strings.ToLower(strings.NewReplacer(" ", "", "_", "", "-", "").Replace(strings.TrimSpace(h)))
		if name == "cloudtrailevent" || name == "eventrecord" || name == "event" {
			return i, nil
		}
	}
	return -1, errors.New("the CSV file has no column with the full event (such as \"CloudTrail event\"): its columns are a summary that cannot be turned into CloudTrail records; download the JSON file from the Event history page instead")
}

// csv reads a CSV file whose header names a column holding the full event
// (CloudTrail event, CloudTrailEvent, ...). Without one the file cannot be
// converted: the other columns are a summary, not the record.
func (rd *reader) csv(r io.Reader) error {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	header, err := cr.Read()
	if err != nil {
		return fmt.Errorf("the file is neither JSON nor CSV: %w", err)
	}
	col, err := EventColumn(header)
	if err != nil {
		return err
	}
	for {
		row, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if col >= len(row) || strings.TrimSpace(row[col]) == "" {
			return fmt.Errorf("CSV row %d has no event in column %q", rd.n+2, header[col])
		}
		if err := rd.element([]byte(row[col])); err != nil {
			return err
		}
	}
	if rd.n == 0 {
		return ErrNoRecords
	}
	return nil
}
