package eventhistory

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/account"
	"github.com/google/go-cmp/cmp"
	"github.com/trailguard/trailguard/internal/eventhistory/checkpoint"
	"github.com/trailguard/trailguard/internal/eventhistory/cloudtrailtest"
	"github.com/trailguard/trailguard/internal/eventhistory/manifest"
	"github.com/trailguard/trailguard/internal/eventhistory/output"
)

func newServer(t testing.TB, opts cloudtrailtest.Options) *cloudtrailtest.Server {
	t.Helper()
	s := cloudtrailtest.NewServer(opts)
	t.Cleanup(s.Close)
	return s
}

// testWindow is the time window the tests export: the 30 days up to just
// after the synthetic history's newest event.
var (
	testEnd   = cloudtrailtest.DefaultNewest.Add(time.Hour)
	testStart = testEnd.Add(-30 * 24 * time.Hour)
)

// fastOptions exports from srv without pacing and with short retry
// backoffs, so that tests take milliseconds; the server's own rate limit, if
// any, still throttles.
func fastOptions(srv *cloudtrailtest.Server, dir string, regions ...string) Options {
	return Options{
		AWS:                srv.AWSConfig(),
		Dir:                dir,
		Start:              testStart,
		End:                testEnd,
		Regions:            regions,
		RequestsPerSecond:  math.Inf(1),
		MaxBackoff:         5 * time.Millisecond,
		CheckpointInterval: time.Nanosecond, // every page
	}
}

// wantIDs returns the IDs of a region's events [0, n) that keep accepts,
// newest first: the order LookupEvents returns them in, and so the order of
// the output.
func wantIDs(region string, n int, keep func(i int) bool) []string {
	var ids []string
	for i := range n {
		if keep == nil || keep(i) {
			ids = append(ids, cloudtrailtest.EventID(region, i))
		}
	}
	return ids
}

type exported struct {
	ID     string `json:"eventID"`
	Region string `json:"awsRegion"`
	Source string `json:"eventSource"`
}

// readExport returns the records of a region's output in file order.
func readExport(t *testing.T, dir string, format Format, region string) []exported {
	t.Helper()
	var recs []exported
	if format == CloudTrailFiles {
		root := filepath.Join(dir, "AWSLogs", cloudtrailtest.Account, "CloudTrail", region)
		var files []string
		filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				files = append(files, path)
			}
			return nil
		})
		seq := regexp.MustCompile(`trailguard(\d+)\.json\.gz$`)
		slices.SortFunc(files, func(a, b string) int {
			return cmpString(seq.FindStringSubmatch(a)[1], seq.FindStringSubmatch(b)[1])
		})
		for _, path := range files {
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			zr, err := gzip.NewReader(f)
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			var doc struct{ Records []exported }
			if err := json.NewDecoder(zr).Decode(&doc); err != nil {
				t.Fatalf("%s is not a CloudTrail log file: %v", path, err)
			}
			f.Close()
			recs = append(recs, doc.Records...)
		}
		return recs
	}
	f, err := os.Open(filepath.Join(dir, region+".jsonl"))
	if os.IsNotExist(err) {
		return nil // a region without events has no file
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r exported
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("line %d of %s.jsonl: %v", len(recs)+1, region, err)
		}
		recs = append(recs, r)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return recs
}

