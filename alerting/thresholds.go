package alerting

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/trailguard/trailguard/detect"
)

// MembersAttribute holds the members (eventIDs, or distinct values) of a threshold bucket
// item, a string set.
const MembersAttribute = "members"

// BucketsPerWindow is how many buckets a threshold window is cut into: the shared counts
// see a window of event time between W and W + W/BucketsPerWindow long.
const BucketsPerWindow = 5

// ThresholdTTL is how long a threshold bucket is kept after it was last written, beyond
// twice its rule's window: longer than CloudTrail's delivery to the archive (about 5
// minutes, up to 15, hours when it is late), so a record the archive reads late still meets
// the stream's records of its burst.
const ThresholdTTL = 24 * time.Hour

// maxMember is the longest member stored as is; longer ones are stored as their SHA-256.
const maxMember = 256

// ThresholdAPI is the part of the DynamoDB client DynamoThresholds uses.
type ThresholdAPI interface {
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error)
}

// DynamoThresholds is a detect.ThresholdStore in the dedupe table (partition key
// KeyAttribute, TTL attribute ExpiresAttribute), shared by the stream and archive functions
// and every instance of them, so that a burst spread over shards, invocations and both paths
// alerts.
//
// Event time is cut into buckets of W/BucketsPerWindow (W the rule's window), aligned on
// the Unix epoch. Each record adds its member (its eventID, or each distinct value) to the
// string set of its rule's, group's and bucket's item, with an UpdateItem ADD: adding a
// member again (the other path's copy of the record, a retry) changes nothing, so a record
// counts once and a value once per bucket. The count of a window is the size of the union
// of BucketsPerWindow+1 consecutive buckets' sets, so distinct values count once across
// buckets too. Count reads the buckets within W on both sides of the record (a strongly
// consistent BatchGetItem) and alerts when a run of buckets holding the record's reaches the
// threshold: the window is approximated by whole buckets, between W and W + W/5 of event
// time. A bucket stops growing at the threshold's count (enough to alert on its own), which
// bounds its item's size. Counting does not start afresh after an alert: the alerts of one
// group are deduplicated by window (detect.ThresholdDedupeKey), so a burst alerts once per
// window-aligned period.
type DynamoThresholds struct {
	// Client and Table: the dedupe table. Required.
	Client ThresholdAPI
	Table  string
	// Now returns the time, for the items' expiry. Default: time.Now.
	Now func() time.Time
	// Context is used for the calls. Default: context.Background().
	Context context.Context
}

// Count implements detect.ThresholdStore.
func (s *DynamoThresholds) Count(obs detect.Observation) (*detect.ThresholdHit, error) {
	ctx := s.Context
	if ctx == nil {
		ctx = context.Background()
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	t := obs.Threshold
	size := t.Window / BucketsPerWindow
	if size < time.Second {
		size = time.Second
	}
	sec := int64(size / time.Second)
	cur := obs.EventTime.Unix() / sec // the record's bucket number
	values := obs.Values
	if !obs.Distinct {
		values = []string{obs.EventID}
	}
	// A string set holds each value once and no empty one: DynamoDB refuses the update
	// otherwise.
	var members []string
	for _, m := range values {
		if len(m) > maxMember {
			sum := sha256.Sum256([]byte(m))
			m = "sha256:" + hex.EncodeToString(sum[:])
		}
		if m != "" && !slices.Contains(members, m) {
			members = append(members, m)
		}
	}
	if len(members) == 0 {
		return nil, nil
	}
	sum := sha256.Sum256([]byte(obs.Group))
	prefix := "threshold/" + obs.Rule + "/" + hex.EncodeToString(sum[:12]) + "/"
	key := func(b int64) string { return prefix + strconv.FormatInt(b*sec, 10) }
	expires := now().Add(ThresholdTTL + 2*t.Window).Unix()
	_, err := s.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:        aws.String(s.Table),
		Key:              map[string]ddbtypes.AttributeValue{KeyAttribute: &ddbtypes.AttributeValueMemberS{Value: key(cur)}},
		UpdateExpression: aws.String("ADD #m :m SET #e = :e"),
		// A full bucket is enough to alert by itself: it need not grow (an item is at most
		// 400 KB, https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html).
		ConditionExpression:      aws.String("attribute_not_exists(#m) OR size(#m) < :cap"),
		ExpressionAttributeNames: map[string]string{"#m": MembersAttribute, "#e": ExpiresAttribute},
		ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{
			":m":   &ddbtypes.AttributeValueMemberSS{Value: members},
			":e":   &ddbtypes.AttributeValueMemberN{Value: strconv.FormatInt(expires, 10)},
			":cap": &ddbtypes.AttributeValueMemberN{Value: strconv.Itoa(t.Count)},
		},
	})
	var full *ddbtypes.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &full) {
		return nil, fmt.Errorf("threshold counts in table %s: %w", s.Table, err)
	}
	// The buckets within a window of the record's, on both sides: the archive reads a
	// record late, after the stream counted the ones that followed it.
	var keys []map[string]ddbtypes.AttributeValue
	for b := cur - BucketsPerWindow; b <= cur+BucketsPerWindow; b++ {
		keys = append(keys, map[string]ddbtypes.AttributeValue{KeyAttribute: &ddbtypes.AttributeValueMemberS{Value: key(b)}})
	}
	sets := map[string][]string{}
	req := map[string]ddbtypes.KeysAndAttributes{s.Table: {Keys: keys, ConsistentRead: aws.Bool(true),
		ProjectionExpression: aws.String("#k, #m"), ExpressionAttributeNames: map[string]string{"#k": KeyAttribute, "#m": MembersAttribute}}}
	for attempt := 0; len(req) > 0; attempt++ {
		if attempt == 5 {
			return nil, fmt.Errorf("threshold counts in table %s: keys still unprocessed after %d attempts", s.Table, attempt)
		}
		if attempt > 0 {
			time.Sleep(time.Duration(attempt*attempt) * 50 * time.Millisecond)
		}
		out, err := s.Client.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req})
		if err != nil {
			return nil, fmt.Errorf("threshold counts in table %s: %w", s.Table, err)
		}
		for _, item := range out.Responses[s.Table] {
			k, _ := item[KeyAttribute].(*ddbtypes.AttributeValueMemberS)
			m, _ := item[MembersAttribute].(*ddbtypes.AttributeValueMemberSS)
			if k != nil && m != nil {
				sets[k.Value] = m.Value
			}
		}
		req = out.UnprocessedKeys
	}
	// Every run of BucketsPerWindow+1 buckets that holds the record's, oldest first.
	for start := cur - BucketsPerWindow; start <= cur; start++ {
		union := map[string]bool{}
		first, last := int64(-1), int64(-1)
		for b := start; b <= start+BucketsPerWindow; b++ {
			for _, m := range sets[key(b)] {
				union[m] = true
			}
			if len(sets[key(b)]) > 0 {
				if first < 0 {
					first = b
				}
				last = b
			}
		}
		if len(union) < t.Count {
			continue
		}
		got := make([]string, 0, len(union))
		for m := range union {
			got = append(got, m)
		}
		slices.Sort(got)
		hit := &detect.ThresholdHit{Group: obs.Group, Count: len(got), Window: t.Window.String(),
			First: time.Unix(first*sec, 0).UTC().Format(time.RFC3339),
			Last:  time.Unix((last+1)*sec, 0).UTC().Format(time.RFC3339)}
		if obs.Distinct {
			hit.Values, hit.EventIDs = got, []string{obs.EventID}
		} else {
			hit.EventIDs = got
		}
		return hit, nil
	}
	return nil, nil
}
