package archiveverify

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/trailguard/trailguard/internal/archiveverify/archivetest"
)

// scenario is an archive as CloudTrail leaves it in real life, intact or
// tampered with, and what validation of account A in eu-west-1 must find.
// The AWS CLI cross-check (awscli_test.go) runs the same scenarios.
type scenario struct {
	name string
	// opts changes the archive built (6 hourly digests, 3 log files each).
	opts func(o *archivetest.Options)
	// tamper changes the archive and returns the problems Verify must find.
	tamper func(t *testing.T, a *archivetest.Archive) []Problem
	// start and end bound the range validated, in hours from the archive's
	// start; end 0 means the archive's end.
	start, end float64
	// gaps and notes are how many gaps and notes Verify must report.
	gaps, notes int
	// aws is the AWS CLI's verdict where it differs from trailguard's,
	// with the AWS documentation that makes trailguard stricter.
	aws string
}

var (
	whereA = archivetest.Where(acctA, region)
)

func scenarios() []scenario {
	return []scenario{
		{name: "intact"},
		{name: "key rotated", opts: func(o *archivetest.Options) { o.RotateAt = 3 }},
		{name: "logging stopped and restarted", opts: func(o *archivetest.Options) { o.Stopped = []int{2} }, gaps: 1},
		{name: "live trail, log files after the newest digest", opts: func(o *archivetest.Options) { o.LiveLogs = 3 }, end: 6.9},
		{name: "range ending mid-chain, a log file listed by the next digest", opts: func(o *archivetest.Options) { o.LateLogs = true }, end: 3},
		{name: "range starting mid-chain", opts: func(o *archivetest.Options) { o.LateLogs = true }, start: 2.5},
		{name: "two trails in one bucket and prefix", opts: func(o *archivetest.Options) { o.ExtraTrails = []string{"second-trail"} }},
		{name: "trail's bucket changed, the previous digest in the old bucket", opts: func(o *archivetest.Options) { o.MovedFrom, o.MovedAt = "old-archive", 3 }, notes: 1},
		{
			name:  "trail's bucket changed, the previous digest in the old bucket deleted",
			opts:  func(o *archivetest.Options) { o.MovedFrom, o.MovedAt = "old-archive", 3 },
			notes: 1,
			tamper: func(t *testing.T, a *archivetest.Archive) []Problem {
				key := a.Digests[whereA][2]
				must(t, a.DeleteFrom("old-archive", key))
				return []Problem{{Kind: DigestMissing, Key: key}}
			},
		},
		{
			name: "previousDigestSignature forged",
			tamper: func(t *testing.T, a *archivetest.Archive) []Problem {
				key := a.Digests[whereA][3]
				raw, meta, err := a.Get(key)
				must(t, err)
				var d archivetest.Digest
				must(t, json.Unmarshal(raw, &d))
				forged := "00" + (*d.PreviousDigestSignature)[2:]
				d.PreviousDigestSignature = &forged
				raw, _ = json.Marshal(d)
				must(t, a.Put(key, raw, meta))
				return []Problem{{Kind: DigestInvalid, Key: key}}
			},
		},
		{
			name: "log file modified",
			tamper: func(t *testing.T, a *archivetest.Archive) []Problem {
				key := a.Logs[whereA][4]
				content, _, err := a.Get(key)
				must(t, err)
				content[20] ^= 1
				must(t, a.Put(key, content, nil))
				return []Problem{{Kind: LogModified, Key: key}}
			},
		},
		{
			name: "log file deleted",
			tamper: func(t *testing.T, a *archivetest.Archive) []Problem {
				key := a.Logs[whereA][7]
				must(t, a.Delete(key))
				return []Problem{{Kind: LogMissing, Key: key}}
			},
		},
		{
			name: "digest deleted",
			tamper: func(t *testing.T, a *archivetest.Archive) []Problem {
				key := a.Digests[whereA][3]
				must(t, a.Delete(key))
				want := []Problem{{Kind: DigestMissing, Key: key}}
				for _, l := range a.Logs[whereA][9:12] {
					want = append(want, Problem{Kind: LogExtra, Key: l})
				}
				return want
			},
		},
		{
			name: "digest added out of the chain, signed with the right key",
			tamper: func(t *testing.T, a *archivetest.Archive) []Problem {
				end := start.Add(2*time.Hour + 30*time.Minute)
				d := readDigest(t, a, a.Digests[whereA][2])
				d.DigestEndTime, d.DigestS3Object = end.Format(time.RFC3339), a.DigestKey(acctA, region, end)
				d.LogFiles = nil
				_, err := a.PutDigest(archivetest.Key(), d)
				must(t, err)
				return []Problem{{Kind: DigestOutOfChain, Key: d.DigestS3Object}}
			},
			aws: "valid: the AWS CLI follows the chain from the newest digest and never reads a digest outside it; the chain (docs) is what makes an added digest detectable",
		},
		{
			name: "digest replaced, signed with the right key",
			tamper: func(t *testing.T, a *archivetest.Archive) []Problem {
				d := readDigest(t, a, a.Digests[whereA][2])
				d.LogFiles = d.LogFiles[1:] // hide a log file
				_, err := a.PutDigest(archivetest.Key(), d)
				must(t, err)
				return []Problem{{Kind: DigestOutOfChain, Key: d.DigestS3Object}, {Kind: LogExtra, Key: a.Logs[whereA][6]}}
			},
			aws: "valid: the AWS CLI checks each digest's signature alone; the next digest records the signature of the one it follows (docs), which the replacement does not have",
		},
		{
			name: "newest digest's signature replaced",
			tamper: func(t *testing.T, a *archivetest.Archive) []Problem {
				key := a.Digests[whereA][5]
				raw, meta, err := a.Get(key)
				must(t, err)
				meta["signature"] = "00" + meta["signature"][2:]
				must(t, a.Put(key, raw, meta))
				return []Problem{{Kind: DigestInvalid, Key: key}}
			},
		},
		{
			name: "log file added",
			tamper: func(t *testing.T, a *archivetest.Archive) []Problem {
				at := start.Add(2*time.Hour + 20*time.Minute)
				key := a.LogKey(acctA, region, at, 999)
				must(t, a.Put(key, archivetest.LogContent(acctA, region, at, 2, "forged"), nil))
				return []Problem{{Kind: LogExtra, Key: key}}
			},
			aws: "valid: the AWS CLI checks only the files digests list; the digest file structure (docs) says a digest lists every log file delivered in its hour",
		},
		{
			name: "digest before the range deleted",
			tamper: func(t *testing.T, a *archivetest.Archive) []Problem {
				key := a.Digests[whereA][0]
				must(t, a.Delete(key))
				return []Problem{{Kind: DigestMissing, Key: key}}
			},
			start: 1.5,
			aws:   "valid: the AWS CLI stops at the range's start; the custom validation steps (docs) validate each previous digest the chain names",
		},
	}
}

