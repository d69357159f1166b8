package respond

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Placeholders in a deployed definition, filled in with the account, region and partition of
// the resource being restored (the member stacks and the StackSet template are the same in
// every account and region).
const (
	PlaceholderAccount   = "${AWS::AccountId}"
	PlaceholderRegion    = "${AWS::Region}"
	PlaceholderPartition = "${AWS::Partition}"
)

// DeployedFile is the name of the deployed definitions' file in the responder function's
// bundle, next to the rules.
const DeployedFile = "deployed.json"

// Deployed is the configuration trailguard deployed of the resources the restoring actions
// put back (cloudtrail-restore-trail, events-restore-forwarder-rule). Synth writes it from
// the same props that build the stacks and bundles it with the responder function: a restore
// never takes a value from the event, whose request parameters are the attacker's.
type Deployed struct {
	// Trails are trailguard's trails.
	Trails []TrailDefinition `json:"trails"`
	// Rules are the forwarders' EventBridge rules.
	Rules []RuleDefinition `json:"rules"`
}

// TrailDefinition is one trail as deployed.
type TrailDefinition struct {
	// Name is the trail's name.
	Name string `json:"name"`
	// Accounts are the accounts the trail is in; empty: every account but ExceptAccounts.
	Accounts       []string `json:"accounts,omitempty"`
	ExceptAccounts []string `json:"exceptAccounts,omitempty"`
	// Region is the trail's home region, where it is created and may be changed.
	Region string `json:"region"`
	// The trail's settings (UpdateTrail).
	IsMultiRegionTrail         bool   `json:"isMultiRegionTrail"`
	IsOrganizationTrail        bool   `json:"isOrganizationTrail"`
	IncludeGlobalServiceEvents bool   `json:"includeGlobalServiceEvents"`
	EnableLogFileValidation    bool   `json:"enableLogFileValidation"`
	S3BucketName               string `json:"s3BucketName"`
	// KmsKeyId is the key's ARN or its alias's ARN. Empty with KmsKeyFromBucket.
	KmsKeyId string `json:"kmsKeyId,omitempty"`
	// KmsKeyFromBucket: the key is the one the trail's bucket encrypts with by default (the
	// construct creates both together, and the guardrails protect the bucket's
	// encryption), read from the bucket when the key ARN is not known at synth.
	KmsKeyFromBucket bool `json:"kmsKeyFromBucket,omitempty"`
	// AdvancedEventSelectors are the trail's selectors; with none, the trail has the basic
	// selector CloudTrail gives a new trail: every management event, read and write, and no
	// data events.
	AdvancedEventSelectors []AdvancedEventSelector `json:"advancedEventSelectors,omitempty"`
	// InsightTypes are the trail's Insights types.
	InsightTypes []string `json:"insightTypes,omitempty"`
}

// AdvancedEventSelector is one advanced event selector.
type AdvancedEventSelector struct {
	Name           string          `json:"name"`
	FieldSelectors []FieldSelector `json:"fieldSelectors"`
}

// FieldSelector is one field selector of an advanced event selector.
type FieldSelector struct {
	Field         string   `json:"field"`
	Equals        []string `json:"equals,omitempty"`
	StartsWith    []string `json:"startsWith,omitempty"`
	EndsWith      []string `json:"endsWith,omitempty"`
	NotEquals     []string `json:"notEquals,omitempty"`
	NotStartsWith []string `json:"notStartsWith,omitempty"`
	NotEndsWith   []string `json:"notEndsWith,omitempty"`
}

// In reports whether the trail is deployed in account.
func (d TrailDefinition) In(account string) bool {
	if len(d.Accounts) > 0 {
		return slices.Contains(d.Accounts, account)
	}
	return !slices.Contains(d.ExceptAccounts, account)
}

