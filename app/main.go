// Command app is trailguard's CDK entry point (cdk.json: "go run ./app").
//
// It loads the organization config (the embedded examples/org.yaml, or the file named by
// `-c config=<path>`), builds every stack, runs the compliance gates during synth and the AWS
// quota gate after it, and exits non-zero when the config is invalid or any gate reports an
// unsuppressed finding; on any failure it leaves no deployable cloud assembly. It is the only
// package that reads environment variables, context or input files (the config, the Guard
// rules); internal/synth/ does the rest.
package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/trailguard/trailguard/compliance"
	"github.com/trailguard/trailguard/compliance/quota"
	"github.com/trailguard/trailguard/config"
	"github.com/trailguard/trailguard/constructs/detection"
	"github.com/trailguard/trailguard/examples"
	"github.com/trailguard/trailguard/internal/assembly"
	"github.com/trailguard/trailguard/internal/synth"
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
			assembly.Clear(os.Getenv(envOutdir))
			code = 1
		}
	}()

	app := synth.NewApp("", nil)
	cfg, err := loadConfig(app)
	if err != nil {
		fmt.Fprintf(stderr, "trailguard: %v\n", err)
		assembly.Clear(os.Getenv(envOutdir))
		return 1
	}
	rulesDir := os.Getenv(envGuardRules)
	if rulesDir == "" {
		rulesDir, err = compliance.FindGuardRulesDir(".")
	}
	var rules []*awscdk.ValidationRuleSource
	if err == nil {
		rules, err = compliance.LoadGuardRules(os.DirFS(rulesDir), compliance.GuardServices)
	}
	if err != nil {
		fmt.Fprintf(stderr, "trailguard: %v\n", err)
		assembly.Clear(os.Getenv(envOutdir))
		return 1
	}

	res, err := synth.Run(app, cfg, synth.Options{Gates: compliance.NewGates(rules), AfterSynth: jsii.Close})
	if err != nil {
		fmt.Fprintf(stderr, "trailguard: %v\n", err)
		assembly.Clear(os.Getenv(envOutdir))
		return 1
	}
	outdir, report := res.Outdir, res.Report
	summary, err := summarize(outdir, res.Stacks.Replicas)
	if err != nil {
		fmt.Fprintf(stderr, "trailguard: reading the cloud assembly: %v\n", err)
		return 1
	}
	fmt.Fprint(stderr, summary.String(cfg, report, len(rules), len(res.Stacks.Replicas)))
	if len(report.Findings) > 0 {
		for _, f := range report.Findings {
			fmt.Fprintf(stderr, "  %s\n", f)
		}
		if n := len(report.Findings) - report.Quota(); n > 0 {
			fmt.Fprintf(stderr, "trailguard: %d compliance finding(s): fix them, or suppress each next to its construct with a reason (see docs/compliance.md, Suppressions). Report: %s\n",
				n, filepath.Join(outdir, compliance.ReportFile))
		}
		if n := report.Quota(); n > 0 {
			fmt.Fprintf(stderr, "trailguard: %d AWS quota finding(s): the deploy would fail; fix each as it says, or raise an adjustable quota (see docs/compliance.md, AWS quotas). Report: %s\n",
				n, filepath.Join(outdir, quota.ReportFile))
		}
		// Keep the reports, drop the templates: a non-compliant assembly must not be deployable.
		assembly.Clear(outdir, compliance.ReportFile, quota.ReportFile)
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
	cfg, err := config.Load(name, data)
	if err != nil {
		return nil, err
	}
	if err := loadRules(cfg, name); err != nil {
		return nil, err
	}
	return cfg, nil
}

// loadRules reads the rule files of detection.rulesDir (relative to the config file) into the
// config and checks them, and detection.disabledRules, with the detection engine as the
// functions will load them: an invalid rule fails the synth before anything is built, naming
// its file, rule and problem.
func loadRules(cfg *config.Config, configPath string) error {
	d := &cfg.Detection
	if d.RulesDir != "" {
		dir := d.RulesDir
		if !filepath.IsAbs(dir) {
			dir = filepath.Join(filepath.Dir(configPath), dir)
		}
		files := map[string]string{}
		err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
			if err != nil || e.IsDir() || !(strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) {
				return err
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			rel, err := filepath.Rel(dir, p)
			files[filepath.ToSlash(rel)] = string(b)
			return err
		})
		if err != nil {
			return fmt.Errorf("detection.rulesDir %q (relative to the config file %s): cannot read the rules: %w", d.RulesDir, configPath, unwrapPathError(err))
		}
		if len(files) == 0 {
			return fmt.Errorf("detection.rulesDir %q (relative to the config file %s) holds no rule files (*.yaml, *.yml): add some, or remove the setting", d.RulesDir, configPath)
		}
		d.RuleFiles = files
	}
	if err := detection.CheckRules(d.RuleFiles, d.RulesDir, d.DisabledRules, "detection.disabledRules"); err != nil {
		return fmt.Errorf("detection %v", err)
	}
	return nil
}

func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
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
