package test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/jsii-runtime-go"

	"github.com/trailguard/trailguard/config"
	"github.com/trailguard/trailguard/constructs/archivequery"
	"github.com/trailguard/trailguard/constructs/archivequery/queries"
	"github.com/trailguard/trailguard/constructs/guardrails"
	"github.com/trailguard/trailguard/constructs/logarchive"
)

// TestArchiveQueryInSecurityStack: with archiveQuery.enabled the Security stack holds the
// table AWS documents for CloudTrail over the organization's prefix, projected for the
// config's accounts and every region of the partition; a workgroup that enforces encrypted
// results in the results bucket and the configured cutoff; the results bucket as the docs
// promise; a named query per question; and a role only the investigators assume, which the
// archive key lets decrypt log files through S3.
func TestArchiveQueryInSecurityStack(t *testing.T) {
	cfg := example.cfg
	if !cfg.ArchiveQuery.Enabled {
		t.Fatal("the example does not enable archiveQuery: the goldens would not show it")
	}
	if guardrails.GlueNamePrefix != archivequery.GlueNamePrefix {
		t.Fatalf("the guardrails protect Glue databases named %s*, the construct requires %s*", guardrails.GlueNamePrefix, archivequery.GlueNamePrefix)
	}
	tmpl := example.template(t, cfg.SecurityStackName())
	p := cfg.Partition()

	_, table := tmpl.only(t, "AWS::Glue::Table")
	in := get(table.props(), "TableInput").(map[string]any)
	wantEq(t, "table name", in["Name"], archivequery.DefaultTableName)
	wantEq(t, "table type", in["TableType"], "EXTERNAL_TABLE")
	var cols []any
	for _, c := range queries.Columns {
		cols = append(cols, map[string]any{"Name": c.Name, "Type": c.Type})
	}
	wantEq(t, "columns", get(in, "StorageDescriptor", "Columns"), cols)
	wantEq(t, "partition keys", in["PartitionKeys"], []any{
		map[string]any{"Name": "account", "Type": "string"}, map[string]any{"Name": "region", "Type": "string"}, map[string]any{"Name": "timestamp", "Type": "string"}})
	wantEq(t, "serde", get(in, "StorageDescriptor", "SerdeInfo", "SerializationLibrary"), "org.apache.hive.hcatalog.data.JsonSerDe")
	wantEq(t, "input format", get(in, "StorageDescriptor", "InputFormat"), "com.amazon.emr.cloudtrail.CloudTrailInputFormat")
	prefix := "s3://" + cfg.LogArchive.BucketName + "/AWSLogs/" + cfg.Organization.ID + "/"
	wantEq(t, "location", get(in, "StorageDescriptor", "Location"), prefix)
	params := in["Parameters"].(map[string]any)
	wantEq(t, "projected accounts", params["projection.account.values"], strings.Join(cfg.ArchiveQueryAccounts(), ","))
	wantEq(t, "projected regions", params["projection.region.values"], strings.Join(config.PartitionRegions(p), ","))
	wantEq(t, "projected days", params["projection.timestamp.range"], cfg.ArchiveQuery.ProjectionStartDate+",NOW")
	wantEq(t, "location template", params["storage.location.template"], prefix+"${account}/CloudTrail/${region}/${timestamp}")
	for _, r := range cfg.Regions {
		if !strings.Contains(params["projection.region.values"].(string), r) {
			t.Errorf("region %s is not projected", r)
		}
	}

	wgID, wg := tmpl.only(t, "AWS::Athena::WorkGroup")
	if !strings.HasPrefix(wgID, "ArchiveQuery") || strings.Contains(strings.TrimPrefix(wgID, "ArchiveQuery"), "Resource") {
		t.Errorf("workgroup logical id %s: the primary child must be Resource", wgID)
	}
	conf := get(wg.props(), "WorkGroupConfiguration").(map[string]any)
	wantEq(t, "enforced", conf["EnforceWorkGroupConfiguration"], true)
	wantEq(t, "cutoff", conf["BytesScannedCutoffPerQuery"], float64(cfg.ArchiveQuery.BytesScannedCutoffPerQuery))
	resultsName := fmt.Sprintf("trailguard-query-results-%s-%s", cfg.Organization.SecurityAccount, cfg.HomeRegion)
	wantEq(t, "results location", get(conf, "ResultConfiguration", "OutputLocation"), "s3://"+resultsName+"/")
	wantEq(t, "results encryption", get(conf, "ResultConfiguration", "EncryptionConfiguration", "EncryptionOption"), "SSE_KMS")
	keyID := get(conf, "ResultConfiguration", "EncryptionConfiguration", "KmsKey", "Fn::GetAtt").([]any)[0].(string)

	var results resource
	for _, b := range tmpl.resourcesOfType("AWS::S3::Bucket") {
		if b.props()["BucketName"] == resultsName {
			results = b
		}
	}
	if results == nil {
		t.Fatalf("no results bucket %s", resultsName)
	}
	wantEq(t, "results bucket key", get(results.props(), "BucketEncryption", "ServerSideEncryptionConfiguration", 0, "ServerSideEncryptionByDefault"),
		map[string]any{"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": getAtt(keyID, "Arn")})
	wantEq(t, "results versioned", get(results.props(), "VersioningConfiguration", "Status"), "Enabled")
	wantEq(t, "results public access", results.props()["PublicAccessBlockConfiguration"], map[string]any{
		"BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true})
	wantEq(t, "results expiry", get(results.props(), "LifecycleConfiguration", "Rules", 0, "ExpirationInDays"), float64(cfg.ArchiveQuery.ResultsRetentionDays))
	wantEq(t, "results access logs prefix", get(results.props(), "LoggingConfiguration", "LogFilePrefix"), archivequery.ResultsAccessLogPrefix)
	wantEq(t, "results retained", results["DeletionPolicy"], "RetainExceptOnCreate")
	wantEq(t, "results key retained", tmpl["Resources"].(map[string]any)[keyID].(map[string]any)["DeletionPolicy"], "RetainExceptOnCreate")

	named := map[string]string{}
	for _, q := range tmpl.resourcesOfType("AWS::Athena::NamedQuery") {
		named[q.props()["Name"].(string)] = q.props()["QueryString"].(string)
		wantEq(t, "named query workgroup", q.props()["WorkGroup"], ref(wgID))
	}
	for _, n := range queries.All {
		wantEq(t, "named query "+n.Name, named[n.Name], n.SQL(queries.QualifiedName(archivequery.DefaultDatabaseName, archivequery.DefaultTableName)))
	}

	var role resource
	var roleID string
	for id, r := range tmpl.resourcesOfType("AWS::IAM::Role") {
		if r.props()["RoleName"] == archivequery.DefaultRoleName {
			role, roleID = r, id
		}
	}
	if role == nil {
		t.Fatal("no query role")
	}
	// The investigators' accounts, narrowed to them by aws:PrincipalArn: IAM refuses a trust
	// naming a role that does not exist yet.
	var trusted, narrowed []string
	for _, st := range statements(role.props()["AssumeRolePolicyDocument"]) {
		trusted = append(trusted, strs(get(st, "Principal", "AWS"))...)
		narrowed = append(narrowed, strs(get(st, "Condition", "ArnEquals", "aws:PrincipalArn"))...)
	}
	var accounts []string
	for _, a := range cfg.ArchiveQuery.Investigators {
		if root := "arn:" + strings.Split(a, ":")[1] + ":iam::" + strings.Split(a, ":")[4] + ":root"; !slices.Contains(accounts, root) {
			accounts = append(accounts, root)
		}
	}
	wantEq(t, "query role trust", trusted, accounts)
	wantEq(t, "query role trust narrowed to", narrowed, cfg.ArchiveQuery.Investigators)
	if policyOfRole(t, tmpl, roleID) == nil {
		t.Error("the query role has no policy")
	}
	roleArn := archivequery.RoleArn(p, cfg.Organization.SecurityAccount)
	found := false
	for _, k := range tmpl.resourcesOfType("AWS::KMS::Key") {
		for _, st := range statements(k.props()["KeyPolicy"]) {
			if st["Sid"] == "AllowLogFileReadersToDecryptThisBucketThroughS3" {
				for _, a := range strs(get(st, "Condition", "ArnEquals", "aws:PrincipalArn")) {
					found = found || a == roleArn
				}
			}
		}
	}
	if !found {
		t.Errorf("the archive key does not let %s decrypt log files through S3: Athena reads them with the role's permissions", roleArn)
	}
}

// TestArchiveQueryMisuse: invalid props are refused at synth, every problem at once, each
// naming the field and the value.
func TestArchiveQueryMisuse(t *testing.T) {
	stack := newTestStack(t)
	imported := awss3.Bucket_FromBucketName(stack, jsii.String("Imported"), jsii.String("some-logs"))
	msg := mustPanic(t, func() {
		archivequery.NewArchiveQuery(stack, jsii.String("Q"), &archivequery.ArchiveQueryProps{
			OrganizationId:             jsii.String("o-123"),
			ArchiveBucket:              awss3.Bucket_FromBucketName(stack, jsii.String("BadName"), jsii.String("Archive_Bucket")),
			Accounts:                   jsii.Strings("1234"),
			Regions:                    jsii.Strings("mars"),
			InvestigatorArns:           jsii.Strings("arn:aws:iam::*:role/x"),
			AccessLogBucket:            imported,
			ProjectionStartDate:        jsii.String("2020-01-01"),
			BytesScannedCutoffPerQuery: jsii.Number(1000),
			ResultsRetentionDays:       jsii.Number(0),
			DatabaseName:               jsii.String("archive"),
			WorkGroupName:              jsii.String("archive-query"),
			ResultsBucketName:          jsii.String("query-results"),
		})
	})
	if missing := missingSubstrings(msg,
		`archivequery: OrganizationId must be an organization id matching o-[a-z0-9]{10,32}, got "o-123"`,
		`ArchiveBucket must be the log archive bucket's name, an S3 bucket name: 3-63 lowercase letters, digits and hyphens, got "Archive_Bucket"`,
		`Accounts[0] must be a 12-digit account id, got "1234"`,
		`Regions[0] must be an AWS region such as eu-west-1, got "mars"`,
		`InvestigatorArns[0] must be an IAM role ARN without wildcards`,
		"AccessLogBucket must be an awss3.Bucket built in this stack",
		`ProjectionStartDate must be a date yyyy/MM/dd such as 2020/01/01, got "2020-01-01"`,
		"BytesScannedCutoffPerQuery must be a whole number of bytes of at least 10000000 (10 MB, Athena's minimum), got 1000",
		"ResultsRetentionDays must be a whole number of days from 1 to 36500, got 0",
		`DatabaseName must be lowercase letters, digits and underscores starting with trailguard_`,
		`WorkGroupName must start with trailguard-`,
		`ResultsBucketName must start with trailguard-`,
	); len(missing) > 0 {
		t.Errorf("message lacks %q:\n%s", missing, msg)
	}
	msg = mustPanic(t, func() { archivequery.NewArchiveQuery(stack, jsii.String("Q2"), &archivequery.ArchiveQueryProps{}) })
	for _, want := range []string{"OrganizationId is required", "ArchiveBucket is required", "Accounts is required", "Regions is required", "InvestigatorArns is required", "AccessLogBucket is required"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q:\n%s", want, msg)
		}
	}
	// The table's location needs the bucket's name at synth: a generated one is refused.
	unnamed := newTestStack(t)
	generated := logarchive.NewLogArchive(unnamed, jsii.String("Archive"), &logarchive.LogArchiveProps{OrganizationId: jsii.String("o-a1b2c3d4e5"), TrailArn: jsii.String(trailArn)})
	msg = mustPanic(t, func() {
		archivequery.NewArchiveQuery(unnamed, jsii.String("Q"), &archivequery.ArchiveQueryProps{OrganizationId: jsii.String("o-a1b2c3d4e5"), ArchiveBucket: generated.Bucket(),
			Accounts: jsii.Strings("111111111111"), Regions: jsii.Strings("eu-west-1"), InvestigatorArns: jsii.Strings("arn:aws:iam::222222222222:role/ir"), AccessLogBucket: generated.AccessLogBucket()})
	})
	if want := "ArchiveBucket TestStack/Archive/Resource must have a name known at synth"; !strings.Contains(msg, want) {
		t.Errorf("message lacks %q:\n%s", want, msg)
	}
	// A second one in a stack would not deploy: its names are fixed.
	two := newTestStack(t)
	archive := logarchive.NewLogArchive(two, jsii.String("Archive"), &logarchive.LogArchiveProps{OrganizationId: jsii.String("o-a1b2c3d4e5"), TrailArn: jsii.String(trailArn)})
	props := &archivequery.ArchiveQueryProps{OrganizationId: jsii.String("o-a1b2c3d4e5"), ArchiveBucket: awss3.Bucket_FromBucketName(two, jsii.String("ArchiveByName"), jsii.String("trailguard-archive-222222222222")),
		Accounts: jsii.Strings("111111111111"), Regions: jsii.Strings("eu-west-1"), InvestigatorArns: jsii.Strings("arn:aws:iam::222222222222:role/ir"), AccessLogBucket: archive.AccessLogBucket()}
	archivequery.NewArchiveQuery(two, jsii.String("One"), props)
	if msg := mustPanic(t, func() { archivequery.NewArchiveQuery(two, jsii.String("Two"), props) }); !strings.Contains(msg, "already holds one at TestStack/One, and a second at TestStack/Two would not deploy") {
		t.Errorf("second construct: %s", msg)
	}
}
