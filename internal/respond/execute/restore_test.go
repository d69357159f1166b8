package execute

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/trailguard/trailguard/deployed"
	"github.com/trailguard/trailguard/internal/respond"
)

// fakeTrails is one account's trails as CloudTrail holds them, recording the changing calls.
type fakeTrails struct {
	trails map[string]*TrailConfig
	calls  []string
}

func (f *fakeTrails) get(name string) (*TrailConfig, error) {
	t, ok := f.trails[name[strings.LastIndex(name, "/")+1:]]
	if !ok {
		return nil, &smithy.GenericAPIError{Code: "TrailNotFoundException"}
	}
	return t, nil
}

func (f *fakeTrails) GetTrail(_ context.Context, in *cloudtrail.GetTrailInput, _ ...func(*cloudtrail.Options)) (*cloudtrail.GetTrailOutput, error) {
	t, err := f.get(aws.ToString(in.Name))
	if err != nil {
		return nil, err
	}
	return &cloudtrail.GetTrailOutput{Trail: &cttypes.Trail{IsMultiRegionTrail: aws.Bool(t.IsMultiRegionTrail), IsOrganizationTrail: aws.Bool(t.IsOrganizationTrail),
		IncludeGlobalServiceEvents: aws.Bool(t.IncludeGlobalServiceEvents), LogFileValidationEnabled: aws.Bool(t.LogFileValidationEnabled),
		S3BucketName: aws.String(t.S3BucketName), S3KeyPrefix: aws.String(t.S3KeyPrefix), KmsKeyId: aws.String(t.KmsKeyId)}}, nil
}

func (f *fakeTrails) GetTrailStatus(_ context.Context, in *cloudtrail.GetTrailStatusInput, _ ...func(*cloudtrail.Options)) (*cloudtrail.GetTrailStatusOutput, error) {
	t, err := f.get(aws.ToString(in.Name))
	if err != nil {
		return nil, err
	}
	return &cloudtrail.GetTrailStatusOutput{IsLogging: aws.Bool(t.IsLogging)}, nil
}

func (f *fakeTrails) GetEventSelectors(_ context.Context, in *cloudtrail.GetEventSelectorsInput, _ ...func(*cloudtrail.Options)) (*cloudtrail.GetEventSelectorsOutput, error) {
	t, err := f.get(aws.ToString(in.TrailName))
	if err != nil {
		return nil, err
	}
	out := &cloudtrail.GetEventSelectorsOutput{AdvancedEventSelectors: toAPIAdvanced(t.AdvancedEventSelectors)}
	for _, e := range t.EventSelectors {
		out.EventSelectors = append(out.EventSelectors, cttypes.EventSelector{ReadWriteType: cttypes.ReadWriteType(e.ReadWriteType), IncludeManagementEvents: aws.Bool(e.IncludeManagementEvents)})
	}
	return out, nil
}

func (f *fakeTrails) GetInsightSelectors(_ context.Context, in *cloudtrail.GetInsightSelectorsInput, _ ...func(*cloudtrail.Options)) (*cloudtrail.GetInsightSelectorsOutput, error) {
	t, err := f.get(aws.ToString(in.TrailName))
	if err != nil {
		return nil, err
	}
	if len(t.InsightTypes) == 0 {
		return nil, &smithy.GenericAPIError{Code: "InsightNotEnabledException"}
	}
	out := &cloudtrail.GetInsightSelectorsOutput{}
	for _, i := range t.InsightTypes {
		out.InsightSelectors = append(out.InsightSelectors, cttypes.InsightSelector{InsightType: cttypes.InsightType(i)})
	}
	return out, nil
}

func (f *fakeTrails) UpdateTrail(_ context.Context, in *cloudtrail.UpdateTrailInput, _ ...func(*cloudtrail.Options)) (*cloudtrail.UpdateTrailOutput, error) {
	t, err := f.get(aws.ToString(in.Name))
	if err != nil {
		return nil, err
	}
	f.calls = append(f.calls, "UpdateTrail bucket="+aws.ToString(in.S3BucketName)+" key="+aws.ToString(in.KmsKeyId)+" prefix="+fmt.Sprint(in.S3KeyPrefix != nil))
	t.IsMultiRegionTrail, t.IsOrganizationTrail = aws.ToBool(in.IsMultiRegionTrail), aws.ToBool(in.IsOrganizationTrail)
	t.IncludeGlobalServiceEvents, t.LogFileValidationEnabled = aws.ToBool(in.IncludeGlobalServiceEvents), aws.ToBool(in.EnableLogFileValidation)
	t.S3BucketName, t.KmsKeyId = aws.ToString(in.S3BucketName), aws.ToString(in.KmsKeyId)
	if in.S3KeyPrefix != nil { // UpdateTrail changes only what it is given
		t.S3KeyPrefix = *in.S3KeyPrefix
	}
	if strings.Contains(t.KmsKeyId, ":alias/") { // CloudTrail stores the key the alias names
		t.KmsKeyId = strings.Replace(t.KmsKeyId, "alias/trailguard/organization-trail", "key/0000-org", 1)
	}
	return &cloudtrail.UpdateTrailOutput{}, nil
}

