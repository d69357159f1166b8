// Package archiveverify validates an organization trail's log archive the way
// CloudTrail's log file integrity validation defines it ("Validating
// CloudTrail log file integrity with custom implementations", CloudTrail
// User Guide):
//
//   - each digest file is signed: its x-amz-meta-signature (or, for an older
//     digest, the next digest's previousDigestSignature) is an RSA signature,
//     SHA256withRSA, over the data signing string
//
//     digestEndTime + "\n" + bucket + "/" + key + "\n" +
//     hex(SHA-256 of the uncompressed digest file) + "\n" +
//     previousDigestSignature ("null" for the first digest of a trail)
//
//     verified with the region's public key (CloudTrail ListPublicKeys) whose
//     fingerprint is the digest's digestPublicKeyFingerprint;
//
//   - digests chain: each names the previous one (previousDigestS3Object) and
//     its signature, so a deleted, replaced or added digest breaks the chain;
//
//   - each log file a digest lists has the digest's hashValue: the SHA-256 of
//     its uncompressed content.
//
// Verify walks the organization trail's layout,
// <prefix>/AWSLogs/<org-id>/<account>/CloudTrail-Digest/<region>/<yyyy>/<mm>/<dd>/,
// for every account and region, and reports digests and log files that are
// invalid, missing, out of the chain, or present but listed by no digest.
package archiveverify

