package appdeps

import (
	"bytes"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// root is the module root, relative to this package's directory.
const root = "../.."

// modulePath is the module's import path (go.mod).
const modulePath = "github.com/trailguard/trailguard"

// roots are the packages whose builds are guarded: the app and every public construct (a
// platform team's own app compiles those).
var roots = []string{"./app", "./constructs/..."}

// forbidden are the packages the roots must not import, each with why and what to do instead.
var forbidden = []struct {
	// prefix matches a package and everything under it.
	prefix string
	why    string
}{
	{"github.com/aws/aws-sdk-go-v2/service/", "an AWS SDK service client, compiled by every cold synth and never run by it: take the constant or type the construct needs from a package without SDK imports (internal/alertspec, internal/coveragespec)"},
	{"github.com/aws/aws-cdk-go/awscdk/v2/awslambdaeventsources", "aws_lambda_event_sources pulls API Gateway, Cognito, Pinpoint, SageMaker and Step Functions into the build: implement the awslambda interface you need in the construct (constructs/detection's queueDlq)"},
	{"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions", "aws_cloudwatch_actions pulls Auto Scaling, both Elastic Load Balancing APIs, ACM and SSM into the build: use topics.AlarmAction (constructs/internal/topics) for an SNS alarm action"},
	{"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions", "aws_sns_subscriptions pulls Kinesis Data Firehose and Secrets Manager into the build: implement awssns.ITopicSubscription in the construct (constructs/internal/topics' emailSubscription)"},
}

// graph maps each package to its imports.
type graph map[string][]string

// listDeps is `go list -deps` of pkgs, run in the module root: every package they build and
// its imports, in dependency order (the roots last).
func listDeps(t *testing.T, pkgs ...string) (graph, []string) {
	t.Helper()
	args := append([]string{"list", "-deps", "-f", "{{.ImportPath}} {{join .Imports \" \"}}"}, pkgs...)
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	g := graph{}
	var order []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		g[f[0]] = f[1:]
		order = append(order, f[0])
	}
	return g, order
}

// offending returns, for every edge from an allowed package into a package that matches
// bad, the shortest import chain from one of roots to the package, as "a -> b -> c".
func offending(g graph, roots []string, bad func(string) bool) []string {
	// Breadth first from the roots through allowed packages only: each one's parent on a
	// shortest chain.
	parent := map[string]string{}
	queue := []string{}
	for _, r := range roots {
		if _, seen := parent[r]; !seen && !bad(r) {
			parent[r] = ""
			queue = append(queue, r)
		}
	}
	var chains []string
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, imp := range g[p] {
			if bad(imp) {
				chain := []string{imp}
				for q := p; q != ""; q = parent[q] {
					chain = append(chain, q)
				}
				slices.Reverse(chain)
				chains = append(chains, strings.Join(chain, " -> "))
				continue
			}
			if _, seen := parent[imp]; !seen {
				parent[imp] = p
				queue = append(queue, imp)
			}
		}
	}
	slices.Sort(chains)
	return slices.Compact(chains)
}

// TestAppImportsNoRuntimeClients fails, naming the import chain, when the app or a public
// construct imports an AWS SDK service client or awslambdaeventsources.
func TestAppImportsNoRuntimeClients(t *testing.T) {
	g, order := listDeps(t, roots...)
	// The roots as import paths: `go list -deps` prints them after their dependencies, and
	// nothing else in the list imports them.
	imported := map[string]bool{}
	for _, imps := range g {
		for _, imp := range imps {
			imported[imp] = true
		}
	}
	var rootPaths []string
	for _, p := range order {
		if !imported[p] {
			rootPaths = append(rootPaths, p)
		}
	}
	if !slices.Contains(rootPaths, modulePath+"/app") {
		t.Fatalf("go list -deps %s: the app is not among the packages nothing imports (%v)", strings.Join(roots, " "), rootPaths)
	}
	for _, f := range forbidden {
		t.Run(f.prefix, func(t *testing.T) {
			chains := offending(g, rootPaths, func(p string) bool { return strings.HasPrefix(p, f.prefix) })
			if len(chains) > 0 {
				// The module's own packages by their directory: the chains read as the code.
				short := strings.ReplaceAll(strings.Join(chains, "\n\t"), modulePath+"/", "")
				t.Errorf("%d import chain(s) reach %s, %s:\n\t%s", len(chains), f.prefix, f.why, short)
			}
		})
	}
}

// TestOffending checks the chain search on small graphs.
func TestOffending(t *testing.T) {
	bad := func(p string) bool { return strings.HasPrefix(p, "sdk/") }
	tests := []struct {
		name  string
		g     graph
		roots []string
		want  []string
	}{
		{"clean", graph{"app": {"a"}, "a": {"b"}, "b": nil}, []string{"app"}, nil},
		{"direct", graph{"app": {"sdk/s3"}}, []string{"app"}, []string{"app -> sdk/s3"}},
		{
			"shortest chain, entry edges only",
			graph{"app": {"a", "b"}, "a": {"c"}, "b": {"sdk/ddb"}, "c": {"sdk/ddb"}, "sdk/ddb": {"sdk/ddb/types"}},
			[]string{"app"},
			[]string{"app -> a -> c -> sdk/ddb", "app -> b -> sdk/ddb"},
		},
		{
			"second root",
			graph{"app": {"a"}, "a": nil, "constructs/x": {"sdk/sqs"}},
			[]string{"app", "constructs/x"},
			[]string{"constructs/x -> sdk/sqs"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := offending(tt.g, tt.roots, bad)
			if !slices.Equal(got, tt.want) {
				t.Errorf("offending() = %q, want %q", got, tt.want)
			}
		})
	}
}
