package test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/trailguard/trailguard/deployed"
)

// bundledDeployed reads the deployed definitions bundled with the responder function (the
// only deployed.json in the assembly's assets).
func bundledDeployed(t *testing.T, outdir string) *deployed.Definitions {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(outdir, "asset.*", deployed.File))
	if err != nil || len(files) != 1 {
		t.Fatalf("the responder's %s in %s: %v, %v; want exactly one", deployed.File, outdir, files, err)
	}
	b, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	d, err := deployed.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	checkDeployedGolden(t, b)
	return d
}

// deployedGolden is the example org's deployed.json as the responder bundles it: the
// restoring actions' end-to-end tests (internal/lambdatest) restore to it, so that what they
// prove holds for synth's own file.
const deployedGolden = "testdata/deployed.json"

// checkDeployedGolden compares the bundled deployed.json with deployedGolden; UPDATE_GOLDEN=1
// rewrites it.
func checkDeployedGolden(t *testing.T, got []byte) {
	t.Helper()
	if os.Getenv("UPDATE_GOLDEN") == "1" {
		if err := os.WriteFile(deployedGolden, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(deployedGolden)
	if err != nil {
		t.Fatalf("%v (run UPDATE_GOLDEN=1 go test ./test/ -run %s to create it)", err, t.Name())
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the responder's bundled %s (-want +got):\n%s\nIf the change is intended, run UPDATE_GOLDEN=1 go test ./test/ -run %s and review the diff.",
			deployedGolden, deployed.File, cmp.Diff(string(want), string(got)), t.Name())
	}
}

// render writes a template value with the pseudo parameters as the definitions' placeholders
// and a role's Arn attribute as the ARN of its name, so that it compares with a definition.
func render(t *testing.T, tmpl template, v any) any {
	t.Helper()
	switch x := v.(type) {
	case map[string]any:
		if r, ok := x["Ref"].(string); ok && len(x) == 1 {
			switch r {
			case "AWS::AccountId":
				return deployed.PlaceholderAccount
			case "AWS::Region":
				return deployed.PlaceholderRegion
			case "AWS::Partition":
				return deployed.PlaceholderPartition
			}
			return "{Ref " + r + "}"
		}
		if j, ok := x["Fn::Join"].([]any); ok && len(x) == 1 {
			var parts []string
			for _, p := range j[1].([]any) {
				parts = append(parts, render(t, tmpl, p).(string))
			}
			return strings.Join(parts, j[0].(string))
		}
		if g, ok := x["Fn::GetAtt"].([]any); ok && len(x) == 1 {
			res := tmpl["Resources"].(map[string]any)[g[0].(string)].(map[string]any)
			if res["Type"] == "AWS::IAM::Role" && g[1] == "Arn" {
				name := render(t, tmpl, resource(res).props()["RoleName"]).(string)
				return "arn:" + deployed.PlaceholderPartition + ":iam::" + deployed.PlaceholderAccount + ":role/" + name
			}
			return "{GetAtt " + g[0].(string) + "." + g[1].(string) + "}"
		}
		out := map[string]any{}
		for k, e := range x {
			out[k] = render(t, tmpl, e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = render(t, tmpl, e)
		}
		return out
	}
	return v
}

// TestDeployedDefinitionsAreTheTemplates: the definitions the responder restores to are what
// the stacks deploy: every forwarder rule of a member stack (name, pattern, state,
// description, targets with their role, partition key, retry policy, and the dead-letter
// queue its alarm names), the local trail and the organization trail.
func TestDeployedDefinitionsAreTheTemplates(t *testing.T) {
	cfg := example.cfg
	d := bundledDeployed(t, example.outdir)
	member := example.template(t, cfg.MemberStackName(cfg.Members[0], cfg.HomeRegion))
	rules := member.resourcesOfType("AWS::Events::Rule")
	alarms := member.resourcesOfType("AWS::CloudWatch::Alarm")
	found := 0
	for _, r := range rules {
		p := r.props()
		def, ok := d.Rule(p["Name"].(string), cfg.HomeRegion)
		if !ok {
			def, ok = d.Rule(p["Name"].(string), "us-east-1") // the bus rule is in the other regions
		}
		if !ok {
			continue
		}
		found++
		name := def.Name
		var pattern any
		if err := json.Unmarshal([]byte(def.EventPattern), &pattern); err != nil {
			t.Fatal(err)
		}
		wantEq(t, name+" pattern", render(t, member, p["EventPattern"]), pattern)
		wantEq(t, name+" state", p["State"], def.State)
		wantEq(t, name+" description", p["Description"], def.Description)
		targets := asList(p["Targets"])
		if len(targets) != len(def.Targets) {
			t.Fatalf("%s: %d targets, want %d", name, len(targets), len(def.Targets))
		}
		for i, tg := range targets {
			tg := tg.(map[string]any)
			dt := def.Targets[i]
			wantEq(t, name+" target id", tg["Id"], dt.ID)
			wantEq(t, name+" target arn", tg["Arn"], dt.Arn)
			wantEq(t, name+" target role", render(t, member, tg["RoleArn"]), dt.RoleArn)
			if dt.KinesisPartitionKeyPath != "" {
				wantEq(t, name+" partition key", get(tg, "KinesisParameters", "PartitionKeyPath"), dt.KinesisPartitionKeyPath)
			}
			wantEq(t, name+" retries", get(tg, "RetryPolicy", "MaximumRetryAttempts"), float64(dt.MaximumRetryAttempts))
			wantEq(t, name+" event age", get(tg, "RetryPolicy", "MaximumEventAgeInSeconds"), float64(dt.MaximumEventAgeInSeconds))
			// The dead-letter queue is the one the named alarm watches.
			queue := get(tg, "DeadLetterConfig", "Arn", "Fn::GetAtt").([]any)[0]
			var watched []any
			for _, a := range alarms {
				if a.props()["AlarmName"] == dt.DeadLetterAlarm {
					for _, dim := range asList(a.props()["Dimensions"]) {
						if get(dim, "Name") == "QueueName" {
							watched = append(watched, get(dim, "Value", "Fn::GetAtt").([]any)[0])
						}
					}
				}
			}
			wantEq(t, name+" dead-letter alarm's queue", watched, []any{queue})
		}
	}
	if found != len(d.Rules) {
		t.Errorf("%d of the %d rule definitions are in %s's template", found, len(d.Rules), cfg.MemberStackName(cfg.Members[0], cfg.HomeRegion))
	}

	trailOf := func(stack string) map[string]any {
		for _, tr := range example.template(t, stack).resourcesOfType("AWS::CloudTrail::Trail") {
			return tr.props()
		}
		t.Fatalf("%s has no trail", stack)
		return nil
	}
	check := func(def deployed.Trail, p map[string]any, tmpl template) {
		wantEq(t, def.Name+" name", p["TrailName"], def.Name)
		for field, want := range map[string]bool{"IsMultiRegionTrail": def.IsMultiRegionTrail, "IncludeGlobalServiceEvents": def.IncludeGlobalServiceEvents,
			"EnableLogFileValidation": def.EnableLogFileValidation, "IsLogging": true} {
			wantEq(t, def.Name+" "+field, p[field], want)
		}
		wantEq(t, def.Name+" IsOrganizationTrail", p["IsOrganizationTrail"] == true, def.IsOrganizationTrail)
		var insights []string
		for _, s := range asList(p["InsightSelectors"]) {
			insights = append(insights, get(s, "InsightType").(string))
		}
		wantEq(t, def.Name+" insights", insights, def.InsightTypes)
		var selectors []deployed.AdvancedEventSelector
		b, _ := json.Marshal(p["AdvancedEventSelectors"])
		var raw []struct {
			Name           string
			FieldSelectors []struct {
				Field                                                               string
				Equals, StartsWith, EndsWith, NotEquals, NotStartsWith, NotEndsWith []string
			}
		}
		if err := json.Unmarshal(b, &raw); err != nil {
			t.Fatal(err)
		}
		for _, s := range raw {
			sel := deployed.AdvancedEventSelector{Name: s.Name}
			for _, f := range s.FieldSelectors {
				sel.FieldSelectors = append(sel.FieldSelectors, deployed.FieldSelector{Field: f.Field, Equals: f.Equals, StartsWith: f.StartsWith, EndsWith: f.EndsWith,
					NotEquals: f.NotEquals, NotStartsWith: f.NotStartsWith, NotEndsWith: f.NotEndsWith})
			}
			selectors = append(selectors, sel)
		}
		if !reflect.DeepEqual(selectors, def.AdvancedEventSelectors) {
			t.Errorf("%s selectors = %+v, want %+v", def.Name, selectors, def.AdvancedEventSelectors)
		}
	}
	org, ok := d.Trail(cfg.OrganizationTrail.Name, cfg.Organization.ManagementAccount)
	if !ok {
		t.Fatal("no definition of the organization trail in the management account")
	}
	p := trailOf(cfg.ManagementStackName())
	check(org, p, example.template(t, cfg.ManagementStackName()))
	wantEq(t, "organization trail bucket", p["S3BucketName"], org.S3BucketName)
	wantEq(t, "organization trail key", p["KMSKeyId"], org.KmsKeyId)

	local, ok := d.Trail(cfg.AccountTrail.Name, cfg.Members[0].ID)
	if !ok {
		t.Fatal("no definition of the local trail in a member account")
	}
	if _, ok := d.Trail(cfg.AccountTrail.Name, cfg.Organization.SecurityAccount); ok {
		t.Error("a local trail is defined in the Security account, which has none")
	}
	p = trailOf(cfg.MemberStackName(cfg.Members[0], cfg.HomeRegion))
	check(local, p, member)
	// The bucket is the construct's; its default key is the trail's.
	bucketID := get(p, "S3BucketName", "Ref").(string)
	bucket := resource(member["Resources"].(map[string]any)[bucketID].(map[string]any)).props()
	wantEq(t, "local trail bucket", render(t, member, bucket["BucketName"]), local.S3BucketName)
	keyID := get(p, "KMSKeyId", "Fn::GetAtt").([]any)[0]
	wantEq(t, "local trail bucket key", get(asList(get(bucket, "BucketEncryption", "ServerSideEncryptionConfiguration"))[0], "ServerSideEncryptionByDefault", "KMSMasterKeyID", "Fn::GetAtt").([]any)[0], keyID)
	if !local.KmsKeyFromBucket {
		t.Error("the local trail's key is not read from its bucket")
	}
}
