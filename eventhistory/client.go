package eventhistory

import (
	"context"
	"math"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/smithy-go/middleware"
	"golang.org/x/time/rate"
)

// client returns a CloudTrail client for region whose every attempt,
// retries included, waits for the region's rate limiter, and which retries
// throttling and transient errors in the SDK's adaptive retry mode (or its
// standard mode, if configured). Adaptive mode also slows down after
// throttling, which matters when other callers share the account's quota.
func (x *exporter) client(region string) lookupEventsAPI {
	limit := rate.Limit(x.opts.RequestsPerSecond)
	if math.IsInf(x.opts.RequestsPerSecond, 1) {
		limit = rate.Inf
	}
	// A burst of one spaces requests evenly: never two at once after a pause.
	pace := &paceMiddleware{limiter: rate.NewLimiter(limit, 1)}
	return cloudtrail.NewFromConfig(x.opts.AWS, func(o *cloudtrail.Options) {
		o.Region = region
		o.RetryMaxAttempts = 0 // MaxAttempts below rules, not the profile's
		standard := func(so *retry.StandardOptions) {
			so.MaxAttempts = x.opts.MaxAttempts
			if x.opts.MaxBackoff > 0 {
				so.MaxBackoff = x.opts.MaxBackoff
			}
			// A long export meets many throttles; the default retry quota
			// would turn them into failures.
			so.RateLimiter = ratelimit.None
		}
		if x.opts.RetryMode == aws.RetryModeStandard {
			o.Retryer = retry.NewStandard(standard)
		} else {
			o.Retryer = retry.NewAdaptiveMode(func(ao *retry.AdaptiveModeOptions) {
				ao.StandardOptions = append(ao.StandardOptions, standard)
			})
		}
		o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
			return stack.Finalize.Insert(pace, "Retry", middleware.After)
		})
	})
}

// paceMiddleware holds each attempt until the rate limiter allows it. It sits
// inside the retry loop so that retries are paced too.
type paceMiddleware struct {
	limiter *rate.Limiter
}

// ID names the middleware in the SDK's stack.
func (*paceMiddleware) ID() string { return "trailguard.Pace" }

// HandleFinalize waits for the limiter, then sends the attempt.
func (p *paceMiddleware) HandleFinalize(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
	if err := p.limiter.Wait(ctx); err != nil {
		return middleware.FinalizeOutput{}, middleware.Metadata{}, err
	}
	return next.HandleFinalize(ctx, in)
}
