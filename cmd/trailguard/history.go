package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/account"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/smithy-go/logging"
	"github.com/spf13/cobra"
	"github.com/trailguard/trailguard/internal/eventhistory"
	"github.com/trailguard/trailguard/internal/eventhistory/checkpoint"
	"github.com/trailguard/trailguard/internal/eventhistory/manifest"
	"github.com/trailguard/trailguard/internal/eventhistory/org"
	"github.com/trailguard/trailguard/internal/eventhistory/output"
)

func newHistoryCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "history",
		Short: "Export and convert CloudTrail Event History",
		Long: `CloudTrail Event History is always on: after an incident in which trails were
off, it is the only record of the last 90 days. These commands get it out in bulk.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newHistoryExportCmd(e), newHistoryConvertCmd(e))
	return cmd
}

// exportFlags are the flags of history export.
type exportFlags struct {
	profile, region    string
	regions            []string
	start, end, lookup string
	out, format        string
	eventsPerFile      int
	rate               float64
	maxAttempts        int
	maxBackoff         time.Duration
	retryMode          string
	quiet              bool
	org                orgFlags
}

func newHistoryExportCmd(e *env) *cobra.Command {
	var f exportFlags
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Export Event History of all regions in bulk, resumably",
		Long: `Export reads CloudTrail Event History (LookupEvents) of every region in parallel,
each at the API's limit of 2 requests per second, and writes the full event records,
newest first, as JSON Lines (one file per region) or as CloudTrail log files.

An interrupted export (Ctrl-C, a crash, expired credentials) continues where it
stopped when the same command is run again: no event is lost or written twice.
Flags left out on such a rerun take the values of the first run.

Permissions: cloudtrail:LookupEvents, and account:ListRegions unless --regions is given.

