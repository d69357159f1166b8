// Command trailguard holds trailguard's tools that need no CDK.
//
//	trailguard history export    export CloudTrail Event History in bulk
//	trailguard history convert   convert Event History console downloads
//	trailguard archive verify    validate the organization trail's archive
//	trailguard detect            run the detection rules over CloudTrail records in files
//	trailguard query             query the log archive with Athena for a time range
//	trailguard respond --dry-run show what the automatic response would do for records in files
//
// Exit codes:
//
//	0    success (for detect: everything was read, whether or not there were alerts)
//	1    the work failed (an export keeps its progress: rerun to resume; detect: the input was not fully read)
//	2    usage error: bad flags or arguments
//	3    detect --fail-on: an alert at or above that severity
//	130  interrupted (Ctrl-C or SIGTERM); an export is resumable
//
// Each subcommand group lives in its own file and is added in newRootCmd.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/trailguard/trailguard/internal/eventhistory"
)

// Exit codes.
const (
	exitOK          = 0
	exitFailed      = 1
	exitUsage       = 2
	exitInterrupted = 130
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], newEnv()))
}

// env is what commands read and write instead of the process's globals, so
// that tests can run them in-process.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	// terminal reports whether stderr is a terminal, where progress bars go.
	terminal bool
	now      func() time.Time
}

func newEnv() *env {
	return &env{
		stdin:    os.Stdin,
		stdout:   os.Stdout,
		stderr:   os.Stderr,
		terminal: isTerminal(os.Stderr),
		now:      time.Now,
	}
}

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// run runs the command line args and returns the exit code. The first
// interrupt cancels the work, which then saves its progress; a second one
// kills the process the default way.
func run(ctx context.Context, args []string, e *env) (code int) {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop()
	}()
	defer func() {
		// A bug must not dump a stack trace on the user: one line, exit 1.
		if p := recover(); p != nil {
			fmt.Fprintf(e.stderr, "trailguard: internal error: %v\n", p)
			code = exitFailed
		}
	}()
	root := newRootCmd(e)
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	if cmd == nil {
		cmd = root
	}
	return report(err, cmd.CommandPath(), e.stderr)
}

func newRootCmd(e *env) *cobra.Command {
	root := &cobra.Command{
		Use:   "trailguard",
		Short: "Tools for an AWS Organization's API-call logging that need no CDK: deploy plan, Event History export, archive verification and queries, detection",
		Long: `Tools for an AWS Organization's API-call logging that need no CDK: deploy plan, Event
History export, archive verification and queries, detection.

Exit codes:
  0    success (for detect: it ran, whether or not there were alerts)
  1    the work failed (an export keeps its progress: rerun to resume)
  2    usage error: bad flags or arguments
  3    detect --fail-on: an alert at or above the given severity
  130  interrupted (Ctrl-C or SIGTERM); an export is resumable`,
		Version:       version(),
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          noArgs,
		RunE:          func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	root.CompletionOptions.DisableDefaultCmd = true
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err.Error()} })
	root.AddCommand(newHistoryCmd(e), newPlanCmd(e), newArchiveCmd(e), newDetectCmd(e), newQueryCmd(e), newRespondCmd(e))
	return root
}

// usageError is a mistake in the command line: exit code 2.
type usageError struct {
	msg string
}

func (e *usageError) Error() string { return e.msg }

func usageErrorf(format string, a ...any) error {
	return &usageError{fmt.Sprintf(format, a...)}
}

// exitError ends a command with a message and an exit code.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

// noArgs rejects arguments, naming the first as an unknown command, for
// commands that only group subcommands.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageErrorf("unknown command %q for %q", args[0], cmd.CommandPath())
	}
	return nil
}

// noPositional rejects arguments for commands that take none.
func noPositional(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageErrorf("%s takes no arguments, got %q", cmd.CommandPath(), args[0])
	}
	return nil
}

// report prints err as one line and returns the exit code it means.
// command is the command that failed, for the usage hint.
func report(err error, command string, stderr io.Writer) int {
	if err == nil {
		return exitOK
	}
	msg := strings.TrimSpace(err.Error())
	var usage *usageError
	var option *eventhistory.OptionError
	var exit *exitError
	switch {
	case errors.As(err, &usage), errors.As(err, &option):
		fmt.Fprintf(stderr, "trailguard: %s\nRun '%s --help' for usage.\n", msg, command)
		return exitUsage
	case errors.As(err, &exit):
		fmt.Fprintf(stderr, "trailguard: %s\n", msg)
		return exit.code
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(stderr, "trailguard: interrupted")
		return exitInterrupted
	}
	fmt.Fprintf(stderr, "trailguard: %s\n", msg)
	return exitFailed
}
