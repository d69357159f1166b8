package eventhistory

import (
	"errors"
	"fmt"
	"net"
	"strings"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"

	"github.com/trailguard/trailguard/config"
)

// ErrInterrupted reports that the context was canceled before the export
// finished. The progress made is checkpointed.
var ErrInterrupted = errors.New("export interrupted")

// OptionError reports options that cannot work, such as a time window that
// ends before it starts or options that contradict the export being resumed.
type OptionError struct {
	Msg string
}

func (e *OptionError) Error() string { return e.Msg }

// RegionError is the failure of one region's export.
type RegionError struct {
	Region string
	Err    error
}

func (e *RegionError) Error() string { return e.Region + ": " + e.Err.Error() }

func (e *RegionError) Unwrap() error { return e.Err }

// PermissionError reports that AWS denied an action an export needs.
type PermissionError struct {
	// Action is the IAM action, such as cloudtrail:LookupEvents.
	Action string
	Region string
	// Message is AWS's explanation.
	Message string
	// Err is the SDK's error.
	Err error
}

func (e *PermissionError) Error() string {
	return fmt.Sprintf("access denied: the caller needs %s in %s (AWS said: %s)", e.Action, e.Region, e.Message)
}

// Unwrap returns the SDK's error.
func (e *PermissionError) Unwrap() error { return e.Err }

// CredentialsError reports credentials that are missing, invalid or expired,
// or a region that is not enabled for the account (AWS answers both alike).
type CredentialsError struct {
	Msg string
	// Err is the SDK's error.
	Err error
}

func (e *CredentialsError) Error() string { return e.Msg }

// Unwrap returns the SDK's error.
func (e *CredentialsError) Unwrap() error { return e.Err }

// describe turns an SDK error into one clear sentence: what went wrong, and
// what the user can do about it.
func describe(err error, region, action string, attempts int) error {
	var signing *v4.SigningError
	if errors.As(err, &signing) {
		return &CredentialsError{fmt.Sprintf("no usable AWS credentials: %v", errors.Unwrap(signing)), err}
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		// A region AWS has is always in DNS: when its endpoint does not resolve, the network
		// or the resolver is what fails, not the region.
		if dns.IsNotFound && region != "" && !config.IsRegion(region) {
			return fmt.Errorf("unknown region %q: its endpoint %s does not resolve", region, dns.Name)
		}
		return fmt.Errorf("cannot reach AWS: the endpoint %s does not resolve (%s); check the network connection and DNS, then rerun to resume", dns.Name, dns.Err)
	}
	if IsCutOff(err) {
		service := "AWS"
		var op *smithy.OperationError
		if errors.As(err, &op) {
			service = op.ServiceID
		}
		times := "again and again"
		if attempts > 0 {
			times = fmt.Sprintf("%d times in a row", attempts)
		}
		return fmt.Errorf("the connection to %s in %s broke off in the middle of a response %s; rerun later to resume", service, region, times)
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		code, msg := api.ErrorCode(), api.ErrorMessage()
		switch code {
		case "AccessDeniedException", "AccessDenied", "UnauthorizedOperation", "UnauthorizedException":
			return &PermissionError{Action: action, Region: region, Message: msg, Err: err}
		case "ExpiredTokenException", "ExpiredToken", "RequestExpired", "TokenRefreshRequired":
			return &CredentialsError{fmt.Sprintf("the AWS credentials expired (%s): refresh them, then rerun the same command to resume", code), err}
		case "UnrecognizedClientException", "InvalidClientTokenId":
			return &CredentialsError{fmt.Sprintf("AWS rejected the credentials in %s (%s): the region is not enabled for the account, or the credentials are invalid", region, code), err}
		case "InvalidSignatureException", "SignatureDoesNotMatch":
			return &CredentialsError{fmt.Sprintf("AWS rejected the request signature in %s (%s): check the secret key and the clock", region, code), err}
		}
		tries := "retries"
		if attempts > 0 {
			tries = fmt.Sprintf("%d attempts", attempts)
		}
		if isThrottle(code) {
			return fmt.Errorf("still throttled after %s (%s): another caller may be using the account's quota for %s in %s; rerun later to resume", tries, code, action, region)
		}
		var resp *awshttp.ResponseError
		if errors.As(err, &resp) && resp.HTTPStatusCode() >= 500 {
			return fmt.Errorf("AWS kept failing with HTTP %d %s after %s; rerun later to resume", resp.HTTPStatusCode(), code, tries)
		}
		return fmt.Errorf("%s: %s", code, msg)
	}
	return err
}

func isThrottle(code string) bool {
	switch code {
	case "ThrottlingException", "Throttling", "TooManyRequestsException", "RequestLimitExceeded", "LimitExceededException":
		return true
	}
	return strings.Contains(strings.ToLower(code), "throttl")
}
