package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/trailguard/trailguard/internal/eventhistory"
	"github.com/trailguard/trailguard/internal/eventhistory/org"
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
)

// orgFlags are the flags of history export that reach several accounts.
type orgFlags struct {
	org          bool
	accounts     []string
	accountsFile string
	roleName     string
	workers      int
}

// multiAccount reports whether the flags ask for several accounts.
func (f *orgFlags) multiAccount() bool {
	return f.org || len(f.accounts) > 0 || f.accountsFile != ""
}

// readAccounts reads account IDs from a file: one or more a line, separated
// by commas or spaces; # starts a comment.
func readAccounts(path string) ([]string, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, usageErrorf("--accounts-file: %v", err)
	}
	defer file.Close()
	var ids []string
	sc := bufio.NewScanner(file)
	for n := 1; sc.Scan(); n++ {
		line, _, _ := strings.Cut(sc.Text(), "#")
		for _, id := range strings.FieldsFunc(line, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
			if err := org.ValidateAccount(id); err != nil {
				return nil, usageErrorf("--accounts-file %s line %d: %v", path, n, err)
			}
			ids = append(ids, id)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, usageErrorf("--accounts-file %s names no account", path)
	}
	return ids, nil
}

// runOrgExport runs history export over several accounts. opts holds what
// the single-account flags set.
func runOrgExport(ctx context.Context, e *env, f *exportFlags, opts eventhistory.Options) error {
	o := org.Options{Options: opts, RoleName: f.org.roleName, Workers: f.org.workers}
	switch {
	case f.org.org && (len(f.org.accounts) > 0 || f.org.accountsFile != ""):
		return usageErrorf("--org exports every active account; leave out --accounts and --accounts-file, or --org")
	case len(f.org.accounts) > 0 && f.org.accountsFile != "":
		return usageErrorf("use --accounts or --accounts-file, not both")
	case f.org.workers < 1:
		return usageErrorf("--workers must be at least 1, got %d", f.org.workers)
	}
	for _, id := range f.org.accounts {
		if err := org.ValidateAccount(id); err != nil {
			return usageErrorf("--accounts: %v", err)
		}
	}
	o.Accounts = f.org.accounts
	if f.org.accountsFile != "" {
		ids, err := readAccounts(f.org.accountsFile)
		if err != nil {
			return err
		}
		o.Accounts = ids
	}
	cfg, err := loadAWSConfig(ctx, f.profile, f.region)
	if err != nil {
		return err
	}
	o.AWS = cfg
	o.ListAccounts = func(ctx context.Context) ([]string, []org.SkippedAccount, error) {
		ids, skipped, err := org.ActiveAccounts(ctx, organizations.NewFromConfig(cfg, func(o *organizations.Options) {
			o.Retryer = retry.NewStandard(eventhistory.RetryCutOffResponses)
		}))
		var pe *eventhistory.PermissionError
		if errors.As(err, &pe) {
			return nil, nil, fmt.Errorf("cannot list the organization's accounts: %w; run in the management account or a delegated administrator account, or name the accounts with --accounts", err)
		}
		return ids, skipped, err
	}
	display := newOrgDisplay(e, f.quiet)
	o.Observer, o.AccountObserver = display, display
	res, err := org.Export(ctx, o)
	display.finish()
	if res == nil {
		if errors.Is(err, context.Canceled) || ctx.Err() != nil {
			return &exitError{exitInterrupted, "interrupted before the export started"}
		}
		return err
	}
	return orgOutcome(e, res, err, f.quiet)
}

// orgOutcome prints an organization export's summary and failures and
// returns the error that ends the command.
func orgOutcome(e *env, res *org.Result, err error, quiet bool) error {
	failures := res.Failures()
	for _, fl := range failures {
		where := fl.Account
		if fl.Region != "" {
			where += " " + fl.Region
		}
		fmt.Fprintf(e.stderr, "trailguard: %s: %s: %v\n", where, fl.Reason, fl.Err)
	}
	if len(res.Skipped) > 0 {
		var ids []string
		for _, a := range res.Skipped {
			ids = append(ids, a.ID+" ("+a.State+")")
		}
		fmt.Fprintf(e.stderr, "trailguard: skipped %s not active: %s\n", plural(len(res.Skipped), "account"), strings.Join(ids, ", "))
	}
	done, events, runEvents := res.Counts()
	regions := 0
	for _, a := range res.Accounts {
		regions += len(a.Regions)
	}
	if !quiet {
		window := fmt.Sprintf("%s to %s", res.Start.Format(time.RFC3339), res.End.Format(time.RFC3339))
		switch {
		case res.AlreadyComplete:
			fmt.Fprintf(e.stderr, "nothing to do: the export in %s is complete (%s events of %d accounts)\n", res.Dir, group(events), len(res.Accounts))
		case res.Resumed:
			fmt.Fprintf(e.stderr, "exported (resumed) %s events in this run (%s in the export), %d of %d accounts complete, %d regions (%s), to %s as %s\n",
				group(runEvents), group(events), done, len(res.Accounts), regions, window, res.Dir, res.Format)
		default:
			fmt.Fprintf(e.stderr, "exported %s events, %d of %d accounts complete, %d regions (%s), to %s as %s\n",
				group(events), done, len(res.Accounts), regions, window, res.Dir, res.Format)
		}
		if len(failures) > 0 {
			fmt.Fprintf(e.stderr, "could not read: %s\n", failureSummary(failures))
		}
		if len(res.Skipped) > 0 {
			fmt.Fprintf(e.stderr, "skipped: %s not active (suspended or closed)\n", plural(len(res.Skipped), "account"))
		}
		if res.Manifest != nil {
			printManifest(e, res.Manifest)
		}
	}
	switch {
	case errors.Is(err, eventhistory.ErrInterrupted):
		return &exitError{exitInterrupted, fmt.Sprintf("interrupted: progress is saved in %s; rerun the same command to resume", res.Dir)}
	case err != nil:
		return &exitError{exitFailed, fmt.Sprintf("export incomplete: %d of %d accounts complete; fix what is listed above, then rerun the same command to resume (progress is saved in %s)",
			done, len(res.Accounts), res.Dir)}
	}
	return nil
}

