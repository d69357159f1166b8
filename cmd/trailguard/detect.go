package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/trailguard/trailguard/config"
	"github.com/trailguard/trailguard/detect"
)

// exitAlerts is detect's exit code when --fail-on is set and an alert at or
// above that severity was raised.
const exitAlerts = 3

// detectFlags are the flags of detect.
type detectFlags struct {
	config string
	rules  []string
	// disable are rule ids to turn off, as the config's detection.disabledRules.
	disable []string
	format  string
	failOn  string
	quiet   bool
	// cpuProfile is a file to write a CPU profile of the run to (hidden:
	// for measuring the engine, see cmd/detectbench).
	cpuProfile string
}

func newDetectCmd(e *env) *cobra.Command {
	var f detectFlags
	cmd := &cobra.Command{
		Use:   "detect PATH...",
		Short: "Run the detection rules over CloudTrail records in files",
		Long: `Detect runs trailguard's detection rules (the default set, plus yours with --rules)
over the CloudTrail records in files and directories, and prints an alert for each
record a rule matches, each rule and event once.

It reads CloudTrail log files ({"Records":[...]}, .json or .json.gz), JSON arrays of
records, JSON Lines (also of EventBridge events whose detail is the record), the output
of aws cloudtrail lookup-events, and Event History downloads (JSON, or CSV with a
column holding the full event). PATH "-" reads standard input. Files are streamed and
each record is decoded once: a directory of any size needs little memory.

With --config, the rules judge the records in the organization's context, from the same
config file as the app: its accounts are the organization's (sharing with them is not
"outside"), CloudFormation acting for deployment.deployers or the bootstrap roles of
deployment.qualifier is deployment, and detection.rulesDir and detection.disabledRules
apply as in the detection functions. Without it the organization is taken to be the
accounts whose trails received the records in the files given (their recipientAccountId:
an organization trail holds its accounts' records and no other account's), read before
the run; from standard input alone, only each record's own account.

A directory is read recursively, in lexical order, taking the files ending .json,
.jsonl, .ndjson or .csv (optionally .gz). It skips, and counts in the summary, what
holds no CloudTrail records: digest files (CloudTrail-Digest/), AWS Config and other
services' files in an AWSLogs/ layout (a Control Tower log archive), the state files
of a history export (.trailguard-*), and JSON files that are a digest or a Config file
by their content. Given by name, such a file is an error.

Within a file, a value that is not a CloudTrail record (trailguard's heartbeat, any
other EventBridge event, an object without eventName) is skipped and counted. A line of
JSON Lines (or a CSV row) that is not valid JSON is reported with its line number and
the rest of the file is checked; a log file that breaks off is reported with where it
broke, its records before the break checked.

Exit codes: 0 when everything given was read, alerts or not; 3 with --fail-on when an
alert at or above that severity was raised; 1 when the input was not fully read (a
file could not be read or holds no CloudTrail records, a line was not valid JSON) or a
rule could not be loaded: what could be read was still checked; 2 on a usage error.`,
		Example: `  # everything in a downloaded slice of the log archive
  trailguard detect ./AWSLogs

  # in CI: your rules, JSON output, fail on high or critical alerts
  trailguard detect --rules ./rules --format json --fail-on high events.jsonl

  # in your organization's context (accounts, deployers, your rules and disabled rules)
  trailguard detect --config org.yaml ./AWSLogs

  # without two noisy rules
  trailguard detect --disable root-activity,console-login-without-mfa ./AWSLogs`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageErrorf("detect needs at least one PATH")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error { return runDetect(cmd.Context(), e, &f, args) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.config, "config", "", "the organization's trailguard config (org.yaml): its accounts, deployers, detection.rulesDir and detection.disabledRules")
	fl.StringArrayVar(&f.rules, "rules", nil, "a directory of rule files (*.yaml) to add to the default rules; a rule with a default rule's id replaces it (repeatable)")
	fl.StringSliceVar(&f.disable, "disable", nil, "ids of rules to turn off, comma-separated or repeated (added to the config's detection.disabledRules)")
	fl.StringVar(&f.format, "format", "text", "output format: text (a table) or json (one alert object per line)")
	fl.StringVar(&f.failOn, "fail-on", "", "exit 3 when an alert of this severity or higher was raised: "+strings.Join(detect.SeverityNames(), ", "))
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "print no summary, only alerts and errors")
	fl.StringVar(&f.cpuProfile, "cpuprofile", "", "write a CPU profile (go tool pprof) of the run to this file")
	fl.MarkHidden("cpuprofile")
	return cmd
}

