// Package archivetest builds an organization trail's log archive for tests
// and benchmarks: log files and hourly digest files, signed as CloudTrail
// signs them with a test RSA key, in a local S3 API (gofakes3 with its
// in-memory backend) on 127.0.0.1, and the key served by a local CloudTrail
// ListPublicKeys (package cloudtrailtest).
//
// The digests are made here from the CloudTrail documentation, not with
// package archiveverify's code, so that tests check one against the other.
package archivetest

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto"
	"crypto/md5"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"net/http/httptest"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/trailguard/trailguard/internal/eventhistory/cloudtrailtest"
)

// Options describes the archive to build.
type Options struct {
	// Bucket and Prefix locate the archive: keys start with Prefix/AWSLogs/.
	Bucket, Prefix, OrgID string
	Accounts              []string
	Regions               []string
	// Trail and HomeRegion name the organization trail.
	Trail, HomeRegion string
	// Start is the start of the first digest's hour; Hours digests follow.
	Start time.Time
	Hours int
	// LogsPerHour and RecordsPerLog size the log files.
	LogsPerHour, RecordsPerLog int

	// ExtraTrails name more organization trails delivering to the same
	// bucket and prefix, so to the same folders: each has its own log
	// files and digest chain (keyed by WhereTrail).
	ExtraTrails []string
	// Stopped lists hours (0 to Hours-1) in which logging was stopped: no
	// log file and no digest; the digest after them starts a new chain,
	// its previous-digest fields null, as CloudTrail writes it when logging
	// restarts.
	Stopped []int
	// RotateAt, if above 0, is the hour from which digests are signed with
	// a second key (Key2), as after CloudTrail rotates its regional key;
	// ListPublicKeys returns both, each with its validity period.
	RotateAt int
	// LateLogs adds to every hour but the last a log file named in the
	// hour's last minute but delivered after the digest's end, so listed
	// by the next hour's digest (as the log file name's minute is not the
	// delivery window; the CloudTrail User Guide's example digest lists
	// such a file).
	LateLogs bool
	// LiveLogs log files are delivered after the newest digest, in the
	// hour after it: a live trail whose next digest is not written yet.
	LiveLogs int
	// MovedFrom, if set, is the bucket the trail delivered to before hour
	// MovedAt: the first digest in Bucket names its previous digest there
	// (previousDigestS3Bucket), as after the trail's bucket is changed.
	MovedFrom string
	MovedAt   int
}

// Archive is a built archive, served locally.
type Archive struct {
	Options
	// Digests and Logs hold the keys of the digest and log files, by
	// account and region, in time order.
	Digests, Logs map[string][]string

	s3srv *httptest.Server
	ct    *cloudtrailtest.Server
	cfg   aws.Config
}

var (
	keyOnce        sync.Once
	testKey, test2 *rsa.PrivateKey
)

// Key returns the test signing key, made once per process.
func Key() *rsa.PrivateKey {
	keys()
	return testKey
}

// Key2 returns the key that signs digests from Options.RotateAt on.
func Key2() *rsa.PrivateKey {
	keys()
	return test2
}

func keys() {
	keyOnce.Do(func() {
		var err error
		if testKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		if test2, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
	})
}

// Fingerprint returns a key's fingerprint as digests name it: here the hex
// MD5 of the PKCS #1 DER public key (CloudTrail's fingerprints are 32 hex
// digits; how it derives them is not documented and does not matter).
func Fingerprint(pub *rsa.PublicKey) string {
	sum := md5.Sum(x509.MarshalPKCS1PublicKey(pub))
	return hex.EncodeToString(sum[:])
}

// Where returns the map key of Digests and Logs for an account and region
// of Options.Trail.
func Where(account, region string) string { return account + "/" + region }

// WhereTrail returns the map key of Digests and Logs for an account and
// region of one of Options.ExtraTrails.
func WhereTrail(account, region, trail string) string {
	return account + "/" + region + "/" + trail
}

// signer returns the key that signs the digest of hour h.
func (a *Archive) signer(h int) *rsa.PrivateKey {
	if a.RotateAt > 0 && h >= a.RotateAt {
		return Key2()
	}
	return Key()
}

