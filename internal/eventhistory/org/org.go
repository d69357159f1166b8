// Package org exports CloudTrail Event History from every account of an AWS
// Organization, or of a list of accounts, into one directory.
//
// LookupEvents allows 2 requests per second per account and region, so an
// organization's throughput grows with accounts times regions. Export
// assumes a read-only role in each account (AWS STS AssumeRole, through the
// SDK's stscreds provider), lists the account's enabled regions
// (account:ListRegions) unless regions are given, and exports each account
// and region with its own paced worker (package eventhistory), at most
// Workers of them at once. Each account keeps its own checkpoint, so an
// interrupted export resumes every account and region where it stopped,
// with no gap and no duplicate.
//
// The output is laid out per account: JSON Lines in <dir>/<account>/<region>.jsonl,
// or CloudTrail log files in <dir>/AWSLogs/<account>/CloudTrail/<region>/...,
// the layout a trail delivers to S3. One SHA-256 manifest covers it all.
package org

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/account"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/middleware"
	"github.com/trailguard/trailguard/internal/eventhistory"
	"github.com/trailguard/trailguard/internal/eventhistory/checkpoint"
	"github.com/trailguard/trailguard/internal/eventhistory/durable"
	"github.com/trailguard/trailguard/internal/eventhistory/manifest"
	"github.com/trailguard/trailguard/internal/eventhistory/output"
)

// DefaultRoleName is the read-only role assumed in each account unless
// Options.RoleName says otherwise.
const DefaultRoleName = "trailguard-event-history-reader"

// DefaultWorkers is how many account-region workers run at once unless
// Options.Workers says otherwise: 64 workers at 2 requests per second each
// read 6,400 events per second.
const DefaultWorkers = 64

// DefaultCredentialsExpiryWindow is how long before their expiry the
// assumed roles' credentials are refreshed unless
// Options.CredentialsExpiryWindow says otherwise. AWS judges expiry by its
// own clock: credentials used to their last second fail on any clock
// difference (the AWS SDKs for Java and Python refresh 5 to 15 minutes
// ahead for the same reason).
const DefaultCredentialsExpiryWindow = 5 * time.Minute

// AssumeRoleAttempts is how often an AssumeRole call is tried when STS
// throttles it or fails transiently, with the SDK's exponential backoff
// between tries (at most 20 s).
const AssumeRoleAttempts = 10

// SessionName is the role session name of the assumed roles: it names
// trailguard in the accounts' own CloudTrail records of the export.
const SessionName = "trailguard-history-export"

// StateFile is the file, in the output directory, that holds an
// organization export's parameters and account list.
const StateFile = ".trailguard-org.json"

// Options configures an organization export. The embedded
// eventhistory.Options are those of every account's export: AWS holds the
// investigator's credentials (for AWS Organizations and STS), Dir the
// output directory; Regions, if set, are exported in every account instead
// of each account's enabled regions; Account, Slots, ListRegions and
// NoManifest are set per account by Export.
type Options struct {
	eventhistory.Options
	// Accounts to export. Default: the active accounts ListAccounts returns,
	// and on a rerun, the first run's accounts.
	Accounts []string
	// ListAccounts lists the accounts to export when Accounts is empty,
	// and the accounts it leaves out because they are not active
	// (ActiveAccounts does).
	ListAccounts func(context.Context) ([]string, []SkippedAccount, error)
	// RoleName is the role assumed in each account. Default: DefaultRoleName.
	RoleName string
	// Partition of the role ARNs. Default: the partition of the region of
	// AWS (Partition).
	Partition string
	// Workers is the most account-region exports running at once, which
	// also bounds the accounts in progress (and so the memory used).
	// Default: DefaultWorkers.
	Workers int
	// AccountObserver, if set, is told when an account starts and ends.
	AccountObserver AccountObserver
	// CredentialsExpiryWindow is how long before their expiry the assumed
	// roles' credentials are refreshed. Default:
	// DefaultCredentialsExpiryWindow.
	CredentialsExpiryWindow time.Duration
}

// AccountObserver is told about accounts: once when an account starts and
// once when it ends. It is called from the accounts' goroutines.
type AccountObserver interface {
	ObserveAccount(AccountResult, bool)
}

// PlanObserver, if an AccountObserver implements it, is told once how many
// accounts the export covers, before any starts.
type PlanObserver interface {
	ObservePlan(accounts int)
}

