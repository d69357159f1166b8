package test

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/trailguard/trailguard/compliance"
	"github.com/trailguard/trailguard/constructs/orgtrail"
	"github.com/trailguard/trailguard/internal/stacks"
)

// Tests of the organization trail in the management account.

// gatedSynth builds one stack in an app with the cdk.json context and the compliance gates,
// synthesizes it, and returns its template and the gates' report.
func gatedSynth(t *testing.T, build func(scope constructs.Construct) awscdk.Stack) (template, *compliance.Report) {
	t.Helper()
	dir := t.TempDir()
	app, err := newApp(dir)
	if err != nil {
		t.Fatal(err)
	}
	stack := build(app)
	gates.Apply(app)
	app.Synth(nil)
	report, err := compliance.Check(dir)
	if err != nil {
		t.Fatal(err)
	}
	var tmpl template
	if err := readJSON(filepath.Join(dir, *stack.TemplateFile()), &tmpl); err != nil {
		t.Fatal(err)
	}
	return tmpl, report
}

func TestOrganizationTrailFromTheConfig(t *testing.T) {
	cfg := example.cfg
	tmpl := example.template(t, cfg.ManagementStackName())
	id, trail := tmpl.only(t, "AWS::CloudTrail::Trail")
	p := trail.props()
	for prop, want := range map[string]any{
		"TrailName":                  cfg.OrganizationTrail.Name,
		"IsOrganizationTrail":        true,
		"IsMultiRegionTrail":         true,
		"IncludeGlobalServiceEvents": true,
		"EnableLogFileValidation":    true,
		"IsLogging":                  true,
		// The log archive in the Security account, by name and alias ARN, never by reference.
		"S3BucketName": cfg.LogArchive.BucketName,
		"KMSKeyId":     cfg.TrailKeyAliasARN(),
		// Management events, read and write: no readOnly selector.
		"AdvancedEventSelectors": []any{map[string]any{
			"Name":           orgtrail.ManagementEventsSelectorName,
			"FieldSelectors": []any{map[string]any{"Field": "eventCategory", "Equals": []any{"Management"}}},
		}},
	} {
		wantEq(t, prop, p[prop], want)
	}
	for _, absent := range []string{"EventSelectors", "InsightSelectors", "CloudWatchLogsLogGroupArn", "CloudWatchLogsRoleArn", "S3KeyPrefix"} {
		if v, ok := p[absent]; ok {
			t.Errorf("%s = %v, want it unset with the example config", absent, v)
		}
	}
	if cfg.OrganizationTrailARN() != "arn:aws:cloudtrail:"+cfg.HomeRegion+":"+cfg.Organization.ManagementAccount+":trail/"+cfg.OrganizationTrail.Name {
		t.Errorf("the trail ARN the archive trusts, %s, is not this trail's", cfg.OrganizationTrailARN())
	}
	outputs, _ := tmpl["Outputs"].(map[string]any)
	wantEq(t, "output OrganizationTrailArn", get(outputs, "OrganizationTrailArn", "Value"), getAtt(id, "Arn"))
}

