package main

import (
	"fmt"
	"regexp"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/spf13/cobra"
	"github.com/trailguard/trailguard/internal/archiveverify"
	"github.com/trailguard/trailguard/internal/eventhistory"
)

func newArchiveCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "archive",
		Short: "Check the organization trail's log archive",
		Args:  noArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newArchiveVerifyCmd(e))
	return cmd
}

func newArchiveVerifyCmd(e *env) *cobra.Command {
	var (
		profile, region, bucket, prefix, start, end, trailARN string
		accountIDs, regions                                   []string
		workers                                               int
		pathStyle, quiet, verbose                             bool
	)
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Validate the organization trail's digest and log files in the archive bucket",
		Long: `Verify validates the organization trail's log files in the archive bucket the way
CloudTrail's log file integrity validation defines it: the RSA signature of every
digest file (public keys from CloudTrail ListPublicKeys), the chain of digests, and
the SHA-256 of every log file a digest lists; and it reports digests and log files
that are invalid, missing, out of the chain, or listed by no digest. It reads every
account and region under AWSLogs/<org-id>/ and prints a report per account and
region. The exit code is 1 if anything failed validation or no digest was found.

It agrees with the AWS CLI's "aws cloudtrail validate-logs" on intact and tampered
archives and is stricter where the CloudTrail documentation allows: a log file in the
range that no digest lists, and a missing or replaced digest before the range (the
chain goes on before it), fail here and pass there. A time without digests because
logging or validation was off (a new chain starts with null previous-digest fields)
is reported as a gap, not as tampering. Digests are read up to an hour past --end,
as the AWS CLI does: a log file delivered in the range's last minutes is listed by
the next digest.

Endpoints: AWS_ENDPOINT_URL_S3 and AWS_ENDPOINT_URL_CLOUDTRAIL (or AWS_ENDPOINT_URL
for both) point the command at S3-compatible or local endpoints; --s3-path-style
addresses the bucket in the path.

Permissions: s3:ListBucket and s3:GetObject on the archive bucket (and kms:Decrypt
on its key if log files are KMS-encrypted), cloudtrail:ListPublicKeys.`,
		Example: `  trailguard archive verify --profile security-audit --region eu-west-1 \
      --bucket acme-cloudtrail-archive --start 2026-03-01 --end 2026-03-08`,
		Args: noPositional,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if bucket == "" {
				return usageErrorf("--bucket is required")
			}
			if start == "" {
				return usageErrorf("--start is required (RFC 3339, a UTC date, or an age such as 7d)")
			}
			if workers < 1 {
				return usageErrorf("--workers must be at least 1, got %d", workers)
			}
			now := e.now()
			from, _, err := parseTime(start, now)
			if err != nil {
				return usageErrorf("--start: %v", err)
			}
			to := now.UTC().Truncate(time.Second)
			if end != "" {
				if to, _, err = parseTime(end, now); err != nil {
					return usageErrorf("--end: %v", err)
				}
			}
			for _, a := range accountIDs {
				if !accountPattern.MatchString(a) {
					return usageErrorf("--account-id: %q is not an AWS account ID (12 digits)", a)
				}
			}
			for _, r := range regions {
				if err := eventhistory.ValidateRegion(r); err != nil {
					return usageErrorf("--regions: %v", err)
				}
			}
			if !from.Before(to) {
				return usageErrorf("--start %s is not before --end %s", from.Format(time.RFC3339), to.Format(time.RFC3339))
			}
			cfg, err := loadAWSConfig(cmd.Context(), profile, region)
			if err != nil {
				return err
			}
			began := time.Now()
			res, err := archiveverify.Verify(cmd.Context(), archiveverify.Options{
				S3: s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = pathStyle }),
				PublicKeys: func(r string) archiveverify.PublicKeysAPI {
					return cloudtrail.NewFromConfig(cfg, func(o *cloudtrail.Options) { o.Region = r })
				},
				Bucket: bucket, Prefix: prefix, Start: from, End: to, TrailARN: trailARN, Workers: workers,
				Accounts: accountIDs, Regions: regions, Verbose: verbose,
			})
			if err != nil {
				return err
			}
			if verbose {
				printFiles(e, res, bucket)
			}
			return verifyOutcome(e, res, time.Since(began), bucket, quiet)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&profile, "profile", "", "AWS shared config profile (default: the SDK's chain)")
	fl.StringVar(&region, "region", "", "the archive bucket's region (default: the SDK's chain, else us-east-1)")
	fl.StringVar(&bucket, "bucket", "", "the log archive bucket (required)")
	fl.StringVar(&prefix, "prefix", "", "the trail's S3 key prefix, if it has one")
	fl.StringVar(&start, "start", "", "validate digests ending from this time: RFC 3339, a UTC date, or an age such as 7d (required)")
	fl.StringVar(&end, "end", "", "validate digests ending up to this time, in the same forms (default: now)")
	fl.StringSliceVar(&accountIDs, "account-id", nil, "only these accounts, comma-separated (the AWS CLI's --account-id; default: every account)")
	fl.StringSliceVar(&regions, "regions", nil, "only these source regions, comma-separated (the AWS CLI validates the region of its --region; here --region is the bucket's; default: every region)")
	fl.BoolVarP(&verbose, "verbose", "v", false, "list every digest and log file: valid, or what failed (as the AWS CLI's --verbose)")
	fl.StringVar(&trailARN, "trail-arn", "", "only this trail's digests (default: every trail found)")
	fl.IntVar(&workers, "workers", archiveverify.DefaultWorkers, "files read at once")
	fl.BoolVar(&pathStyle, "s3-path-style", false, "address the bucket in the path (for S3-compatible stores)")
	fl.BoolVarP(&quiet, "quiet", "q", false, "print only failures")
	return cmd
}