With --org or --accounts, it exports several accounts into one directory: it
assumes --role-name in each account (the role needs the permissions above; the
caller needs sts:AssumeRole on it, and for --org organizations:ListAccounts),
runs one paced worker per account and region, at most --workers at once, and
lays the output out per account: <out>/<account>/<region>.jsonl, or
<out>/AWSLogs/<account>/CloudTrail/<region>/... for --format cloudtrail.`,
		Example: `  # everything Event History holds, all enabled regions, as JSON Lines
  trailguard history export --profile incident --out ./eh

  # every active account of the organization, as CloudTrail log files
  trailguard history export --profile org-investigator --org --format cloudtrail --out ./eh-org

  # console sign-ins of the last 7 days in two regions, as CloudTrail log files
  trailguard history export --regions eu-west-1,us-east-1 --start 7d \
      --lookup EventName=ConsoleLogin --format cloudtrail --out ./eh-logins`,
		Args: noPositional,
		RunE: func(cmd *cobra.Command, _ []string) error { return runExport(cmd, e, &f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.profile, "profile", "", "AWS shared config profile (default: the SDK's chain: AWS_PROFILE, environment, ...)")
	fl.StringVar(&f.region, "region", "", "AWS region for listing the account's regions (default: the SDK's chain, else us-east-1)")
	fl.StringSliceVar(&f.regions, "regions", nil, "regions to export, comma-separated (default: all regions enabled for the account)")
	fl.StringVar(&f.start, "start", "", "oldest event time: RFC 3339 (2026-03-01T12:00:00Z), a UTC date (2026-03-01), or an age (7d, 36h) (default: 90 days ago)")
	fl.StringVar(&f.end, "end", "", "newest event time, in the same forms as --start (default: now)")
	fl.StringVar(&f.lookup, "lookup", "", "only events with this attribute, Key=Value; keys: "+lookupKeys())
	fl.StringVar(&f.out, "out", "event-history", "output directory; rerun with the same one to resume")
	fl.StringVar(&f.format, "format", string(eventhistory.JSONLines), "output format: jsonl (<region>.jsonl files) or cloudtrail (gzipped log files in the S3 layout of a trail)")
	fl.IntVar(&f.eventsPerFile, "events-per-file", output.DefaultEventsPerFile, "most events in one log file (--format cloudtrail)")
	fl.Float64Var(&f.rate, "rate", eventhistory.DefaultRequestsPerSecond, "LookupEvents requests per second per region (the API allows 2)")
	fl.IntVar(&f.maxAttempts, "max-attempts", eventhistory.DefaultMaxAttempts, "attempts per request before a region fails")
	fl.DurationVar(&f.maxBackoff, "max-backoff", 20*time.Second, "longest wait between attempts")
	fl.StringVar(&f.retryMode, "retry-mode", string(aws.RetryModeAdaptive), "SDK retry mode: adaptive (slows down after throttling) or standard")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "print nothing but errors")
	fl.BoolVar(&f.org.org, "org", false, "export every active account of the organization (AWS Organizations ListAccounts), assuming --role-name in each")
	fl.StringSliceVar(&f.org.accounts, "accounts", nil, "export these accounts, comma-separated, assuming --role-name in each")
	fl.StringVar(&f.org.accountsFile, "accounts-file", "", "export the accounts listed in this file (IDs separated by newlines, commas or spaces; # comments)")
	fl.StringVar(&f.org.roleName, "role-name", org.DefaultRoleName, "read-only role assumed in each account with --org or --accounts")
	fl.IntVar(&f.org.workers, "workers", org.DefaultWorkers, "most account-region exports at once with --org or --accounts (each at --rate)")
	return cmd
}

func lookupKeys() string {
	var keys []string
	for _, k := range types.LookupAttributeKey("").Values() {
		keys = append(keys, string(k))
	}
	return strings.Join(keys, ", ")
}

func runExport(cmd *cobra.Command, e *env, f *exportFlags) error {
	ctx := cmd.Context()
	changed := cmd.Flags().Changed
	opts := eventhistory.Options{
		Dir:               f.out,
		RequestsPerSecond: f.rate,
		MaxAttempts:       f.maxAttempts,
		MaxBackoff:        f.maxBackoff,
		RetryMode:         aws.RetryMode(f.retryMode),
		Now:               e.now,
	}
	if f.rate <= 0 {
		return usageErrorf("--rate must be positive, got %v", f.rate)
	}
	if f.maxAttempts < 1 {
		return usageErrorf("--max-attempts must be at least 1, got %d", f.maxAttempts)
	}
	if f.retryMode != string(aws.RetryModeAdaptive) && f.retryMode != string(aws.RetryModeStandard) {
		return usageErrorf("--retry-mode must be adaptive or standard, got %q", f.retryMode)
	}
	if changed("format") {
		opts.Format = eventhistory.Format(f.format)
		if f.format != string(eventhistory.JSONLines) && f.format != string(eventhistory.CloudTrailFiles) {
			return usageErrorf("--format must be jsonl or cloudtrail, got %q", f.format)
		}
	}
	if changed("events-per-file") {
		if f.eventsPerFile < 1 {
			return usageErrorf("--events-per-file must be at least 1, got %d", f.eventsPerFile)
		}
		opts.EventsPerFile = f.eventsPerFile
	}
	for _, r := range f.regions {
		if err := eventhistory.ValidateRegion(r); err != nil {
			return usageErrorf("--regions: %v", err)
		}
	}
	opts.Regions = f.regions
	if f.lookup != "" {
		l, err := eventhistory.ParseLookup(f.lookup)
		if err != nil {
			return usageErrorf("--lookup: %v", err)
		}
		opts.Lookup = l
	}
	// Relative times (7d) mean something else on every run: when resuming,
	// the first run's window holds.
	resuming, err := checkpoint.Exists(f.out)
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(f.out, org.StateFile)); err == nil {
		resuming = true
		if !f.org.multiAccount() {
			return usageErrorf("%s holds an export of several accounts: rerun it with --org or --accounts", f.out)
		}
	}
	now := e.now()
	for _, t := range []struct {
		flag, value string
		dst         *time.Time
	}{{"start", f.start, &opts.Start}, {"end", f.end, &opts.End}} {
		if t.value == "" {
			continue
		}
		v, relative, err := parseTime(t.value, now)
		if err != nil {
			return usageErrorf("--%s: %v", t.flag, err)
		}
		if !relative || !resuming {
			*t.dst = v
		}
	}
	if !opts.Start.IsZero() && !opts.End.IsZero() && !opts.Start.Before(opts.End) {
		return usageErrorf("--start %s is not before --end %s", opts.Start.Format(time.RFC3339), opts.End.Format(time.RFC3339))
	}
	if f.org.multiAccount() {
		return runOrgExport(ctx, e, f, opts)
	}

	cfg, err := loadAWSConfig(ctx, f.profile, f.region)
	if err != nil {
		return err
	}
	opts.AWS = cfg
	opts.ListRegions = func(ctx context.Context) ([]string, error) {
		regions, err := eventhistory.EnabledRegions(ctx, accountClient(cfg))
		var pe *eventhistory.PermissionError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("cannot list the account's enabled regions: %w; grant it, or name the regions with --regions", err)
		}
		return regions, err
	}

	display := newDisplay(e, f.quiet)
	opts.Observer = display
	res, err := eventhistory.Export(ctx, opts)
	display.finish()
	if res == nil { // nothing started: options, credentials or the region list
		if errors.Is(err, context.Canceled) || ctx.Err() != nil {
			return &exitError{exitInterrupted, "interrupted before the export started"}
		}
		return err
	}
	return exportOutcome(e, res, err, f.quiet)
}

// exportOutcome prints the export's summary and failures and returns the
// error that ends the command.
func exportOutcome(e *env, res *eventhistory.Result, err error, quiet bool) error {
	var failed []eventhistory.RegionResult
	done := 0
	for _, rr := range res.Regions {
		switch {
		case rr.Done:
			done++
		case rr.Err != nil && !errors.Is(rr.Err, eventhistory.ErrInterrupted):
			failed = append(failed, rr)
		}
	}
	for _, rr := range failed {
		fmt.Fprintf(e.stderr, "trailguard: %s: %v\n", rr.Region, rr.Err)
	}
	if !quiet && res.AlreadyComplete {
		fmt.Fprintf(e.stderr, "nothing to do: the export in %s is complete (%s events of %d regions)\n", res.Dir, group(res.Events()), len(res.Regions))
	} else if !quiet {
		window := fmt.Sprintf("%s to %s", res.Start.Format(time.RFC3339), res.End.Format(time.RFC3339))
		if res.Lookup != nil {
			window += ", " + res.Lookup.String()
		}
		events := group(res.Events()) + " events"
		if res.Resumed {
			events = fmt.Sprintf("(resumed) %s events in this run (%s in the export)", group(res.RunEvents()), group(res.Events()))
		}
		fmt.Fprintf(e.stderr, "exported %s, %d of %d regions complete (%s), to %s as %s\n",
			events, done, len(res.Regions), window, res.Dir, res.Format)
	}
	if !quiet && res.Manifest != nil {
		printManifest(e, res.Manifest)
	}
	switch {
	case errors.Is(err, eventhistory.ErrInterrupted):
		return &exitError{exitInterrupted, fmt.Sprintf("interrupted: progress is saved in %s; rerun the same command to resume", res.Dir)}
	case err != nil:
		return &exitError{exitFailed, fmt.Sprintf("export incomplete: %d of %d regions failed, %d complete; rerun the same command to resume (progress is saved in %s)",
			len(failed), len(res.Regions), done, res.Dir)}
	}
	return nil
}

// printManifest tells where the manifest is and how to check it.
func printManifest(e *env, m *manifest.Summary) {
	fmt.Fprintf(e.stderr, "SHA-256 manifest of %s: %s (check: cd %s && sha256sum -c %s)\n",
		plural(m.Files, "file"), m.Path, filepath.Dir(m.Path), filepath.Base(m.Path))
}

// accountClient returns an Account API client that also retries responses
// cut off mid-body (ListRegions only reads).
func accountClient(cfg aws.Config) *account.Client {
	return account.NewFromConfig(cfg, func(o *account.Options) {
		o.Retryer = retry.NewStandard(eventhistory.RetryCutOffResponses)
	})
}

// loadAWSConfig loads the SDK configuration the standard way, with the
// profile and region flags taking precedence. It fails early, with a clear
// message, when there are no usable credentials.
func loadAWSConfig(ctx context.Context, profile, region string) (aws.Config, error) {
	// The SDK would log warnings (such as falling back to IMDSv1 while looking for credentials,
	// or connections dropped at Ctrl-C) into the output and the progress display; errors reach
	// the user as errors. The logger must be set before loading: the credential providers keep
	// the one they are built with.
	optFns := []func(*config.LoadOptions) error{config.WithLogger(logging.Nop{})}
	if profile != "" {
		optFns = append(optFns, config.WithSharedConfigProfile(profile))
	}
	if region != "" {
		optFns = append(optFns, config.WithRegion(region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, optFns...)
	var noProfile config.SharedConfigProfileNotExistError
	if errors.As(err, &noProfile) {
		return aws.Config{}, usageErrorf("--profile: no profile %q in the AWS config and credentials files", noProfile.Profile)
	}
	if err != nil {
		return aws.Config{}, fmt.Errorf("load the AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1" // only the Account API uses it, and it is global
	}
	if cfg.Credentials == nil {
		return aws.Config{}, errors.New("no AWS credentials found: use --profile, AWS_PROFILE, or the AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY environment variables")
	}
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		if ctx.Err() != nil {
			return aws.Config{}, ctx.Err()
		}
		return aws.Config{}, fmt.Errorf("no usable AWS credentials (use --profile, AWS_PROFILE, or the AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY environment variables; for SSO, run aws sso login first): %v", err)
	}
	return cfg, nil
}

// age matches relative times: a number of days, hours or minutes ago.
var age = regexp.MustCompile(`^([0-9]+)([dhm])$`)

// parseTime parses an RFC 3339 time, a UTC date, a UTC date and minute, or
// an age such as 7d, 36h or 90m before now. relative reports an age.
func parseTime(s string, now time.Time) (t time.Time, relative bool, err error) {
	if m := age.FindStringSubmatch(s); m != nil {
		n, _ := strconv.Atoi(m[1])
		unit := map[string]time.Duration{"d": 24 * time.Hour, "h": time.Hour, "m": time.Minute}[m[2]]
		return now.UTC().Add(-time.Duration(n) * unit).Truncate(time.Second), true, nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), false, nil
		}
	}
	return time.Time{}, false, fmt.Errorf("cannot read %q as a time: want RFC 3339 (2026-03-01T12:00:00Z), a UTC date (2026-03-01) or an age (7d, 36h, 90m)", s)
}

// group formats n with thousands separators.
func group(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func newHistoryConvertCmd(e *env) *cobra.Command {
	var (
		out, format   string
		eventsPerFile int
		quiet         bool
	)
	cmd := &cobra.Command{
		Use:   "convert FILE...",
		Short: "Convert Event History console downloads into JSON Lines or CloudTrail log files",
		Long: `Convert reads the JSON file the CloudTrail console's Event history page downloads