func (f *fakeTrails) PutEventSelectors(_ context.Context, in *cloudtrail.PutEventSelectorsInput, _ ...func(*cloudtrail.Options)) (*cloudtrail.PutEventSelectorsOutput, error) {
	t, err := f.get(aws.ToString(in.TrailName))
	if err != nil {
		return nil, err
	}
	t.AdvancedEventSelectors, t.EventSelectors = nil, nil
	for _, a := range in.AdvancedEventSelectors {
		s := deployed.AdvancedEventSelector{Name: aws.ToString(a.Name)}
		for _, fs := range a.FieldSelectors {
			s.FieldSelectors = append(s.FieldSelectors, deployed.FieldSelector{Field: aws.ToString(fs.Field), Equals: fs.Equals, NotStartsWith: fs.NotStartsWith})
		}
		t.AdvancedEventSelectors = append(t.AdvancedEventSelectors, s)
	}
	for _, e := range in.EventSelectors {
		t.EventSelectors = append(t.EventSelectors, BasicEventSelector{ReadWriteType: string(e.ReadWriteType), IncludeManagementEvents: aws.ToBool(e.IncludeManagementEvents)})
	}
	b, _ := json.Marshal(in)
	f.calls = append(f.calls, "PutEventSelectors "+string(b))
	return &cloudtrail.PutEventSelectorsOutput{}, nil
}

func (f *fakeTrails) PutInsightSelectors(_ context.Context, in *cloudtrail.PutInsightSelectorsInput, _ ...func(*cloudtrail.Options)) (*cloudtrail.PutInsightSelectorsOutput, error) {
	t, err := f.get(aws.ToString(in.TrailName))
	if err != nil {
		return nil, err
	}
	t.InsightTypes = nil
	for _, i := range in.InsightSelectors {
		t.InsightTypes = append(t.InsightTypes, string(i.InsightType))
	}
	f.calls = append(f.calls, "PutInsightSelectors "+strings.Join(t.InsightTypes, ","))
	return &cloudtrail.PutInsightSelectorsOutput{}, nil
}

func (f *fakeTrails) StartLogging(_ context.Context, in *cloudtrail.StartLoggingInput, _ ...func(*cloudtrail.Options)) (*cloudtrail.StartLoggingOutput, error) {
	t, err := f.get(aws.ToString(in.Name))
	if err != nil {
		return nil, err
	}
	t.IsLogging = true
	f.calls = append(f.calls, "StartLogging")
	return &cloudtrail.StartLoggingOutput{}, nil
}

// fakeEncryption holds the buckets' default keys.
type fakeEncryption map[string]string

func (f fakeEncryption) GetBucketEncryption(_ context.Context, in *s3.GetBucketEncryptionInput, _ ...func(*s3.Options)) (*s3.GetBucketEncryptionOutput, error) {
	k, ok := f[aws.ToString(in.Bucket)]
	if !ok {
		return nil, &smithy.GenericAPIError{Code: "NoSuchBucket"}
	}
	return &s3.GetBucketEncryptionOutput{ServerSideEncryptionConfiguration: &s3types.ServerSideEncryptionConfiguration{Rules: []s3types.ServerSideEncryptionRule{
		{ApplyServerSideEncryptionByDefault: &s3types.ServerSideEncryptionByDefault{SSEAlgorithm: s3types.ServerSideEncryptionAwsKms, KMSMasterKeyID: aws.String(k)}},
	}}}, nil
}

const (
	acct     = "333333333333"
	mgmt     = "111111111111"
	home     = "eu-west-1"
	orgAlias = "arn:aws:kms:eu-west-1:222222222222:alias/trailguard/organization-trail"
	orgKey   = "arn:aws:kms:eu-west-1:222222222222:key/0000-org"
	localKey = "arn:aws:kms:eu-west-1:333333333333:key/1111-local"
)

