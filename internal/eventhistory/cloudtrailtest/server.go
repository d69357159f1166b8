// Package cloudtrailtest runs a local CloudTrail endpoint for tests and
// benchmarks. It speaks LookupEvents over the awsJson1_1 protocol, as the AWS
// SDK sends it, from a synthetic Event History per region: pages of at most 50
// events, newest first, NextTokens bound to the request parameters, a
// per-region request rate limit answered with ThrottlingException, and faults
// a test injects. It also answers the Account API's ListRegions and
// CloudTrail's ListPublicKeys (with keys a test provides); Org adds AWS STS
// and AWS Organizations for exports of several accounts.
//
// The history is computed, not stored: event i of a region (0 is the newest)
// happens at Newest - i/EventsPerSecond seconds, so a server with a million
// events uses no more memory than one with ten.
package cloudtrailtest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math"
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
	"golang.org/x/time/rate"
)

// LookupEventsTarget is the X-Amz-Target header of a LookupEvents request,
// as the service model names it. The Go SDK sends the short form,
// CloudTrail_20131101.LookupEvents; CloudTrail accepts both, and so does the
// server.
const LookupEventsTarget = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents"

const lookupEventsShortTarget = "CloudTrail_20131101.LookupEvents"

// Account is the account ID of the synthetic history unless Options.Account
// says otherwise.
const Account = "123456789012"

// DefaultNewest is the event time of the newest event unless Options.Newest
// says otherwise.
var DefaultNewest = time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)

// Fault is an error the server answers a request with instead of events.
type Fault int

// Faults a test can inject.
const (
	NoFault            Fault = iota
	Throttle                 // 400 ThrottlingException
	InternalError            // 500 InternalFailure
	ServiceUnavailable       // 503 ServiceUnavailable
	AccessDenied             // 400 AccessDeniedException
	ExpiredToken             // 400 ExpiredTokenException
	InvalidNextToken         // 400 InvalidNextTokenException
	// CutOff answers 200 with the page's headers, a Content-Length of the
	// whole page and only half of its body, then closes the connection
	// normally: what a connection dropped by a proxy or load balancer in
	// the middle of a response looks like. The SDK reports "deserialization
	// failed, failed to decode response body, unexpected EOF".
	CutOff
)

// Request describes a LookupEvents request to a Fault function.
type Request struct {
	Region string
	// N counts the region's LookupEvents requests, this one included (1-based).
	N int64
	// Pages counts the pages served to the region before this request.
	Pages int64
	// NextToken is the request's token; empty on a chain's first request.
	NextToken string
}

// Options configures a Server.
type Options struct {
	// Account is the account whose history the server holds. Default:
	// Account.
	Account string
	// Regions are the account's enabled regions. Default: us-east-1.
	Regions []string
	// DisabledRegions are listed by ListRegions as DISABLED; LookupEvents
	// answers them as AWS answers a region the account has not enabled.
	DisabledRegions []string
	// Events is the number of events in each region's history.
	Events int
	// Newest is the event time of the newest event. Default: DefaultNewest.
	Newest time.Time
	// EventsPerSecond is how many events share each second. Default: 3, so
	// that pages end in the middle of a second.
	EventsPerSecond int
	// RequestsPerSecond is the LookupEvents requests a region accepts per
	// second (a token bucket); more are throttled. 0 means no limit.
	RequestsPerSecond float64
	// Burst is the token bucket's size. Default: RequestsPerSecond rounded up.
	Burst int
	// Fault, if set, may fail a request that passed the rate limit.
	Fault func(Request) Fault
	// DenyListRegions makes ListRegions answer AccessDeniedException.
	DenyListRegions bool
	// PublicKeys are the digest signing keys ListPublicKeys returns (the
	// same in every region).
	PublicKeys []PublicKey
}

// PublicKey is a CloudTrail digest signing key as ListPublicKeys returns it.
type PublicKey struct {
	// DER is the RSA public key, DER-encoded in PKCS #1 format.
	DER []byte
	// Fingerprint is what digest files name the key by
	// (digestPublicKeyFingerprint).
	Fingerprint string
	// Start and End bound when the key signed digests.
	Start, End time.Time
}

// ListPublicKeysTarget is the X-Amz-Target header of a ListPublicKeys
// request as the Go SDK sends it.
const ListPublicKeysTarget = "CloudTrail_20131101.ListPublicKeys"

// Stats counts what a region's LookupEvents requests got.
type Stats struct {
	Requests  int64 // all requests, throttled and failed ones included
	Throttled int64 // answered ThrottlingException by the rate limit
	Faults    int64 // answered with an injected fault
	Pages     int64 // answered with events
	Events    int64 // events returned
	// First and Last are the arrival times of the first and last request.
	First, Last time.Time
}

