package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/trailguard/trailguard/config"
	"github.com/trailguard/trailguard/detect"
	"github.com/trailguard/trailguard/internal/eventhistory/consolefile"
	"github.com/trailguard/trailguard/internal/respond"
)

type respondFlags struct {
	dryRun bool
	config string
	rules  []string
	format string
}

func newRespondCmd(e *env) *cobra.Command {
	var f respondFlags
	cmd := &cobra.Command{
		Use:   "respond --dry-run [--config org.yaml] PATH...",
		Short: "Show what the automatic response would do for CloudTrail records in files",
		Long: `Respond runs the detection rules over the CloudTrail records in files (as detect
reads them) and, for each alert of a rule that carries a response, prints the decision the
deployed responder function makes, with the same code: the action, its mode (from the
config's response section: off, dry-run or enforce), the resource, and why it would act or
why it skips (the action is off, the resource or account is exempt, the call failed, the
call is the responder's own, the event names nothing the action can restore).

It never calls AWS: the responder re-reads each resource's current state before acting and
acts only if it is still wrong, and it counts its actions per resource and account for the
circuit breaker; neither can be seen from files. Only --dry-run is supported.`,
		Example: `  trailguard respond --dry-run --config org.yaml ./AWSLogs
  trailguard respond --dry-run --format json events.jsonl`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageErrorf("respond needs at least one PATH")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error { return runRespond(cmd.Context(), e, &f, args) },
	}
	fl := cmd.Flags()
	fl.BoolVar(&f.dryRun, "dry-run", false, "required: decide, print, change nothing")
	fl.StringVar(&f.config, "config", "", "the organization config: its response section (modes, exemptions) and detection section (rulesDir, disabledRules). Default: every action in dry-run, no exemptions, the default rules")
	fl.StringArrayVar(&f.rules, "rules", nil, "a directory of rule files to add to the default rules (repeatable)")
	fl.StringVar(&f.format, "format", "text", "output format: text (a table) or json (one decision per line)")
	return cmd
}

func runRespond(ctx context.Context, e *env, f *respondFlags, paths []string) error {
	if !f.dryRun {
		return usageErrorf("respond only runs with --dry-run: the deployed responder function acts, this command shows what it would decide")
	}
	if f.format != "text" && f.format != "json" {
		return usageErrorf("--format must be text or json, got %q", f.format)
	}
	opts := detect.LoadOptions{Dirs: f.rules}
	policy := &respond.Policy{Response: config.Response{MaxActionsPerResource: config.DefaultMaxActionsPerResource, MaxActionsPerAccount: config.DefaultMaxActionsPerAccount}}
	if f.config != "" {
		data, err := os.ReadFile(f.config)
		if err != nil {
			return usageErrorf("--config: %v", err)
		}
		cfg, err := config.Load(f.config, data)
		if err != nil {
			return err
		}
		policy = respond.NewPolicy(cfg)
		if cfg.Detection.RulesDir != "" {
			opts.Dirs = append(opts.Dirs, filepath.Join(filepath.Dir(f.config), cfg.Detection.RulesDir))
		}
		opts.Disabled, opts.DisabledName = cfg.Detection.DisabledRules, f.config+": detection.disabledRules"
	}
	engine, err := detect.LoadWith(opts)
	if err != nil {
		return err
	}
	decider := respond.NewDecider(engine, policy)
	det := detect.NewDetector(engine, nil)
	var print func(respond.Decision) error
	flush := func() {}
	if f.format == "json" {
		enc := json.NewEncoder(e.stdout)
		enc.SetEscapeHTML(false)
		print = func(d respond.Decision) error { return enc.Encode(d) }
	} else {
		tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
		flush = func() { tw.Flush() }
		fmt.Fprintln(tw, "DECISION\tACTION\tMODE\tACCOUNT\tREGION\tRESOURCE\tEVENT ID\tWHY")
		print = func(d respond.Decision) error {
			verdict, account, region, resource := "skip", "-", "-", "-"
			if d.Act {
				if d.Mode == config.ResponseDryRun {
					verdict = "would report (dry-run)"
				} else {
					verdict = "would act (enforce)"
				}
			}
			if t := d.Target; t != nil {
				account, region, resource = t.Account, t.Region, t.String()
			}
			_, err := fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", verdict, d.Action, d.Mode, account, region, resource, d.EventID, d.Reason)
			return err
		}
	}
	var acts, skips, failed int
	handle := func(name string, rd io.Reader) {
		n := 0
		err := consolefile.Read(rd, func(raw []byte) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			n++
			rec, err := detect.ParseRecord(raw)
			if err != nil {
				return fmt.Errorf("record %d: %w", n, err)
			}
			alerts, err := det.Process(rec)
			if err != nil {
				return err
			}
			for _, a := range alerts {
				if !decider.HasResponse(a) {
					continue
				}
				d, err := decider.Decide(a)
				if err != nil {
					return err
				}
				if d.Act {
					acts++
				} else {
					skips++
				}
				if err := print(d); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil && !errors.Is(err, consolefile.ErrNoRecords) {
			failed++
			fmt.Fprintf(e.stderr, "trailguard: %s: %v\n", name, err)
		}
	}
	for _, p := range paths {
		if p == "-" {
			handle("standard input", e.stdin)
			continue
		}
		err := filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				failed++
				fmt.Fprintf(e.stderr, "trailguard: %s: %v\n", path, err)
				return nil
			}
			if d.IsDir() {
				if d.Name() == "CloudTrail-Digest" {
					return filepath.SkipDir
				}
				return nil
			}
			if path != p && !recordFile(d.Name()) {
				return nil
			}
			fh, err := os.Open(path)
			if err != nil {
				failed++
				fmt.Fprintf(e.stderr, "trailguard: %s: %v\n", path, err)
				return nil
			}
			defer fh.Close()
			handle(path, fh)
			return ctx.Err()
		})
		if err != nil {
			return err
		}
	}
	flush()
	fmt.Fprintf(e.stderr, "%d responses would run, %d skipped (the responder re-reads each resource first and acts only if it is still wrong)\n", acts, skips)
	if failed > 0 {
		return &exitError{exitFailed, fmt.Sprintf("%d files could not be read (see above)", failed)}
	}
	return nil
}
