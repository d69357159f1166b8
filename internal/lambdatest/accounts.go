package lambdatest

import (
	"encoding/xml"
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

// Accounts fakes what the responder calls in the organization's accounts, on one endpoint
// (set as AWS_ENDPOINT_URL_STS and AWS_ENDPOINT_URL_S3): STS AssumeRole (AWS query protocol),
// handing out credentials whose access key id names the role and session, and S3's bucket
// Block Public Access and tagging (REST XML, path-style). Each S3 call is recorded with the
// role and session whose credentials signed it.
type Accounts struct {
	// URL is the endpoint.
	URL string

	mu       sync.Mutex
	sessions map[string]Session // access key id -> session
	buckets  map[string]*FakeBucket
	calls    []Call
}

// Session is an assumed role session.
type Session struct {
	RoleARN, Name string
}

// FakeBucket is a bucket's state.
type FakeBucket struct {
	// Owner is the bucket owner's account.
	Owner string
	// BlockPublicAccess is nil without a configuration, else the four settings in the order
	// BlockPublicAcls, IgnorePublicAcls, BlockPublicPolicy, RestrictPublicBuckets.
	BlockPublicAccess *[4]bool
	// Tags are the bucket's tags.
	Tags map[string]string
}

// Call is one call the fake received.
type Call struct {
	// Op is "sts:AssumeRole", "s3:GetPublicAccessBlock", "s3:PutPublicAccessBlock" or
	// "s3:GetBucketTagging".
	Op string
	// Session is who signed it (S3) or the session asked for (STS).
	Session Session
	// Bucket, ExpectedOwner and Body are the S3 call's.
	Bucket, ExpectedOwner, Body string
}

// NewAccounts serves Accounts until the test ends.
func NewAccounts(t testing.TB) *Accounts {
	a := &Accounts{sessions: map[string]Session{}, buckets: map[string]*FakeBucket{}}
	srv := httptest.NewServer(a)
	t.Cleanup(srv.Close)
	a.URL = srv.URL
	return a
}

// SetBucket sets a bucket's state.
func (a *Accounts) SetBucket(name string, b FakeBucket) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.buckets[name] = &b
}

// Bucket returns a bucket's state.
func (a *Accounts) Bucket(name string) FakeBucket {
	a.mu.Lock()
	defer a.mu.Unlock()
	return *a.buckets[name]
}

// Calls returns the calls received, in order, and forgets them.
func (a *Accounts) Calls() []Call {
	a.mu.Lock()
	defer a.mu.Unlock()
	c := a.calls
	a.calls = nil
	return c
}

var credentialRe = regexp.MustCompile(`Credential=([^/]+)/`)

// ServeHTTP implements http.Handler.
func (a *Accounts) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	a.mu.Lock()
	defer a.mu.Unlock()
	if r.Method == http.MethodPost && r.URL.Path == "/" {
		form, _ := url.ParseQuery(string(body))
		if form.Get("Action") != "AssumeRole" {
			http.Error(w, "<ErrorResponse><Error><Code>InvalidAction</Code></Error></ErrorResponse>", http.StatusBadRequest)
			return
		}
		s := Session{RoleARN: form.Get("RoleArn"), Name: form.Get("RoleSessionName")}
		key := fmt.Sprintf("ASIAFAKE%08d", len(a.sessions)+1)
		a.sessions[key] = s
		a.calls = append(a.calls, Call{Op: "sts:AssumeRole", Session: s})
		account := strings.Split(s.RoleARN, ":")[4]
		w.Header().Set("Content-Type", "text/xml")
		fmt.Fprintf(w, `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials><AccessKeyId>%s</AccessKeyId><SecretAccessKey>secret</SecretAccessKey><SessionToken>token</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials><AssumedRoleUser><AssumedRoleId>AROAFAKE:%s</AssumedRoleId><Arn>arn:aws:sts::%s:assumed-role/trailguard-responder/%s</Arn></AssumedRoleUser></AssumeRoleResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></AssumeRoleResponse>`,
			key, s.Name, account, s.Name)
		return
	}
	var signer Session
	if m := credentialRe.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
		signer = a.sessions[m[1]]
	}
	bucket := strings.Trim(r.URL.Path, "/")
	q := r.URL.Query()
	c := Call{Session: signer, Bucket: bucket, ExpectedOwner: r.Header.Get("X-Amz-Expected-Bucket-Owner"), Body: string(body)}
	b := a.buckets[bucket]
	s3err := func(status int, code string) {
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(status)
		fmt.Fprintf(w, `<Error><Code>%s</Code><Message>%s</Message></Error>`, code, code)
	}
	switch {
	case q.Has("publicAccessBlock") && r.Method == http.MethodGet:
		c.Op = "s3:GetPublicAccessBlock"
	case q.Has("publicAccessBlock") && r.Method == http.MethodPut:
		c.Op = "s3:PutPublicAccessBlock"
	case q.Has("tagging") && r.Method == http.MethodGet:
		c.Op = "s3:GetBucketTagging"
	default:
		s3err(http.StatusNotImplemented, "NotImplemented")
		return
	}
	a.calls = append(a.calls, c)
	switch {
	case signer.RoleARN == "":
		s3err(http.StatusForbidden, "AccessDenied")
		return
	case b == nil:
		s3err(http.StatusNotFound, "NoSuchBucket")
		return
	case c.ExpectedOwner != "" && c.ExpectedOwner != b.Owner:
		s3err(http.StatusForbidden, "AccessDenied")
		return
	}
	type pab struct {
		XMLName                                                                     xml.Name `xml:"PublicAccessBlockConfiguration"`
		BlockPublicAcls, IgnorePublicAcls, BlockPublicPolicy, RestrictPublicBuckets bool
	}
	switch c.Op {
	case "s3:GetPublicAccessBlock":
		if b.BlockPublicAccess == nil {
			s3err(http.StatusNotFound, "NoSuchPublicAccessBlockConfiguration")
			return
		}
		v := b.BlockPublicAccess
		out, _ := xml.Marshal(pab{BlockPublicAcls: v[0], IgnorePublicAcls: v[1], BlockPublicPolicy: v[2], RestrictPublicBuckets: v[3]})
		w.Header().Set("Content-Type", "application/xml")
		w.Write(out)
	case "s3:PutPublicAccessBlock":
		var in pab
		if err := xml.Unmarshal(body, &in); err != nil {
			s3err(http.StatusBadRequest, "MalformedXML")
			return
		}
		b.BlockPublicAccess = &[4]bool{in.BlockPublicAcls, in.IgnorePublicAcls, in.BlockPublicPolicy, in.RestrictPublicBuckets}
	case "s3:GetBucketTagging":
		if len(b.Tags) == 0 {
			s3err(http.StatusNotFound, "NoSuchTagSet")
			return
		}
		var sb strings.Builder
		sb.WriteString(`<Tagging><TagSet>`)
		for k, v := range b.Tags {
			fmt.Fprintf(&sb, `<Tag><Key>%s</Key><Value>%s</Value></Tag>`, k, v)
		}
		sb.WriteString(`</TagSet></Tagging>`)
		w.Header().Set("Content-Type", "application/xml")
		io.WriteString(w, sb.String())
	}
}