import (
	"compress/gzip"
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// S3API is the part of the S3 client Verify uses: it only reads.
type S3API interface {
	ListObjectsV2(context.Context, *s3.ListObjectsV2Input, ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
	GetObject(context.Context, *s3.GetObjectInput, ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	HeadObject(context.Context, *s3.HeadObjectInput, ...func(*s3.Options)) (*s3.HeadObjectOutput, error)
}

// PublicKeysAPI is the part of a CloudTrail client Verify uses.
type PublicKeysAPI interface {
	ListPublicKeys(context.Context, *cloudtrail.ListPublicKeysInput, ...func(*cloudtrail.Options)) (*cloudtrail.ListPublicKeysOutput, error)
}

// DefaultWorkers is how many files Verify reads at once unless
// Options.Workers says otherwise.
const DefaultWorkers = 16

// Options configures Verify.
type Options struct {
	S3 S3API
	// PublicKeys returns a CloudTrail client for a region: digests are
	// signed with keys of their own region.
	PublicKeys func(region string) PublicKeysAPI
	// Bucket is the log archive bucket, Prefix the trail's S3 key prefix
	// (without the trailing slash), if any.
	Bucket, Prefix string
	// Start and End bound the digests validated, by their end time.
	Start, End time.Time
	// TrailARN, if set, restricts validation to the digests of this trail
	// (arn:aws:cloudtrail:<home-region>:<account>:trail/<name>); otherwise
	// every trail found is validated, each with its own chain.
	TrailARN string
	// Workers is how many files are read at once. Default: DefaultWorkers.
	Workers int
}

// Problem kinds.
const (
	DigestInvalid    = "digest signature invalid"
	DigestMissing    = "digest missing"
	DigestOutOfChain = "digest out of chain"
	DigestMoved      = "digest not at the location it names"
	DigestUnreadable = "digest unreadable"
	NoPublicKey      = "no public key for the digest"
	LogModified      = "log file modified"
	LogMissing       = "log file missing"
	LogExtra         = "log file listed by no digest"
)

// Problem is one failure of validation.
type Problem struct {
	Kind string
	// Key is the S3 key of the file concerned.
	Key    string
	Detail string
}

func (p Problem) String() string {
	s := p.Kind + ": " + p.Key
	if p.Detail != "" {
		s += " (" + p.Detail + ")"
	}
	return s
}

// Report is the validation of one account and region of one trail.
type Report struct {
	OrgID, Account, Region, Trail string
	// Digests and LogFiles count the files validated successfully.
	Digests, LogFiles int
	// Bytes counts the uncompressed bytes hashed.
	Bytes int64
	// Problems lists every failure.
	Problems []Problem
}

// OK reports whether everything validated.
func (r *Report) OK() bool { return len(r.Problems) == 0 }

// Result is the validation of the archive.
type Result struct {
	Reports []Report
	// Files and Bytes count what was read: digest and log files, their
	// compressed size.
	Files int
	Bytes int64
}

// OK reports whether every report passed and at least one digest was found.
func (r *Result) OK() bool {
	if len(r.Reports) == 0 {
		return false
	}
	for _, rep := range r.Reports {
		if !rep.OK() {
			return false
		}
	}
	return true
}

// digestName parses a digest file's name:
// <account>_CloudTrail-Digest_<region>_<trail>_<home-region>_<yyyymmddThhmmssZ>[_backfill].json.gz
var digestName = regexp.MustCompile(`^([0-9]{12})_CloudTrail-Digest_([a-z0-9-]+)_(.+)_([a-z]{2}(?:-[a-z]+)+-[0-9]+)_([0-9]{8}T[0-9]{6}Z)(_backfill)?\.json\.gz$`)

// logName parses a log file's name: <account>_CloudTrail_<region>_<yyyymmddThhmmZ>_<unique>.json.gz
var logName = regexp.MustCompile(`^([0-9]{12})_CloudTrail_([a-z0-9-]+)_([0-9]{8}T[0-9]{4}Z)_[A-Za-z0-9]+\.json\.gz$`)

// Verify validates the archive as opts describe. It returns an error only
// when it cannot do its work (listing the bucket fails); what it finds is in
// the Result.
func Verify(ctx context.Context, opts Options) (*Result, error) {
	if opts.Workers <= 0 {
		opts.Workers = DefaultWorkers
	}
	if !opts.Start.Before(opts.End) {
		return nil, fmt.Errorf("start %s is not before end %s", opts.Start.Format(time.RFC3339), opts.End.Format(time.RFC3339))
	}
	var trailName, trailHome string
	if opts.TrailARN != "" {
		m := regexp.MustCompile(`^arn:aws[a-z-]*:cloudtrail:([a-z0-9-]+):[0-9]{12}:trail/(.+)$`).FindStringSubmatch(opts.TrailARN)
		if m == nil {
			return nil, fmt.Errorf("%q is not a trail ARN (arn:aws:cloudtrail:<region>:<account>:trail/<name>)", opts.TrailARN)
		}
		trailHome, trailName = m[1], m[2]
	}
	v := &verifier{opts: opts, sem: make(chan struct{}, opts.Workers), keys: map[string]map[string]*rsa.PublicKey{}}
	root := "AWSLogs/"
	if opts.Prefix != "" {
		root = strings.TrimSuffix(opts.Prefix, "/") + "/" + root
	}
	orgs, err := v.dirs(ctx, root)
	if err != nil {
		return nil, err
	}
	type target struct{ org, account, region string }
	var targets []target
	for _, o := range orgs {
		if !strings.HasPrefix(o, "o-") {
			continue // an account trail's folder, not the organization trail's
		}
		accounts, err := v.dirs(ctx, root+o+"/")
		if err != nil {
			return nil, err
		}
		for _, a := range accounts {
			regions, err := v.dirs(ctx, root+o+"/"+a+"/CloudTrail-Digest/")
			if err != nil {
				return nil, err
			}
			for _, r := range regions {
				targets = append(targets, target{o, a, r})
			}
		}
	}
	res := &Result{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	var firstErr error
	for _, t := range targets {
		wg.Go(func() {
			reps, err := v.region(ctx, root+t.org+"/"+t.account+"/", t.org, t.account, t.region, trailName, trailHome)
			mu.Lock()
			defer mu.Unlock()
			if err != nil && firstErr == nil {
				firstErr = err
			}
			res.Reports = append(res.Reports, reps...)
		})
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	slices.SortFunc(res.Reports, func(a, b Report) int {
		return strings.Compare(a.Account+a.Region+a.Trail, b.Account+b.Region+b.Trail)
	})
	res.Files, res.Bytes = int(v.files), v.bytes
	return res, nil
}

type verifier struct {
	opts Options
	sem  chan struct{}

	mu    sync.Mutex
	keys  map[string]map[string]*rsa.PublicKey // region -> fingerprint -> key
	files int64
	bytes int64
}

// dirs lists the "folders" directly under prefix.
func (v *verifier) dirs(ctx context.Context, prefix string) ([]string, error) {
	var out []string
	p := s3.NewListObjectsV2Paginator(v.opts.S3, &s3.ListObjectsV2Input{Bucket: &v.opts.Bucket, Prefix: &prefix, Delimiter: aws.String("/")})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list s3://%s/%s: %w", v.opts.Bucket, prefix, err)
		}
		for _, cp := range page.CommonPrefixes {
			out = append(out, strings.TrimSuffix(strings.TrimPrefix(aws.ToString(cp.Prefix), prefix), "/"))
		}
	}
	return out, nil
}

// objects lists the objects under prefix, one folder per UTC day from
// start to end.
func (v *verifier) objects(ctx context.Context, prefix string, start, end time.Time) ([]s3types.Object, error) {
	var out []s3types.Object
	for day := start.UTC().Truncate(24 * time.Hour); !day.After(end); day = day.Add(24 * time.Hour) {
		dayPrefix := prefix + day.Format("2006/01/02/")
		p := s3.NewListObjectsV2Paginator(v.opts.S3, &s3.ListObjectsV2Input{Bucket: &v.opts.Bucket, Prefix: &dayPrefix})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("list s3://%s/%s: %w", v.opts.Bucket, dayPrefix, err)
			}
			out = append(out, page.Contents...)
		}
	}
	return out, nil
}

// digestFile is a digest file's content, as CloudTrail writes it.
type digestFile struct {
	AWSAccountID               string    `json:"awsAccountId"`
	DigestStartTime            string    `json:"digestStartTime"`
	DigestEndTime              string    `json:"digestEndTime"`
	DigestS3Bucket             string    `json:"digestS3Bucket"`
	DigestS3Object             string    `json:"digestS3Object"`
	DigestPublicKeyFingerprint string    `json:"digestPublicKeyFingerprint"`
	DigestSignatureAlgorithm   string    `json:"digestSignatureAlgorithm"`
	PreviousDigestS3Bucket     *string   `json:"previousDigestS3Bucket"`
	PreviousDigestS3Object     *string   `json:"previousDigestS3Object"`
	PreviousDigestSignature    *string   `json:"previousDigestSignature"`
	LogFiles                   []logFile `json:"logFiles"`
}

type logFile struct {
	S3Bucket      string `json:"s3Bucket"`
	S3Object      string `json:"s3Object"`
	HashValue     string `json:"hashValue"`
	HashAlgorithm string `json:"hashAlgorithm"`
}

// digest is a digest file found in the bucket.
type digest struct {
	key      string
	end      time.Time
	backfill bool
	// read from S3
	raw       []byte // uncompressed
	content   *digestFile
	signature string // x-amz-meta-signature
	err       error
	// set by the chain walk
	reached bool
}

// chainKey identifies a trail's chain of digests in one account and region.
type chainKey struct{ trail, home string }

// region validates the digests and log files of one account and region,
// a Report per trail found.
func (v *verifier) region(ctx context.Context, acctPrefix, org, account, region, onlyTrail, onlyHome string) ([]Report, error) {
	// Digests are delivered about an hour after their end; look a day
	// beyond the range on both sides and filter by the end in the name.
	objs, err := v.objects(ctx, acctPrefix+"CloudTrail-Digest/"+region+"/", v.opts.Start.Add(-24*time.Hour), v.opts.End.Add(24*time.Hour))
	if err != nil {
		return nil, err
	}
	chains := map[chainKey][]*digest{}
	for _, o := range objs {
		key := aws.ToString(o.Key)
		m := digestName.FindStringSubmatch(key[strings.LastIndex(key, "/")+1:])
		if m == nil || m[1] != account || m[2] != region {
			continue
		}
		if onlyTrail != "" && (m[3] != onlyTrail || m[4] != onlyHome) {
			continue
		}
		end, _ := time.Parse("20060102T150405Z", m[5])
		if end.Before(v.opts.Start) || end.After(v.opts.End) {
			continue
		}
		ck := chainKey{m[3], m[4]}
		chains[ck] = append(chains[ck], &digest{key: key, end: end, backfill: m[6] != ""})
	}
	var reports []Report
	for _, ck := range slices.SortedFunc(maps.Keys(chains), func(a, b chainKey) int { return strings.Compare(a.trail+a.home, b.trail+b.home) }) {
		rep := Report{OrgID: org, Account: account, Region: region, Trail: ck.trail}
		if err := v.chain(ctx, &rep, acctPrefix, region, chains[ck]); err != nil {
			return nil, err
		}
		slices.SortStableFunc(rep.Problems, func(a, b Problem) int {
			return strings.Compare(a.Kind+"\x00"+a.Key, b.Kind+"\x00"+b.Key)
		})
		reports = append(reports, rep)
	}
	return reports, nil
}

// chain validates one trail's digests of an account and region, and the log
// files they list.
func (v *verifier) chain(ctx context.Context, rep *Report, acctPrefix, region string, ds []*digest) error {
	slices.SortFunc(ds, func(a, b *digest) int { return a.end.Compare(b.end) })
	byKey := map[string]*digest{}
	v.each(len(ds), func(i int) { v.readDigest(ctx, ds[i]) })
	for _, d := range ds {
		byKey[d.key] = d
	}
	problem := func(kind, key, detail string) { rep.Problems = append(rep.Problems, Problem{kind, key, detail}) }

	var covered []*digest           // digests whose signature is valid
	unverified := map[string]bool{} // log files listed by invalid digests
	// Walk back from the newest digest not yet reached, signature from S3
	// metadata first, then from each successor's previousDigestSignature.
	// A digest no walk reaches from a newer one starts a walk of its own
	// and is out of the chain, unless it is the newest or the chain broke
	// just before it (a digest missing).
	broken := false
	for i := len(ds) - 1; i >= 0; i-- {
		start := ds[i]
		if start.reached || start.backfill {
			continue
		}
		outside := i != len(ds)-1 && !broken
		if outside {
			problem(DigestOutOfChain, start.key, "no later digest names it as its previous one")
		}
		broken = false
		d, sig := start, start.signature
		for d != nil {
			d.reached = true
			if d.err != nil {
				problem(DigestUnreadable, d.key, d.err.Error())
				break
			}
			if err := v.checkSignature(ctx, d, region, sig); err != nil {
				problem(DigestInvalid, d.key, err.Error())
				for _, lf := range d.content.LogFiles {
					unverified[lf.S3Object] = true
				}
			} else if d.signature != sig {
				problem(DigestInvalid, d.key, "its S3 metadata signature is not the one the next digest records")
			} else {
				covered = append(covered, d)
				rep.Digests++
			}
			c := d.content
			if c.PreviousDigestS3Object == nil || c.PreviousDigestSignature == nil {
				break // the trail's first digest
			}
			prevKey, prevSig := *c.PreviousDigestS3Object, *c.PreviousDigestSignature
			prev, ok := byKey[prevKey]
			switch {
			case c.PreviousDigestS3Bucket != nil && *c.PreviousDigestS3Bucket != v.opts.Bucket:
				d = nil // in another bucket: beyond this archive
			case ok && prev.reached:
				if !(outside && d == start) {
					problem(DigestOutOfChain, d.key, "it names a previous digest another digest names too")
				}
				d = nil
			case ok:
				d, sig = prev, prevSig
			default:
				// Not in the range: fine if it exists (the chain continues
				// before the range) with the signature recorded.
				if m := digestName.FindStringSubmatch(prevKey[strings.LastIndex(prevKey, "/")+1:]); m != nil {
					if end, err := time.Parse("20060102T150405Z", m[5]); err == nil && end.Before(v.opts.Start) {
						if err := v.checkPrevious(ctx, prevKey, prevSig); err != nil {
							problem(DigestMissing, prevKey, err.Error())
						}
						d = nil
						break
					}
				}
				problem(DigestMissing, prevKey, "named as previous digest by "+d.key)
				broken = true
				d = nil
			}
		}
	}
	for _, d := range ds {
		if d.backfill && !d.reached {
			if d.err != nil {
				problem(DigestUnreadable, d.key, d.err.Error())
			} else if err := v.checkSignature(ctx, d, region, d.signature); err != nil {
				problem(DigestInvalid, d.key, err.Error())
			} else {
				covered = append(covered, d)
				rep.Digests++
			}
		}
	}
	return v.logs(ctx, rep, acctPrefix, region, covered, unverified, problem)
}

// readDigest fetches a digest file and its metadata signature.
func (v *verifier) readDigest(ctx context.Context, d *digest) {
	out, err := v.opts.S3.GetObject(ctx, &s3.GetObjectInput{Bucket: &v.opts.Bucket, Key: &d.key})
	if err != nil {
		d.err = err
		return
	}
	defer out.Body.Close()
	for k, val := range out.Metadata {
		if strings.EqualFold(k, "signature") {
			d.signature = val
		}
	}
	raw, n, err := gunzip(out.Body)
	v.count(n)
	if err != nil {
		d.err = err
		return
	}
	var c digestFile
	if err := json.Unmarshal(raw, &c); err != nil {
		d.err = fmt.Errorf("not a digest file: %v", err)
		return
	}
	d.raw, d.content = raw, &c
}

func (v *verifier) count(compressed int64) {
	v.mu.Lock()
	v.files++
	v.bytes += compressed
	v.mu.Unlock()
}

// countReader counts the bytes read through it.
type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// gunzip returns the uncompressed content of a gzipped body and its
// compressed size.
func gunzip(r io.Reader) ([]byte, int64, error) {
	cr := &countReader{r: r}
	zr, err := gzip.NewReader(cr)
	if err != nil {
		return nil, cr.n, fmt.Errorf("not gzip: %v", err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return nil, cr.n, fmt.Errorf("not gzip: %v", err)
	}
	return raw, cr.n, nil
}

// signingString returns a digest's data signing string, as CloudTrail signs
// it.
func signingString(c *digestFile, raw []byte) string {
	prev := "null"
	if c.PreviousDigestSignature != nil {
		prev = *c.PreviousDigestSignature
	}
	sum := sha256.Sum256(raw)
	return c.DigestEndTime + "\n" + c.DigestS3Bucket + "/" + c.DigestS3Object + "\n" + hex.EncodeToString(sum[:]) + "\n" + prev
}

// checkSignature verifies a digest's location and its signature sig.
func (v *verifier) checkSignature(ctx context.Context, d *digest, region, sig string) error {
	c := d.content
	if c.DigestS3Bucket != v.opts.Bucket || c.DigestS3Object != d.key {
		return fmt.Errorf("%s: it names s3://%s/%s", DigestMoved, c.DigestS3Bucket, c.DigestS3Object)
	}
	if c.DigestSignatureAlgorithm != "SHA256withRSA" {
		return fmt.Errorf("unknown signature algorithm %q", c.DigestSignatureAlgorithm)
	}
	key, err := v.publicKey(ctx, region, c.DigestPublicKeyFingerprint)
	if err != nil {
		return err
	}
	sigBytes, err := hex.DecodeString(sig)
	if err != nil || sig == "" {
		return errors.New("no hex signature")
	}
	sum := sha256.Sum256([]byte(signingString(c, d.raw)))
	if err := rsa.VerifyPKCS1v15(key, crypto.SHA256, sum[:], sigBytes); err != nil {
		return errors.New("the signature does not match the digest: it was modified, or not signed by CloudTrail")
	}
	return nil
}

// checkPrevious checks that the digest before the range exists with the
// signature the first digest in the range records.
func (v *verifier) checkPrevious(ctx context.Context, key, sig string) error {
	out, err := v.opts.S3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &v.opts.Bucket, Key: &key})
	if err != nil {
		return fmt.Errorf("the digest before the range is missing: %v", err)
	}
	for k, val := range out.Metadata {
		if strings.EqualFold(k, "signature") && val == sig {
			return nil
		}
	}
	return errors.New("the digest before the range has another signature than the next digest records")
}

