package archiveverify

import (
	"context"
	"testing"
	"time"

	"github.com/trailguard/trailguard/internal/archiveverify/archivetest"

	"github.com/trailguard/trailguard/internal/gobench"
)

// BenchmarkVerify validates an archive of 4 accounts in 4 regions, 24 hourly
// digests each with 6 log files of 200 records (about 60 KB a log file
// uncompressed), in the local S3 API of package archivetest (in the
// benchmark's process). It reports files and compressed megabytes read per
// second, and the uncompressed megabytes hashed per second.
func BenchmarkVerify(b *testing.B) {
	start := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	a, err := archivetest.New(archivetest.Options{
		OrgID: "o-exampleorg1", Accounts: []string{"111111111111", "222222222222", "333333333333", "444444444444"},
		Regions: []string{"eu-west-1", "us-east-1", "us-west-2", "ap-southeast-2"},
		Start:   start, Hours: 24, LogsPerHour: 6, RecordsPerLog: 200,
	})
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	opts := Options{
		S3:         a.S3(),
		PublicKeys: func(r string) PublicKeysAPI { return a.CloudTrail(r) },
		Bucket:     a.Bucket,
		Start:      start,
		End:        start.Add(24 * time.Hour),
	}
	for b.Loop() {
		began := time.Now()
		res, err := Verify(context.Background(), opts)
		elapsed := time.Since(began).Seconds()
		if err != nil {
			b.Fatal(err)
		}
		if !res.OK() {
			b.Fatalf("untouched archive failed: %+v", res.Reports[0].Problems)
		}
		var hashed int64
		for _, r := range res.Reports {
			hashed += r.Bytes
		}
		b.ReportMetric(float64(res.Files), "files")
		b.ReportMetric(float64(res.Bytes)/1e6, "MB")
		b.ReportMetric(float64(res.Files)/elapsed, "files/s")
		b.ReportMetric(float64(res.Bytes)/1e6/elapsed, "MB/s")
		b.ReportMetric(float64(hashed)/1e6/elapsed, "uncompressed-MB/s")
		b.ReportMetric(float64(gobench.PeakRSS())/(1<<20), "maxrss-MiB")
	}
}