(and also aws cloudtrail lookup-events output, CloudTrail log files, JSON Lines, and
CSV files with a column holding the full event) and writes the records in the same
formats as export: JSON Lines, or CloudTrail log files in the S3 layout of a trail.
Records keep their order; a record whose eventID was already written is skipped.
FILE "-" reads standard input.`,
		Example: `  trailguard history convert event_history.json --out events.jsonl
  trailguard history convert us-east-1.json eu-west-1.json --format cloudtrail --out ./logs`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageErrorf("convert needs at least one FILE")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != string(eventhistory.JSONLines) && format != string(eventhistory.CloudTrailFiles) {
				return usageErrorf("--format must be jsonl or cloudtrail, got %q", format)
			}
			if format == string(eventhistory.CloudTrailFiles) && (out == "" || out == "-") {
				return usageErrorf("--format cloudtrail needs --out DIRECTORY")
			}
			if eventsPerFile < 1 {
				return usageErrorf("--events-per-file must be at least 1, got %d", eventsPerFile)
			}
			var inputs []eventhistory.Input
			for _, name := range args {
				if name == "-" {
					inputs = append(inputs, eventhistory.Input{Name: "stdin", R: e.stdin})
					continue
				}
				f, err := os.Open(name)
				if err != nil {
					return err
				}
				defer f.Close()
				inputs = append(inputs, eventhistory.Input{Name: name, R: f})
			}
			res, err := eventhistory.Convert(eventhistory.ConvertOptions{
				Format:        eventhistory.Format(format),
				Out:           out,
				Stdout:        e.stdout,
				EventsPerFile: eventsPerFile,
			}, inputs...)
			if err != nil {
				return err
			}
			if !quiet {
				dest := out
				if out == "-" {
					dest = "standard output"
				}
				fmt.Fprintf(e.stderr, "converted %s records of %d regions (%d duplicates skipped) to %s as %s\n",
					group(int64(res.Records)), len(res.Regions), res.Duplicates, dest, format)
				if res.Manifest != nil {
					printManifest(e, res.Manifest)
				}
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&out, "out", "-", "output: a file for jsonl (- for standard output), a new or empty directory for cloudtrail")
	fl.StringVar(&format, "format", string(eventhistory.JSONLines), "output format: jsonl or cloudtrail")
	fl.IntVar(&eventsPerFile, "events-per-file", output.DefaultEventsPerFile, "most events in one log file (--format cloudtrail)")
	fl.BoolVarP(&quiet, "quiet", "q", false, "print nothing but errors")
	return cmd
}