func runDetect(ctx context.Context, e *env, f *detectFlags, paths []string) error {
	if f.format != "text" && f.format != "json" {
		return usageErrorf("--format must be text or json, got %q", f.format)
	}
	var failOn detect.Severity
	if f.failOn != "" {
		s, err := detect.ParseSeverity(f.failOn)
		if err != nil {
			return usageErrorf("--fail-on: %v", err)
		}
		failOn = s
	}
	if f.cpuProfile != "" {
		pf, err := os.Create(f.cpuProfile)
		if err != nil {
			return usageErrorf("--cpuprofile: %v", err)
		}
		defer pf.Close()
		if err := pprof.StartCPUProfile(pf); err != nil {
			return usageErrorf("--cpuprofile: %v", err)
		}
		defer pprof.StopCPUProfile()
	}
	engine, cfg, learned, err := loadRules(f.config, f.rules, f.disable, paths)
	if err != nil {
		return err
	}
	switch {
	case f.quiet || cfg != nil:
	case len(learned) > 0:
		fmt.Fprintf(e.stderr, "trailguard: no --config: the organization is taken to be the %d accounts whose trails received these records (recipientAccountId); give --config for its deployers and any account with no record here\n", len(learned))
	default:
		fmt.Fprintln(e.stderr, "trailguard: no --config: only each record's own account is taken as the organization's (sharing with your other accounts alerts as outside)")
	}
	r := newDetectRun(ctx, e, engine)
	r.failOn = failOn
	if f.format == "json" {
		enc := json.NewEncoder(e.stdout)
		enc.SetEscapeHTML(false)
		r.print = func(a *detect.Alert) error { return enc.Encode(a) }
	} else {
		// Rows are aligned per file: a run over many files shows alerts
		// as they are found.
		tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
		r.flush = func() { tw.Flush() }
		header := false
		r.print = func(a *detect.Alert) error {
			if !header {
				header = true
				fmt.Fprintln(tw, "SEVERITY\tRULE\tEVENT TIME\tACCOUNT\tREGION\tEVENT\tPRINCIPAL\tEVENT ID")
			}
			event := a.EventName
			if a.ErrorCode != "" {
				event += " (" + a.ErrorCode + ")"
			}
			if a.Threshold != nil {
				event += fmt.Sprintf(" x%d", a.Threshold.Count)
			}
			_, err := fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
				strings.ToUpper(a.Severity.String()), a.Rule, a.EventTime, a.AccountID, a.Region, event, a.Principal, a.EventID)
			return err
		}
	}
	for _, p := range paths {
		if err := r.path(p); err != nil {
			return err // interrupted, or the output failed: nothing more can be reported
		}
	}
	r.summary(f.quiet)
	switch {
	case r.failedFiles > 0 || r.badLines > 0:
		var parts []string
		if r.failedFiles > 0 {
			parts = append(parts, fmt.Sprintf("%d of %d files could not be read or hold no CloudTrail records; what they hold past the error was not checked", r.failedFiles, r.files))
		}
		if r.badLines > 0 {
			parts = append(parts, fmt.Sprintf("%d lines in %d files were not valid JSON and were not checked", r.badLines, r.badFiles))
		}
		return &exitError{exitFailed, "the input was not fully read (see above): " + strings.Join(parts, "; ")}
	case r.failed > 0:
		return &exitError{exitAlerts, fmt.Sprintf("%d alerts at or above %s", r.failed, failOn)}
	}
	return nil
}

