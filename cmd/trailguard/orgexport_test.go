package main

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/trailguard/trailguard/internal/eventhistory"
	"github.com/trailguard/trailguard/internal/eventhistory/cloudtrailtest"
	"github.com/trailguard/trailguard/internal/eventhistory/durable"
)

// newOrg starts a local organization and points the SDK's configuration
// chain at it with the investigator's credentials.
func newOrg(t *testing.T, opts cloudtrailtest.OrgOptions) *cloudtrailtest.Org {
	t.Helper()
	o := cloudtrailtest.NewOrg(opts)
	t.Cleanup(o.Close)
	useServer(t, &cloudtrailtest.Server{URL: o.URL})
	t.Setenv("AWS_ACCESS_KEY_ID", cloudtrailtest.CallerKey)
	return o
}

func TestHistoryExportOrg(t *testing.T) {
	regions := []string{"eu-west-1", "us-east-1"}
	accounts := []cloudtrailtest.OrgAccount{
		{ID: "111111111111", History: cloudtrailtest.Options{Regions: regions, Events: 120}},
		{ID: "222222222222", History: cloudtrailtest.Options{Regions: regions[:1], Events: 60}},
		{ID: "333333333333", NoRole: true},
		{ID: "444444444444", State: "SUSPENDED"},
	}
	accountsFile := filepath.Join(t.TempDir(), "accounts.txt")
	os.WriteFile(accountsFile, []byte("# incident 42\n111111111111, 222222222222\n333333333333\n"), 0o600)
	tests := []struct {
		name       string
		args       []string
		wantStderr []string
		wantFiles  map[string][]string // JSON Lines file -> IDs
	}{
		{
			name: "whole organization",
			args: []string{"--org"},
			wantStderr: []string{
				"trailguard: 333333333333: role missing or not trusted: cannot assume arn:aws:iam::333333333333:role/trailguard-event-history-reader",
				"111111111111: done, 240 events in 2 regions",
				"exported 300 events, 2 of 3 accounts complete, 3 regions",
				"could not read: 1 account (role missing or not trusted)",
				"SHA-256 manifest of 3 files",
				"export incomplete: 2 of 3 accounts complete",
			},
			wantFiles: map[string][]string{
				"111111111111/eu-west-1.jsonl": ids("eu-west-1", 120, nil),
				"111111111111/us-east-1.jsonl": ids("us-east-1", 120, nil),
				"222222222222/eu-west-1.jsonl": ids("eu-west-1", 60, nil),
			},
		},
		{
			name:       "accounts from a file, a region not enabled",
			args:       []string{"--accounts-file", accountsFile, "--regions", "eu-west-1,us-east-1"},
			wantStderr: []string{"trailguard: 222222222222 us-east-1: region not enabled: AWS rejected the credentials", "could not read: 1 account (role missing or not trusted), 1 region (region not enabled)"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			newOrg(t, cloudtrailtest.OrgOptions{Accounts: accounts})
			out := filepath.Join(t.TempDir(), "eh")
			r := runCommand(t, "", false, append(append([]string{"history", "export", "--out", out}, fast...), tt.args...)...)
			if r.code != exitFailed {
				t.Fatalf("exit code %d, want %d; stderr:\n%s", r.code, exitFailed, r.stderr)
			}
			for _, s := range tt.wantStderr {
				if !strings.Contains(r.stderr, s) {
					t.Errorf("stderr lacks %q:\n%s", s, r.stderr)
				}
			}
			for file, want := range tt.wantFiles {
				if diff := cmp.Diff(want, readIDs(t, filepath.Join(out, file))); diff != "" {
					t.Errorf("%s (-want +got):\n%s", file, diff)
				}
			}
			// The rerun retries the account that failed and reports only that.
			r = runCommand(t, "", false, append([]string{"history", "export", "--out", out}, append(fast, tt.args...)...)...)
			if r.code != exitFailed || strings.Contains(r.stderr, "111111111111: done") {
				t.Errorf("rerun: exit code %d, stderr:\n%s\nwant 1 and no line for accounts done before", r.code, r.stderr)
			}
		})
	}
}

