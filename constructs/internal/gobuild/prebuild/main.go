// Command prebuild builds the functions' binaries (linux/arm64) into gobuild's cache exactly as
// a synth builds them, so that `make synth` can compile them while it compiles the app.
//
// On a machine with an empty Go build cache the two are the whole of a first synth: the app
// (aws-cdk-go's bindings, for the host) and then, once it runs, the functions (the AWS SDK
// and the detection engine, for arm64), each using about 1.7 of 2 cores. Run side by side
// they share the cores instead of taking turns. A synth afterwards finds the binaries up to
// date and only checks them. Which packages are functions is read from the module: the main
// packages under ./cmd that import the Lambda runtime. A build that fails is not reported
// here: the synth builds the package again and reports it.
package main

import (
	"fmt"
	"os"
	"os/exec"
	"strings"

	"github.com/trailguard/trailguard/constructs/internal/gobuild"
)

// lambdaRuntime is the package every function's main imports.
const lambdaRuntime = "github.com/aws/aws-lambda-go/lambda"

func main() {
	pkgs, err := functions("./cmd/...")
	if err != nil {
		fmt.Fprintln(os.Stderr, "prebuild:", err)
		return
	}
	// Errors are the synth's to report, when a construct asks for the package.
	_, _ = gobuild.Default.BuildAll(pkgs...)
}

// functions returns the main packages matching pattern that import the Lambda runtime.
func functions(pattern string) ([]string, error) {
	out, err := exec.Command("go", "list", "-f", `{{if eq .Name "main"}}{{.ImportPath}} {{join .Imports " "}}{{end}}`, pattern).Output()
	if err != nil {
		return nil, fmt.Errorf("go list %s: %w", pattern, err)
	}
	var pkgs []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		for _, imp := range fields[min(1, len(fields)):] {
			if imp == lambdaRuntime {
				pkgs = append(pkgs, fields[0])
				break
			}
		}
	}
	return pkgs, nil
}
