// Package deployed describes what trailguard deploys of the trails and EventBridge rules its
// automatic response restores (the responder's cloudtrail-restore-trail and
// events-restore-forwarder-rule actions): the organization trail, each account's local trail,
// and the forwarders' rules with their targets. A restore never takes a value from the
// triggering event, whose request parameters an attacker writes; it restores these
// definitions, which synth writes from the same props that build the stacks and bundles with
// the responder function as File.
//
// The constructs produce them (orgtrail.Definition, accounttrail.Definition,
// eventforwarder.RuleDefinitions) with the account, region and partition as placeholders, and
// responder.ResponderProps.Deployed takes them as JSON. An app that composes its own stacks
// writes them from the props it builds its constructs with:
//
//	org := orgtrail.Definition(orgTrailProps, "eu-west-1")
//	org.Accounts = []string{"111111111111"} // the management account, where it is
//	defs := deployed.Definitions{Trails: []deployed.Trail{org}}
//	rules, err := eventforwarder.RuleDefinitions(forwarderProps, "eu-west-1")
//	if err != nil {
//		return err
//	}
//	defs.Rules = rules
//	b, err := json.Marshal(defs)
//	// responder.ResponderProps{Deployed: jsii.String(string(b)), ...}
//
// Pure Go: no CDK, no AWS SDK.
package deployed

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
	// PlaceholderAccount stands for the account ID.
	PlaceholderAccount = "${AWS::AccountId}"
	// PlaceholderRegion stands for the region.
	PlaceholderRegion = "${AWS::Region}"
	// PlaceholderPartition stands for the partition (aws, aws-us-gov, aws-cn).
	PlaceholderPartition = "${AWS::Partition}"
)

// File is the name of the definitions' file in the responder function's bundle, next to the
// rules.
const File = "deployed.json"

// Definitions are the configuration trailguard deployed of the resources the restoring
// actions put back (cloudtrail-restore-trail, events-restore-forwarder-rule). Synth writes
// them from the same props that build the stacks and bundles them with the responder function
// (File): a restore never takes a value from the event, whose request parameters are the
// attacker's.
type Definitions struct {
	// Trails are trailguard's trails.
	Trails []Trail `json:"trails"`
	// Rules are the forwarders' EventBridge rules.
	Rules []Rule `json:"rules"`
}

