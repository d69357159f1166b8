package test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// Tests of the commands users run, as they run them: make and the pinned cdk CLI on a clean
// copy of the repository, with cdk.json's `go run ./app`. Every cdk command synthesizes the
// app again into the same cdk.out (cdk ls, synth, diff, deploy, bootstrap), so what the app
// writes there must be idempotent: each command must give the cloud assembly a synth into an
// empty directory gives. A command given the cloud assembly instead (--app cdk.out, as the
// deploy plan's are) must read it without running the app, and leave it as it was. There is
// no AWS account and no network: a command that needs AWS must get past synth (or the
// reading of the assembly) and stop at asking for credentials.

// noCredentials is what the cdk CLI says when a command needs AWS credentials and has none.
const noCredentials = "but no credentials have been configured"

// synthSummary matches the app's last line after a complete synth (app/summary.go).
var synthSummary = regexp.MustCompile(`trailguard: (\d+) stack\(s\), \d+ resource\(s\); compliance: `)

// workspace is a clean copy of the repository, as a fresh clone after `make deps`: the files
// git tracks (and untracked ones it does not ignore), copied from the working tree, with the
// repository's node_modules linked in. Its commands run as a user runs them with `npx cdk`
// (node_modules/.bin first on PATH), in a home directory of their own, with AWS profiles that
// have no credentials and without the EC2 instance metadata service.
type workspace struct {
	dir, home string
	env       []string
}

