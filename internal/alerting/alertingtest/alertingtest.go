// Package alertingtest has fakes of the AWS clients package alerting uses, and CloudTrail
// records for the detection functions' tests.
package alertingtest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
)

// SNS records the messages published; Fail, when set, is returned instead for messages
// whose body contains it.
type SNS struct {
	mu       sync.Mutex
	Messages []*sns.PublishInput
	Fail     string
}

// Publish implements alerting.SNSAPI.
func (f *SNS) Publish(_ context.Context, in *sns.PublishInput, _ ...func(*sns.Options)) (*sns.PublishOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.Fail != "" && strings.Contains(aws.ToString(in.Message), f.Fail) {
		return nil, errors.New("fake sns: throttled")
	}
	f.Messages = append(f.Messages, in)
	return &sns.PublishOutput{MessageId: aws.String(fmt.Sprint(len(f.Messages)))}, nil
}

// Events records the entries put; Fail, when set, fails entries whose detail contains it
// (reported in the output, as EventBridge does).
type Events struct {
	mu      sync.Mutex
	Entries []ebtypes.PutEventsRequestEntry
	Fail    string
}

// PutEvents implements alerting.EventBridgeAPI.
func (f *Events) PutEvents(_ context.Context, in *eventbridge.PutEventsInput, _ ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := &eventbridge.PutEventsOutput{}
	for _, e := range in.Entries {
		if f.Fail != "" && strings.Contains(aws.ToString(e.Detail), f.Fail) {
			out.FailedEntryCount++
			out.Entries = append(out.Entries, ebtypes.PutEventsResultEntry{ErrorCode: aws.String("InternalFailure"), ErrorMessage: aws.String("fake")})
			continue
		}
		f.Entries = append(f.Entries, e)
		out.Entries = append(out.Entries, ebtypes.PutEventsResultEntry{EventId: aws.String(fmt.Sprint(len(f.Entries)))})
	}
	return out, nil
}

// DynamoDB is a table keyed by the string attribute Key that implements the calls of
// package alerting's stores with the meaning of their conditions, and nothing else of
// DynamoDB's expressions; Err, when set, is returned by every call.
type DynamoDB struct {
	mu    sync.Mutex
	Key   string
	Items map[string]map[string]ddbtypes.AttributeValue
	Puts  []*dynamodb.PutItemInput
	Err   error
	// Updates counts the UpdateItem calls that succeeded.
	Updates int
	// UnprocessFirst makes BatchGetItem leave the first key of an existing item unprocessed
	// in each call of several keys.
	UnprocessFirst bool
	// ThresholdErr, when set, is returned by UpdateItem and BatchGetItem (the threshold
	// counts) and not by the claims' calls.
	ThresholdErr error
	// ThresholdCalls counts the UpdateItem and BatchGetItem calls, failed ones included.
	ThresholdCalls int
}

// PutItem implements alerting.DynamoDBAPI.
func (f *DynamoDB) PutItem(_ context.Context, in *dynamodb.PutItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.Err != nil {
		return nil, f.Err
	}
	f.Puts = append(f.Puts, in)
	k := in.Item[f.Key].(*ddbtypes.AttributeValueMemberS).Value
	cond := aws.ToString(in.ConditionExpression)
	cur, ok := f.Items[k]
	if ok && strings.Contains(cond, "attribute_not_exists") {
		return nil, conditionFailed()
	}
	if cond == "#e < :nowSec" && (!ok || number(cur[in.ExpressionAttributeNames["#e"]]) >= number(in.ExpressionAttributeValues[":nowSec"])) {
		return nil, conditionFailed()
	}
	if f.Items == nil {
		f.Items = map[string]map[string]ddbtypes.AttributeValue{}
	}
	f.Items[k] = in.Item
	return &dynamodb.PutItemOutput{}, nil
}