func cmpString(a, b string) int {
	switch {
	case len(a) != len(b):
		return len(a) - len(b)
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// checkExport verifies that each region's output holds exactly the wanted
// events, in order, as full records of that region.
func checkExport(t *testing.T, dir string, format Format, want map[string][]string) {
	t.Helper()
	for region, ids := range want {
		recs := readExport(t, dir, format, region)
		var got []string
		for _, r := range recs {
			got = append(got, r.ID)
			if r.Region != region || r.Source == "" {
				t.Errorf("%s: record %s is not a full record of the region: %+v", region, r.ID, r)
			}
		}
		if diff := cmp.Diff(ids, got); diff != "" {
			t.Errorf("%s: exported events (-want +got):\n%s", region, diff)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, output.StagingDir)); !os.IsNotExist(err) {
		t.Errorf("staging directory left after a complete export (stat: %v)", err)
	}
	checkManifest(t, filepath.Join(dir, manifest.FileName))
}

// checkManifest verifies that the manifest at path lists every output file
// with its hash, and nothing else.
func checkManifest(t *testing.T, path string) {
	t.Helper()
	bad, err := manifest.Check(path)
	if err != nil {
		t.Errorf("manifest: %v", err)
	}
	for _, m := range bad {
		t.Errorf("manifest: %s %s", m.Path, m.Problem)
	}
}

func TestExport(t *testing.T) {
	eventName := func(name string) func(int) bool {
		return func(i int) bool { return cloudtrailtest.EventName(i) == name }
	}
	tests := []struct {
		name      string
		server    cloudtrailtest.Options
		regions   []string
		format    Format
		perFile   int
		lookup    string
		start     time.Time
		end       time.Time
		keep      func(i int) bool
		wantPages int64 // per region, 0: don't check
	}{
		{
			name:      "one region, pages ending mid-second",
			server:    cloudtrailtest.Options{Events: 237},
			regions:   []string{"us-east-1"},
			wantPages: 5,
		},
		{
			name:    "regions in parallel",
			server:  cloudtrailtest.Options{Regions: []string{"eu-west-1", "us-east-1", "ap-south-2"}, Events: 160},
			regions: []string{"eu-west-1", "us-east-1", "ap-south-2"},
		},
		{
			name:      "empty history",
			server:    cloudtrailtest.Options{Events: 0},
			regions:   []string{"us-east-1"},
			wantPages: 1,
		},
		{
			name:      "exactly one full page",
			server:    cloudtrailtest.Options{Events: 50},
			regions:   []string{"us-east-1"},
			wantPages: 1,
		},
		{
			name:    "lookup attribute",
			server:  cloudtrailtest.Options{Events: 300},
			regions: []string{"us-east-1"},
			lookup:  "eventname=ConsoleLogin",
			keep:    eventName("ConsoleLogin"),
		},
		{
			name:    "time window inside the history",
			server:  cloudtrailtest.Options{Events: 300, EventsPerSecond: 2},
			regions: []string{"us-east-1"},
			start:   cloudtrailtest.DefaultNewest.Add(-100 * time.Second),
			end:     cloudtrailtest.DefaultNewest.Add(-10 * time.Second),
			// Event i happens i/2 seconds before the newest: seconds 10-100
			// are events 20-201.
			keep: func(i int) bool { return i >= 20 && i <= 201 },
		},
		{
			name: "transient 5xx",
			server: cloudtrailtest.Options{Events: 400, Fault: func(r cloudtrailtest.Request) cloudtrailtest.Fault {
				switch r.N % 4 {
				case 1:
					return cloudtrailtest.InternalError
				case 2:
					return cloudtrailtest.ServiceUnavailable
				}
				return cloudtrailtest.NoFault
			}},
			regions:   []string{"us-east-1"},
			wantPages: 8,
		},
		{
			name:    "cloudtrail log files across midnight",
			server:  cloudtrailtest.Options{Events: 260, Newest: time.Date(2026, 3, 2, 0, 0, 30, 0, time.UTC)},
			regions: []string{"us-east-1"},
			format:  CloudTrailFiles,
			perFile: 40,
			start:   time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC),
			end:     time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC),
		},
		{
			name:    "cloudtrail log files, regions in parallel",
			server:  cloudtrailtest.Options{Regions: []string{"eu-west-1", "us-east-1"}, Events: 230},
			regions: []string{"eu-west-1", "us-east-1"},
			format:  CloudTrailFiles,
			perFile: 100,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, tt.server)
			opts := fastOptions(srv, t.TempDir(), tt.regions...)
			opts.Format, opts.EventsPerFile = tt.format, tt.perFile
			if !tt.start.IsZero() {
				opts.Start, opts.End = tt.start, tt.end
			}
			if tt.lookup != "" {
				l, err := ParseLookup(tt.lookup)
				if err != nil {
					t.Fatal(err)
				}
				opts.Lookup = l
			}
			res, err := Export(context.Background(), opts)
			if err != nil {
				t.Fatalf("Export() error = %v", err)
			}
			format := tt.format
			if format == "" {
				format = JSONLines
			}
			want := map[string][]string{}
			for _, r := range tt.regions {
				want[r] = wantIDs(r, tt.server.Events, tt.keep)
			}
			checkExport(t, opts.Dir, format, want)
			for _, rr := range res.Regions {
				if !rr.Done || rr.Events != int64(len(want[rr.Region])) {
					t.Errorf("%s: result %+v, want done with %d events", rr.Region, rr, len(want[rr.Region]))
				}
				if tt.wantPages != 0 && rr.Pages != tt.wantPages {
					t.Errorf("%s: %d pages, want %d", rr.Region, rr.Pages, tt.wantPages)
				}
			}
		})
	}
}