// verifyOutcome prints the reports and returns the error that ends the
// command.
func verifyOutcome(e *env, res *archiveverify.Result, took time.Duration, bucket string, quiet bool) error {
	if len(res.Reports) == 0 {
		return &exitError{exitFailed, fmt.Sprintf("no digest files in the range in s3://%s: is log file validation on, and are --prefix and the times right?", bucket)}
	}
	failed, problems, digests, logs := 0, 0, 0, 0
	if !quiet {
		fmt.Fprintln(e.stdout, "| account | region | trail | digests | log files | result |")
		fmt.Fprintln(e.stdout, "|---|---|---|---:|---:|---|")
	}
	for _, r := range res.Reports {
		digests += r.Digests
		logs += r.LogFiles
		result := "ok"
		if !r.OK() {
			failed++
			problems += len(r.Problems)
			result = "**" + plural(len(r.Problems), "problem") + "**"
		}
		if !quiet || !r.OK() {
			fmt.Fprintf(e.stdout, "| %s | %s | %s | %d | %d | %s |\n", r.Account, r.Region, r.Trail, r.Digests, r.LogFiles, result)
		}
	}
	for _, r := range res.Reports {
		for _, p := range r.Problems {
			fmt.Fprintf(e.stderr, "trailguard: %s %s: %s\n", r.Account, r.Region, p)
		}
		for _, n := range r.Notes {
			fmt.Fprintf(e.stderr, "trailguard: %s %s %s: note: %s\n", r.Account, r.Region, r.Trail, n)
		}
		for _, g := range r.Gaps {
			fmt.Fprintf(e.stderr, "trailguard: %s %s %s: no digest between %s and %s: logging or log file validation was off (a gap, not tampering; nothing of that time can be validated)\n",
				r.Account, r.Region, r.Trail, g.From.Format(time.RFC3339), g.To.Format(time.RFC3339))
		}
	}
	if !quiet {
		fmt.Fprintf(e.stderr, "validated %s digests and %s log files in %d account-regions: %d files, %.1f MB read in %s\n",
			group(int64(digests)), group(int64(logs)), len(res.Reports), res.Files, float64(res.Bytes)/1e6, took.Round(time.Millisecond))
	}
	if failed > 0 {
		return &exitError{exitFailed, fmt.Sprintf("archive verification failed: %s in %d of %d account-regions", plural(problems, "problem"), failed, len(res.Reports))}
	}
	return nil
}

// printFiles lists every file validated and every problem on stdout, one a
// line: status, then the S3 URL, as the AWS CLI's --verbose does.
func printFiles(e *env, res *archiveverify.Result, bucket string) {
	for _, r := range res.Reports {
		for _, key := range r.Valid {
			fmt.Fprintf(e.stdout, "valid\ts3://%s/%s\n", bucket, key)
		}
		for _, p := range r.Problems {
			status := p.Kind
			switch p.Kind {
			case archiveverify.LogModified:
				status = "modified"
			case archiveverify.LogMissing, archiveverify.DigestMissing:
				status = "missing"
			case archiveverify.LogExtra:
				status = "not listed"
			}
			fmt.Fprintf(e.stdout, "%s\ts3://%s/%s\n", status, bucket, p.Key)
		}
	}
}

// accountPattern matches AWS account IDs.
var accountPattern = regexp.MustCompile(`^[0-9]{12}$`)

// plural returns "1 problem", "2 problems".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
