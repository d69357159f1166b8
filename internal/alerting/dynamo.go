package alerting

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/trailguard/trailguard/internal/alertspec"
)

// Attributes of the dedupe table's items.
const (
	// KeyAttribute is the partition key: the dedupe key (a string).
	KeyAttribute = alertspec.KeyAttribute
	// ExpiresAttribute is the item's time to live, in Unix seconds (the table's TTL
	// attribute).
	ExpiresAttribute = alertspec.ExpiresAttribute
	// StateAttribute is an alert's delivery state: StatePending or StateDone.
	StateAttribute = "state"
	// OwnerAttribute is the input that holds a pending alert's lease.
	OwnerAttribute = "owner"
	// LeaseAttribute is when a pending alert's lease lapses, in Unix milliseconds.
	LeaseAttribute = "leaseUntil"
	// DeliveredAttribute is the string set of the targets that accepted the alert.
	DeliveredAttribute = "delivered"
)

// Values of StateAttribute.
const (
	StatePending = "pending"
	StateDone    = "done"
)

// DefaultTTL is how long a dedupe key is remembered: longer than the archive path's delay
// (about 15 minutes, hours when CloudTrail is late) and a stream's retention of 7 days, so a
// replay of the stream does not alert again.
const DefaultTTL = alertspec.DefaultTTL

// DynamoDBAPI is the part of the DynamoDB client the store uses.
type DynamoDBAPI interface {
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
}

// DynamoStore is a Store in a DynamoDB table whose partition key is KeyAttribute (a string)
// and whose TTL attribute is ExpiresAttribute. The stream and archive functions share it.
// Every call is one request, conditional where two callers may race, so that one alert's
// lease has one holder at a time.
type DynamoStore struct {
	// Client and Table: the table. Required.
	Client DynamoDBAPI
	Table  string
	// TTL is how long a key is remembered. Default: DefaultTTL.
	TTL time.Duration
	// Now returns the time. Default: time.Now.
	Now func() time.Time
}

func (s *DynamoStore) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *DynamoStore) key(key string) map[string]ddbtypes.AttributeValue {
	return map[string]ddbtypes.AttributeValue{KeyAttribute: &ddbtypes.AttributeValueMemberS{Value: key}}
}

func (s *DynamoStore) fail(err error) error { return fmt.Errorf("dedupe table %s: %w", s.Table, err) }

func num(n int64) *ddbtypes.AttributeValueMemberN {
	return &ddbtypes.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
}

func str(v string) *ddbtypes.AttributeValueMemberS { return &ddbtypes.AttributeValueMemberS{Value: v} }

