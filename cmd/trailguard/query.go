package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/athena"
	"github.com/aws/aws-sdk-go-v2/service/athena/types"
	"github.com/aws/smithy-go"
	"github.com/spf13/cobra"

	"github.com/trailguard/trailguard/constructs/archivequery/queries"
)

// Defaults of `trailguard query`: the names the archivequery construct gives.
const (
	defaultWorkGroup = "trailguard-archive-query"
	defaultDatabase  = "trailguard_archive"
	defaultTable     = "cloudtrail_logs"
	// rangeToken is where --sql wants the time-range predicate.
	rangeToken = "$RANGE"
	// athenaPricePerTB is Athena's SQL query price in most regions, in dollars per TB scanned,
	// with a 10 MB minimum per query (https://aws.amazon.com/athena/pricing/).
	athenaPricePerTB = 5.0
	minBilledBytes   = 10_000_000
)

var (
	accountIDRe = regexp.MustCompile(`^[0-9]{12}$`)
	logRegionRe = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)
)

// queryOptions are the flags of `trailguard query`.
type queryOptions struct {
	profile, region            string
	workGroup, database, table string
	named, where, sql          string
	start, end                 string
	principal, resource, event string
	accounts, logRegions       []string
	format, output             string
	poll                       time.Duration
	dryRun, list, quiet        bool
}

func newQueryCmd(e *env) *cobra.Command {
	o := &queryOptions{}
	cmd := &cobra.Command{
		Use:   "query",
		Short: "Query the organization trail's log archive with Athena for a time range",
		Long: `Query runs a named or ad hoc Athena query over the organization trail's log archive
(the table the Security stack creates with archiveQuery.enabled), waits for it while
showing its progress and the data it scanned, and writes the rows as CSV or JSON Lines.

Every query is limited to --start..--end: the table's date partitions (which prune
the scan, so you pay for those days only) and eventtime (exact). The workgroup caps
the bytes one query may scan; Athena cancels a query that passes the cap.

  --named NAME    one of the queries saved in the workgroup (--list shows them)
  --where EXPR    SELECT the common columns WHERE EXPR, e.g. "eventname = 'DeleteTrail'"
  --sql SQL       your own query over the table; write $RANGE where the time-range
                  predicate goes, e.g. SELECT count(*) FROM cloudtrail_logs WHERE $RANGE

--account and --log-region narrow --where and --sql to those partitions too.

Permissions: assume trailguard-archive-query (the Security stack's ArchiveQueryRoleArn
output), e.g. with a profile whose role_arn is that role; Athena reads the logs and
writes the results with its permissions.`,
		Example: `  trailguard query --profile archive-query --region eu-west-1 --named principal-activity \
      --principal arn:aws:iam::333333333333:role/deploy --start 425d > activity.csv
  trailguard query --region eu-west-1 --where "eventname = 'ConsoleLogin'" \
      --start 2026-03-01 --end 2026-03-08 --account 333333333333 --format jsonl -o logins.jsonl`,
		Args: noPositional,
		RunE: func(cmd *cobra.Command, _ []string) error { return runQuery(cmd.Context(), e, o) },
	}
	fl := cmd.Flags()
	fl.StringVar(&o.profile, "profile", "", "AWS shared config profile (default: the SDK's chain)")
	fl.StringVar(&o.region, "region", "", "the region of the Security stack's workgroup (default: the SDK's chain)")
	fl.StringVar(&o.workGroup, "workgroup", defaultWorkGroup, "the Athena workgroup")
	fl.StringVar(&o.database, "database", defaultDatabase, "the Glue database of the table")
	fl.StringVar(&o.table, "table", defaultTable, "the table over the archive")
	fl.StringVar(&o.named, "named", "", "run this named query ("+strings.Join(queries.Names(), ", ")+")")
	fl.StringVar(&o.where, "where", "", "run SELECT <common columns> WHERE <this condition> ORDER BY eventtime")
	fl.StringVar(&o.sql, "sql", "", "run this SQL; it must contain "+rangeToken+" where the time-range predicate goes")
	fl.StringVar(&o.start, "start", "", "events from this time: RFC 3339, a UTC date, or an age such as 425d (required)")
	fl.StringVar(&o.end, "end", "", "events before this time, in the same forms (default: now)")
	fl.StringVar(&o.principal, "principal", "", "the principal ARN, for principal-activity")
	fl.StringVar(&o.resource, "resource", "", "the resource ARN or name, for resource-activity")
	fl.StringVar(&o.event, "event-id", "", "the event ID, for events-around-event")
	fl.StringSliceVar(&o.accounts, "account", nil, "only these accounts' logs (with --where or --sql; repeatable)")
	fl.StringSliceVar(&o.logRegions, "log-region", nil, "only these regions' logs (with --where or --sql; repeatable)")
	fl.StringVar(&o.format, "format", "csv", "output format: csv or jsonl")
	fl.StringVarP(&o.output, "output", "o", "", "write the rows to this file (default: standard output)")
	fl.DurationVar(&o.poll, "poll", time.Second, "how often to ask Athena for the query's state")
	fl.BoolVar(&o.dryRun, "dry-run", false, "print the SQL and its parameters, and run nothing")
	fl.BoolVar(&o.list, "list", false, "list the named queries and their parameters")
	fl.BoolVarP(&o.quiet, "quiet", "q", false, "print no progress, only errors")
	return cmd
}