// newWorkspace copies the repository and writes an AWS config with a default profile, without
// credentials, in region.
func newWorkspace(t *testing.T, region string) *workspace {
	t.Helper()
	cdkCLI(t) // the pinned toolchain must be installed in the repository
	start := time.Now()
	dir := t.TempDir()
	out, err := exec.Command("git", "-C", repoRoot, "ls-files", "-z", "--cached", "--others", "--exclude-standard").Output()
	if err != nil {
		t.Fatalf("listing the repository's files (git ls-files): %v", err)
	}
	for _, name := range strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00") {
		if err := copyPath(filepath.Join(repoRoot, name), filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	nodeModules, err := filepath.Abs(filepath.Join(repoRoot, "node_modules"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(nodeModules, filepath.Join(dir, "node_modules")); err != nil {
		t.Fatal(err)
	}

	home := t.TempDir()
	w := &workspace{dir: dir, home: home}
	w.writeProfiles(t, region)

	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "AWS_") || strings.HasPrefix(name, "CDK_") || slices.Contains([]string{"HOME", "PATH", "JSII_NODE", "CI"}, name) {
			continue
		}
		env = append(env, kv)
	}
	env = append(env,
		"HOME="+home,
		"PATH="+filepath.Join(dir, "node_modules", ".bin")+string(os.PathListSeparator)+os.Getenv("PATH"),
		"AWS_CONFIG_FILE="+filepath.Join(home, "aws-config"),
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(home, "aws-credentials"),
		"AWS_EC2_METADATA_DISABLED=true",
		"CDK_DISABLE_CLI_TELEMETRY=true",
		"CDK_DISABLE_VERSION_CHECK=true",
		// As in CI, wherever the tests run: under CI=true the cdk CLI prints its warnings on
		// standard output, where they would land in what `cdk ls` lists.
		"CI=true",
	)
	// Keep the Go and jsii caches, which are found through the home directory by default.
	goEnv, err := exec.Command("go", "env", "-json", "GOCACHE", "GOMODCACHE", "GOPATH", "GOENV").Output()
	if err != nil {
		t.Fatalf("go env: %v", err)
	}
	var goVars map[string]string
	if err := json.Unmarshal(goEnv, &goVars); err != nil {
		t.Fatalf("go env: %v", err)
	}
	for name, value := range goVars {
		env = append(env, name+"="+value)
	}
	if os.Getenv("JSII_RUNTIME_PACKAGE_CACHE_ROOT") == "" {
		if root := jsiiPackageCacheRoot(); root != "" {
			env = append(env, "JSII_RUNTIME_PACKAGE_CACHE_ROOT="+root)
		}
	}
	w.env = env
	t.Logf("workspace %s ready in %.1fs", dir, time.Since(start).Seconds())
	return w
}

// writeProfiles writes the workspace's AWS config: a default profile and the named ones, all
// with region as their region and none with credentials.
func (w *workspace) writeProfiles(t *testing.T, region string, profiles ...string) {
	t.Helper()
	var config strings.Builder
	config.WriteString("[default]\nregion = " + region + "\n")
	for _, p := range profiles {
		fmt.Fprintf(&config, "[profile %s]\nregion = %s\n", p, region)
	}
	if err := os.WriteFile(filepath.Join(w.home, "aws-config"), []byte(config.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(w.home, "aws-credentials"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
}

// afterMakeDeps dates the workspace's package.json and package-lock.json no later than the
// linked node_modules/.installed, as in a clone after `make deps`: make targets that need the
// toolchain (make synth) then run as printed, without npm ci (which would reinstall the
// repository's own node_modules through the link).
func (w *workspace) afterMakeDeps(t *testing.T) {
	t.Helper()
	installed, err := os.Stat(filepath.Join(w.dir, "node_modules", ".installed"))
	if err != nil {
		t.Fatalf("the pinned toolchain is not installed by make deps: %v", err)
	}
	for _, name := range []string{"package.json", "package-lock.json"} {
		if err := os.Chtimes(filepath.Join(w.dir, name), installed.ModTime(), installed.ModTime()); err != nil {
			t.Fatal(err)
		}
	}
}

// jsiiPackageCacheRoot is the directory jsii's kernel caches packages in by default (its
// defaultCacheRoot), found from the real home directory.
func jsiiPackageCacheRoot() string {
	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	switch runtime.GOOS {
	case "windows":
		return "" // LOCALAPPDATA, not the home directory
	case "darwin":
		return filepath.Join(home, "Library", "Caches", "com.amazonaws.jsii", "package-cache")
	default:
		return filepath.Join(home, ".cache", "aws", "jsii", "package-cache")
	}
}

// copyPath copies the file or symbolic link from to to, creating to's directory; a file
// listed by git but deleted from the working tree is skipped.
func copyPath(from, to string) error {
	info, err := os.Lstat(from)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		return err
	}
	if info.Mode()&fs.ModeSymlink != 0 {
		target, err := os.Readlink(from)
		if err != nil {
			return err
		}
		return os.Symlink(target, to)
	}
	data, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, data, info.Mode().Perm())
}

// result is what a command printed and how it exited.
type result struct {
	code           int
	stdout, output string // output is stdout and stderr interleaved
}

// run runs a shell command line in the workspace, as a user types it.
func (w *workspace) run(t *testing.T, line string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", "-c", line)
	cmd.Dir, cmd.Env = w.dir, w.env
	cmd.WaitDelay = 10 * time.Second
	var stdout bytes.Buffer
	var output lockedBuffer
	cmd.Stdout, cmd.Stderr = io.MultiWriter(&stdout, &output), &output
	start := time.Now()
	err := cmd.Run()
	r := result{stdout: stdout.String(), output: output.buf.String()}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		r.code = exit.ExitCode()
	default:
		t.Fatalf("$ %s: %v\n%s", line, err, r.output)
	}
	if ctx.Err() != nil {
		t.Fatalf("$ %s: did not finish in 5 minutes (waiting on the network?); output:\n%s", line, r.output)
	}
	var cpu time.Duration
	if ps := cmd.ProcessState; ps != nil {
		cpu = ps.UserTime() + ps.SystemTime() // of every process the command waited for
	}
	t.Logf("$ %s  (exit %d, %.1fs, %.1fs CPU)", line, r.code, time.Since(start).Seconds(), cpu.Seconds())
	return r
}

// lockedBuffer is a buffer that the goroutines copying a command's stdout and stderr can
// both write to.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// assembly returns every file of the workspace's cdk.out (but the cdk CLI's lock files) by
// its slash-separated path.
func (w *workspace) assembly(t *testing.T) map[string][]byte {
	t.Helper()
	dir := filepath.Join(w.dir, "cdk.out")
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(path, ".lock") {
			return err
		}
		// aws-cdk-lib writes performance counters for the CLI only when a synth takes 10 s or
		// more per stack (App.shouldReportSlowSynth): on a busy machine one run has it and the
		// next may not. A diagnostic, not part of the assembly.
		if d.Name() == "performance-counters.json" {
			return nil
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		files[filepath.ToSlash(rel)], err = os.ReadFile(path)
		return err
	})
	if err != nil {
		t.Fatalf("reading cdk.out: %v", err)
	}
	return files
}