// New builds the archive. Close it when done.
func New(opts Options) (*Archive, error) {
	if opts.Bucket == "" {
		opts.Bucket = "log-archive"
	}
	if opts.Trail == "" {
		opts.Trail = "org-trail"
	}
	if opts.HomeRegion == "" {
		opts.HomeRegion = "us-east-1"
	}
	a := &Archive{Options: opts, Digests: map[string][]string{}, Logs: map[string][]string{}}
	faker := gofakes3.New(s3mem.New(), gofakes3.WithLogger(gofakes3.DiscardLog()))
	a.s3srv = httptest.NewServer(faker.Server())
	first := cloudtrailtest.PublicKey{
		DER: x509.MarshalPKCS1PublicKey(&Key().PublicKey), Fingerprint: Fingerprint(&Key().PublicKey),
		Start: opts.Start.Add(-30 * 24 * time.Hour), End: opts.Start.Add(30 * 24 * time.Hour),
	}
	pubs := []cloudtrailtest.PublicKey{first}
	if opts.RotateAt > 0 {
		rotated := opts.Start.Add(time.Duration(opts.RotateAt) * time.Hour)
		pubs[0].End = rotated
		pubs = append(pubs, cloudtrailtest.PublicKey{
			DER: x509.MarshalPKCS1PublicKey(&Key2().PublicKey), Fingerprint: Fingerprint(&Key2().PublicKey),
			Start: rotated, End: opts.Start.Add(30 * 24 * time.Hour),
		})
	}
	a.ct = cloudtrailtest.NewServer(cloudtrailtest.Options{PublicKeys: pubs})
	a.cfg = aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIAEXAMPLEFAKE", "fake-secret", ""),
	}
	ctx := context.Background()
	for _, b := range []string{a.Bucket, a.MovedFrom} {
		if b == "" {
			continue
		}
		if _, err := a.S3().CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &b}); err != nil {
			a.Close()
			return nil, err
		}
	}
	var wg sync.WaitGroup
	var errs chan error
	var mu sync.Mutex
	errs = make(chan error, len(opts.Accounts)*len(opts.Regions)*(1+len(opts.ExtraTrails)))
	for _, acct := range opts.Accounts {
		for _, region := range opts.Regions {
			for i, trail := range append([]string{a.Trail}, opts.ExtraTrails...) {
				wg.Go(func() {
					digests, logs, err := a.build(ctx, trail, acct, region)
					if err != nil {
						errs <- err
						return
					}
					where := Where(acct, region)
					if i > 0 {
						where = WhereTrail(acct, region, trail)
					}
					mu.Lock()
					a.Digests[where], a.Logs[where] = digests, logs
					mu.Unlock()
				})
			}
		}
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		a.Close()
		return nil, err
	}
	return a, nil
}

// S3URL is the local S3 API's endpoint.
func (a *Archive) S3URL() string { return a.s3srv.URL }

// CloudTrailURL is the local ListPublicKeys endpoint.
func (a *Archive) CloudTrailURL() string { return a.ct.URL }

// Close stops the local endpoints.
func (a *Archive) Close() {
	a.s3srv.Close()
	a.ct.Close()
}

// S3 returns a client of the local S3 API.
func (a *Archive) S3() *s3.Client {
	return s3.NewFromConfig(a.cfg, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(a.s3srv.URL)
		o.UsePathStyle = true
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
	})
}

// CloudTrail returns a client of the local ListPublicKeys for a region.
func (a *Archive) CloudTrail(region string) *cloudtrail.Client {
	return cloudtrail.NewFromConfig(a.cfg, func(o *cloudtrail.Options) {
		o.BaseEndpoint = aws.String(a.ct.URL)
		o.Region = region
	})
}

func gz(data []byte) []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write(data)
	zw.Close()
	return b.Bytes()
}

// Put stores an object, gzipping content, with metadata.
func (a *Archive) Put(key string, content []byte, meta map[string]string) error {
	return a.put(a.Bucket, key, content, meta)
}

func (a *Archive) put(bucket, key string, content []byte, meta map[string]string) error {
	_, err := a.S3().PutObject(context.Background(), &s3.PutObjectInput{
		Bucket: &bucket, Key: &key, Body: bytes.NewReader(gz(content)), Metadata: meta,
	})
	return err
}

// Delete removes an object.
func (a *Archive) Delete(key string) error { return a.DeleteFrom(a.Bucket, key) }

// DeleteFrom removes an object of another bucket (Options.MovedFrom).
func (a *Archive) DeleteFrom(bucket, key string) error {
	_, err := a.S3().DeleteObject(context.Background(), &s3.DeleteObjectInput{Bucket: &bucket, Key: &key})
	return err
}

// Get returns an object's uncompressed content and its metadata.
func (a *Archive) Get(key string) ([]byte, map[string]string, error) {
	out, err := a.S3().GetObject(context.Background(), &s3.GetObjectInput{Bucket: &a.Bucket, Key: &key})
	if err != nil {
		return nil, nil, err
	}
	defer out.Body.Close()
	zr, err := gzip.NewReader(out.Body)
	if err != nil {
		return nil, nil, err
	}
	data, err := io.ReadAll(zr)
	return data, out.Metadata, err
}

