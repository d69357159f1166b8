package cloudtrailtest

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// DefaultRoleName is the role an Org lets callers assume in each account
// unless OrgOptions.RoleName says otherwise.
const DefaultRoleName = "trailguard-event-history-reader"

// CallerKey is the access key ID of the investigator's credentials that
// Org.AWSConfig returns: the only key AssumeRole and ListAccounts accept.
const CallerKey = "AKIAINVESTIGATOR"

// OrgAccount is one account of an Org.
type OrgAccount struct {
	ID string
	// State is the account's state as Organizations reports it. Default:
	// ACTIVE.
	State string
	// NoRole makes AssumeRole of the account's role fail with AccessDenied,
	// as AWS answers when the role is missing or does not trust the caller.
	NoRole bool
	// History configures the account's Event History (its Account is ID).
	History Options
}

// OrgOptions configures an Org.
type OrgOptions struct {
	Accounts []OrgAccount
	// RoleName is the role that can be assumed in every account.
	// Default: DefaultRoleName.
	RoleName string
	// DenyListAccounts makes ListAccounts answer AccessDeniedException, as
	// for a caller outside the management or delegated administrator account.
	DenyListAccounts bool
	// ListAccountsPageSize is the most accounts a ListAccounts page holds.
	// Default: 2, so that clients must follow NextToken.
	ListAccountsPageSize int
	// Partition is the partition of the role ARNs AssumeRole accepts
	// (aws-cn, aws-us-gov, ...). Default: aws.
	Partition string
	// CredentialDuration is how long assumed-role credentials last.
	// Default: an hour, as AssumeRole's default DurationSeconds.
	CredentialDuration time.Duration
	// ClockSkew is how far the endpoint's clock is ahead of the caller's:
	// credentials are rejected with ExpiredTokenException from
	// Expiration - ClockSkew on, as AWS rejects them by its own clock.
	ClockSkew time.Duration
	// ThrottleAssumeRole makes the first ThrottleAssumeRole AssumeRole
	// calls answer Throttling (HTTP 400), as STS does over its request
	// quota.
	ThrottleAssumeRole int
	// CallerExpired makes AssumeRole answer ExpiredToken, as STS does when
	// the caller's own session credentials have expired.
	CallerExpired bool
}

// Org is a local endpoint for an organization: AWS STS AssumeRole (query
// protocol), AWS Organizations ListAccounts (JSON protocol), and each
// account's CloudTrail LookupEvents and Account ListRegions, routed by the
// access key ID of the assumed role's credentials, which names the account.
type Org struct {
	// URL is the endpoint's base URL (http://127.0.0.1:port).
	URL string

	opts     OrgOptions
	srv      *httptest.Server
	accounts map[string]*Server

	mu        sync.Mutex
	assumed   map[string]int // AssumeRole calls per account
	throttled int            // AssumeRole calls answered Throttling
	expired   int            // requests answered ExpiredTokenException
}

// NewOrg starts an Org on 127.0.0.1. Close it when done.
func NewOrg(opts OrgOptions) *Org {
	if opts.RoleName == "" {
		opts.RoleName = DefaultRoleName
	}
	if opts.ListAccountsPageSize <= 0 {
		opts.ListAccountsPageSize = 2
	}
	if opts.Partition == "" {
		opts.Partition = "aws"
	}
	if opts.CredentialDuration <= 0 {
		opts.CredentialDuration = time.Hour
	}
	o := &Org{opts: opts, accounts: map[string]*Server{}, assumed: map[string]int{}}
	for _, a := range opts.Accounts {
		h := a.History
		h.Account = a.ID
		o.accounts[a.ID] = newHandler(h)
	}
	o.srv = httptest.NewServer(http.HandlerFunc(o.serveHTTP))
	o.URL = o.srv.URL
	return o
}

// Close stops the endpoint.
func (o *Org) Close() { o.srv.Close() }

// Account returns the server of an account's history, for its Stats.
func (o *Org) Account(id string) *Server { return o.accounts[id] }

