//go:build trailguard_function_deps

package detection

// This file is never compiled. The functions are built at synth from this module's packages
// with -mod=readonly, so a module that uses this package must record every module they
// import; `go mod tidy` considers every build tag, and these imports make it do so. The
// functions' own packages come last: the modules their code needs come with them.
import (
	_ "github.com/aws/aws-lambda-go/events"
	_ "github.com/aws/aws-lambda-go/lambda"
	_ "github.com/aws/aws-sdk-go-v2/config"
	_ "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	_ "github.com/aws/aws-sdk-go-v2/service/organizations"
	_ "github.com/aws/aws-sdk-go-v2/service/s3"

	_ "github.com/trailguard/trailguard/coverage"
	_ "github.com/trailguard/trailguard/internal/alerting"
)