// Reason classifies why an account or a region could not be read.
type Reason string

// Reasons.
const (
	// RoleUnavailable: AssumeRole failed; AWS does not tell a missing role
	// from one whose trust policy does not trust the caller.
	RoleUnavailable Reason = "role missing or not trusted"
	// AccessDenied: the role lacks cloudtrail:LookupEvents or
	// account:ListRegions.
	AccessDenied Reason = "access denied"
	// RegionDisabled: the region is not enabled for the account (AWS
	// rejects the credentials there).
	RegionDisabled Reason = "region not enabled"
	// CredentialsExpired: the investigator's credentials expired.
	CredentialsExpired Reason = "credentials expired"
	// Throttled: throttling outlasted the retries.
	Throttled Reason = "throttled"
	// Interrupted: the export was interrupted before the account finished.
	Interrupted Reason = "interrupted"
	// Other: anything else (network, server errors, local files).
	Other Reason = "other"
)

// Classify returns why err kept an account or region from being read,
// from the SDK's error types in its chain.
func Classify(err error) Reason {
	var role *RoleError
	var caller *CallerError
	var perm *eventhistory.PermissionError
	var api interface{ ErrorCode() string }
	switch {
	case err == nil:
		return ""
	case errors.Is(err, eventhistory.ErrInterrupted), errors.Is(err, context.Canceled):
		return Interrupted
	case errors.As(err, &caller):
		return caller.Reason
	case errors.As(err, &role):
		return RoleUnavailable
	case errors.As(err, &perm):
		return AccessDenied
	case errors.As(err, &api):
		switch code := api.ErrorCode(); code {
		case "UnrecognizedClientException", "InvalidClientTokenId":
			return RegionDisabled
		case "ExpiredTokenException", "ExpiredToken", "RequestExpired":
			return CredentialsExpired
		case "AccessDeniedException", "AccessDenied":
			return AccessDenied
		default:
			if strings.Contains(strings.ToLower(code), "throttl") {
				return Throttled
			}
		}
	}
	return Other
}

// RoleError reports that the role of an account could not be assumed.
type RoleError struct {
	Account, RoleARN string
	// Err is the SDK's error (an AssumeRole operation error).
	Err error
}

func (e *RoleError) Error() string {
	msg := e.Err.Error()
	var api interface{ ErrorMessage() string }
	if errors.As(e.Err, &api) {
		msg = api.ErrorMessage()
	}
	return fmt.Sprintf("cannot assume %s: the role is missing, or its trust policy does not trust the caller (AWS said: %s)", e.RoleARN, msg)
}

// Unwrap returns the SDK's error.
func (e *RoleError) Unwrap() error { return e.Err }

// CallerError reports that AssumeRole failed because of the investigator's
// own credentials, not the account's role: they expired or are invalid.
type CallerError struct {
	Reason Reason
	Msg    string
	// Err is the SDK's error.
	Err error
}

func (e *CallerError) Error() string { return e.Msg }

// Unwrap returns the SDK's error.
func (e *CallerError) Unwrap() error { return e.Err }

// assumeRoleError names why AssumeRole of arn failed. STS answers
// AccessDenied for a role that is missing and for one whose trust policy
// does not trust the caller alike; other answers have other causes
// (https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html#API_AssumeRole_Errors
// and CommonErrors).
func assumeRoleError(id, arn string, err error) error {
	var api interface {
		ErrorCode() string
		ErrorMessage() string
	}
	if !errors.As(err, &api) {
		return fmt.Errorf("assume %s: %w", arn, err)
	}
	code := api.ErrorCode()
	switch {
	case code == "ExpiredToken" || code == "ExpiredTokenException" || code == "TokenRefreshRequired":
		return &CallerError{CredentialsExpired, fmt.Sprintf("cannot assume %s: your own AWS credentials expired (AWS said: %s): refresh them (aws sso login, or a new session), then rerun the same command to resume", arn, api.ErrorMessage()), err}
	case code == "InvalidClientTokenId" || code == "SignatureDoesNotMatch" || code == "UnrecognizedClientException":
		return &CallerError{Other, fmt.Sprintf("cannot assume %s: AWS rejected your own credentials (%s: %s): check them and the clock", arn, code, api.ErrorMessage()), err}
	case strings.Contains(strings.ToLower(code), "throttl") || code == "RequestLimitExceeded":
		return fmt.Errorf("cannot assume %s: STS throttled it %d times in a row; rerun the same command later to resume: %w", arn, AssumeRoleAttempts, err)
	case code == "AccessDenied":
		return &RoleError{Account: id, RoleARN: arn, Err: err}
	}
	return fmt.Errorf("cannot assume %s: %w", arn, err)
}

