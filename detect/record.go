package detect

import (
	"bytes"
	stdjson "encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	jsonv1 "github.com/go-json-experiment/json/v1"
)

// Record is one CloudTrail event record, decoded once and shared by every
// rule that looks at it.
type Record struct {
	// Raw is the record's JSON as given. ParseRecord and NewRecord keep the
	// bytes they were given: they must not change while the record is in
	// use, that is until Detector.Process returns (or Flush, with a
	// BatchThresholdStore). Alerts keep a copy.
	Raw stdjson.RawMessage
	// Fields are the record's top-level members.
	Fields map[string]any

	// What the engine reads of every record, read once.
	eventName, eventSource, eventID string
	// What conditions and exceptions read, computed on first use.
	derived                  bool
	principal, account, role string
}

// objectFields are the record members that CloudTrail writes as objects but
// may leave out or set to null. A record without one gets an empty object, so
// a condition can always test has(requestParameters.x).
var objectFields = []string{"userIdentity", "requestParameters", "responseElements", "additionalEventData", "serviceEventDetails", "tlsDetails"}

// ErrNotCloudTrail is matched (errors.Is) by the error of ParseRecord and
// NewRecord for JSON that is valid but not a CloudTrail record.
var ErrNotCloudTrail = errors.New("not a CloudTrail record")

// NotCloudTrailError is the error of ParseRecord and NewRecord for JSON that
// is valid but not a CloudTrail record, such as another EventBridge event
// (trailguard's heartbeat, an event of another detail-type) forwarded with
// the CloudTrail events. Readers skip and count such records.
type NotCloudTrailError struct {
	// What says what the JSON is instead, such as
	// `EventBridge event of detail-type "trailguard heartbeat"`.
	What string
}

// Error says what the JSON is instead of a CloudTrail record.
func (e *NotCloudTrailError) Error() string { return "not a CloudTrail record: " + e.What }

// Is makes errors.Is(err, ErrNotCloudTrail) true.
func (e *NotCloudTrailError) Is(target error) bool { return target == ErrNotCloudTrail }

// JSON is decoded into map[string]any as encoding/json decodes it, only
// faster: invalid UTF-8 is replaced by U+FFFD, numbers are float64, and
// duplicate member names (which CloudTrail does not write) are accepted, the
// last one winning. Records without duplicates take the decoder's fast path
// for any; the others are decoded again with the options that accept them.
var (
	fastOptions    = jsontext.AllowInvalidUTF8(true)
	lenientOptions = json.JoinOptions(jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true), jsonv1.MergeWithLegacySemantics(true))
)

// DecodeJSON decodes a JSON value as encoding/json.Unmarshal decodes it into
// an any (objects as map[string]any, numbers as float64), in one pass: the
// decoding of ParseRecord, for readers that look at a value before making a
// Record of it (NewRecord).
func DecodeJSON(data []byte) (any, error) {
	var v any
	err := json.Unmarshal(data, &v, fastOptions)
	if errors.Is(err, jsontext.ErrDuplicateName) {
		v = nil
		err = json.Unmarshal(data, &v, lenientOptions)
	}
	return v, err
}

// ParseRecord decodes a CloudTrail record. It also accepts an EventBridge
// event whose detail is the record ("AWS API Call via CloudTrail", as the
// stream carries it) and unwraps it. JSON that is valid but not a record
// gives a *NotCloudTrailError. The record keeps data as its Raw.
func ParseRecord(data []byte) (*Record, error) {
	v, err := DecodeJSON(data)
	if err != nil {
		return nil, fmt.Errorf("not valid JSON: %w", err)
	}
	fields, ok := v.(map[string]any)
	if !ok {
		return nil, &NotCloudTrailError{What: "JSON " + JSONKind(v)}
	}
	return NewRecord(fields, data)
}

// NewRecord makes a record of the decoded JSON object fields, whose JSON is
// raw, for readers that decode their input themselves (each record is decoded
// once). Like ParseRecord, it unwraps an EventBridge event, and returns a
// *NotCloudTrailError for an object that is not a CloudTrail record. It keeps
// fields and raw.
func NewRecord(fields map[string]any, raw []byte) (*Record, error) {
	if detail, ok := fields["detail"].(map[string]any); ok {
		if dt, envelope := fields["detail-type"]; envelope {
			// An EventBridge event: its detail is the record, if it is one.
			// https://docs.aws.amazon.com/eventbridge/latest/ref/events-structure.html
			if _, ok := detail["eventName"].(string); !ok {
				return nil, &NotCloudTrailError{What: fmt.Sprintf("EventBridge event of detail-type %q", fmt.Sprint(dt))}
			}
			fields, raw = detail, member(raw, "detail")
		}
	}
	name, ok := fields["eventName"].(string)
	if !ok {
		return nil, &NotCloudTrailError{What: "JSON object without eventName"}
	}
	for _, f := range objectFields {
		if _, ok := fields[f].(map[string]any); !ok {
			fields[f] = map[string]any{}
		}
	}
	r := &Record{Raw: raw, Fields: fields, eventName: name}
	r.eventSource, _ = fields["eventSource"].(string)
	r.eventID, _ = fields["eventID"].(string)
	return r, nil
}