// assemblyDiff names the files that differ between two cloud assemblies.
func assemblyDiff(want, got map[string][]byte) []string {
	var diffs []string
	for name, w := range want {
		g, ok := got[name]
		switch {
		case !ok:
			diffs = append(diffs, name+" is missing")
		case !bytes.Equal(w, g):
			diffs = append(diffs, name+" differs")
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			diffs = append(diffs, name+" is extra")
		}
	}
	slices.Sort(diffs)
	return diffs
}

// assemblyStacks returns the stacks of the cloud assembly whose manifest is files's, each
// with its account.
func assemblyStacks(t *testing.T, files map[string][]byte) map[string]string {
	t.Helper()
	var m struct {
		Artifacts map[string]struct {
			Type        string `json:"type"`
			Environment string `json:"environment"`
		} `json:"artifacts"`
	}
	if err := json.Unmarshal(files["manifest.json"], &m); err != nil {
		t.Fatalf("cdk.out/manifest.json: %v", err)
	}
	stacks := map[string]string{}
	for name, a := range m.Artifacts {
		if a.Type == "aws:cloudformation:stack" {
			account, _, _ := strings.Cut(strings.TrimPrefix(a.Environment, "aws://"), "/")
			stacks[name] = account
		}
	}
	return stacks
}

// expectation is how a command of a workflow must end.
type expectation int

const (
	// succeeds: exit 0 after a complete synth.
	succeeds expectation = iota
	// needsCredentials: a complete synth, then a non-zero exit asking for credentials.
	needsCredentials
	// readsAssembly: no synth (the app does not run: the command reads cdk.out), then a
	// non-zero exit asking for credentials.
	readsAssembly
)

// synthesizesEach is the expectation of a command in a workflow whose cdk commands all run
// the app: a cdk deploy, diff or bootstrap needs credentials, anything else succeeds.
func synthesizesEach(line string) expectation {
	for _, cmd := range []string{"cdk deploy", "cdk diff", "cdk bootstrap"} {
		if strings.HasPrefix(line, cmd) {
			return needsCredentials
		}
	}
	return succeeds
}

// check fails t unless r, the result of line, ended as want: after a complete synth of
// stacks stacks (or, for readsAssembly, without a synth), with no error of the app or of the
// merge of its cloud assembly.
func check(t *testing.T, line string, r result, want expectation, stacks int) {
	t.Helper()
	var problems []string
	for _, bad := range []string{"Subprocess exited with error", "synth failed", "merge ", "both have"} {
		if strings.Contains(r.output, bad) {
			problems = append(problems, fmt.Sprintf("says %q", bad))
		}
	}
	m := synthSummary.FindStringSubmatch(r.output)
	switch {
	case want == readsAssembly && m != nil:
		problems = append(problems, "runs the app (its synth summary), want it to read the cloud assembly in cdk.out")
	case want != readsAssembly && (m == nil || m[1] != fmt.Sprint(stacks)):
		problems = append(problems, fmt.Sprintf("no complete synth of %d stacks", stacks))
	}
	switch {
	case want == succeeds && r.code != 0:
		problems = append(problems, fmt.Sprintf("exit %d, want 0", r.code))
	case want != succeeds && (r.code == 0 || !strings.Contains(r.output, noCredentials)):
		problems = append(problems, fmt.Sprintf("exit %d, want a failure saying %q", r.code, noCredentials))
	}
	if len(problems) > 0 {
		t.Errorf("$ %s: %s; output:\n%s", line, strings.Join(problems, "; "), r.output)
	}
}

