package org

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/google/go-cmp/cmp"
	"github.com/trailguard/trailguard/internal/eventhistory"
	"github.com/trailguard/trailguard/internal/eventhistory/cloudtrailtest"
	"github.com/trailguard/trailguard/internal/eventhistory/manifest"
	"github.com/trailguard/trailguard/internal/eventhistory/output"
)

const (
	acctA = "111111111111"
	acctB = "222222222222"
	acctC = "333333333333"
)

var (
	testEnd   = cloudtrailtest.DefaultNewest.Add(time.Hour)
	testStart = testEnd.Add(-30 * 24 * time.Hour)
)

func newOrg(t testing.TB, opts cloudtrailtest.OrgOptions) *cloudtrailtest.Org {
	t.Helper()
	o := cloudtrailtest.NewOrg(opts)
	t.Cleanup(o.Close)
	return o
}

// fastOptions exports from o without pacing and with short backoffs.
func fastOptions(o *cloudtrailtest.Org, dir string) Options {
	return Options{
		Options: eventhistory.Options{
			AWS:                o.AWSConfig(),
			Dir:                dir,
			Start:              testStart,
			End:                testEnd,
			RequestsPerSecond:  math.Inf(1),
			MaxBackoff:         5 * time.Millisecond,
			MaxAttempts:        3,
			RetryMode:          aws.RetryModeStandard,
			CheckpointInterval: time.Nanosecond,
		},
		ListAccounts: func(ctx context.Context) ([]string, []SkippedAccount, error) {
			return ActiveAccounts(ctx, organizations.NewFromConfig(o.AWSConfig()))
		},
	}
}

// wantIDs returns the IDs of a region's n events, newest first.
func wantIDs(region string, n int) []string {
	var ids []string
	for i := range n {
		ids = append(ids, cloudtrailtest.EventID(region, i))
	}
	return ids
}

type record struct {
	ID        string `json:"eventID"`
	Region    string `json:"awsRegion"`
	Recipient string `json:"recipientAccountId"`
}

// readAccount returns the records of an account's region in file order.
func readAccount(t *testing.T, dir string, format eventhistory.Format, account, region string) []record {
	t.Helper()
	var recs []record
	if format == eventhistory.JSONLines {
		f, err := os.Open(filepath.Join(dir, account, region+".jsonl"))
		if os.IsNotExist(err) {
			return nil
		}
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			var r record
			if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
				t.Fatal(err)
			}
			recs = append(recs, r)
		}
		return recs
	}
	var files []string
	filepath.WalkDir(filepath.Join(dir, "AWSLogs", account, "CloudTrail", region), func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, path)
		}
		return nil
	})
	seq := regexp.MustCompile(`_trailguard(\d+)\.json\.gz$`)
	slices.SortFunc(files, func(a, b string) int {
		x, _ := strconv.Atoi(seq.FindStringSubmatch(a)[1])
		y, _ := strconv.Atoi(seq.FindStringSubmatch(b)[1])
		return x - y
	})
	for _, path := range files {
		if !regexp.MustCompile(`/AWSLogs/` + account + `/CloudTrail/` + region + `/\d{4}/\d{2}/\d{2}/` + account + `_CloudTrail_` + region + `_\d{8}T\d{4}Z_trailguard\d{6}\.json\.gz$`).MatchString(filepath.ToSlash(path)) {
			t.Errorf("log file %s is not in a trail's layout", path)
		}
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		zr, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct{ Records []record }
		if err := json.NewDecoder(zr).Decode(&doc); err != nil {
			t.Fatal(err)
		}
		f.Close()
		recs = append(recs, doc.Records...)
	}
	return recs
}

// checkAccounts verifies that each account's regions hold exactly their
// events, in order, once, and that the manifest covers the output.
func checkAccounts(t *testing.T, dir string, format eventhistory.Format, want map[string]map[string]int) {
	t.Helper()
	for account, regions := range want {
		for region, n := range regions {
			var got []string
			for _, r := range readAccount(t, dir, format, account, region) {
				got = append(got, r.ID)
				if r.Recipient != account || r.Region != region {
					t.Errorf("%s %s: record %s belongs to %s %s", account, region, r.ID, r.Recipient, r.Region)
				}
			}
			if diff := cmp.Diff(wantIDs(region, n), got); diff != "" {
				t.Errorf("%s %s: events (-want +got):\n%s", account, region, diff)
			}
		}
	}
	if _, err := os.Stat(filepath.Join(dir, output.StagingDir)); !os.IsNotExist(err) {
		t.Errorf("staging directory left after a complete export (stat: %v)", err)
	}
	bad, err := manifest.Check(filepath.Join(dir, manifest.FileName))
	if err != nil {
		t.Error(err)
	}
	for _, m := range bad {
		t.Errorf("manifest: %s %s", m.Path, m.Problem)
	}
}

