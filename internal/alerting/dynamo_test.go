package alerting

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/trailguard/trailguard/internal/alerting/alertingtest"
)

// TestDynamoStoreLease runs the delivery state's life against dynalite, an implementation of
// DynamoDB written apart from this project: a lease is taken, held against other inputs until
// it lapses or is given up, taken over by its own input's retry at once and by another after
// it lapsed, with what was delivered kept; done is final until the item expires.
func TestDynamoStoreLease(t *testing.T) {
	db := alertingtest.StartDynalite(t)
	db.CreateTable(t, "dedupe", KeyAttribute)
	now := time.Unix(1_800_000_000, 0)
	s := &DynamoStore{Client: db.Client, Table: "dedupe", Now: func() time.Time { return now }}
	ctx := context.Background()

	type step struct {
		name    string
		do      func() (Lease, error)
		want    LeaseState
		wantDel []string
	}
	take := func(key, owner string) func() (Lease, error) {
		return func() (Lease, error) { return s.Lease(ctx, key, owner, now.Add(5*time.Minute)) }
	}
	then := func(f func() error, next func() (Lease, error)) func() (Lease, error) {
		return func() (Lease, error) {
			if err := f(); err != nil {
				return Lease{}, err
			}
			return next()
		}
	}
	advance := func(d time.Duration) func() error { return func() error { now = now.Add(d); return nil } }
	steps := []step{
		{name: "a new alert is leased", do: take("r/e1", "stream:1"), want: Leased},
		{name: "the same input's retry takes it over at once", do: take("r/e1", "stream:1"), want: Leased},
		{name: "another input finds it busy", do: take("r/e1", "sqs:m1"), want: Busy},
		{name: "a target delivered is kept for the next holder", do: then(func() error { return s.Delivered(ctx, "r/e1", TargetTopic, false) }, take("r/e1", "stream:1")),
			want: Leased, wantDel: []string{TargetTopic}},
		{name: "another input takes a lapsed lease over, with what was delivered", do: then(advance(6*time.Minute), take("r/e1", "sqs:m1")),
			want: Leased, wantDel: []string{TargetTopic}},
		{name: "a release by an input that lost the lease changes nothing", do: then(func() error { return s.Release(ctx, "r/e1", "stream:1") }, take("r/e1", "stream:1")),
			want: Busy},
		{name: "a release by the holder frees it at once", do: then(func() error { return s.Release(ctx, "r/e1", "sqs:m1") }, take("r/e1", "stream:1")),
			want: Leased, wantDel: []string{TargetTopic}},
		{name: "done is final for every input", do: then(func() error { return s.Delivered(ctx, "r/e1", TargetBus, true) }, take("r/e1", "stream:1")), want: Done},
		{name: "done, for its own input too", do: take("r/e1", "sqs:m1"), want: Done},
		{name: "a release after done changes nothing", do: then(func() error { return s.Release(ctx, "r/e1", "stream:1") }, take("r/e1", "sqs:m2")), want: Done},
		{name: "an expired item starts afresh", do: then(advance(DefaultTTL), take("r/e1", "stream:9")), want: Leased},
	}
	for _, st := range steps {
		got, err := st.do()
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if got.State != st.want || !slices.Equal(got.Delivered, st.wantDel) {
			t.Fatalf("%s: got %+v, want state %d delivered %v", st.name, got, st.want, st.wantDel)
		}
		if got.State == Busy && !got.Until.After(now) {
			t.Errorf("%s: busy until %v, want the holder's lease, after now", st.name, got.Until)
		}
	}

	// An item a version before leases wrote (a claim: key and expiry only) is a done alert.
	_, err := db.Client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("dedupe"), Item: map[string]ddbtypes.AttributeValue{
		KeyAttribute: &ddbtypes.AttributeValueMemberS{Value: "r/old"}, ExpiresAttribute: num(now.Add(time.Hour).Unix()),
	}})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.Lease(ctx, "r/old", "stream:1", now.Add(time.Minute)); err != nil || got.State != Done {
		t.Errorf("claim of the previous version: %+v, %v; want done", got, err)
	}
}
