package execute

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/trailguard/trailguard/deployed"
	"github.com/trailguard/trailguard/internal/respond"
)

// CloudTrailConfigAPI is the part of the CloudTrail client the trail restore uses.
type CloudTrailConfigAPI interface {
	GetTrail(ctx context.Context, in *cloudtrail.GetTrailInput, opts ...func(*cloudtrail.Options)) (*cloudtrail.GetTrailOutput, error)
	GetTrailStatus(ctx context.Context, in *cloudtrail.GetTrailStatusInput, opts ...func(*cloudtrail.Options)) (*cloudtrail.GetTrailStatusOutput, error)
	GetEventSelectors(ctx context.Context, in *cloudtrail.GetEventSelectorsInput, opts ...func(*cloudtrail.Options)) (*cloudtrail.GetEventSelectorsOutput, error)
	GetInsightSelectors(ctx context.Context, in *cloudtrail.GetInsightSelectorsInput, opts ...func(*cloudtrail.Options)) (*cloudtrail.GetInsightSelectorsOutput, error)
	UpdateTrail(ctx context.Context, in *cloudtrail.UpdateTrailInput, opts ...func(*cloudtrail.Options)) (*cloudtrail.UpdateTrailOutput, error)
	PutEventSelectors(ctx context.Context, in *cloudtrail.PutEventSelectorsInput, opts ...func(*cloudtrail.Options)) (*cloudtrail.PutEventSelectorsOutput, error)
	PutInsightSelectors(ctx context.Context, in *cloudtrail.PutInsightSelectorsInput, opts ...func(*cloudtrail.Options)) (*cloudtrail.PutInsightSelectorsOutput, error)
	StartLogging(ctx context.Context, in *cloudtrail.StartLoggingInput, opts ...func(*cloudtrail.Options)) (*cloudtrail.StartLoggingOutput, error)
}

// S3EncryptionAPI is the part of the S3 client that reads a bucket's default encryption: the
// key of a trail whose key ARN synth cannot know.
type S3EncryptionAPI interface {
	GetBucketEncryption(ctx context.Context, in *s3.GetBucketEncryptionInput, opts ...func(*s3.Options)) (*s3.GetBucketEncryptionOutput, error)
}

// EventsAPI is the part of the EventBridge client the forwarder rule restore uses.
type EventsAPI interface {
	DescribeRule(ctx context.Context, in *eventbridge.DescribeRuleInput, opts ...func(*eventbridge.Options)) (*eventbridge.DescribeRuleOutput, error)
	ListTargetsByRule(ctx context.Context, in *eventbridge.ListTargetsByRuleInput, opts ...func(*eventbridge.Options)) (*eventbridge.ListTargetsByRuleOutput, error)
	EnableRule(ctx context.Context, in *eventbridge.EnableRuleInput, opts ...func(*eventbridge.Options)) (*eventbridge.EnableRuleOutput, error)
	PutRule(ctx context.Context, in *eventbridge.PutRuleInput, opts ...func(*eventbridge.Options)) (*eventbridge.PutRuleOutput, error)
	PutTargets(ctx context.Context, in *eventbridge.PutTargetsInput, opts ...func(*eventbridge.Options)) (*eventbridge.PutTargetsOutput, error)
}

// CloudWatchAPI is the part of the CloudWatch client that finds a forwarder's dead-letter
// queue by the alarm that watches it.
type CloudWatchAPI interface {
	DescribeAlarms(ctx context.Context, in *cloudwatch.DescribeAlarmsInput, opts ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error)
}

