// Command historybench measures the Event History export and prints the
// results as a markdown table:
//
//   - throughput against a local CloudTrail server that enforces LookupEvents'
//     limit of 2 requests per second per region, all default regions in
//     parallel, as a share of that limit (goal: at least 90%);
//   - peak memory exporting 10,000, 100,000 and 1,000,000 events from a server
//     without a limit (goal: flat, under 50 MiB at 1,000,000);
//   - an organization export of 10, 50 and 200 accounts of 4 regions each, every
//     account-region limited to 2 requests per second, with the default 64
//     workers (goals: at least 90% of each account-region's limit on average,
//     peak RSS flat from 50 to 200 accounts);
//   - archive verify's throughput over a signed archive of 4 accounts in 4
//     regions, 24 hours, in a local S3 API (files and MB per second).
//
// It builds the benchmarks of package eventhistory into a test binary once and
// runs each case in its own process, so that each peak RSS is that case's.
// Run it from the module:
//
//	go run ./cmd/historybench            # table on stdout, progress on stderr
//	go run ./cmd/historybench -check     # exit 1 if a goal is missed
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"time"

	"github.com/trailguard/trailguard/internal/gobench"
)

// The packages whose benchmarks run.
const (
	pkg       = "github.com/trailguard/trailguard/internal/eventhistory"
	orgPkg    = "github.com/trailguard/trailguard/internal/eventhistory/org"
	verifyPkg = "github.com/trailguard/trailguard/internal/archiveverify"
)

// Goals.
const (
	minLimitShare = 90.0 // % of the rate limit, mean over regions
	maxRSSMiB     = 50.0 // at 1,000,000 events
	maxGrowthMiB  = 10.0 // peak RSS, 1,000,000 over 10,000 events
	// maxOrgGrowthMiB is the most the peak RSS may grow from 50 to 200
	// accounts (both run all 64 workers).
	maxOrgGrowthMiB = 16.0
)

// memoryCases are the BenchmarkExportMemory sub-benchmarks, by events.
var memoryCases = []int{10_000, 100_000, 1_000_000}

// orgCases are the BenchmarkOrgExport sub-benchmarks, by accounts.
var orgCases = []int{10, 50, 200}

func main() {
	check := flag.Bool("check", false, "exit 1 if a goal is missed")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: historybench [-check]\n\nMeasures the Event History export and prints a markdown table.\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	ok, err := run(os.Stdout, os.Stderr)
	if err != nil {
		fmt.Fprintf(os.Stderr, "historybench: %v\n", err)
		os.Exit(1)
	}
	if *check && !ok {
		fmt.Fprintln(os.Stderr, "historybench: a goal was missed")
		os.Exit(1)
	}
}

// result is one benchmark line: its metrics by unit.
type result = gobench.Result

func run(stdout, stderr io.Writer) (goalsMet bool, err error) {
	dir, err := os.MkdirTemp("", "historybench")
	if err != nil {
		return false, err
	}
	defer os.RemoveAll(dir)
	bins := map[string]string{}
	for _, p := range []string{pkg, orgPkg, verifyPkg} {
		bins[p] = filepath.Join(dir, filepath.Base(p)+".test")
		fmt.Fprintf(stderr, "building the benchmarks of %s\n", p)
		build := exec.Command("go", "test", "-c", "-o", bins[p], p)
		build.Stdout, build.Stderr = stderr, stderr
		if err := build.Run(); err != nil {
			return false, fmt.Errorf("go test -c %s: %w", p, err)
		}
	}
	bin := bins[pkg]

	rate, err := bench(bin, "^BenchmarkExportRate$", stderr)
	if err != nil {
		return false, err
	}
	mem := map[int]result{}
	for _, n := range memoryCases {
		if mem[n], err = bench(bin, fmt.Sprintf("^BenchmarkExportMemory$/^events=%d$", n), stderr); err != nil {
			return false, err
		}
	}
	orgs := map[int]result{}
	for _, n := range orgCases {
		if orgs[n], err = bench(bins[orgPkg], fmt.Sprintf("^BenchmarkOrgExport$/^accounts=%d$", n), stderr); err != nil {
			return false, err
		}
	}
	verify, err := bench(bins[verifyPkg], "^BenchmarkVerify$", stderr)
	if err != nil {
		return false, err
	}
	ok := writeTables(stdout, rate, mem)
	ok = writeOrgTable(stdout, orgs) && ok
	writeVerifyTable(stdout, verify)
	return ok, nil
}