// statement is what StartQueryExecution runs.
type statement struct {
	sql    string
	params []string
}

// build checks the flags and makes the statement.
func (o *queryOptions) build(now time.Time) (statement, error) {
	modes := 0
	for _, s := range []string{o.named, o.where, o.sql} {
		if s != "" {
			modes++
		}
	}
	if modes != 1 {
		return statement{}, usageErrorf("give exactly one of --named, --where and --sql (--list shows the named queries)")
	}
	if o.start == "" {
		return statement{}, usageErrorf("--start is required: the query reads only the days from --start to --end, and you pay for what it reads")
	}
	from, _, err := parseTime(o.start, now)
	if err != nil {
		return statement{}, usageErrorf("--start: %v", err)
	}
	to := now.UTC().Truncate(time.Second)
	if o.end != "" {
		if to, _, err = parseTime(o.end, now); err != nil {
			return statement{}, usageErrorf("--end: %v", err)
		}
	}
	if !from.Before(to) {
		return statement{}, usageErrorf("--start %s is not before --end %s", from.Format(time.RFC3339), to.Format(time.RFC3339))
	}
	if o.format != "csv" && o.format != "jsonl" {
		return statement{}, usageErrorf("--format must be csv or jsonl, got %q", o.format)
	}
	if o.poll < 100*time.Millisecond {
		return statement{}, usageErrorf("--poll must be at least 100ms, got %s", o.poll)
	}
	for _, a := range o.accounts {
		if !accountIDRe.MatchString(a) {
			return statement{}, usageErrorf("--account must be a 12-digit account id, got %q", a)
		}
	}
	for _, r := range o.logRegions {
		if !logRegionRe.MatchString(r) {
			return statement{}, usageErrorf("--log-region must be a region such as eu-west-1, got %q", r)
		}
	}
	for _, n := range []struct{ flag, v string }{{"--database", o.database}, {"--table", o.table}} {
		if !regexp.MustCompile(`^[a-z0-9_]{1,255}$`).MatchString(n.v) {
			return statement{}, usageErrorf("%s must be lowercase letters, digits and underscores, got %q", n.flag, n.v)
		}
	}
	r := queries.Range{From: from, To: to}
	table := queries.QualifiedName(o.database, o.table)
	if o.named != "" {
		n, ok := queries.ByName(o.named)
		if !ok {
			return statement{}, usageErrorf("--named: no query %q; the named queries are %s", o.named, strings.Join(queries.Names(), ", "))
		}
		if len(o.accounts) > 0 || len(o.logRegions) > 0 {
			return statement{}, usageErrorf("--account and --log-region apply to --where and --sql only; the named queries read every account and region of the range")
		}
		params, err := n.Values(r, map[queries.Param]string{queries.Principal: o.principal, queries.Resource: o.resource, queries.EventID: o.event})
		if err != nil {
			return statement{}, usageErrorf("%v", err)
		}
		return statement{sql: n.SQL(table), params: params}, nil
	}
	pred := r.Predicate(o.accounts, o.logRegions)
	if o.where != "" {
		return statement{sql: fmt.Sprintf("SELECT eventtime, account, region, eventsource, eventname, errorcode, useridentity.arn AS principalarn, sourceipaddress, useragent, requestparameters, eventid\nFROM %s\nWHERE %s\n  AND (%s)\nORDER BY eventtime", table, pred, o.where)}, nil
	}
	if !strings.Contains(o.sql, rangeToken) {
		return statement{}, usageErrorf("--sql must contain %s where the time-range predicate goes (e.g. SELECT count(*) FROM %s WHERE %s), so the scan is pruned to the days of --start..--end", rangeToken, o.table, rangeToken)
	}
	return statement{sql: strings.ReplaceAll(o.sql, rangeToken, "("+pred+")")}, nil
}

