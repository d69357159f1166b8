package main

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/trailguard/trailguard/detect"
)

// TestEvent: the benchmark's Kinesis event decodes as Lambda's, and each record is a stream
// event whose CloudTrail record has a new eventID.
func TestEvent(t *testing.T) {
	pool, err := recordPool(filepath.Join("..", "..", "detect", "testdata"))
	if err != nil {
		t.Fatal(err)
	}
	if len(pool) < 100 {
		t.Fatalf("pool of %d records, want the fixtures' hundreds", len(pool))
	}
	var ev events.KinesisEvent
	if err := json.Unmarshal(event(pool, 7, 3), &ev); err != nil {
		t.Fatal(err)
	}
	if len(ev.Records) != 3 {
		t.Fatalf("%d records, want 3", len(ev.Records))
	}
	seen := map[string]bool{}
	for _, r := range ev.Records {
		rec, err := detect.ParseRecord(r.Kinesis.Data)
		if err != nil {
			t.Fatal(err)
		}
		if id := rec.EventID(); seen[id] || id == "" {
			t.Errorf("eventID %q repeats or is empty", id)
		}
		seen[rec.EventID()] = true
	}
}

func TestRecordPoolNeedsTheModuleRoot(t *testing.T) {
	if _, err := recordPool(filepath.Join(t.TempDir(), "none")); err == nil {
		t.Error("recordPool of a missing directory succeeded")
	}
}
