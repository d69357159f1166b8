// Package gobench holds what trailguard's benchmarks share: memory figures measured inside a
// benchmark (the process's peak RSS, the heap's peak), and running a compiled test binary's
// benchmarks to read the metrics they report, for the commands that print the tables of
// docs/benchmarks.md.
package gobench

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"time"
)

// SampleHeap samples the heap's size (live and not yet swept objects) every 2 ms until the
// returned function is called, which returns the peak in bytes.
func SampleHeap() (stop func() uint64) {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var peak uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(sample)
			peak = max(peak, sample[0].Value.Uint64())
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	})
	return func() uint64 {
		close(done)
		wg.Wait()
		return peak
	}
}

// Result is one benchmark's metrics by unit ("ns/op", "MB/s", and what it reported).
type Result map[string]float64

// Run runs the benchmarks matching pattern of the test binary bin in dir, with extra test
// flags such as "-test.benchtime", "1x"; its output is copied to stderr. It returns the first
// benchmark's metrics.
func Run(bin, dir, pattern string, stderr io.Writer, flags ...string) (Result, error) {
	fmt.Fprintf(stderr, "running %s\n", pattern)
	var out bytes.Buffer
	cmd := exec.Command(bin, append([]string{"-test.run", "^$", "-test.bench", pattern}, flags...)...)
	cmd.Dir = dir
	cmd.Stdout = io.MultiWriter(&out, stderr)
	cmd.Stderr = stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("benchmark %s: %w", pattern, err)
	}
	return Parse(out.String())
}

// Parse reads the first benchmark line of go test output: a name, the iterations, then
// value-unit pairs.
func Parse(output string) (Result, error) {
	sc := bufio.NewScanner(strings.NewReader(output))
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 4 || !strings.HasPrefix(fields[0], "Benchmark") {
			continue
		}
		r := Result{}
		for i := 2; i+1 < len(fields); i += 2 {
			v, err := strconv.ParseFloat(fields[i], 64)
			if err != nil {
				return nil, fmt.Errorf("benchmark line %q: %w", sc.Text(), err)
			}
			r[fields[i+1]] = v
		}
		return r, nil
	}
	return nil, errors.New("no benchmark line in the output")
}