// TrailConfig is a trail's configuration as the restore compares it.
type TrailConfig struct {
	IsLogging                  bool                             `json:"isLogging"`
	IsMultiRegionTrail         bool                             `json:"isMultiRegionTrail"`
	IsOrganizationTrail        bool                             `json:"isOrganizationTrail"`
	IncludeGlobalServiceEvents bool                             `json:"includeGlobalServiceEvents"`
	LogFileValidationEnabled   bool                             `json:"logFileValidationEnabled"`
	S3BucketName               string                           `json:"s3BucketName"`
	S3KeyPrefix                string                           `json:"s3KeyPrefix,omitempty"`
	KmsKeyId                   string                           `json:"kmsKeyId,omitempty"`
	AdvancedEventSelectors     []deployed.AdvancedEventSelector `json:"advancedEventSelectors,omitempty"`
	EventSelectors             []BasicEventSelector             `json:"eventSelectors,omitempty"`
	InsightTypes               []string                         `json:"insightTypes,omitempty"`
}

// BasicEventSelector is a basic event selector.
type BasicEventSelector struct {
	ReadWriteType                 string         `json:"readWriteType"`
	IncludeManagementEvents       bool           `json:"includeManagementEvents"`
	ExcludeManagementEventSources []string       `json:"excludeManagementEventSources,omitempty"`
	DataResources                 []DataResource `json:"dataResources,omitempty"`
}

// DataResource is a basic event selector's data resource.
type DataResource struct {
	Type   string   `json:"type"`
	Values []string `json:"values,omitempty"`
}

// defaultSelectors are the event selectors of a trail created without any: every management
// event, read and write, no data events
// (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/logging-management-events-with-cloudtrail.html).
var defaultSelectors = []BasicEventSelector{{ReadWriteType: string(cttypes.ReadWriteTypeAll), IncludeManagementEvents: true}}

// trailDrift is what differs between a trail's configuration and the deployed one.
type trailDrift struct {
	settings, selectors, logging bool
	insights                     []string // the deployed Insights types missing
}

func (d trailDrift) none() bool {
	return !d.settings && !d.selectors && !d.logging && len(d.insights) == 0
}

// keyMatches reports whether the trail's key (GetTrail returns a key ARN) is the deployed
// one. An alias ARN matches any key of its account and region: KMS resolves an alias to a key
// ARN when the trail is updated, and telling which key of the Security account the alias
// names would need kms:DescribeKey there; a key in any other account or region (an
// attacker's) differs.
func keyMatches(want, got string) bool {
	if want == got {
		return true
	}
	w, g := strings.SplitN(want, ":", 6), strings.SplitN(got, ":", 6)
	if len(w) < 6 || len(g) < 6 || !strings.HasPrefix(w[5], "alias/") || !strings.HasPrefix(g[5], "key/") {
		return false
	}
	return slices.Equal(w[:5], g[:5])
}

func drift(want, got TrailConfig) trailDrift {
	var d trailDrift
	d.settings = want.IsMultiRegionTrail != got.IsMultiRegionTrail || want.IsOrganizationTrail != got.IsOrganizationTrail ||
		want.IncludeGlobalServiceEvents != got.IncludeGlobalServiceEvents || want.LogFileValidationEnabled != got.LogFileValidationEnabled ||
		want.S3BucketName != got.S3BucketName || want.S3KeyPrefix != got.S3KeyPrefix || !keyMatches(want.KmsKeyId, got.KmsKeyId)
	d.selectors = !reflect.DeepEqual(normalAdvanced(want.AdvancedEventSelectors), normalAdvanced(got.AdvancedEventSelectors)) ||
		!reflect.DeepEqual(normalBasic(want.EventSelectors), normalBasic(got.EventSelectors))
	d.logging = want.IsLogging && !got.IsLogging
	for _, t := range want.InsightTypes {
		if !slices.Contains(got.InsightTypes, t) {
			d.insights = append(d.insights, t)
		}
	}
	return d
}

