package detect

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestParseRecordKinds checks what ParseRecord says of JSON that is not a
// CloudTrail record: a NotCloudTrailError naming what it is, which readers
// skip and count, apart from JSON that is not valid.
func TestParseRecordKinds(t *testing.T) {
	tests := []struct {
		name, data string
		// what is the NotCloudTrailError's What; "" for a record.
		what string
		// invalid says the JSON is not valid.
		invalid bool
	}{
		{name: "record", data: `{"eventName":"StopLogging","eventSource":"cloudtrail.amazonaws.com","eventID":"x"}`},
		{name: "EventBridge CloudTrail event", data: `{"detail-type":"AWS API Call via CloudTrail","detail":{"eventName":"StopLogging"}}`},
		{name: "trailguard heartbeat", data: `{"detail-type":"trailguard heartbeat","source":"trailguard.heartbeat","detail":{}}`, what: `EventBridge event of detail-type "trailguard heartbeat"`},
		{name: "GuardDuty finding", data: `{"detail-type":"GuardDuty Finding","detail":{"type":"Recon:EC2/PortProbeUnprotectedPort"}}`, what: `EventBridge event of detail-type "GuardDuty Finding"`},
		{name: "object without eventName", data: `{"eventID":"x"}`, what: "JSON object without eventName"},
		{name: "eventName not a string", data: `{"eventName":1}`, what: "JSON object without eventName"},
		{name: "array", data: `[1]`, what: "JSON array"},
		{name: "null", data: `null`, what: "JSON null"},
		{name: "string", data: `"x"`, what: "JSON string"},
		{name: "cut short", data: `{"eventName":`, invalid: true},
		{name: "not JSON", data: `eventName=x`, invalid: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, err := ParseRecord([]byte(tt.data))
			var nc *NotCloudTrailError
			switch {
			case tt.invalid:
				if err == nil || errors.Is(err, ErrNotCloudTrail) {
					t.Errorf("err = %v, want invalid JSON", err)
				}
			case tt.what != "":
				if !errors.As(err, &nc) || nc.What != tt.what || !errors.Is(err, ErrNotCloudTrail) {
					t.Errorf("err = %v, want not a CloudTrail record: %s", err, tt.what)
				}
			case err != nil:
				t.Errorf("err = %v, want a record", err)
			case rec.EventName() != "StopLogging":
				t.Errorf("eventName %q", rec.EventName())
			}
		})
	}
}

// TestDecodeJSONAsEncodingJSON checks that DecodeJSON gives what
// encoding/json.Unmarshal gives, on every fixture record and on the JSON
// where decoders differ: duplicate names, invalid UTF-8, numbers, escapes.
func TestDecodeJSONAsEncodingJSON(t *testing.T) {
	inputs := []string{
		`{"a":1,"a":2}`,
		`{"userIdentity":{"type":"Root","arn":"x"},"userIdentity":{"type":"AssumedRole"}}`,
		"{\"a\":\"\xff\xfe\"}",
		`{"n":12345678901234567890,"f":1.5e3,"z":-0,"neg":-12}`,
		`{"s":"\u00e9\ud83d\ude00\n\"","e":"","u":null,"t":true,"l":[1,"x",{},[]]}`,
	}
	files, _ := filepath.Glob("testdata/rules/*.json")
	files = append(files, "testdata/ordinary.json")
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var fx fixture
		if err := json.Unmarshal(raw, &fx); err != nil {
			t.Fatal(err)
		}
		for _, c := range fx.Cases {
			for _, r := range c.Records {
				inputs = append(inputs, string(r))
			}
		}
	}
	for _, in := range inputs {
		var want any
		if err := json.Unmarshal([]byte(in), &want); err != nil {
			t.Fatalf("encoding/json: %v: %s", err, in)
		}
		got, err := DecodeJSON([]byte(in))
		if err != nil {
			t.Errorf("DecodeJSON: %v: %s", err, in)
			continue
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("DecodeJSON(%.80s) (-encoding/json +got):\n%s", in, diff)
		}
	}
}