func runQuery(ctx context.Context, e *env, o *queryOptions) error {
	if o.list {
		for _, n := range queries.All {
			var params []string
			for _, p := range n.Params {
				params = append(params, string(p))
			}
			fmt.Fprintf(e.stdout, "%s\n  %s\n  parameters: %s\n", n.Name, n.Description, strings.Join(params, ", "))
		}
		return nil
	}
	st, err := o.build(e.now())
	if err != nil {
		return err
	}
	if o.dryRun {
		fmt.Fprintln(e.stdout, st.sql)
		if len(st.params) > 0 {
			fmt.Fprintf(e.stdout, "-- parameters: %s\n", strings.Join(st.params, ", "))
		}
		return nil
	}
	cfg, err := loadAWSConfig(ctx, o.profile, o.region)
	if err != nil {
		return err
	}
	client := athena.NewFromConfig(cfg)
	q := &athenaQuery{client: client, e: e, o: o}
	id, err := q.start(ctx, st)
	if err != nil {
		return err
	}
	exec, err := q.wait(ctx, id)
	if err != nil {
		return err
	}
	return q.write(ctx, id, exec)
}

// athenaQuery runs one query.
type athenaQuery struct {
	client *athena.Client
	e      *env
	o      *queryOptions
}

func (q *athenaQuery) start(ctx context.Context, st statement) (string, error) {
	in := &athena.StartQueryExecutionInput{
		QueryString:           aws.String(st.sql),
		WorkGroup:             aws.String(q.o.workGroup),
		QueryExecutionContext: &types.QueryExecutionContext{Catalog: aws.String("AwsDataCatalog"), Database: aws.String(q.o.database)},
	}
	if len(st.params) > 0 {
		in.ExecutionParameters = st.params
	}
	out, err := q.client.StartQueryExecution(ctx, in)
	if err != nil {
		return "", q.explain("start the query", err)
	}
	id := aws.ToString(out.QueryExecutionId)
	if !q.o.quiet {
		fmt.Fprintf(q.e.stderr, "query %s started in workgroup %s\n", id, q.o.workGroup)
	}
	return id, nil
}

// wait polls the query until it ends. If ctx ends first, it stops the query: an abandoned
// query would keep scanning, and billing, until the cutoff.
func (q *athenaQuery) wait(ctx context.Context, id string) (*types.QueryExecution, error) {
	began := time.Now()
	lastPrinted := time.Time{}
	for {
		out, err := q.client.GetQueryExecution(ctx, &athena.GetQueryExecutionInput{QueryExecutionId: aws.String(id)})
		if err != nil {
			if ctx.Err() != nil {
				return nil, q.stop(id, ctx.Err())
			}
			return nil, q.explain("read the query's state", err)
		}
		exec := out.QueryExecution
		state := types.QueryExecutionStateQueued
		if exec != nil && exec.Status != nil {
			state = exec.Status.State
		}
		scanned := scannedBytes(exec)
		done := state == types.QueryExecutionStateSucceeded || state == types.QueryExecutionStateFailed || state == types.QueryExecutionStateCancelled
		if !q.o.quiet {
			// On a terminal one line, redrawn at each poll; elsewhere a line every 10 seconds
			// and at the end, so logs show progress without flooding.
			line := fmt.Sprintf("query %s: %s, %s scanned, %s", id, state, bytesText(scanned), time.Since(began).Round(time.Second))
			switch {
			case q.e.terminal:
				fmt.Fprintf(q.e.stderr, "\r\033[K%s", line)
			case done || time.Since(lastPrinted) >= 10*time.Second:
				fmt.Fprintln(q.e.stderr, line)
				lastPrinted = time.Now()
			}
		}
		switch state {
		case types.QueryExecutionStateSucceeded:
			if q.e.terminal && !q.o.quiet {
				fmt.Fprintln(q.e.stderr)
			}
			return exec, nil
		case types.QueryExecutionStateFailed, types.QueryExecutionStateCancelled:
			if q.e.terminal && !q.o.quiet {
				fmt.Fprintln(q.e.stderr)
			}
			return nil, failure(id, exec, scanned)
		}
		select {
		case <-ctx.Done():
			return nil, q.stop(id, ctx.Err())
		case <-time.After(q.o.poll):
		}
	}
}