// normalAdvanced sorts selectors, their fields and values: CloudTrail need not return them
// in the order they were put.
func normalAdvanced(in []deployed.AdvancedEventSelector) []deployed.AdvancedEventSelector {
	if len(in) == 0 {
		return nil
	}
	out := make([]deployed.AdvancedEventSelector, len(in))
	for i, s := range in {
		fs := make([]deployed.FieldSelector, len(s.FieldSelectors))
		for j, f := range s.FieldSelectors {
			for _, l := range []*[]string{&f.Equals, &f.StartsWith, &f.EndsWith, &f.NotEquals, &f.NotStartsWith, &f.NotEndsWith} {
				if len(*l) == 0 {
					*l = nil
					continue
				}
				*l = slices.Sorted(slices.Values(*l))
			}
			fs[j] = f
		}
		sort.Slice(fs, func(a, b int) bool { return fs[a].Field < fs[b].Field })
		out[i] = deployed.AdvancedEventSelector{Name: s.Name, FieldSelectors: fs}
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Name < out[b].Name })
	return out
}

func normalBasic(in []BasicEventSelector) []BasicEventSelector {
	if len(in) == 0 {
		return nil
	}
	out := make([]BasicEventSelector, len(in))
	for i, s := range in {
		if len(s.ExcludeManagementEventSources) == 0 {
			s.ExcludeManagementEventSources = nil
		}
		if len(s.DataResources) == 0 {
			s.DataResources = nil
		}
		out[i] = s
	}
	return out
}