// TestExportLogFileLayout checks that log files are split at UTC midnight
// and at the per-file limit, and named as CloudTrail names them.
func TestExportLogFileLayout(t *testing.T) {
	srv := newServer(t, cloudtrailtest.Options{Events: 12, EventsPerSecond: 1, Newest: time.Date(2026, 3, 2, 0, 0, 4, 0, time.UTC)})
	opts := fastOptions(srv, t.TempDir(), "us-east-1")
	opts.Format, opts.EventsPerFile = CloudTrailFiles, 4
	if _, err := Export(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	var got []string
	filepath.WalkDir(opts.Dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && filepath.Base(path) != checkpoint.FileName {
			rel, _ := filepath.Rel(opts.Dir, path)
			got = append(got, filepath.ToSlash(rel))
		}
		return nil
	})
	// Events 0-4 are at 00:00:04 back to 00:00:00 on March 2, events 5-11
	// on March 1 from 23:59:59.
	dir := "AWSLogs/123456789012/CloudTrail/us-east-1/"
	want := []string{
		dir + "2026/03/01/123456789012_CloudTrail_us-east-1_20260301T2359Z_trailguard000002.json.gz",
		dir + "2026/03/01/123456789012_CloudTrail_us-east-1_20260301T2359Z_trailguard000003.json.gz",
		dir + "2026/03/02/123456789012_CloudTrail_us-east-1_20260302T0000Z_trailguard000000.json.gz",
		dir + "2026/03/02/123456789012_CloudTrail_us-east-1_20260302T0000Z_trailguard000001.json.gz",
		manifest.FileName,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
}

// TestResume interrupts exports in different ways and checks that the next
// run completes them with every event exactly once, in order.
func TestResume(t *testing.T) {
	const events = 500 // 10 pages per region
	regions := []string{"eu-west-1", "us-east-1"}
	tests := []struct {
		name string
		// fail, while set, makes the server fail requests with this fault
		// once a region has been served this many pages.
		fault      cloudtrailtest.Fault
		failAfter  int64
		failRegion string
		// cancelAfter cancels the first run after this many pages.
		cancelAfter int64
		// expire expires the server's NextTokens before the second run.
		expire           bool
		wantErr          func(error) bool
		wantTokenResumes int
		wantWindow       int
	}{
		{
			name:  "access denied mid-export",
			fault: cloudtrailtest.AccessDenied, failAfter: 3, failRegion: "us-east-1",
			wantErr: func(err error) bool {
				var pe *PermissionError
				return errors.As(err, &pe) && pe.Action == "cloudtrail:LookupEvents"
			},
			wantTokenResumes: 1,
		},
		{
			name:  "server errors beyond the retries",
			fault: cloudtrailtest.InternalError, failAfter: 4, failRegion: "eu-west-1",
			wantErr:          func(err error) bool { return err != nil },
			wantTokenResumes: 1,
		},
		{
			name:  "credentials expire, and so do the NextTokens",
			fault: cloudtrailtest.ExpiredToken, failAfter: 6, failRegion: "us-east-1",
			expire: true,
			wantErr: func(err error) bool {
				var ce *CredentialsError
				return errors.As(err, &ce)
			},
			wantTokenResumes: 1,
			wantWindow:       1,
		},
		{
			name:        "interrupted",
			cancelAfter: 5,
			wantErr:     func(err error) bool { return errors.Is(err, ErrInterrupted) },
		},
		{
			name:        "interrupted, tokens expired",
			cancelAfter: 7,
			expire:      true,
			wantErr:     func(err error) bool { return errors.Is(err, ErrInterrupted) },
		},
	}
	for _, tt := range tests {
		for _, format := range Formats {
			t.Run(fmt.Sprintf("%s/%s", tt.name, format), func(t *testing.T) {
				var failing atomic.Bool
				failing.Store(tt.fault != cloudtrailtest.NoFault)
				srv := newServer(t, cloudtrailtest.Options{
					Regions: regions, Events: events,
					Fault: func(r cloudtrailtest.Request) cloudtrailtest.Fault {
						if failing.Load() && r.Region == tt.failRegion && r.Pages >= tt.failAfter {
							return tt.fault
						}
						return cloudtrailtest.NoFault
					},
				})
				opts := fastOptions(srv, t.TempDir(), regions...)
				opts.Format, opts.EventsPerFile = format, 120
				opts.MaxAttempts = 3

				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				if tt.cancelAfter > 0 {
					opts.Observer = observerFunc(func(p Progress) {
						if p.Region == "us-east-1" && p.Pages >= tt.cancelAfter {
							cancel()
						}
					})
				}
				res, err := Export(ctx, opts)
				if !tt.wantErr(err) {
					t.Fatalf("first run: Export() error = %v, not the expected kind", err)
				}
				if res.Events() >= 2*events {
					t.Fatalf("first run exported all %d events: the test interrupted nothing", res.Events())
				}

				failing.Store(false)
				if tt.expire {
					srv.ExpireTokens()
				}
				// The second run names no window, format or regions: it
				// resumes the export with the options of the first.
				again := opts
				again.Start, again.End, again.Regions, again.Format, again.Observer = time.Time{}, time.Time{}, nil, "", nil
				res, err = Export(context.Background(), again)
				if err != nil {
					t.Fatalf("second run: Export() error = %v", err)
				}
				if !res.Resumed {
					t.Error("second run did not resume the first")
				}
				checkExport(t, opts.Dir, format, map[string][]string{
					"eu-west-1": wantIDs("eu-west-1", events, nil),
					"us-east-1": wantIDs("us-east-1", events, nil),
				})
				var tokens, windows int
				for _, rr := range res.Regions {
					tokens += rr.TokenResumes
					windows += rr.WindowResumes
				}
				if tt.cancelAfter == 0 && (tokens != tt.wantTokenResumes || windows != tt.wantWindow) {
					t.Errorf("resumed %d times by token and %d by window, want %d and %d", tokens, windows, tt.wantTokenResumes, tt.wantWindow)
				}
				if tt.expire && windows == 0 {
					t.Error("tokens expired but no region resumed by time window")
				}
			})
		}
	}
}

// TestResumeAfterCrash simulates a crash between writing a page and saving
// its checkpoint: the output holds a page the checkpoint does not know about
// (and, for log files, a complete file sealed in that page). The next run
// must neither lose nor repeat an event.
func TestResumeAfterCrash(t *testing.T) {
	for _, format := range Formats {
		for _, expire := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/tokens expired=%v", format, expire), func(t *testing.T) {
				srv := newServer(t, cloudtrailtest.Options{Events: 480})
				opts := fastOptions(srv, t.TempDir(), "us-east-1")
				// Log file 1 (events 80-159) is sealed while page 4 (events
				// 150-199) is written, after the checkpoint of page 3.
				opts.Format, opts.EventsPerFile = format, 80
				path := checkpoint.Path(opts.Dir)
				var saved []byte
				opts.Observer = observerFunc(func(p Progress) {
					if p.Pages != 3 || saved != nil {
						return
					}
					// The checkpoint of page 3 is saved. Keep it, and make
					// every later save fail, as if the process died before it.
					var err error
					if saved, err = os.ReadFile(path); err != nil {
						t.Error(err)
					}
					os.Remove(path)
					os.MkdirAll(filepath.Join(path, "blocked"), 0o755)
				})
				if _, err := Export(context.Background(), opts); err == nil {
					t.Fatal("Export() with failing checkpoints succeeded")
				}
				os.RemoveAll(path)
				if err := os.WriteFile(path, saved, 0o644); err != nil {
					t.Fatal(err)
				}
				if expire {
					srv.ExpireTokens()
				}
				opts.Observer = nil
				res, err := Export(context.Background(), opts)
				if err != nil {
					t.Fatal(err)
				}
				checkExport(t, opts.Dir, format, map[string][]string{"us-east-1": wantIDs("us-east-1", 480, nil)})
				if rr := res.Regions[0]; expire != (rr.WindowResumes == 1) || rr.TokenResumes != 1 {
					t.Errorf("resumed %d times by token and %d by window", rr.TokenResumes, rr.WindowResumes)
				}
			})
		}
	}
}

