package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/trailguard/trailguard/compliance"
)

// floorDir is the floor app: a plain JavaScript aws-cdk-lib app with its own pinned
// package-lock.json (the aws-cdk-lib, cdk-nag and constructs versions the Go module uses).
const floorDir = "cmd/synthbench/floor"

// measureRatios measures, interleaved in the same run so that the machine's load weighs on
// every side alike, `cdk synth` of the default example, of an organization of accounts
// members in regions regions, and of the floor app emitting the default example's templates,
// repeat times each, and prints the medians and the two ratios: organization scale against
// the default example (how flat synth time is in organization size), and the default
// example against the floor (what trailguard adds to the CDK's own cost of synthesizing and
// gating the same templates). Both by wall time and by CPU time (of every process of the run),
// which a busy machine distorts less. The organization's peak memory is measured in one more
// run.
func measureRatios(stdout, stderr io.Writer, cli, app, work string, accounts, regions, repeat int) error {
	if regions < 1 || regions > len(orgRegions) {
		return fmt.Errorf("-org-regions must be 1 to %d", len(orgRegions))
	}
	floorApp, err := filepath.Abs(filepath.Join(floorDir, "floor.js"))
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(floorDir, "node_modules", "aws-cdk-lib")); err != nil {
		return fmt.Errorf("the floor app's packages are missing: run `npm ci` in %s (make bench does)", floorDir)
	}
	orgCfg := filepath.Join(work, "org.yaml")
	if err := os.WriteFile(orgCfg, []byte(generateOrgConfig(accounts, regions)), 0o644); err != nil {
		return err
	}
	// The floor synthesizes the default example's templates: from a cloud assembly of it.
	example := filepath.Join(work, "example.out")
	exampleRun, err := synth(cli, app, "", example, false)
	if err != nil {
		return fmt.Errorf("default example: %w", err)
	}
	floorWork, err := newFloorWorkspace(work, floorApp)
	if err != nil {
		return err
	}

	type side struct {
		name  string
		run   func() (result, error)
		walls []time.Duration
		cpus  []time.Duration
		loads []string
	}
	sides := []*side{
		{name: "default example", run: func() (result, error) { return synth(cli, app, "", filepath.Join(work, "a.out"), false) }},
		{name: fmt.Sprintf("organization, %d accounts × %d regions", accounts, regions), run: func() (result, error) {
			return synth(cli, app, orgCfg, filepath.Join(work, "b.out"), false)
		}},
		{name: "floor: plain JavaScript aws-cdk-lib app, same templates and gates", run: func() (result, error) {
			return floorSynth(cli, floorWork, example, filepath.Join(work, "c.out"), exampleRun.stacks)
		}},
	}
	stacks := make([]int, len(sides))
	for i := range repeat {
		// Rotate the order, so that no side always runs first (with the warmest caches).
		for j := range sides {
			s := sides[(i+j)%len(sides)]
			load := loadAverage()
			r, err := s.run()
			if err != nil {
				return fmt.Errorf("%s: %w", s.name, err)
			}
			s.walls = append(s.walls, r.wall)
			s.cpus = append(s.cpus, r.cpu)
			s.loads = append(s.loads, load)
			stacks[(i+j)%len(sides)] = r.stacks
			fmt.Fprintf(stderr, "synthbench: %s: %.1f s, %.1f s CPU (load average %s)\n", s.name, r.wall.Seconds(), r.cpu.Seconds(), load)
		}
	}
	org, err := synth(cli, app, orgCfg, filepath.Join(work, "b.out"), true)
	if err != nil {
		return fmt.Errorf("%s: %w", sides[1].name, err)
	}

	fmt.Fprintf(stdout, "| synth | stacks | median wall time | median CPU time | runs: wall / CPU | 1-minute load average at each run |\n")
	fmt.Fprintln(stdout, "| --- | ---: | ---: | ---: | --- | --- |")
	walls, cpus := make([]float64, len(sides)), make([]float64, len(sides))
	for i, s := range sides {
		walls[i], cpus[i] = median(s.walls), median(s.cpus)
		var runs []string
		for j := range s.walls {
			runs = append(runs, fmt.Sprintf("%.1f / %.1f", s.walls[j].Seconds(), s.cpus[j].Seconds()))
		}
		fmt.Fprintf(stdout, "| %s | %d | %.1f s | %.1f s | %s | %s |\n", s.name, stacks[i], walls[i], cpus[i], strings.Join(runs, ", "), strings.Join(s.loads, ", "))
	}
	fmt.Fprintln(stdout)
	fmt.Fprintf(stdout, "- organization scale / default example: **%.2f** by wall time, %.2f by CPU time (goal ≤ 1.5); peak memory at organization scale %d MiB PSS, %d MiB RSS sum (goal < 1,024 MiB)\n",
		walls[1]/walls[0], cpus[1]/cpus[0], org.peakPSS>>20, org.peakRSS>>20)
	fmt.Fprintf(stdout, "- default example / floor: **%.2f** by wall time, %.2f by CPU time (goal ≤ 1.2)\n", walls[0]/walls[2], cpus[0]/cpus[2])
	return nil
}