// trailConfig restores a trailguard trail's configuration as deployed: its settings
// (UpdateTrail), its event selectors (PutEventSelectors), the Insights types it was deployed
// with (PutInsightSelectors; it never turns Insights off), and its logging (StartLogging).
// The deployed configuration is synth's (x.Deployed); a trail synth did not deploy is left
// alone. UpdateTrail and the selectors' calls must be made in the trail's home region
// (https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_UpdateTrail.html).
func (x *Executor) trailConfig(ctx context.Context, c *Clients, t *respond.Target, enforce bool, o *Outcome) error {
	def, ok := x.Deployed.Trail(t.Trail, t.Account)
	if !ok {
		o.Note = fmt.Sprintf("trail %s is not one trailguard deployed in account %s: nothing to restore it to, left as it is", t.Trail, t.Account)
		return nil
	}
	partition := x.partition()
	fill := func(s string) string { return deployed.Fill(s, partition, t.Account, def.Region) }
	name := def.Name
	want := TrailConfig{
		IsLogging: true, IsMultiRegionTrail: def.IsMultiRegionTrail, IsOrganizationTrail: def.IsOrganizationTrail,
		IncludeGlobalServiceEvents: def.IncludeGlobalServiceEvents, LogFileValidationEnabled: def.EnableLogFileValidation,
		S3BucketName: fill(def.S3BucketName), KmsKeyId: fill(def.KmsKeyId), InsightTypes: def.InsightTypes,
	}
	for _, s := range def.AdvancedEventSelectors {
		fs := make([]deployed.FieldSelector, len(s.FieldSelectors))
		for i, f := range s.FieldSelectors {
			f.Equals, f.StartsWith, f.EndsWith = fillAll(f.Equals, fill), fillAll(f.StartsWith, fill), fillAll(f.EndsWith, fill)
			f.NotEquals, f.NotStartsWith, f.NotEndsWith = fillAll(f.NotEquals, fill), fillAll(f.NotStartsWith, fill), fillAll(f.NotEndsWith, fill)
			fs[i] = f
		}
		want.AdvancedEventSelectors = append(want.AdvancedEventSelectors, deployed.AdvancedEventSelector{Name: s.Name, FieldSelectors: fs})
	}
	if len(want.AdvancedEventSelectors) == 0 {
		want.EventSelectors = defaultSelectors
	}
	if def.KmsKeyFromBucket {
		key, err := bucketKey(ctx, c, want.S3BucketName, partition, t.Account, def.Region)
		if err != nil {
			return err
		}
		want.KmsKeyId = key
	}
	var d trailDrift
	return reconcile(enforce, o, reconciler[*TrailConfig]{
		read: func() (*TrailConfig, bool, error) { return readTrail(ctx, c, name) },
		right: func(got *TrailConfig) bool {
			d = drift(want, *got)
			return d.none()
		},
		plan: func(got *TrailConfig) []string {
			var calls []string
			if d.settings {
				call := fmt.Sprintf("cloudtrail:UpdateTrail Name=%s IsMultiRegionTrail=%v IsOrganizationTrail=%v IncludeGlobalServiceEvents=%v EnableLogFileValidation=%v S3BucketName=%s KmsKeyId=%s",
					name, want.IsMultiRegionTrail, want.IsOrganizationTrail, want.IncludeGlobalServiceEvents, want.LogFileValidationEnabled, want.S3BucketName, want.KmsKeyId)
				if got.S3KeyPrefix != want.S3KeyPrefix {
					call += fmt.Sprintf(" S3KeyPrefix=%q", want.S3KeyPrefix)
				}
				calls = append(calls, call)
			}
			if d.selectors {
				b, _ := json.Marshal(want.AdvancedEventSelectors)
				if len(want.AdvancedEventSelectors) == 0 {
					b, _ = json.Marshal(want.EventSelectors)
					calls = append(calls, fmt.Sprintf("cloudtrail:PutEventSelectors TrailName=%s EventSelectors=%s", name, b))
				} else {
					calls = append(calls, fmt.Sprintf("cloudtrail:PutEventSelectors TrailName=%s AdvancedEventSelectors=%s", name, b))
				}
			}
			if len(d.insights) > 0 {
				calls = append(calls, fmt.Sprintf("cloudtrail:PutInsightSelectors TrailName=%s InsightTypes=%s (the deployed ones missing: %s; others kept)", name, strings.Join(union(got.InsightTypes, want.InsightTypes), ","), strings.Join(d.insights, ",")))
			}
			if d.logging {
				calls = append(calls, "cloudtrail:StartLogging Name="+name)
			}
			o.Note = "restored to the configuration synth deployed (the event's parameters are never used); CloudWatch Logs delivery and tags are not compared"
			return calls
		},
		act: func(got *TrailConfig) error {
			if d.settings {
				in := &cloudtrail.UpdateTrailInput{
					Name: aws.String(name), IsMultiRegionTrail: aws.Bool(want.IsMultiRegionTrail), IsOrganizationTrail: aws.Bool(want.IsOrganizationTrail),
					IncludeGlobalServiceEvents: aws.Bool(want.IncludeGlobalServiceEvents), EnableLogFileValidation: aws.Bool(want.LogFileValidationEnabled),
					S3BucketName: aws.String(want.S3BucketName), KmsKeyId: aws.String(want.KmsKeyId),
				}
				// The prefix only when it was changed: the deployed trails have none, and an
				// empty prefix clears one.
				if got.S3KeyPrefix != want.S3KeyPrefix {
					in.S3KeyPrefix = aws.String(want.S3KeyPrefix)
				}
				if _, err := c.TrailConfig.UpdateTrail(ctx, in); err != nil {
					return fmt.Errorf("restore the settings of trail %s: %w", name, err)
				}
			}
			if d.selectors {
				in := &cloudtrail.PutEventSelectorsInput{TrailName: aws.String(name)}
				if len(want.AdvancedEventSelectors) > 0 {
					in.AdvancedEventSelectors = toAPIAdvanced(want.AdvancedEventSelectors)
				} else {
					in.EventSelectors = []cttypes.EventSelector{{ReadWriteType: cttypes.ReadWriteTypeAll, IncludeManagementEvents: aws.Bool(true)}}
				}
				if _, err := c.TrailConfig.PutEventSelectors(ctx, in); err != nil {
					return fmt.Errorf("restore the event selectors of trail %s: %w", name, err)
				}
			}
			if len(d.insights) > 0 {
				var sel []cttypes.InsightSelector
				for _, it := range union(got.InsightTypes, want.InsightTypes) {
					sel = append(sel, cttypes.InsightSelector{InsightType: cttypes.InsightType(it)})
				}
				if _, err := c.TrailConfig.PutInsightSelectors(ctx, &cloudtrail.PutInsightSelectorsInput{TrailName: aws.String(name), InsightSelectors: sel}); err != nil {
					return fmt.Errorf("restore the Insights selectors of trail %s: %w", name, err)
				}
			}
			if d.logging {
				if _, err := c.TrailConfig.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: aws.String(name)}); err != nil {
					return fmt.Errorf("start logging on trail %s: %w", name, err)
				}
			}
			return nil
		},
	})
}

