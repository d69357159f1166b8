// Command detectbench measures the detection engine with the default rule
// set and prints the results as markdown tables:
//
//   - throughput on one core: records per second through decoding, the
//     rules, thresholds and dedupe, and through the rules alone;
//
//   - peak memory streaming 10,000, 100,000 and 1,000,000 records through one
//     detector, as trailguard detect does over a directory (goal: flat).
//
//   - trailguard detect against a parse-only decoder (encoding/json into
//     map[string]any) over the same generated file, a CloudTrail log file and
//     JSON Lines, in the same run: the ratio of their CPU times (goal: at
//     most 1.5) and each one's peak RSS.
//
// It builds the benchmarks of package detect into a test binary once, and
// trailguard, and runs each case in its own process with GOMAXPROCS 1, so
// that each peak RSS is that case's. Run it from the module:
//
//	go run ./cmd/detectbench [-size MiB] [-runs N] [-compare-only] [-tool trailguard]
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
	"strings"
	"time"

	"github.com/trailguard/trailguard/internal/gobench"
)

const pkg = "github.com/trailguard/trailguard/detect"

// memoryCases are the BenchmarkMemory sub-benchmarks, by records.
var memoryCases = []int{10_000, 100_000, 1_000_000}

func main() {
	if len(os.Args) > 1 && os.Args[1] == parseOnlyFlag {
		if err := runParseOnly(os.Args[2:], os.Stdout); err != nil {
			fmt.Fprintf(os.Stderr, "detectbench: %v\n", err)
			os.Exit(1)
		}
		return
	}
	size := flag.Int64("size", 256, "size in MiB of each generated file detect is compared on")
	runs := flag.Int("runs", 3, "runs of detect and of the parse-only decoder on each file (the least CPU time counts)")
	compareOnly := flag.Bool("compare-only", false, "only compare detect with the parse-only decoder")
	tool := flag.String("tool", "", "a trailguard binary to compare (default: built from this module), such as an earlier release's")
	flag.Parse()
	if err := run(os.Stdout, os.Stderr, *size<<20, *runs, *compareOnly, *tool); err != nil {
		fmt.Fprintf(os.Stderr, "detectbench: %v\n", err)
		os.Exit(1)
	}
}

// result is one benchmark line: its metrics by unit.
type result = gobench.Result

func run(stdout, stderr io.Writer, size int64, runs int, compareOnly bool, tool string) error {
	dir, err := os.MkdirTemp("", "detectbench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "detect.test")
	fmt.Fprintf(stderr, "building the benchmarks of %s\n", pkg)
	build := exec.Command("go", "test", "-c", "-o", bin, pkg)
	build.Stdout, build.Stderr = stderr, stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("go test -c: %w", err)
	}
	// The benchmarks read the fixtures from the package directory.
	pkgDir, err := exec.Command("go", "list", "-f", "{{.Dir}}", pkg).Output()
	if err != nil {
		return fmt.Errorf("go list: %w", err)
	}
	wd := strings.TrimSpace(string(pkgDir))
	var engine, match result
	mem := map[int]result{}
	if !compareOnly {
		if engine, err = bench(bin, wd, "^BenchmarkEngine$", "3s", stderr); err != nil {
			return err
		}
		if match, err = bench(bin, wd, "^BenchmarkMatch$", "3s", stderr); err != nil {
			return err
		}
		for _, n := range memoryCases {
			if mem[n], err = bench(bin, wd, fmt.Sprintf("^BenchmarkMemory$/^%d$", n), "1x", stderr); err != nil {
				return err
			}
		}
	}
	// The comparison runs trailguard as users do, and this program again as
	// the parse-only decoder. It comes after the benchmarks above, which
	// read their process's peak RSS: Linux counts in a child's the peak of
	// its parent, this process, which the comparison raises.
	if tool == "" {
		tool = filepath.Join(dir, "trailguard")
		fmt.Fprintln(stderr, "building trailguard")
		build = exec.Command("go", "build", "-o", tool, "github.com/trailguard/trailguard/cmd/trailguard")
		build.Stdout, build.Stderr = stderr, stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("go build: %w", err)
		}
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	cs, err := compare(dir, tool, self, wd, size, runs, stderr)
	if err != nil {
		return err
	}
	if !compareOnly {
		writeTables(stdout, engine, match, mem)
		fmt.Fprintln(stdout)
	}
	writeComparison(stdout, cs, runs)
	return nil
}

// bench runs one benchmark of the test binary on one core in its own
// process and returns its metrics.
func bench(bin, dir, pattern, benchtime string, stderr io.Writer) (result, error) {
	return gobench.Run(bin, dir, pattern, stderr, "-test.benchtime", benchtime, "-test.cpu", "1")
}

func writeTables(w io.Writer, engine, match result, mem map[int]result) {
	fmt.Fprintf(w, "Measured %s with %s %s/%s, one core (GOMAXPROCS 1), the default rule set; records are the rule fixtures and the ordinary activity of detect/testdata, each with a new eventID and event time.\n\n",
		time.Now().UTC().Format("2006-01-02"), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	fmt.Fprintln(w, "| what | records/s (one core) | per record | allocations per record |")
	fmt.Fprintln(w, "|---|---:|---:|---:|")
	fmt.Fprintf(w, "| decode JSON + rules + thresholds + dedupe | %s | %.1f µs | %.0f |\n", group(int64(engine["records/s"])), engine["ns/op"]/1e3, engine["allocs/op"])
	fmt.Fprintf(w, "| rules alone (record decoded) | %s | %.1f µs | |\n\n", group(int64(match["records/s"])), match["ns/op"]/1e3)
	fmt.Fprintln(w, "| records streamed through one detector | alerts | wall time | records/s | peak Go heap | peak RSS |")
	fmt.Fprintln(w, "|---:|---:|---:|---:|---:|---:|")
	for _, n := range memoryCases {
		r := mem[n]
		fmt.Fprintf(w, "| %s | %s | %.1f s | %s | %.1f MiB | %.1f MiB |\n",
			group(int64(n)), group(int64(r["alerts"])), r["ns/op"]/1e9, group(int64(float64(n)/(r["ns/op"]/1e9))), r["peak-heap-MiB"], r["peak-rss-MiB"])
	}
}

// group formats n with thousands separators.
func group(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