// RequestRate is the region's sustained request rate: requests after the
// first, per second between the first and the last. A client that paces its
// requests to the limit gets close to the limit, never above its burst.
func (s Stats) RequestRate() float64 {
	d := s.Last.Sub(s.First).Seconds()
	if s.Requests < 2 || d <= 0 {
		return 0
	}
	return float64(s.Requests-1) / d
}

// Server is a running local CloudTrail endpoint.
type Server struct {
	// URL is the endpoint's base URL (http://127.0.0.1:port).
	URL string

	opts    Options
	srv     *httptest.Server
	enabled map[string]bool

	mu      sync.Mutex
	gen     int // tokens of earlier generations are expired
	regions map[string]*region
}

type region struct {
	mu      sync.Mutex
	limiter *rate.Limiter
	stats   Stats
}

// NewServer starts a Server on 127.0.0.1. Close it when done.
func NewServer(opts Options) *Server {
	s := newHandler(opts)
	s.srv = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	s.URL = s.srv.URL
	return s
}

// newHandler returns a Server that is not listening: Org routes to it.
func newHandler(opts Options) *Server {
	if opts.Account == "" {
		opts.Account = Account
	}
	if len(opts.Regions) == 0 {
		opts.Regions = []string{"us-east-1"}
	}
	if opts.Newest.IsZero() {
		opts.Newest = DefaultNewest
	}
	if opts.EventsPerSecond <= 0 {
		opts.EventsPerSecond = 3
	}
	if opts.Burst <= 0 {
		opts.Burst = max(1, int(math.Ceil(opts.RequestsPerSecond)))
	}
	s := &Server{opts: opts, enabled: map[string]bool{}, regions: map[string]*region{}}
	for _, r := range opts.Regions {
		s.enabled[r] = true
	}
	return s
}

// Close stops the server.
func (s *Server) Close() {
	if s.srv != nil {
		s.srv.Close()
	}
}

// AWSConfig returns an SDK configuration that reaches the server with static
// fake credentials, as tests and benchmarks use it.
func (s *Server) AWSConfig() aws.Config {
	return aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKIAEXAMPLEFAKE", "fake-secret", ""),
		BaseEndpoint: aws.String(s.URL),
	}
}

// Stats returns the counters of a region's requests.
func (s *Server) Stats(regionName string) Stats {
	r := s.region(regionName)
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stats
}

// ExpireTokens invalidates every NextToken handed out so far, as tokens
// expire on AWS after a while.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	s.gen++
	s.mu.Unlock()
}

// EventID returns the ID of event i of a region.
func EventID(regionName string, i int) string {
	h := fnv.New32a()
	h.Write([]byte(regionName))
	return fmt.Sprintf("%08x-0000-4000-8000-%012d", h.Sum32(), i)
}

// EventTime returns the event time of event i.
func (s *Server) EventTime(i int) time.Time {
	return s.opts.Newest.Add(-time.Duration(i/s.opts.EventsPerSecond) * time.Second)
}

func (s *Server) region(name string) *region {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.regions[name]
	if !ok {
		r = &region{}
		if s.opts.RequestsPerSecond > 0 {
			r.limiter = rate.NewLimiter(rate.Limit(s.opts.RequestsPerSecond), s.opts.Burst)
		}
		s.regions[name] = r
	}
	return r
}

func (s *Server) serveHTTP(w http.ResponseWriter, req *http.Request) {
	switch {
	case req.Method == http.MethodPost && req.URL.Path == "/listRegions":
		s.listRegions(w, req)
	case req.Method == http.MethodPost && (req.Header.Get("X-Amz-Target") == LookupEventsTarget ||
		req.Header.Get("X-Amz-Target") == lookupEventsShortTarget):
		s.lookupEvents(w, req)
	case req.Method == http.MethodPost && (req.Header.Get("X-Amz-Target") == ListPublicKeysTarget ||
		req.Header.Get("X-Amz-Target") == "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.ListPublicKeys"):
		s.listPublicKeys(w, req)
	default:
		writeError(w, http.StatusBadRequest, "UnknownOperationException", "unknown operation "+req.Header.Get("X-Amz-Target"))
	}
}

// credentialScope captures the region from a SigV4 Authorization header.
var credentialScope = regexp.MustCompile(`Credential=[^/]+/\d{8}/([^/]+)/([^/]+)/aws4_request`)