func TestScenarios(t *testing.T) {
	for _, sc := range scenarios() {
		t.Run(sc.name, func(t *testing.T) {
			a := buildScenario(t, sc)
			want := []Problem(nil)
			if sc.tamper != nil {
				want = sc.tamper(t, a)
			}
			opts := options(a)
			opts.Start, opts.End = scenarioRange(sc)
			res, err := Verify(context.Background(), opts)
			if err != nil {
				t.Fatal(err)
			}
			trails := 1 + len(a.ExtraTrails)
			if len(res.Reports) != 4*trails {
				t.Fatalf("%d reports, want %d", len(res.Reports), 4*trails)
			}
			for _, rep := range res.Reports {
				var got []Problem
				for _, p := range rep.Problems {
					got = append(got, Problem{Kind: p.Kind, Key: p.Key})
				}
				var wantHere []Problem
				if rep.Account == acctA && rep.Region == region && rep.Trail == a.Trail {
					wantHere = want
				}
				if diff := cmp.Diff(wantHere, got); diff != "" {
					t.Errorf("%s %s %s: problems (-want +got):\n%s\nreported: %v", rep.Account, rep.Region, rep.Trail, diff, rep.Problems)
				}
				if len(rep.Gaps) != sc.gaps {
					t.Errorf("%s %s %s: gaps %v, want %d", rep.Account, rep.Region, rep.Trail, rep.Gaps, sc.gaps)
				}
				if len(wantHere) == 0 && len(rep.Notes) != sc.notes {
					t.Errorf("%s %s %s: notes %q, want %d", rep.Account, rep.Region, rep.Trail, rep.Notes, sc.notes)
				}
				if rep.Digests == 0 || rep.LogFiles == 0 {
					t.Errorf("%s %s %s: %d digests and %d log files validated, want some", rep.Account, rep.Region, rep.Trail, rep.Digests, rep.LogFiles)
				}
			}
			if res.OK() != (len(want) == 0) {
				t.Errorf("OK() = %v with problems %v", res.OK(), want)
			}
		})
	}
}

func buildScenario(t *testing.T, sc scenario) *archivetest.Archive {
	t.Helper()
	o := archivetest.Options{
		OrgID: orgID, Accounts: []string{acctA, acctB}, Regions: []string{region, "us-east-1"},
		Start: start, Hours: 6, LogsPerHour: 3, RecordsPerLog: 5,
	}
	if sc.opts != nil {
		sc.opts(&o)
	}
	a, err := archivetest.New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	return a
}

func scenarioRange(sc scenario) (time.Time, time.Time) {
	end := sc.end
	if end == 0 {
		end = 6
	}
	return start.Add(time.Duration(sc.start * float64(time.Hour))), start.Add(time.Duration(end * float64(time.Hour)))
}
