package detect

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Record is one CloudTrail event record, decoded once and shared by every
// rule that looks at it.
type Record struct {
	// Raw is the record's JSON as given (an alert's JSON encoding compacts
	// it).
	Raw json.RawMessage
	// Fields are the record's top-level members.
	Fields map[string]any
}

// objectFields are the record members that CloudTrail writes as objects but
// may leave out or set to null. A record without one gets an empty object, so
// a condition can always test has(requestParameters.x).
var objectFields = []string{"userIdentity", "requestParameters", "responseElements", "additionalEventData", "serviceEventDetails", "tlsDetails"}

// ParseRecord decodes a CloudTrail record. It also accepts an EventBridge
// event whose detail is the record ("AWS API Call via CloudTrail", as the
// stream carries it) and unwraps it.
func ParseRecord(data []byte) (*Record, error) {
	var fields map[string]any
	if err := json.Unmarshal(data, &fields); err != nil {
		return nil, fmt.Errorf("not a JSON object: %w", err)
	}
	if fields == nil {
		return nil, errors.New("not a JSON object: null")
	}
	raw := data
	if detail, ok := fields["detail"].(map[string]any); ok {
		if _, envelope := fields["detail-type"]; envelope {
			var env struct {
				Detail json.RawMessage `json:"detail"`
			}
			if err := json.Unmarshal(data, &env); err != nil {
				return nil, err
			}
			fields, raw = detail, env.Detail
		}
	}
	if _, ok := fields["eventName"].(string); !ok {
		return nil, errors.New("not a CloudTrail record: no eventName")
	}
	for _, f := range objectFields {
		if _, ok := fields[f].(map[string]any); !ok {
			fields[f] = map[string]any{}
		}
	}
	return &Record{Raw: raw, Fields: fields}, nil
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
func (r *Record) EventID() string { return r.str("eventID") }

// EventName returns the record's eventName.
func (r *Record) EventName() string { return r.str("eventName") }

// EventSource returns the record's eventSource, such as iam.amazonaws.com.
func (r *Record) EventSource() string { return r.str("eventSource") }

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

// AccountID returns the account the event happened in: recipientAccountId,
// else the account of the caller.
func (r *Record) AccountID() string {
	if a := r.str("recipientAccountId"); a != "" {
		return a
	}
	return r.path("userIdentity", "accountId")
}

// Principal returns who made the call, as specifically as the record says:
// the caller's ARN (for an assumed role, the role session's), the service
// for an AWS service, else the user name or principal id with its type.
func (r *Record) Principal() string {
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

// Role returns the name of the IAM role the caller acts as, or "" when the
// caller is not a role session.
func (r *Record) Role() string {
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