var mgmtSelector = deployed.AdvancedEventSelector{Name: "Management events", FieldSelectors: []deployed.FieldSelector{{Field: "eventCategory", Equals: []string{"Management"}}}}

// testDefs is what synth writes for the test organization: the organization trail in the
// management account, the local trail in the others, and a stream and a bus rule.
var testDefs = &deployed.Definitions{
	Trails: []deployed.Trail{
		{Name: "org", Accounts: []string{mgmt}, Region: home, IsMultiRegionTrail: true, IsOrganizationTrail: true, IncludeGlobalServiceEvents: true, EnableLogFileValidation: true,
			S3BucketName: "trailguard-archive", KmsKeyId: orgAlias, AdvancedEventSelectors: []deployed.AdvancedEventSelector{mgmtSelector}, InsightTypes: []string{"ApiCallRateInsight"}},
		{Name: "trailguard-local", ExceptAccounts: []string{mgmt, "222222222222"}, Region: home, IsMultiRegionTrail: true, IncludeGlobalServiceEvents: true, EnableLogFileValidation: true,
			S3BucketName: "trailguard-local-${AWS::AccountId}-${AWS::Region}", KmsKeyFromBucket: true},
	},
	Rules: []deployed.Rule{
		{Name: "trailguard-forward-to-stream", HomeRegion: home, Regions: deployed.RegionsHome, Description: "d",
			EventPattern: `{"account":["${AWS::AccountId}"],"detail-type":["AWS API Call via CloudTrail"],"region":["${AWS::Region}"]}`, State: "ENABLED",
			Targets: []deployed.RuleTarget{{ID: "SecurityStream", Arn: "arn:${AWS::Partition}:kinesis:eu-west-1:222222222222:stream/s", RoleArn: "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/trailguard-forwarder-stream-${AWS::Region}",
				KinesisPartitionKeyPath: "$.id", DeadLetterAlarm: "trailguard-forwarder-stream-dead-letters", MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86400}}},
		{Name: "trailguard-forward-to-bus", HomeRegion: home, Regions: deployed.RegionsOther, Description: "d",
			EventPattern: `{"detail-type":["AWS API Call via CloudTrail"]}`, State: "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS",
			Targets: []deployed.RuleTarget{{ID: "SecurityBus", Arn: "arn:aws:events:eu-west-1:222222222222:event-bus/b", RoleArn: "arn:aws:iam::${AWS::AccountId}:role/trailguard-forwarder-bus-${AWS::Region}",
				DeadLetterAlarm: "trailguard-forwarder-bus-dead-letters", MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86400}}},
	},
}

func orgTrail() *TrailConfig {
	return &TrailConfig{IsLogging: true, IsMultiRegionTrail: true, IsOrganizationTrail: true, IncludeGlobalServiceEvents: true, LogFileValidationEnabled: true,
		S3BucketName: "trailguard-archive", KmsKeyId: orgKey, AdvancedEventSelectors: []deployed.AdvancedEventSelector{mgmtSelector}, InsightTypes: []string{"ApiCallRateInsight"}}
}

func localTrail() *TrailConfig {
	return &TrailConfig{IsLogging: true, IsMultiRegionTrail: true, IncludeGlobalServiceEvents: true, LogFileValidationEnabled: true,
		S3BucketName: "trailguard-local-333333333333-eu-west-1", KmsKeyId: localKey, EventSelectors: defaultSelectors}
}

func with(t *TrailConfig, change func(*TrailConfig)) *TrailConfig {
	change(t)
	return t
}