// stop cancels the query on the way out of an interrupted wait.
func (q *athenaQuery) stop(id string, cause error) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if q.e.terminal && !q.o.quiet {
		fmt.Fprintln(q.e.stderr)
	}
	if _, err := q.client.StopQueryExecution(ctx, &athena.StopQueryExecutionInput{QueryExecutionId: aws.String(id)}); err != nil {
		fmt.Fprintf(q.e.stderr, "trailguard: could not stop query %s (it may run on until the scan cutoff): %v\n", id, err)
	} else {
		fmt.Fprintf(q.e.stderr, "trailguard: stopped query %s\n", id)
	}
	return cause
}

// failure explains a failed or cancelled query.
func failure(id string, exec *types.QueryExecution, scanned int64) error {
	reason, state := "", "failed"
	if exec != nil && exec.Status != nil {
		reason = aws.ToString(exec.Status.StateChangeReason)
		if exec.Status.State == types.QueryExecutionStateCancelled {
			state = "was cancelled"
		}
		if ae := exec.Status.AthenaError; ae != nil && reason == "" {
			reason = aws.ToString(ae.ErrorMessage)
		}
	}
	msg := fmt.Sprintf("query %s %s after scanning %s", id, state, bytesText(scanned))
	if reason != "" {
		msg += ": " + reason
	}
	lower := strings.ToLower(reason)
	switch {
	case strings.Contains(lower, "bytes scanned limit"), strings.Contains(lower, "bytesscannedcutoffperquery"):
		msg += "\n  the workgroup's scan cutoff stopped it: narrow --start/--end (or --account, --log-region), or raise archiveQuery.bytesScannedCutoffPerQuery"
	case strings.Contains(lower, "access denied"), strings.Contains(lower, "accessdenied"), strings.Contains(lower, "permission"):
		msg += "\n  Athena reads the archive and writes the results with your permissions: run as trailguard-archive-query (the Security stack's ArchiveQueryRoleArn output)"
	}
	return errors.New(msg)
}

// explain turns an API error into a message with the likely fix.
func (q *athenaQuery) explain(what string, err error) error {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		msg := fmt.Sprintf("could not %s: %s: %s", what, ae.ErrorCode(), ae.ErrorMessage())
		switch {
		case ae.ErrorCode() == "AccessDeniedException":
			msg += "\n  run as trailguard-archive-query (the Security stack's ArchiveQueryRoleArn output), e.g. --profile with role_arn set to it"
		case strings.Contains(strings.ToLower(ae.ErrorMessage()), "workgroup"):
			msg += fmt.Sprintf("\n  is archiveQuery.enabled deployed in this account and region, and is --workgroup %s right?", q.o.workGroup)
		}
		return errors.New(msg)
	}
	return fmt.Errorf("could not %s: %w", what, err)
}

