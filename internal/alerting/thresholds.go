package alerting

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
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
// see a window of event time between W and W + W/BucketsPerWindow long. The buckets are
// detect's burst buckets, so that a burst has the same name here and in trailguard detect.
const BucketsPerWindow = detect.BurstBuckets

// Attributes of a group's burst item, which names the burst that alerted last.
const (
	// BurstFirstAttribute and BurstLastAttribute are the first and last buckets (bucket
	// numbers since the Unix epoch) holding members of the group's latest burst that
	// alerted.
	BurstFirstAttribute = "burstFirst"
	BurstLastAttribute  = "burstLast"
)

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
// bounds its item's size.
//
// A burst alerts once. When a run reaches the count, the group's burst item records its
// first bucket holding members and the last bucket of its span, BucketsPerWindow later
// (detect.BurstEnd; a conditional write: a later burst only); a
// record within them belongs to that burst and yields its hit again (the same
// detect.ThresholdDedupeKey, named by the first bucket: a retry, the other path and the
// other records of the burst deliver the one alert), and counting starts afresh after its
// last bucket, as trailguard detect's MemoryThresholds does.
//
// The functions count a batch at once (CountBatch, through detect.Detector.Flush): each
// bucket item is written once per batch and the windows read together, so a batch costs
// DynamoDB calls per distinct rule, group and bucket, not per record.
type DynamoThresholds struct {
	// Client and Table: the dedupe table. Required.
	Client ThresholdAPI
	Table  string
	// Now returns the time, for the items' expiry. Default: time.Now.
	Now func() time.Time
	// Context is used for the calls. Default: context.Background().
	Context context.Context
}

// Count implements detect.ThresholdStore: CountBatch of obs alone, one UpdateItem and one
// BatchGetItem.
func (s *DynamoThresholds) Count(obs detect.Observation) (*detect.ThresholdHit, error) {
	hits, err := s.CountBatch([]detect.Observation{obs})
	if err != nil {
		return nil, err
	}
	return hits[0], nil
}

// maxUpdateMembers is how many bytes of members one UpdateItem adds at most, well within
// DynamoDB's limits on an item (400 KB) and on an expression's values
// (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html).
const maxUpdateMembers = 64 * 1024

// maxBatchGetKeys is the most keys one BatchGetItem reads
// (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchGetItem.html).
const maxBatchGetKeys = 100

// bucketWrite is what one batch adds to one bucket item.
type bucketWrite struct {
	key     string
	members []string
	seen    map[string]bool
	cap     int
	expires int64
}

// groupBucket is one observation's rule, group and bucket: the observations that share it
// share their windows.
type groupBucket struct {
	rule, group string
	prefix      string // of the group's item keys
	sec, cur    int64
}

