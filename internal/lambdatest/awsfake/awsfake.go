// Package awsfake fakes, on one local endpoint, the AWS APIs trailguard's functions call in
// the organization's accounts, for tests that run the real function binaries through the real
// AWS SDK clients (package lambdatest): STS AssumeRole, S3 and S3 Control Block Public Access
// and a bucket's default encryption, EC2 security group rules, CloudTrail trails (status,
// settings, selectors), EventBridge rules and targets, CloudWatch alarms, IAM access keys, and
// an SQS queue.
//
// Each request is routed by the service its SigV4 signature names (the credential scope's
// service: sts, s3, ec2, ...), parsed in the service's own wire protocol (AWS query, REST
// XML, JSON 1.0/1.1, Smithy RPC v2 CBOR) and answered as the service documents it, so that the SDK's own
// serializers and deserializers run. Each call is recorded with the role session whose
// credentials signed it; an assumed role acts only in its own account (AccessDenied
// elsewhere), as without a cross-account grant.
//
// S3 and S3 Control are addressed as the SDK really sends them: the bucket or the account ID
// becomes a host prefix ({Bucket}.s3.{region}.amazonaws.com, virtual-hosted, the default;
// {AccountId}.s3-control.{region}.amazonaws.com; {Bucket}.{host} and {AccountId}.{host} of a
// custom endpoint: the SDK's endpoint rules), which no loopback address can take. Env
// therefore points AWS_ENDPOINT_URL_S3 and AWS_ENDPOINT_URL_S3_CONTROL at names that are never
// resolved and sets HTTP_PROXY to the fake: the SDK's default transport sends through the
// proxy (http.ProxyFromEnvironment), the fake answers as the proxy and reads the prefix; every
// other endpoint is a loopback address, which Go never proxies.
//
// A further service is one more file: its state and setters on Org, a method serving its
// operations in the service's protocol (recording each call with record), and a case for its
// signing name in ServeHTTP.
package awsfake

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// Endpoint hosts that are never resolved: requests reach the fake as their HTTP proxy, with
// the host the SDK made (S3: {Bucket}.S3Host, virtual-hosted as by default; S3 Control:
// {AccountId}.S3ControlHost).
const (
	S3Host        = "s3.awsfake.test"
	S3ControlHost = "s3-control.awsfake.test"
)

// Org is the fake: the AWS APIs of every account of the organization, on one endpoint.
type Org struct {
	// URL is the endpoint.
	URL string

	mu       sync.Mutex
	sessions map[string]Session // access key id -> session
	buckets  map[string]*Bucket
	accounts map[string]*BlockPublicAccess // account Block Public Access, by account
	groups   map[string]*SecurityGroup     // by account/region/group id
	trails   map[string]*Trail             // by account/region/name
	users    map[string][]*AccessKey       // by account/user name
	aliases  map[string]string             // KMS alias ARN -> key ARN
	rules    map[string]*Rule              // by account/region/name
	alarms   map[string]string             // alarm by account/region/name -> its QueueName
	queue    []Message
	calls    []Call
	nextID   int
}

// Session is an assumed role session; zero for the caller's own credentials.
type Session struct {
	RoleARN, Name string
}

// Account is the session's account ("" for the caller's own credentials).
func (s Session) Account() string {
	if parts := strings.Split(s.RoleARN, ":"); len(parts) > 4 {
		return parts[4]
	}
	return ""
}

// Call is one call the fake received.
type Call struct {
	// Op is "<service>:<operation>", such as "s3:PutPublicAccessBlock" or
	// "s3control:GetPublicAccessBlock".
	Op string
	// Session is who signed it (or, for sts:AssumeRole, the session asked for).
	Session Session
	// Region is the region the call was signed for.
	Region string
	// Host is the request's host (S3 Control: with the account prefix).
	Host string
	// Params are the call's parameters: the query protocol's form, a JSON body's top-level
	// strings, S3's headers and path (Bucket, ExpectedBucketOwner, AccountId).
	Params map[string]string
	// Body is the request body, for REST XML calls.
	Body string
}

// New serves an Org until the test ends.
func New(t testing.TB) *Org {
	o := &Org{sessions: map[string]Session{}, buckets: map[string]*Bucket{}, accounts: map[string]*BlockPublicAccess{},
		groups: map[string]*SecurityGroup{}, trails: map[string]*Trail{}, users: map[string][]*AccessKey{},
		aliases: map[string]string{}, rules: map[string]*Rule{}, alarms: map[string]string{}}
	srv := httptest.NewServer(o)
	t.Cleanup(srv.Close)
	o.URL = srv.URL
	return o
}

// Endpoints are the AWS_ENDPOINT_URL_<SERVICE> values (lambdatest.Environment) of the
// services the fake serves.
func (o *Org) Endpoints() map[string]string {
	m := map[string]string{"S3": "http://" + S3Host, "S3_CONTROL": "http://" + S3ControlHost}
	for _, s := range []string{"STS", "EC2", "IAM", "CLOUDTRAIL", "SQS", "EVENTBRIDGE", "CLOUDWATCH"} {
		m[s] = o.URL
	}
	return m
}