// member returns the JSON of the top-level member name of the object data,
// scanning it without decoding, or nil.
func member(data []byte, name string) []byte {
	dec := jsontext.NewDecoder(bytes.NewReader(data), lenientOptions)
	if tok, err := dec.ReadToken(); err != nil || tok.Kind() != '{' {
		return nil
	}
	for dec.PeekKind() == '"' {
		tok, err := dec.ReadToken()
		if err != nil {
			return nil
		}
		key := tok.String() // before the next read invalidates tok
		v, err := dec.ReadValue()
		if err != nil {
			return nil
		}
		if key == name {
			return v
		}
	}
	return nil
}

// JSONKind names the JSON type of a decoded value (null, array, string,
// number, boolean), as messages about input that is not a record say it.
func JSONKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case []any:
		return "array"
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "boolean"
	}
	return "value"
}

// compactJSON returns Raw compacted, as an alert's JSON holds it: the form
// hashed for records without an eventID, so that every copy of a record
// hashes alike.
func (r *Record) compactJSON() []byte {
	var b bytes.Buffer
	if err := stdjson.Compact(&b, r.Raw); err != nil {
		return bytes.Clone(r.Raw)
	}
	return b.Bytes()
}

// str returns a string member of the record, or "".
func (r *Record) str(key string) string {
	s, _ := r.Fields[key].(string)
	return s
}

// path returns the string at a path of object members, or "".
func (r *Record) path(keys ...string) string {
	var v any = r.Fields
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return ""
		}
		v = m[k]
	}
	s, _ := v.(string)
	return s
}

// EventID returns the record's eventID.
func (r *Record) EventID() string { return r.eventID }

// EventName returns the record's eventName.
func (r *Record) EventName() string { return r.eventName }

// EventSource returns the record's eventSource, such as iam.amazonaws.com.
func (r *Record) EventSource() string { return r.eventSource }

// EventTime returns the record's eventTime, or the zero time when it is
// missing or malformed.
func (r *Record) EventTime() time.Time {
	t, err := time.Parse(time.RFC3339, r.str("eventTime"))
	if err != nil {
		return time.Time{}
	}
	return t
}

// Region returns the record's awsRegion.
func (r *Record) Region() string { return r.str("awsRegion") }

// derive computes, once, what conditions and exceptions read of the caller.
func (r *Record) derive() {
	if !r.derived {
		r.derived = true
		r.principal, r.account, r.role = r.principalOf(), r.accountOf(), r.roleOf()
	}
}

// AccountID returns the account the event happened in: recipientAccountId,
// else the account of the caller.
func (r *Record) AccountID() string {
	r.derive()
	return r.account
}

// Principal returns who made the call, as specifically as the record says:
// the caller's ARN (for an assumed role, the role session's), the service
// for an AWS service, else the user name or principal id with its type.
func (r *Record) Principal() string {
	r.derive()
	return r.principal
}

// Role returns the name of the IAM role the caller acts as, or "" when the
// caller is not a role session.
func (r *Record) Role() string {
	r.derive()
	return r.role
}

func (r *Record) accountOf() string {
	if a := r.str("recipientAccountId"); a != "" {
		return a
	}
	return r.path("userIdentity", "accountId")
}

func (r *Record) principalOf() string {
	if arn := r.path("userIdentity", "arn"); arn != "" {
		return arn
	}
	typ := r.path("userIdentity", "type")
	if typ == "AWSService" {
		if by := r.path("userIdentity", "invokedBy"); by != "" {
			return by
		}
	}
	for _, k := range []string{"userName", "principalId"} {
		if v := r.path("userIdentity", k); v != "" {
			if typ != "" {
				return typ + ":" + v
			}
			return v
		}
	}
	if a := r.path("userIdentity", "accountId"); a != "" {
		return typ + ":" + a
	}
	return typ
}

func (r *Record) roleOf() string {
	if name := r.path("userIdentity", "sessionContext", "sessionIssuer", "userName"); name != "" &&
		r.path("userIdentity", "sessionContext", "sessionIssuer", "type") == "Role" {
		return name
	}
	// assumed-role/NAME/SESSION, in records without a session context.
	arn := r.path("userIdentity", "arn")
	if i := strings.Index(arn, ":assumed-role/"); i >= 0 {
		rest := arn[i+len(":assumed-role/"):]
		if j := strings.IndexByte(rest, '/'); j >= 0 {
			return rest[:j]
		}
		return rest
	}
	return ""
}

// requestTags returns the tags a request sets, as "key=value": the
// requestParameters' tags (a list of Key/Value pairs or a map) and EC2's
// tagSpecificationSet.
func (r *Record) requestTags() []string {
	rp, _ := r.Fields["requestParameters"].(map[string]any)
	var out []string
	for k, v := range rp {
		switch strings.ToLower(k) {
		case "tags", "taglist", "tagset":
			out = appendTags(out, v)
		case "tagspecificationset":
			spec, _ := v.(map[string]any)
			items, _ := spec["items"].([]any)
			for _, it := range items {
				m, _ := it.(map[string]any)
				out = appendTags(out, m["tags"])
			}
		}
	}
	return out
}

func appendTags(out []string, v any) []string {
	switch t := v.(type) {
	case map[string]any:
		for k, val := range t {
			if s, ok := val.(string); ok {
				out = append(out, k+"="+s)
			}
		}
	case []any:
		for _, e := range t {
			m, _ := e.(map[string]any)
			var key, val string
			for k, x := range m {
				s, _ := x.(string)
				switch strings.ToLower(k) {
				case "key":
					key = s
				case "value":
					val = s
				}
			}
			if key != "" {
				out = append(out, key+"="+val)
			}
		}
	}
	return out
}
