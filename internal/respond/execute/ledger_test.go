package execute

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/trailguard/trailguard/internal/alerting/alertingtest"
	"github.com/trailguard/trailguard/internal/respond"
)

// TestDynamoLedger runs the ledger against dynalite, a local DynamoDB, with the table's key
// schema as constructs/responder creates it (pk, sk).
func TestDynamoLedger(t *testing.T) {
	db := alertingtest.StartDynalite(t)
	ctx := context.Background()
	_, err := db.Client.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName: aws.String("trailguard-responder"),
		AttributeDefinitions: []ddbtypes.AttributeDefinition{
			{AttributeName: aws.String("pk"), AttributeType: ddbtypes.ScalarAttributeTypeS},
			{AttributeName: aws.String("sk"), AttributeType: ddbtypes.ScalarAttributeTypeS},
		},
		KeySchema: []ddbtypes.KeySchemaElement{
			{AttributeName: aws.String("pk"), KeyType: ddbtypes.KeyTypeHash},
			{AttributeName: aws.String("sk"), KeyType: ddbtypes.KeyTypeRange},
		},
		BillingMode: ddbtypes.BillingModePayPerRequest,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := dynamodb.NewTableExistsWaiter(db.Client).Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("trailguard-responder")}, time.Minute); err != nil {
		t.Fatal(err)
	}
	l := &DynamoLedger{Client: db.Client, Table: "trailguard-responder"}
	now := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	a := &respond.Target{Kind: respond.KindBucket, Bucket: "a", Account: "333333333333"}
	b := &respond.Target{Kind: respond.KindBucket, Bucket: "b", Account: "333333333333"}
	other := &respond.Target{Kind: respond.KindBucket, Bucket: "c", Account: "444444444444"}
	for _, r := range []struct {
		t  *respond.Target
		id string
		at time.Time
	}{
		{a, "r/e1", now.Add(-2 * time.Hour)}, // outside the window
		{a, "r/e2", now.Add(-time.Minute)},
		{a, "r/e2", now}, // a retry: counted once, at its first time
		{a, "r/e3", now},
		{b, "r/e4", now},
		{other, "r/e5", now},
	} {
		if err := l.Record(ctx, r.t, r.id, r.at); err != nil {
			t.Fatal(err)
		}
	}
	got, err := l.Counts(ctx, a, now.Add(-Window))
	if err != nil {
		t.Fatal(err)
	}
	if want := (respond.Counts{Resource: 2, Account: 3}); got != want {
		t.Errorf("Counts = %+v, want %+v", got, want)
	}
}