// TestRestoreTrail: a trailguard trail re-scoped is put back to synth's configuration, read
// from the API first and again after, with only the calls its drift needs; any other trail,
// and a trail already as deployed, is left alone.
func TestRestoreTrail(t *testing.T) {
	orgTarget := &respond.Target{Kind: respond.KindTrailConfig, Account: mgmt, Region: home, Trail: "arn:aws:cloudtrail:eu-west-1:111111111111:trail/org"}
	localTarget := &respond.Target{Kind: respond.KindTrailConfig, Account: acct, Region: home, Trail: "trailguard-local"}
	tests := []struct {
		name       string
		target     *respond.Target
		mode       string
		trails     map[string]*TrailConfig
		defs       *deployed.Definitions
		wantResult string
		wantCalls  []string // the fake's calls, in order, by prefix
		wantAfter  bool     // the state after is as deployed
	}{
		{name: "organization trail made single-region, validation off: settings restored with the alias key", target: orgTarget, mode: "enforce",
			trails:     map[string]*TrailConfig{"org": with(orgTrail(), func(c *TrailConfig) { c.IsMultiRegionTrail, c.LogFileValidationEnabled = false, false })},
			wantResult: Acted, wantCalls: []string{"UpdateTrail bucket=trailguard-archive key=" + orgAlias + " prefix=false"}, wantAfter: true},
		{name: "organization trail made an account trail", target: orgTarget, mode: "enforce",
			trails:     map[string]*TrailConfig{"org": with(orgTrail(), func(c *TrailConfig) { c.IsOrganizationTrail = false })},
			wantResult: Acted, wantCalls: []string{"UpdateTrail "}, wantAfter: true},
		{name: "key moved to another account's key", target: orgTarget, mode: "enforce",
			trails:     map[string]*TrailConfig{"org": with(orgTrail(), func(c *TrailConfig) { c.KmsKeyId = "arn:aws:kms:eu-west-1:999999999999:key/evil" })},
			wantResult: Acted, wantCalls: []string{"UpdateTrail bucket=trailguard-archive key=" + orgAlias}, wantAfter: true},
		{name: "a key prefix added: cleared", target: orgTarget, mode: "enforce",
			trails:     map[string]*TrailConfig{"org": with(orgTrail(), func(c *TrailConfig) { c.S3KeyPrefix = "elsewhere" })},
			wantResult: Acted, wantCalls: []string{"UpdateTrail bucket=trailguard-archive key=" + orgAlias + " prefix=true"}, wantAfter: true},
		{name: "bucket moved, global service events off", target: orgTarget, mode: "enforce",
			trails:     map[string]*TrailConfig{"org": with(orgTrail(), func(c *TrailConfig) { c.S3BucketName, c.IncludeGlobalServiceEvents = "attacker-bucket", false })},
			wantResult: Acted, wantCalls: []string{"UpdateTrail bucket=trailguard-archive"}, wantAfter: true},
		{name: "the alias's key, in the alias's account and region: already right", target: orgTarget, mode: "enforce",
			trails: map[string]*TrailConfig{"org": orgTrail()}, wantResult: AlreadyRight},
		{name: "advanced selectors narrowed to read-only: put back", target: orgTarget, mode: "enforce",
			trails: map[string]*TrailConfig{"org": with(orgTrail(), func(c *TrailConfig) {
				c.AdvancedEventSelectors = []deployed.AdvancedEventSelector{{Name: "Management events", FieldSelectors: []deployed.FieldSelector{{Field: "eventCategory", Equals: []string{"Management"}}, {Field: "readOnly", Equals: []string{"true"}}}}}
			})},
			wantResult: Acted, wantCalls: []string{`PutEventSelectors {"TrailName":"org","AdvancedEventSelectors":[{"FieldSelectors":[{"Field":"eventCategory","EndsWith":null,"Equals":["Management"],"NotEndsWith":null,"NotEquals":null,"NotStartsWith":null,"StartsWith":null}],"Name":"Management events"}]`}, wantAfter: true},
		{name: "Insights turned off: turned on again", target: orgTarget, mode: "enforce",
			trails:     map[string]*TrailConfig{"org": with(orgTrail(), func(c *TrailConfig) { c.InsightTypes = nil })},
			wantResult: Acted, wantCalls: []string{"PutInsightSelectors ApiCallRateInsight"}, wantAfter: true},
		{name: "an extra Insights type is kept: never turned off", target: orgTarget, mode: "enforce",
			trails:     map[string]*TrailConfig{"org": with(orgTrail(), func(c *TrailConfig) { c.InsightTypes = []string{"ApiErrorRateInsight"} })},
			wantResult: Acted, wantCalls: []string{"PutInsightSelectors ApiErrorRateInsight,ApiCallRateInsight"}},
		{name: "re-scoped and stopped: settings restored, then logging started", target: orgTarget, mode: "enforce",
			trails:     map[string]*TrailConfig{"org": with(orgTrail(), func(c *TrailConfig) { c.IsMultiRegionTrail, c.IsLogging = false, false })},
			wantResult: Acted, wantCalls: []string{"UpdateTrail ", "StartLogging"}, wantAfter: true},
		{name: "dry-run changes nothing", target: orgTarget, mode: "dry-run",
			trails:     map[string]*TrailConfig{"org": with(orgTrail(), func(c *TrailConfig) { c.IsMultiRegionTrail = false })},
			wantResult: WouldAct},
		{name: "local trail's selectors made write-only: basic selector put back", target: localTarget, mode: "enforce",
			trails: map[string]*TrailConfig{"trailguard-local": with(localTrail(), func(c *TrailConfig) {
				c.EventSelectors = []BasicEventSelector{{ReadWriteType: "WriteOnly", IncludeManagementEvents: true}}
			})},
			wantResult: Acted, wantCalls: []string{`PutEventSelectors {"TrailName":"trailguard-local","AdvancedEventSelectors":null,"EventSelectors":[{"DataResources":null,"ExcludeManagementEventSources":null,"IncludeManagementEvents":true,"ReadWriteType":"All"}]}`}, wantAfter: true},
		{name: "local trail's key changed: the bucket's default key put back", target: localTarget, mode: "enforce",
			trails:     map[string]*TrailConfig{"trailguard-local": with(localTrail(), func(c *TrailConfig) { c.KmsKeyId = "arn:aws:kms:eu-west-1:333333333333:key/2222-other" })},
			wantResult: Acted, wantCalls: []string{"UpdateTrail bucket=trailguard-local-333333333333-eu-west-1 key=" + localKey}, wantAfter: true},
		{name: "local trail as deployed", target: localTarget, mode: "enforce",
			trails: map[string]*TrailConfig{"trailguard-local": localTrail()}, wantResult: AlreadyRight},
		{name: "a trail trailguard did not deploy: left alone", target: &respond.Target{Kind: respond.KindTrailConfig, Account: acct, Region: home, Trail: "team-trail"}, mode: "enforce",
			trails: map[string]*TrailConfig{"team-trail": with(localTrail(), func(c *TrailConfig) { c.IsMultiRegionTrail = false })}, wantResult: Skipped},
		{name: "the organization trail's name in a member account: not deployed there", target: &respond.Target{Kind: respond.KindTrailConfig, Account: acct, Region: home, Trail: "org"}, mode: "enforce",
			trails: map[string]*TrailConfig{"org": with(orgTrail(), func(c *TrailConfig) { c.IsMultiRegionTrail = false })}, wantResult: Skipped},
		{name: "no deployed definitions: nothing restored", target: orgTarget, mode: "enforce", defs: &deployed.Definitions{},
			trails: map[string]*TrailConfig{"org": with(orgTrail(), func(c *TrailConfig) { c.IsMultiRegionTrail = false })}, wantResult: Skipped},
		{name: "trail deleted since", target: orgTarget, mode: "enforce", trails: map[string]*TrailConfig{}, wantResult: Gone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeTrails{trails: tt.trails}
			d := testDefs
			if tt.defs != nil {
				d = tt.defs
			}
			x := &Executor{Deployed: d, Clients: func(context.Context, string, string, string) (*Clients, error) {
				return &Clients{TrailConfig: f, BucketEncryption: fakeEncryption{"trailguard-local-333333333333-eu-west-1": localKey}}, nil
			}}
			o, err := x.Execute(context.Background(), respond.Decision{AlertID: "r/e1", Act: true, Mode: tt.mode, Target: tt.target})
			if err != nil {
				t.Fatal(err)
			}
			if o.Result != tt.wantResult {
				t.Errorf("result %s, want %s (note %q)", o.Result, tt.wantResult, o.Note)
			}
			if len(f.calls) != len(tt.wantCalls) {
				t.Fatalf("calls %q, want %q", f.calls, tt.wantCalls)
			}
			for i, c := range f.calls {
				if !strings.HasPrefix(c, tt.wantCalls[i]) {
					t.Errorf("call %d: %s, want %s...", i, c, tt.wantCalls[i])
				}
			}
			if tt.wantResult == WouldAct && len(o.Calls) == 0 {
				t.Error("dry-run reports no call it would make")
			}
			if tt.wantAfter {
				after, ok := o.After.(*TrailConfig)
				if !ok {
					t.Fatalf("after %v: not read again", o.After)
				}
				if d := drift(*after, *after); !d.none() { // sanity
					t.Fatal("drift of a state with itself")
				}
				x2, _ := x.Execute(context.Background(), respond.Decision{AlertID: "r/e2", Act: true, Mode: tt.mode, Target: tt.target})
				if x2.Result != AlreadyRight {
					t.Errorf("run again: %s, want %s (idempotent)", x2.Result, AlreadyRight)
				}
			}
		})
	}
}

