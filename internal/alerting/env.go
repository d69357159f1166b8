package alerting

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/trailguard/trailguard/detect"
)

// Function is what a detection function builds at cold start: the engine, the processor
// around it, and the AWS configuration its other clients share (loaded once).
type Function struct {
	Engine    *detect.Engine
	Processor *Processor
	AWS       aws.Config
}

// NewFunction builds a detection function's engine (LoadEngine) and processor from its
// environment (FromEnv), with the AWS SDK's default configuration. getenv is os.Getenv
// outside tests.
func NewFunction(ctx context.Context, getenv func(string) string, log *slog.Logger) (*Function, error) {
	cfg, err := LoadAWSConfig(ctx)
	if err != nil {
		return nil, err
	}
	var lister AccountLister
	if getenv(EnvRefreshAccounts) == "true" {
		lister = organizations.NewFromConfig(cfg)
	}
	engine, err := LoadEngineWith(ctx, getenv, lister, log)
	if err != nil {
		return nil, err
	}
	pub, store, thresholds, err := FromEnv(ctx, cfg, getenv)
	if err != nil {
		return nil, err
	}
	if queue := getenv(EnvResponderQueueURL); queue != "" {
		pub.Extra = append(pub.Extra, NewResponderTarget(sqs.NewFromConfig(cfg), queue, engine))
	}
	return &Function{Engine: engine, Processor: NewSharedProcessor(engine, pub, store, thresholds, log), AWS: cfg}, nil
}

// LoadAWSConfig is the AWS SDK's default configuration, as the functions use it.
func LoadAWSConfig(ctx context.Context) (aws.Config, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return cfg, fmt.Errorf("aws configuration: %w", err)
	}
	return cfg, nil
}

// FromEnv returns the publisher, the dedupe store and the threshold store the functions'
// environment describes (EnvTopicARN, required; EnvBusName and EnvDedupeTable, optional:
// without a table both stores are in memory, the thresholds nil), with clients made from
// cfg. getenv is os.Getenv outside tests.
func FromEnv(ctx context.Context, cfg aws.Config, getenv func(string) string) (*Publisher, Store, detect.ThresholdStore, error) {
	topic := getenv(EnvTopicARN)
	if topic == "" {
		return nil, nil, nil, fmt.Errorf("%s is required: the alert topic's ARN", EnvTopicARN)
	}
	p := &Publisher{SNS: sns.NewFromConfig(cfg), TopicARN: topic}
	if bus := getenv(EnvBusName); bus != "" {
		p.Events, p.BusName = eventbridge.NewFromConfig(cfg), bus
	}
	var store Store = NewMemoryStore()
	var thresholds detect.ThresholdStore
	if table := getenv(EnvDedupeTable); table != "" {
		client := dynamodb.NewFromConfig(cfg)
		store = &DynamoStore{Client: client, Table: table}
		thresholds = &DynamoThresholds{Client: client, Table: table, Context: ctx}
	}
	return p, store, thresholds, nil
}

// LoadEngine returns the engine of the functions: the default rules, the rule files under
// RulesDir in the function's directory ($LAMBDA_TASK_ROOT, where Lambda unpacks the asset;
// else the executable's directory), and EnvDisabledRules turned off, loaded as
// `trailguard detect --rules` loads a directory (detect.LoadWith). getenv is os.Getenv outside
// tests.
func LoadEngine(getenv func(string) string) (*detect.Engine, error) {
	return LoadEngineWith(context.Background(), getenv, nil, nil)
}

// LoadEngineWith is LoadEngine with the organization context of ContextFile, its accounts
// completed from Organizations when lister is not nil (RefreshAccounts).
func LoadEngineWith(ctx context.Context, getenv func(string) string, lister AccountLister, log *slog.Logger) (*detect.Engine, error) {
	root, err := TaskRoot(getenv)
	if err != nil {
		return nil, fmt.Errorf("finding the rules: %w", err)
	}
	var o detect.LoadOptions
	if dir := filepath.Join(root, RulesDir); isDir(dir) {
		o.Dirs = []string{dir}
	}
	for _, id := range strings.Split(getenv(EnvDisabledRules), ",") {
		if id = strings.TrimSpace(id); id != "" {
			o.Disabled = append(o.Disabled, id)
		}
	}
	o.DisabledName = EnvDisabledRules
	if b, err := os.ReadFile(filepath.Join(root, ContextFile)); err == nil {
		c, err := detect.ParseContext(b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", ContextFile, err)
		}
		o.Context = c
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("reading %s: %w", ContextFile, err)
	}
	if lister != nil {
		o.Context = RefreshAccounts(ctx, lister, o.Context, log)
	}
	return detect.LoadWith(o)
}

// TaskRoot is the function's directory, where the files bundled with its code are:
// $LAMBDA_TASK_ROOT, where Lambda unpacks the asset, else the executable's directory.
func TaskRoot(getenv func(string) string) (string, error) {
	if root := getenv("LAMBDA_TASK_ROOT"); root != "" {
		return root, nil
	}
	exe, err := os.Executable()
	if err != nil {
		return "", err
	}
	return filepath.Dir(exe), nil
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}