// loadRules loads the rules as detect and respond run them: the default rules, the config's
// detection.rulesDir (relative to the config file) and then the --rules directories, without
// the config's detection.disabledRules and the ids in disable (--disable), judging records in
// the config's organization context, as the detection functions do. Without a config, the organization is the
// accounts whose trails received the records in paths (learned, returned). cfg is nil
// without a config.
func loadRules(configPath string, rules, disable, paths []string) (engine *detect.Engine, cfg *config.Config, learned []string, err error) {
	for _, dir := range rules {
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			return nil, nil, nil, usageErrorf("--rules %s is not a directory", dir)
		}
	}
	opts := detect.LoadOptions{Dirs: rules}
	if configPath != "" {
		data, err := os.ReadFile(configPath)
		if err != nil {
			return nil, nil, nil, usageErrorf("cannot read --config: %v", err)
		}
		cfg, err = config.Load(configPath, data)
		if err != nil {
			return nil, nil, nil, &exitError{code: exitFailed, msg: err.Error()}
		}
		opts.Context = detect.ContextFromConfig(cfg)
		if cfg.Detection.RulesDir != "" {
			// Relative to the config file, as the app reads it.
			dir := cfg.Detection.RulesDir
			if !filepath.IsAbs(dir) {
				dir = filepath.Join(filepath.Dir(configPath), dir)
			}
			opts.Dirs = append([]string{dir}, opts.Dirs...)
		}
		opts.Disabled, opts.DisabledName = cfg.Detection.DisabledRules, configPath+": detection.disabledRules"
	}
	if len(disable) > 0 {
		opts.Disabled = append(opts.Disabled, disable...)
		opts.DisabledName = strings.TrimPrefix(opts.DisabledName+" or --disable", " or ")
	}
	if opts.Context == nil {
		if learned = learnAccounts(paths); len(learned) > 0 {
			opts.Context = &detect.Context{Organization: detect.Organization{Accounts: learned}}
		}
	}
	engine, err = detect.LoadWith(opts)
	return engine, cfg, learned, err
}

// newDetectRun returns a run of engine's rules that prints nothing until its print is set.
func newDetectRun(ctx context.Context, e *env, engine *detect.Engine) *detectRun {
	return &detectRun{ctx: ctx, e: e, det: detect.NewDetector(engine, nil), bySeverity: map[detect.Severity]int{},
		print: func(*detect.Alert) error { return nil }, flush: func() {},
		skippedFiles: map[string]int{}, skippedRecords: map[string]int{}}
}

// detectRun is one run of detect over its paths.
type detectRun struct {
	ctx                context.Context
	e                  *env
	det                *detect.Detector
	print              func(*detect.Alert) error
	flush              func() // after each file
	failOn             detect.Severity
	files, failedFiles int
	failed             int // alerts at or above failOn
	bySeverity         map[detect.Severity]int
	// skippedFiles counts, by reason, the files that hold no CloudTrail
	// records; skippedRecords the values that are not CloudTrail records.
	skippedFiles, skippedRecords map[string]int
	// badLines are the lines (CSV rows, array elements) that were not valid
	// JSON, in badFiles files.
	badLines, badFiles int
	stopErr            error // ends the run: the output failed, or the run was interrupted
}

// maxBadLines is how many bad lines of one file are reported one by one.
const maxBadLines = 10

// path reads a file, standard input or a directory. A file that cannot be
// read is reported and counted; only an interruption or a failure to write
// the output stops the run.
func (r *detectRun) path(p string) error {
	if p == "-" {
		r.file("standard input", r.e.stdin, false, false)
		return r.stopErr
	}
	fi, err := os.Stat(p)
	if err != nil {
		r.fileError(p, err)
		return nil
	}
	if !fi.IsDir() {
		if isDigestName(filepath.ToSlash(p)) {
			r.fileError(p, errors.New(digestMessage))
			return nil
		}
		f, err := os.Open(p)
		if err != nil {
			r.fileError(p, err)
			return nil
		}
		defer f.Close()
		r.file(p, f, jsonLinesName(p), false)
		return r.stopErr
	}
	return filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			r.fileError(path, err)
			return nil
		}
		if d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(p, path)
		if why := skipPath(filepath.ToSlash(rel)); why != "" {
			r.skippedFiles[why]++
			return nil
		}
		f, err := os.Open(path)
		if err != nil {
			r.fileError(path, err)
			return nil
		}
		defer f.Close()
		r.file(path, f, jsonLinesName(path), true)
		return r.stopErr
	})
}

