// Command app is trailguard's CDK entry point (cdk.json: "go run ./app").
//
// It loads the organization config (the embedded examples/org.yaml, or the file named by
// `-c config=<path>`), builds every stack, runs the compliance gates during synth, and exits
// non-zero when the config is invalid or any gate reports an unsuppressed finding. It is the
// only package that reads environment variables, context or files.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/trailguard/trailguard/compliance"
	"github.com/trailguard/trailguard/config"
	"github.com/trailguard/trailguard/examples"
	"github.com/trailguard/trailguard/stacks"
)

// Environment variables the app reads.
const (
	// envGuardRules overrides where the Control Tower Guard rules are read from.
	envGuardRules = "TRAILGUARD_GUARD_RULES_DIR"
	// envOutdir is set by the cdk CLI to the cloud assembly directory.
	envOutdir = "CDK_OUTDIR"
)

func main() {
	os.Exit(run(os.Stderr))
}

// run synthesizes the app and returns the process exit code.
func run(stderr io.Writer) (code int) {
	defer jsii.Close()
	// Every CDK error reaches Go as a panic carrying the JavaScript error; show its message,
	// not a Go or JavaScript stack trace.
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "trailguard: synth failed: %s\n", panicMessage(r))
			code = 1
		}
	}()

	app := awscdk.NewApp(&awscdk.AppProps{StackTraces: jsii.Bool(false)})
	cfg, err := loadConfig(app)
	if err != nil {
		fmt.Fprintf(stderr, "trailguard: %v\n", err)
		clearAssembly(os.Getenv(envOutdir))
		return 1
	}
	rulesDir := os.Getenv(envGuardRules)
	if rulesDir == "" {
		rulesDir = compliance.GuardRulesDir
	}
	rules, err := compliance.LoadGuardRules(os.DirFS(rulesDir), compliance.GuardServices)
	if err != nil {
		fmt.Fprintf(stderr, "trailguard: %v\n", err)
		clearAssembly(os.Getenv(envOutdir))
		return 1
	}
	gates := compliance.NewGates(rules)

	// Templates synthesized on their own (the StackSet's member template) get an app of their
	// own, with the same gates; their reports count like the main one.
	var templateDirs []string
	defer func() {
		for _, d := range templateDirs {
			os.RemoveAll(d)
		}
	}()
	newTemplateApp := func() awscdk.App {
		dir, err := os.MkdirTemp("", "trailguard-template-*")
		if err != nil {
			panic(err)
		}
		templateDirs = append(templateDirs, dir)
		a := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(dir), StackTraces: jsii.Bool(false)})
		gates.Apply(a)
		return a
	}
	stacks.Build(app, cfg, stacks.Options{NewTemplateApp: newTemplateApp})
	gates.Apply(app)
	outdir := *app.Synth(nil).Directory()

	report, err := compliance.Check(outdir)
	for _, d := range templateDirs {
		if err != nil {
			break
		}
		var r *compliance.Report
		if r, err = compliance.Check(d); err == nil {
			report.Add(r)
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "trailguard: reading the compliance report: %v\n", err)
		return 1
	}
	summary, err := summarize(outdir)
	if err != nil {
		fmt.Fprintf(stderr, "trailguard: reading the cloud assembly: %v\n", err)
		return 1
	}
	fmt.Fprint(stderr, summary.String(cfg, report, len(rules)))
	if len(report.Findings) > 0 {
		for _, f := range report.Findings {
			fmt.Fprintf(stderr, "  %s\n", f)
		}
		fmt.Fprintf(stderr, "trailguard: %d compliance finding(s): fix them, or suppress each next to its construct with a reason (see README, Compliance gates). Report: %s\n",
			len(report.Findings), filepath.Join(outdir, compliance.ReportFile))
		// Keep the report, drop the templates: a non-compliant assembly must not be deployable.
		clearAssembly(outdir, compliance.ReportFile)
		return 1
	}
	return 0
}

// loadConfig reads the config named by the "config" context value, or the embedded default.
func loadConfig(app awscdk.App) (*config.Config, error) {
	name, data := examples.DefaultName, examples.Default
	if v := app.Node().TryGetContext(jsii.String("config")); v != nil {
		path, ok := v.(string)
		if !ok || path == "" {
			return nil, fmt.Errorf("context value config must be a path to a YAML file, e.g. cdk synth -c config=my-org.yaml; got %v", v)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("cannot read config file (from -c config=%s): %w", path, unwrapPathError(err))
		}
		name, data = path, b
	}
	return config.Load(name, data)
}

func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// clearAssembly removes a previous cloud assembly from dir, keeping the files named in keep
// and the cdk CLI's lock files, so that a failed synth leaves nothing stale to deploy. It
// only touches a directory that holds a cloud assembly.
func clearAssembly(dir string, keep ...string) {
	if dir == "" {
		return
	}
	if _, err := os.Stat(filepath.Join(dir, "manifest.json")); err != nil {
		return
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		name := e.Name()
		if strings.HasSuffix(name, ".lock") || slices.Contains(keep, name) {
			continue
		}
		os.RemoveAll(filepath.Join(dir, name))
	}
}

// panicMessage extracts the message of a jsii panic, dropping JavaScript stack frames.
func panicMessage(r any) string {
	msg := fmt.Sprint(r)
	if err, ok := r.(error); ok {
		msg = err.Error()
	}
	var keep []string
	for _, line := range strings.Split(msg, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "at ") {
			continue
		}
		keep = append(keep, line)
	}
	return strings.TrimSpace(strings.Join(keep, "\n"))
}