// Partition returns the AWS partition of a region, for ARNs: aws-cn for the
// China regions, aws-us-gov for AWS GovCloud (US), the ISO partitions for
// theirs, aws otherwise
// (https://docs.aws.amazon.com/whitepapers/latest/aws-fault-isolation-boundaries/partitions.html).
func Partition(region string) string {
	for _, p := range []struct{ prefix, partition string }{
		{"cn-", "aws-cn"}, {"us-gov-", "aws-us-gov"}, {"us-isob-", "aws-iso-b"}, {"us-isof-", "aws-iso-f"},
		{"us-iso-", "aws-iso"}, {"eu-isoe-", "aws-iso-e"},
	} {
		if strings.HasPrefix(region, p.prefix) {
			return p.partition
		}
	}
	return "aws"
}

// SkippedAccount is an account of the organization that is not exported
// because it is not active: suspended, or closed and pending closure.
type SkippedAccount struct {
	ID string `json:"id"`
	// State is the account's state as AWS Organizations reports it.
	State string `json:"state"`
}

// AccountResult is one account's outcome.
type AccountResult struct {
	Account string
	// Regions holds the regions' outcomes, ordered by name; empty if the
	// account failed before its regions were known.
	Regions []eventhistory.RegionResult
	// Done is set when every region is complete.
	Done bool
	// Err is the account's failure before its regions started (the role,
	// the region list), or nil.
	Err error
	// Reason classifies Err.
	Reason Reason
}

// Events returns the events written in all the account's regions.
func (a *AccountResult) Events() (all, run int64) {
	for _, r := range a.Regions {
		all += r.Events
		run += r.RunEvents
	}
	return all, run
}

// Failure is one account or region that could not be read.
type Failure struct {
	Account string
	// Region is empty when the whole account failed.
	Region string
	Reason Reason
	Err    error
}

// Result describes an organization export.
type Result struct {
	Dir    string
	Format eventhistory.Format
	// Start and End bound the exported time window.
	Start, End time.Time
	// Resumed is set if an earlier run was continued, AlreadyComplete if it
	// had completed every account.
	Resumed, AlreadyComplete bool
	// Accounts holds each account's outcome, ordered by account ID.
	Accounts []AccountResult
	// Manifest describes the manifest written at the end of the run.
	Manifest *manifest.Summary
	// Skipped lists the organization's accounts left out because they are
	// not active, as the first run found them.
	Skipped []SkippedAccount
}

// Failures lists the accounts and regions that could not be read and why,
// interrupted ones aside.
func (r *Result) Failures() []Failure {
	var fs []Failure
	for _, a := range r.Accounts {
		if a.Err != nil && a.Reason != Interrupted {
			fs = append(fs, Failure{Account: a.Account, Reason: a.Reason, Err: a.Err})
		}
		for _, rr := range a.Regions {
			if rr.Err != nil && Classify(rr.Err) != Interrupted {
				fs = append(fs, Failure{Account: a.Account, Region: rr.Region, Reason: Classify(rr.Err), Err: rr.Err})
			}
		}
	}
	return fs
}

// Counts returns the accounts complete, and the events written over all
// runs and in this run.
func (r *Result) Counts() (done int, events, runEvents int64) {
	for _, a := range r.Accounts {
		if a.Done {
			done++
		}
		all, run := a.Events()
		events += all
		runEvents += run
	}
	return done, events, runEvents
}

// state is what the first run fixes for the later ones.
type state struct {
	Version       int                `json:"version"`
	Format        string             `json:"format"`
	Start         time.Time          `json:"start"`
	End           time.Time          `json:"end"`
	Lookup        *checkpoint.Lookup `json:"lookup,omitempty"`
	EventsPerFile int                `json:"eventsPerFile,omitempty"`
	RoleName      string             `json:"roleName"`
	Regions       []string           `json:"regions,omitempty"`
	Accounts      []string           `json:"accounts"`
	Skipped       []SkippedAccount   `json:"skipped,omitempty"`
}