// CountBatch implements detect.BatchThresholdStore: it adds the members of all of obs to
// their buckets, each bucket item written once (an UpdateItem ADD of its members, a bucket
// taking at most the threshold's count of them; more than maxUpdateMembers bytes of
// members take more calls), then reads every bucket within a window of an observation's
// with strongly consistent BatchGetItem calls of up to 100 keys, and evaluates each
// observation's windows as Count does. The calls are O(distinct rule, group and bucket
// items), not O(observations). Any error fails the whole batch: the retry adds the same
// members, which changes nothing.
func (s *DynamoThresholds) CountBatch(obs []detect.Observation) ([]*detect.ThresholdHit, error) {
	ctx := s.Context
	if ctx == nil {
		ctx = context.Background()
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	hits := make([]*detect.ThresholdHit, len(obs))
	gbs := make([]*groupBucket, len(obs)) // nil: nothing to count
	writes := map[string]*bucketWrite{}
	var order []*bucketWrite // writes in the order of their first observation
	reads := map[string]bool{}
	var readKeys []string
	for i, o := range obs {
		t := o.Threshold
		sec := bucketSeconds(t.Window)
		values := o.Values
		if !o.Distinct {
			values = []string{o.EventID}
		}
		members := memberValues(values)
		if len(members) == 0 {
			continue
		}
		sum := sha256.Sum256([]byte(o.Group))
		gb := &groupBucket{rule: o.Rule, group: o.Group, prefix: "threshold/" + o.Rule + "/" + hex.EncodeToString(sum[:12]) + "/",
			sec: sec, cur: o.EventTime.Unix() / sec}
		gbs[i] = gb
		k := gb.key(gb.cur)
		w := writes[k]
		if w == nil {
			w = &bucketWrite{key: k, seen: map[string]bool{}, cap: t.Count}
			writes[k] = w
			order = append(order, w)
		}
		w.expires = max(w.expires, now().Add(ThresholdTTL+2*t.Window).Unix())
		for _, m := range members {
			// A bucket needs no more members than the count: it alerts by itself then.
			if len(w.members) < w.cap && !w.seen[m] {
				w.seen[m] = true
				w.members = append(w.members, m)
			}
		}
		// The buckets within a window of the record's, on both sides: the archive reads a
		// record late, after the stream counted the ones that followed it; and the group's
		// burst item.
		for b := gb.cur - BucketsPerWindow; b <= gb.cur+BucketsPerWindow; b++ {
			if k := gb.key(b); !reads[k] {
				reads[k] = true
				readKeys = append(readKeys, k)
			}
		}
		if k := gb.burstKey(); !reads[k] {
			reads[k] = true
			readKeys = append(readKeys, k)
		}
	}
	for _, w := range order {
		if err := s.add(ctx, w); err != nil {
			return nil, err
		}
	}
	items, err := s.read(ctx, readKeys)
	if err != nil {
		return nil, err
	}
	// Each group's observations in event-time order, so that a burst is found at its first
	// crossing and its other records fall within it.
	idx := make([]int, 0, len(obs))
	for i, gb := range gbs {
		if gb != nil {
			idx = append(idx, i)
		}
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		if c := strings.Compare(gbs[a].prefix, gbs[b].prefix); c != 0 {
			return c
		}
		return cmp.Compare(gbs[a].cur, gbs[b].cur)
	})
	bursts := map[string]*burst{} // by group prefix
	for _, i := range idx {
		gb := gbs[i]
		b := bursts[gb.prefix]
		if b == nil {
			b = items[gb.burstKey()].burst()
			bursts[gb.prefix] = b
		}
		var hit *detect.ThresholdHit
		switch {
		case b.known && gb.cur <= b.last:
			// A record of the burst that alerted (or of none, before it).
			if gb.cur >= b.first {
				hit = gb.hit(b.first, b.last, obs[i].Threshold.Window, items)
			}
		default:
			var first, last int64
			hit, first, last = evaluate(gb, obs[i].Threshold, items, b)
			if hit != nil {
				b.first, b.last, b.known, b.expires = first, last, true, now().Add(ThresholdTTL+2*obs[i].Threshold.Window).Unix()
				b.write = true
			}
		}
		if hit == nil {
			continue
		}
		h := *hit
		if obs[i].Distinct {
			h.Values, h.EventIDs = hit.EventIDs, []string{obs[i].EventID}
		}
		hits[i] = &h
	}
	for prefix, b := range bursts {
		if b.write {
			if err := s.recordBurst(ctx, prefix+burstSuffix, b); err != nil {
				return nil, err
			}
		}
	}
	return hits, nil
}

// burstSuffix ends the key of a group's burst item.
const burstSuffix = "burst"

// burstKey is the key of the group's burst item.
func (g *groupBucket) burstKey() string { return g.prefix + burstSuffix }

// burst is a group's latest burst that alerted: its first and last buckets holding members.
type burst struct {
	known       bool
	first, last int64
	// write: found in this batch, to record; expires: the item's expiry then.
	write   bool
	expires int64
}