// write pages through the results and writes them, to a temporary file renamed into place
// once complete: a failed or interrupted download leaves no partial file behind.
func (q *athenaQuery) write(ctx context.Context, id string, exec *types.QueryExecution) error {
	var out io.Writer = q.e.stdout
	var tmp *os.File
	if q.o.output != "" {
		var err error
		if tmp, err = os.CreateTemp(dirOf(q.o.output), ".trailguard-query-*"); err != nil {
			return fmt.Errorf("create the output file: %w", err)
		}
		defer func() {
			if tmp != nil {
				tmp.Close()
				os.Remove(tmp.Name())
			}
		}()
		out = tmp
	}
	w := newRowWriter(out, q.o.format)
	rows := 0
	var token *string
	first := true
	for {
		page, err := q.client.GetQueryResults(ctx, &athena.GetQueryResultsInput{QueryExecutionId: aws.String(id), NextToken: token, MaxResults: aws.Int32(1000)})
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return q.explain("read the results", err)
		}
		if page.ResultSet == nil {
			break
		}
		if first {
			var cols []string
			if page.ResultSet.ResultSetMetadata != nil {
				for _, c := range page.ResultSet.ResultSetMetadata.ColumnInfo {
					cols = append(cols, aws.ToString(c.Name))
				}
			}
			if err := w.header(cols); err != nil {
				return err
			}
		}
		for i, r := range page.ResultSet.Rows {
			vals := make([]*string, len(r.Data))
			for j, d := range r.Data {
				vals[j] = d.VarCharValue
			}
			// Athena returns a SELECT's column labels as the first row of the first page.
			if first && i == 0 && w.isHeader(vals) {
				continue
			}
			if err := w.row(vals); err != nil {
				return err
			}
			rows++
		}
		first = false
		token = page.NextToken
		if token == nil {
			break
		}
	}
	if err := w.flush(); err != nil {
		return fmt.Errorf("write the rows: %w", err)
	}
	if tmp != nil {
		if err := tmp.Close(); err != nil {
			return fmt.Errorf("write %s: %w", q.o.output, err)
		}
		if err := os.Rename(tmp.Name(), q.o.output); err != nil {
			return fmt.Errorf("write %s: %w", q.o.output, err)
		}
		tmp = nil
	}
	if !q.o.quiet {
		scanned := scannedBytes(exec)
		billed := max(scanned, minBilledBytes)
		fmt.Fprintf(q.e.stderr, "%s, %s scanned (about $%.4f at $%.0f per TB), query %s\n",
			plural(rows, "row"), bytesText(scanned), float64(billed)/1e12*athenaPricePerTB, athenaPricePerTB, id)
		if exec != nil && exec.ResultConfiguration != nil && exec.ResultConfiguration.OutputLocation != nil {
			// Large results are faster to copy from S3 than to page through the API.
			fmt.Fprintf(q.e.stderr, "the results are also in %s until the results bucket's lifecycle expires them\n", aws.ToString(exec.ResultConfiguration.OutputLocation))
		}
	}
	return nil
}

func dirOf(path string) string {
	if i := strings.LastIndexAny(path, `/\`); i >= 0 {
		return path[:i+1]
	}
	return "."
}

func scannedBytes(exec *types.QueryExecution) int64 {
	if exec == nil || exec.Statistics == nil {
		return 0
	}
	return aws.ToInt64(exec.Statistics.DataScannedInBytes)
}

// bytesText renders a byte count in decimal units, as Athena bills them.
func bytesText(n int64) string {
	switch {
	case n >= 1e12:
		return fmt.Sprintf("%.2f TB", float64(n)/1e12)
	case n >= 1e9:
		return fmt.Sprintf("%.2f GB", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.1f kB", float64(n)/1e3)
	}
	return fmt.Sprintf("%d B", n)
}

// rowWriter writes result rows as CSV or JSON Lines.
type rowWriter struct {
	format string
	cols   []string
	csv    *csv.Writer
	out    io.Writer
}

func newRowWriter(out io.Writer, format string) *rowWriter {
	w := &rowWriter{format: format, out: out}
	if format == "csv" {
		w.csv = csv.NewWriter(out)
	}
	return w
}

func (w *rowWriter) header(cols []string) error {
	w.cols = cols
	if w.csv != nil {
		return w.csv.Write(cols)
	}
	return nil
}

// isHeader reports whether vals are the column labels.
func (w *rowWriter) isHeader(vals []*string) bool {
	if len(vals) != len(w.cols) {
		return false
	}
	for i, v := range vals {
		if v == nil || *v != w.cols[i] {
			return false
		}
	}
	return true
}

func (w *rowWriter) row(vals []*string) error {
	if w.csv != nil {
		rec := make([]string, len(vals))
		for i, v := range vals {
			rec[i] = aws.ToString(v)
		}
		return w.csv.Write(rec)
	}
	// A JSON object per row, keys in column order; SQL NULL is null.
	var b strings.Builder
	b.WriteByte('{')
	for i, v := range vals {
		if i > 0 {
			b.WriteByte(',')
		}
		name := fmt.Sprintf("col%d", i)
		if i < len(w.cols) {
			name = w.cols[i]
		}
		k, _ := json.Marshal(name)
		b.Write(k)
		b.WriteByte(':')
		if v == nil {
			b.WriteString("null")
		} else {
			s, _ := json.Marshal(*v)
			b.Write(s)
		}
	}
	b.WriteString("}\n")
	_, err := io.WriteString(w.out, b.String())
	return err
}

func (w *rowWriter) flush() error {
	if w.csv != nil {
		w.csv.Flush()
		return w.csv.Error()
	}
	return nil
}