// accountID matches AWS account IDs.
var accountID = regexp.MustCompile(`^[0-9]{12}$`)

// ValidateAccount reports whether id is an AWS account ID.
func ValidateAccount(id string) error {
	if !accountID.MatchString(id) {
		return fmt.Errorf("%q is not an AWS account ID (12 digits)", id)
	}
	return nil
}

// Export exports the Event History of every account opts name, resuming
// the export in opts.Dir if there is one. Accounts and regions run in
// parallel, at most opts.Workers regions at once; one account's or region's
// failure does not stop the others.
//
// If the export cannot start, Export returns no Result and an error (an
// *eventhistory.OptionError for options that cannot work). Once started, it
// returns a Result and an error joining eventhistory.ErrInterrupted and the
// accounts' and regions' failures.
func Export(ctx context.Context, opts Options) (*Result, error) {
	st, resumed, err := prepare(ctx, &opts)
	if err != nil {
		return nil, err
	}
	if opts.AWS.HTTPClient == nil {
		// One connection pool for every account: the endpoints are the
		// same (one per region and service), and clients of their own
		// would keep each finished account's idle connections open.
		opts.AWS.HTTPClient = awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
			t.MaxIdleConns = 2 * opts.Workers
			t.MaxIdleConnsPerHost = opts.Workers
		})
	}
	res := &Result{Dir: opts.Dir, Format: eventhistory.Format(st.Format), Start: st.Start, End: st.End, Resumed: resumed, Skipped: st.Skipped}
	if p, ok := opts.AccountObserver.(PlanObserver); ok {
		p.ObservePlan(len(st.Accounts))
	}
	res.Accounts = make([]AccountResult, len(st.Accounts))
	template := opts.Options
	template.Format, template.Start, template.End = eventhistory.Format(st.Format), st.Start, st.End
	template.EventsPerFile, template.Regions = st.EventsPerFile, st.Regions
	if st.Lookup != nil {
		template.Lookup = &eventhistory.Lookup{Key: types.LookupAttributeKey(st.Lookup.Key), Value: st.Lookup.Value}
	}
	template.Slots = make(chan struct{}, opts.Workers)
	template.NoManifest = true

	// An account in progress takes a token; so at most Workers accounts
	// hold their state at once, whatever the organization's size.
	accounts := make(chan struct{}, opts.Workers)
	var wg sync.WaitGroup
	for i, id := range st.Accounts {
		select {
		case accounts <- struct{}{}:
		case <-ctx.Done():
			res.Accounts[i] = saved(opts.Dir, id)
			res.Accounts[i].Err, res.Accounts[i].Reason = eventhistory.ErrInterrupted, Interrupted
			continue
		}
		wg.Go(func() {
			defer func() { <-accounts }()
			res.Accounts[i] = exportAccount(ctx, opts, template, st.RoleName, id)
		})
	}
	wg.Wait()

	res.AlreadyComplete = resumed
	var errs []error
	interrupted := false
	for _, a := range res.Accounts {
		_, run := a.Events()
		res.AlreadyComplete = res.AlreadyComplete && a.Done && run == 0
		if !a.Done && ctx.Err() != nil {
			interrupted = true
		}
	}
	if interrupted {
		errs = append(errs, eventhistory.ErrInterrupted)
	}
	for _, f := range res.Failures() {
		where := f.Account
		if f.Region != "" {
			where += " " + f.Region
		}
		errs = append(errs, fmt.Errorf("%s: %w", where, f.Err))
	}
	sum, err := manifest.Write(opts.Dir)
	if err != nil {
		errs = append(errs, err)
	} else {
		res.Manifest = &sum
	}
	return res, errors.Join(errs...)
}

// saved returns an account's outcome as its checkpoint records it, for an
// account this run does not touch.
func saved(dir, id string) AccountResult {
	a := AccountResult{Account: id}
	st, err := checkpoint.Load(eventhistory.CheckpointDir(dir, id))
	if err != nil {
		return a
	}
	a.Done = len(st.Regions) > 0
	for _, name := range slices.Sorted(maps.Keys(st.Regions)) {
		r := st.Regions[name]
		a.Regions = append(a.Regions, eventhistory.RegionResult{Region: name, Events: r.Events, Pages: r.Pages, Done: r.Done})
		a.Done = a.Done && r.Done
	}
	return a
}

