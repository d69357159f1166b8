package eventhistory

import (
	"context"
	"errors"
	"io"
	"math"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/smithy-go"
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
			RetryCutOffResponses(so)
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

// RetryCutOffResponses makes a retryer retry responses whose body ended
// early, as when a connection is closed in the middle of a response. The
// SDK's default retryables do not cover it (the status is 200, and the error
// is a deserialization error wrapping io.ErrUnexpectedEOF). Use it only for
// operations that change nothing, such as LookupEvents and ListRegions: a
// retry repeats a request whose effect is unknown.
func RetryCutOffResponses(so *retry.StandardOptions) {
	so.Retryables = append(so.Retryables, retry.IsErrorRetryableFunc(func(err error) aws.Ternary {
		if IsCutOff(err) {
			return aws.TrueTernary
		}
		return aws.UnknownTernary
	}))
}

// IsCutOff reports whether err is a response whose body ended early.
func IsCutOff(err error) bool {
	var de *smithy.DeserializationError
	return errors.As(err, &de) && errors.Is(err, io.ErrUnexpectedEOF)
}
