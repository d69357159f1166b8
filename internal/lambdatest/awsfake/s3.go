package awsfake

import (
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
)

// BlockPublicAccess is a Block Public Access configuration, of a bucket or an account.
type BlockPublicAccess struct {
	BlockPublicAcls, IgnorePublicAcls, BlockPublicPolicy, RestrictPublicBuckets bool
}

// AllOn is the configuration with every setting on.
var AllOn = BlockPublicAccess{true, true, true, true}

// Bucket is a bucket's state.
type Bucket struct {
	// Owner is the bucket owner's account.
	Owner string
	// BlockPublicAccess is nil without a configuration.
	BlockPublicAccess *BlockPublicAccess
	// Tags are the bucket's tags.
	Tags map[string]string
	// KMSKeyID is the key ARN of the bucket's default encryption (SSE-KMS); empty: SSE-S3,
	// the default of every bucket since January 2023
	// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/default-bucket-encryption.html).
	KMSKeyID string
}

// SetBucket sets a bucket's state.
func (o *Org) SetBucket(name string, b Bucket) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.buckets[name] = &b
}

// Bucket returns a bucket's state.
func (o *Org) Bucket(name string) Bucket {
	o.mu.Lock()
	defer o.mu.Unlock()
	return *o.buckets[name]
}

// SetAccountBlockPublicAccess sets an account's Block Public Access (nil: none).
func (o *Org) SetAccountBlockPublicAccess(account string, b *BlockPublicAccess) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.accounts[account] = b
}

// AccountBlockPublicAccess returns an account's Block Public Access (nil: none).
func (o *Org) AccountBlockPublicAccess(account string) *BlockPublicAccess {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.accounts[account]
}

// s3Error answers an S3 error (REST XML, unwrapped).
func s3Error(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<Error><Code>%s</Code><Message>%s</Message><RequestId>r</RequestId></Error>`, code, code)
}

// s3ControlError answers an S3 Control error: REST XML wrapped in ErrorResponse.
func s3ControlError(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<ErrorResponse><Error><Code>%s</Code><Message>%s</Message></Error><RequestId>r</RequestId></ErrorResponse>`, code, code)
}

// pabXML is PublicAccessBlockConfiguration as S3 and S3 Control write it.
type pabXML struct {
	XMLName                                                                     xml.Name `xml:"PublicAccessBlockConfiguration"`
	BlockPublicAcls, IgnorePublicAcls, BlockPublicPolicy, RestrictPublicBuckets bool
}

func writePAB(w http.ResponseWriter, b *BlockPublicAccess) {
	out, _ := xml.Marshal(pabXML{BlockPublicAcls: b.BlockPublicAcls, IgnorePublicAcls: b.IgnorePublicAcls, BlockPublicPolicy: b.BlockPublicPolicy, RestrictPublicBuckets: b.RestrictPublicBuckets})
	w.Header().Set("Content-Type", "application/xml")
	w.Write(out)
}

func readPAB(body []byte) (*BlockPublicAccess, error) {
	var in pabXML
	if err := xml.Unmarshal(body, &in); err != nil {
		return nil, err
	}
	return &BlockPublicAccess{in.BlockPublicAcls, in.IgnorePublicAcls, in.BlockPublicPolicy, in.RestrictPublicBuckets}, nil
}