// TestOrganizationTrailWithEveryOption turns on CloudWatch Logs, data events and Insights in
// the config and builds the Management stack through the compliance gates.
func TestOrganizationTrailWithEveryOption(t *testing.T) {
	cfg := *example.cfg
	cfg.OrganizationTrail.CloudWatchLogs.Enabled = true
	cfg.OrganizationTrail.CloudWatchLogs.RetentionDays = 400 // not the L2 default (731)
	cfg.OrganizationTrail.DataEvents = []string{orgtrail.DataEventS3Object, "AWS::Lambda::Function"}
	cfg.OrganizationTrail.InsightTypes = []string{orgtrail.InsightAPICallRate, orgtrail.InsightAPIErrorRate}
	tmpl, report := gatedSynth(t, func(scope constructs.Construct) awscdk.Stack { return stacks.NewManagementStack(scope, &cfg) })
	for _, f := range report.Findings {
		t.Errorf("unsuppressed finding: %s", f)
	}

	_, trail := tmpl.only(t, "AWS::CloudTrail::Trail")
	p := trail.props()
	// S3 data events never include the archive's own objects or its access logs: logging the
	// trail's deliveries would make each delivery cause another.
	wantEq(t, "S3 data event selector", get(p, "AdvancedEventSelectors", 1), map[string]any{
		"Name": "Data events: AWS::S3::Object",
		"FieldSelectors": []any{
			map[string]any{"Field": "eventCategory", "Equals": []any{"Data"}},
			map[string]any{"Field": "resources.type", "Equals": []any{"AWS::S3::Object"}},
			map[string]any{"Field": "resources.ARN", "NotStartsWith": []any{
				"arn:aws:s3:::" + cfg.LogArchive.BucketName + "/",
				"arn:aws:s3:::" + cfg.AccessLogBucketName() + "/",
			}},
		},
	})
	wantEq(t, "Lambda data event selector", get(p, "AdvancedEventSelectors", 2), map[string]any{
		"Name": "Data events: AWS::Lambda::Function",
		"FieldSelectors": []any{
			map[string]any{"Field": "eventCategory", "Equals": []any{"Data"}},
			map[string]any{"Field": "resources.type", "Equals": []any{"AWS::Lambda::Function"}},
		},
	})
	wantEq(t, "management selector stays first", get(p, "AdvancedEventSelectors", 0, "Name"), orgtrail.ManagementEventsSelectorName)
	wantEq(t, "InsightSelectors", p["InsightSelectors"], []any{
		map[string]any{"InsightType": orgtrail.InsightAPICallRate},
		map[string]any{"InsightType": orgtrail.InsightAPIErrorRate},
	})

	// CloudWatch Logs: a CMK-encrypted, retained log group and a role CloudTrail can assume.
	groupID, group := tmpl.only(t, "AWS::Logs::LogGroup")
	keyID, key := tmpl.only(t, "AWS::KMS::Key")
	roleID, role := tmpl.only(t, "AWS::IAM::Role")
	wantEq(t, "trail log group", p["CloudWatchLogsLogGroupArn"], getAtt(groupID, "Arn"))
	wantEq(t, "trail logs role", p["CloudWatchLogsRoleArn"], getAtt(roleID, "Arn"))
	groupName := "cloudtrail/" + cfg.OrganizationTrail.Name
	groupProps := map[string]any{}
	for k, v := range group.props() {
		if k != "Tags" { // the stack's tags, checked by the guardrails tests
			groupProps[k] = v
		}
	}
	wantEq(t, "log group", groupProps, map[string]any{
		"LogGroupName": groupName, "RetentionInDays": 400, "KmsKeyId": getAtt(keyID, "Arn"),
	})
	for _, r := range []resource{group, key} {
		if r["DeletionPolicy"] != "RetainExceptOnCreate" || r["UpdateReplacePolicy"] != "Retain" {
			t.Errorf("%s must be retained", r["Type"])
		}
	}
	if key.props()["EnableKeyRotation"] != true {
		t.Error("log group key rotation must be on")
	}
	keyPolicy := key.props()["KeyPolicy"]
	checkDenyGrants(t, "log group key", keyPolicy)
	groupArn := "arn:aws:logs:" + cfg.HomeRegion + ":" + cfg.Organization.ManagementAccount + ":log-group:" + groupName
	logsUse := statementBySid(t, keyPolicy, "AllowCloudWatchLogsForTheTrailLogGroup")
	wantEq(t, "logs key use", logsUse["Condition"], map[string]any{"ArnEquals": map[string]any{"kms:EncryptionContext:aws:logs:arn": groupArn}})
	wantEq(t, "logs key principal", logsUse["Principal"], map[string]any{"Service": "logs." + cfg.HomeRegion + ".amazonaws.com"})

	wantEq(t, "role trust", get(role.props(), "AssumeRolePolicyDocument", "Statement"), []any{map[string]any{
		"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": map[string]any{"Service": "cloudtrail.amazonaws.com"},
	}})
	_, policy := tmpl.only(t, "AWS::IAM::ManagedPolicy")
	streams := []any{
		groupArn + ":log-stream:" + cfg.Organization.ManagementAccount + "_CloudTrail_" + cfg.HomeRegion + "*",
		groupArn + ":log-stream:" + cfg.Organization.ID + "_*",
	}
	for sid, action := range map[string]string{"AWSCloudTrailCreateLogStream": "logs:CreateLogStream", "AWSCloudTrailPutLogEvents": "logs:PutLogEvents"} {
		wantEq(t, sid, statementBySid(t, policy.props()["PolicyDocument"], sid), map[string]any{
			"Sid": sid, "Effect": "Allow", "Action": action, "Resource": streams,
		})
	}
	wantEq(t, "policy attached", get(role.props(), "ManagedPolicyArns"), []any{ref(keys(tmpl.resourcesOfType("AWS::IAM::ManagedPolicy"))[0])})
}