// Trail is one trail as deployed.
type Trail struct {
	// Name is the trail's name.
	Name string `json:"name"`
	// Accounts are the accounts the trail is in; empty: every account but ExceptAccounts.
	Accounts []string `json:"accounts,omitempty"`
	// ExceptAccounts are the accounts the trail is not in, when Accounts is empty.
	ExceptAccounts []string `json:"exceptAccounts,omitempty"`
	// Region is the trail's home region, where it is created and may be changed.
	Region string `json:"region"`
	// IsMultiRegionTrail is the trail's UpdateTrail setting of that name, as are the fields
	// down to S3BucketName.
	IsMultiRegionTrail bool `json:"isMultiRegionTrail"`
	// IsOrganizationTrail: the trail logs every account of the organization.
	IsOrganizationTrail bool `json:"isOrganizationTrail"`
	// IncludeGlobalServiceEvents: the trail logs IAM, STS and the other global services.
	IncludeGlobalServiceEvents bool `json:"includeGlobalServiceEvents"`
	// EnableLogFileValidation: the trail writes digest files.
	EnableLogFileValidation bool `json:"enableLogFileValidation"`
	// S3BucketName is the bucket the trail delivers to; the trail has no key prefix.
	S3BucketName string `json:"s3BucketName"`
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

// AdvancedEventSelector is one advanced event selector
// (https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_AdvancedEventSelector.html).
type AdvancedEventSelector struct {
	// Name is the selector's name.
	Name string `json:"name"`
	// FieldSelectors are its conditions, all of which an event meets.
	FieldSelectors []FieldSelector `json:"fieldSelectors"`
}

// FieldSelector is one field selector of an advanced event selector
// (https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_AdvancedFieldSelector.html).
type FieldSelector struct {
	// Field is the event field compared (eventCategory, resources.type, ...).
	Field string `json:"field"`
	// Equals lists values the field equals; the other lists are the API's operators of the
	// same names.
	Equals []string `json:"equals,omitempty"`
	// StartsWith lists prefixes of the field.
	StartsWith []string `json:"startsWith,omitempty"`
	// EndsWith lists suffixes of the field.
	EndsWith []string `json:"endsWith,omitempty"`
	// NotEquals lists values the field does not equal.
	NotEquals []string `json:"notEquals,omitempty"`
	// NotStartsWith lists prefixes the field does not have.
	NotStartsWith []string `json:"notStartsWith,omitempty"`
	// NotEndsWith lists suffixes the field does not have.
	NotEndsWith []string `json:"notEndsWith,omitempty"`
}

// In reports whether the trail is deployed in account.
func (d Trail) In(account string) bool {
	if len(d.Accounts) > 0 {
		return slices.Contains(d.Accounts, account)
	}
	return !slices.Contains(d.ExceptAccounts, account)
}

// Rule is one forwarder rule as deployed (on the default event bus of every account).
type Rule struct {
	// Name is the rule's name.
	Name string `json:"name"`
	// HomeRegion is the home region of the organization's config.
	HomeRegion string `json:"homeRegion"`
	// Regions: the rule is deployed in the home region only (RegionsHome), in every other
	// region (RegionsOther) or in every region (RegionsAll).
	Regions string `json:"regions"`
	// Description is the rule's description, as PutRule takes it.
	Description string `json:"description"`
	// EventPattern is the rule's pattern, JSON, as PutRule takes it.
	EventPattern string `json:"eventPattern"`
	// State is the rule's state (ENABLED, or ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS
	// with read-only events), as PutRule takes it.
	State string `json:"state"`
	// Targets are the rule's targets.
	Targets []RuleTarget `json:"targets"`
}

// Regions of a rule definition.
const (
	// RegionsHome: the home region only.
	RegionsHome = "home"
	// RegionsOther: every region but the home region.
	RegionsOther = "other"
	// RegionsAll: every region.
	RegionsAll = "all"
)

// RuleTarget is one target of a forwarder rule.
type RuleTarget struct {
	// ID is the target's id on the rule.
	ID string `json:"id"`
	// Arn is the target's ARN: the Security account's stream or receiving bus.
	Arn string `json:"arn"`
	// RoleArn is the role EventBridge delivers with.
	RoleArn string `json:"roleArn"`
	// KinesisPartitionKeyPath is the partition key of a stream target.
	KinesisPartitionKeyPath string `json:"kinesisPartitionKeyPath,omitempty"`
	// DeadLetterAlarm is the name of the alarm on the target's dead-letter queue: its
	// QueueName dimension names the queue, whose name CloudFormation generated and synth
	// cannot know.
	DeadLetterAlarm string `json:"deadLetterAlarm"`
	// MaximumRetryAttempts is the target's retry policy's number of attempts.
	MaximumRetryAttempts int `json:"maximumRetryAttempts"`
	// MaximumEventAgeInSeconds is the target's retry policy's maximum event age.
	MaximumEventAgeInSeconds int `json:"maximumEventAgeInSeconds"`
}

// In reports whether the rule is deployed in region.
func (d Rule) In(region string) bool {
	switch d.Regions {
	case RegionsHome:
		return region == d.HomeRegion
	case RegionsOther:
		return region != d.HomeRegion
	}
	return true
}

// Trail returns the definition of the trail named name (a name or an ARN) in account.
func (d *Definitions) Trail(name, account string) (Trail, bool) {
	if d == nil {
		return Trail{}, false
	}
	name = name[strings.LastIndex(name, "/")+1:]
	for _, t := range d.Trails {
		if t.Name == name && t.In(account) {
			return t, true
		}
	}
	return Trail{}, false
}

// Rule returns the definition of the default bus's rule named name in region.
func (d *Definitions) Rule(name, region string) (Rule, bool) {
	if d == nil {
		return Rule{}, false
	}
	for _, r := range d.Rules {
		if r.Name == name && r.In(region) {
			return r, true
		}
	}
	return Rule{}, false
}

// Fill replaces the placeholders in s.
func Fill(s, partition, account, region string) string {
	return strings.NewReplacer(PlaceholderPartition, partition, PlaceholderAccount, account, PlaceholderRegion, region).Replace(s)
}

// Parse reads definitions (File's JSON), checking that each is complete enough to restore
// from; the error names the definition and what it lacks.
func Parse(b []byte) (*Definitions, error) {
	var d Definitions
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, fmt.Errorf("%s: %w", File, err)
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
		return nil, fmt.Errorf("%s: %s", File, strings.Join(errs, "; "))
	}
	return &d, nil
}
