// Command synthbench measures a full trailguard synth as a user runs it: wall time and peak
// memory of `cdk synth` (the pinned CLI, the app binary, and the jsii Node processes together)
// for generated organizations of growing size, in each deployment mode. It prints a Markdown
// table for the README.
//
// Memory is sampled every 20 ms over the whole process tree, two ways: the sum of the
// processes' proportional set sizes (PSS: each shared page counted once, split between the
// processes sharing it, i.e. the memory the synth really occupies) and the sum of their
// resident set sizes (RSS: shared pages such as the Node binary counted once per process, an
// overestimate). Both peaks are reported.
//
// With -ratios it measures instead, interleaved in one run, `cdk synth` of the default
// example, of an organization of 1,000 accounts × 4 regions, and of the floor app
// (cmd/synthbench/floor: a plain JavaScript aws-cdk-lib app emitting the default example's
// templates with CfnInclude under the same gates), and prints the medians and two ratios:
// organization scale / default example, and default example / floor.
//
// It needs no CDK itself: it builds the app once, writes configs, and runs the CLI.
//
//	go run ./cmd/synthbench -accounts 1,10,100,1000 -modes stacks,stackset
//	go run ./cmd/synthbench -ratios -repeat 5
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
	"slices"
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
	repeat := fs.Int("repeat", 1, "timed and sampled runs per size; the table shows the fastest time and the largest memory")
	ratios := fs.Bool("ratios", false, "measure the two synth ratios instead: organization scale against the default example, and the default example against the CDK's floor")
	orgAccounts := fs.Int("org-accounts", 1000, "with -ratios: member accounts of the organization-scale config")
	orgRegions := fs.Int("org-regions", 4, "with -ratios: regions of the organization-scale config")
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

	if *ratios {
		return measureRatios(stdout, stderr, cli, app, work, *orgAccounts, *orgRegions, *repeat)
	}

	fmt.Fprintln(stdout, "| mode | member accounts | stacks | wall time | peak memory, PSS | peak memory, RSS sum |")
	fmt.Fprintln(stdout, "| --- | ---: | ---: | ---: | ---: | ---: |")
	for _, mode := range strings.Split(*modes, ",") {
		for _, n := range sizes {
			cfgPath := filepath.Join(work, fmt.Sprintf("org-%s-%d.yaml", mode, n))
			if err := os.WriteFile(cfgPath, []byte(generateConfig(n, mode)), 0o644); err != nil {
				return err
			}
			var best result
			for i := 0; i < *repeat; i++ {
				// Sampling /proc costs CPU the synth would otherwise have: time one run,
				// measure memory in another.
				timed, err := synth(cli, app, cfgPath, filepath.Join(work, "cdk.out"), false)
				if err != nil {
					return fmt.Errorf("%s mode, %d accounts: %w", mode, n, err)
				}
				sampled, err := synth(cli, app, cfgPath, filepath.Join(work, "cdk.out"), true)
				if err != nil {
					return fmt.Errorf("%s mode, %d accounts: %w", mode, n, err)
				}
				if i == 0 || timed.wall < best.wall {
					best.wall = timed.wall
				}
				best.peakRSS = max(best.peakRSS, sampled.peakRSS)
				best.peakPSS = max(best.peakPSS, sampled.peakPSS)
				best.stacks = timed.stacks
			}
			fmt.Fprintf(stdout, "| %s | %d | %d | %.1f s | %d MiB | %d MiB |\n", mode, n, best.stacks, best.wall.Seconds(), best.peakPSS>>20, best.peakRSS>>20)
		}
	}
	return nil
}

type result struct {
	wall    time.Duration
	cpu     time.Duration // user and system time of the process tree (of every process waited for)
	peakRSS int64         // bytes: the largest sum of the process tree's RSS
	peakPSS int64         // bytes: the largest sum of the process tree's PSS
	stacks  int
}

