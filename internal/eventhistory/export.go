// Package eventhistory exports CloudTrail Event History in bulk.
//
// Event History is always on, so after an incident in which trails were off it
// is the only record of what happened. Its API, LookupEvents, returns at most
// 50 events a page, allows 2 requests per second per account and region, and
// covers 90 days, region by region. Export reads every region in parallel,
// each paced to that rate, retries throttling and transient errors, and writes
// the full event records as JSON Lines or CloudTrail log files (package
// output), newest first, as LookupEvents returns them.
//
// An export is resumable. After each page the region's progress can be
// checkpointed (package checkpoint): the page's records are synced to disk
// first, then the checkpoint records the output position, the NextToken and
// the time of the oldest event written. A later Export with the same output
// directory cuts the output back to the checkpoint and continues with the
// NextToken; if AWS rejects the token (they expire), it continues by time
// window instead, asking for the events up to the oldest one written and
// skipping the IDs already written at that second. Either way no event is
// lost and none is written twice.
//
// Every run ends with a SHA-256 manifest of the output (package manifest).
// Package org runs an Export per account of an organization into one
// directory (Options.Account, Options.Slots).
package eventhistory

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/trailguard/trailguard/internal/eventhistory/checkpoint"
	"github.com/trailguard/trailguard/internal/eventhistory/durable"
	"github.com/trailguard/trailguard/internal/eventhistory/manifest"
	"github.com/trailguard/trailguard/internal/eventhistory/output"
)

// Format is an output layout.
type Format string

// Output layouts.
const (
	// JSONLines writes one file per region, <region>.jsonl, holding one full
	// CloudTrail event record a line.
	JSONLines Format = "jsonl"
	// CloudTrailFiles writes gzipped {"Records":[...]} log files in the
	// layout a trail delivers to S3 (see output.CloudTrail).
	CloudTrailFiles Format = "cloudtrail"
)

// Formats lists the output layouts.
var Formats = []Format{JSONLines, CloudTrailFiles}

// Retention is how far back Event History reaches.
const Retention = 90 * 24 * time.Hour

// DefaultRequestsPerSecond is LookupEvents' quota per account and region.
const DefaultRequestsPerSecond = 2.0

// DefaultMaxAttempts is how often a LookupEvents request is tried before a
// region's export fails.
const DefaultMaxAttempts = 10

// DefaultCheckpointInterval is how often a region saves its progress at
// most; a crash costs at most this much work, which the resumed run redoes.
const DefaultCheckpointInterval = time.Second

// pageSize is the most events LookupEvents returns a page.
const pageSize = 50

// Options configures an export.
//
// An export is identified by its output directory. If Dir holds a checkpoint
// of an earlier run, Export resumes it: the zero value of Format, Start, End,
// Regions, Lookup and EventsPerFile means "as before", and a value that
// differs from the earlier run's is an *OptionError.
type Options struct {
	// AWS is the SDK configuration: credentials, endpoint, HTTP client.
	// Its Region is not used for LookupEvents: each region gets a client.
	AWS aws.Config
	// Dir is the output directory.
	Dir string
	// Format is the output layout. Default: JSONLines.
	Format Format
	// Start and End bound the events exported (both inclusive). Default: the
	// Retention up to now.
	Start, End time.Time
	// Regions to export. Default: those ListRegions returns.
	Regions []string
	// ListRegions returns the regions to export when Regions is empty.
	ListRegions func(context.Context) ([]string, error)
	// Lookup restricts the export to events with one attribute value.
	Lookup *Lookup
	// RequestsPerSecond paces each region's requests, retries included.
	// Default: DefaultRequestsPerSecond. math.Inf(1) means no pacing.
	RequestsPerSecond float64
	// MaxAttempts is how often a request is tried. Default: DefaultMaxAttempts.
	MaxAttempts int
	// MaxBackoff caps the delay between attempts. Default: the SDK's, 20s.
	MaxBackoff time.Duration
	// RetryMode is aws.RetryModeAdaptive (the default) or
	// aws.RetryModeStandard. Adaptive mode slows a region's requests down
	// after throttling; standard mode only backs off each retry.
	RetryMode aws.RetryMode
	// EventsPerFile is the most records a CloudTrail log file holds.
	// Default: output.DefaultEventsPerFile.
	EventsPerFile int
	// CheckpointInterval is how often a region saves its progress at most.
	// Default: DefaultCheckpointInterval.
	CheckpointInterval time.Duration
	// Observer, if set, is told each region's progress.
	Observer Observer
	// Account, if set, makes this export one account's share of an
	// export of several accounts into Dir (see package org), laid out per
	// account: JSON Lines in Dir/<account>/<region>.jsonl, log files under
	// Dir/AWSLogs/<account>/CloudTrail/<region>/, and the checkpoint in
	// Dir/.trailguard-accounts/<account>/. Dir need not be empty.
	Account string
	// Slots, if set, bounds how many regions export at once across all the
	// exports sharing it (a counting semaphore): a region takes a slot
	// before its first request and gives it back when it stops.
	Slots chan struct{}
	// NoManifest leaves out the manifest (package manifest) that Export
	// otherwise writes at the end of every run: for a caller that writes one
	// manifest over several exports in one directory.
	NoManifest bool
	// Now returns the current time. Default: time.Now.
	Now func() time.Time
}