func fillAll(in []string, fill func(string) string) []string {
	if in == nil {
		return nil
	}
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = fill(s)
	}
	return out
}

func union(a, b []string) []string {
	out := slices.Clone(a)
	for _, s := range b {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// bucketKey returns the ARN of the KMS key bucket encrypts with by default.
func bucketKey(ctx context.Context, c *Clients, bucket, partition, account, region string) (string, error) {
	out, err := c.BucketEncryption.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: aws.String(bucket), ExpectedBucketOwner: aws.String(account)})
	if err != nil {
		return "", fmt.Errorf("read the default encryption of bucket %s, to know the trail's deployed key: %w", bucket, err)
	}
	if out.ServerSideEncryptionConfiguration != nil {
		for _, r := range out.ServerSideEncryptionConfiguration.Rules {
			if d := r.ApplyServerSideEncryptionByDefault; d != nil && aws.ToString(d.KMSMasterKeyID) != "" {
				k := aws.ToString(d.KMSMasterKeyID)
				if !strings.HasPrefix(k, "arn:") {
					k = fmt.Sprintf("arn:%s:kms:%s:%s:key/%s", partition, region, account, k)
				}
				return k, nil
			}
		}
	}
	return "", fmt.Errorf("bucket %s has no default KMS key: the trail's deployed key is not known; redeploy the stack", bucket)
}

// readTrail reads a trail's settings, status and selectors; false when it does not exist.
func readTrail(ctx context.Context, c *Clients, name string) (*TrailConfig, bool, error) {
	tr, err := c.TrailConfig.GetTrail(ctx, &cloudtrail.GetTrailInput{Name: aws.String(name)})
	if errorCode(err) == "TrailNotFoundException" {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("read trail %s: %w", name, err)
	}
	t := tr.Trail
	s := &TrailConfig{
		IsMultiRegionTrail: aws.ToBool(t.IsMultiRegionTrail), IsOrganizationTrail: aws.ToBool(t.IsOrganizationTrail),
		IncludeGlobalServiceEvents: aws.ToBool(t.IncludeGlobalServiceEvents), LogFileValidationEnabled: aws.ToBool(t.LogFileValidationEnabled),
		S3BucketName: aws.ToString(t.S3BucketName), S3KeyPrefix: aws.ToString(t.S3KeyPrefix), KmsKeyId: aws.ToString(t.KmsKeyId),
	}
	st, err := c.TrailConfig.GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: aws.String(name)})
	if err != nil {
		return nil, false, fmt.Errorf("read the status of trail %s: %w", name, err)
	}
	s.IsLogging = aws.ToBool(st.IsLogging)
	sel, err := c.TrailConfig.GetEventSelectors(ctx, &cloudtrail.GetEventSelectorsInput{TrailName: aws.String(name)})
	if err != nil {
		return nil, false, fmt.Errorf("read the event selectors of trail %s: %w", name, err)
	}
	for _, a := range sel.AdvancedEventSelectors {
		as := deployed.AdvancedEventSelector{Name: aws.ToString(a.Name)}
		for _, f := range a.FieldSelectors {
			as.FieldSelectors = append(as.FieldSelectors, deployed.FieldSelector{Field: aws.ToString(f.Field), Equals: f.Equals, StartsWith: f.StartsWith,
				EndsWith: f.EndsWith, NotEquals: f.NotEquals, NotStartsWith: f.NotStartsWith, NotEndsWith: f.NotEndsWith})
		}
		s.AdvancedEventSelectors = append(s.AdvancedEventSelectors, as)
	}
	for _, e := range sel.EventSelectors {
		b := BasicEventSelector{ReadWriteType: string(e.ReadWriteType), IncludeManagementEvents: aws.ToBool(e.IncludeManagementEvents), ExcludeManagementEventSources: e.ExcludeManagementEventSources}
		for _, r := range e.DataResources {
			b.DataResources = append(b.DataResources, DataResource{Type: aws.ToString(r.Type), Values: r.Values})
		}
		s.EventSelectors = append(s.EventSelectors, b)
	}
	ins, err := c.TrailConfig.GetInsightSelectors(ctx, &cloudtrail.GetInsightSelectorsInput{TrailName: aws.String(name)})
	switch {
	case errorCode(err) == "InsightNotEnabledException":
	case err != nil:
		return nil, false, fmt.Errorf("read the Insights selectors of trail %s: %w", name, err)
	default:
		for _, i := range ins.InsightSelectors {
			s.InsightTypes = append(s.InsightTypes, string(i.InsightType))
		}
	}
	return s, true, nil
}

