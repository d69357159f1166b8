// Command detectbench measures the detection engine with the default rule
// set and prints the results as markdown tables:
//
//   - throughput on one core: records per second through decoding, the
//     rules, thresholds and dedupe, and through the rules alone;
//   - peak memory streaming 10,000, 100,000 and 1,000,000 records through one
//     detector, as trailguard detect does over a directory (goal: flat).
//
// It builds the benchmarks of package detect into a test binary once and
// runs each case in its own process with GOMAXPROCS 1, so that each peak RSS
// is that case's. Run it from the module:
//
//	go run ./cmd/detectbench
package main

import (
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
	if err := run(os.Stdout, os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "detectbench: %v\n", err)
		os.Exit(1)
	}
}

// result is one benchmark line: its metrics by unit.
type result = gobench.Result

func run(stdout, stderr io.Writer) error {
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
	engine, err := bench(bin, wd, "^BenchmarkEngine$", "3s", stderr)
	if err != nil {
		return err
	}
	match, err := bench(bin, wd, "^BenchmarkMatch$", "3s", stderr)
	if err != nil {
		return err
	}
	mem := map[int]result{}
	for _, n := range memoryCases {
		if mem[n], err = bench(bin, wd, fmt.Sprintf("^BenchmarkMemory$/^%d$", n), "1x", stderr); err != nil {
			return err
		}
	}
	writeTables(stdout, engine, match, mem)
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