// Lease implements Store. It takes a pending lease (keeping what was delivered) when the
// item is absent, pending and lapsed, or pending and owner's; then, when the item expired
// (DynamoDB deletes expired items only eventually), starts it afresh; else reads it to
// report Done or Busy.
func (s *DynamoStore) Lease(ctx context.Context, key, owner string, until time.Time) (Lease, error) {
	now := s.now()
	ttl := s.TTL
	if ttl == 0 {
		ttl = DefaultTTL
	}
	names := map[string]string{"#k": KeyAttribute, "#e": ExpiresAttribute, "#s": StateAttribute, "#o": OwnerAttribute, "#l": LeaseAttribute}
	out, err := s.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:        aws.String(s.Table),
		Key:              s.key(key),
		UpdateExpression: aws.String("SET #s = :pending, #o = :owner, #l = :until, #e = if_not_exists(#e, :expires)"),
		ConditionExpression: aws.String("attribute_not_exists(#k) OR " +
			"(#e >= :nowSec AND #s = :pending AND (#l < :nowMs OR #o = :owner))"),
		ExpressionAttributeNames: names,
		ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{
			":pending": str(StatePending), ":owner": str(owner),
			":until": num(until.UnixMilli()), ":expires": num(now.Add(ttl).Unix()),
			":nowSec": num(now.Unix()), ":nowMs": num(now.UnixMilli()),
		},
		ReturnValues: ddbtypes.ReturnValueAllNew,
	})
	var failed *ddbtypes.ConditionalCheckFailedException
	switch {
	case err == nil:
		return Lease{State: Leased, Delivered: stringSet(out.Attributes[DeliveredAttribute])}, nil
	case !errors.As(err, &failed):
		return Lease{}, s.fail(err)
	}
	// Expired: start afresh, unless another caller did in between.
	_, err = s.Client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(s.Table),
		Item: map[string]ddbtypes.AttributeValue{
			KeyAttribute: str(key), StateAttribute: str(StatePending), OwnerAttribute: str(owner),
			LeaseAttribute: num(until.UnixMilli()), ExpiresAttribute: num(now.Add(ttl).Unix()),
		},
		ConditionExpression:       aws.String("#e < :nowSec"),
		ExpressionAttributeNames:  map[string]string{"#e": ExpiresAttribute},
		ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":nowSec": num(now.Unix())},
	})
	switch {
	case err == nil:
		return Lease{State: Leased}, nil
	case !errors.As(err, &failed):
		return Lease{}, s.fail(err)
	}
	got, err := s.Client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.Table), Key: s.key(key), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return Lease{}, s.fail(err)
	}
	if state, _ := got.Item[StateAttribute].(*ddbtypes.AttributeValueMemberS); state == nil || state.Value == StateDone {
		// An item without a state was written by a version before leases: a done claim.
		return Lease{State: Done}, nil
	}
	ms, _ := got.Item[LeaseAttribute].(*ddbtypes.AttributeValueMemberN)
	var lapse time.Time
	if ms != nil {
		if n, err := strconv.ParseInt(ms.Value, 10, 64); err == nil {
			lapse = time.UnixMilli(n)
		}
	}
	// The lease changed hands or lapsed between the calls: the caller asks again.
	return Lease{State: Busy, Until: lapse}, nil
}

// stringSet returns the members of a string set attribute, or nil.
func stringSet(v ddbtypes.AttributeValue) []string {
	if ss, ok := v.(*ddbtypes.AttributeValueMemberSS); ok {
		return ss.Value
	}
	return nil
}

// Delivered implements Store: the target is added to the item's set (adding it twice
// changes nothing) and, when done, the item is done, in one UpdateItem.
func (s *DynamoStore) Delivered(ctx context.Context, key, target string, done bool) error {
	in := &dynamodb.UpdateItemInput{
		TableName:                 aws.String(s.Table),
		Key:                       s.key(key),
		UpdateExpression:          aws.String("ADD #d :t"),
		ExpressionAttributeNames:  map[string]string{"#d": DeliveredAttribute},
		ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":t": &ddbtypes.AttributeValueMemberSS{Value: []string{target}}},
	}
	if done {
		in.UpdateExpression = aws.String("ADD #d :t SET #s = :done REMOVE #o, #l")
		maps.Copy(in.ExpressionAttributeNames, map[string]string{"#s": StateAttribute, "#o": OwnerAttribute, "#l": LeaseAttribute})
		in.ExpressionAttributeValues[":done"] = str(StateDone)
	}
	if _, err := s.Client.UpdateItem(ctx, in); err != nil {
		return s.fail(err)
	}
	return nil
}

// Release implements Store: the lease lapses now, if owner still holds it.
func (s *DynamoStore) Release(ctx context.Context, key, owner string) error {
	_, err := s.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(s.Table),
		Key:                      s.key(key),
		UpdateExpression:         aws.String("SET #l = :zero"),
		ConditionExpression:      aws.String("#s = :pending AND #o = :owner"),
		ExpressionAttributeNames: map[string]string{"#s": StateAttribute, "#o": OwnerAttribute, "#l": LeaseAttribute},
		ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{
			":pending": str(StatePending), ":owner": str(owner), ":zero": num(0),
		},
	})
	var failed *ddbtypes.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &failed) {
		return s.fail(err)
	}
	return nil
}