func TestExport(t *testing.T) {
	regions := []string{"eu-west-1", "us-east-1"}
	for _, format := range eventhistory.Formats {
		t.Run(string(format), func(t *testing.T) {
			o := newOrg(t, cloudtrailtest.OrgOptions{Accounts: []cloudtrailtest.OrgAccount{
				{ID: acctA, History: cloudtrailtest.Options{Regions: regions, Events: 130}},
				{ID: acctB, History: cloudtrailtest.Options{Regions: regions[1:], Events: 70, DisabledRegions: []string{"me-south-1"}}},
				{ID: acctC, NoRole: true},
				{ID: "444444444444", State: "SUSPENDED"},
			}})
			opts := fastOptions(o, t.TempDir())
			opts.Format, opts.EventsPerFile = format, 40
			res, err := Export(context.Background(), opts)
			if err == nil {
				t.Fatal("Export() succeeded, want account C's role to fail")
			}
			checkAccounts(t, opts.Dir, format, map[string]map[string]int{
				acctA: {"eu-west-1": 130, "us-east-1": 130},
				acctB: {"us-east-1": 70},
			})
			var got []string
			for _, f := range res.Failures() {
				got = append(got, fmt.Sprintf("%s %s: %s", f.Account, f.Region, f.Reason))
			}
			if diff := cmp.Diff([]string{acctC + " : " + string(RoleUnavailable)}, got); diff != "" {
				t.Errorf("failures (-want +got):\n%s", diff)
			}
			var re *RoleError
			if !errors.As(err, &re) || re.RoleARN != "arn:aws:iam::"+acctC+":role/"+DefaultRoleName {
				t.Errorf("Export() error = %v, want a RoleError for account C's role", err)
			}
			if diff := cmp.Diff([]SkippedAccount{{"444444444444", "SUSPENDED"}}, res.Skipped); diff != "" {
				t.Errorf("skipped accounts (-want +got):\n%s", diff)
			}
			if done, events, _ := res.Counts(); done != 2 || events != 330 || len(res.Accounts) != 3 {
				t.Errorf("%d of %d accounts done with %d events, want 2 of 3 (the suspended one left out) with 330", done, len(res.Accounts), events)
			}
		})
	}
}

// TestFailureReasons classifies what keeps accounts and regions from being
// read, from the SDK's errors.
func TestFailureReasons(t *testing.T) {
	always := func(f cloudtrailtest.Fault) func(cloudtrailtest.Request) cloudtrailtest.Fault {
		return func(cloudtrailtest.Request) cloudtrailtest.Fault { return f }
	}
	o := newOrg(t, cloudtrailtest.OrgOptions{Accounts: []cloudtrailtest.OrgAccount{
		{ID: acctA, History: cloudtrailtest.Options{Regions: []string{"us-east-1"}, Events: 10, Fault: always(cloudtrailtest.AccessDenied)}},
		{ID: acctB, History: cloudtrailtest.Options{Regions: []string{"us-east-1"}, Events: 10}},
		{ID: acctC, NoRole: true},
	}})
	opts := fastOptions(o, t.TempDir())
	opts.Regions = []string{"us-east-1", "me-south-1"}
	res, err := Export(context.Background(), opts)
	if err == nil {
		t.Fatal("Export() succeeded")
	}
	got := map[string]Reason{}
	for _, f := range res.Failures() {
		got[f.Account+" "+f.Region] = f.Reason
	}
	want := map[string]Reason{
		acctA + " me-south-1": RegionDisabled,
		acctA + " us-east-1":  AccessDenied,
		acctB + " me-south-1": RegionDisabled,
		acctC + " ":           RoleUnavailable,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("failure reasons (-want +got):\n%s", diff)
	}
	checkAccounts(t, opts.Dir, eventhistory.JSONLines, map[string]map[string]int{acctB: {"us-east-1": 10}})
}