// exportAccount exports one account's regions with the role assumed.
func exportAccount(ctx context.Context, opts Options, template eventhistory.Options, roleName, id string) (res AccountResult) {
	if o := opts.AccountObserver; o != nil {
		defer func() { o.ObserveAccount(res, true) }()
	}
	if a := saved(opts.Dir, id); a.Done {
		// Complete in an earlier run: no credentials needed.
		if o := opts.AccountObserver; o != nil {
			o.ObserveAccount(a, false)
		}
		return a
	}
	if o := opts.AccountObserver; o != nil {
		o.ObserveAccount(AccountResult{Account: id}, false)
	}
	res.Account = id
	arn := fmt.Sprintf("arn:%s:iam::%s:role/%s", opts.Partition, id, roleName)
	cfg := opts.AWS.Copy()
	stsClient := sts.NewFromConfig(opts.AWS, func(o *sts.Options) {
		o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
			so.MaxAttempts = AssumeRoleAttempts
			if opts.MaxBackoff > 0 {
				so.MaxBackoff = opts.MaxBackoff
			}
			// Every account assumes its role at the start: the default
			// retry quota would turn a burst of throttles into failures.
			so.RateLimiter = ratelimit.None
		})
	})
	creds := aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(stsClient, arn, func(o *stscreds.AssumeRoleOptions) {
		o.RoleSessionName = SessionName
	}), func(o *aws.CredentialsCacheOptions) {
		o.ExpiryWindow = opts.CredentialsExpiryWindow
	})
	cfg.Credentials = creds
	cfg.APIOptions = append(slices.Clip(cfg.APIOptions), func(stack *middleware.Stack) error {
		return stack.Finalize.Insert(&refreshExpired{creds}, "Retry", middleware.After)
	})
	// Assume the role before anything else: a role that cannot be assumed
	// is the account's failure, named as such, not each region's.
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		if ctx.Err() != nil {
			res.Err, res.Reason = eventhistory.ErrInterrupted, Interrupted
			return res
		}
		res.Err = assumeRoleError(id, arn, err)
		res.Reason = Classify(res.Err)
		return res
	}
	eo := template
	eo.AWS, eo.Account = cfg, id
	eo.ListRegions = func(ctx context.Context) ([]string, error) {
		return eventhistory.EnabledRegions(ctx, account.NewFromConfig(cfg, func(o *account.Options) {
			o.Retryer = retry.NewStandard(eventhistory.RetryCutOffResponses)
		}))
	}
	er, err := eventhistory.Export(ctx, eo)
	if er == nil {
		if ctx.Err() != nil {
			err = eventhistory.ErrInterrupted
		}
		res.Err, res.Reason = err, Classify(err)
		return res
	}
	res.Regions = er.Regions
	res.Done = len(er.Regions) > 0
	for _, rr := range er.Regions {
		res.Done = res.Done && rr.Done
	}
	return res
}

// refreshExpired makes a request that AWS rejected because the assumed
// role's credentials expired (by AWS's clock, which may be ahead of ours)
// retryable, after invalidating the cached credentials: the retry assumes
// the role again. It sits inside the retry loop, before the credentials are
// fetched for each attempt.
type refreshExpired struct{ creds *aws.CredentialsCache }

// ID names the middleware in the SDK's stack.
func (*refreshExpired) ID() string { return "trailguard.RefreshExpiredCredentials" }

// HandleFinalize sends the attempt and looks at its error.
func (r *refreshExpired) HandleFinalize(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
	out, md, err := next.HandleFinalize(ctx, in)
	var api interface{ ErrorCode() string }
	if err != nil && errors.As(err, &api) {
		if code := api.ErrorCode(); code == "ExpiredTokenException" || code == "ExpiredToken" {
			r.creds.Invalidate()
			err = &expiredRetryable{err}
		}
	}
	return out, md, err
}

// expiredRetryable is an expired-credentials error the SDK's retryer
// retries (it asks RetryableError).
type expiredRetryable struct{ error }

func (e *expiredRetryable) RetryableError() bool { return true }
func (e *expiredRetryable) Unwrap() error        { return e.error }