func toAPIAdvanced(in []deployed.AdvancedEventSelector) []cttypes.AdvancedEventSelector {
	out := make([]cttypes.AdvancedEventSelector, len(in))
	for i, s := range in {
		a := cttypes.AdvancedEventSelector{Name: aws.String(s.Name)}
		for _, f := range s.FieldSelectors {
			a.FieldSelectors = append(a.FieldSelectors, cttypes.AdvancedFieldSelector{Field: aws.String(f.Field), Equals: f.Equals, StartsWith: f.StartsWith,
				EndsWith: f.EndsWith, NotEquals: f.NotEquals, NotStartsWith: f.NotStartsWith, NotEndsWith: f.NotEndsWith})
		}
		out[i] = a
	}
	return out
}

// RuleState is a rule's state as the restore compares it.
type RuleState struct {
	Exists       bool          `json:"exists"`
	State        string        `json:"state,omitempty"`
	EventPattern string        `json:"eventPattern,omitempty"`
	Description  string        `json:"description,omitempty"`
	Targets      []TargetState `json:"targets,omitempty"`
}

// TargetState is one target of a rule.
type TargetState struct {
	ID                       string `json:"id"`
	Arn                      string `json:"arn"`
	RoleArn                  string `json:"roleArn,omitempty"`
	KinesisPartitionKeyPath  string `json:"kinesisPartitionKeyPath,omitempty"`
	DeadLetterArn            string `json:"deadLetterArn,omitempty"`
	MaximumRetryAttempts     int    `json:"maximumRetryAttempts,omitempty"`
	MaximumEventAgeInSeconds int    `json:"maximumEventAgeInSeconds,omitempty"`
}