// TestResume interrupts an organization export and runs it again, twice:
// every account and region ends with each event once; the third run has
// nothing to do and assumes no role.
func TestResume(t *testing.T) {
	regions := []string{"eu-west-1", "us-east-1"}
	for _, format := range eventhistory.Formats {
		for _, expire := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/tokens expired=%v", format, expire), func(t *testing.T) {
				var accounts []cloudtrailtest.OrgAccount
				want := map[string]map[string]int{}
				for i := range 5 {
					id := fmt.Sprintf("%012d", 100000000001+i)
					accounts = append(accounts, cloudtrailtest.OrgAccount{ID: id, History: cloudtrailtest.Options{Regions: regions, Events: 300}})
					want[id] = map[string]int{"eu-west-1": 300, "us-east-1": 300}
				}
				o := newOrg(t, cloudtrailtest.OrgOptions{Accounts: accounts})
				opts := fastOptions(o, t.TempDir())
				opts.Format, opts.EventsPerFile, opts.Workers = format, 70, 4
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				var pages atomic.Int64
				opts.Observer = observerFunc(func(p eventhistory.Progress) {
					if !p.Done && pages.Add(1) == 15 {
						cancel()
					}
				})
				res, err := Export(ctx, opts)
				if !errors.Is(err, eventhistory.ErrInterrupted) {
					t.Fatalf("first run: Export() error = %v, want interrupted", err)
				}
				if done, _, _ := res.Counts(); done == len(accounts) {
					t.Fatal("first run completed every account: the test interrupted nothing")
				}
				if expire {
					for _, a := range accounts {
						o.Account(a.ID).ExpireTokens()
					}
				}
				again := fastOptions(o, opts.Dir)
				again.Start, again.End = time.Time{}, time.Time{}
				res, err = Export(context.Background(), again)
				if err != nil {
					t.Fatalf("second run: %v", err)
				}
				if !res.Resumed {
					t.Error("second run did not resume")
				}
				checkAccounts(t, opts.Dir, format, want)
				before := 0
				for _, a := range accounts {
					before += o.AssumeRoleCalls(a.ID)
				}
				res, err = Export(context.Background(), again)
				if err != nil || !res.AlreadyComplete {
					t.Fatalf("third run: error %v, already complete %v; want nothing to do", err, res != nil && res.AlreadyComplete)
				}
				after := 0
				for _, a := range accounts {
					after += o.AssumeRoleCalls(a.ID)
				}
				if after != before {
					t.Errorf("third run assumed %d roles, want none", after-before)
				}
			})
		}
	}
}

type observerFunc func(eventhistory.Progress)

func (f observerFunc) Observe(p eventhistory.Progress) { f(p) }

func TestOptionErrors(t *testing.T) {
	o := newOrg(t, cloudtrailtest.OrgOptions{Accounts: []cloudtrailtest.OrgAccount{{ID: acctA, History: cloudtrailtest.Options{Events: 5}}}})
	done := t.TempDir()
	if _, err := Export(context.Background(), fastOptions(o, done)); err != nil {
		t.Fatal(err)
	}
	notEmpty := t.TempDir()
	os.WriteFile(filepath.Join(notEmpty, "notes.txt"), nil, 0o600)
	tests := []struct {
		name   string
		modify func(*Options)
	}{
		{"bad account", func(o *Options) { o.Accounts = []string{"12345"} }},
		{"non-empty directory", func(o *Options) { o.Dir = notEmpty }},
		{"resume with other accounts", func(o *Options) { o.Dir, o.Accounts = done, []string{acctB} }},
		{"resume with another role", func(o *Options) { o.Dir, o.RoleName = done, "other" }},
		{"resume with another format", func(o *Options) { o.Dir, o.Format = done, eventhistory.CloudTrailFiles }},
		{"resume with a lookup", func(o *Options) { o.Dir, o.Lookup = done, &eventhistory.Lookup{Key: "EventName", Value: "x"} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := fastOptions(o, t.TempDir())
			tt.modify(&opts)
			_, err := Export(context.Background(), opts)
			var oe *eventhistory.OptionError
			if !errors.As(err, &oe) {
				t.Errorf("Export() error = %v, want an *OptionError", err)
			}
		})
	}
}