// recordBurst records b as the group's latest burst, unless another count recorded one that
// ends at or after b's first bucket since this batch read it: the batch fails then, and its
// retry evaluates against that burst.
func (s *DynamoThresholds) recordBurst(ctx context.Context, key string, b *burst) error {
	_, err := s.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(s.Table),
		Key:                      map[string]ddbtypes.AttributeValue{KeyAttribute: &ddbtypes.AttributeValueMemberS{Value: key}},
		UpdateExpression:         aws.String("SET #f = :f, #l = :l, #e = :e"),
		ConditionExpression:      aws.String("attribute_not_exists(#l) OR #l < :f"),
		ExpressionAttributeNames: map[string]string{"#f": BurstFirstAttribute, "#l": BurstLastAttribute, "#e": ExpiresAttribute},
		ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{
			":f": num(b.first), ":l": num(b.last), ":e": num(b.expires),
		},
	})
	var raced *ddbtypes.ConditionalCheckFailedException
	if errors.As(err, &raced) {
		return fmt.Errorf("threshold counts in table %s: another count recorded a burst of %s meanwhile: counted again on the retry", s.Table, key)
	}
	if err != nil {
		return fmt.Errorf("threshold counts in table %s: %w", s.Table, err)
	}
	return nil
}

// bucketSeconds is the length of a bucket of a window, in seconds: W/BucketsPerWindow, at
// least one.
func bucketSeconds(window time.Duration) int64 {
	return int64(detect.BurstBucket(window) / time.Second)
}

// memberValues returns values as members of a string set: each once, none empty (DynamoDB
// refuses the update otherwise), the longer ones as their SHA-256.
func memberValues(values []string) []string {
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
	return members
}

// key is the item key of bucket b of the group.
func (g *groupBucket) key(b int64) string {
	return g.prefix + strconv.FormatInt(b*g.sec, 10)
}

// add adds w's members to its item, maxUpdateMembers bytes at a time, until the bucket is
// full.
func (s *DynamoThresholds) add(ctx context.Context, w *bucketWrite) error {
	for rest := w.members; len(rest) > 0; {
		n, size := 0, 0
		for n < len(rest) && (n == 0 || size+len(rest[n]) <= maxUpdateMembers) {
			size += len(rest[n])
			n++
		}
		_, err := s.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName:        aws.String(s.Table),
			Key:              map[string]ddbtypes.AttributeValue{KeyAttribute: &ddbtypes.AttributeValueMemberS{Value: w.key}},
			UpdateExpression: aws.String("ADD #m :m SET #e = :e"),
			// A full bucket is enough to alert by itself: it need not grow (an item is at
			// most 400 KB, https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html).
			ConditionExpression:      aws.String("attribute_not_exists(#m) OR size(#m) < :cap"),
			ExpressionAttributeNames: map[string]string{"#m": MembersAttribute, "#e": ExpiresAttribute},
			ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{
				":m":   &ddbtypes.AttributeValueMemberSS{Value: rest[:n]},
				":e":   &ddbtypes.AttributeValueMemberN{Value: strconv.FormatInt(w.expires, 10)},
				":cap": &ddbtypes.AttributeValueMemberN{Value: strconv.Itoa(w.cap)},
			},
		})
		var full *ddbtypes.ConditionalCheckFailedException
		if errors.As(err, &full) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("threshold counts in table %s: %w", s.Table, err)
		}
		rest = rest[n:]
	}
	return nil
}

// thresholdItem is what read returns of an item: a bucket's members, or a group's burst.
type thresholdItem struct {
	members     []string
	first, last *int64
}

// burst returns the burst an item records (unknown for none).
func (it thresholdItem) burst() *burst {
	if it.first == nil || it.last == nil {
		return &burst{}
	}
	return &burst{known: true, first: *it.first, last: *it.last}
}