// fakeEvents is one region's default bus.
type fakeEvents struct {
	rules   map[string]*RuleState
	calls   []string
	failPut bool
}

func (f *fakeEvents) DescribeRule(_ context.Context, in *eventbridge.DescribeRuleInput, _ ...func(*eventbridge.Options)) (*eventbridge.DescribeRuleOutput, error) {
	r, ok := f.rules[aws.ToString(in.Name)]
	if !ok {
		return nil, &smithy.GenericAPIError{Code: "ResourceNotFoundException"}
	}
	return &eventbridge.DescribeRuleOutput{Name: in.Name, State: ebtypes.RuleState(r.State), EventPattern: aws.String(r.EventPattern), Description: aws.String(r.Description)}, nil
}

func (f *fakeEvents) ListTargetsByRule(_ context.Context, in *eventbridge.ListTargetsByRuleInput, _ ...func(*eventbridge.Options)) (*eventbridge.ListTargetsByRuleOutput, error) {
	r, ok := f.rules[aws.ToString(in.Rule)]
	if !ok {
		return nil, &smithy.GenericAPIError{Code: "ResourceNotFoundException"}
	}
	out := &eventbridge.ListTargetsByRuleOutput{}
	for _, t := range r.Targets {
		tg := ebtypes.Target{Id: aws.String(t.ID), Arn: aws.String(t.Arn), RoleArn: aws.String(t.RoleArn),
			RetryPolicy: &ebtypes.RetryPolicy{MaximumRetryAttempts: aws.Int32(int32(t.MaximumRetryAttempts)), MaximumEventAgeInSeconds: aws.Int32(int32(t.MaximumEventAgeInSeconds))}}
		if t.KinesisPartitionKeyPath != "" {
			tg.KinesisParameters = &ebtypes.KinesisParameters{PartitionKeyPath: aws.String(t.KinesisPartitionKeyPath)}
		}
		if t.DeadLetterArn != "" {
			tg.DeadLetterConfig = &ebtypes.DeadLetterConfig{Arn: aws.String(t.DeadLetterArn)}
		}
		out.Targets = append(out.Targets, tg)
	}
	return out, nil
}

