package upgrade

import (
	"bytes"
	"compress/gzip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// spec is a small service spec: SQS queues replace on QueueName and FifoQueue, S3 buckets on
// BucketName; IAM roles are not stateful; AWS::Demo::Cache is stateful by the spec only.
var spec = Spec{
	"AWS::SQS::Queue":  {Stateful: true, Replacing: map[string]string{"QueueName": "yes", "FifoQueue": "yes"}},
	"AWS::S3::Bucket":  {Stateful: true, Replacing: map[string]string{"BucketName": "yes"}},
	"AWS::IAM::Role":   {Replacing: map[string]string{"RoleName": "yes"}},
	"AWS::Demo::Cache": {Stateful: true},
}

func queue(props map[string]any) Resource {
	return Resource{Type: "AWS::SQS::Queue", Properties: props, DeletionPolicy: "RetainExceptOnCreate", UpdateReplacePolicy: "Retain"}
}

func TestCompare(t *testing.T) {
	base := map[string]Template{"s": {Resources: map[string]Resource{
		"Q":    queue(map[string]any{"QueueName": "trailguard-q", "MessageRetentionPeriod": 1209600}),
		"Role": {Type: "AWS::IAM::Role", Properties: map[string]any{"RoleName": "trailguard-r"}},
	}}}
	with := func(edit func(r map[string]Resource)) map[string]Template {
		rs := map[string]Resource{}
		for k, v := range base["s"].Resources {
			rs[k] = v
		}
		edit(rs)
		return map[string]Template{"s": {Resources: rs}}
	}
	tests := []struct {
		name string
		new  map[string]Template
		want []Change
	}{
		{"unchanged", base, nil},
		{"an in-place update", with(func(r map[string]Resource) {
			r["Q"] = queue(map[string]any{"QueueName": "trailguard-q", "MessageRetentionPeriod": 604800})
		}), nil},
		{"a deletion policy changed", with(func(r map[string]Resource) {
			q := r["Q"]
			q.DeletionPolicy = "Retain"
			r["Q"] = q
		}), nil},
		{"a resource added", with(func(r map[string]Resource) { r["Q2"] = queue(nil) }), nil},
		{"a stateless resource replaced", with(func(r map[string]Resource) {
			r["Role"] = Resource{Type: "AWS::IAM::Role", Properties: map[string]any{"RoleName": "trailguard-other"}}
		}), nil},
		{"a stateless resource deleted", with(func(r map[string]Resource) { delete(r, "Role") }), nil},
		{"a replacing property changed", with(func(r map[string]Resource) {
			r["Q"] = queue(map[string]any{"QueueName": "trailguard-q2", "MessageRetentionPeriod": 1209600})
		}), []Change{{Stack: "s", LogicalID: "Q", Type: "AWS::SQS::Queue", Kind: Replaced, Property: "QueueName", Retained: true}}},
		{"a replacing property added", with(func(r map[string]Resource) {
			r["Q"] = queue(map[string]any{"QueueName": "trailguard-q", "MessageRetentionPeriod": 1209600, "FifoQueue": true})
		}), []Change{{Stack: "s", LogicalID: "Q", Type: "AWS::SQS::Queue", Kind: Replaced, Property: "FifoQueue", Retained: true}}},
		{"a logical ID changed", with(func(r map[string]Resource) { r["Q2"] = r["Q"]; delete(r, "Q") }),
			[]Change{{Stack: "s", LogicalID: "Q", Type: "AWS::SQS::Queue", Kind: Deleted, Retained: true}}},
		{"a type changed", with(func(r map[string]Resource) { r["Q"] = Resource{Type: "AWS::SNS::Topic"} }),
			[]Change{{Stack: "s", LogicalID: "Q", Type: "AWS::SQS::Queue", Kind: Replaced, Property: "Type", Retained: true}}},
		{"a stack removed", map[string]Template{},
			[]Change{{Stack: "s", LogicalID: "Q", Type: "AWS::SQS::Queue", Kind: Deleted, Retained: true}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, Compare(base, tc.new, spec)); diff != "" {
				t.Errorf("Compare (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCompareStatefulTypes: the listed types are stateful whatever the spec says, and the
// spec's stateful types are too.
func TestCompareStatefulTypes(t *testing.T) {
	for _, typ := range []string{"AWS::KMS::Alias", "AWS::Organizations::Policy", "AWS::Demo::Cache"} {
		old := map[string]Template{"s": {Resources: map[string]Resource{"R": {Type: typ}}}}
		if got := Compare(old, map[string]Template{"s": {}}, spec); len(got) != 1 || got[0].Kind != Deleted {
			t.Errorf("%s deleted: got %v, want one deletion", typ, got)
		}
	}
}

// TestCompareStackSet: a resource replaced in the template a StackSet deploys is replaced in
// every account.
func TestCompareStackSet(t *testing.T) {
	stackSet := func(body string) map[string]Template {
		return map[string]Template{"m": {Resources: map[string]Resource{"Set": {Type: "AWS::CloudFormation::StackSet", Properties: map[string]any{"TemplateBody": body}}}}}
	}
	old := stackSet(`{"Resources":{"Q":{"Type":"AWS::SQS::Queue","Properties":{"QueueName":"trailguard-a"}}}}`)
	got := Compare(old, stackSet(`{"Resources":{"Q":{"Type":"AWS::SQS::Queue","Properties":{"QueueName":"trailguard-b"}}}}`), spec)
	want := []Change{{Stack: "m/Set", LogicalID: "Q", Type: "AWS::SQS::Queue", Kind: Replaced, Property: "QueueName"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Compare (-want +got):\n%s", diff)
	}
}

func TestGate(t *testing.T) {
	changes := []Change{{Stack: "s", LogicalID: "A"}, {Stack: "s", LogicalID: "B"}}
	ms, err := LoadMigrations("m.yaml", []byte("- change: s/A\n  note: renamed on purpose; run X to clean up\n- change: s/C\n  note: an earlier upgrade\n- change: s/B\n  note: \"\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	unlisted, stale := Gate(changes, ms)
	if diff := cmp.Diff([]Change(nil), unlisted); diff != "" {
		t.Errorf("unlisted (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]Migration{{Change: "s/C", Note: "an earlier upgrade"}, {Change: "s/B"}}, stale); diff != "" {
		t.Errorf("stale or without a note (-want +got):\n%s", diff)
	}
	if unlisted, _ := Gate(changes, ms[:1]); len(unlisted) != 1 || unlisted[0].ID() != "s/B" {
		t.Errorf("unlisted = %v, want s/B", unlisted)
	}
	if _, err := LoadMigrations("m.yaml", []byte("- change: s/A\n  why: typo\n")); err == nil || !strings.Contains(err.Error(), "m.yaml") {
		t.Errorf("an unknown key: got %v, want an error naming the file", err)
	}
}

func TestLoadSpec(t *testing.T) {
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	gz.Write([]byte(`{"idCtr":1,"schema":{"resource":{"entities":[{"cloudFormationType":"AWS::SQS::Queue","isStateful":true,"properties":{"QueueName":{"causesReplacement":"yes"},"DelaySeconds":{},"FifoQueue":{"causesReplacement":"maybe"}}}]}}}`))
	gz.Close()
	got, err := LoadSpec(&buf)
	if err != nil {
		t.Fatal(err)
	}
	want := Spec{"AWS::SQS::Queue": {Stateful: true, Replacing: map[string]string{"QueueName": "yes", "FifoQueue": "maybe"}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("LoadSpec (-want +got):\n%s", diff)
	}
	if _, err := LoadSpec(strings.NewReader("not gzip")); err == nil {
		t.Error("LoadSpec of a non-gzip input: no error")
	}
}