// read returns the items of keys that exist, maxBatchGetKeys keys a call, retrying the keys
// DynamoDB leaves unprocessed (throttling, or more than 16 MB read).
func (s *DynamoThresholds) read(ctx context.Context, keys []string) (map[string]thresholdItem, error) {
	items := map[string]thresholdItem{}
	queue := make([]map[string]ddbtypes.AttributeValue, 0, len(keys))
	for _, k := range keys {
		queue = append(queue, map[string]ddbtypes.AttributeValue{KeyAttribute: &ddbtypes.AttributeValueMemberS{Value: k}})
	}
	for stalls := 0; len(queue) > 0; {
		n := min(len(queue), maxBatchGetKeys)
		req := map[string]ddbtypes.KeysAndAttributes{s.Table: {Keys: queue[:n], ConsistentRead: aws.Bool(true),
			ProjectionExpression: aws.String("#k, #m, #f, #l"),
			ExpressionAttributeNames: map[string]string{"#k": KeyAttribute, "#m": MembersAttribute,
				"#f": BurstFirstAttribute, "#l": BurstLastAttribute}}}
		queue = queue[n:]
		out, err := s.Client.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req})
		if err != nil {
			return nil, fmt.Errorf("threshold counts in table %s: %w", s.Table, err)
		}
		for _, item := range out.Responses[s.Table] {
			k, _ := item[KeyAttribute].(*ddbtypes.AttributeValueMemberS)
			if k == nil {
				continue
			}
			var it thresholdItem
			if m, ok := item[MembersAttribute].(*ddbtypes.AttributeValueMemberSS); ok {
				it.members = m.Value
			}
			it.first, it.last = numberOf(item[BurstFirstAttribute]), numberOf(item[BurstLastAttribute])
			items[k.Value] = it
		}
		left := out.UnprocessedKeys[s.Table].Keys
		if len(left) == 0 {
			continue
		}
		// Back off when a call made no progress, and give up after a few such calls.
		if len(left) == n {
			if stalls++; stalls == 5 {
				return nil, fmt.Errorf("threshold counts in table %s: keys still unprocessed after %d attempts", s.Table, stalls)
			}
			time.Sleep(time.Duration(stalls*stalls) * 50 * time.Millisecond)
		} else {
			stalls = 0
		}
		queue = append(queue, left...)
	}
	return items, nil
}

// numberOf returns a number attribute's value, or nil.
func numberOf(v ddbtypes.AttributeValue) *int64 {
	n, ok := v.(*ddbtypes.AttributeValueMemberN)
	if !ok {
		return nil
	}
	x, err := strconv.ParseInt(n.Value, 10, 64)
	if err != nil {
		return nil
	}
	return &x
}

// evaluate returns the hit of the first run of BucketsPerWindow+1 buckets holding gb's
// bucket, oldest first and after the group's last burst b, whose members reach the
// threshold's count, with the burst's first and last buckets (the first holding members,
// and BucketsPerWindow after it: detect.BurstEnd); or nil.
func evaluate(gb *groupBucket, t detect.Threshold, items map[string]thresholdItem, b *burst) (*detect.ThresholdHit, int64, int64) {
	lo := gb.cur - BucketsPerWindow
	if b.known {
		lo = max(lo, b.last+1)
	}
	for start := lo; start <= gb.cur; start++ {
		union := map[string]bool{}
		first, last := int64(-1), int64(-1)
		for k := start; k <= start+BucketsPerWindow; k++ {
			set := items[gb.key(k)].members
			for _, m := range set {
				union[m] = true
			}
			if len(set) > 0 {
				if first < 0 {
					first = k
				}
				last = k
			}
		}
		if len(union) >= t.Count {
			// The burst spans a window and a bucket from its first bucket (detect.BurstEnd).
			return gb.hit(first, last, t.Window, items), first, first + BucketsPerWindow
		}
	}
	return nil, 0, 0
}

// hit is the hit of the members of buckets first to last: the first bucket names the burst
// (detect.ThresholdDedupeKey of First); the members are the EventIDs (the caller moves them
// to Values for distinct).
func (g *groupBucket) hit(first, last int64, window time.Duration, items map[string]thresholdItem) *detect.ThresholdHit {
	union := map[string]bool{}
	for k := first; k <= last; k++ {
		for _, m := range items[g.key(k)].members {
			union[m] = true
		}
	}
	got := slices.Sorted(maps.Keys(union))
	return &detect.ThresholdHit{Group: g.group, Count: len(got), Window: time.Duration(g.sec * BucketsPerWindow * int64(time.Second)).String(),
		First: time.Unix(first*g.sec, 0).UTC().Format(time.RFC3339),
		Last:  time.Unix((last+1)*g.sec, 0).UTC().Format(time.RFC3339), EventIDs: got}
}