// Lookup is a LookupEvents lookup attribute: only events whose attribute Key
// has the Value are exported.
type Lookup struct {
	Key   types.LookupAttributeKey
	Value string
}

// String returns the lookup as Key=Value.
func (l *Lookup) String() string { return string(l.Key) + "=" + l.Value }

// ParseLookup parses a Key=Value lookup attribute. The key is matched
// case-insensitively against the attribute keys LookupEvents knows.
func ParseLookup(s string) (*Lookup, error) {
	key, value, ok := strings.Cut(s, "=")
	if !ok || value == "" {
		return nil, fmt.Errorf("want Key=Value, got %q", s)
	}
	var keys []string
	for _, k := range types.LookupAttributeKey("").Values() {
		if strings.EqualFold(key, string(k)) {
			return &Lookup{Key: k, Value: value}, nil
		}
		keys = append(keys, string(k))
	}
	return nil, fmt.Errorf("unknown attribute %q; want one of %s", key, strings.Join(keys, ", "))
}

// accountID matches AWS account IDs.
var accountID = regexp.MustCompile(`^[0-9]{12}$`)

// regionName matches AWS region names such as eu-west-1 or us-gov-east-1.
var regionName = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$`)

// ValidateRegion reports whether name looks like an AWS region name. Whether
// the region exists shows when its endpoint is resolved.
func ValidateRegion(name string) error {
	if !regionName.MatchString(name) {
		return fmt.Errorf("%q is not an AWS region name (such as eu-west-1)", name)
	}
	return nil
}

// Progress is a snapshot of one region's export.
type Progress struct {
	// Account is Options.Account: empty unless the export is one account's
	// share of a multi-account export.
	Account string
	Region  string
	// Start and End bound the export's time window.
	Start, End time.Time
	// Events and Pages count what was written and requested, earlier runs
	// of a resumed export included.
	Events, Pages int64
	// Cursor is the event time of the oldest event written.
	Cursor time.Time
	// Done is set when the region is complete, Err when it failed.
	Done bool
	Err  error
}

// Covered returns the share of the time window exported so far, from End
// back to Cursor, between 0 and 1.
func (p Progress) Covered() float64 {
	if p.Done {
		return 1
	}
	window := p.End.Sub(p.Start)
	if p.Cursor.IsZero() || window <= 0 {
		return 0
	}
	return min(1, max(0, float64(p.End.Sub(p.Cursor))/float64(window)))
}

// Observer is told about regions' progress: once when a region starts, after
// each page, and when it ends. It is called from the regions' goroutines.
type Observer interface {
	Observe(Progress)
}

// Result describes an export.
type Result struct {
	Dir    string
	Format Format
	// Start and End bound the exported time window.
	Start, End time.Time
	Lookup     *Lookup
	// Resumed is set if an earlier run's checkpoint was continued, and
	// AlreadyComplete if that run had completed every region.
	Resumed, AlreadyComplete bool
	// Regions holds each region's outcome, ordered by name.
	Regions []RegionResult
	// Manifest describes the manifest written at the end of the run, if any.
	Manifest *manifest.Summary
}

// RegionResult is one region's outcome.
type RegionResult struct {
	Region string
	// Events and Pages count the region's events written and pages
	// requested over all runs; RunEvents the events written in this run.
	Events, Pages int64
	RunEvents     int64
	Done          bool
	Err           error
	// TokenResumes and WindowResumes count resumes by NextToken and by time
	// window (when AWS rejected a token), over all runs.
	TokenResumes, WindowResumes int
}

// Events returns the events written in all regions.
func (r *Result) Events() int64 {
	var n int64
	for _, rr := range r.Regions {
		n += rr.Events
	}
	return n
}

// RunEvents returns the events written in all regions in this run.
func (r *Result) RunEvents() int64 {
	var n int64
	for _, rr := range r.Regions {
		n += rr.RunEvents
	}
	return n
}

// Export exports Event History as opts describe, resuming the export in
// opts.Dir if there is one. Regions run in parallel; one region's failure does
// not stop the others.
//
// If the export cannot start, Export returns no Result and an error: an
// *OptionError for options that cannot work, or the failure to read the
// checkpoint or to list the regions. Once started, it returns a Result and
// an error joining ErrInterrupted (the context was canceled before every
// region was done) and a *RegionError per failed region. The progress made
// is checkpointed either way, and the same call continues it.
func Export(ctx context.Context, opts Options) (*Result, error) {
	x, err := prepare(ctx, &opts)
	if err != nil {
		return nil, err
	}
	res := &Result{
		Dir:     opts.Dir,
		Format:  Format(x.state.Format),
		Start:   x.state.Start,
		End:     x.state.End,
		Lookup:  lookupOf(x.state.Lookup),
		Resumed: x.resumed,
	}
	names := slices.Sorted(maps.Keys(x.state.Regions))
	res.Regions = make([]RegionResult, len(names))
	// Each region works on its own copy: the state's map is the checkpoint
	// file's, which saves (writes) it while other regions run.
	starts := make([]*checkpoint.Region, len(names))
	res.AlreadyComplete = x.resumed
	for i, name := range names {
		starts[i] = x.state.Regions[name].Clone()
		res.AlreadyComplete = res.AlreadyComplete && starts[i].Done
		x.observe(name, starts[i], nil) // in order, before any region moves
	}
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Go(func() {
			if x.opts.Slots != nil && !starts[i].Done {
				select {
				case x.opts.Slots <- struct{}{}:
					defer func() { <-x.opts.Slots }()
				case <-ctx.Done(): // exportRegion stops at once, saying so
				}
			}
			res.Regions[i] = x.exportRegion(ctx, name, starts[i])
		})
	}
	wg.Wait()

	var errs []error
	if ctx.Err() != nil && slices.ContainsFunc(res.Regions, func(rr RegionResult) bool { return !rr.Done }) {
		errs = append(errs, ErrInterrupted)
	}
	for _, rr := range res.Regions {
		if rr.Err != nil && !errors.Is(rr.Err, ErrInterrupted) {
			errs = append(errs, &RegionError{Region: rr.Region, Err: rr.Err})
		}
	}
	if !opts.NoManifest {
		// Every run, complete or not, ends with a manifest of what is on disk.
		sum, err := manifest.Write(opts.Dir)
		if err != nil {
			errs = append(errs, err)
		} else {
			res.Manifest = &sum
		}
	}
	return res, errors.Join(errs...)
}

// AccountsDir is the directory, under the output directory, that holds the
// checkpoints of the accounts of a multi-account export (Options.Account).
const AccountsDir = ".trailguard-accounts"

// CheckpointDir returns the directory of the checkpoint of an export into
// dir, of account if set.
func CheckpointDir(dir, account string) string {
	if account == "" {
		return dir
	}
	return filepath.Join(dir, AccountsDir, account)
}

// exporter is one run of an export.
type exporter struct {
	opts    Options
	ckDir   string // where the checkpoint lives
	state   *checkpoint.State
	file    *checkpoint.File
	resumed bool
	lookup  []types.LookupAttribute
}

// prepare applies defaults, and loads and checks the earlier run's state or
// creates a new one.
func prepare(ctx context.Context, opts *Options) (*exporter, error) {
	if opts.Dir == "" {
		return nil, &OptionError{"no output directory"}
	}
	if opts.Format != "" && !slices.Contains(Formats, opts.Format) {
		return nil, &OptionError{fmt.Sprintf("unknown format %q; want jsonl or cloudtrail", opts.Format)}
	}
	for _, r := range opts.Regions {
		if err := ValidateRegion(r); err != nil {
			return nil, &OptionError{err.Error()}
		}
	}
	if opts.RequestsPerSecond <= 0 || math.IsNaN(opts.RequestsPerSecond) {
		opts.RequestsPerSecond = DefaultRequestsPerSecond
	}
	if opts.RetryMode != "" && opts.RetryMode != aws.RetryModeAdaptive && opts.RetryMode != aws.RetryModeStandard {
		return nil, &OptionError{fmt.Sprintf("unknown retry mode %q; want adaptive or standard", opts.RetryMode)}
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = DefaultMaxAttempts
	}
	if opts.CheckpointInterval <= 0 {
		opts.CheckpointInterval = DefaultCheckpointInterval
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}

	if opts.Account != "" && !accountID.MatchString(opts.Account) {
		return nil, &OptionError{fmt.Sprintf("%q is not an AWS account ID (12 digits)", opts.Account)}
	}
	x := &exporter{opts: *opts, ckDir: CheckpointDir(opts.Dir, opts.Account)}
	// A process killed while saving its checkpoint or manifest left a
	// temporary file: remove it, or it stays forever (and an empty
	// directory would look used).
	for _, d := range []string{opts.Dir, x.ckDir} {
		if err := durable.RemoveTemps(d); err != nil {
			return nil, fmt.Errorf("remove the temporary files an interrupted run left: %w", err)
		}
	}
	state, err := checkpoint.Load(x.ckDir)
	switch {
	case err == nil:
		if err := resume(state, opts); err != nil {
			return nil, err
		}
		x.state, x.resumed = state, true
		x.file = checkpoint.Open(x.ckDir, state)
	case errors.Is(err, fs.ErrNotExist):
		if x.state, err = newState(ctx, opts); err != nil {
			return nil, err
		}
		if x.file, err = checkpoint.Create(x.ckDir, x.state); err != nil {
			return nil, err
		}
	default:
		return nil, err
	}
	if l := x.state.Lookup; l != nil {
		x.lookup = []types.LookupAttribute{{AttributeKey: types.LookupAttributeKey(l.Key), AttributeValue: aws.String(l.Value)}}
	}
	return x, nil
}

// newState plans a new export in opts.Dir.
func newState(ctx context.Context, opts *Options) (*checkpoint.State, error) {
	entries, err := os.ReadDir(opts.Dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if len(entries) > 0 && opts.Account == "" {
		return nil, &OptionError{fmt.Sprintf("%s is not empty and holds no trailguard export: choose a new or empty directory", opts.Dir)}
	}
	s := &checkpoint.State{
		Format:        string(opts.Format),
		Start:         opts.Start.UTC(),
		End:           opts.End.UTC(),
		EventsPerFile: opts.EventsPerFile,
		Regions:       map[string]*checkpoint.Region{},
	}
	if s.Format == "" {
		s.Format = string(JSONLines)
	}
	if s.End.IsZero() {
		s.End = opts.Now().UTC().Truncate(time.Second)
	}
	if s.Start.IsZero() {
		s.Start = s.End.Add(-Retention)
	}
	if !s.Start.Before(s.End) {
		return nil, &OptionError{fmt.Sprintf("start %s is not before end %s", s.Start.Format(time.RFC3339), s.End.Format(time.RFC3339))}
	}
	if s.Format == string(CloudTrailFiles) && s.EventsPerFile <= 0 {
		s.EventsPerFile = output.DefaultEventsPerFile
	}
	if opts.Lookup != nil {
		s.Lookup = &checkpoint.Lookup{Key: string(opts.Lookup.Key), Value: opts.Lookup.Value}
	}
	regions := opts.Regions
	if len(regions) == 0 {
		if opts.ListRegions == nil {
			return nil, &OptionError{"no regions to export"}
		}
		if regions, err = opts.ListRegions(ctx); err != nil {
			return nil, err
		}
		if len(regions) == 0 {
			return nil, errors.New("the account has no enabled regions")
		}
	}
	for _, r := range regions {
		s.Regions[r] = &checkpoint.Region{QueryEnd: s.End}
	}
	return s, nil
}

// resume checks that opts agree with the earlier run's state.
func resume(s *checkpoint.State, opts *Options) error {
	conflict := func(what, was, now string) error {
		return &OptionError{fmt.Sprintf("%s holds an export with %s %s, not %s: leave the option out to resume it, or export to another directory", opts.Dir, what, was, now)}
	}
	lookup := func(l *checkpoint.Lookup) string {
		if l == nil {
			return "none"
		}
		return l.Key + "=" + l.Value
	}
	if opts.Format != "" && string(opts.Format) != s.Format {
		return conflict("format", s.Format, string(opts.Format))
	}
	if !opts.Start.IsZero() && !opts.Start.Equal(s.Start) {
		return conflict("start", s.Start.Format(time.RFC3339), opts.Start.UTC().Format(time.RFC3339))
	}
	if !opts.End.IsZero() && !opts.End.Equal(s.End) {
		return conflict("end", s.End.Format(time.RFC3339), opts.End.UTC().Format(time.RFC3339))
	}
	if len(opts.Regions) > 0 {
		was := slices.Sorted(maps.Keys(s.Regions))
		now := slices.Sorted(slices.Values(opts.Regions))
		now = slices.Compact(now)
		if !slices.Equal(was, now) {
			return conflict("regions", strings.Join(was, ","), strings.Join(now, ","))
		}
	}
	if opts.Lookup != nil {
		if now := (&checkpoint.Lookup{Key: string(opts.Lookup.Key), Value: opts.Lookup.Value}); lookup(s.Lookup) != lookup(now) {
			return conflict("lookup", lookup(s.Lookup), lookup(now))
		}
	}
	if opts.EventsPerFile > 0 && s.Format == string(CloudTrailFiles) && opts.EventsPerFile != s.EventsPerFile {
		return conflict("events per file", fmt.Sprint(s.EventsPerFile), fmt.Sprint(opts.EventsPerFile))
	}
	return nil
}

func lookupOf(l *checkpoint.Lookup) *Lookup {
	if l == nil {
		return nil
	}
	return &Lookup{Key: types.LookupAttributeKey(l.Key), Value: l.Value}
}