// failureSummary counts failed accounts and regions by reason.
func failureSummary(fs []org.Failure) string {
	accounts, regions := map[org.Reason]int{}, map[org.Reason]int{}
	for _, f := range fs {
		if f.Region == "" {
			accounts[f.Reason]++
		} else {
			regions[f.Reason]++
		}
	}
	var parts []string
	for _, c := range []struct {
		what   string
		counts map[org.Reason]int
	}{{"account", accounts}, {"region", regions}} {
		for _, r := range slices.Sorted(maps.Keys(c.counts)) {
			n := c.counts[r]
			what := c.what
			if n != 1 {
				what += "s"
			}
			parts = append(parts, fmt.Sprintf("%d %s (%s)", n, what, r))
		}
	}
	return strings.Join(parts, ", ")
}

// progressEvery is how often an organization export off a terminal prints
// a progress line.
var progressEvery = 30 * time.Second

// orgDisplay shows an organization export's progress on stderr: on a
// terminal an overall bar (drawn last, so it stays on the screen however
// many accounts are in progress) and a bar per account in progress;
// otherwise a line per account this run completes and a progress line
// every progressEvery; nothing when quiet.
type orgDisplay struct {
	e     *env
	quiet bool
	bars  *mpb.Progress
	total *mpb.Bar
	stop  chan struct{} // ends the progress lines
	wg    sync.WaitGroup
	// outMu serializes the lines written from the accounts' goroutines and
	// the progress ticker.
	outMu sync.Mutex

	mu       sync.Mutex
	started  time.Time
	accounts map[string]*accountView
	// planned counts the export's accounts, known and finished those
	// seen and ended; events counts the events this run wrote.
	planned, known, finished int
	events                   int64
}

// accountView is what the display knows about one account.
type accountView struct {
	bar     *mpb.Bar
	regions map[string]eventhistory.Progress
	base    map[string]int64 // each region's events when this run began
	ended   bool
	failed  org.Reason // why the account ended incomplete, if it did
}

func newOrgDisplay(e *env, quiet bool) *orgDisplay {
	d := &orgDisplay{e: e, quiet: quiet, started: e.now(), accounts: map[string]*accountView{}}
	if !quiet && e.terminal {
		d.bars = mpb.New(mpb.WithOutput(e.stderr), mpb.WithAutoRefresh(), mpb.WithRefreshRate(250*time.Millisecond))
		d.total = d.bars.AddBar(0, mpb.BarWidth(20), mpb.BarPriority(math.MaxInt32),
			mpb.PrependDecorators(decor.Name("all accounts", decor.WCSyncSpaceR)),
			mpb.AppendDecorators(decor.Any(func(decor.Statistics) string { return d.status() })),
		)
	}
	if !quiet && !e.terminal {
		d.stop = make(chan struct{})
		began := time.Now()
		d.wg.Go(func() {
			tick := time.NewTicker(progressEvery)
			defer tick.Stop()
			for {
				select {
				case <-d.stop:
					return
				case <-tick.C:
					d.println(d.progressLine(time.Since(began)))
				}
			}
		})
	}
	return d
}

// println writes a line to stderr, one writer at a time.
func (d *orgDisplay) println(line string) {
	d.outMu.Lock()
	defer d.outMu.Unlock()
	fmt.Fprintln(d.e.stderr, line)
}

// progressLine is the line printed every progressEvery off a terminal.
func (d *orgDisplay) progressLine(elapsed time.Duration) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	regions, done := 0, 0
	for _, v := range d.accounts {
		regions += len(v.regions)
		for _, p := range v.regions {
			if p.Done {
				done++
			}
		}
	}
	return fmt.Sprintf("progress: %d/%d account-regions done in the %d accounts started, %d/%d accounts done, %s events, %.0f ev/s, %s",
		done, regions, d.known, d.finished, max(d.planned, d.known), group(d.events), float64(d.events)/max(elapsed.Seconds(), 1e-9), elapsed.Round(time.Second))
}