func (f *fakeEvents) EnableRule(_ context.Context, in *eventbridge.EnableRuleInput, _ ...func(*eventbridge.Options)) (*eventbridge.EnableRuleOutput, error) {
	f.calls = append(f.calls, "EnableRule "+aws.ToString(in.Name))
	f.rules[aws.ToString(in.Name)].State = "ENABLED"
	return &eventbridge.EnableRuleOutput{}, nil
}

func (f *fakeEvents) PutRule(_ context.Context, in *eventbridge.PutRuleInput, _ ...func(*eventbridge.Options)) (*eventbridge.PutRuleOutput, error) {
	f.calls = append(f.calls, "PutRule "+aws.ToString(in.Name)+" "+string(in.State)+" "+aws.ToString(in.EventPattern))
	r, ok := f.rules[aws.ToString(in.Name)]
	if !ok {
		r = &RuleState{Exists: true}
		f.rules[aws.ToString(in.Name)] = r
	}
	r.State, r.EventPattern, r.Description = string(in.State), aws.ToString(in.EventPattern), aws.ToString(in.Description)
	return &eventbridge.PutRuleOutput{}, nil
}

func (f *fakeEvents) PutTargets(_ context.Context, in *eventbridge.PutTargetsInput, _ ...func(*eventbridge.Options)) (*eventbridge.PutTargetsOutput, error) {
	if f.failPut {
		return &eventbridge.PutTargetsOutput{FailedEntryCount: 1, FailedEntries: []ebtypes.PutTargetsResultEntry{{TargetId: in.Targets[0].Id, ErrorCode: aws.String("AccessDeniedException")}}}, nil
	}
	r := f.rules[aws.ToString(in.Rule)]
	for _, tg := range in.Targets {
		ts := TargetState{ID: aws.ToString(tg.Id), Arn: aws.ToString(tg.Arn), RoleArn: aws.ToString(tg.RoleArn),
			MaximumRetryAttempts: int(aws.ToInt32(tg.RetryPolicy.MaximumRetryAttempts)), MaximumEventAgeInSeconds: int(aws.ToInt32(tg.RetryPolicy.MaximumEventAgeInSeconds))}
		if tg.KinesisParameters != nil {
			ts.KinesisPartitionKeyPath = aws.ToString(tg.KinesisParameters.PartitionKeyPath)
		}
		if tg.DeadLetterConfig != nil {
			ts.DeadLetterArn = aws.ToString(tg.DeadLetterConfig.Arn)
		}
		r.Targets = slices.DeleteFunc(r.Targets, func(x TargetState) bool { return x.ID == ts.ID })
		r.Targets = append(r.Targets, ts)
		f.calls = append(f.calls, "PutTargets "+ts.ID+" "+ts.Arn+" role="+ts.RoleArn+" dlq="+ts.DeadLetterArn+" key="+ts.KinesisPartitionKeyPath)
	}
	return &eventbridge.PutTargetsOutput{}, nil
}