// rule restores a trailguard forwarder rule as deployed: re-enabled if it was disabled
// (EnableRule; PutRule with the deployed state when that is
// ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS: EnableRule takes no state, and AWS does not
// document that it restores that one rather than ENABLED, which drops the read-only events;
// https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutRule.html), re-created if it was deleted, re-patterned if its pattern
// changed (PutRule), and given its deployed targets again if they were removed or changed
// (PutTargets, the same target ids). A target the rule was given besides them is reported,
// never removed. A rule synth did not deploy in this region is left alone.
func (x *Executor) rule(ctx context.Context, c *Clients, t *respond.Target, enforce bool, o *Outcome) error {
	def, ok := x.Deployed.Rule(t.Rule, t.Region)
	if !ok {
		o.Note = fmt.Sprintf("rule %s is not a forwarder rule trailguard deployed in %s: nothing to restore it to, left as it is", t.Rule, t.Region)
		return nil
	}
	partition := x.partition()
	fill := func(s string) string { return deployed.Fill(s, partition, t.Account, t.Region) }
	want := RuleState{Exists: true, State: def.State, EventPattern: fill(def.EventPattern), Description: def.Description}
	var notes []string
	for _, dt := range def.Targets {
		ts := TargetState{ID: dt.ID, Arn: fill(dt.Arn), RoleArn: fill(dt.RoleArn), KinesisPartitionKeyPath: dt.KinesisPartitionKeyPath,
			MaximumRetryAttempts: dt.MaximumRetryAttempts, MaximumEventAgeInSeconds: dt.MaximumEventAgeInSeconds}
		dlq, err := deadLetterQueue(ctx, c, dt.DeadLetterAlarm, partition, t.Account, t.Region)
		if err != nil {
			return err
		}
		if dlq == "" {
			notes = append(notes, fmt.Sprintf("the alarm %s naming target %s's dead-letter queue is missing: the target is compared and restored without one; redeploy the stack", dt.DeadLetterAlarm, dt.ID))
		}
		ts.DeadLetterArn = dlq
		want.Targets = append(want.Targets, ts)
	}
	var putRule, enable bool
	var missing []TargetState
	return reconcile(enforce, o, reconciler[*RuleState]{
		read: func() (*RuleState, bool, error) { s, err := readRule(ctx, c, t.Rule); return s, err == nil, err },
		right: func(got *RuleState) bool {
			putRule = !got.Exists || !sameJSON(want.EventPattern, got.EventPattern) ||
				(got.State != want.State && want.State != string(ebtypes.RuleStateEnabled))
			enable = !putRule && got.State != want.State
			missing = nil
			for _, w := range want.Targets {
				i := slices.IndexFunc(got.Targets, func(g TargetState) bool { return g.ID == w.ID })
				if i < 0 || !sameTarget(w, got.Targets[i]) {
					missing = append(missing, w)
				}
			}
			for _, g := range got.Targets {
				if !slices.ContainsFunc(want.Targets, func(w TargetState) bool { return w.ID == g.ID }) {
					notes = append(notes, fmt.Sprintf("the rule has a target trailguard did not deploy (id %s, %s): review it; the responder never removes targets", g.ID, g.Arn))
				}
			}
			o.Note = strings.Join(notes, "; ")
			return !putRule && !enable && len(missing) == 0
		},
		plan: func(*RuleState) []string {
			var calls []string
			if putRule {
				calls = append(calls, fmt.Sprintf("events:PutRule Name=%s State=%s EventPattern=%s", t.Rule, want.State, want.EventPattern))
			}
			if enable {
				calls = append(calls, "events:EnableRule Name="+t.Rule)
			}
			for _, m := range missing {
				calls = append(calls, fmt.Sprintf("events:PutTargets Rule=%s Id=%s Arn=%s RoleArn=%s DeadLetterConfig.Arn=%s", t.Rule, m.ID, m.Arn, m.RoleArn, m.DeadLetterArn))
			}
			return calls
		},
		act: func(*RuleState) error {
			if putRule {
				if _, err := c.Events.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String(t.Rule), EventPattern: aws.String(want.EventPattern),
					State: ebtypes.RuleState(want.State), Description: aws.String(want.Description)}); err != nil {
					return fmt.Errorf("put rule %s as deployed: %w", t.Rule, err)
				}
			}
			if enable {
				if _, err := c.Events.EnableRule(ctx, &eventbridge.EnableRuleInput{Name: aws.String(t.Rule)}); err != nil {
					return fmt.Errorf("enable rule %s: %w", t.Rule, err)
				}
			}
			if len(missing) > 0 {
				var targets []ebtypes.Target
				for _, m := range missing {
					tg := ebtypes.Target{Id: aws.String(m.ID), Arn: aws.String(m.Arn), RoleArn: aws.String(m.RoleArn),
						RetryPolicy: &ebtypes.RetryPolicy{MaximumRetryAttempts: aws.Int32(int32(m.MaximumRetryAttempts)), MaximumEventAgeInSeconds: aws.Int32(int32(m.MaximumEventAgeInSeconds))}}
					if m.KinesisPartitionKeyPath != "" {
						tg.KinesisParameters = &ebtypes.KinesisParameters{PartitionKeyPath: aws.String(m.KinesisPartitionKeyPath)}
					}
					if m.DeadLetterArn != "" {
						tg.DeadLetterConfig = &ebtypes.DeadLetterConfig{Arn: aws.String(m.DeadLetterArn)}
					}
					targets = append(targets, tg)
				}
				out, err := c.Events.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String(t.Rule), Targets: targets})
				if err != nil {
					return fmt.Errorf("put the targets of rule %s as deployed: %w", t.Rule, err)
				}
				if out.FailedEntryCount > 0 && len(out.FailedEntries) > 0 {
					f := out.FailedEntries[0]
					return fmt.Errorf("put the targets of rule %s as deployed: target %s: %s %s", t.Rule, aws.ToString(f.TargetId), aws.ToString(f.ErrorCode), aws.ToString(f.ErrorMessage))
				}
			}
			return nil
		},
	})
}