// removeTemps removes the temporary files that a process killed while
// saving (durable.WriteFile) left in the output directory and the
// accounts' checkpoint directories; nothing else.
func removeTemps(dir string) error {
	dirs := []string{dir}
	accounts, err := os.ReadDir(filepath.Join(dir, eventhistory.AccountsDir))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	for _, a := range accounts {
		if a.IsDir() {
			dirs = append(dirs, filepath.Join(dir, eventhistory.AccountsDir, a.Name()))
		}
	}
	for _, d := range dirs {
		if err := durable.RemoveTemps(d); err != nil {
			return err
		}
	}
	return nil
}

// prepare applies defaults, and loads the earlier run's state or plans a
// new export.
func prepare(ctx context.Context, opts *Options) (*state, bool, error) {
	if opts.Dir == "" {
		return nil, false, &eventhistory.OptionError{Msg: "no output directory"}
	}
	if opts.RoleName == "" {
		opts.RoleName = DefaultRoleName
	}
	if opts.Partition == "" {
		opts.Partition = Partition(opts.AWS.Region)
	}
	if opts.CredentialsExpiryWindow == 0 {
		opts.CredentialsExpiryWindow = DefaultCredentialsExpiryWindow
	}
	if opts.Workers <= 0 {
		opts.Workers = DefaultWorkers
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Format != "" && !slices.Contains(eventhistory.Formats, opts.Format) {
		return nil, false, &eventhistory.OptionError{Msg: fmt.Sprintf("unknown format %q; want jsonl or cloudtrail", opts.Format)}
	}
	for _, a := range opts.Accounts {
		if err := ValidateAccount(a); err != nil {
			return nil, false, &eventhistory.OptionError{Msg: err.Error()}
		}
	}
	for _, r := range opts.Regions {
		if err := eventhistory.ValidateRegion(r); err != nil {
			return nil, false, &eventhistory.OptionError{Msg: err.Error()}
		}
	}
	if err := removeTemps(opts.Dir); err != nil {
		return nil, false, fmt.Errorf("remove the temporary files an interrupted run left: %w", err)
	}
	path := filepath.Join(opts.Dir, StateFile)
	st, err := load(path)
	switch {
	case err == nil:
		return st, true, resume(st, opts)
	case !errors.Is(err, fs.ErrNotExist):
		return nil, false, err
	}
	entries, err := os.ReadDir(opts.Dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, false, err
	}
	if len(entries) > 0 {
		return nil, false, &eventhistory.OptionError{Msg: fmt.Sprintf("%s is not empty and holds no trailguard organization export: choose a new or empty directory", opts.Dir)}
	}
	st = &state{Version: 1, Format: string(opts.Format), Start: opts.Start.UTC(), End: opts.End.UTC(),
		EventsPerFile: opts.EventsPerFile, RoleName: opts.RoleName, Regions: opts.Regions}
	if st.Format == "" {
		st.Format = string(eventhistory.JSONLines)
	}
	if st.End.IsZero() {
		st.End = opts.Now().UTC().Truncate(time.Second)
	}
	if st.Start.IsZero() {
		st.Start = st.End.Add(-eventhistory.Retention)
	}
	if !st.Start.Before(st.End) {
		return nil, false, &eventhistory.OptionError{Msg: fmt.Sprintf("start %s is not before end %s", st.Start.Format(time.RFC3339), st.End.Format(time.RFC3339))}
	}
	if st.Format == string(eventhistory.CloudTrailFiles) && st.EventsPerFile <= 0 {
		st.EventsPerFile = output.DefaultEventsPerFile
	}
	if opts.Lookup != nil {
		st.Lookup = &checkpoint.Lookup{Key: string(opts.Lookup.Key), Value: opts.Lookup.Value}
	}
	st.Accounts = slices.Compact(slices.Sorted(slices.Values(opts.Accounts)))
	if len(st.Accounts) == 0 {
		if opts.ListAccounts == nil {
			return nil, false, &eventhistory.OptionError{Msg: "no accounts to export"}
		}
		if st.Accounts, st.Skipped, err = opts.ListAccounts(ctx); err != nil {
			return nil, false, err
		}
		if len(st.Accounts) == 0 {
			return nil, false, errors.New("the organization has no active accounts")
		}
		st.Accounts = slices.Compact(slices.Sorted(slices.Values(st.Accounts)))
	}
	if err := os.MkdirAll(opts.Dir, output.DirPerm); err != nil {
		return nil, false, err
	}
	return st, false, save(path, st)
}

// resume checks that opts agree with the earlier run's state.
func resume(st *state, opts *Options) error {
	conflict := func(what, was, now string) error {
		return &eventhistory.OptionError{Msg: fmt.Sprintf("%s holds an organization export with %s %s, not %s: leave the option out to resume it, or export to another directory", opts.Dir, what, was, now)}
	}
	join := func(s []string) string { return strings.Join(s, ",") }
	switch {
	case opts.Format != "" && string(opts.Format) != st.Format:
		return conflict("format", st.Format, string(opts.Format))
	case !opts.Start.IsZero() && !opts.Start.Equal(st.Start):
		return conflict("start", st.Start.Format(time.RFC3339), opts.Start.UTC().Format(time.RFC3339))
	case !opts.End.IsZero() && !opts.End.Equal(st.End):
		return conflict("end", st.End.Format(time.RFC3339), opts.End.UTC().Format(time.RFC3339))
	case len(opts.Accounts) > 0 && !slices.Equal(slices.Compact(slices.Sorted(slices.Values(opts.Accounts))), st.Accounts):
		return conflict("accounts", join(st.Accounts), join(opts.Accounts))
	case len(opts.Regions) > 0 && !slices.Equal(slices.Compact(slices.Sorted(slices.Values(opts.Regions))), slices.Sorted(slices.Values(st.Regions))):
		return conflict("regions", join(st.Regions), join(opts.Regions))
	case opts.RoleName != DefaultRoleName && opts.RoleName != st.RoleName:
		return conflict("role", st.RoleName, opts.RoleName)
	case opts.Lookup != nil && (st.Lookup == nil || st.Lookup.Key != string(opts.Lookup.Key) || st.Lookup.Value != opts.Lookup.Value):
		was := "none"
		if st.Lookup != nil {
			was = st.Lookup.Key + "=" + st.Lookup.Value
		}
		return conflict("lookup", was, opts.Lookup.String())
	case opts.EventsPerFile > 0 && st.Format == string(eventhistory.CloudTrailFiles) && opts.EventsPerFile != st.EventsPerFile:
		return conflict("events per file", fmt.Sprint(st.EventsPerFile), fmt.Sprint(opts.EventsPerFile))
	}
	return nil
}

func load(path string) (*state, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var st state
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if st.Version != 1 {
		return nil, fmt.Errorf("%s has format version %d; this trailguard reads version 1", path, st.Version)
	}
	return &st, nil
}

func save(path string, st *state) error {
	return durable.WriteFile(path, output.FilePerm, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(st)
	})
}