// jsonLinesName reports whether a file's name says it is JSON Lines.
func jsonLinesName(name string) bool {
	name = strings.TrimSuffix(strings.ToLower(name), ".gz")
	return strings.HasSuffix(name, ".jsonl") || strings.HasSuffix(name, ".ndjson")
}

func (r *detectRun) fileError(name string, err error) {
	r.files++
	r.failedFiles++
	fmt.Fprintf(r.e.stderr, "trailguard: %s: %v\n", name, err)
}

// errOutput marks a failure to write an alert.
var errOutput = errors.New("writing the output")

// file checks the records of one file. found says it was found in a
// directory, where a file of another kind (a digest, an AWS Config file) is
// skipped and counted; given by name, it is an error.
func (r *detectRun) file(name string, rd io.Reader, lines, found bool) {
	bad := 0
	in := &inputReader{
		lines: lines,
		record: func(rec *detect.Record) error {
			if err := r.ctx.Err(); err != nil {
				r.stopErr = err
				return err
			}
			alerts, err := r.det.Process(rec)
			if err != nil {
				return err
			}
			for _, a := range alerts {
				r.bySeverity[a.Severity]++
				if r.failOn != 0 && a.Severity >= r.failOn {
					r.failed++
				}
				if err := r.print(a); err != nil {
					r.stopErr = fmt.Errorf("%w: %v", errOutput, err)
					return r.stopErr
				}
			}
			return nil
		},
		skip: func(what string) { r.skippedRecords[what]++ },
		bad: func(where string, err error) {
			bad++
			if bad <= maxBadLines {
				fmt.Fprintf(r.e.stderr, "trailguard: %s: %s: %v: skipped, the rest of the file is checked\n", name, where, err)
			}
		},
	}
	err := in.read(rd)
	r.flush()
	if bad > 0 {
		r.badLines += bad
		r.badFiles++
		if bad > maxBadLines {
			fmt.Fprintf(r.e.stderr, "trailguard: %s: %d more lines that are not valid JSON\n", name, bad-maxBadLines)
		}
	}
	var other *notRecordsError
	switch {
	case r.stopErr != nil:
		r.files++
	case errors.As(err, &other) && found:
		r.skippedFiles[other.skip]++
	case err != nil:
		r.fileError(name, err)
	default:
		r.files++
	}
}

// summary prints what the run did, what it skipped and why, and every rule
// that failed on records.
func (r *detectRun) summary(quiet bool) {
	st := r.det.Stats()
	for _, rule := range slices.Sorted(maps.Keys(st.EvalErrors)) {
		fmt.Fprintf(r.e.stderr, "trailguard: rule %s failed on %d records (they did not match it); first: %v\n",
			rule, st.EvalErrors[rule], st.FirstEvalError[rule].Err)
	}
	if quiet {
		return
	}
	var parts []string
	for s := detect.Critical; s >= detect.Info; s-- {
		if n := r.bySeverity[s]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, s))
		}
	}
	counts := ""
	if len(parts) > 0 {
		counts = " (" + strings.Join(parts, ", ") + ")"
	}
	fmt.Fprintf(r.e.stderr, "checked %s records in %d files: %d alerts%s, %d duplicates dropped\n",
		group(int64(st.Records)), r.files, st.Alerts, counts, st.Duplicates)
	r.printSkipped("records that are not CloudTrail records", r.skippedRecords)
	r.printSkipped("files that hold no CloudTrail records", r.skippedFiles)
}

// printSkipped prints a count of what was skipped, by reason, most first.
func (r *detectRun) printSkipped(what string, by map[string]int) {
	total := 0
	for _, n := range by {
		total += n
	}
	if total == 0 {
		return
	}
	reasons := slices.SortedFunc(maps.Keys(by), func(a, b string) int {
		if by[a] != by[b] {
			return by[b] - by[a]
		}
		return strings.Compare(a, b)
	})
	var parts []string
	for _, why := range reasons {
		parts = append(parts, fmt.Sprintf("%s: %s", why, group(int64(by[why]))))
	}
	fmt.Fprintf(r.e.stderr, "skipped %s %s (%s)\n", group(int64(total)), what, strings.Join(parts, "; "))
}
