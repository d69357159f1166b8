package execute

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/trailguard/trailguard/internal/respond"
)

// Window is the span the rate limits count actions over.
const Window = time.Hour

// Ledger counts the actions taken (enforced), per resource and per account, for the rate
// limit and circuit breaker (respond.Policy.Throttle).
type Ledger interface {
	// Counts returns the actions on t's resource and in t's account since since.
	Counts(ctx context.Context, t *respond.Target, since time.Time) (respond.Counts, error)
	// Record records an action on t for alertID at at. Recording the same alert twice (a
	// retry) counts it once.
	Record(ctx context.Context, t *respond.Target, alertID string, at time.Time) error
}

// MemoryLedger is a Ledger for one process (tests, and a function without a table).
type MemoryLedger struct {
	mu    sync.Mutex
	items map[string]map[string]time.Time // pk -> alert ID -> time
}

func (m *MemoryLedger) count(pk string, since time.Time) int {
	n := 0
	for _, at := range m.items[pk] {
		if !at.Before(since) {
			n++
		}
	}
	return n
}

// Counts implements Ledger.
func (m *MemoryLedger) Counts(_ context.Context, t *respond.Target, since time.Time) (respond.Counts, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return respond.Counts{Resource: m.count(resourcePK(t), since), Account: m.count(accountPK(t), since)}, nil
}

// Record implements Ledger.
func (m *MemoryLedger) Record(_ context.Context, t *respond.Target, alertID string, at time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.items == nil {
		m.items = map[string]map[string]time.Time{}
	}
	for _, pk := range []string{resourcePK(t), accountPK(t)} {
		if m.items[pk] == nil {
			m.items[pk] = map[string]time.Time{}
		}
		if _, ok := m.items[pk][alertID]; !ok {
			m.items[pk][alertID] = at
		}
	}
	return nil
}

func resourcePK(t *respond.Target) string { return "resource#" + t.Key() }
func accountPK(t *respond.Target) string  { return "account#" + t.Account }

// DynamoDBAPI is the part of the DynamoDB client the ledger uses.
type DynamoDBAPI interface {
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
}

// DynamoLedger is a Ledger in the responder's DynamoDB table (partition key pk, sort key sk,
// both strings; TTL attribute expires): one item per action and counter, keyed by the alert
// ID so that a retry overwrites its own item, expiring a day after the action.
type DynamoLedger struct {
	Client DynamoDBAPI
	Table  string
}

// Counts implements Ledger.
func (l *DynamoLedger) Counts(ctx context.Context, t *respond.Target, since time.Time) (respond.Counts, error) {
	var c respond.Counts
	for _, q := range []struct {
		pk string
		n  *int
	}{{resourcePK(t), &c.Resource}, {accountPK(t), &c.Account}} {
		var start map[string]ddbtypes.AttributeValue
		for {
			out, err := l.Client.Query(ctx, &dynamodb.QueryInput{
				TableName:                 aws.String(l.Table),
				KeyConditionExpression:    aws.String("pk = :pk"),
				FilterExpression:          aws.String("#at >= :since"),
				ExpressionAttributeNames:  map[string]string{"#at": "at"},
				ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":pk": &ddbtypes.AttributeValueMemberS{Value: q.pk}, ":since": &ddbtypes.AttributeValueMemberN{Value: strconv.FormatInt(since.Unix(), 10)}},
				Select:                    ddbtypes.SelectCount,
				ConsistentRead:            aws.Bool(true),
				ExclusiveStartKey:         start,
			})
			if err != nil {
				return c, fmt.Errorf("count the actions of %s: %w", q.pk, err)
			}
			*q.n += int(out.Count)
			if len(out.LastEvaluatedKey) == 0 {
				break
			}
			start = out.LastEvaluatedKey
		}
	}
	return c, nil
}

// Record implements Ledger.
func (l *DynamoLedger) Record(ctx context.Context, t *respond.Target, alertID string, at time.Time) error {
	for _, pk := range []string{resourcePK(t), accountPK(t)} {
		_, err := l.Client.PutItem(ctx, &dynamodb.PutItemInput{
			TableName: aws.String(l.Table),
			Item: map[string]ddbtypes.AttributeValue{
				"pk":      &ddbtypes.AttributeValueMemberS{Value: pk},
				"sk":      &ddbtypes.AttributeValueMemberS{Value: alertID},
				"at":      &ddbtypes.AttributeValueMemberN{Value: strconv.FormatInt(at.Unix(), 10)},
				"expires": &ddbtypes.AttributeValueMemberN{Value: strconv.FormatInt(at.Add(24*time.Hour).Unix(), 10)},
			},
			// A retry of the same alert keeps the first time.
			ConditionExpression: aws.String("attribute_not_exists(pk)"),
		})
		var cf *ddbtypes.ConditionalCheckFailedException
		if err != nil && !asErr(err, &cf) {
			return fmt.Errorf("record the action on %s: %w", pk, err)
		}
	}
	return nil
}