// DeleteItem implements alerting.DynamoDBAPI.
func (f *DynamoDB) DeleteItem(_ context.Context, in *dynamodb.DeleteItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.Err != nil {
		return nil, f.Err
	}
	delete(f.Items, in.Key[f.Key].(*ddbtypes.AttributeValueMemberS).Value)
	return &dynamodb.DeleteItemOutput{}, nil
}

// UpdateItem implements the updates of alerting.DynamoStore (the delivery state: see
// updateDelivery) and alerting.DynamoThresholds (threshold counts: "ADD #m :m SET #e = :e",
// a string set added to, with the condition "attribute_not_exists(#m) OR size(#m) < :cap";
// a group's burst: "SET #f = :f, #l = :l, #e = :e" with the condition
// "attribute_not_exists(#l) OR #l < :f"), and nothing else. The package's tests of the
// stores themselves run against an independent implementation of DynamoDB (dynalite).
func (f *DynamoDB) UpdateItem(_ context.Context, in *dynamodb.UpdateItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.Err != nil {
		return nil, f.Err
	}
	if out, ok, err := f.updateDelivery(in); ok {
		return out, err
	}
	f.ThresholdCalls++
	if f.ThresholdErr != nil {
		return nil, f.ThresholdErr
	}
	if aws.ToString(in.UpdateExpression) == "SET #f = :f, #l = :l, #e = :e" {
		return f.updateBurst(in)
	}
	if aws.ToString(in.UpdateExpression) != "ADD #m :m SET #e = :e" {
		return nil, fmt.Errorf("fake dynamodb: unsupported update %q", aws.ToString(in.UpdateExpression))
	}
	k := in.Key[f.Key].(*ddbtypes.AttributeValueMemberS).Value
	m, e := in.ExpressionAttributeNames["#m"], in.ExpressionAttributeNames["#e"]
	item := f.Items[k]
	var set []string
	if item != nil {
		if cur, ok := item[m].(*ddbtypes.AttributeValueMemberSS); ok {
			set = cur.Value
		}
	}
	if c, ok := in.ExpressionAttributeValues[":cap"].(*ddbtypes.AttributeValueMemberN); ok && len(set) > 0 &&
		strings.Contains(aws.ToString(in.ConditionExpression), "size(#m) < :cap") {
		var limit int
		fmt.Sscan(c.Value, &limit)
		if len(set) >= limit {
			return nil, &ddbtypes.ConditionalCheckFailedException{Message: aws.String("The conditional request failed")}
		}
	}
	add := in.ExpressionAttributeValues[":m"].(*ddbtypes.AttributeValueMemberSS).Value
	for i, v := range add {
		// DynamoDB refuses a set with a value twice, or an empty one.
		if v == "" || slices.Contains(add[:i], v) {
			return nil, errors.New("fake dynamodb: ValidationException: One or more parameter values were invalid: Input collection contains duplicates or empty strings")
		}
	}
	for _, v := range add {
		if !slices.Contains(set, v) {
			set = append(set, v)
		}
	}
	it := f.item(k)
	it[m], it[e] = &ddbtypes.AttributeValueMemberSS{Value: set}, in.ExpressionAttributeValues[":e"]
	f.Updates++
	return &dynamodb.UpdateItemOutput{}, nil
}

// updateBurst records a group's burst unless one ending at or after its first bucket is.
func (f *DynamoDB) updateBurst(in *dynamodb.UpdateItemInput) (*dynamodb.UpdateItemOutput, error) {
	k := in.Key[f.Key].(*ddbtypes.AttributeValueMemberS).Value
	first, last := in.ExpressionAttributeNames["#f"], in.ExpressionAttributeNames["#l"]
	item := f.item(k)
	if cur, ok := item[last].(*ddbtypes.AttributeValueMemberN); ok && number(cur) >= number(in.ExpressionAttributeValues[":f"]) {
		return nil, conditionFailed()
	}
	item[first], item[last] = in.ExpressionAttributeValues[":f"], in.ExpressionAttributeValues[":l"]
	item[in.ExpressionAttributeNames["#e"]] = in.ExpressionAttributeValues[":e"]
	f.Updates++
	return &dynamodb.UpdateItemOutput{}, nil
}

