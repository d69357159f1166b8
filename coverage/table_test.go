package coverage

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// fakeDynamo keeps items by pair and applies the two update expressions Table uses,
// honouring Record's condition.
type fakeDynamo struct {
	items map[string]map[string]ddbtypes.AttributeValue
	page  int // items per Scan page
}

func num(v ddbtypes.AttributeValue) int64 {
	n, _ := strconv.ParseInt(v.(*ddbtypes.AttributeValueMemberN).Value, 10, 64)
	return n
}

func (f *fakeDynamo) UpdateItem(_ context.Context, in *dynamodb.UpdateItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	key := in.Key[KeyAttribute].(*ddbtypes.AttributeValueMemberS).Value
	item := f.items[key]
	if item == nil {
		item = map[string]ddbtypes.AttributeValue{KeyAttribute: in.Key[KeyAttribute]}
	}
	if c := aws.ToString(in.ConditionExpression); c != "" {
		attr := in.ExpressionAttributeNames[c[len("attribute_not_exists("):strings.Index(c, ")")]]
		if c != "attribute_not_exists(#l) OR #l < :t" && c != "attribute_not_exists(#a) OR #a < :t" {
			panic("unexpected condition " + c)
		}
		if old, ok := item[attr]; ok && num(old) >= num(in.ExpressionAttributeValues[":t"]) {
			return nil, &ddbtypes.ConditionalCheckFailedException{}
		}
	}
	for _, set := range strings.Split(strings.TrimPrefix(aws.ToString(in.UpdateExpression), "SET "), ", ") {
		name, value, _ := strings.Cut(set, " = ")
		item[in.ExpressionAttributeNames[name]] = in.ExpressionAttributeValues[value]
	}
	f.items[key] = item
	return &dynamodb.UpdateItemOutput{}, nil
}

func (f *fakeDynamo) Scan(_ context.Context, in *dynamodb.ScanInput, _ ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error) {
	var keys []string
	for k := range f.items {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	start := 0
	if in.ExclusiveStartKey != nil {
		last := in.ExclusiveStartKey[KeyAttribute].(*ddbtypes.AttributeValueMemberS).Value
		for start < len(keys) && keys[start] <= last {
			start++
		}
	}
	out := &dynamodb.ScanOutput{}
	for _, k := range keys[start:min(start+f.page, len(keys))] {
		out.Items = append(out.Items, f.items[k])
	}
	if start+f.page < len(keys) {
		out.LastEvaluatedKey = map[string]ddbtypes.AttributeValue{KeyAttribute: &ddbtypes.AttributeValueMemberS{Value: keys[start+f.page-1]}}
	}
	return out, nil
}

func TestTable(t *testing.T) {
	ctx := context.Background()
	db := &fakeDynamo{items: map[string]map[string]ddbtypes.AttributeValue{}, page: 1}
	tbl := &Table{Client: db, Name: "trailguard-coverage"}
	a, b := Pair{Account: "111111111111", Region: "eu-west-1"}, Pair{Account: "222222222222", Region: "us-east-1"}
	for _, hb := range []Heartbeat{{a, t0}, {a, t0.Add(-time.Hour)}, {b, t0.Add(-time.Minute)}} {
		if err := tbl.Record(ctx, hb); err != nil {
			t.Fatalf("Record(%v) = %v, want an older heartbeat ignored without error", hb, err)
		}
	}
	if err := tbl.Save(ctx, PairState{Pair: a, State: StateSilent, Since: t0.Add(-24 * time.Hour), LastSeen: t0.Add(-48 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	rows, err := tbl.Scan(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 {
		t.Fatalf("Scan() = %+v, want both pairs across pages", rows)
	}
	got := map[Pair]PairState{rows[0].Pair: rows[0], rows[1].Pair: rows[1]}
	if r := got[a]; !r.LastSeen.Equal(t0) || r.State != StateSilent || !r.Since.Equal(t0.Add(-24*time.Hour)) {
		t.Errorf("row of %v = %+v: want the latest heartbeat kept (a replayed older one and Save never move it back)", a, r)
	}
	if r := got[b]; !r.LastSeen.Equal(t0.Add(-time.Minute)) || r.State != StatePending || !r.Since.IsZero() {
		t.Errorf("row of %v = %+v", b, r)
	}
}