// ObservePlan records how many accounts the export covers.
func (d *orgDisplay) ObservePlan(accounts int) {
	d.mu.Lock()
	d.planned = accounts
	d.mu.Unlock()
	if d.total != nil {
		d.total.SetTotal(int64(accounts), false)
	}
}

func (d *orgDisplay) view(account string) *accountView {
	v, ok := d.accounts[account]
	if !ok {
		v = &accountView{regions: map[string]eventhistory.Progress{}, base: map[string]int64{}}
		d.accounts[account] = v
		d.known++
	}
	return v
}

// ObserveAccount adds a bar when an account starts and ends it when the
// account ends. Accounts an earlier run completed show nothing.
//
// The bars' decorators take d.mu, and mpb runs them on its own goroutines
// while bar methods wait for those: bar methods are called without d.mu.
func (d *orgDisplay) ObserveAccount(a org.AccountResult, end bool) {
	if d.quiet {
		return
	}
	d.mu.Lock()
	v := d.view(a.Account)
	if !end {
		if a.Done {
			v.ended = true // an earlier run's work
			d.finished++
			d.mu.Unlock()
			return
		}
		d.mu.Unlock()
		if d.bars != nil {
			bar := d.bars.AddBar(barTotal, mpb.BarWidth(20), mpb.BarRemoveOnComplete(),
				mpb.PrependDecorators(decor.Name(a.Account, decor.WCSyncSpaceR)),
				mpb.AppendDecorators(decor.Any(func(decor.Statistics) string { return d.accountStatus(v) })),
			)
			d.mu.Lock()
			v.bar = bar
			d.mu.Unlock()
		}
		return
	}
	if v.ended {
		d.mu.Unlock()
		return
	}
	v.ended = true
	d.finished++
	if !a.Done {
		v.failed = a.Reason
		if v.failed == "" {
			v.failed = "incomplete"
		}
	}
	bar, known, finished := v.bar, d.known, d.finished
	d.mu.Unlock()
	all, run := a.Events()
	switch {
	case bar != nil && a.Done:
		bar.SetCurrent(barTotal)
	case bar != nil:
		// Drawn where it stopped, not as a full bar.
		bar.Abort(false)
	case a.Done:
		d.println(fmt.Sprintf("%s: done, %s events in %d regions (%s in all)", a.Account, group(run), len(a.Regions), group(all)))
	}
	if d.total != nil {
		d.mu.Lock()
		total := max(d.planned, known)
		d.mu.Unlock()
		d.total.SetTotal(int64(total), false)
		d.total.SetCurrent(int64(finished))
	}
}

// Observe records a region's progress.
func (d *orgDisplay) Observe(p eventhistory.Progress) {
	if d.quiet {
		return
	}
	d.mu.Lock()
	v := d.view(p.Account)
	old, ok := v.regions[p.Region]
	if !ok {
		v.base[p.Region] = p.Events
	} else {
		d.events += p.Events - old.Events
	}
	v.regions[p.Region] = p
	bar, share := v.bar, covered(v)
	d.mu.Unlock()
	if bar != nil {
		bar.SetCurrent(int64(share * barTotal))
	}
}

// covered is the mean share of the window covered over an account's regions.
func covered(v *accountView) float64 {
	if len(v.regions) == 0 {
		return 0
	}
	var sum float64
	for _, p := range v.regions {
		sum += p.Covered()
	}
	return sum / float64(len(v.regions))
}

func (d *orgDisplay) accountStatus(v *accountView) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	done, events := 0, int64(0)
	for name, p := range v.regions {
		if p.Done {
			done++
		}
		events += p.Events - v.base[name]
	}
	if v.failed != "" {
		return fmt.Sprintf("stopped (%s) %d/%d regions %s ev", v.failed, done, len(v.regions), group(events))
	}
	return fmt.Sprintf("%5.1f%% %d/%d regions %s ev", covered(v)*100, done, len(v.regions), group(events))
}

func (d *orgDisplay) status() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	rate := "- ev/s"
	if s := d.e.now().Sub(d.started).Seconds(); s > 0 {
		rate = fmt.Sprintf("%.0f ev/s", float64(d.events)/s)
	}
	return fmt.Sprintf("%d/%d accounts %s ev %s", d.finished, max(d.planned, d.known), group(d.events), rate)
}

// finish ends every bar and waits until they are drawn for the last time,
// or stops the progress lines.
func (d *orgDisplay) finish() {
	if d.stop != nil {
		close(d.stop)
		d.wg.Wait()
	}
	if d.bars == nil {
		return
	}
	d.mu.Lock()
	var bars []*mpb.Bar
	for _, v := range d.accounts {
		if v.bar != nil {
			bars = append(bars, v.bar)
		}
	}
	known := d.known
	d.mu.Unlock()
	for _, b := range bars {
		if !b.Completed() {
			b.Abort(true)
		}
	}
	if !d.total.Completed() {
		d.total.SetTotal(int64(known), true)
	}
	d.bars.Wait()
}
