package eventhistory

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"testing"
	"time"

	"github.com/trailguard/trailguard/internal/eventhistory/cloudtrailtest"

	"github.com/trailguard/trailguard/internal/gobench"
)

// benchRegions are the 17 regions enabled by default in an AWS account: an
// export with no --regions reads all of them in parallel.
var benchRegions = []string{
	"ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-south-1", "ap-southeast-1",
	"ap-southeast-2", "ca-central-1", "eu-central-1", "eu-north-1", "eu-west-1",
	"eu-west-2", "eu-west-3", "sa-east-1", "us-east-1", "us-east-2", "us-west-1", "us-west-2",
}

// BenchmarkExportRate exports all default regions in parallel from a server
// that enforces LookupEvents' real limit, 2 requests per second per region,
// with the client's default pacing. It reports the sustained request rate
// the server measured, as a share of that limit (limit-%: mean over regions;
// min-limit-%: the slowest region), and throttled requests (0 expected).
//
// It takes about 4 seconds: run it with -benchtime 1x.
func BenchmarkExportRate(b *testing.B) {
	const pages = 8
	events := pages * pageSize
	for b.Loop() {
		srv := cloudtrailtest.NewServer(cloudtrailtest.Options{
			Regions: benchRegions, Events: events, RequestsPerSecond: DefaultRequestsPerSecond,
		})
		opts := fastOptions(srv, b.TempDir(), benchRegions...)
		opts.RequestsPerSecond = 0 // the default: the real limit
		opts.CheckpointInterval = 0
		start := time.Now()
		res, err := Export(context.Background(), opts)
		elapsed := time.Since(start)
		srv.Close()
		if err != nil {
			b.Fatal(err)
		}
		if got, want := res.Events(), int64(len(benchRegions)*events); got != want {
			b.Fatalf("exported %d events, want %d", got, want)
		}
		var sum, least float64 = 0, math.Inf(1)
		var throttled int64
		for _, r := range benchRegions {
			st := srv.Stats(r)
			share := st.RequestRate() / DefaultRequestsPerSecond * 100
			sum += share
			least = min(least, share)
			throttled += st.Throttled
		}
		b.ReportMetric(sum/float64(len(benchRegions)), "limit-%")
		b.ReportMetric(least, "min-limit-%")
		b.ReportMetric(float64(throttled), "throttled")
		b.ReportMetric(float64(len(benchRegions)), "regions")
		b.ReportMetric(float64(events), "events/region")
		b.ReportMetric(float64(res.Events())/elapsed.Seconds(), "events/s")
	}
}

// BenchmarkExportMemory exports 10,000 and 1,000,000 events (over 4 regions)
// from a server without a rate limit, and reports the peak of the Go heap
// (sampled every few milliseconds; client and in-process server together)
// and the process's peak RSS. Memory must not grow with the number of
// events. The peak RSS is the process's since it started: it means
// something when the benchmark runs alone, as cmd/historybench runs it.
func BenchmarkExportMemory(b *testing.B) {
	regions := benchRegions[:4]
	for _, events := range []int{10_000, 100_000, 1_000_000} {
		b.Run(fmt.Sprintf("events=%d", events), func(b *testing.B) {
			for b.Loop() {
				srv := cloudtrailtest.NewServer(cloudtrailtest.Options{Regions: regions, Events: events / len(regions)})
				opts := fastOptions(srv, b.TempDir(), regions...)
				opts.CheckpointInterval = 0 // the default
				runtime.GC()
				stop := gobench.SampleHeap()
				start := time.Now()
				res, err := Export(context.Background(), opts)
				elapsed := time.Since(start)
				peak := stop()
				srv.Close()
				if err != nil {
					b.Fatal(err)
				}
				if got := res.Events(); got != int64(events) {
					b.Fatalf("exported %d events, want %d", got, events)
				}
				b.ReportMetric(float64(events), "events")
				b.ReportMetric(float64(events)/elapsed.Seconds(), "events/s")
				b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
				b.ReportMetric(float64(gobench.PeakRSS())/(1<<20), "maxrss-MiB")
			}
		})
	}
}