// signedRegion returns the region and service a request was signed for.
func signedRegion(req *http.Request) (regionName, service string, ok bool) {
	m := credentialScope.FindStringSubmatch(req.Header.Get("Authorization"))
	if m == nil {
		return "", "", false
	}
	return m[1], m[2], true
}

type lookupRequest struct {
	StartTime        *float64
	EndTime          *float64
	MaxResults       *int
	NextToken        *string
	LookupAttributes []struct {
		AttributeKey   string
		AttributeValue string
	}
}

type token struct {
	Gen         int    `json:"g"`
	Fingerprint uint64 `json:"f"`
	Next        int    `json:"n"`
}

func (s *Server) lookupEvents(w http.ResponseWriter, req *http.Request) {
	regionName, service, ok := signedRegion(req)
	if !ok || service != "cloudtrail" {
		writeError(w, http.StatusBadRequest, "IncompleteSignatureException", "request is not signed for cloudtrail")
		return
	}
	if ct := req.Header.Get("Content-Type"); ct != "application/x-amz-json-1.1" {
		writeError(w, http.StatusBadRequest, "SerializationException", "unexpected Content-Type "+ct)
		return
	}
	if !s.enabled[regionName] {
		writeError(w, http.StatusBadRequest, "UnrecognizedClientException", "The security token included in the request is invalid.")
		return
	}
	var in lookupRequest
	if err := json.NewDecoder(req.Body).Decode(&in); err != nil {
		writeError(w, http.StatusBadRequest, "SerializationException", err.Error())
		return
	}

	r := s.region(regionName)
	now := time.Now()
	r.mu.Lock()
	r.stats.Requests++
	if r.stats.First.IsZero() {
		r.stats.First = now
	}
	r.stats.Last = now
	fr := Request{Region: regionName, N: r.stats.Requests, Pages: r.stats.Pages, NextToken: deref(in.NextToken)}
	throttled := r.limiter != nil && !r.limiter.AllowN(now, 1)
	if throttled {
		r.stats.Throttled++
	}
	r.mu.Unlock()
	if throttled {
		writeError(w, http.StatusBadRequest, "ThrottlingException", "Rate exceeded")
		return
	}
	fault := NoFault
	if s.opts.Fault != nil {
		fault = s.opts.Fault(fr)
	}
	if fault != NoFault {
		r.mu.Lock()
		r.stats.Faults++
		r.mu.Unlock()
		if fault != CutOff {
			writeFault(w, fault)
			return
		}
	}

	page, status, code, msg := s.page(regionName, &in)
	if code != "" {
		writeError(w, status, code, msg)
		return
	}
	if fault == CutOff {
		body, _ := json.Marshal(page)
		cutOff(w, body)
		return
	}
	r.mu.Lock()
	r.stats.Pages++
	r.stats.Events += int64(len(page.Events))
	r.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	json.NewEncoder(w).Encode(page)
}

type apiEvent struct {
	EventID         string `json:"EventId"`
	EventName       string
	ReadOnly        string
	AccessKeyID     string `json:"AccessKeyId"`
	EventTime       float64
	EventSource     string
	Username        string
	CloudTrailEvent string
}

type lookupResponse struct {
	Events    []apiEvent
	NextToken string `json:",omitempty"`
}

// page computes the answer to a LookupEvents request, or an error code.
func (s *Server) page(regionName string, in *lookupRequest) (out lookupResponse, status int, code, msg string) {
	n := 50
	if in.MaxResults != nil {
		n = *in.MaxResults
	}
	if n < 1 || n > 50 {
		return out, 400, "InvalidMaxResultsException", "MaxResults must be between 1 and 50"
	}
	if len(in.LookupAttributes) > 1 {
		return out, 400, "InvalidLookupAttributesException", "only one lookup attribute is allowed"
	}
	start, end := s.opts.Newest.Add(-100*24*time.Hour), s.opts.Newest.Add(time.Hour)
	if in.StartTime != nil {
		start = epoch(*in.StartTime)
	}
	if in.EndTime != nil {
		end = epoch(*in.EndTime)
	}
	if start.After(end) {
		return out, 400, "InvalidTimeRangeException", "StartTime is after EndTime"
	}
	lo, hi := s.indexRange(start, end)

	h := fnv.New64a()
	fmt.Fprintf(h, "%s|%v|%v|%v", regionName, start.UnixNano(), end.UnixNano(), in.LookupAttributes)
	fp := h.Sum64()
	s.mu.Lock()
	gen := s.gen
	s.mu.Unlock()
	if in.NextToken != nil {
		var tok token
		raw, err := base64.RawURLEncoding.DecodeString(*in.NextToken)
		if err == nil {
			err = json.Unmarshal(raw, &tok)
		}
		if err != nil || tok.Gen != gen || tok.Fingerprint != fp || tok.Next < lo {
			return out, 400, "InvalidNextTokenException", "Invalid NextToken"
		}
		lo = tok.Next
	}

	match := func(int) bool { return true }
	if len(in.LookupAttributes) == 1 {
		a := in.LookupAttributes[0]
		match = func(i int) bool { return eventAttribute(i, a.AttributeKey) == a.AttributeValue }
	}
	out.Events = []apiEvent{}
	i := lo
	for ; i < hi && len(out.Events) < n; i++ {
		if match(i) {
			out.Events = append(out.Events, s.event(regionName, i))
		}
	}
	// Like AWS, hand out a token while the range may hold more events, even
	// if the next page turns out empty.
	if i < hi {
		raw, _ := json.Marshal(token{Gen: gen, Fingerprint: fp, Next: i})
		out.NextToken = base64.RawURLEncoding.EncodeToString(raw)
	}
	return out, 0, "", ""
}

