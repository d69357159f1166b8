// Command synthbench measures a full trailguard synth as a user runs it: wall time and peak
// memory of `cdk synth` (the pinned CLI, the app binary, and the jsii Node process together)
// for generated organizations of growing size, in each deployment mode. It prints a Markdown
// table for the README.
//
// It needs no CDK itself: it builds the app once, writes configs, and runs the CLI.
//
//	go run ./cmd/synthbench -accounts 1,10,100,1000 -modes stacks,stackset
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "synthbench:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("synthbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	accounts := fs.String("accounts", "1,10,100,1000", "comma-separated member account counts")
	modes := fs.String("modes", "stacks,stackset", "comma-separated deployment modes")
	repeat := fs.Int("repeat", 1, "runs per size; the table shows the fastest (time) and the largest (memory)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	sizes, err := parseInts(*accounts)
	if err != nil {
		return fmt.Errorf("-accounts: %w", err)
	}
	cli, err := filepath.Abs("node_modules/.bin/cdk")
	if err != nil {
		return err
	}
	if _, err := os.Stat(cli); err != nil {
		return errors.New("the pinned cdk CLI is missing: run from the repository root after `npm ci` (make deps)")
	}
	work, err := os.MkdirTemp("", "trailguard-synthbench-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	app := filepath.Join(work, "app")
	if out, err := exec.Command("go", "build", "-o", app, "./app").CombinedOutput(); err != nil {
		return fmt.Errorf("go build ./app: %v\n%s", err, out)
	}

	fmt.Fprintln(stdout, "| mode | member accounts | stacks | wall time | peak memory (CLI + app + jsii) |")
	fmt.Fprintln(stdout, "| --- | ---: | ---: | ---: | ---: |")
	for _, mode := range strings.Split(*modes, ",") {
		for _, n := range sizes {
			cfgPath := filepath.Join(work, fmt.Sprintf("org-%s-%d.yaml", mode, n))
			if err := os.WriteFile(cfgPath, []byte(generateConfig(n, mode)), 0o644); err != nil {
				return err
			}
			var best result
			for i := 0; i < *repeat; i++ {
				r, err := synth(cli, app, cfgPath, filepath.Join(work, "cdk.out"))
				if err != nil {
					return fmt.Errorf("%s mode, %d accounts: %w", mode, n, err)
				}
				if i == 0 || r.wall < best.wall {
					best.wall = r.wall
				}
				best.peakRSS = max(best.peakRSS, r.peakRSS)
				best.stacks = r.stacks
			}
			fmt.Fprintf(stdout, "| %s | %d | %d | %.1f s | %d MiB |\n", mode, n, best.stacks, best.wall.Seconds(), best.peakRSS>>20)
		}
	}
	return nil
}

type result struct {
	wall    time.Duration
	peakRSS int64 // bytes, summed over the process tree at its peak
	stacks  int
}

// synth runs `cdk synth` once and measures it.
func synth(cli, app, cfgPath, outdir string) (result, error) {
	os.RemoveAll(outdir)
	cmd := exec.Command(cli, "synth", "--quiet", "--app", app, "--output", outdir, "-c", "config="+cfgPath)
	cmd.Env = append(os.Environ(), "CDK_DISABLE_CLI_TELEMETRY=true")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return result{}, err
	}
	var peak atomic.Int64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		sampleTreeRSS(cmd.Process.Pid, &peak, done)
	}()
	err := cmd.Wait()
	wall := time.Since(start)
	close(done)
	wg.Wait()
	if err != nil {
		return result{}, fmt.Errorf("cdk synth: %v\n%s", err, out.String())
	}
	templates, _ := filepath.Glob(filepath.Join(outdir, "*.template.json"))
	return result{wall: wall, peakRSS: peak.Load(), stacks: len(templates)}, nil
}

// sampleTreeRSS records in peak the largest total resident memory of the process tree rooted
// at root, sampling every 20 ms until done is closed.
func sampleTreeRSS(root int, peak *atomic.Int64, done <-chan struct{}) {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if total := treeRSS(root); total > peak.Load() {
			peak.Store(total)
		}
		select {
		case <-done:
			return
		case <-tick.C:
		}
	}
}

// treeRSS sums VmRSS over root and its descendants, read from /proc.
func treeRSS(root int) int64 {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0
	}
	parent := map[int]int{}
	rss := map[int]int64{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		ppid, kb, ok := procStatus(pid)
		if !ok {
			continue
		}
		parent[pid], rss[pid] = ppid, kb<<10
	}
	var total int64
	for pid, r := range rss {
		for p := pid; p > 1; p = parent[p] {
			if p == root {
				total += r
				break
			}
		}
	}
	return total
}

func procStatus(pid int) (ppid int, rssKB int64, ok bool) {
	f, err := os.Open(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		return 0, 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), ":")
		v = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB"))
		switch k {
		case "PPid":
			ppid, _ = strconv.Atoi(v)
		case "VmRSS":
			rssKB, _ = strconv.ParseInt(v, 10, 64)
		}
	}
	return ppid, rssKB, true
}

// generateConfig returns an organization with n member accounts in one region.
func generateConfig(n int, mode string) string {
	var b strings.Builder
	b.WriteString(`organization:
  id: o-a1b2c3d4e5
  managementAccount: "111111111111"
  securityAccount: "222222222222"
homeRegion: eu-west-1
regions: [eu-west-1]
guardrails:
  targets: [r-ab12]
deployment:
  mode: ` + mode + `
  organizationalUnits: [ou-ab12-cdefgh34]
members:
`)
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "  - {id: \"%012d\", name: member-%04d}\n", 300000000000+i, i)
	}
	return b.String()
}

func parseInts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%q is not a positive number", f)
		}
		out = append(out, n)
	}
	return out, nil
}
