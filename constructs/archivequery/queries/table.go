// Package queries is the pure-Go half of the archive query layer: the Glue table's columns
// and partition scheme as AWS documents them for CloudTrail, the named queries the
// archivequery construct saves in the workgroup, and the partition predicates that prune a
// time-range query to the days it needs. It imports no CDK, so `trailguard query` uses it
// without jsii.
//
// A named query over the last 7 days, for Athena's StartQueryExecution (QueryString and
// ExecutionParameters) in the archivequery construct's workgroup:
//
//	q, _ := queries.ByName("principal-activity")
//	r := queries.Range{From: time.Now().AddDate(0, 0, -7), To: time.Now()}
//	sql := q.SQL(queries.QualifiedName("trailguard_archive", "cloudtrail_logs"))
//	params, err := q.Values(r, map[queries.Param]string{
//		queries.Principal: "arn:aws:iam::111111111111:role/deploy",
//	})
//
// An ad hoc query limited to the range's partitions:
//
//	sql := "SELECT eventname, count(*) FROM " + queries.QualifiedName("trailguard_archive", "cloudtrail_logs") +
//		" WHERE " + r.Predicate(nil, nil) + " GROUP BY eventname"
package queries

import (
	"fmt"
	"sort"
	"strings"
)

// Column is one column of the table: its name and its Hive type, as Glue stores them.
type Column struct {
	// Name is the column's name, lowercase.
	Name string
	// Type is its Hive type, such as "string" or "struct<...>".
	Type string
}

// The table's storage, as AWS documents it for CloudTrail log files.
const (
	// SerDe deserializes CloudTrail records: the Hive JSON SerDe, as AWS's table with
	// partition projection names it beside the CloudTrail input format
	// (https://docs.aws.amazon.com/athena/latest/ug/create-cloudtrail-table-partition-projection.html);
	// the older CloudTrail SerDe (com.amazon.emr.hive.serde.CloudTrailSerde) is what the
	// manually partitioned table of earlier docs used.
	SerDe = "org.apache.hive.hcatalog.data.JsonSerDe"
	// InputFormat reads the Records array of CloudTrail's gzipped JSON log files.
	InputFormat = "com.amazon.emr.cloudtrail.CloudTrailInputFormat"
	// OutputFormat is the Hive text output format AWS's DDL names.
	OutputFormat = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"
	// DateFormat is the format of the date partition: CloudTrail's yyyy/MM/dd key segments.
	DateFormat = "yyyy/MM/dd"
	// goDateFormat is DateFormat for Go's time package.
	goDateFormat = "2006/01/02"
)

// Partition keys. AWS's CloudTrail table names the date partition "timestamp"; the account
// and region partitions follow the organization trail's key layout
// AWSLogs/<org id>/<account>/CloudTrail/<region>/<yyyy>/<MM>/<dd>/.
const (
	AccountKey = "account"
	RegionKey  = "region"
	DateKey    = "timestamp"
)

// PartitionKeys are the table's partition keys, in order, all strings.
var PartitionKeys = []Column{{AccountKey, "string"}, {RegionKey, "string"}, {DateKey, "string"}}

// Columns are the columns of AWS's CloudTrail table with partition projection, name for name
// and type for type ("Create the table for CloudTrail logs in Athena using partition
// projection",
// https://docs.aws.amazon.com/athena/latest/ug/create-cloudtrail-table-partition-projection.html).
// The test checks them against that page's CREATE TABLE statement.
var Columns = []Column{
	{"eventversion", "string"},
	{"useridentity", "struct<type:string,principalid:string,arn:string,accountid:string,invokedby:string,accesskeyid:string,username:string," +
		"onbehalfof:struct<userid:string,identitystorearn:string>," +
		"sessioncontext:struct<attributes:struct<mfaauthenticated:string,creationdate:string>," +
		"sessionissuer:struct<type:string,principalid:string,arn:string,accountid:string,username:string>," +
		"ec2roledelivery:string,webidfederationdata:struct<federatedprovider:string,attributes:map<string,string>>>>"},
	{"eventtime", "string"},
	{"eventsource", "string"},
	{"eventname", "string"},
	{"awsregion", "string"},
	{"sourceipaddress", "string"},
	{"useragent", "string"},
	{"errorcode", "string"},
	{"errormessage", "string"},
	{"requestparameters", "string"},
	{"responseelements", "string"},
	{"additionaleventdata", "string"},
	{"requestid", "string"},
	{"eventid", "string"},
	{"readonly", "string"},
	{"resources", "array<struct<arn:string,accountid:string,type:string>>"},
	{"eventtype", "string"},
	{"apiversion", "string"},
	{"recipientaccountid", "string"},
	{"serviceeventdetails", "string"},
	{"sharedeventid", "string"},
	{"vpcendpointid", "string"},
	{"vpcendpointaccountid", "string"},
	{"eventcategory", "string"},
	{"addendum", "struct<reason:string,updatedfields:string,originalrequestid:string,originaleventid:string>"},
	{"sessioncredentialfromconsole", "string"},
	{"edgedevicedetails", "string"},
	{"tlsdetails", "struct<tlsversion:string,ciphersuite:string,clientprovidedhostheader:string>"},
}

