// Package synth runs a complete trailguard synth of an organization config, as `cdk synth`
// runs it through app/ and as the tests run it: it builds the stacks into a CDK app with the
// compliance gates, synthesizes the app, reads the gates' verdict, checks every template
// against the AWS quotas a deploy would hit, and then emits the member stacks that replicate
// each region's prototype into the same cloud assembly (and checks them too).
package synth

import (
	"fmt"
	"os"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/trailguard/trailguard/compliance"
	"github.com/trailguard/trailguard/compliance/quota"
	"github.com/trailguard/trailguard/config"
	"github.com/trailguard/trailguard/internal/stacks"
)

// NewApp returns a trailguard app that writes its cloud assembly to outdir ("" for the one
// the cdk CLI names) with context added to the context the cdk CLI passes (tests pass the
// cdk.json context here; under the CLI it may be nil).
func NewApp(outdir string, context map[string]any) awscdk.App {
	props := &awscdk.AppProps{
		StackTraces:                     jsii.Bool(false),
		BuiltinCloudFormationValidation: jsii.Bool(true),
	}
	if outdir != "" {
		props.Outdir = jsii.String(outdir)
	}
	ctx := map[string]any{disableCreationStackTraces: true}
	for k, v := range context {
		ctx[k] = v
	}
	props.Context = &ctx
	return awscdk.NewApp(props)
}

// disableCreationStackTraces is the context key (cx-api's DISABLE_CREATION_STACK_TRACES)
// that stops aws-cdk-lib from capturing a JavaScript stack trace for every stack and
// CloudFormation element and writing it into the stack's metadata.json, which the cdk CLI
// reads whole on every command. Through jsii the traces name only the kernel's frames, never
// the Go code that made a construct. Templates do not change; `cdk synth --debug` captures
// them again, and context given to the CLI takes precedence. It is set here, not in
// cdk.json: the CLI calls keys starting with "aws:" reserved and warns about them there (on
// standard output under CI=true, into `cdk ls`).
const disableCreationStackTraces = "aws:cdk:disable-creation-stack-traces"

// Options configure Run.
type Options struct {
	// Gates are the compliance gates every built stack goes through.
	Gates *compliance.Gates
	// Context is what NewApp was given for the main app; the other apps Run creates get it too.
	Context map[string]any
	// BuildEveryMember builds every member stack from constructs (see stacks.Options).
	BuildEveryMember bool
	// AfterSynth, if set, is called once the app is synthesized, before its cloud assembly is
	// checked and the replicas are written. Run calls no jsii after it: the app stops the
	// jsii kernel there (jsii.Close), whose memory (about 600 MiB at 1,000 accounts) would
	// otherwise add to the replicas' at the synth's peak.
	AfterSynth func()
}

// Result is what a synth produced.
type Result struct {
	// Stacks are the stacks built in the main app, and the replicas emitted beside them (the
	// built stacks' jsii objects are unusable once Options.AfterSynth stopped the kernel).
	Stacks *stacks.Stacks
	// Outdir is the cloud assembly directory.
	Outdir string
	// Report is the compliance gates' verdict over every built stack, with the AWS quota
	// gate's findings over every stack (replicas included). When it has findings the caller
	// must not leave the assembly deployable; replicas are emitted only when the built stacks
	// have none.
	Report *compliance.Report
}

// Run builds cfg's stacks into app (made with NewApp), synthesizes it with the gates, checks
// their report and the AWS quotas and, if all is clean, emits the replicated member stacks
// into the same cloud assembly and checks their quotas. CDK errors surface as panics, as
// everywhere in the CDK's Go binding.
func Run(app awscdk.App, cfg *config.Config, opts Options) (*Result, error) {
	quotas, err := quota.NewGate(quota.Options{Raised: cfg.Quotas.Raised})
	if err != nil {
		return nil, err
	}
	// Templates synthesized on their own (the StackSet's member template) get an app of their
	// own, with the same context and gates; their reports count like the main one.
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
		a := NewApp(dir, opts.Context)
		opts.Gates.Apply(a)
		return a
	}
	built := stacks.Build(app, cfg, stacks.Options{NewTemplateApp: newTemplateApp, BuildEveryMember: opts.BuildEveryMember})
	opts.Gates.Apply(app)
	outdir := *app.Synth(nil).Directory()
	if opts.AfterSynth != nil {
		opts.AfterSynth()
	}
	res := &Result{Stacks: built, Outdir: outdir}

	report, err := compliance.Check(outdir)
	if err != nil {
		return nil, fmt.Errorf("reading the compliance report: %w", err)
	}
	for _, d := range templateDirs {
		r, err := compliance.Check(d)
		if err != nil {
			return nil, fmt.Errorf("reading the compliance report: %w", err)
		}
		report.Add(r)
	}
	res.Report = report
	// The quota gate reads the synthesized templates, StackSet templates included.
	qf, err := quotas.Check(outdir)
	if err != nil {
		return nil, fmt.Errorf("checking the AWS quotas: %w", err)
	}
	report.AddQuota(qf)
	if len(report.Findings) > 0 || len(built.Replicas) == 0 {
		return res, quota.WriteReport(outdir, qf)
	}

	// The replicas' templates are their prototypes', which the gates have just passed: they
	// are written from the prototypes' files, without jsii (see stacks.Replica).
	if err := stacks.EmitReplicas(outdir, built.Replicas); err != nil {
		return nil, err
	}
	// A replica's template is its prototype's but for its name, which rendered names can
	// contain: the gate checks each new stack (once per length of name).
	replicas, err := quotas.Check(outdir)
	if err != nil {
		return nil, fmt.Errorf("checking the AWS quotas: %w", err)
	}
	report.AddQuota(replicas)
	return res, quota.WriteReport(outdir, append(qf, replicas...))
}