// s3 serves a bucket's Block Public Access and tags (REST XML:
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutPublicAccessBlock.html), the bucket
// named by the host ({Bucket}.S3Host, virtual-hosted) or, path-style, by the path.
func (o *Org) s3(q *request) {
	w, r := q.w, q.r
	host, _, _ := strings.Cut(r.Host, ":")
	bucket, virtual := strings.CutSuffix(host, "."+S3Host)
	if !virtual {
		bucket = strings.Trim(r.URL.Path, "/")
	}
	params := map[string]string{"Bucket": bucket, "ExpectedBucketOwner": r.Header.Get("X-Amz-Expected-Bucket-Owner")}
	var op string
	switch query := r.URL.Query(); {
	case query.Has("publicAccessBlock") && r.Method == http.MethodGet:
		op = "GetPublicAccessBlock"
	case query.Has("publicAccessBlock") && r.Method == http.MethodPut:
		op = "PutPublicAccessBlock"
	case query.Has("tagging") && r.Method == http.MethodGet:
		op = "GetBucketTagging"
	case query.Has("encryption") && r.Method == http.MethodGet:
		op = "GetBucketEncryption"
	default:
		s3Error(w, http.StatusNotImplemented, "NotImplemented")
		return
	}
	o.record(q, "s3:"+op, params)
	b := o.buckets[bucket]
	switch {
	case q.signer.RoleARN == "":
		s3Error(w, http.StatusForbidden, "AccessDenied")
		return
	case b == nil:
		s3Error(w, http.StatusNotFound, "NoSuchBucket")
		return
	case params["ExpectedBucketOwner"] != "" && params["ExpectedBucketOwner"] != b.Owner, q.signer.Account() != b.Owner:
		// ExpectedBucketOwner: "If the account ID that you provide does not match the
		// actual owner of the bucket, the request fails with the HTTP status code 403
		// Forbidden (access denied)."
		s3Error(w, http.StatusForbidden, "AccessDenied")
		return
	}
	switch op {
	case "GetPublicAccessBlock":
		if b.BlockPublicAccess == nil {
			s3Error(w, http.StatusNotFound, "NoSuchPublicAccessBlockConfiguration")
			return
		}
		writePAB(w, b.BlockPublicAccess)
	case "PutPublicAccessBlock":
		in, err := readPAB(q.body)
		if err != nil {
			s3Error(w, http.StatusBadRequest, "MalformedXML")
			return
		}
		b.BlockPublicAccess = in
	case "GetBucketTagging":
		if len(b.Tags) == 0 {
			s3Error(w, http.StatusNotFound, "NoSuchTagSet")
			return
		}
		keys := make([]string, 0, len(b.Tags))
		for k := range b.Tags {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var sb strings.Builder
		sb.WriteString(`<Tagging><TagSet>`)
		for _, k := range keys {
			fmt.Fprintf(&sb, `<Tag><Key>%s</Key><Value>%s</Value></Tag>`, xmlEscape(k), xmlEscape(b.Tags[k]))
		}
		sb.WriteString(`</TagSet></Tagging>`)
		w.Header().Set("Content-Type", "application/xml")
		io.WriteString(w, sb.String())
	case "GetBucketEncryption":
		// https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketEncryption.html
		rule := `<ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault><BucketKeyEnabled>false</BucketKeyEnabled>`
		if b.KMSKeyID != "" {
			rule = `<ApplyServerSideEncryptionByDefault><SSEAlgorithm>aws:kms</SSEAlgorithm><KMSMasterKeyID>` + xmlEscape(b.KMSKeyID) + `</KMSMasterKeyID></ApplyServerSideEncryptionByDefault><BucketKeyEnabled>true</BucketKeyEnabled>`
		}
		w.Header().Set("Content-Type", "application/xml")
		io.WriteString(w, `<ServerSideEncryptionConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Rule>`+rule+`</Rule></ServerSideEncryptionConfiguration>`)
	}
}

// s3control serves the account's Block Public Access: GET and PUT
// /v20180820/configuration/publicAccessBlock with the account in the x-amz-account-id header
// (https://docs.aws.amazon.com/AmazonS3/latest/API/API_control_PutPublicAccessBlock.html) and,
// as the SDK sends it, as the host's first label (the S3 Control endpoint rules of the AWS
// SDKs: "{url#scheme}://{AccountId}.{url#authority}" for a custom endpoint,
// {AccountId}.s3-control.{region}.amazonaws.com otherwise). A host without the prefix, or
// with another account's, is refused: it would not reach the account in AWS.
func (o *Org) s3control(q *request) {
	w, r := q.w, q.r
	account := r.Header.Get("X-Amz-Account-Id")
	params := map[string]string{"AccountId": account}
	var op string
	switch {
	case r.URL.Path == "/v20180820/configuration/publicAccessBlock" && r.Method == http.MethodGet:
		op = "GetPublicAccessBlock"
	case r.URL.Path == "/v20180820/configuration/publicAccessBlock" && r.Method == http.MethodPut:
		op = "PutPublicAccessBlock"
	default:
		s3ControlError(w, http.StatusNotImplemented, "NotImplemented")
		return
	}
	o.record(q, "s3control:"+op, params)
	host := r.Host
	if h, _, ok := strings.Cut(host, ":"); ok {
		host = h
	}
	switch {
	case host != account+"."+S3ControlHost:
		s3ControlError(w, http.StatusBadRequest, "InvalidRequest")
		return
	case q.signer.Account() != account:
		s3ControlError(w, http.StatusForbidden, "AccessDenied")
		return
	}
	switch op {
	case "GetPublicAccessBlock":
		b := o.accounts[account]
		if b == nil {
			s3ControlError(w, http.StatusNotFound, "NoSuchPublicAccessBlockConfiguration")
			return
		}
		writePAB(w, b)
	case "PutPublicAccessBlock":
		in, err := readPAB(q.body)
		if err != nil {
			s3ControlError(w, http.StatusBadRequest, "MalformedXML")
			return
		}
		o.accounts[account] = in
	}
}