// TestResumeWithoutToken resumes a region whose events are all written but
// whose checkpoint has no NextToken and is not done, as when writing the end
// of the output failed: it must continue from the cursor, not from the end of
// the window, and write nothing twice.
func TestResumeWithoutToken(t *testing.T) {
	srv := newServer(t, cloudtrailtest.Options{Events: 170})
	opts := fastOptions(srv, t.TempDir(), "us-east-1")
	if _, err := Export(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	state, err := checkpoint.Load(opts.Dir)
	if err != nil {
		t.Fatal(err)
	}
	r := state.Regions["us-east-1"]
	r.Done, r.NextToken = false, ""
	if err := checkpoint.Open(opts.Dir, state).Save("us-east-1", r); err != nil {
		t.Fatal(err)
	}
	res, err := Export(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	checkExport(t, opts.Dir, JSONLines, map[string][]string{"us-east-1": wantIDs("us-east-1", 170, nil)})
	if rr := res.Regions[0]; !rr.Done || rr.WindowResumes != 1 {
		t.Errorf("result %+v, want done after one resume by window", rr)
	}
}

type observerFunc func(Progress)

func (f observerFunc) Observe(p Progress) { f(p) }

// TestRateLimit runs a small export at the real rate: the server allows 2
// requests per second per region, and the client must not be throttled.
func TestRateLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("takes about 2 seconds")
	}
	regions := []string{"eu-west-1", "us-east-1"}
	srv := newServer(t, cloudtrailtest.Options{Regions: regions, Events: 200, RequestsPerSecond: DefaultRequestsPerSecond})
	opts := fastOptions(srv, t.TempDir(), regions...)
	opts.RequestsPerSecond = 0 // the default, 2 per second
	if _, err := Export(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	for _, r := range regions {
		st := srv.Stats(r)
		if st.Throttled != 0 {
			t.Errorf("%s: %d of %d requests throttled, want none", r, st.Throttled, st.Requests)
		}
		// The limiter spaces requests by 1/rate; arrival jitter cannot make
		// the sustained rate much higher.
		if rate := st.RequestRate(); rate > 1.1*DefaultRequestsPerSecond {
			t.Errorf("%s: %.2f requests per second, above the limit of %v", r, rate, DefaultRequestsPerSecond)
		}
	}
	checkExport(t, opts.Dir, JSONLines, map[string][]string{
		"eu-west-1": wantIDs("eu-west-1", 200, nil),
		"us-east-1": wantIDs("us-east-1", 200, nil),
	})
}

// TestThrottled runs an unpaced client against a rate-limited server: the
// server throttles, and the retries still get every event, in both retry
// modes. (Adaptive mode slows down for seconds after throttling: few pages.)
func TestThrottled(t *testing.T) {
	for _, mode := range []aws.RetryMode{aws.RetryModeAdaptive, aws.RetryModeStandard} {
		t.Run(string(mode), func(t *testing.T) {
			// Eight pages at 10 requests per second: only a client slower than 100 ms a request
			// would never be throttled, even on a loaded machine (40 per second and three pages
			// went unthrottled under load).
			srv := newServer(t, cloudtrailtest.Options{Events: 400, RequestsPerSecond: 10, Burst: 1})
			opts := fastOptions(srv, t.TempDir(), "us-east-1")
			opts.RetryMode = mode
			opts.MaxBackoff = 20 * time.Millisecond
			opts.MaxAttempts = 20
			if _, err := Export(context.Background(), opts); err != nil {
				t.Fatal(err)
			}
			if st := srv.Stats("us-east-1"); st.Throttled == 0 {
				t.Errorf("server throttled none of %d requests: the test does not exercise throttling", st.Requests)
			}
			checkExport(t, opts.Dir, JSONLines, map[string][]string{"us-east-1": wantIDs("us-east-1", 400, nil)})
		})
	}
}

// TestCutOffResponses cuts every third response off in the middle of its
// body, as a dropped connection does: LookupEvents only reads, so the SDK's
// retryer must try again, and the export must get every event once.
func TestCutOffResponses(t *testing.T) {
	for _, format := range Formats {
		t.Run(string(format), func(t *testing.T) {
			srv := newServer(t, cloudtrailtest.Options{Events: 400, Fault: func(r cloudtrailtest.Request) cloudtrailtest.Fault {
				if r.N%3 == 0 {
					return cloudtrailtest.CutOff
				}
				return cloudtrailtest.NoFault
			}})
			opts := fastOptions(srv, t.TempDir(), "us-east-1")
			opts.Format, opts.EventsPerFile = format, 120
			opts.MaxAttempts = 3
			opts.RetryMode = aws.RetryModeStandard
			if _, err := Export(context.Background(), opts); err != nil {
				t.Fatalf("Export() error = %v, want the cut-off responses retried", err)
			}
			if st := srv.Stats("us-east-1"); st.Faults == 0 {
				t.Fatal("the server cut no response off: the test exercises nothing")
			}
			checkExport(t, opts.Dir, format, map[string][]string{"us-east-1": wantIDs("us-east-1", 400, nil)})
		})
	}
}

// TestNoEmptyFiles exports a region that has no events and one that is
// denied access: neither leaves a file behind, in either format.
func TestNoEmptyFiles(t *testing.T) {
	for _, format := range Formats {
		t.Run(string(format), func(t *testing.T) {
			srv := newServer(t, cloudtrailtest.Options{Regions: []string{"eu-west-1", "us-east-1"}, Events: 0,
				Fault: func(r cloudtrailtest.Request) cloudtrailtest.Fault {
					if r.Region == "eu-west-1" {
						return cloudtrailtest.AccessDenied
					}
					return cloudtrailtest.NoFault
				}})
			opts := fastOptions(srv, t.TempDir(), "eu-west-1", "us-east-1")
			opts.Format = format
			if _, err := Export(context.Background(), opts); err == nil {
				t.Fatal("Export() succeeded, want eu-west-1 denied")
			}
			var got []string
			filepath.WalkDir(opts.Dir, func(path string, d fs.DirEntry, err error) error {
				if err == nil && path != opts.Dir && d.Name() != checkpoint.FileName && d.Name() != manifest.FileName {
					got = append(got, filepath.ToSlash(path[len(opts.Dir)+1:]))
				}
				return nil
			})
			if len(got) > 0 {
				t.Errorf("files and directories besides the checkpoint and manifest: %q, want none", got)
			}
			if data, err := os.ReadFile(filepath.Join(opts.Dir, manifest.FileName)); err != nil || len(data) != 0 {
				t.Errorf("manifest %q (%v), want an empty one", data, err)
			}
		})
	}
}

func TestExportErrors(t *testing.T) {
	tests := []struct {
		name    string
		server  cloudtrailtest.Options
		regions []string
		check   func(error) bool
	}{
		{
			name:    "access denied names the permission",
			server:  cloudtrailtest.Options{Events: 10, Fault: func(cloudtrailtest.Request) cloudtrailtest.Fault { return cloudtrailtest.AccessDenied }},
			regions: []string{"us-east-1"},
			check: func(err error) bool {
				var pe *PermissionError
				return errors.As(err, &pe) && pe.Action == "cloudtrail:LookupEvents" && pe.Region == "us-east-1"
			},
		},
		{
			name:    "region not enabled",
			server:  cloudtrailtest.Options{Events: 10},
			regions: []string{"us-east-1", "me-south-1"},
			check: func(err error) bool {
				var ce *CredentialsError
				var re *RegionError
				return errors.As(err, &ce) && errors.As(err, &re) && re.Region == "me-south-1"
			},
		},
		{
			name:    "throttled beyond the retries",
			server:  cloudtrailtest.Options{Events: 10, Fault: func(cloudtrailtest.Request) cloudtrailtest.Fault { return cloudtrailtest.Throttle }},
			regions: []string{"us-east-1"},
			check: func(err error) bool {
				return err != nil && regexp.MustCompile(`still throttled after 3 attempts`).MatchString(err.Error())
			},
		},
		{
			name:    "cut off beyond the retries",
			server:  cloudtrailtest.Options{Events: 10, Fault: func(cloudtrailtest.Request) cloudtrailtest.Fault { return cloudtrailtest.CutOff }},
			regions: []string{"us-east-1"},
			check: func(err error) bool {
				return err != nil && err.Error() == "us-east-1: the connection to CloudTrail in us-east-1 broke off in the middle of a response 3 times in a row; rerun later to resume"
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, tt.server)
			opts := fastOptions(srv, t.TempDir(), tt.regions...)
			opts.MaxAttempts = 3
			opts.RetryMode = aws.RetryModeStandard // adaptive mode would wait seconds
			_, err := Export(context.Background(), opts)
			if !tt.check(err) {
				t.Errorf("Export() error = %v, not the expected kind", err)
			}
		})
	}
}

