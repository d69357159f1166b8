package org

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"testing"
	"time"

	"github.com/trailguard/trailguard/internal/eventhistory"
	"github.com/trailguard/trailguard/internal/eventhistory/cloudtrailtest"

	"github.com/trailguard/trailguard/internal/gobench"
)

// benchRegions are four of the regions enabled by default.
var benchRegions = []string{"eu-west-1", "us-east-1", "us-west-2", "ap-southeast-2"}

// BenchmarkOrgExport exports N accounts of 4 regions each from a local
// organization whose every account and region allows 2 LookupEvents
// requests per second (token bucket, burst 2) and throttles beyond, with
// the client's default pacing and the default of 64 workers. It reports the
// sustained request rate the server measured per account and region as a
// share of that limit (limit-%: mean; min-limit-%: the slowest), throttled
// requests, and the peak heap and RSS: memory must not grow with N, as at
// most 64 account-regions run at once.
//
// Each case takes seconds: run it with -benchtime 1x, each in its own
// process for a meaningful peak RSS (cmd/historybench does).
func BenchmarkOrgExport(b *testing.B) {
	const pages = 4
	for _, n := range []int{10, 50, 200} {
		b.Run(fmt.Sprintf("accounts=%d", n), func(b *testing.B) {
			for b.Loop() {
				var accounts []cloudtrailtest.OrgAccount
				for i := range n {
					accounts = append(accounts, cloudtrailtest.OrgAccount{
						ID:      fmt.Sprintf("%012d", 100000000000+i),
						History: cloudtrailtest.Options{Regions: benchRegions, Events: pages * 50, RequestsPerSecond: eventhistory.DefaultRequestsPerSecond},
					})
				}
				o := cloudtrailtest.NewOrg(cloudtrailtest.OrgOptions{Accounts: accounts})
				opts := fastOptions(o, b.TempDir())
				opts.RequestsPerSecond = 0 // the default: the API's limit
				opts.CheckpointInterval = 0
				opts.MaxAttempts = 0
				opts.Workers = 0 // the default
				runtime.GC()
				stop := gobench.SampleHeap()
				start := time.Now()
				res, err := Export(context.Background(), opts)
				elapsed := time.Since(start)
				peak := stop()
				o.Close()
				if err != nil {
					b.Fatal(err)
				}
				_, events, _ := res.Counts()
				if want := int64(n * len(benchRegions) * pages * 50); events != want {
					b.Fatalf("exported %d events, want %d", events, want)
				}
				var sum float64
				least := math.Inf(1)
				var throttled int64
				for _, a := range accounts {
					for _, r := range benchRegions {
						st := o.Account(a.ID).Stats(r)
						share := st.RequestRate() / eventhistory.DefaultRequestsPerSecond * 100
						sum += share
						least = min(least, share)
						throttled += st.Throttled
					}
				}
				workers := float64(n * len(benchRegions))
				b.ReportMetric(float64(DefaultWorkers), "workers")
				b.ReportMetric(float64(n), "accounts")
				b.ReportMetric(float64(len(benchRegions)), "regions")
				b.ReportMetric(sum/workers, "limit-%")
				b.ReportMetric(least, "min-limit-%")
				b.ReportMetric(float64(throttled), "throttled")
				b.ReportMetric(float64(events)/elapsed.Seconds(), "events/s")
				b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
				b.ReportMetric(float64(gobench.PeakRSS())/(1<<20), "maxrss-MiB")
			}
		})
	}
}