// TestOrganizationTrailInAFreshApp builds the construct with only its required props in an
// app without trailguard's context, as another CDK Go app would.
func TestOrganizationTrailInAFreshApp(t *testing.T) {
	stack := newTestStack(t)
	trail := orgtrail.NewOrganizationTrail(stack, jsii.String("Trail"), &orgtrail.OrganizationTrailProps{
		TrailName:      jsii.String("org-trail"),
		OrganizationId: jsii.String("o-a1b2c3d4e5"),
		BucketName:     jsii.String("org-trail-archive"),
		KmsKeyArn:      jsii.String("arn:aws:kms:eu-west-1:222222222222:alias/org-trail"),
	})
	if trail.LogGroup() != nil {
		t.Error("LogGroup() must be nil without SendToCloudWatchLogs")
	}
	tmpl := synthStack(t, stack)
	if n := len(tmpl["Resources"].(map[string]any)); n != 1 {
		t.Errorf("resources = %d, want only the trail", n)
	}
	_, r := tmpl.only(t, "AWS::CloudTrail::Trail")
	for prop, want := range map[string]any{
		"TrailName": "org-trail", "S3BucketName": "org-trail-archive", "KMSKeyId": "arn:aws:kms:eu-west-1:222222222222:alias/org-trail",
		"IsOrganizationTrail": true, "IsMultiRegionTrail": true, "EnableLogFileValidation": true, "IncludeGlobalServiceEvents": true,
	} {
		wantEq(t, prop, r.props()[prop], want)
	}
}

// TestOrganizationTrailDataEventsAlwaysExcludeTheArchive checks the exclusion at the
// construct level, where the caller names no other bucket.
func TestOrganizationTrailDataEventsAlwaysExcludeTheArchive(t *testing.T) {
	stack := newTestStack(t)
	orgtrail.NewOrganizationTrail(stack, jsii.String("Trail"), &orgtrail.OrganizationTrailProps{
		TrailName:              jsii.String("org-trail"),
		OrganizationId:         jsii.String("o-a1b2c3d4e5"),
		BucketName:             jsii.String("org-trail-archive"),
		KmsKeyArn:              jsii.String("arn:aws-us-gov:kms:eu-west-1:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab"),
		DataEventResourceTypes: jsii.Strings(orgtrail.DataEventS3Object),
	})
	_, r := synthStack(t, stack).only(t, "AWS::CloudTrail::Trail")
	var excluded []string
	for _, f := range asList(get(r.props(), "AdvancedEventSelectors", 1, "FieldSelectors")) {
		if get(f, "Field") == "resources.ARN" {
			excluded = strs(get(f, "NotStartsWith"))
		}
	}
	// The partition is the archive's (from the key ARN), not a token.
	if !slices.Equal(excluded, []string{"arn:aws-us-gov:s3:::org-trail-archive/"}) {
		t.Errorf("S3 data events exclude %v, want exactly the archive bucket's objects", excluded)
	}
}