// ActiveAccounts lists the organization's active accounts with AWS
// Organizations' ListAccounts (permission organizations:ListAccounts, in
// the management account or a delegated administrator account), and the
// accounts it leaves out: those not ACTIVE (suspended, pending closure),
// which the caller reports.
func ActiveAccounts(ctx context.Context, client organizations.ListAccountsAPIClient) ([]string, []SkippedAccount, error) {
	p := organizations.NewListAccountsPaginator(client, &organizations.ListAccountsInput{})
	var ids []string
	var skipped []SkippedAccount
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			var perm *eventhistory.PermissionError
			if err := describeList(err); errors.As(err, &perm) {
				return nil, nil, err
			}
			return nil, nil, fmt.Errorf("list the organization's accounts: %w", err)
		}
		for _, a := range page.Accounts {
			state := string(a.State)
			if state == "" {
				state = string(a.Status) //nolint:staticcheck // Status is deprecated for State; older answers have only Status
			}
			if state == string(orgtypes.AccountStateActive) {
				ids = append(ids, aws.ToString(a.Id))
			} else {
				skipped = append(skipped, SkippedAccount{ID: aws.ToString(a.Id), State: state})
			}
		}
	}
	return ids, skipped, nil
}

// describeList names a denied ListAccounts.
func describeList(err error) error {
	var api interface {
		ErrorCode() string
		ErrorMessage() string
	}
	if errors.As(err, &api) && (api.ErrorCode() == "AccessDeniedException" || api.ErrorCode() == "AWSOrganizationsNotInUseException") {
		return &eventhistory.PermissionError{Action: "organizations:ListAccounts", Region: "the organization", Message: api.ErrorMessage(), Err: err}
	}
	return err
}