// writeOrgTable prints the organization export's table and reports whether
// its goals were met.
func writeOrgTable(w io.Writer, orgs map[int]result) (goalsMet bool) {
	goalsMet = true
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Organization export (`history export --accounts`): every account and region of a local organization (STS, Organizations and CloudTrail on 127.0.0.1) allows 2 LookupEvents requests per second (token bucket, burst 2) and throttles beyond; the client runs the default 64 workers, each paced at 2 requests per second. The share of the limit is each account-region's sustained request rate as the server measured it. Peak RSS: each case in its own process.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| accounts | regions each | wall time | share of each account-region's limit (mean) | slowest account-region | events/s | throttled | peak Go heap | peak RSS | goal: ≥ 90%, memory flat |")
	fmt.Fprintln(w, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---:|")
	mid, large := orgs[orgCases[1]], orgs[orgCases[len(orgCases)-1]]
	for _, n := range orgCases {
		r := orgs[n]
		ok := r["limit-%"] >= minLimitShare
		goal := "yes"
		if n == orgCases[len(orgCases)-1] {
			growth := large["maxrss-MiB"] - mid["maxrss-MiB"]
			ok = ok && growth < maxOrgGrowthMiB
			goal = fmt.Sprintf("yes (%+.1f MiB RSS over %d accounts)", growth, orgCases[1])
		}
		if !ok {
			goalsMet = false
			goal = "**no**"
		}
		fmt.Fprintf(w, "| %d | %.0f | %s | %.1f%% | %.1f%% | %s | %.0f | %.1f MiB | %.1f MiB | %s |\n",
			n, r["regions"], seconds(r["ns/op"]), r["limit-%"], r["min-limit-%"], group(int64(r["events/s"])), r["throttled"],
			r["peak-heap-MiB"], r["maxrss-MiB"], goal)
	}
	return goalsMet
}

// writeVerifyTable prints archive verify's throughput.
func writeVerifyTable(w io.Writer, r result) {
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Archive verify (`archive verify`): 4 accounts × 4 regions × 24 hourly digests, 6 log files an hour of 200 records each, signed with a 2048-bit RSA test key, in gofakes3's in-memory S3 API in the benchmark's process (which shares the CPUs and holds the archive: most of the RSS).")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| files read | MB read (gzip) | wall time | files/s | MB/s (gzip) | MB/s hashed (uncompressed) | peak RSS |")
	fmt.Fprintln(w, "|---:|---:|---:|---:|---:|---:|---:|")
	fmt.Fprintf(w, "| %s | %.1f | %s | %s | %.1f | %.1f | %.0f MiB |\n",
		group(int64(r["files"])), r["MB"], seconds(r["ns/op"]), group(int64(r["files/s"])), r["MB/s"], r["uncompressed-MB/s"], r["maxrss-MiB"])
}

// bench runs one benchmark of the test binary in its own process and
// returns its metrics.
func bench(bin, pattern string, stderr io.Writer) (result, error) {
	return gobench.Run(bin, filepath.Dir(bin), pattern, stderr, "-test.benchtime", "1x")
}

func writeTables(w io.Writer, rate result, mem map[int]result) (goalsMet bool) {
	goalsMet = true
	mark := func(ok bool) string {
		if ok {
			return "yes"
		}
		goalsMet = false
		return "**no**"
	}
	fmt.Fprintf(w, "Measured %s with %s %s/%s on %d CPUs, against the local CloudTrail server of package internal/eventhistory/cloudtrailtest (in the benchmark's process).\n\n",
		time.Now().UTC().Format("2006-01-02"), runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.NumCPU())

	fmt.Fprintln(w, "Throughput at the API's rate limit: the server allows 2 LookupEvents requests per second per region (token bucket, burst 2) and answers more with ThrottlingException; the client paces each region at its default of 2 requests per second. The share of the limit is the sustained request rate the server measured per region, from its first request to its last.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| regions in parallel | events per region | wall time | share of the limit (mean) | slowest region | events/s (all regions) | throttled requests | goal: ≥ 90% |")
	fmt.Fprintln(w, "|---:|---:|---:|---:|---:|---:|---:|:---:|")
	fmt.Fprintf(w, "| %.0f | %s | %s | %.1f%% | %.1f%% | %s | %.0f | %s |\n\n",
		rate["regions"], group(int64(rate["events/region"])), seconds(rate["ns/op"]), rate["limit-%"], rate["min-limit-%"],
		group(int64(rate["events/s"])), rate["throttled"], mark(rate["limit-%"] >= minLimitShare))

	fmt.Fprintln(w, "Memory: the server has no rate limit; 4 regions in parallel; JSON Lines output. Peak heap is sampled every 2 ms (client and server share the process); peak RSS is the process's, each case run in its own process.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| events | wall time | events/s | peak Go heap | peak RSS | goal: flat, < 50 MiB |")
	fmt.Fprintln(w, "|---:|---:|---:|---:|---:|:---:|")
	small, large := mem[memoryCases[0]], mem[memoryCases[len(memoryCases)-1]]
	for _, n := range memoryCases {
		r := mem[n]
		goal := ""
		if n == memoryCases[len(memoryCases)-1] {
			growth := large["maxrss-MiB"] - small["maxrss-MiB"]
			goal = fmt.Sprintf("%s (%+.1f MiB over %s events)", mark(r["maxrss-MiB"] < maxRSSMiB && growth < maxGrowthMiB), growth, group(int64(memoryCases[0])))
		}
		fmt.Fprintf(w, "| %s | %s | %s | %.1f MiB | %.1f MiB | %s |\n",
			group(int64(n)), seconds(r["ns/op"]), group(int64(r["events/s"])), r["peak-heap-MiB"], r["maxrss-MiB"], goal)
	}
	return goalsMet
}

func seconds(ns float64) string { return fmt.Sprintf("%.1f s", ns/1e9) }

// group formats n with thousands separators.
func group(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