// Digest is a digest file's content, as the CloudTrail documentation
// describes it.
type Digest struct {
	AWSAccountID               string    `json:"awsAccountId"`
	DigestStartTime            string    `json:"digestStartTime"`
	DigestEndTime              string    `json:"digestEndTime"`
	DigestS3Bucket             string    `json:"digestS3Bucket"`
	DigestS3Object             string    `json:"digestS3Object"`
	DigestPublicKeyFingerprint string    `json:"digestPublicKeyFingerprint"`
	DigestSignatureAlgorithm   string    `json:"digestSignatureAlgorithm"`
	NewestEventTime            string    `json:"newestEventTime"`
	OldestEventTime            string    `json:"oldestEventTime"`
	PreviousDigestS3Bucket     *string   `json:"previousDigestS3Bucket"`
	PreviousDigestS3Object     *string   `json:"previousDigestS3Object"`
	PreviousDigestHashValue    *string   `json:"previousDigestHashValue"`
	PreviousDigestHashAlgo     *string   `json:"previousDigestHashAlgorithm"`
	PreviousDigestSignature    *string   `json:"previousDigestSignature"`
	LogFiles                   []LogFile `json:"logFiles"`
}

// LogFile is a digest's entry for a log file.
type LogFile struct {
	S3Bucket        string `json:"s3Bucket"`
	S3Object        string `json:"s3Object"`
	HashValue       string `json:"hashValue"`
	HashAlgorithm   string `json:"hashAlgorithm"`
	NewestEventTime string `json:"newestEventTime"`
	OldestEventTime string `json:"oldestEventTime"`
}

// Sign returns the hex signature of a digest whose uncompressed content is
// raw, with key: SHA256withRSA over the data signing string of the
// CloudTrail documentation.
func Sign(key *rsa.PrivateKey, d *Digest, raw []byte) string {
	prev := "null"
	if d.PreviousDigestSignature != nil {
		prev = *d.PreviousDigestSignature
	}
	sum := sha256.Sum256(raw)
	s := fmt.Sprintf("%s\n%s/%s\n%s\n%s", d.DigestEndTime, d.DigestS3Bucket, d.DigestS3Object, hex.EncodeToString(sum[:]), prev)
	h := sha256.Sum256([]byte(s))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, h[:])
	if err != nil {
		panic(err)
	}
	return hex.EncodeToString(sig)
}

// PutDigest stores a digest signed with key at d.DigestS3Object, with the
// signature in its S3 metadata, and returns the signature.
func (a *Archive) PutDigest(key *rsa.PrivateKey, d *Digest) (string, error) {
	raw, err := json.Marshal(d)
	if err != nil {
		return "", err
	}
	sig := Sign(key, d, raw)
	return sig, a.put(d.DigestS3Bucket, d.DigestS3Object, raw, map[string]string{"signature": sig, "signature-algorithm": "SHA256withRSA"})
}

func (a *Archive) keyPrefix() string {
	if a.Prefix == "" {
		return ""
	}
	return a.Prefix + "/"
}

// DigestKey names the digest of an account and region ending at end.
func (a *Archive) DigestKey(account, region string, end time.Time) string {
	return a.TrailDigestKey(a.Trail, account, region, end)
}

// TrailDigestKey names the digest of a trail in an account and region
// ending at end.
func (a *Archive) TrailDigestKey(trail, account, region string, end time.Time) string {
	return fmt.Sprintf("%sAWSLogs/%s/%s/CloudTrail-Digest/%s/%s/%s_CloudTrail-Digest_%s_%s_%s_%s.json.gz",
		a.keyPrefix(), a.OrgID, account, region, end.Format("2006/01/02"), account, region, trail, a.HomeRegion, end.Format("20060102T150405Z"))
}

// LogKey names a log file of an account and region delivered at t.
func (a *Archive) LogKey(account, region string, t time.Time, n int) string {
	return fmt.Sprintf("%sAWSLogs/%s/%s/CloudTrail/%s/%s/%s_CloudTrail_%s_%s_%016X.json.gz",
		a.keyPrefix(), a.OrgID, account, region, t.Format("2006/01/02"), account, region, t.Format("20060102T1504Z"), n)
}