// synth runs `cdk synth` once and measures its wall time and, if sample, its memory.
func synth(cli, app, cfgPath, outdir string, sample bool) (result, error) {
	os.RemoveAll(outdir)
	args := []string{"synth", "--quiet", "--app", app, "--output", outdir}
	if cfgPath != "" {
		args = append(args, "-c", "config="+cfgPath)
	}
	cmd := exec.Command(cli, args...)
	cmd.Env = append(os.Environ(), "CDK_DISABLE_CLI_TELEMETRY=true")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return result{}, err
	}
	var peakRSS, peakPSS atomic.Int64
	done := make(chan struct{})
	var wg sync.WaitGroup
	if sample {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sampleTree(cmd.Process.Pid, &peakRSS, &peakPSS, done)
		}()
	}
	err := cmd.Wait()
	wall := time.Since(start)
	close(done)
	wg.Wait()
	if err != nil {
		return result{}, fmt.Errorf("cdk synth: %v\n%s", err, out.String())
	}
	templates, _ := filepath.Glob(filepath.Join(outdir, "*.template.json"))
	cpu := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	return result{wall: wall, cpu: cpu, peakRSS: peakRSS.Load(), peakPSS: peakPSS.Load(), stacks: len(templates)}, nil
}

// sampleTree records in peakRSS and peakPSS the largest total RSS and PSS of the process
// tree rooted at root, sampling every 20 ms until done is closed.
func sampleTree(root int, peakRSS, peakPSS *atomic.Int64, done <-chan struct{}) {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		rss, pss := treeMemory(root)
		if rss > peakRSS.Load() {
			peakRSS.Store(rss)
		}
		if pss > peakPSS.Load() {
			peakPSS.Store(pss)
		}
		select {
		case <-done:
			return
		case <-tick.C:
		}
	}
}

// treeMemory sums RSS and PSS over root and its descendants, read from /proc.
func treeMemory(root int) (rss, pss int64) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, 0
	}
	parent := map[int]int{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if ppid, ok := procParent(pid); ok {
			parent[pid] = ppid
		}
	}
	for pid := range parent {
		for p := pid; p > 1; p = parent[p] {
			if p == root {
				r, s := procMemory(pid)
				rss, pss = rss+r, pss+s
				break
			}
		}
	}
	return rss, pss
}

// procParent reads a process's parent from /proc/<pid>/status.
func procParent(pid int) (ppid int, ok bool) {
	v, ok := procFields(filepath.Join("/proc", strconv.Itoa(pid), "status"), "PPid")["PPid"]
	if !ok {
		return 0, false
	}
	ppid, err := strconv.Atoi(v)
	return ppid, err == nil
}

// procMemory reads a process's RSS and PSS in bytes from /proc/<pid>/smaps_rollup.
func procMemory(pid int) (rss, pss int64) {
	f := procFields(filepath.Join("/proc", strconv.Itoa(pid), "smaps_rollup"), "Rss", "Pss")
	r, _ := strconv.ParseInt(strings.TrimSuffix(f["Rss"], " kB"), 10, 64)
	p, _ := strconv.ParseInt(strings.TrimSuffix(f["Pss"], " kB"), 10, 64)
	return r << 10, p << 10
}

// procFields returns the values of the "Key: value" lines named keys in a /proc file.
func procFields(path string, keys ...string) map[string]string {
	out := map[string]string{}
	f, err := os.Open(path)
	if err != nil {
		return out
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() && len(out) < len(keys) {
		k, v, _ := strings.Cut(sc.Text(), ":")
		if slices.Contains(keys, k) {
			out[k] = strings.TrimSpace(v)
		}
	}
	return out
}

// generateConfig returns an organization with n member accounts in one region: us-east-1, the
// one region every config must include (EventBridge delivers global-service events there).
func generateConfig(n int, mode string) string {
	var b strings.Builder
	b.WriteString(`organization:
  id: o-a1b2c3d4e5
  managementAccount: "111111111111"
  securityAccount: "222222222222"
homeRegion: us-east-1
regions: [us-east-1]
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

// orgRegions are the regions of the organization-scale config, us-east-1 first.
var orgRegions = []string{"us-east-1", "eu-west-1", "eu-central-1", "ap-southeast-2", "us-west-2", "ap-northeast-1"}

// generateOrgConfig returns an organization in stacks mode with n member accounts in the
// first regions of orgRegions.
func generateOrgConfig(n, regions int) string {
	return strings.Replace(generateConfig(n, "stacks"), "regions: [us-east-1]", "regions: ["+strings.Join(orgRegions[:regions], ", ")+"]", 1)
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