// RuleDefinition is one forwarder rule as deployed (on the default event bus of every
// account).
type RuleDefinition struct {
	// Name is the rule's name.
	Name string `json:"name"`
	// HomeRegion and Regions: the rule is deployed in the home region only ("home"), in
	// every other region ("other") or in every region ("all").
	HomeRegion string `json:"homeRegion"`
	Regions    string `json:"regions"`
	// Description, EventPattern (JSON) and State as PutRule takes them.
	Description  string `json:"description"`
	EventPattern string `json:"eventPattern"`
	State        string `json:"state"`
	// Targets are the rule's targets.
	Targets []RuleTarget `json:"targets"`
}

// Regions of a rule definition.
const (
	RegionsHome  = "home"
	RegionsOther = "other"
	RegionsAll   = "all"
)

// RuleTarget is one target of a forwarder rule.
type RuleTarget struct {
	ID      string `json:"id"`
	Arn     string `json:"arn"`
	RoleArn string `json:"roleArn"`
	// KinesisPartitionKeyPath is the partition key of a stream target.
	KinesisPartitionKeyPath string `json:"kinesisPartitionKeyPath,omitempty"`
	// DeadLetterAlarm is the name of the alarm on the target's dead-letter queue: its
	// QueueName dimension names the queue, whose name CloudFormation generated and synth
	// cannot know.
	DeadLetterAlarm          string `json:"deadLetterAlarm"`
	MaximumRetryAttempts     int    `json:"maximumRetryAttempts"`
	MaximumEventAgeInSeconds int    `json:"maximumEventAgeInSeconds"`
}

// In reports whether the rule is deployed in region.
func (d RuleDefinition) In(region string) bool {
	switch d.Regions {
	case RegionsHome:
		return region == d.HomeRegion
	case RegionsOther:
		return region != d.HomeRegion
	}
	return true
}

// Trail returns the definition of the trail named name (a name or an ARN) in account.
func (d *Deployed) Trail(name, account string) (TrailDefinition, bool) {
	if d == nil {
		return TrailDefinition{}, false
	}
	name = name[strings.LastIndex(name, "/")+1:]
	for _, t := range d.Trails {
		if t.Name == name && t.In(account) {
			return t, true
		}
	}
	return TrailDefinition{}, false
}

// Rule returns the definition of the default bus's rule named name in region.
func (d *Deployed) Rule(name, region string) (RuleDefinition, bool) {
	if d == nil {
		return RuleDefinition{}, false
	}
	for _, r := range d.Rules {
		if r.Name == name && r.In(region) {
			return r, true
		}
	}
	return RuleDefinition{}, false
}

// Fill replaces the placeholders in s.
func Fill(s, partition, account, region string) string {
	return strings.NewReplacer(PlaceholderPartition, partition, PlaceholderAccount, account, PlaceholderRegion, region).Replace(s)
}

// ParseDeployed reads deployed definitions, checking that each is complete enough to
// restore from.
func ParseDeployed(b []byte) (*Deployed, error) {
	var d Deployed
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, fmt.Errorf("%s: %w", DeployedFile, err)
	}
	var errs []string
	for i, t := range d.Trails {
		if t.Name == "" || t.Region == "" || t.S3BucketName == "" || (t.KmsKeyId == "") == !t.KmsKeyFromBucket {
			errs = append(errs, fmt.Sprintf("trails[%d] (%q) needs name, region, s3BucketName and one of kmsKeyId and kmsKeyFromBucket", i, t.Name))
		}
	}
	for i, r := range d.Rules {
		if r.Name == "" || r.HomeRegion == "" || !slices.Contains([]string{RegionsHome, RegionsOther, RegionsAll}, r.Regions) || !json.Valid([]byte(r.EventPattern)) || r.State == "" || len(r.Targets) == 0 {
			errs = append(errs, fmt.Sprintf("rules[%d] (%q) needs name, homeRegion, regions (home, other or all), a JSON eventPattern, state and targets", i, r.Name))
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%s: %s", DeployedFile, strings.Join(errs, "; "))
	}
	return &d, nil
}
