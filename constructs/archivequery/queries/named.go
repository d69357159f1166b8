package queries

import (
	"fmt"
	"strings"
	"time"
)

// Param is the kind of value a named query's placeholder takes. Athena fills the ? of a saved
// query from StartQueryExecution's ExecutionParameters, in order
// (https://docs.aws.amazon.com/athena/latest/ug/querying-with-prepared-statements.html).
type Param string

// Parameter kinds.
const (
	// FromDay and ToDay bound the date partition (yyyy/MM/dd), inclusive: they prune the scan.
	FromDay Param = "from-day"
	ToDay   Param = "to-day"
	// FromTime and ToTime bound eventtime (yyyy-MM-ddTHH:mm:ssZ), from inclusive, to
	// exclusive: they make the range exact.
	FromTime Param = "from-time"
	ToTime   Param = "to-time"
	// Principal is an IAM role, user or assumed-role session ARN.
	Principal Param = "principal"
	// Resource is a resource's ARN or name.
	Resource Param = "resource"
	// EventID is a CloudTrail event ID.
	EventID Param = "event-id"
)

// Named is a query saved in the workgroup (AWS::Athena::NamedQuery).
type Named struct {
	// Name is the query's name in the workgroup and in `trailguard query --named`.
	Name string
	// Description says what it answers, and its parameters in order.
	Description string
	// Params are the kinds of its ? placeholders, in order.
	Params []Param
	// sql is the query with %[1]s for the table.
	sql string
}

// SQL is the query over table (a quoted "database"."table").
func (n Named) SQL(table string) string { return fmt.Sprintf(n.sql, table) }

// QualifiedName quotes database and table for SQL.
func QualifiedName(database, table string) string {
	return fmt.Sprintf("%q.%q", database, table)
}

// rangeWhere is the time-range predicate every named query starts with: the date partition
// (pruning) and eventtime (exactness).
const rangeWhere = `"timestamp" BETWEEN ? AND ? AND eventtime >= ? AND eventtime < ?`

var rangeParams = []Param{FromDay, ToDay, FromTime, ToTime}

// eventColumns are the columns an investigator reads first.
const eventColumns = `eventtime, account, region, eventsource, eventname, errorcode, useridentity.type AS identitytype, useridentity.arn AS principalarn,
  useridentity.sessioncontext.sessionissuer.arn AS sessionissuer, sourceipaddress, useragent, requestparameters, eventid`

// All are the named queries, in the order the workgroup lists them.
var All = []Named{
	{
		Name:        "principal-activity",
		Description: "Everything one principal did across the organization: a role ARN matches its sessions too. Parameters: from day, to day (yyyy/MM/dd), from time, to time (ISO 8601, UTC), principal ARN.",
		Params:      append(append([]Param{}, rangeParams...), Principal),
		sql: `SELECT ` + eventColumns + `
FROM %[1]s
WHERE ` + rangeWhere + `
  AND ? IN (useridentity.arn, useridentity.sessioncontext.sessionissuer.arn)
ORDER BY eventtime`,
	},
	{
		Name:        "resource-activity",
		Description: "Who touched a resource: events naming its ARN or name in resources, requestParameters or responseElements. Parameters: from day, to day (yyyy/MM/dd), from time, to time (ISO 8601, UTC), resource ARN or name (three times, the same value).",
		Params:      append(append([]Param{}, rangeParams...), Resource, Resource, Resource),
		sql: `SELECT ` + eventColumns + `
FROM %[1]s
WHERE ` + rangeWhere + `
  AND (contains(transform(resources, r -> r.arn), ?) OR strpos(requestparameters, ?) > 0 OR strpos(responseelements, ?) > 0)
ORDER BY eventtime`,
	},
	{
		// additionalEventData.MFAUsed is "No" for a console sign-in without MFA
		// (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-aws-console-sign-in-events.html).
		// Federated sign-ins (IAM Identity Center, SAML) say "No" too: their MFA is the
		// identity provider's, so only IAM users and the root user are listed.
		Name:        "console-signin-without-mfa",
		Description: "Successful console sign-ins without MFA (additionalEventData.MFAUsed = No), by IAM users and root. Parameters: from day, to day (yyyy/MM/dd), from time, to time (ISO 8601, UTC).",
		Params:      rangeParams,
		sql: `SELECT eventtime, account, useridentity.type AS identitytype, useridentity.arn AS principalarn, sourceipaddress, useragent,
  json_extract_scalar(responseelements, '$.ConsoleLogin') AS result, eventid
FROM %[1]s
WHERE ` + rangeWhere + `
  AND eventname = 'ConsoleLogin' AND useridentity.type IN ('IAMUser', 'Root')
  AND json_extract_scalar(additionaleventdata, '$.MFAUsed') = 'No'
  AND json_extract_scalar(responseelements, '$.ConsoleLogin') = 'Success'
ORDER BY eventtime`,
	},
	{
		Name:        "access-denied-by-principal",
		Description: "Denied calls per principal (AccessDenied, UnauthorizedOperation and their variants), most first, with the actions tried: reconnaissance and broken permissions. Parameters: from day, to day (yyyy/MM/dd), from time, to time (ISO 8601, UTC).",
		Params:      rangeParams,
		sql: `SELECT coalesce(useridentity.sessioncontext.sessionissuer.arn, useridentity.arn) AS principal, count(*) AS denied,
  count(DISTINCT account) AS accounts, min(eventtime) AS first, max(eventtime) AS last,
  slice(array_agg(DISTINCT eventsource || ':' || eventname), 1, 20) AS actions
FROM %[1]s
WHERE ` + rangeWhere + `
  AND (errorcode LIKE '%%AccessDenied%%' OR errorcode LIKE '%%UnauthorizedOperation%%' OR errorcode LIKE '%%Forbidden%%')
GROUP BY 1
ORDER BY denied DESC`,
	},
	{
		Name: "events-around-event",
		// The second scan is bounded by the range's days again: a partition filter taken from
		// the joined row would not prune it.
		Description: "The events around one event: the same principal's calls, and the same account's, from 15 minutes before to 15 minutes after it. Parameters: from day, to day (yyyy/MM/dd), from time, to time (ISO 8601, UTC) bracketing the event, event ID, from day, to day again.",
		Params:      append(append([]Param{}, rangeParams...), EventID, FromDay, ToDay),
		sql: `WITH target AS (
  SELECT from_iso8601_timestamp(eventtime) AS t, useridentity.arn AS arn, account AS acct
  FROM %[1]s
  WHERE ` + rangeWhere + ` AND eventid = ?
  LIMIT 1
)
SELECT e.eventtime, e.account, e.region, e.eventsource, e.eventname, e.errorcode, e.useridentity.arn AS principalarn,
  e.sourceipaddress, e.eventid, e.useridentity.arn = target.arn AS sameprincipal
FROM %[1]s e CROSS JOIN target
WHERE e."timestamp" BETWEEN ? AND ?
  AND from_iso8601_timestamp(e.eventtime) BETWEEN target.t - INTERVAL '15' MINUTE AND target.t + INTERVAL '15' MINUTE
  AND (e.useridentity.arn = target.arn OR e.account = target.acct)
ORDER BY e.eventtime`,
	},
}