// indexRange returns the events [lo, hi) whose time is within [start, end].
func (s *Server) indexRange(start, end time.Time) (lo, hi int) {
	eps := s.opts.EventsPerSecond
	if d := s.opts.Newest.Sub(end); d > 0 {
		lo = int(math.Ceil(d.Seconds())) * eps
	}
	d := s.opts.Newest.Sub(start)
	if d < 0 {
		return lo, lo
	}
	hi = (int(math.Floor(d.Seconds())) + 1) * eps
	return min(lo, s.opts.Events), min(hi, s.opts.Events)
}

func epoch(sec float64) time.Time {
	whole, frac := math.Modf(sec)
	return time.Unix(int64(whole), int64(frac*1e9)).UTC()
}

// kinds are the events the synthetic history cycles through.
var kinds = []struct {
	name, source, user string
	readOnly           bool
}{
	{"DescribeInstances", "ec2.amazonaws.com", "responder", true},
	{"ConsoleLogin", "signin.amazonaws.com", "alice", false},
	{"CreateUser", "iam.amazonaws.com", "alice", false},
	{"GetObject", "s3.amazonaws.com", "etl", true},
	{"StopLogging", "cloudtrail.amazonaws.com", "mallory", false},
	{"AssumeRole", "sts.amazonaws.com", "etl", true},
}

// EventName returns the event name of event i, for tests that filter.
func EventName(i int) string { return kinds[i%len(kinds)].name }

func eventAttribute(i int, key string) string {
	k := kinds[i%len(kinds)]
	switch key {
	case "EventName":
		return k.name
	case "EventSource":
		return k.source
	case "Username":
		return k.user
	case "ReadOnly":
		return strconv.FormatBool(k.readOnly)
	case "AccessKeyId":
		return "ASIAEXAMPLEKEY"
	}
	return ""
}

func (s *Server) event(regionName string, i int) apiEvent {
	k := kinds[i%len(kinds)]
	t := s.EventTime(i)
	id := EventID(regionName, i)
	record := fmt.Sprintf(`{"eventVersion":"1.09","userIdentity":{"type":"AssumedRole","principalId":"AROAEXAMPLEID:%[1]s",`+
		`"arn":"arn:aws:sts::%[2]s:assumed-role/Operator/%[1]s","accountId":"%[2]s","accessKeyId":"ASIAEXAMPLEKEY"},`+
		`"eventTime":"%[3]s","eventSource":"%[4]s","eventName":"%[5]s","awsRegion":"%[6]s","sourceIPAddress":"192.0.2.10",`+
		`"userAgent":"aws-cli/2.27.0 md/command#%[5]s","requestParameters":null,"responseElements":null,`+
		`"requestID":"%[7]s","eventID":"%[7]s","readOnly":%[8]t,"eventType":"AwsApiCall","managementEvent":true,`+
		`"recipientAccountId":"%[2]s","eventCategory":"Management"}`,
		k.user, s.opts.Account, t.Format(time.RFC3339), k.source, k.name, regionName, id, k.readOnly)
	return apiEvent{
		EventID:         id,
		EventName:       k.name,
		ReadOnly:        strconv.FormatBool(k.readOnly),
		AccessKeyID:     "ASIAEXAMPLEKEY",
		EventTime:       float64(t.Unix()),
		EventSource:     k.source,
		Username:        k.user,
		CloudTrailEvent: record,
	}
}

