package coverage

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/trailguard/trailguard/internal/coveragespec"
)

// EnvTable is the environment variable naming the coverage table, for the stream function
// (which records heartbeats) and the monitor function.
const EnvTable = coveragespec.EnvTable

// Attributes of the coverage table's items, one per pair.
const (
	// KeyAttribute is the partition key: Pair.Key() (a string).
	KeyAttribute = coveragespec.KeyAttribute
	// LastSeenAttribute is the latest heartbeat's arrival, Unix seconds; written only by
	// the stream function.
	LastSeenAttribute = "lastSeen"
	// ArchiveSeenAttribute is the latest archive activity's eventTime, Unix seconds
	// (ArchiveActivity); written only by the archive function, never mixed with lastSeen: a
	// pair with archive activity and no heartbeat is in use without a forwarder.
	ArchiveSeenAttribute = "archiveSeen"
	// StateAttribute and SinceAttribute are written only by the monitor.
	StateAttribute = "state"
	SinceAttribute = "since"
)

// DynamoDBAPI is the part of the DynamoDB client the table uses.
type DynamoDBAPI interface {
	// UpdateItem is (*dynamodb.Client).UpdateItem: Record, RecordArchive and Save use it.
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	// Scan is (*dynamodb.Client).Scan: Table.Scan reads every row with it.
	Scan(ctx context.Context, in *dynamodb.ScanInput, opts ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error)
}

// Table is the coverage table. The stream function and the monitor write different
// attributes of an item (UpdateItem), so neither overwrites the other's.
type Table struct {
	// Client is the DynamoDB client, such as dynamodb.NewFromConfig(cfg).
	Client DynamoDBAPI
	// Name is the table's name (the functions read it from EnvTable).
	Name string
}

// Record stores hb's arrival as its pair's last heartbeat, unless a later one is stored
// already (a replayed or reordered heartbeat never moves it back).
func (t *Table) Record(ctx context.Context, hb Heartbeat) error {
	_, err := t.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(t.Name),
		Key:                      map[string]ddbtypes.AttributeValue{KeyAttribute: &ddbtypes.AttributeValueMemberS{Value: hb.Pair.Key()}},
		UpdateExpression:         aws.String("SET #l = :t"),
		ConditionExpression:      aws.String("attribute_not_exists(#l) OR #l < :t"),
		ExpressionAttributeNames: map[string]string{"#l": LastSeenAttribute},
		ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{
			":t": &ddbtypes.AttributeValueMemberN{Value: strconv.FormatInt(hb.Arrived.Unix(), 10)},
		},
	})
	var older *ddbtypes.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &older) {
		return fmt.Errorf("coverage table %s: record heartbeat of %s: %w", t.Name, hb.Pair, err)
	}
	return nil
}

// RecordArchive stores a's time as its pair's latest archive activity, unless a later one
// is stored already (a log file processed again, or out of order, never moves it back).
func (t *Table) RecordArchive(ctx context.Context, a ArchiveActivity) error {
	_, err := t.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(t.Name),
		Key:                      map[string]ddbtypes.AttributeValue{KeyAttribute: &ddbtypes.AttributeValueMemberS{Value: a.Pair.Key()}},
		UpdateExpression:         aws.String("SET #a = :t"),
		ConditionExpression:      aws.String("attribute_not_exists(#a) OR #a < :t"),
		ExpressionAttributeNames: map[string]string{"#a": ArchiveSeenAttribute},
		ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{
			":t": &ddbtypes.AttributeValueMemberN{Value: strconv.FormatInt(a.At.Unix(), 10)},
		},
	})
	var older *ddbtypes.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &older) {
		return fmt.Errorf("coverage table %s: record archive activity of %s: %w", t.Name, a.Pair, err)
	}
	return nil
}

// Scan reads every row.
func (t *Table) Scan(ctx context.Context) ([]PairState, error) {
	var rows []PairState
	var start map[string]ddbtypes.AttributeValue
	for {
		out, err := t.Client.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(t.Name), ExclusiveStartKey: start})
		if err != nil {
			return nil, fmt.Errorf("coverage table %s: scan: %w", t.Name, err)
		}
		for _, item := range out.Items {
			r, err := rowOf(item)
			if err != nil {
				return nil, fmt.Errorf("coverage table %s: %w", t.Name, err)
			}
			rows = append(rows, r)
		}
		if len(out.LastEvaluatedKey) == 0 {
			return rows, nil
		}
		start = out.LastEvaluatedKey
	}
}

func rowOf(item map[string]ddbtypes.AttributeValue) (PairState, error) {
	var r PairState
	key, _ := item[KeyAttribute].(*ddbtypes.AttributeValueMemberS)
	if key == nil {
		return r, fmt.Errorf("item without %s", KeyAttribute)
	}
	account, region, ok := cut(key.Value)
	if !ok {
		return r, fmt.Errorf("item %q: want <account>:<region>", key.Value)
	}
	r.Pair = Pair{Account: account, Region: region}
	if s, ok := item[StateAttribute].(*ddbtypes.AttributeValueMemberS); ok {
		r.State = s.Value
	}
	for attr, dst := range map[string]*time.Time{LastSeenAttribute: &r.LastSeen, SinceAttribute: &r.Since, ArchiveSeenAttribute: &r.ArchiveSeen} {
		if n, ok := item[attr].(*ddbtypes.AttributeValueMemberN); ok {
			sec, err := strconv.ParseInt(n.Value, 10, 64)
			if err != nil {
				return r, fmt.Errorf("item %q: %s: %w", key.Value, attr, err)
			}
			*dst = time.Unix(sec, 0).UTC()
		}
	}
	return r, nil
}

func cut(key string) (account, region string, ok bool) {
	if len(key) < 14 || key[12] != ':' || !accountRe.MatchString(key[:12]) {
		return "", "", false
	}
	return key[:12], key[13:], true
}

// Save writes r's state and since (never its last heartbeat).
func (t *Table) Save(ctx context.Context, r PairState) error {
	_, err := t.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(t.Name),
		Key:                      map[string]ddbtypes.AttributeValue{KeyAttribute: &ddbtypes.AttributeValueMemberS{Value: r.Pair.Key()}},
		UpdateExpression:         aws.String("SET #s = :s, #since = :since"),
		ExpressionAttributeNames: map[string]string{"#s": StateAttribute, "#since": SinceAttribute},
		ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{
			":s":     &ddbtypes.AttributeValueMemberS{Value: r.State},
			":since": &ddbtypes.AttributeValueMemberN{Value: strconv.FormatInt(r.Since.Unix(), 10)},
		},
	})
	if err != nil {
		return fmt.Errorf("coverage table %s: save %s: %w", t.Name, r.Pair, err)
	}
	return nil
}