// LogContent returns a log file's uncompressed content.
func LogContent(account, region string, t time.Time, records int, salt string) []byte {
	var recs []string
	for i := range records {
		// Request IDs and parameters vary, so the files compress about as
		// much as real log files do (a few times, not a hundred).
		id := sha256.Sum256(fmt.Appendf(nil, "%s/%s/%s/%d/%s", account, region, t, i, salt))
		recs = append(recs, fmt.Sprintf(`{"eventVersion":"1.09","eventTime":%q,"eventSource":"ec2.amazonaws.com","eventName":"DescribeInstances","awsRegion":%q,"recipientAccountId":%q,"eventID":"%x","requestParameters":{"instancesSet":{"items":[{"instanceId":"i-%x"}]}},"requestID":"%x"}`,
			t.Format(time.RFC3339), region, account, id[:16], id[16:24], id[24:]))
	}
	return []byte(`{"Records":[` + joinComma(recs) + `]}`)
}

func joinComma(s []string) string {
	var b bytes.Buffer
	for i, x := range s {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(x)
	}
	return b.String()
}

// build writes a trail's log files and digest chain in an account and
// region.
func (a *Archive) build(ctx context.Context, trail, account, region string) (digests, logs []string, err error) {
	var prevKey, prevSig, prevHash *string
	prevBucket := a.Bucket
	n := 0
	bucket := a.Bucket
	// A distinct unique part per trail: two trails' log files never share
	// a name.
	h32 := fnv.New32a()
	h32.Write([]byte(trail))
	unique := int(h32.Sum32()) << 24
	putLog := func(t time.Time) (LogFile, error) {
		key := a.LogKey(account, region, t, unique+n)
		n++
		content := LogContent(account, region, t, a.RecordsPerLog, trail)
		if err := a.put(bucket, key, content, nil); err != nil {
			return LogFile{}, err
		}
		logs = append(logs, key)
		sum := sha256.Sum256(content)
		return LogFile{S3Bucket: bucket, S3Object: key, HashValue: hex.EncodeToString(sum[:]), HashAlgorithm: "SHA-256",
			NewestEventTime: t.Format(time.RFC3339), OldestEventTime: t.Format(time.RFC3339)}, nil
	}
	var late []LogFile // delivered after the last digest's end
	for h := range a.Hours {
		start := a.Start.Add(time.Duration(h) * time.Hour)
		end := start.Add(time.Hour)
		bucket = a.Bucket
		if a.MovedFrom != "" && h < a.MovedAt {
			bucket = a.MovedFrom
		}
		if slices.Contains(a.Stopped, h) {
			// Logging stopped: no log file, no digest; the chain starts
			// anew when logging restarts.
			prevKey, prevSig, prevHash, late = nil, nil, nil, nil
			continue
		}
		signer := a.signer(h)
		d := &Digest{
			AWSAccountID: account, DigestStartTime: start.Format(time.RFC3339), DigestEndTime: end.Format(time.RFC3339),
			DigestS3Bucket: bucket, DigestS3Object: a.TrailDigestKey(trail, account, region, end),
			DigestPublicKeyFingerprint: Fingerprint(&signer.PublicKey), DigestSignatureAlgorithm: "SHA256withRSA",
			NewestEventTime: end.Format(time.RFC3339), OldestEventTime: start.Format(time.RFC3339),
			LogFiles: append([]LogFile{}, late...),
		}
		late = nil
		if prevKey != nil {
			d.PreviousDigestS3Bucket, d.PreviousDigestS3Object, d.PreviousDigestSignature = aws.String(prevBucket), prevKey, prevSig
			d.PreviousDigestHashValue, d.PreviousDigestHashAlgo = prevHash, aws.String("SHA-256")
		}
		for i := range a.LogsPerHour {
			lf, err := putLog(start.Add(time.Duration(i+1) * time.Hour / time.Duration(a.LogsPerHour+1)))
			if err != nil {
				return nil, nil, err
			}
			d.LogFiles = append(d.LogFiles, lf)
		}
		if a.LateLogs && h < a.Hours-1 && !slices.Contains(a.Stopped, h+1) {
			lf, err := putLog(end.Add(-time.Minute))
			if err != nil {
				return nil, nil, err
			}
			late = append(late, lf)
		}
		raw, _ := json.Marshal(d)
		sig, err := a.PutDigest(signer, d)
		if err != nil {
			return nil, nil, err
		}
		sum := sha256.Sum256(raw)
		prevKey, prevSig, prevHash = aws.String(d.DigestS3Object), aws.String(sig), aws.String(hex.EncodeToString(sum[:]))
		prevBucket = bucket
		digests = append(digests, d.DigestS3Object)
	}
	after := a.Start.Add(time.Duration(a.Hours) * time.Hour)
	for i := range a.LiveLogs {
		if _, err := putLog(after.Add(time.Duration(i+1) * time.Hour / time.Duration(a.LiveLogs+1))); err != nil {
			return nil, nil, err
		}
	}
	return digests, logs, nil
}