func TestActiveAccounts(t *testing.T) {
	o := newOrg(t, cloudtrailtest.OrgOptions{Accounts: []cloudtrailtest.OrgAccount{
		{ID: acctA}, {ID: acctB, State: "SUSPENDED"}, {ID: acctC}, {ID: "444444444444", State: "PENDING_CLOSURE"}, {ID: "555555555555"},
	}})
	got, skipped, err := ActiveAccounts(context.Background(), organizations.NewFromConfig(o.AWSConfig()))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{acctA, acctC, "555555555555"}, got); diff != "" {
		t.Errorf("active accounts (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]SkippedAccount{{acctB, "SUSPENDED"}, {"444444444444", "PENDING_CLOSURE"}}, skipped); diff != "" {
		t.Errorf("skipped accounts (-want +got):\n%s", diff)
	}
	denied := newOrg(t, cloudtrailtest.OrgOptions{DenyListAccounts: true})
	_, _, err = ActiveAccounts(context.Background(), organizations.NewFromConfig(denied.AWSConfig()))
	var pe *eventhistory.PermissionError
	if !errors.As(err, &pe) || pe.Action != "organizations:ListAccounts" {
		t.Errorf("ActiveAccounts() error = %v, want a PermissionError for organizations:ListAccounts", err)
	}
}

// TestWorkersBound checks that no more account-regions than Workers send
// requests at once, across accounts.
func TestWorkersBound(t *testing.T) {
	var inFlight, most atomic.Int64
	slow := func(cloudtrailtest.Request) cloudtrailtest.Fault {
		n := inFlight.Add(1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		time.Sleep(2 * time.Millisecond)
		inFlight.Add(-1)
		return cloudtrailtest.NoFault
	}
	var accounts []cloudtrailtest.OrgAccount
	want := map[string]map[string]int{}
	for i := range 6 {
		id := fmt.Sprintf("%012d", 100000000001+i)
		accounts = append(accounts, cloudtrailtest.OrgAccount{ID: id, History: cloudtrailtest.Options{
			Regions: []string{"eu-west-1", "us-east-1"}, Events: 150, Fault: slow,
		}})
		want[id] = map[string]int{"eu-west-1": 150, "us-east-1": 150}
	}
	o := newOrg(t, cloudtrailtest.OrgOptions{Accounts: accounts})
	opts := fastOptions(o, t.TempDir())
	opts.Workers = 3
	if _, err := Export(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	if got := most.Load(); got > 3 || got < 2 {
		t.Errorf("at most %d requests in flight, want 2 or 3 (Workers is 3)", got)
	}
	checkAccounts(t, opts.Dir, eventhistory.JSONLines, want)
}

// TestCredentialExpiry exports while the assumed roles' credentials expire,
// with AWS's clock 0.6 s ahead of ours: credentials are refreshed before
// they expire, and a request rejected as expired anyway is retried with new
// credentials.
func TestCredentialExpiry(t *testing.T) {
	tests := []struct {
		name   string
		window time.Duration
		// wantExpired: whether AWS must have rejected some credentials.
		wantExpired bool
	}{
		{name: "refreshed ahead of expiry", window: time.Second},
		{name: "expired token refreshed and retried", window: time.Nanosecond, wantExpired: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := newOrg(t, cloudtrailtest.OrgOptions{
				CredentialDuration: 1500 * time.Millisecond, ClockSkew: 600 * time.Millisecond,
				Accounts: []cloudtrailtest.OrgAccount{
					{ID: acctA, History: cloudtrailtest.Options{Regions: []string{"us-east-1"}, Events: 2000}},
					{ID: acctB, History: cloudtrailtest.Options{Regions: []string{"us-east-1"}, Events: 2000}},
				},
			})
			opts := fastOptions(o, t.TempDir())
			// 40 pages an account at 15 a second: about 2.7 s, past the
			// credentials' expiry.
			opts.RequestsPerSecond = 15
			opts.CredentialsExpiryWindow = tt.window
			if _, err := Export(context.Background(), opts); err != nil {
				t.Fatalf("Export() error = %v (AWS rejected %d requests as expired)", err, o.Expired())
			}
			checkAccounts(t, opts.Dir, eventhistory.JSONLines, map[string]map[string]int{acctA: {"us-east-1": 2000}, acctB: {"us-east-1": 2000}})
			if got := o.Expired() > 0; got != tt.wantExpired {
				t.Errorf("AWS rejected %d requests as expired; want some: %v", o.Expired(), tt.wantExpired)
			}
			t.Logf("%d requests rejected as expired and retried; roles assumed %d and %d times", o.Expired(), o.AssumeRoleCalls(acctA), o.AssumeRoleCalls(acctB))
			if o.AssumeRoleCalls(acctA) < 2 {
				t.Errorf("account A's role assumed %d times, want a refresh", o.AssumeRoleCalls(acctA))
			}
		})
	}
}

// TestAssumeRoleFailures checks that only a denied AssumeRole is reported
// as a role missing or not trusted: throttling is retried, and the
// investigator's own expired session is named as such.
func TestAssumeRoleFailures(t *testing.T) {
	tests := []struct {
		name       string
		org        cloudtrailtest.OrgOptions
		wantReason Reason
		wantMsg    string
	}{
		{name: "throttled, then allowed", org: cloudtrailtest.OrgOptions{ThrottleAssumeRole: 5}},
		{name: "throttled on every try", org: cloudtrailtest.OrgOptions{ThrottleAssumeRole: 1000},
			wantReason: Throttled, wantMsg: "STS throttled it 10 times in a row"},
		{name: "the investigator's session expired", org: cloudtrailtest.OrgOptions{CallerExpired: true},
			wantReason: CredentialsExpired, wantMsg: "your own AWS credentials expired"},
		{name: "denied", org: cloudtrailtest.OrgOptions{Accounts: []cloudtrailtest.OrgAccount{{ID: acctA, NoRole: true}}},
			wantReason: RoleUnavailable, wantMsg: "the role is missing, or its trust policy does not trust the caller"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.org.Accounts == nil {
				tt.org.Accounts = []cloudtrailtest.OrgAccount{{ID: acctA, History: cloudtrailtest.Options{Events: 10}}}
			}
			o := newOrg(t, tt.org)
			opts := fastOptions(o, t.TempDir())
			res, err := Export(context.Background(), opts)
			if tt.wantReason == "" {
				if err != nil {
					t.Fatalf("Export() error = %v (%d AssumeRole calls throttled)", err, o.Throttled())
				}
				checkAccounts(t, opts.Dir, eventhistory.JSONLines, map[string]map[string]int{acctA: {"us-east-1": 10}})
				return
			}
			fs := res.Failures()
			if len(fs) != 1 || fs[0].Reason != tt.wantReason || !strings.Contains(fs[0].Err.Error(), tt.wantMsg) {
				t.Errorf("failures %v, want one %q saying %q", fs, tt.wantReason, tt.wantMsg)
			}
		})
	}
}