// readRule reads a rule of the default bus and its targets.
func readRule(ctx context.Context, c *Clients, name string) (*RuleState, error) {
	r, err := c.Events.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String(name)})
	if errorCode(err) == "ResourceNotFoundException" {
		return &RuleState{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read rule %s: %w", name, err)
	}
	s := &RuleState{Exists: true, State: string(r.State), EventPattern: aws.ToString(r.EventPattern), Description: aws.ToString(r.Description)}
	var token *string
	for {
		out, err := c.Events.ListTargetsByRule(ctx, &eventbridge.ListTargetsByRuleInput{Rule: aws.String(name), NextToken: token})
		if err != nil {
			return nil, fmt.Errorf("read the targets of rule %s: %w", name, err)
		}
		for _, tg := range out.Targets {
			ts := TargetState{ID: aws.ToString(tg.Id), Arn: aws.ToString(tg.Arn), RoleArn: aws.ToString(tg.RoleArn)}
			if tg.KinesisParameters != nil {
				ts.KinesisPartitionKeyPath = aws.ToString(tg.KinesisParameters.PartitionKeyPath)
			}
			if tg.DeadLetterConfig != nil {
				ts.DeadLetterArn = aws.ToString(tg.DeadLetterConfig.Arn)
			}
			if tg.RetryPolicy != nil {
				ts.MaximumRetryAttempts = int(aws.ToInt32(tg.RetryPolicy.MaximumRetryAttempts))
				ts.MaximumEventAgeInSeconds = int(aws.ToInt32(tg.RetryPolicy.MaximumEventAgeInSeconds))
			}
			s.Targets = append(s.Targets, ts)
		}
		if token = out.NextToken; token == nil {
			return s, nil
		}
	}
}

// deadLetterQueue returns the ARN of the queue the alarm named alarm watches (its QueueName
// dimension), "" when there is no such alarm.
func deadLetterQueue(ctx context.Context, c *Clients, alarm, partition, account, region string) (string, error) {
	if alarm == "" {
		return "", nil
	}
	out, err := c.CloudWatch.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{alarm}})
	if err != nil {
		return "", fmt.Errorf("read alarm %s, to find the dead-letter queue: %w", alarm, err)
	}
	for _, a := range out.MetricAlarms {
		for _, d := range a.Dimensions {
			if aws.ToString(d.Name) == "QueueName" && aws.ToString(d.Value) != "" {
				return fmt.Sprintf("arn:%s:sqs:%s:%s:%s", partition, region, account, aws.ToString(d.Value)), nil
			}
		}
	}
	return "", nil
}

// sameJSON reports whether two JSON documents are equal as values (EventBridge may return a
// pattern with other spacing or key order).
func sameJSON(a, b string) bool {
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return a == b
	}
	return reflect.DeepEqual(x, y)
}

// sameTarget reports whether got is the deployed target want; a deployed target without a
// known dead-letter queue accepts got's.
func sameTarget(want, got TargetState) bool {
	if want.DeadLetterArn == "" {
		want.DeadLetterArn = got.DeadLetterArn
	}
	return want == got
}
