package queries

import (
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// hiveColumns parses the column list of a CREATE TABLE statement: the top-level
// "name type" pairs between the first parenthesis and its match, types with whitespace
// removed and lowercased (Hive types are case-insensitive).
func hiveColumns(t *testing.T, ddl string) []Column {
	t.Helper()
	start := strings.Index(ddl, "(")
	depth, end := 0, -1
	for i := start; i < len(ddl) && end < 0; i++ {
		switch ddl[i] {
		case '(':
			depth++
		case ')':
			if depth--; depth == 0 {
				end = i
			}
		}
	}
	if start < 0 || end < 0 {
		t.Fatal("no column list in the DDL")
	}
	body := ddl[start+1 : end]
	var cols []Column
	depth, from := 0, 0
	for i := 0; i <= len(body); i++ {
		if i < len(body) {
			switch body[i] {
			case '<':
				depth++
			case '>':
				depth--
			}
			if body[i] != ',' || depth != 0 {
				continue
			}
		}
		def := strings.TrimSpace(body[from:i])
		from = i + 1
		name, typ, ok := strings.Cut(def, " ")
		if !ok {
			t.Fatalf("column definition %q has no type", def)
		}
		cols = append(cols, Column{strings.Trim(name, "`"), strings.ToLower(regexp.MustCompile(`\s+`).ReplaceAllString(typ, ""))})
	}
	return cols
}

func awsDDL(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("testdata/aws-cloudtrail-table-partition-projection.sql")
	if err != nil {
		t.Fatal(err)
	}
	return regexp.MustCompile(`(?m)^--.*$`).ReplaceAllString(string(b), "")
}

// TestColumnsAreAWSDocumented: the table's columns are AWS's, name for name, type for type,
// in order.
func TestColumnsAreAWSDocumented(t *testing.T) {
	want := hiveColumns(t, awsDDL(t))
	if len(want) < 25 {
		t.Fatalf("parsed %d columns from AWS's DDL: the parser is broken", len(want))
	}
	if diff := cmp.Diff(Columns, want); diff != "" {
		t.Errorf("columns differ from AWS's documented CloudTrail table (-got +want):\n%s", diff)
	}
}

// TestDDLRoundTrips: the DDL we print declares the same columns, partitions, formats and
// projection as the Glue table, and what AWS's statement declares for the date partition.
func TestDDLRoundTrips(t *testing.T) {
	tb := Table{Database: "trailguard_archive", Name: "cloudtrail_logs", Bucket: "trailguard-archive-222222222222-eu-west-1",
		OrganizationID: "o-a1b2c3d4e5", Accounts: []string{"111111111111", "222222222222"}, Regions: []string{"eu-west-1", "us-east-1"}, StartDate: "2020/01/01"}
	ddl := tb.DDL()
	if diff := cmp.Diff(Columns, hiveColumns(t, ddl)); diff != "" {
		t.Errorf("DDL columns (-table +ddl):\n%s", diff)
	}
	aws := awsDDL(t)
	for _, want := range []string{
		"STORED AS INPUTFORMAT '" + InputFormat + "'",
		"OUTPUTFORMAT '" + OutputFormat + "'",
		"`timestamp` string",
		"'projection.timestamp.format'='" + DateFormat + "'",
		"'projection.timestamp.interval'='1'",
		"'projection.timestamp.interval.unit'='DAYS'",
		"'projection.timestamp.type'='date'",
		"'projection.enabled'='true'",
	} {
		if !strings.Contains(aws, want) {
			t.Errorf("AWS's DDL lacks %q: the test's copy is wrong", want)
		}
		if !strings.Contains(ddl, want) {
			t.Errorf("our DDL lacks %q, which AWS's has:\n%s", want, ddl)
		}
	}
	for _, want := range []string{
		"ROW FORMAT SERDE '" + SerDe + "'",
		"LOCATION 's3://trailguard-archive-222222222222-eu-west-1/AWSLogs/o-a1b2c3d4e5/'",
		"'projection.account.values'='111111111111,222222222222'",
		"'projection.region.values'='eu-west-1,us-east-1'",
		"'projection.timestamp.range'='2020/01/01,NOW'",
		// The organization trail's layout: AWSLogs/<org id>/<account>/CloudTrail/<region>/<yyyy>/<MM>/<dd>/
		// (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-find-log-files.html).
		"'storage.location.template'='s3://trailguard-archive-222222222222-eu-west-1/AWSLogs/o-a1b2c3d4e5/${account}/CloudTrail/${region}/${timestamp}'",
	} {
		if !strings.Contains(ddl, want) {
			t.Errorf("our DDL lacks %q:\n%s", want, ddl)
		}
	}
}

func TestRangeDaysAndPredicate(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		name              string
		r                 Range
		accounts, regions []string
		want              string
	}{
		{"one day: the next day's files hold its last minutes", Range{at("2026-11-30T00:00:00Z"), at("2026-11-30T23:59:59Z")}, nil, nil,
			`"timestamp" BETWEEN '2026/11/30' AND '2026/12/01' AND eventtime >= '2026-11-30T00:00:00Z' AND eventtime < '2026-11-30T23:59:59Z'`},
		{"other time zones in UTC", Range{at("2026-01-01T01:00:00+02:00"), at("2026-01-02T00:00:00+02:00")}, nil, nil,
			`"timestamp" BETWEEN '2025/12/31' AND '2026/01/02' AND eventtime >= '2025-12-31T23:00:00Z' AND eventtime < '2026-01-01T22:00:00Z'`},
		{"account and region partitions", Range{at("2026-03-01T00:00:00Z"), at("2026-03-02T00:00:00Z")}, []string{"333333333333"}, []string{"eu-west-1", "us-east-1"},
			`"timestamp" BETWEEN '2026/03/01' AND '2026/03/03' AND eventtime >= '2026-03-01T00:00:00Z' AND eventtime < '2026-03-02T00:00:00Z' AND account IN ('333333333333') AND region IN ('eu-west-1', 'us-east-1')`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.r.Predicate(tt.accounts, tt.regions); got != tt.want {
				t.Errorf("Predicate:\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestNamedQueries(t *testing.T) {
	r := Range{time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)}
	for _, n := range All {
		t.Run(n.Name, func(t *testing.T) {
			sql := n.SQL(QualifiedName("trailguard_archive", "cloudtrail_logs"))
			if got := strings.Count(sql, "?"); got != len(n.Params) {
				t.Errorf("%d placeholders, %d params", got, len(n.Params))
			}
			if strings.Contains(sql, "%!") {
				t.Errorf("formatting error in %s", sql)
			}
			// Every scan of the table is bounded by the date partition.
			if scans, bounded := strings.Count(sql, `"cloudtrail_logs"`), strings.Count(sql, `"timestamp" BETWEEN ? AND ?`); bounded < scans {
				t.Errorf("%d scans of the table, %d bounded by the date partition:\n%s", scans, bounded, sql)
			}
			vals, err := n.Values(r, map[Param]string{Principal: "arn:aws:iam::333333333333:role/x", Resource: "bucket", EventID: "e'1"})
			if err != nil {
				t.Fatal(err)
			}
			if len(vals) != len(n.Params) {
				t.Fatalf("%d values for %d params", len(vals), len(n.Params))
			}
			if vals[0] != "'2026/01/01'" || vals[1] != "'2026/02/02'" || vals[2] != "'2026-01-01T00:00:00Z'" || vals[3] != "'2026-02-01T00:00:00Z'" {
				t.Errorf("range values %v", vals[:4])
			}
			if len(n.Description) > 1024 { // AWS::Athena::NamedQuery Description: 1-1024 characters
				t.Errorf("description is %d characters", len(n.Description))
			}
		})
	}
	if _, err := All[0].Values(r, nil); err == nil || !strings.Contains(err.Error(), "--principal") {
		t.Errorf("missing principal: got %v, want an error naming --principal", err)
	}
	if got := Literal("it's"); got != "'it''s'" {
		t.Errorf("Literal: %s", got)
	}
}