// Env is the environment a function needs besides Endpoints: the fake as HTTP proxy, for the
// hosts S3 and S3 Control prefix with the bucket or account.
func (o *Org) Env() []string {
	return []string{"HTTP_PROXY=" + o.URL, "NO_PROXY="}
}

// Calls returns the calls received, in order, and forgets them.
func (o *Org) Calls() []Call {
	o.mu.Lock()
	defer o.mu.Unlock()
	c := o.calls
	o.calls = nil
	return c
}

// Ops returns the operations of calls, space-separated: "sts:AssumeRole s3:GetPublicAccessBlock ...".
func Ops(calls []Call) string {
	s := make([]string, len(calls))
	for i, c := range calls {
		s[i] = c.Op
	}
	return strings.Join(s, " ")
}

// Changes returns the calls that change state (not Get, List or Describe, not AssumeRole).
func Changes(calls []Call) []Call {
	var out []Call
	for _, c := range calls {
		_, op, _ := strings.Cut(c.Op, ":")
		if !strings.HasPrefix(op, "Get") && !strings.HasPrefix(op, "List") && !strings.HasPrefix(op, "Describe") && op != "AssumeRole" {
			out = append(out, c)
		}
	}
	return out
}

// credentialRe reads the access key id, region and service of a SigV4 Authorization header.
var credentialRe = regexp.MustCompile(`Credential=([^/]+)/[0-9]{8}/([^/]+)/([^/]+)/aws4_request`)

// request is one request being served.
type request struct {
	w       http.ResponseWriter
	r       *http.Request
	body    []byte
	region  string
	service string
	signer  Session
}

// ServeHTTP implements http.Handler.
func (o *Org) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	m := credentialRe.FindStringSubmatch(r.Header.Get("Authorization"))
	if m == nil {
		http.Error(w, "awsfake: unsigned request", http.StatusForbidden)
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	q := &request{w: w, r: r, body: body, region: m[2], service: m[3], signer: o.sessions[m[1]]}
	switch q.service {
	case "sts":
		o.sts(q)
	case "s3":
		if strings.HasPrefix(r.URL.Path, "/v20180820/") {
			o.s3control(q)
		} else {
			o.s3(q)
		}
	case "ec2":
		o.ec2(q)
	case "iam":
		o.iam(q)
	case "cloudtrail":
		o.cloudtrail(q)
	case "sqs":
		o.sqs(q)
	case "events":
		o.events(q)
	case "monitoring":
		o.cloudwatch(q)
	default:
		http.Error(w, "awsfake: no service "+q.service, http.StatusNotImplemented)
	}
}

// record appends a call.
func (o *Org) record(q *request, op string, params map[string]string) {
	c := Call{Op: op, Session: q.signer, Region: q.region, Host: q.r.Host, Params: params}
	if q.service == "s3" {
		c.Body = string(q.body)
	}
	o.calls = append(o.calls, c)
}

// id returns a new id with prefix.
func (o *Org) id(prefix string) string {
	o.nextID++
	return fmt.Sprintf("%s%017x", prefix, o.nextID)
}

// form returns a query-protocol request's parameters.
func form(body []byte) map[string]string {
	v, _ := url.ParseQuery(string(body))
	m := map[string]string{}
	for k := range v {
		m[k] = v.Get(k)
	}
	return m
}

// queryError answers an AWS query protocol error (STS, IAM).
func queryError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<ErrorResponse><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>r</RequestId></ErrorResponse>`, code, xmlEscape(msg))
}

func xmlEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		case '"':
			b.WriteString("&quot;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// sts serves AssumeRole: the credentials' access key id names the session, so that later
// calls are known by who signed them.
func (o *Org) sts(q *request) {
	f := form(q.body)
	if f["Action"] != "AssumeRole" {
		queryError(q.w, http.StatusBadRequest, "InvalidAction", "awsfake: STS serves AssumeRole only")
		return
	}
	s := Session{RoleARN: f["RoleArn"], Name: f["RoleSessionName"]}
	o.calls = append(o.calls, Call{Op: "sts:AssumeRole", Session: s, Region: q.region, Host: q.r.Host, Params: f})
	if s.Account() == "" {
		queryError(q.w, http.StatusBadRequest, "ValidationError", "RoleArn is not a role ARN")
		return
	}
	key := fmt.Sprintf("ASIAFAKE%08d", len(o.sessions)+1)
	o.sessions[key] = s
	q.w.Header().Set("Content-Type", "text/xml")
	fmt.Fprintf(q.w, `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials><AccessKeyId>%s</AccessKeyId><SecretAccessKey>secret</SecretAccessKey><SessionToken>token</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials><AssumedRoleUser><AssumedRoleId>AROAFAKE:%s</AssumedRoleId><Arn>arn:aws:sts::%s:assumed-role/%s/%s</Arn></AssumedRoleUser></AssumeRoleResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></AssumeRoleResponse>`,
		key, s.Name, s.Account(), roleName(s.RoleARN), s.Name)
}

func roleName(arn string) string {
	_, name, _ := strings.Cut(arn, ":role/")
	return name
}