// Table describes one deployment of the table: where the logs are and what to project.
type Table struct {
	// Database and Name name the table in the Glue Data Catalog.
	Database, Name string
	// Bucket is the log archive bucket, OrganizationID the organization whose trail writes
	// under AWSLogs/<OrganizationID>/.
	Bucket, OrganizationID string
	// Accounts and Regions are the values projected for the account and region partitions.
	Accounts, Regions []string
	// StartDate is the first projected day, yyyy/MM/dd.
	StartDate string
}

// Location is the table's LOCATION: the organization's prefix in the archive.
func (t Table) Location() string {
	return fmt.Sprintf("s3://%s/AWSLogs/%s/", t.Bucket, t.OrganizationID)
}

// Parameters are the table properties that turn on partition projection: an enum of the
// accounts, an enum of the regions and a daily date from StartDate to now, and the template
// mapping them to the organization trail's keys ("Partition projection with Amazon Athena",
// https://docs.aws.amazon.com/athena/latest/ug/partition-projection.html).
func (t Table) Parameters() map[string]string {
	return map[string]string{
		"classification":                     "cloudtrail",
		"EXTERNAL":                           "TRUE",
		"projection.enabled":                 "true",
		"projection.account.type":            "enum",
		"projection.account.values":          strings.Join(t.Accounts, ","),
		"projection.region.type":             "enum",
		"projection.region.values":           strings.Join(t.Regions, ","),
		"projection.timestamp.type":          "date",
		"projection.timestamp.format":        DateFormat,
		"projection.timestamp.range":         t.StartDate + ",NOW",
		"projection.timestamp.interval":      "1",
		"projection.timestamp.interval.unit": "DAYS",
		"storage.location.template":          t.Location() + "${account}/CloudTrail/${region}/${timestamp}",
	}
}

// DDL is the CREATE EXTERNAL TABLE statement equivalent to the Glue table, for readers who
// want to see or recreate it in the Athena console.
func (t Table) DDL() string {
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE EXTERNAL TABLE `%s`.`%s` (\n", t.Database, t.Name)
	for i, c := range Columns {
		sep := ","
		if i == len(Columns)-1 {
			sep = ""
		}
		fmt.Fprintf(&b, "  %s %s%s\n", c.Name, c.Type, sep)
	}
	b.WriteString(")\nPARTITIONED BY (\n")
	for i, c := range PartitionKeys {
		sep := ","
		if i == len(PartitionKeys)-1 {
			sep = ""
		}
		fmt.Fprintf(&b, "  `%s` %s%s\n", c.Name, c.Type, sep)
	}
	fmt.Fprintf(&b, ")\nROW FORMAT SERDE '%s'\nSTORED AS INPUTFORMAT '%s'\nOUTPUTFORMAT '%s'\nLOCATION '%s'\nTBLPROPERTIES (\n", SerDe, InputFormat, OutputFormat, t.Location())
	params := t.Parameters()
	keys := make([]string, 0, len(params))
	for k := range params {
		if k != "EXTERNAL" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for i, k := range keys {
		sep := ","
		if i == len(keys)-1 {
			sep = ""
		}
		fmt.Fprintf(&b, "  '%s'='%s'%s\n", k, params[k], sep)
	}
	b.WriteString(")\n")
	return b.String()
}