func TestOrganizationTrailMisuse(t *testing.T) {
	valid := func() *orgtrail.OrganizationTrailProps {
		return &orgtrail.OrganizationTrailProps{
			TrailName:      jsii.String("org-trail"),
			OrganizationId: jsii.String("o-a1b2c3d4e5"),
			BucketName:     jsii.String("org-trail-archive"),
			KmsKeyArn:      jsii.String("arn:aws:kms:eu-west-1:222222222222:alias/org-trail"),
		}
	}
	with := func(edit func(p *orgtrail.OrganizationTrailProps)) *orgtrail.OrganizationTrailProps {
		p := valid()
		edit(p)
		return p
	}
	tests := []struct {
		name  string
		props *orgtrail.OrganizationTrailProps
		want  []string
	}{
		{name: "no props", props: nil, want: []string{"orgtrail: props are required"}},
		{name: "missing organization", props: with(func(p *orgtrail.OrganizationTrailProps) { p.OrganizationId = nil }),
			want: []string{"orgtrail: OrganizationId is required: an organization id matching o-[a-z0-9]{10,32}"}},
		{name: "missing trail name", props: with(func(p *orgtrail.OrganizationTrailProps) { p.TrailName = jsii.String("") }),
			want: []string{"TrailName is required"}},
		{name: "bad trail name", props: with(func(p *orgtrail.OrganizationTrailProps) { p.TrailName = jsii.String("org--trail") }),
			want: []string{`TrailName must not have adjacent periods, underscores or hyphens, got "org--trail"`}},
		{name: "missing bucket", props: with(func(p *orgtrail.OrganizationTrailProps) { p.BucketName = nil }),
			want: []string{"BucketName is required: the log archive bucket's name"}},
		{name: "missing key", props: with(func(p *orgtrail.OrganizationTrailProps) { p.KmsKeyArn = nil }),
			want: []string{"KmsKeyArn is required"}},
		{name: "key by alias name only", props: with(func(p *orgtrail.OrganizationTrailProps) { p.KmsKeyArn = jsii.String("alias/org-trail") }),
			want: []string{`KmsKeyArn must be the ARN of the log archive's KMS key or of its alias`, `got "alias/org-trail"`}},
		{name: "key is a token", props: with(func(p *orgtrail.OrganizationTrailProps) { p.KmsKeyArn = awscdk.Aws_STACK_ID() }),
			want: []string{"KmsKeyArn must be a literal ARN, got a token"}},
		{name: "key outside the stack's region", props: with(func(p *orgtrail.OrganizationTrailProps) {
			p.KmsKeyArn = jsii.String("arn:aws:kms:us-east-1:222222222222:alias/org-trail")
		}), want: []string{"KmsKeyArn is in region us-east-1 but the log archive bucket is in eu-west-1 (the stack's region)"}},
		{name: "key outside the bucket's region", props: with(func(p *orgtrail.OrganizationTrailProps) { p.BucketRegion = jsii.String("eu-central-1") }),
			want: []string{"KmsKeyArn is in region eu-west-1 but the log archive bucket is in eu-central-1 (BucketRegion)", "requires the KMS key in the bucket's region"}},
		{name: "unknown insight", props: with(func(p *orgtrail.OrganizationTrailProps) { p.InsightTypes = jsii.Strings("ApiCallVolume") }),
			want: []string{`InsightTypes[0] must be ApiCallRateInsight or ApiErrorRateInsight, got "ApiCallVolume"`}},
		{name: "bad data event type", props: with(func(p *orgtrail.OrganizationTrailProps) { p.DataEventResourceTypes = jsii.Strings("S3 objects") }),
			want: []string{`DataEventResourceTypes[0] must be a CloudTrail data event resource type such as AWS::S3::Object, got "S3 objects"`}},
		{name: "excluded buckets without S3 data events", props: with(func(p *orgtrail.OrganizationTrailProps) {
			p.DataEventExcludedBucketNames = jsii.Strings("access-logs")
		}), want: []string{"DataEventExcludedBucketNames only applies when DataEventResourceTypes includes AWS::S3::Object"}},
		{name: "log group options without delivery", props: with(func(p *orgtrail.OrganizationTrailProps) { p.LogGroupRetentionDays = jsii.Number(90) }),
			want: []string{"LogGroupName and LogGroupRetentionDays only apply with SendToCloudWatchLogs"}},
		{name: "retention CloudWatch Logs rejects", props: with(func(p *orgtrail.OrganizationTrailProps) {
			p.SendToCloudWatchLogs, p.LogGroupRetentionDays = jsii.Bool(true), jsii.Number(42)
		}), want: []string{"LogGroupRetentionDays must be a retention CloudWatch Logs accepts (1 3 5 7", "got 42"}},
		{name: "every problem at once", props: &orgtrail.OrganizationTrailProps{TrailName: jsii.String("x")},
			want: []string{"TrailName must be a trail name", "OrganizationId is required", "BucketName is required", "KmsKeyArn is required"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			stack := newTestStack(t)
			msg := mustPanic(t, func() { orgtrail.NewOrganizationTrail(stack, jsii.String("Trail"), tc.props) })
			if missing := missingSubstrings(msg, tc.want...); len(missing) > 0 {
				t.Errorf("panic message lacks %q:\n%s", missing, msg)
			}
		})
	}
}
