package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// parseOnlyFlag runs detectbench as the parse-only decoder over a file, in a
// process of its own: detectbench -parse-only FILE FORMAT.
const parseOnlyFlag = "-parse-only"

// runParseOnly is detectbench -parse-only: it prints the number of records.
func runParseOnly(args []string, stdout io.Writer) error {
	if len(args) != 2 {
		return fmt.Errorf("usage: detectbench %s FILE FORMAT", parseOnlyFlag)
	}
	n, err := parseOnly(args[0], fileFormat(args[1]))
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, n)
	return nil
}

// usage is what one process used.
type usage struct {
	cpu     time.Duration // user + system
	wall    time.Duration
	peakRSS int64 // bytes
}

// comparison is one input's measurement: trailguard detect against the
// parse-only decoder, the best of the runs of each.
type comparison struct {
	format      fileFormat
	size        int64
	records     int
	parse, tool usage
}

// ratio is detect's CPU time over the parse-only decoder's.
func (c comparison) ratio() float64 { return c.tool.cpu.Seconds() / c.parse.cpu.Seconds() }

// compare generates a file of each format and runs the parse-only decoder
// (this program, again) and trailguard detect over it, each on one core
// (GOMAXPROCS=1) in its own process, runs times in turn; it keeps each
// one's least CPU time (the least disturbed by other work on the machine)
// and its peak RSS.
func compare(dir, tool, self, detectDir string, size int64, runs int, stderr io.Writer) ([]comparison, error) {
	p, err := loadPool(detectDir)
	if err != nil {
		return nil, err
	}
	var out []comparison
	for _, format := range []fileFormat{logFile, jsonLines} {
		path := filepath.Join(dir, "records.json")
		if format == jsonLines {
			path = filepath.Join(dir, "records.jsonl")
		}
		f, err := os.Create(path)
		if err != nil {
			return nil, err
		}
		n, err := generate(f, p, format, size)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, err
		}
		fi, err := os.Stat(path)
		if err != nil {
			return nil, err
		}
		c := comparison{format: format, size: fi.Size(), records: n}
		fmt.Fprintf(stderr, "%s: %s records, %.0f MiB\n", format, group(int64(n)), float64(fi.Size())/(1<<20))
		for i := range runs {
			pu, pout, err := measure(exec.Command(self, parseOnlyFlag, path, string(format)))
			if err != nil {
				return nil, fmt.Errorf("parse-only: %w", err)
			}
			if got := strings.TrimSpace(pout); got != strconv.Itoa(n) {
				return nil, fmt.Errorf("parse-only decoded %s records, want %d", got, n)
			}
			// --quiet would drop the summary that says how many records
			// were checked: the alerts go to /dev/null instead (written
			// there by detect itself, not through a pipe to this process).
			cmd := exec.Command(tool, "detect", "--format", "json", path)
			var summary bytes.Buffer
			cmd.Stderr = &summary
			devNull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
			if err != nil {
				return nil, err
			}
			cmd.Stdout = devNull
			tu, _, err := measure(cmd)
			devNull.Close()
			if err != nil {
				return nil, fmt.Errorf("trailguard detect: %w: %s", err, summary.String())
			}
			if got := checked(summary.String()); got != n {
				return nil, fmt.Errorf("trailguard detect checked %d records, want %d: %s", got, n, summary.String())
			}
			fmt.Fprintf(stderr, "  run %d: parse-only %.2f s CPU, %.0f MiB; detect %.2f s CPU, %.0f MiB\n", i+1,
				pu.cpu.Seconds(), mib(pu.peakRSS), tu.cpu.Seconds(), mib(tu.peakRSS))
			if i == 0 || pu.cpu < c.parse.cpu {
				c.parse = pu
			}
			if i == 0 || tu.cpu < c.tool.cpu {
				c.tool = tu
			}
		}
		out = append(out, c)
		os.Remove(path)
	}
	return out, nil
}

var checkedRe = regexp.MustCompile(`checked ([0-9,]+) records`)

// checked reads the number of records from detect's summary.
func checked(summary string) int {
	m := checkedRe.FindStringSubmatch(summary)
	if m == nil {
		return -1
	}
	n, _ := strconv.Atoi(strings.ReplaceAll(m[1], ",", ""))
	return n
}

// measure runs cmd on one core and returns its CPU time, wall time and peak
// RSS, and its standard output.
//
// The peak RSS is the child's VmHWM in /proc/<pid>/status, read every 10 ms
// until it exits (a high-water mark: the last reading is the peak but for
// the child's last 10 ms). The peak RSS of wait4's resource usage cannot be
// used: Linux counts in it the parent's own peak, as the child shares the
// parent's memory until it executes.
func measure(cmd *exec.Cmd) (usage, string, error) {
	var stdout bytes.Buffer
	if cmd.Stdout == nil {
		cmd.Stdout = &stdout
	}
	cmd.Env = append(os.Environ(), "GOMAXPROCS=1")
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return usage{}, "", err
	}
	status := fmt.Sprintf("/proc/%d/status", cmd.Process.Pid)
	done := make(chan struct{})
	peak := make(chan int64)
	go func() {
		var hwm int64
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			if v := vmHWM(status); v > hwm {
				hwm = v
			}
			select {
			case <-done:
				peak <- hwm
				return
			case <-t.C:
			}
		}
	}()
	err := cmd.Wait()
	close(done)
	u := usage{wall: time.Since(start), peakRSS: <-peak}
	if err != nil {
		return usage{}, "", err
	}
	u.cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	if u.peakRSS == 0 {
		return u, "", errors.New("no VmHWM in /proc/<pid>/status: the peak RSS is measured on Linux only")
	}
	return u, stdout.String(), nil
}

// vmHWM reads the peak resident set size from a /proc/<pid>/status file, in
// bytes, or 0.
func vmHWM(path string) int64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb * 1024
		}
	}
	return 0
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

// writeComparison prints the comparison table.
func writeComparison(w io.Writer, cs []comparison, runs int) {
	fmt.Fprintf(w, "`trailguard detect` (default rules, JSON output to /dev/null) against a parse-only decoder (encoding/json into map[string]any, record by record, nothing else) over the same generated file, each in its own process on one core (GOMAXPROCS=1); CPU time (user + system), the least of %d runs of each.\n\n", runs)
	fmt.Fprintln(w, "| file | records | parse-only CPU | detect CPU | detect / parse-only (goal ≤ 1.5) | detect records/s | parse-only peak RSS | detect peak RSS |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|")
	for _, c := range cs {
		fmt.Fprintf(w, "| %s, %.0f MiB | %s | %.2f s | %.2f s | %.2f | %s | %.0f MiB | %.0f MiB |\n",
			c.format, mib(c.size), group(int64(c.records)), c.parse.cpu.Seconds(), c.tool.cpu.Seconds(), c.ratio(),
			group(int64(float64(c.records)/c.tool.cpu.Seconds())), mib(c.parse.peakRSS), mib(c.tool.peakRSS))
	}
}