// ByName returns the named query called name.
func ByName(name string) (Named, bool) {
	for _, n := range All {
		if n.Name == name {
			return n, true
		}
	}
	return Named{}, false
}

// Names lists the named queries' names.
func Names() []string {
	var out []string
	for _, n := range All {
		out = append(out, n.Name)
	}
	return out
}

// Range is a query's time range: [From, To).
type Range struct {
	// From is the first instant of the range (inclusive), To the end (exclusive).
	From, To time.Time
}

// Days are the date partitions to read for r: CloudTrail files an event under the day its log
// file was delivered, up to about 15 minutes after the event, so an event of the last minutes
// of To's day is under the next day: the range of days ends one day after To.
func (r Range) Days() (from, to string) {
	return r.From.UTC().Format(goDateFormat), r.To.UTC().AddDate(0, 0, 1).Format(goDateFormat)
}

// Times are r's bounds as CloudTrail writes eventtime (ISO 8601, UTC, seconds).
func (r Range) Times() (from, to string) {
	const iso = "2006-01-02T15:04:05Z"
	return r.From.UTC().Format(iso), r.To.UTC().Format(iso)
}

// Predicate is the WHERE condition that limits a query of the table to r: the date
// partitions (which prune the scan) and eventtime (which makes it exact), with optional
// account and region partition filters. Every value is a literal the caller controls
// (formatted times, validated ids), quoted.
func (r Range) Predicate(accounts, regions []string) string {
	fd, td := r.Days()
	ft, tt := r.Times()
	p := fmt.Sprintf(`"timestamp" BETWEEN %s AND %s AND eventtime >= %s AND eventtime < %s`, Literal(fd), Literal(td), Literal(ft), Literal(tt))
	if len(accounts) > 0 {
		p += " AND account IN (" + literals(accounts) + ")"
	}
	if len(regions) > 0 {
		p += " AND region IN (" + literals(regions) + ")"
	}
	return p
}

// Values are the execution parameters for a named query's placeholders: each a quoted SQL
// string literal, as Athena's ExecutionParameters take them. values holds the
// non-range kinds.
func (n Named) Values(r Range, values map[Param]string) ([]string, error) {
	fd, td := r.Days()
	ft, tt := r.Times()
	out := make([]string, 0, len(n.Params))
	for _, p := range n.Params {
		var v string
		switch p {
		case FromDay:
			v = fd
		case ToDay:
			v = td
		case FromTime:
			v = ft
		case ToTime:
			v = tt
		default:
			var ok bool
			if v, ok = values[p]; !ok || v == "" {
				return nil, fmt.Errorf("query %s needs --%s", n.Name, p)
			}
		}
		out = append(out, Literal(v))
	}
	return out, nil
}

// Literal quotes s as a SQL string literal (single quotes doubled).
func Literal(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

func literals(list []string) string {
	q := make([]string, len(list))
	for i, s := range list {
		q[i] = Literal(s)
	}
	return strings.Join(q, ", ")
}