// updateDelivery implements alerting.DynamoStore's updates (ok false for another update):
// the lease ("SET #s = :pending, ..."), a target delivered ("ADD #d :t", done with "SET #s
// = :done ...") and a lease given up ("SET #l = :zero"), with their conditions' meaning.
func (f *DynamoDB) updateDelivery(in *dynamodb.UpdateItemInput) (*dynamodb.UpdateItemOutput, bool, error) {
	expr, names, values := aws.ToString(in.UpdateExpression), in.ExpressionAttributeNames, in.ExpressionAttributeValues
	k := in.Key[f.Key].(*ddbtypes.AttributeValueMemberS).Value
	existing, exists := f.Items[k]
	s := func(name string) string {
		v, _ := existing[names[name]].(*ddbtypes.AttributeValueMemberS)
		if v == nil {
			return ""
		}
		return v.Value
	}
	n := func(name string) int64 {
		v, _ := existing[names[name]].(*ddbtypes.AttributeValueMemberN)
		if v == nil {
			return 0
		}
		return number(v)
	}
	switch {
	case strings.HasPrefix(expr, "SET #s = :pending"):
		pending := values[":pending"].(*ddbtypes.AttributeValueMemberS).Value
		owner := values[":owner"].(*ddbtypes.AttributeValueMemberS).Value
		if exists && !(n("#e") >= number(values[":nowSec"]) && s("#s") == pending &&
			(n("#l") < number(values[":nowMs"]) || s("#o") == owner)) {
			return nil, true, conditionFailed()
		}
		item := f.item(k)
		item[names["#s"]], item[names["#o"]], item[names["#l"]] = values[":pending"], values[":owner"], values[":until"]
		if _, ok := item[names["#e"]]; !ok {
			item[names["#e"]] = values[":expires"]
		}
		return &dynamodb.UpdateItemOutput{Attributes: maps.Clone(item)}, true, nil
	case strings.HasPrefix(expr, "ADD #d :t"):
		item := f.item(k)
		if strings.Contains(expr, "SET #s = :done") {
			item[names["#s"]] = values[":done"]
			delete(item, names["#o"])
			delete(item, names["#l"])
		}
		set, _ := item[names["#d"]].(*ddbtypes.AttributeValueMemberSS)
		var members []string
		if set != nil {
			members = slices.Clone(set.Value)
		}
		for _, t := range values[":t"].(*ddbtypes.AttributeValueMemberSS).Value {
			if !slices.Contains(members, t) {
				members = append(members, t)
			}
		}
		item[names["#d"]] = &ddbtypes.AttributeValueMemberSS{Value: members}
		return &dynamodb.UpdateItemOutput{}, true, nil
	case expr == "SET #l = :zero":
		if !exists || s("#s") != values[":pending"].(*ddbtypes.AttributeValueMemberS).Value || s("#o") != values[":owner"].(*ddbtypes.AttributeValueMemberS).Value {
			return nil, true, conditionFailed()
		}
		existing[names["#l"]] = values[":zero"]
		return &dynamodb.UpdateItemOutput{}, true, nil
	}
	return nil, false, nil
}

// GetItem implements alerting.DynamoDBAPI.
func (f *DynamoDB) GetItem(_ context.Context, in *dynamodb.GetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.Err != nil {
		return nil, f.Err
	}
	return &dynamodb.GetItemOutput{Item: maps.Clone(f.Items[in.Key[f.Key].(*ddbtypes.AttributeValueMemberS).Value])}, nil
}