func TestOptionErrors(t *testing.T) {
	srv := newServer(t, cloudtrailtest.Options{Events: 60})
	done := t.TempDir()
	if _, err := Export(context.Background(), fastOptions(srv, done, "us-east-1")); err != nil {
		t.Fatal(err)
	}
	notEmpty := t.TempDir()
	os.WriteFile(filepath.Join(notEmpty, "notes.txt"), nil, 0o644)

	tests := []struct {
		name   string
		modify func(*Options)
	}{
		{"start after end", func(o *Options) { o.Start, o.End = testEnd, testStart }},
		{"unknown format", func(o *Options) { o.Format = "csv" }},
		{"bad region name", func(o *Options) { o.Regions = []string{"us-east1"} }},
		{"non-empty directory", func(o *Options) { o.Dir = notEmpty }},
		{"resume with another format", func(o *Options) { o.Dir, o.Format = done, CloudTrailFiles }},
		{"resume with other regions", func(o *Options) { o.Dir, o.Regions = done, []string{"eu-west-1"} }},
		{"resume with another window", func(o *Options) { o.Dir, o.Start = done, testStart.Add(time.Hour) }},
		{"resume with a lookup", func(o *Options) { o.Dir, o.Lookup = done, &Lookup{Key: "EventName", Value: "x"} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := fastOptions(srv, t.TempDir(), "us-east-1")
			tt.modify(&opts)
			_, err := Export(context.Background(), opts)
			var oe *OptionError
			if !errors.As(err, &oe) {
				t.Errorf("Export() error = %v, want an *OptionError", err)
			}
		})
	}
}

