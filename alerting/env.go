package alerting

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/sns"
)

// FromEnv returns the publisher and store the functions' environment describes (EnvTopicARN,
// required; EnvBusName and EnvDedupeTable, optional), with clients from the AWS SDK's default
// configuration. getenv is os.Getenv outside tests.
func FromEnv(ctx context.Context, getenv func(string) string) (*Publisher, Store, error) {
	topic := getenv(EnvTopicARN)
	if topic == "" {
		return nil, nil, fmt.Errorf("%s is required: the alert topic's ARN", EnvTopicARN)
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("aws configuration: %w", err)
	}
	p := &Publisher{SNS: sns.NewFromConfig(cfg), TopicARN: topic}
	if bus := getenv(EnvBusName); bus != "" {
		p.Events, p.BusName = eventbridge.NewFromConfig(cfg), bus
	}
	var store Store = MemoryStore{}
	if table := getenv(EnvDedupeTable); table != "" {
		store = &DynamoStore{Client: dynamodb.NewFromConfig(cfg), Table: table}
	}
	return p, store, nil
}
