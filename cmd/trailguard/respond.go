package main

import (
	"context"
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/trailguard/trailguard/config"
	"github.com/trailguard/trailguard/detect"
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
		Long: `Respond runs the detection rules over the CloudTrail records in files (the same
files, formats and skips as detect, and with --config the same organization context,
rulesDir and disabledRules) and, for each alert of a rule that carries a response, prints the decision the
deployed responder function makes, with the same code: the action, its mode (from the
config's response section: off, dry-run or enforce), the resource, and why it would act or
why it skips (the action is off, the resource or account is exempt, the call failed, the
call is the responder's own, the event names nothing the action can restore). A skip for
an exemption is marked "audited": the responder publishes an audit alert for it.

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
	engine, cfg, _, err := loadRules(f.config, f.rules, nil, paths)
	if err != nil {
		return err
	}
	policy := &respond.Policy{Response: config.Response{MaxActionsPerResource: config.DefaultMaxActionsPerResource, MaxActionsPerAccount: config.DefaultMaxActionsPerAccount}}
	if cfg != nil {
		policy = respond.NewPolicy(cfg)
	}
	decider := respond.NewDecider(engine, policy)
	r := newDetectRun(ctx, e, engine)
	var print func(respond.Decision) error
	if f.format == "json" {
		enc := json.NewEncoder(e.stdout)
		enc.SetEscapeHTML(false)
		print = func(d respond.Decision) error { return enc.Encode(d) }
	} else {
		tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
		r.flush = func() { tw.Flush() }
		fmt.Fprintln(tw, "DECISION\tACTION\tMODE\tACCOUNT\tREGION\tRESOURCE\tEVENT ID\tWHY")
		print = func(d respond.Decision) error {
			verdict, account, region, resource := "skip ("+d.Skip+")", "-", "-", "-"
			if d.Skip == respond.SkipExempt {
				verdict += ", audited"
			}
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
	// The records are read as detect reads them (the same files, formats and skips), and
	// each alert of a rule with a response is decided.
	var acts, skips int
	r.print = func(a *detect.Alert) error {
		if !decider.HasResponse(a) {
			return nil
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
		return print(d)
	}
	for _, p := range paths {
		if err := r.path(p); err != nil {
			return err // interrupted, or the output failed
		}
	}
	r.flush()
	r.printSkipped("records that are not CloudTrail records", r.skippedRecords)
	r.printSkipped("files that hold no CloudTrail records", r.skippedFiles)
	fmt.Fprintf(e.stderr, "%d responses would run, %d skipped (the responder re-reads each resource first and acts only if it is still wrong)\n", acts, skips)
	if r.failedFiles > 0 || r.badLines > 0 {
		return &exitError{exitFailed, fmt.Sprintf("the input was not fully read (see above): %d files could not be read, %d lines were not valid JSON", r.failedFiles, r.badLines)}
	}
	return nil
}