// publicKey returns the region's digest signing key with a fingerprint.
func (v *verifier) publicKey(ctx context.Context, region, fingerprint string) (*rsa.PublicKey, error) {
	v.mu.Lock()
	keys, ok := v.keys[region]
	v.mu.Unlock()
	if !ok {
		keys = map[string]*rsa.PublicKey{}
		out, err := v.opts.PublicKeys(region).ListPublicKeys(ctx, &cloudtrail.ListPublicKeysInput{
			StartTime: aws.Time(v.opts.Start.Add(-24 * time.Hour)),
			EndTime:   aws.Time(v.opts.End.Add(24 * time.Hour)),
		})
		if err != nil {
			return nil, fmt.Errorf("list the public keys of %s: %v", region, err)
		}
		for _, k := range out.PublicKeyList {
			// The key is DER-encoded in PKCS #1 format.
			pub, err := x509.ParsePKCS1PublicKey(k.Value)
			if err != nil {
				continue
			}
			keys[aws.ToString(k.Fingerprint)] = pub
		}
		v.mu.Lock()
		v.keys[region] = keys
		v.mu.Unlock()
	}
	if k, ok := keys[fingerprint]; ok {
		return k, nil
	}
	return nil, fmt.Errorf("%s: CloudTrail lists no key %q in %s", NoPublicKey, fingerprint, region)
}