// runSteps runs lines in w in order, each as check requires it to end as expect says, and
// requires every one to leave cdk.out as the first left it. It returns their results and
// that cloud assembly.
func runSteps(t *testing.T, w *workspace, lines []string, expect func(line string) expectation, stacks int) ([]result, map[string][]byte) {
	t.Helper()
	var results []result
	var first map[string][]byte
	for _, line := range lines {
		r := w.run(t, line)
		results = append(results, r)
		want := expect(line)
		check(t, line, r, want, stacks)
		files := w.assembly(t)
		if first == nil {
			first = files
		} else if diffs := assemblyDiff(first, files); len(diffs) > 0 {
			t.Errorf("$ %s: cdk.out differs from the first synth's: %s", line, strings.Join(diffs, "; "))
		}
		if want != succeeds {
			for _, account := range commandAccounts(t, line, files) {
				if !strings.Contains(r.output, "for account "+account+", "+noCredentials) {
					t.Errorf("$ %s: does not ask for credentials of account %s:\n%s", line, account, r.output)
				}
			}
		}
		if t.Failed() {
			t.FailNow() // the later commands would only repeat the failure
		}
	}
	return results, first
}

// commandAccounts returns the accounts a cdk deploy or bootstrap command line acts in: those
// of its aws:// environments and of the stacks it names (looked up in the cloud assembly).
func commandAccounts(t *testing.T, line string, files map[string][]byte) []string {
	t.Helper()
	stacks := assemblyStacks(t, files)
	var accounts []string
	for _, word := range strings.Fields(line) {
		account, ok := stacks[word]
		if env, isEnv := strings.CutPrefix(word, "aws://"); isEnv {
			account, _, ok = strings.Cut(env, "/")
		}
		if ok && !slices.Contains(accounts, account) {
			accounts = append(accounts, account)
		}
	}
	return accounts
}

// TestWorkflow runs the README's `make synth` and then the cdk commands users run after it,
// each synthesizing again into the cdk.out the one before left (the order that failed with
// "merge ... both have ...assets.json"): every command must give the cloud assembly of `make
// synth`, byte for byte, and `cdk ls` must list every stack of the example.
func TestWorkflow(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the cdk CLI 6 times, each a complete synth (-short)")
	}
	names := stackNames(example.stacks)
	deploy := names[len(names)-1] // replicas come last; any stack synthesizes all of them
	want := slices.Sorted(slices.Values(names))
	// From here on only cdk and make processes of a workspace of its own: it runs beside the
	// other tests that run commands (after every in-process synth, which jsii serializes).
	t.Parallel()
	w := newWorkspace(t, example.cfg.HomeRegion)
	// -o: node_modules is the repository's own, linked; package.json is newer in the copy, and
	// make would otherwise run npm ci on it.
	lines := []string{"make -o node_modules/.installed synth", "cdk ls", "cdk synth", "cdk ls", "cdk diff", "cdk deploy " + deploy}
	results, _ := runSteps(t, w, lines, synthesizesEach, len(names))
	// make synth prints the app's summary, not the CLI's line naming every stack (150 KB for
	// 1,000 accounts).
	if out := results[0].output; strings.Contains(out, "\nSupply a stack id (") || !strings.Contains(out, "trailguard: organization ") {
		t.Errorf("$ %s: want the summary only, got:\n%s", lines[0], out)
	}
	for i, line := range lines {
		if line != "cdk ls" {
			continue
		}
		if got := slices.Sorted(slices.Values(strings.Fields(results[i].stdout))); !slices.Equal(got, want) {
			t.Errorf("$ cdk ls (command %d) listed %v, want %v", i+1, got, want)
		}
	}
}