// fakeAlarms holds the alarms' QueueName dimensions.
type fakeAlarms map[string]string

func (f fakeAlarms) DescribeAlarms(_ context.Context, in *cloudwatch.DescribeAlarmsInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error) {
	out := &cloudwatch.DescribeAlarmsOutput{}
	for _, n := range in.AlarmNames {
		if q, ok := f[n]; ok {
			out.MetricAlarms = append(out.MetricAlarms, cwtypes.MetricAlarm{AlarmName: aws.String(n), Dimensions: []cwtypes.Dimension{{Name: aws.String("QueueName"), Value: aws.String(q)}}})
		}
	}
	return out, nil
}

const (
	streamPattern = `{"account":["333333333333"],"detail-type":["AWS API Call via CloudTrail"],"region":["eu-west-1"]}`
	streamDLQ     = "arn:aws:sqs:eu-west-1:333333333333:trailguard-member-StreamDeadLetters-ABC"
)

func streamTarget() TargetState {
	return TargetState{ID: "SecurityStream", Arn: "arn:aws:kinesis:eu-west-1:222222222222:stream/s", RoleArn: "arn:aws:iam::333333333333:role/trailguard-forwarder-stream-eu-west-1",
		KinesisPartitionKeyPath: "$.id", DeadLetterArn: streamDLQ, MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86400}
}

func streamRule(change func(*RuleState)) map[string]*RuleState {
	r := &RuleState{Exists: true, State: "ENABLED", EventPattern: streamPattern, Description: "d", Targets: []TargetState{streamTarget()}}
	if change != nil {
		change(r)
	}
	return map[string]*RuleState{"trailguard-forward-to-stream": r}
}