// newFloorWorkspace returns a directory whose cdk.json runs the floor app with the
// repository's cdk.json context (the feature flags), as trailguard's app gets it.
func newFloorWorkspace(work, floorApp string) (string, error) {
	var cdkJSON struct {
		Context map[string]any `json:"context"`
	}
	data, err := os.ReadFile("cdk.json")
	if err != nil {
		return "", err
	}
	if err := json.Unmarshal(data, &cdkJSON); err != nil {
		return "", fmt.Errorf("cdk.json: %w", err)
	}
	dir := filepath.Join(work, "floor")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	out, err := json.MarshalIndent(map[string]any{"app": "node " + floorApp, "context": cdkJSON.Context}, "", "  ")
	if err != nil {
		return "", err
	}
	return dir, os.WriteFile(filepath.Join(dir, "cdk.json"), out, 0o644)
}

// floorSynth runs `cdk synth` of the floor app in dir, emitting the stacks of the cloud
// assembly in source into outdir. The floor reports the Guard findings trailguard
// acknowledges next to its constructs (the templates do not carry acknowledgements), so the
// CLI exits 1; the run counts when the cloud assembly has every stack and the gates' report.
func floorSynth(cli, dir, source, outdir string, stacks int) (result, error) {
	os.RemoveAll(outdir)
	rules, err := filepath.Abs(compliance.GuardRulesDir)
	if err != nil {
		return result{}, err
	}
	bin, err := filepath.Abs(filepath.Join("node_modules", ".bin"))
	if err != nil {
		return result{}, err
	}
	cmd := exec.Command(cli, "synth", "--quiet", "--output", outdir)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), // the pinned Node
		"CDK_DISABLE_CLI_TELEMETRY=true",
		"FLOOR_ASSEMBLY="+source,
		"FLOOR_RULES="+rules,
		"FLOOR_SERVICES="+strings.Join(compliance.GuardServices, ","))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err = cmd.Run()
	wall := time.Since(start)
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		return result{}, err
	}
	templates, _ := filepath.Glob(filepath.Join(outdir, "*.template.json"))
	if _, statErr := os.Stat(filepath.Join(outdir, "validation-report.json")); statErr != nil || len(templates) != stacks {
		return result{}, fmt.Errorf("floor app: %d of %d templates, validation report: %v; exit: %v\n%s", len(templates), stacks, statErr, err, out.String())
	}
	return result{wall: wall, cpu: cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), stacks: len(templates)}, nil
}

func median(ds []time.Duration) float64 {
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2].Seconds()
	}
	return (s[len(s)/2-1] + s[len(s)/2]).Seconds() / 2
}

// loadAverage is the 1-minute load average, as /proc/loadavg says it.
func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Fields(string(data))[0]
}