// item returns key's item, created with its key when absent.
func (f *DynamoDB) item(k string) map[string]ddbtypes.AttributeValue {
	if f.Items == nil {
		f.Items = map[string]map[string]ddbtypes.AttributeValue{}
	}
	if f.Items[k] == nil {
		f.Items[k] = map[string]ddbtypes.AttributeValue{f.Key: &ddbtypes.AttributeValueMemberS{Value: k}}
	}
	return f.Items[k]
}

func number(v ddbtypes.AttributeValue) int64 {
	var x int64
	if n, ok := v.(*ddbtypes.AttributeValueMemberN); ok {
		fmt.Sscan(n.Value, &x)
	}
	return x
}

func conditionFailed() error {
	return &ddbtypes.ConditionalCheckFailedException{Message: aws.String("The conditional request failed")}
}

// BatchGetItem implements alerting.ThresholdAPI: the items of the keys that exist, the first
// key of an existing item left unprocessed in each call of several keys when UnprocessFirst
// is set (as DynamoDB may).
func (f *DynamoDB) BatchGetItem(_ context.Context, in *dynamodb.BatchGetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ThresholdCalls++
	if f.Err != nil {
		return nil, f.Err
	}
	if f.ThresholdErr != nil {
		return nil, f.ThresholdErr
	}
	if n := len(in.RequestItems[table0(in)].Keys); n > 100 {
		return nil, fmt.Errorf("fake dynamodb: ValidationException: Too many items requested for the BatchGetItem call (%d)", n)
	}
	out := &dynamodb.BatchGetItemOutput{Responses: map[string][]map[string]ddbtypes.AttributeValue{}}
	for table, ka := range in.RequestItems {
		keys := ka.Keys
		if i := slices.IndexFunc(keys, func(k map[string]ddbtypes.AttributeValue) bool {
			_, ok := f.Items[k[f.Key].(*ddbtypes.AttributeValueMemberS).Value]
			return ok
		}); f.UnprocessFirst && len(keys) > 1 && i >= 0 {
			out.UnprocessedKeys = map[string]ddbtypes.KeysAndAttributes{table: {Keys: keys[i : i+1], ConsistentRead: ka.ConsistentRead}}
			keys = slices.Delete(slices.Clone(keys), i, i+1)
		}
		for _, key := range keys {
			if item, ok := f.Items[key[f.Key].(*ddbtypes.AttributeValueMemberS).Value]; ok {
				out.Responses[table] = append(out.Responses[table], item)
			}
		}
	}
	return out, nil
}

// table0 is the first table a BatchGetItem reads.
func table0(in *dynamodb.BatchGetItemInput) string {
	for t := range in.RequestItems {
		return t
	}
	return ""
}

// Record returns a CloudTrail record of eventName by an IAM user in account 111122223333,
// eu-west-1, with eventID id. StopLogging raises the critical cloudtrail-logging-stopped
// alert; DescribeInstances raises none.
func Record(eventName, id string) string {
	source := "cloudtrail.amazonaws.com"
	if eventName == "DescribeInstances" {
		source = "ec2.amazonaws.com"
	}
	return fmt.Sprintf(`{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::111122223333:user/build-bot","accountId":"111122223333","userName":"build-bot"},`+
		`"eventTime":"2026-11-02T09:00:00Z","eventSource":%q,"eventName":%q,"awsRegion":"eu-west-1","sourceIPAddress":"203.0.113.24","userAgent":"aws-cli/2.22.10",`+
		`"requestParameters":{"name":"arn:aws:cloudtrail:eu-west-1:111122223333:trail/management-events"},"responseElements":null,"eventID":%q,`+
		`"readOnly":false,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333"}`, source, eventName, id)
}

// Event wraps a CloudTrail record in the EventBridge event the stream carries.
func Event(record string) string {
	return `{"version":"0","id":"6f87d04b-9f74-4f04-a780-7acf4b0a9b38","detail-type":"AWS API Call via CloudTrail","source":"aws.cloudtrail",` +
		`"account":"111122223333","time":"2026-11-02T09:00:00Z","region":"eu-west-1","resources":[],"detail":` + record + `}`
}