func (s *Server) listPublicKeys(w http.ResponseWriter, req *http.Request) {
	if _, service, ok := signedRegion(req); !ok || service != "cloudtrail" {
		writeError(w, http.StatusBadRequest, "IncompleteSignatureException", "request is not signed for cloudtrail")
		return
	}
	var in struct{ StartTime, EndTime *float64 }
	if err := json.NewDecoder(req.Body).Decode(&in); err != nil {
		writeError(w, http.StatusBadRequest, "SerializationException", err.Error())
		return
	}
	now := float64(time.Now().Unix())
	start, end := now, now
	if in.StartTime != nil {
		start = *in.StartTime
	}
	if in.EndTime != nil {
		end = *in.EndTime
	}
	type key struct {
		Value                              []byte // base64 in JSON, as a blob
		ValidityStartTime, ValidityEndTime float64
		Fingerprint                        string
	}
	out := struct{ PublicKeyList []key }{PublicKeyList: []key{}}
	for _, k := range s.opts.PublicKeys {
		ks, ke := float64(k.Start.Unix()), float64(k.End.Unix())
		if ks <= end && ke >= start {
			out.PublicKeyList = append(out.PublicKeyList, key{k.DER, ks, ke, k.Fingerprint})
		}
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	json.NewEncoder(w).Encode(out)
}

func (s *Server) listRegions(w http.ResponseWriter, req *http.Request) {
	if _, service, ok := signedRegion(req); !ok || service != "account" {
		writeError(w, http.StatusBadRequest, "IncompleteSignatureException", "request is not signed for account")
		return
	}
	if s.opts.DenyListRegions {
		writeError(w, http.StatusForbidden, "AccessDeniedException",
			"User: arn:aws:sts::"+s.opts.Account+":assumed-role/Operator/responder is not authorized to perform: account:ListRegions")
		return
	}
	var in struct {
		NextToken               *string
		RegionOptStatusContains []string
	}
	if err := json.NewDecoder(req.Body).Decode(&in); err != nil {
		writeError(w, http.StatusBadRequest, "ValidationException", err.Error())
		return
	}
	type regionOpt struct{ RegionName, RegionOptStatus string }
	var all []regionOpt
	for i, r := range s.opts.Regions {
		status := "ENABLED_BY_DEFAULT"
		if i%2 == 1 {
			status = "ENABLED" // an opt-in region the account enabled
		}
		all = append(all, regionOpt{r, status})
	}
	for _, r := range s.opts.DisabledRegions {
		all = append(all, regionOpt{r, "DISABLED"})
	}
	var matching []regionOpt
	for _, r := range all {
		if len(in.RegionOptStatusContains) == 0 || slices.Contains(in.RegionOptStatusContains, r.RegionOptStatus) {
			matching = append(matching, r)
		}
	}
	// Small pages, so that clients must follow NextToken.
	const pageSize = 3
	from, _ := strconv.Atoi(deref(in.NextToken))
	to := min(from+pageSize, len(matching))
	out := struct {
		Regions   []regionOpt
		NextToken string `json:",omitempty"`
	}{Regions: matching[min(from, to):to]}
	if to < len(matching) {
		out.NextToken = strconv.Itoa(to)
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(out)
}

// cutOff sends the head of a 200 response announcing all of body but only
// half of it, and closes the connection.
func cutOff(w http.ResponseWriter, body []byte) {
	conn, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(err) // httptest's server supports hijacking
	}
	defer conn.Close()
	fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: %d\r\n\r\n", len(body))
	buf.Write(body[:len(body)/2])
	buf.Flush()
}

func writeFault(w http.ResponseWriter, f Fault) {
	switch f {
	case Throttle:
		writeError(w, http.StatusBadRequest, "ThrottlingException", "Rate exceeded")
	case InternalError:
		writeError(w, http.StatusInternalServerError, "InternalFailure", "internal failure")
	case ServiceUnavailable:
		writeError(w, http.StatusServiceUnavailable, "ServiceUnavailable", "service unavailable")
	case AccessDenied:
		writeError(w, http.StatusBadRequest, "AccessDeniedException",
			"User: arn:aws:sts::"+Account+":assumed-role/Operator/responder is not authorized to perform: cloudtrail:LookupEvents")
	case ExpiredToken:
		writeError(w, http.StatusBadRequest, "ExpiredTokenException", "The security token included in the request is expired")
	case InvalidNextToken:
		writeError(w, http.StatusBadRequest, "InvalidNextTokenException", "Invalid NextToken")
	default:
		writeError(w, http.StatusInternalServerError, "InternalFailure", fmt.Sprintf("unknown fault %d", f))
	}
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-ErrorType", code)
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"__type":%q,"message":%q}`, code, msg)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return strings.TrimSpace(*s)
}