// AssumeRoleCalls returns how often a role of the account was assumed.
func (o *Org) AssumeRoleCalls(account string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.assumed[account]
}

// Throttled returns how many AssumeRole calls were answered Throttling.
func (o *Org) Throttled() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.throttled
}

// Expired returns how many requests were answered ExpiredTokenException
// because their assumed-role credentials had expired.
func (o *Org) Expired() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.expired
}

// AWSConfig returns an SDK configuration that reaches the endpoint with the
// investigator's static fake credentials.
func (o *Org) AWSConfig() aws.Config {
	return aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider(CallerKey, "fake-secret", ""),
		BaseEndpoint: aws.String(o.URL),
	}
}

// accessKey captures the access key ID of a SigV4 Authorization header.
var accessKey = regexp.MustCompile(`Credential=([^/]+)/`)

// assumedKeyPrefix starts the access key IDs of assumed-role credentials;
// the account ID follows.
const assumedKeyPrefix = "ASIATEST"

func (o *Org) serveHTTP(w http.ResponseWriter, req *http.Request) {
	m := accessKey.FindStringSubmatch(req.Header.Get("Authorization"))
	if m == nil {
		writeError(w, http.StatusBadRequest, "IncompleteSignatureException", "request is not signed")
		return
	}
	key := m[1]
	switch {
	case strings.HasPrefix(req.Header.Get("Content-Type"), "application/x-www-form-urlencoded"):
		o.sts(w, req, key)
	case req.Header.Get("X-Amz-Target") == "AWSOrganizationsV20161128.ListAccounts":
		o.listAccounts(w, req, key)
	case strings.HasPrefix(key, assumedKeyPrefix):
		s, ok := o.accounts[strings.TrimPrefix(key, assumedKeyPrefix)]
		if !ok {
			writeError(w, http.StatusBadRequest, "UnrecognizedClientException", "The security token included in the request is invalid.")
			return
		}
		// The session token carries the credentials' expiry; AWS judges it
		// by its own clock.
		_, exp, _ := strings.Cut(req.Header.Get("X-Amz-Security-Token"), "/expires/")
		if ns, err := strconv.ParseInt(exp, 10, 64); err != nil || !time.Now().Add(o.opts.ClockSkew).Before(time.Unix(0, ns)) {
			o.mu.Lock()
			o.expired++
			o.mu.Unlock()
			writeError(w, http.StatusBadRequest, "ExpiredTokenException", "The security token included in the request is expired")
			return
		}
		s.serveHTTP(w, req)
	default:
		// The investigator's own credentials read no member account.
		writeError(w, http.StatusBadRequest, "AccessDeniedException", "User: arn:aws:iam::999999999999:user/investigator is not authorized to perform this action")
	}
}

// roleARN matches the role ARNs AssumeRole accepts.
var roleARN = regexp.MustCompile(`^arn:(aws[a-z-]*):iam::([0-9]{12}):role/(.+)$`)