// TestRestoreRule: a forwarder rule disabled, deleted, re-patterned or stripped of its
// targets is restored exactly as synth deployed it, with the dead-letter queue its alarm
// names; rules trailguard did not deploy in the region are left alone.
func TestRestoreRule(t *testing.T) {
	stream := &respond.Target{Kind: respond.KindRule, Account: acct, Region: home, Rule: "trailguard-forward-to-stream"}
	bus := &respond.Target{Kind: respond.KindRule, Account: acct, Region: "us-east-1", Rule: "trailguard-forward-to-bus"}
	alarms := fakeAlarms{"trailguard-forwarder-stream-dead-letters": "trailguard-member-StreamDeadLetters-ABC", "trailguard-forwarder-bus-dead-letters": "trailguard-member-BusDeadLetters-DEF"}
	tests := []struct {
		name       string
		target     *respond.Target
		mode       string
		rules      map[string]*RuleState
		alarms     fakeAlarms
		failPut    bool
		wantResult string
		wantCalls  []string
		wantNote   string
		wantErr    string
	}{
		{name: "disabled: enabled again", target: stream, mode: "enforce", rules: streamRule(func(r *RuleState) { r.State = "DISABLED" }),
			wantResult: Acted, wantCalls: []string{"EnableRule trailguard-forward-to-stream"}},
		{name: "disabled, deployed with read-only events: PutRule keeps that state", target: bus, mode: "enforce",
			rules: map[string]*RuleState{"trailguard-forward-to-bus": {Exists: true, State: "DISABLED", EventPattern: `{"detail-type":["AWS API Call via CloudTrail"]}`, Description: "d",
				Targets: []TargetState{{ID: "SecurityBus", Arn: "arn:aws:events:eu-west-1:222222222222:event-bus/b", RoleArn: "arn:aws:iam::333333333333:role/trailguard-forwarder-bus-us-east-1",
					DeadLetterArn: "arn:aws:sqs:us-east-1:333333333333:trailguard-member-BusDeadLetters-DEF", MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86400}}}},
			wantResult: Acted, wantCalls: []string{`PutRule trailguard-forward-to-bus ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS {"detail-type"`}},
		{name: "deleted: re-created with its target, role, partition key and dead-letter queue", target: stream, mode: "enforce", rules: map[string]*RuleState{},
			wantResult: Acted, wantCalls: []string{"PutRule trailguard-forward-to-stream ENABLED " + streamPattern,
				"PutTargets SecurityStream arn:aws:kinesis:eu-west-1:222222222222:stream/s role=arn:aws:iam::333333333333:role/trailguard-forwarder-stream-eu-west-1 dlq=" + streamDLQ + " key=$.id"}},
		{name: "re-patterned to match nothing", target: stream, mode: "enforce", rules: streamRule(func(r *RuleState) { r.EventPattern = `{"source":["nothing"]}` }),
			wantResult: Acted, wantCalls: []string{"PutRule trailguard-forward-to-stream ENABLED " + streamPattern}},
		{name: "targets removed", target: stream, mode: "enforce", rules: streamRule(func(r *RuleState) { r.Targets = nil }),
			wantResult: Acted, wantCalls: []string{"PutTargets SecurityStream "}},
		{name: "target re-pointed at another stream", target: stream, mode: "enforce",
			rules:      streamRule(func(r *RuleState) { r.Targets[0].Arn = "arn:aws:kinesis:eu-west-1:999999999999:stream/x" }),
			wantResult: Acted, wantCalls: []string{"PutTargets SecurityStream arn:aws:kinesis:eu-west-1:222222222222:stream/s"}},
		{name: "as deployed, the pattern in another key order: already right", target: stream, mode: "enforce",
			rules: streamRule(func(r *RuleState) {
				r.EventPattern = `{"region":["eu-west-1"], "detail-type":["AWS API Call via CloudTrail"], "account":["333333333333"]}`
			}),
			wantResult: AlreadyRight},
		{name: "an extra target is reported, never removed", target: stream, mode: "enforce",
			rules: streamRule(func(r *RuleState) {
				r.Targets = append(r.Targets, TargetState{ID: "x", Arn: "arn:aws:events:eu-west-1:999999999999:event-bus/exfil"})
			}),
			wantResult: AlreadyRight, wantNote: "never removes targets"},
		{name: "dry-run changes nothing", target: stream, mode: "dry-run", rules: map[string]*RuleState{}, wantResult: WouldAct},
		{name: "dead-letter alarm missing: re-created without, and said", target: stream, mode: "enforce", rules: map[string]*RuleState{}, alarms: fakeAlarms{},
			wantResult: Acted, wantCalls: []string{"PutRule ", "PutTargets SecurityStream "}, wantNote: "dead-letter queue is missing"},
		{name: "the stream rule outside the home region: not deployed there", target: &respond.Target{Kind: respond.KindRule, Account: acct, Region: "us-east-1", Rule: "trailguard-forward-to-stream"},
			mode: "enforce", rules: map[string]*RuleState{}, wantResult: Skipped},
		{name: "another trailguard- rule: not a forwarder rule", target: &respond.Target{Kind: respond.KindRule, Account: acct, Region: home, Rule: "trailguard-something"},
			mode: "enforce", rules: map[string]*RuleState{}, wantResult: Skipped},
		{name: "a target refused: an error, retried", target: stream, mode: "enforce", rules: streamRule(func(r *RuleState) { r.Targets = nil }), failPut: true,
			wantErr: "AccessDeniedException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeEvents{rules: tt.rules, failPut: tt.failPut}
			a := alarms
			if tt.alarms != nil {
				a = tt.alarms
			}
			x := &Executor{Deployed: testDefs, Clients: func(context.Context, string, string, string) (*Clients, error) {
				return &Clients{Events: f, CloudWatch: a}, nil
			}}
			o, err := x.Execute(context.Background(), respond.Decision{AlertID: "r/e1", Act: true, Mode: tt.mode, Target: tt.target})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one saying %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if o.Result != tt.wantResult {
				t.Errorf("result %s, want %s (note %q)", o.Result, tt.wantResult, o.Note)
			}
			if len(f.calls) != len(tt.wantCalls) {
				t.Fatalf("calls %q, want %q", f.calls, tt.wantCalls)
			}
			for i, c := range f.calls {
				if !strings.HasPrefix(c, tt.wantCalls[i]) {
					t.Errorf("call %d: %s, want %s...", i, c, tt.wantCalls[i])
				}
			}
			if !strings.Contains(o.Note, tt.wantNote) {
				t.Errorf("note %q does not say %q", o.Note, tt.wantNote)
			}
			if tt.wantResult == Acted {
				if o.After == nil {
					t.Error("the state was not read again")
				}
				again, err := x.Execute(context.Background(), respond.Decision{AlertID: "r/e2", Act: true, Mode: tt.mode, Target: tt.target})
				if err != nil || again.Result != AlreadyRight {
					t.Errorf("run again: %s %v, want %s (idempotent)", again.Result, err, AlreadyRight)
				}
			}
		})
	}
}
