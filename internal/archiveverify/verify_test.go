package archiveverify

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/trailguard/trailguard/internal/archiveverify/archivetest"
)

const (
	orgID  = "o-exampleorg1"
	acctA  = "111111111111"
	acctB  = "222222222222"
	region = "eu-west-1"
)

var start = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)

func newArchive(t *testing.T) *archivetest.Archive {
	t.Helper()
	a, err := archivetest.New(archivetest.Options{
		OrgID: orgID, Accounts: []string{acctA, acctB}, Regions: []string{region, "us-east-1"},
		Start: start, Hours: 6, LogsPerHour: 3, RecordsPerLog: 5,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	return a
}

func options(a *archivetest.Archive) Options {
	return Options{
		S3:         a.S3(),
		PublicKeys: func(r string) PublicKeysAPI { return a.CloudTrail(r) },
		Bucket:     a.Bucket,
		Start:      start,
		End:        start.Add(6 * time.Hour),
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// readDigest returns a stored digest's content.
func readDigest(t *testing.T, a *archivetest.Archive, key string) *archivetest.Digest {
	t.Helper()
	raw, _, err := a.Get(key)
	must(t, err)
	var d archivetest.Digest
	must(t, json.Unmarshal(raw, &d))
	return &d
}

func TestVerify(t *testing.T) {
	where := archivetest.Where(acctA, region)
	otherKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		// tamper changes the archive of account A in eu-west-1 and returns
		// the problems Verify must find there.
		tamper func(t *testing.T, a *archivetest.Archive) []Problem
		// window, if set, narrows the validated range.
		window func(o *Options)
	}{
		{
			name:   "untouched archive",
			tamper: func(*testing.T, *archivetest.Archive) []Problem { return nil },
		},
		{
			name:   "untouched, a range inside the archive",
			tamper: func(*testing.T, *archivetest.Archive) []Problem { return nil },
			window: func(o *Options) { o.Start, o.End = start.Add(2*time.Hour), start.Add(5*time.Hour) },
		},
		{
			name: "log file modified",
			tamper: func(t *testing.T, a *archivetest.Archive) []Problem {
				key := a.Logs[where][4]
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
				key := a.Logs[where][7]
				must(t, a.Delete(key))
				return []Problem{{Kind: LogMissing, Key: key}}
			},
		},
		{
			name: "log file added",
			tamper: func(t *testing.T, a *archivetest.Archive) []Problem {
				at := start.Add(2*time.Hour + 5*time.Minute)
				key := a.LogKey(acctA, region, at, 999)
				must(t, a.Put(key, archivetest.LogContent(acctA, region, at, 2, "forged"), nil))
				return []Problem{{Kind: LogExtra, Key: key}}
			},
		},
		{
			name: "digest modified, its metadata signature kept",
			tamper: func(t *testing.T, a *archivetest.Archive) []Problem {
				key := a.Digests[where][2]
				raw, meta, err := a.Get(key)
				must(t, err)
				var d archivetest.Digest
				must(t, json.Unmarshal(raw, &d))
				d.LogFiles = d.LogFiles[1:] // hide a log file
				raw, _ = json.Marshal(d)
				must(t, a.Put(key, raw, meta))
				// The hidden log file is now listed by no digest.
				return []Problem{{Kind: DigestInvalid, Key: key}, {Kind: LogExtra, Key: a.Logs[where][6]}}
			},
		},
		{
			name: "digest deleted",
			tamper: func(t *testing.T, a *archivetest.Archive) []Problem {
				key := a.Digests[where][3]
				must(t, a.Delete(key))
				// Its log files are now listed by no digest.
				want := []Problem{{Kind: DigestMissing, Key: key}}
				for _, l := range a.Logs[where][9:12] {
					want = append(want, Problem{Kind: LogExtra, Key: l})
				}
				return want
			},
		},
		{
			name: "digest added out of the chain, signed with the right key",
			tamper: func(t *testing.T, a *archivetest.Archive) []Problem {
				end := start.Add(2*time.Hour + 30*time.Minute)
				d := readDigest(t, a, a.Digests[where][2])
				d.DigestEndTime, d.DigestS3Object = end.Format(time.RFC3339), a.DigestKey(acctA, region, end)
				d.LogFiles = nil
				_, err := a.PutDigest(archivetest.Key(), d)
				must(t, err)
				return []Problem{{Kind: DigestOutOfChain, Key: d.DigestS3Object}}
			},
		},
		{
			name: "newest digest replaced, signed with another key",
			tamper: func(t *testing.T, a *archivetest.Archive) []Problem {
				key := a.Digests[where][5]
				d := readDigest(t, a, key)
				d.DigestPublicKeyFingerprint = archivetest.Fingerprint(&otherKey.PublicKey)
				_, err := a.PutDigest(otherKey, d)
				must(t, err)
				return []Problem{{Kind: DigestInvalid, Key: key}}
			},
		},
		{
			name: "newest digest's metadata signature replaced",
			tamper: func(t *testing.T, a *archivetest.Archive) []Problem {
				key := a.Digests[where][5]
				raw, meta, err := a.Get(key)
				must(t, err)
				meta["signature"] = "00" + meta["signature"][2:]
				must(t, a.Put(key, raw, meta))
				return []Problem{{Kind: DigestInvalid, Key: key}}
			},
		},
		{
			name: "digest before the range deleted",
			tamper: func(t *testing.T, a *archivetest.Archive) []Problem {
				key := a.Digests[where][0]
				must(t, a.Delete(key))
				return []Problem{{Kind: DigestMissing, Key: key}}
			},
			window: func(o *Options) { o.Start = start.Add(90 * time.Minute) },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newArchive(t)
			want := tt.tamper(t, a)
			opts := options(a)
			if tt.window != nil {
				tt.window(&opts)
			}
			res, err := Verify(context.Background(), opts)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Reports) != 4 {
				t.Fatalf("%d reports, want 4 (2 accounts, 2 regions)", len(res.Reports))
			}
			for _, rep := range res.Reports {
				var got []Problem
				for _, p := range rep.Problems {
					got = append(got, Problem{Kind: p.Kind, Key: p.Key})
				}
				var wantHere []Problem
				if rep.Account == acctA && rep.Region == region {
					wantHere = want
				}
				if diff := cmp.Diff(wantHere, got); diff != "" {
					t.Errorf("%s %s: problems (-want +got):\n%s\nreported: %v", rep.Account, rep.Region, diff, rep.Problems)
				}
				if len(wantHere) == 0 && (rep.Digests == 0 || rep.LogFiles == 0) {
					t.Errorf("%s %s: %d digests and %d log files validated, want some", rep.Account, rep.Region, rep.Digests, rep.LogFiles)
				}
			}
			if res.OK() != (len(want) == 0) {
				t.Errorf("OK() = %v with problems %v", res.OK(), want)
			}
		})
	}
}

func TestVerifyCounts(t *testing.T) {
	a := newArchive(t)
	res, err := Verify(context.Background(), options(a))
	if err != nil {
		t.Fatal(err)
	}
	for _, rep := range res.Reports {
		if rep.Digests != 6 || rep.LogFiles != 18 || rep.Trail != "org-trail" || rep.OrgID != orgID {
			t.Errorf("%s %s: %+v, want 6 digests and 18 log files of org-trail", rep.Account, rep.Region, rep)
		}
	}
	if want := 4 * (6 + 18); res.Files != want {
		t.Errorf("read %d files, want %d", res.Files, want)
	}
}

func TestVerifyNothingFound(t *testing.T) {
	a := newArchive(t)
	opts := options(a)
	opts.Start, opts.End = start.Add(-72*time.Hour), start.Add(-48*time.Hour)
	res, err := Verify(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.OK() {
		t.Error("OK() with no digest in the range, want a failure")
	}
	opts = options(a)
	opts.TrailARN = fmt.Sprintf("arn:aws:cloudtrail:us-east-1:999999999999:trail/%s", "other-trail")
	if res, err := Verify(context.Background(), opts); err != nil || res.OK() {
		t.Errorf("another trail's digests: OK() = %v, %v; want no digest found", res != nil && res.OK(), err)
	}
}

func TestVerifyPrefix(t *testing.T) {
	a, err := archivetest.New(archivetest.Options{
		Prefix: "trails/org", OrgID: orgID, Accounts: []string{acctA}, Regions: []string{region},
		Start: start, Hours: 3, LogsPerHour: 2, RecordsPerLog: 2,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	opts := options(a)
	opts.End = start.Add(3 * time.Hour)
	if res, err := Verify(context.Background(), opts); err != nil || res.OK() {
		t.Errorf("without the prefix: OK() = %v, %v; want nothing found", res != nil && res.OK(), err)
	}
	opts.Prefix = "trails/org"
	res, err := Verify(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if !res.OK() || res.Reports[0].Digests != 3 || res.Reports[0].LogFiles != 6 {
		t.Errorf("with the prefix: %+v, want 3 digests and 6 log files valid", res.Reports)
	}
}