// logs checks every log file the valid digests list, and the log files in
// the time the digests cover that no digest lists.
//
// Log files listed only by invalid digests (unverified) are not hashed and
// not reported: their digest's problem is.
func (v *verifier) logs(ctx context.Context, rep *Report, acctPrefix, region string, covered []*digest, unverified map[string]bool, problem func(kind, key, detail string)) error {
	listed := map[string]bool{}
	var files []logFile
	var from, to time.Time
	for _, d := range covered {
		for _, lf := range d.content.LogFiles {
			if lf.S3Bucket == v.opts.Bucket && !listed[lf.S3Object] {
				listed[lf.S3Object] = true
				files = append(files, lf)
			}
		}
		start, err1 := time.Parse(time.RFC3339, d.content.DigestStartTime)
		end, err2 := time.Parse(time.RFC3339, d.content.DigestEndTime)
		if err1 == nil && err2 == nil && !d.backfill {
			if from.IsZero() || start.Before(from) {
				from = start
			}
			if end.After(to) {
				to = end
			}
		}
	}
	var mu sync.Mutex
	v.each(len(files), func(i int) {
		lf := files[i]
		kind, detail, n := v.checkLog(ctx, lf)
		mu.Lock()
		defer mu.Unlock()
		if kind != "" {
			problem(kind, lf.S3Object, detail)
			return
		}
		rep.LogFiles++
		rep.Bytes += n
	})
	if from.IsZero() {
		return nil
	}
	objs, err := v.objects(ctx, acctPrefix+"CloudTrail/"+region+"/", from, to)
	if err != nil {
		return err
	}
	for _, o := range objs {
		key := aws.ToString(o.Key)
		m := logName.FindStringSubmatch(key[strings.LastIndex(key, "/")+1:])
		if m == nil || listed[key] || unverified[key] {
			if m == nil {
				problem(LogExtra, key, "not a CloudTrail log file name")
			}
			continue
		}
		// A log file delivered within the covered time must be listed.
		if t, err := time.Parse("20060102T1504Z", m[3]); err == nil && !t.Before(from.Truncate(time.Minute)) && t.Before(to.Truncate(time.Minute)) {
			problem(LogExtra, key, "delivered within the time the digests cover")
		}
	}
	return nil
}

