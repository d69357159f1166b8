package alerting

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Attributes of the dedupe table's items.
const (
	// KeyAttribute is the partition key: the dedupe key (a string).
	KeyAttribute = "dedupeKey"
	// ExpiresAttribute is the item's time to live, in Unix seconds (the table's TTL
	// attribute).
	ExpiresAttribute = "expires"
)

// DefaultTTL is how long a dedupe key is remembered: longer than the archive path's delay
// (about 15 minutes, hours when CloudTrail is late) and a stream's retention of 7 days, so a
// replay of the stream does not alert again.
const DefaultTTL = 8 * 24 * time.Hour

// DynamoDBAPI is the part of the DynamoDB client the store uses.
type DynamoDBAPI interface {
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
}

// DynamoStore is a Store in a DynamoDB table whose partition key is KeyAttribute (a string)
// and whose TTL attribute is ExpiresAttribute. The stream and archive functions share it.
type DynamoStore struct {
	// Client and Table: the table. Required.
	Client DynamoDBAPI
	Table  string
	// TTL is how long a key is remembered. Default: DefaultTTL.
	TTL time.Duration
	// Now returns the time. Default: time.Now.
	Now func() time.Time
}

// Claim implements Store with a conditional put: the key is new when no item holds it, or
// the item has expired (DynamoDB deletes expired items only eventually).
func (s *DynamoStore) Claim(ctx context.Context, key string) (bool, error) {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	ttl := s.TTL
	if ttl == 0 {
		ttl = DefaultTTL
	}
	t := now()
	_, err := s.Client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(s.Table),
		Item: map[string]ddbtypes.AttributeValue{
			KeyAttribute:     &ddbtypes.AttributeValueMemberS{Value: key},
			ExpiresAttribute: &ddbtypes.AttributeValueMemberN{Value: strconv.FormatInt(t.Add(ttl).Unix(), 10)},
		},
		ConditionExpression:      aws.String("attribute_not_exists(#k) OR #e < :now"),
		ExpressionAttributeNames: map[string]string{"#k": KeyAttribute, "#e": ExpiresAttribute},
		ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{
			":now": &ddbtypes.AttributeValueMemberN{Value: strconv.FormatInt(t.Unix(), 10)},
		},
	})
	var failed *ddbtypes.ConditionalCheckFailedException
	switch {
	case errors.As(err, &failed):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("dedupe table %s: %w", s.Table, err)
	}
	return true, nil
}

// Release implements Store.
func (s *DynamoStore) Release(ctx context.Context, key string) error {
	_, err := s.Client.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName: aws.String(s.Table),
		Key:       map[string]ddbtypes.AttributeValue{KeyAttribute: &ddbtypes.AttributeValueMemberS{Value: key}},
	})
	if err != nil {
		return fmt.Errorf("dedupe table %s: %w", s.Table, err)
	}
	return nil
}