func (o *Org) sts(w http.ResponseWriter, req *http.Request, key string) {
	if err := req.ParseForm(); err != nil || req.Form.Get("Action") != "AssumeRole" {
		writeSTSError(w, http.StatusBadRequest, "InvalidAction", "unsupported action "+req.Form.Get("Action"))
		return
	}
	arn, session := req.Form.Get("RoleArn"), req.Form.Get("RoleSessionName")
	m := roleARN.FindStringSubmatch(arn)
	denied := func() {
		writeSTSError(w, http.StatusForbidden, "AccessDenied", fmt.Sprintf(
			"User: arn:aws:iam::999999999999:user/investigator is not authorized to perform: sts:AssumeRole on resource: %s", arn))
	}
	o.mu.Lock()
	throttle := o.opts.ThrottleAssumeRole > 0
	if throttle {
		o.opts.ThrottleAssumeRole--
		o.throttled++
	}
	o.mu.Unlock()
	switch {
	case throttle:
		writeSTSError(w, http.StatusBadRequest, "Throttling", "Rate exceeded")
		return
	case o.opts.CallerExpired:
		writeSTSError(w, http.StatusForbidden, "ExpiredToken", "The security token included in the request is expired")
		return
	}
	if m == nil || key != CallerKey || session == "" || m[1] != o.opts.Partition {
		denied()
		return
	}
	account, name := m[2], m[3]
	a := slices.IndexFunc(o.opts.Accounts, func(a OrgAccount) bool { return a.ID == account })
	o.mu.Lock()
	o.assumed[account]++
	o.mu.Unlock()
	if a < 0 || o.opts.Accounts[a].NoRole || name != o.opts.RoleName {
		denied()
		return
	}
	type creds struct {
		AccessKeyID     string `xml:"AccessKeyId"`
		SecretAccessKey string
		SessionToken    string
		Expiration      string
	}
	var out struct {
		XMLName xml.Name `xml:"https://sts.amazonaws.com/doc/2011-06-15/ AssumeRoleResponse"`
		Result  struct {
			Credentials     creds
			AssumedRoleUser struct {
				Arn           string
				AssumedRoleID string `xml:"AssumedRoleId"`
			}
		} `xml:"AssumeRoleResult"`
		RequestID string `xml:"ResponseMetadata>RequestId"`
	}
	expires := time.Now().Add(o.opts.CredentialDuration)
	out.Result.Credentials = creds{
		AccessKeyID:     assumedKeyPrefix + account,
		SecretAccessKey: "fake-secret-" + account,
		SessionToken:    fmt.Sprintf("fake-session-%s/expires/%d", account, expires.UnixNano()),
		Expiration:      expires.UTC().Format(time.RFC3339Nano),
	}
	out.Result.AssumedRoleUser.Arn = fmt.Sprintf("arn:%s:sts::%s:assumed-role/%s/%s", o.opts.Partition, account, name, session)
	out.Result.AssumedRoleUser.AssumedRoleID = "AROATEST:" + session
	out.RequestID = "00000000-0000-4000-8000-000000000000"
	w.Header().Set("Content-Type", "text/xml")
	xml.NewEncoder(w).Encode(out)
}

func writeSTSError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>00000000-0000-4000-8000-000000000000</RequestId></ErrorResponse>`,
		code, xmlEscape(msg))
}

func xmlEscape(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

func (o *Org) listAccounts(w http.ResponseWriter, req *http.Request, key string) {
	if key != CallerKey || o.opts.DenyListAccounts {
		writeError(w, http.StatusBadRequest, "AccessDeniedException", "You don't have permissions to access this resource.")
		return
	}
	var in struct{ NextToken *string }
	if err := json.NewDecoder(req.Body).Decode(&in); err != nil {
		writeError(w, http.StatusBadRequest, "InvalidInputException", err.Error())
		return
	}
	type account struct {
		ID              string `json:"Id"`
		Arn, Email      string
		Name            string
		State, Status   string
		JoinedMethod    string
		JoinedTimestamp float64
	}
	from, _ := strconv.Atoi(deref(in.NextToken))
	to := min(from+o.opts.ListAccountsPageSize, len(o.opts.Accounts))
	var out struct {
		Accounts  []account
		NextToken string `json:",omitempty"`
	}
	out.Accounts = []account{}
	for _, a := range o.opts.Accounts[min(from, to):to] {
		state := a.State
		if state == "" {
			state = "ACTIVE"
		}
		status := state
		if state != "ACTIVE" && state != "SUSPENDED" {
			status = "SUSPENDED"
		}
		out.Accounts = append(out.Accounts, account{
			ID: a.ID, Arn: "arn:aws:organizations::999999999999:account/o-exampleorgid/" + a.ID,
			Email: a.ID + "@example.com", Name: "account " + a.ID, State: state, Status: status,
			JoinedMethod: "CREATED", JoinedTimestamp: 1.7e9,
		})
	}
	if to < len(o.opts.Accounts) {
		out.NextToken = strconv.Itoa(to)
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	json.NewEncoder(w).Encode(out)
}