// checkLog fetches a log file and compares the SHA-256 of its uncompressed
// content with the digest's.
func (v *verifier) checkLog(ctx context.Context, lf logFile) (kind, detail string, size int64) {
	if !strings.EqualFold(lf.HashAlgorithm, "SHA-256") {
		return LogModified, fmt.Sprintf("unknown hash algorithm %q", lf.HashAlgorithm), 0
	}
	out, err := v.opts.S3.GetObject(ctx, &s3.GetObjectInput{Bucket: &v.opts.Bucket, Key: &lf.S3Object})
	if err != nil {
		var nsk *s3types.NoSuchKey
		if errors.As(err, &nsk) || strings.Contains(err.Error(), "StatusCode: 404") {
			return LogMissing, "", 0
		}
		return LogMissing, err.Error(), 0
	}
	defer out.Body.Close()
	cr := &countReader{r: out.Body}
	zr, err := gzip.NewReader(cr)
	if err != nil {
		v.count(cr.n)
		return LogModified, "not gzip", 0
	}
	h := sha256.New()
	n, err := io.Copy(h, zr)
	v.count(cr.n)
	if err != nil {
		return LogModified, "not gzip: " + err.Error(), 0
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != strings.ToLower(lf.HashValue) {
		return LogModified, "SHA-256 " + got + ", digest says " + lf.HashValue, 0
	}
	return "", "", n
}

// each calls fn for 0..n-1, at most Workers at once (shared by all calls).
func (v *verifier) each(n int, fn func(i int)) {
	var wg sync.WaitGroup
	for i := range n {
		v.sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-v.sem }()
			fn(i)
		})
	}
	wg.Wait()
}