func TestHistoryExportOrgComplete(t *testing.T) {
	newOrg(t, cloudtrailtest.OrgOptions{Accounts: []cloudtrailtest.OrgAccount{
		{ID: "111111111111", History: cloudtrailtest.Options{Events: 80}},
		{ID: "222222222222", History: cloudtrailtest.Options{Events: 30}},
	}})
	out := filepath.Join(t.TempDir(), "eh")
	args := append([]string{"history", "export", "--out", out, "--accounts", "111111111111,222222222222", "--format", "cloudtrail"}, fast...)
	for _, terminal := range []bool{true, false} {
		r := runCommand(t, "", terminal, args...)
		if r.code != exitOK {
			t.Fatalf("exit code %d, stderr:\n%s", r.code, r.stderr)
		}
		want := "exported 110 events, 2 of 2 accounts complete"
		if !terminal {
			want = "nothing to do: the export in " + out + " is complete (110 events of 2 accounts)"
		}
		if !strings.Contains(r.stderr, want) {
			t.Errorf("terminal=%v: stderr lacks %q:\n%s", terminal, want, r.stderr)
		}
	}
	for _, acct := range []string{"111111111111", "222222222222"} {
		if _, err := os.Stat(filepath.Join(out, "AWSLogs", acct, "CloudTrail", "us-east-1")); err != nil {
			t.Errorf("no log files of %s: %v", acct, err)
		}
	}
	// A single-account rerun of an organization export is refused.
	r := runCommand(t, "", false, append([]string{"history", "export", "--out", out}, fast...)...)
	if r.code != exitUsage || !strings.Contains(r.stderr, "holds an export of several accounts") {
		t.Errorf("single-account rerun: exit code %d, stderr:\n%s", r.code, r.stderr)
	}
}

func TestHistoryExportOrgUsageErrors(t *testing.T) {
	newOrg(t, cloudtrailtest.OrgOptions{})
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"org and accounts", []string{"--org", "--accounts", "111111111111"}, "leave out --accounts"},
		{"bad account", []string{"--accounts", "1234"}, `--accounts: "1234" is not an AWS account ID`},
		{"missing file", []string{"--accounts-file", "/nonexistent/accounts.txt"}, "--accounts-file: open"},
		{"workers", []string{"--org", "--workers", "0"}, "--workers must be at least 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "eh")
			r := runCommand(t, "", false, append([]string{"history", "export", "--out", out}, tt.args...)...)
			if r.code != exitUsage || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("exit code %d, stderr:\n%s\nwant %d and %q", r.code, r.stderr, exitUsage, tt.want)
			}
		})
	}
}

func TestHistoryExportOrgDenied(t *testing.T) {
	newOrg(t, cloudtrailtest.OrgOptions{DenyListAccounts: true})
	r := runCommand(t, "", false, append([]string{"history", "export", "--org", "--out", filepath.Join(t.TempDir(), "eh")}, fast...)...)
	if r.code != exitFailed || !strings.Contains(r.stderr, "cannot list the organization's accounts") || !strings.Contains(r.stderr, "--accounts") {
		t.Errorf("exit code %d, stderr:\n%s", r.code, r.stderr)
	}
}

// TestHistoryExportOrgProgress checks what an organization export shows:
// off a terminal a progress line every progressEvery; on a terminal the
// overall bar drawn last and a failed account's bar not drawn full; and
// in both the accounts skipped because they are not active.
func TestHistoryExportOrgProgress(t *testing.T) {
	defer func(d time.Duration) { progressEvery = d }(progressEvery)
	progressEvery = 100 * time.Millisecond
	accounts := []cloudtrailtest.OrgAccount{
		{ID: "111111111111", History: cloudtrailtest.Options{Events: 1500}},
		{ID: "222222222222", History: cloudtrailtest.Options{Events: 1500}},
		{ID: "333333333333", NoRole: true},
		{ID: "444444444444", State: "SUSPENDED"},
	}
	for _, terminal := range []bool{false, true} {
		t.Run(fmt.Sprintf("terminal=%v", terminal), func(t *testing.T) {
			newOrg(t, cloudtrailtest.OrgOptions{Accounts: accounts})
			out := filepath.Join(t.TempDir(), "eh")
			// 30 pages an account at 40 a second: most of a second.
			r := runCommand(t, "", terminal, "history", "export", "--out", out, "--org", "--rate", "40", "--max-backoff", "5ms", "--retry-mode", "standard")
			if r.code != exitFailed {
				t.Fatalf("exit code %d, stderr:\n%s", r.code, r.stderr)
			}
			want := []string{"trailguard: skipped 1 account not active: 444444444444 (SUSPENDED)", "skipped: 1 account not active"}
			if terminal {
				want = append(want, "333333333333", "stopped (role missing or not trusted)")
			} else {
				want = append(want, "progress: ", "account-regions done in the ", "/3 accounts done", " ev/s")
			}
			for _, s := range want {
				if !strings.Contains(r.stderr, s) {
					t.Errorf("stderr lacks %q:\n%s", s, r.stderr)
				}
			}
			if terminal {
				// The last frame: the overall bar below every account's.
				bars, _, _ := strings.Cut(r.stderr, "trailguard: ")
				last := bars[strings.LastIndex(bars, "333333333333"):]
				if !strings.Contains(last, "all accounts") {
					t.Errorf("the overall bar is not drawn below the accounts' bars:\n%q", last)
				}
				if regexp.MustCompile(`333333333333 +\[=+\]`).MatchString(r.stderr) {
					t.Errorf("the failed account's bar is drawn full:\n%s", r.stderr)
				}
			}
		})
	}
}