// TestPartition exports an organization in AWS GovCloud (US): role ARNs
// take the partition of the investigator's region.
func TestPartition(t *testing.T) {
	for _, tt := range []struct{ region, partition string }{
		{"us-gov-west-1", "aws-us-gov"}, {"cn-north-1", "aws-cn"}, {"eu-west-1", "aws"},
	} {
		t.Run(tt.partition, func(t *testing.T) {
			o := newOrg(t, cloudtrailtest.OrgOptions{Partition: tt.partition, Accounts: []cloudtrailtest.OrgAccount{
				{ID: acctA, History: cloudtrailtest.Options{Regions: []string{tt.region}, Events: 20}},
			}})
			opts := fastOptions(o, t.TempDir())
			opts.AWS.Region = tt.region
			if _, err := Export(context.Background(), opts); err != nil {
				t.Fatal(err)
			}
			checkAccounts(t, opts.Dir, eventhistory.JSONLines, map[string]map[string]int{acctA: {tt.region: 20}})
		})
	}
}

// TestLeftoverTempFiles resumes an export that a SIGKILL stopped in the
// middle of saving its checkpoints: the temporary files it left are
// removed, nothing else.
func TestLeftoverTempFiles(t *testing.T) {
	o := newOrg(t, cloudtrailtest.OrgOptions{Accounts: []cloudtrailtest.OrgAccount{
		{ID: acctA, History: cloudtrailtest.Options{Events: 30}},
	}})
	opts := fastOptions(o, t.TempDir())
	if _, err := Export(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	// What durable.WriteFile leaves when killed between create and rename.
	ckDir := eventhistory.CheckpointDir(opts.Dir, acctA)
	leftovers := []string{
		filepath.Join(ckDir, ".checkpoint.json.tmp-123456"),
		filepath.Join(opts.Dir, "."+StateFile+".tmp-98765"),
		filepath.Join(opts.Dir, ".MANIFEST.sha256.tmp-42"),
	}
	for _, p := range leftovers {
		if err := os.WriteFile(p, []byte(`{"partial`), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	keep := filepath.Join(opts.Dir, "notes.tmp-not-ours")
	os.WriteFile(keep, nil, 0o600)
	again := fastOptions(o, opts.Dir)
	if _, err := Export(context.Background(), again); err != nil {
		t.Fatal(err)
	}
	for _, p := range leftovers {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s left behind (stat: %v)", p, err)
		}
	}
	if _, err := os.Stat(keep); err != nil {
		t.Errorf("a file not ours was removed: %v", err)
	}
}