// TestDeployPlanRunsAsPrinted makes the deploy plan of a user's config with `make plan` and
// runs every command it prints (but the prerequisites' aws commands and the later onboarding
// step's), as printed, in order, with the profiles it names (which have no credentials): its
// synth step must synthesize the planned organization, and every cdk bootstrap and deploy
// command after it must read that cloud assembly without running the app, leave it as it
// was, and get as far as asking for the credentials of its account. Together the deploy
// commands must deploy every stack of the cloud assembly.
func TestDeployPlanRunsAsPrinted(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every command of a deploy plan, a complete synth first (-short)")
	}
	// The user's config: the example with its last member renamed, so that a command that
	// synthesizes the embedded example instead is caught.
	t.Parallel() // cdk and make processes in a workspace of its own
	renamed := example.cfg.Members[len(example.cfg.Members)-1].Name
	src, err := os.ReadFile(filepath.Join(repoRoot, "examples", "org.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(src, []byte("name: "+renamed+"\n")) {
		t.Fatalf("test setup: examples/org.yaml has no line name: %s", renamed)
	}
	src = bytes.Replace(src, []byte("name: "+renamed+"\n"), []byte("name: renamed\n"), 1)

	w := newWorkspace(t, example.cfg.HomeRegion)
	w.afterMakeDeps(t)
	if err := os.WriteFile(filepath.Join(w.dir, "my-org.yaml"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	plan := w.run(t, "make plan CONFIG=my-org.yaml")
	if plan.code != 0 {
		t.Fatalf("make plan: exit %d\n%s", plan.code, plan.output)
	}
	var lines, profiles, deployed []string
	for _, l := range strings.Split(plan.stdout, "\n") {
		if l == "Later:" {
			break // the onboarding step, for an account that joins later: placeholders
		}
		line, ok := strings.CutPrefix(strings.TrimSpace(l), "$ ")
		if !ok || strings.HasPrefix(line, "aws ") {
			continue // the prerequisites, in the management account
		}
		lines = append(lines, line)
		words := strings.Fields(line)
		for i, word := range words {
			if word == "--profile" && i+1 < len(words) {
				profiles = append(profiles, words[i+1])
			}
			if words[1] == "deploy" && strings.HasPrefix(word, "trailguard-") {
				deployed = append(deployed, word)
			}
		}
	}
	// One synth, first; then only cdk bootstrap and deploy commands, which read its assembly.
	if len(lines) == 0 || lines[0] != "make synth CONFIG=my-org.yaml" {
		t.Fatalf("the plan does not synthesize my-org.yaml first (make synth CONFIG=my-org.yaml):\n%s", plan.stdout)
	}
	for _, line := range lines[1:] {
		if !strings.HasPrefix(line, "cdk bootstrap ") && !strings.HasPrefix(line, "cdk deploy ") {
			t.Fatalf("the plan runs %q after its synth, want only cdk bootstrap and cdk deploy:\n%s", line, plan.stdout)
		}
	}
	if !slices.ContainsFunc(lines, func(l string) bool { return strings.HasPrefix(l, "cdk bootstrap ") }) || len(deployed) == 0 {
		t.Fatalf("the plan has no cdk bootstrap or no cdk deploy command:\n%s", plan.stdout)
	}
	w.writeProfiles(t, example.cfg.HomeRegion, profiles...)

	expect := func(line string) expectation {
		if line == lines[0] {
			return succeeds
		}
		return readsAssembly
	}
	_, files := runSteps(t, w, lines, expect, len(deployed))
	stacks := slices.Sorted(maps.Keys(assemblyStacks(t, files)))
	if slices.Sort(deployed); !slices.Equal(stacks, deployed) {
		t.Errorf("the plan deploys %v; the cloud assembly has %v", deployed, stacks)
	}
	if !slices.ContainsFunc(stacks, func(s string) bool { return strings.Contains(s, "-renamed-") }) {
		t.Errorf("the cloud assembly is not my-org.yaml's (no stack of the member renamed): %v", stacks)
	}
}