// TestHistoryExportOrgKill kills (SIGKILL) an organization export again and
// again at moments spread over its run, checkpoint saves included, and
// reruns it until it completes: every account-region ends with each event
// once, and no temporary file is left.
func TestHistoryExportOrgKill(t *testing.T) {
	regions := []string{"eu-west-1", "us-east-1"}
	var accounts []cloudtrailtest.OrgAccount
	for i := range 3 {
		accounts = append(accounts, cloudtrailtest.OrgAccount{ID: fmt.Sprintf("%012d", 100000000001+i), History: cloudtrailtest.Options{Regions: regions, Events: 600}})
	}
	newOrg(t, cloudtrailtest.OrgOptions{Accounts: accounts})
	out := filepath.Join(t.TempDir(), "eh")
	// 12 pages an account-region at 20 requests a second: about 0.6 s a run
	// without kills.
	args := []string{"history", "export", "--out", out, "--org", "--rate", "20", "--max-backoff", "5ms", "--retry-mode", "standard",
		"--start", "2026-02-01", "--end", "2026-03-03"}
	kills := 0
	for run := 0; ; run++ {
		if run == 40 {
			t.Fatalf("not complete after %d runs", run)
		}
		cmd := exec.Command(os.Args[0], args...)
		cmd.Env = append(os.Environ(), childEnv+"=1")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		// Each run lives a little longer (checkpoints are saved every
		// second, and at the end of each region), at a moment that falls
		// differently against the saves each time.
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("run %d: %v; stderr:\n%s", run, err, stderr.String())
			}
		case <-time.After(time.Duration(150+run*120+(run*37)%100) * time.Millisecond):
			cmd.Process.Signal(syscall.SIGKILL)
			if err := <-done; err == nil {
				goto complete // it finished just before the kill
			}
			kills++
			// What a kill inside a save leaves (a window of microseconds
			// that the kills above rarely hit): durable.WriteFile's
			// temporary file, beside the state and a checkpoint.
			for _, dir := range []string{out, filepath.Join(out, eventhistory.AccountsDir, accounts[run%3].ID)} {
				os.WriteFile(filepath.Join(dir, fmt.Sprintf(".checkpoint.json.tmp-%d", run)), []byte(`{"par`), 0o600)
			}
			continue
		}
		break
	}
complete:
	if kills < 3 {
		t.Fatalf("killed %d times, want at least 3: the export finished too fast to test anything", kills)
	}
	for _, a := range accounts {
		for _, r := range regions {
			if diff := cmp.Diff(ids(r, 600, nil), readIDs(t, filepath.Join(out, a.ID, r+".jsonl"))); diff != "" {
				t.Errorf("%s %s after %d kills (-want +got):\n%s", a.ID, r, kills, diff)
			}
		}
	}
	filepath.WalkDir(out, func(path string, d fs.DirEntry, err error) error {
		if err == nil && durable.IsTemp(d.Name()) {
			t.Errorf("temporary file left after %d kills: %s", kills, path)
		}
		return nil
	})
	t.Logf("complete after %d kills", kills)
}