func TestResumeCompleteExport(t *testing.T) {
	srv := newServer(t, cloudtrailtest.Options{Events: 60})
	opts := fastOptions(srv, t.TempDir(), "us-east-1")
	if _, err := Export(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	before := srv.Stats("us-east-1").Requests
	res, err := Export(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if got := srv.Stats("us-east-1").Requests; got != before {
		t.Errorf("rerunning a complete export sent %d requests, want none", got-before)
	}
	if !res.Resumed || !res.AlreadyComplete || !res.Regions[0].Done || res.Regions[0].Events != 60 {
		t.Errorf("result %+v, want the complete export", res.Regions[0])
	}
}

func TestEnabledRegionsDefault(t *testing.T) {
	tests := []struct {
		name    string
		server  cloudtrailtest.Options
		want    []string
		wantErr bool
	}{
		{
			name: "enabled regions only, over several pages",
			server: cloudtrailtest.Options{
				Regions:         []string{"us-east-1", "eu-west-1", "ap-east-1", "eu-central-1", "us-west-2"},
				DisabledRegions: []string{"me-south-1", "af-south-1"},
			},
			want: []string{"ap-east-1", "eu-central-1", "eu-west-1", "us-east-1", "us-west-2"},
		},
		{
			name:    "access denied",
			server:  cloudtrailtest.Options{DenyListRegions: true},
			wantErr: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, tt.server)
			opts := fastOptions(srv, t.TempDir())
			opts.ListRegions = func(ctx context.Context) ([]string, error) {
				return EnabledRegions(ctx, accountClient(srv))
			}
			res, err := Export(context.Background(), opts)
			if tt.wantErr {
				var pe *PermissionError
				if !errors.As(err, &pe) || pe.Action != "account:ListRegions" {
					t.Fatalf("Export() error = %v, want a PermissionError for account:ListRegions", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, rr := range res.Regions {
				got = append(got, rr.Region)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("exported regions (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseLookup(t *testing.T) {
	tests := []struct {
		in      string
		want    *Lookup
		wantErr bool
	}{
		{"EventName=ConsoleLogin", &Lookup{Key: "EventName", Value: "ConsoleLogin"}, false},
		{"username=root", &Lookup{Key: "Username", Value: "root"}, false},
		{"ResourceName=arn:aws:s3:::bucket=1", &Lookup{Key: "ResourceName", Value: "arn:aws:s3:::bucket=1"}, false},
		{"EventName=", nil, true},
		{"EventName", nil, true},
		{"Region=us-east-1", nil, true},
	}
	for _, tt := range tests {
		got, err := ParseLookup(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseLookup(%q) error = %v, wantErr %v", tt.in, err, tt.wantErr)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("ParseLookup(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestProgressCovered(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	end := start.Add(100 * time.Hour)
	tests := []struct {
		name string
		p    Progress
		want float64
	}{
		{"nothing yet", Progress{Start: start, End: end}, 0},
		{"a quarter", Progress{Start: start, End: end, Cursor: end.Add(-25 * time.Hour)}, 0.25},
		{"done early", Progress{Start: start, End: end, Cursor: end.Add(-time.Hour), Done: true}, 1},
	}
	for _, tt := range tests {
		if got := tt.p.Covered(); math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("%s: Covered() = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestObserverConcurrency runs many regions with an observer that records
// every call, under the race detector when enabled.
func TestObserverConcurrency(t *testing.T) {
	var regions []string
	for i := range 8 {
		regions = append(regions, fmt.Sprintf("eu-test-%d", i+1))
	}
	srv := newServer(t, cloudtrailtest.Options{Regions: regions, Events: 120})
	opts := fastOptions(srv, t.TempDir(), regions...)
	var mu sync.Mutex
	last := map[string]Progress{}
	opts.Observer = observerFunc(func(p Progress) {
		mu.Lock()
		last[p.Region] = p
		mu.Unlock()
	})
	if _, err := Export(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	for _, r := range regions {
		if p := last[r]; !p.Done || p.Events != 120 || p.Covered() != 1 {
			t.Errorf("%s: last progress %+v, want done with 120 events", r, p)
		}
	}
}

func accountClient(srv *cloudtrailtest.Server) *account.Client {
	return account.NewFromConfig(srv.AWSConfig())
}

func TestDescribe(t *testing.T) {
	tests := []struct {
		name   string
		err    error
		region string
		want   string
	}{
		{
			name:   "unknown region",
			err:    &net.DNSError{Err: "no such host", Name: "cloudtrail.xx-nowhere-1.amazonaws.com", IsNotFound: true},
			region: "xx-nowhere-1",
			want:   `unknown region "xx-nowhere-1": its endpoint cloudtrail.xx-nowhere-1.amazonaws.com does not resolve`,
		},
		{
			// With no network every name fails to resolve, eu-west-1's too.
			name:   "known region without DNS",
			err:    &net.DNSError{Err: "no such host", Name: "cloudtrail.eu-west-1.amazonaws.com", IsNotFound: true},
			region: "eu-west-1",
			want:   "cannot reach AWS: the endpoint cloudtrail.eu-west-1.amazonaws.com does not resolve (no such host); check the network connection and DNS, then rerun to resume",
		},
		{
			name: "listing the account's regions without DNS",
			err:  &net.DNSError{Err: "server misbehaving", Name: "account.us-east-1.amazonaws.com", IsTemporary: true},
			want: "cannot reach AWS: the endpoint account.us-east-1.amazonaws.com does not resolve (server misbehaving); check the network connection and DNS, then rerun to resume",
		},
		{
			name:   "other errors pass through",
			err:    errors.New("disk full"),
			region: "xx-nowhere-1",
			want:   "disk full",
		},
	}
	for _, tt := range tests {
		if got := describe(tt.err, tt.region, "cloudtrail:LookupEvents", 3).Error(); got != tt.want {
			t.Errorf("%s: describe() = %q, want %q", tt.name, got, tt.want)
		}
	}
}

// TestLeftoverTempFiles reruns exports that a SIGKILL stopped in the middle
// of saving: the temporary files durable.WriteFile left (checkpoint,
// manifest) are removed, and a directory holding nothing else counts as
// empty.
func TestLeftoverTempFiles(t *testing.T) {
	srv := newServer(t, cloudtrailtest.Options{Events: 60})
	tests := []struct {
		name string
		// first runs an export to completion first.
		first bool
	}{
		{name: "killed during a later save", first: true},
		{name: "killed during the first checkpoint's save"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := fastOptions(srv, t.TempDir(), "us-east-1")
			if tt.first {
				if _, err := Export(context.Background(), opts); err != nil {
					t.Fatal(err)
				}
			}
			leftovers := []string{
				filepath.Join(opts.Dir, "."+checkpoint.FileName+".tmp-123456"),
				filepath.Join(opts.Dir, ".MANIFEST.sha256.tmp-42"),
			}
			for _, p := range leftovers {
				if err := os.WriteFile(p, []byte(`{"partial`), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := Export(context.Background(), opts); err != nil {
				t.Fatal(err)
			}
			for _, p := range leftovers {
				if _, err := os.Stat(p); !os.IsNotExist(err) {
					t.Errorf("%s left behind (stat: %v)", p, err)
				}
			}
			checkExport(t, opts.Dir, JSONLines, map[string][]string{"us-east-1": wantIDs("us-east-1", 60, nil)})
		})
	}
}
